"""What the notebooks' test cells call: run the checks on the kernel's own definitions.

In the student's kernel there is nothing to protect, so checks run in-process
for instant feedback. The visible part of a test cell shows the public checks
and raises when one fails; under `nbgrader autograde` it only shows them, and
the hidden part leaves the part's score as the cell's value for nbgrader.
"""
import os

from . import checks
from .loader import import_from_notebook  # noqa: F401  (used by notebook 04's setup cell)
from .probes import observe


def _in_process(namespace):
    return lambda probes: [observe(namespace, probe) for probe in probes]


def _display(report):
    from IPython.display import display

    from .report import Table

    display(Table(report))


def check(exercise, part, namespace):
    """Show the public checks of one graded part; raise if any fails (except while nbgrader autogrades)."""
    report = checks.run(exercise, _in_process(namespace), public_only=True, parts=[part])
    _display(report)
    if os.environ.get("NBGRADER_EXECUTION") == "autograde":
        return
    unfinished = [check for check in report.checks if check.status != "passed"]
    if unfinished and all(check.message.startswith("not implemented yet") for check in unfinished):
        raise NotImplementedError(f"{part} is not filled in yet: replace `raise NotImplementedError()` with your code")
    if unfinished:
        names = ", ".join(check.id.split(".", 1)[1] for check in unfinished)
        raise AssertionError(f"{len(unfinished)} of {len(report.checks)} checks of {part} did not pass: {names}")


def score(exercise, part, namespace):
    """Run every check of one part, public and hidden; show the hidden ones and return the points earned."""
    report = checks.run(exercise, _in_process(namespace), parts=[part])
    hidden = {check.id for check in checks.select(exercise, parts=[part]) if not check.public}
    _display(checks.Report(exercise, [result for result in report.checks if result.id in hidden]))
    return report.score
