"""nbgrader plugin: score each graded test cell with the kit's sandboxed engine.

Put SandboxedChecks where Execute stands in c.Autograde.autograde_preprocessors
(the repository's nbgrader_config.py does). Then `nbgrader autograde` starts no
student kernel: the notebook nbgrader has sanitised (test cells restored from the
gradebook) is graded in a sandboxed worker, and each test cell's outputs become
the check table and its score, which SaveAutoGrades records. The graded copy
keeps its sources (nbgrader compares their checksums); the configuration adds
nbgrader's ClearHiddenTests to feedback, so feedback shows results, not tests.
"""
import atexit
import tempfile
from pathlib import Path

from nbformat.v4 import new_output
from nbgrader.preprocessors import NbGraderPreprocessor

TEST_CELL = "test_{part}"  # the grade_id of a part's test cell, as the source notebooks name them
_pools = {}


class SandboxedChecks(NbGraderPreprocessor):
    """Grade test cells in the sandbox instead of executing the student's notebook; settings: c.KitSettings."""

    def preprocess(self, nb, resources):
        import nbformat

        from .. import registry
        from ..checks import Report
        from ..discovery import Target, infer_exercise
        from ..report import html_table, text
        from .grading import grade
        from .sandbox import copy_siblings
        from .settings import KitSettings

        name = f"{resources['unique_key']}.ipynb"
        exercise = infer_exercise(name)
        folder = Path(resources["metadata"]["path"])
        with tempfile.TemporaryDirectory(prefix="attention-nbgrader-") as workdir:
            nbformat.write(nb, Path(workdir) / name)
            # what else the student submitted (notebook 4 imports notebook 2): regular files, within limits
            copy_siblings(folder, name, Path(workdir), (Path(workdir) / name).stat().st_size)
            target = Target(Path(workdir) / name, exercise, resources.get("nbgrader", {}).get("student"))
            settings = KitSettings(parent=self)
            report = grade(target, self._pool(settings), settings)
        parts = {TEST_CELL.format(part=part): part for part in registry.get(exercise).parts}
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
                continue
            part = parts.get(meta.get("grade_id"))
            results = [result for result in report.checks if result.part == part]
            shown = Report(exercise, results, problems=report.problems)
            # never leave a test cell without a score: nbgrader gives an empty one full points
            score = shown.score if results else 0.0
            cell.outputs = [
                new_output("display_data", data={"text/html": html_table(shown, heading=self._heading(shown, part)),
                                                 "text/plain": text(shown)}),
                # nbgrader reads the score from text/plain; pages (formgrader, feedback) show the HTML, not a bare float
                new_output("execute_result", execution_count=None, data={
                    "text/plain": repr(float(score)),
                    "text/html": f"<small style='color:#57606a'>recorded for this cell: {score:g} of "
                                 f"{float(meta.get('points', 0)):g} points</small>"}),
            ]
            self.log.info("%s %s: %s of %s", name, part, score, meta.get("points"))
        return nb, resources

    @staticmethod
    def _heading(report, part):
        from html import escape

        return f"<p><b>{escape(part or report.exercise)}</b>: {report.score:g} of {report.max_score:g} points</p>"

    def _pool(self, settings):
        from .sandbox import WorkerPool

        limits = settings.limits()
        key = (limits, settings.isolation)
        if key not in _pools:
            _pools[key] = WorkerPool(1, limits, isolate=settings.isolation != "off")
            atexit.register(_pools[key].close)
        return _pools[key]


class KernelLanguageInfo(NbGraderPreprocessor):
    """Write into the notebook's metadata the language_info its kernel reports, so JupyterLab opens it clean.

    JupyterLab copies the kernel's language_info into an open notebook's metadata as soon as the kernel
    answers, and marks the notebook changed when that differs from what the file holds. nbgrader carries
    the source's metadata over unchanged (a bare {"name": "python"}), so without this every release
    notebook opened as changed before any edit. The kernel is the python3 kernel of this interpreter
    (ipykernel), the one a student's `.venv/bin/jupyter lab` starts.
    """

    def preprocess(self, nb, resources):
        nb.metadata["language_info"] = kernel_language_info()
        return nb, resources


def kernel_language_info():
    """What this interpreter's ipykernel reports as language_info (its `version` is this Python's)."""
    from ipykernel.ipkernel import IPythonKernel

    return dict(IPythonKernel.language_info)
