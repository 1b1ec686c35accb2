"""What the notebooks' test cells call: run the checks on the kernel's own definitions.

In the student's kernel there is nothing to protect, so checks run in-process
for instant feedback. The visible part of a test cell shows the public checks
and raises when one fails; under `nbgrader autograde` it only shows them, and
the hidden part (instructor/scoring.py, stripped from the release) leaves the
part's score as the cell's value for nbgrader.
"""
import builtins
import html
import io
import os
import sys
import textwrap
import warnings
from contextlib import contextmanager, redirect_stderr, redirect_stdout

from .sandboxed.probes import observer
from .sandboxed.errors import ErrorKind
from .selfcheck import check_namespace, part_points


# The message's lines are cut to this many characters at spaces: nbgrader's Validate dialog shows them in a box
# that does not wrap, about 100 characters wide, where a longer line ran out of sight.
WIDTH = 88


def _wrapped(line, indent=""):
    return textwrap.fill(line, WIDTH, initial_indent=indent, subsequent_indent=indent + "  ", break_long_words=False,
                         break_on_hyphens=False)


class _MessageOnly:
    """IPython renders an exception with this method as the lines it returns: here, the message alone,
    since the table above says everything and the kit's own frames would only distract."""

    def _render_traceback_(self):
        return [f"{type(self).__name__}: {self}"]


class ChecksFailed(_MessageOnly, AssertionError):
    pass


class NotImplementedError(_MessageOnly, builtins.NotImplementedError):  # keeps the name students know
    pass


def _in_process(namespace):
    def observe_all(probes):
        with _silenced():
            return observer(namespace, kernel=True)(probes)

    return observe_all


@contextmanager
def _silenced():
    """Student code runs with warnings off and its output dropped: nbgrader gives a test cell with
    anything on stderr zero points, and the kernel forwards writes to the file descriptors too."""
    sys.stdout.flush(), sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with open(os.devnull, "w") as devnull, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        os.dup2(devnull.fileno(), 1), os.dup2(devnull.fileno(), 2)
        try:
            with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
                yield
        finally:
            os.dup2(saved[0], 1), os.dup2(saved[1], 2)
            os.close(saved[0]), os.close(saved[1])


def _display(report, heading=None):
    from IPython.display import display

    from .report import Table

    display(Table(report, heading))


def _heading(report, exercise, part):
    """Says what these checks are worth, and what the hidden ones add when the work is graded."""
    hidden = part_points(exercise, part) - report.max_score
    line = f"<b>{html.escape(part)}</b>: {report.score:g} of {_points(report.max_score)} from these public checks"
    if hidden > 0:
        line += f"; hidden checks add {hidden:g} more {'point' if hidden == 1 else 'points'} when your work is graded"
    return f"<p>{line}.</p>"


def _points(count):
    return f"{count:g} point" if count == 1 else f"{count:g} points"


def check(exercise, part, namespace):
    """Show the public checks of one graded part; raise if any fails (except while nbgrader autogrades)."""
    report = check_namespace(namespace, exercise, parts=[part], observe=_in_process(namespace))
    _display(report, _heading(report, exercise, part))
    if os.environ.get("NBGRADER_EXECUTION") == "autograde":
        return
    unfinished = [check for check in report.checks if check.status != "passed"]
    if unfinished and all(check.cause == ErrorKind.STUB for check in unfinished):
        raise NotImplementedError(f"{part} is not filled in yet:\n  replace `raise NotImplementedError()` with your code")
    if unfinished:
        # the whole verdict, not just a count: `nbgrader validate` shows this message and not the table
        lines = [_wrapped(f"{len(unfinished)} of {len(report.checks)} checks of {part} did not pass:")]
        for check in unfinished:
            lines.append(_wrapped(f"{check.id}: {check.message}", "  "))
            if check.hint:
                lines.append(_wrapped(f"hint: {check.hint}", "    "))
        raise ChecksFailed("\n".join(lines))
