"""What the hidden region of a source notebook's test cells calls: every check of one part, hidden ones too.

The release strips that region, so students never call this; nbgrader's own Execute preprocessor
(without the kit's plugin) would, and gets the part's score as the cell's value.
"""
from .. import engine
from ..checks import Report
from ..notebook import _display, _in_process
from .grading import run_checks
from .kit_settings import load


def score(exercise, part, namespace):
    """Run every check of one part, public and hidden; show the hidden ones and return the points earned."""
    settings = load()
    report = run_checks(exercise, _in_process(namespace), settings, parts=[part])
    hidden = {check.id for check in engine.select(exercise, parts=[part], course=settings.course()) if not check.public}
    _display(Report(exercise, [result for result in report.checks if result.id in hidden]))
    return report.score
