"""pytest --attention [PATH…]: every public check of each notebook or exercises file, as a pytest test.

Registered through the `pytest11` entry point; it does nothing unless --attention
is given. Without a PATH it checks the student's notebooks (release/attention/ in
the course, or the notebooks of the current folder). Heavy parts load lazily.
"""
from pathlib import Path

import pytest



def pytest_addoption(parser):
    group = parser.getgroup("attention", "attention exercises self-check")
    group.addoption("--attention", action="store_true",
                    help="collect the public checks of the given notebooks or exercises files (default: your notebooks)")


def pytest_load_initial_conftests(early_config, parser, args):
    """With --attention and no path, check the student's notebooks rather than the project's testpaths."""
    known = early_config.known_args_namespace
    if getattr(known, "attention", False) and not getattr(known, "file_or_dir", None):
        default = Path("release/attention")
        args.append(str(default if default.is_dir() else Path(".")))


def pytest_collect_file(file_path, parent):
    from .discovery import infer_exercise
    from .sandboxed.loader import SUBMISSION_SUFFIXES, SubmissionError

    if not parent.config.getoption("attention") or file_path.suffix not in SUBMISSION_SUFFIXES:
        return None

    try:
        infer_exercise(file_path)
    except SubmissionError:
        return None
    if ".ipynb_checkpoints" in file_path.parts:
        return None
    return SubmissionFile.from_parent(parent, path=file_path)


class SubmissionFile(pytest.File):
    def collect(self):
        from . import course_settings, engine
        from .discovery import infer_exercise

        self.exercise = infer_exercise(self.path)
        for check in engine.select(self.exercise, public_only=True, course=course_settings.current()):
            yield CheckItem.from_parent(self, name=check.id.split(".", 1)[1], check_id=check.id, title=check.title)

    def report(self):
        """The public checks of this file, run once for all its items."""
        if not hasattr(self, "_report"):
            from .selfcheck import check_file

            self._report = check_file(self.path, self.exercise)
        return self._report


class CheckFailed(Exception):
    pass


class CheckItem(pytest.Item):
    def __init__(self, *, check_id, title, **kwargs):
        super().__init__(**kwargs)
        self.check_id, self.title = check_id, title

    def runtest(self):
        from .checks import Status

        result = next(check for check in self.parent.report().checks if check.id == self.check_id)
        if result.status != Status.PASSED:
            raise CheckFailed(f"{result.status}: {result.message}" + (f"\nhint: {result.hint}" if result.hint else ""))

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, CheckFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        # the failure's header: which notebook or file, which check, what it checks
        return self.path, None, f"{self.path.name} · {self.name}: {self.title}"
