"""The self-check: a student's own code against the public checks, in the student's own process.

One function for every way in: `python -m autograder check`, `pytest --attention` and the
notebooks' check cells. It holds no reference and runs no hidden check; the course's settings
(course.json in the student kit) decide the points and which public checks students see.
"""
from pathlib import Path

from . import course_settings
from . import engine, registry
from .discovery import infer_exercise, known_exercise
from .sandboxed.loader import load
from .sandboxed.probes import observer


def check_namespace(namespace, exercise, *, parts=None, course=None, observe=None):
    """Report of the public checks on names already defined (a kernel's globals, a loaded file).
    observe: how to run the probes on the namespace (default: plainly, in this process)."""
    course = course or course_settings.current()
    chosen = engine.select(exercise, public_only=True, parts=parts, course=course)
    return engine.run(exercise, observe or observer(namespace), chosen, course=course)


def check_file(path, exercise=None, *, parts=None, course=None):
    """Report of the public checks on a notebook or .py file, loaded in this process."""
    exercise = known_exercise(exercise) if exercise else infer_exercise(path)
    submission = load(Path(path), exercise, registry.get(exercise).parts)
    report = check_namespace(submission.namespace, exercise, parts=parts, course=course)
    report.submission, report.problems = str(path), submission.problems
    return report


def part_points(exercise, part, course=None):
    """What the part is worth when graded, hidden checks included: counted where they are at hand (the
    course), else as the student kit was bundled with (course.json)."""
    course = course or course_settings.current()
    key = f"{exercise}.{part}"
    if key in course.totals:
        return course.totals[key]
    return sum(check.points for check in engine.select(exercise, parts=[part], course=course))
