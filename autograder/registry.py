"""The exercises, as each declares itself: autograder/catalog/<id>/__init__.py holds one Exercise.

Everything that needs to know which exercises exist (notebook names, the loader, the build, the
student kit, the class report, Gradescope, the tests, the benchmark) asks this module, which
finds them by looking at the catalog's folders. An exercise's own folder holds the rest of it:

  catalog/<id>/__init__.py   EXERCISE = Exercise(...)      students receive it
  catalog/<id>/public.py     CHECKS, the self-check's       students receive it
  catalog/<id>/hidden.py     CHECKS against the reference   instructors only
  catalog/<id>/mistakes.py   MISTAKES, edits of the ref.    instructors only

and outside the package: solutions/<id>.py and source/attention/<NN>_<id>.ipynb; the build makes
exercises/<id>.py, the release notebook and autograder/fixtures/<id>.json from them.
"""
import importlib
import pkgutil
from dataclasses import dataclass
from functools import cache
from pathlib import Path

CATALOG = Path(__file__).resolve().parent / "catalog"
PUBLIC_FILES = ("__init__.py", "public.py")  # of an exercise's folder, what students receive
INSTRUCTOR_FILES = ("hidden.py", "mistakes.py")  # what they never do


@dataclass(frozen=True)
class Exercise:
    id: str  # the name of its folder, its solutions module and its stub
    number: int  # its place in the course: notebook NN_<id>.ipynb
    title: str
    parts: tuple  # the graded names, in notebook order: each has an answer cell and a test cell
    stand_in: str | None = None  # a class of another exercise that probes may swap for a stand-in
    note: str = ""  # what the tables of notebooks add after the parts

    @property
    def notebook(self):
        return f"{self.number:02d}_{self.id}.ipynb"


@cache
def exercises():
    """Every exercise, in course order."""
    found = []
    for module in pkgutil.iter_modules([str(CATALOG)]):
        if not module.ispkg:
            continue
        exercise = importlib.import_module(f"{__package__}.catalog.{module.name}").EXERCISE
        if exercise.id != module.name:
            raise ValueError(f"catalog/{module.name}/__init__.py declares the exercise {exercise.id!r}: "
                             "an exercise's id is the name of its folder")
        found.append(exercise)
    numbers = [exercise.number for exercise in found]
    if sorted(numbers) != list(range(1, len(found) + 1)):
        raise ValueError(f"the exercises are numbered {sorted(numbers)}: number them 1 to {len(found)}, once each")
    return tuple(sorted(found, key=lambda exercise: exercise.number))


def ids():
    return [exercise.id for exercise in exercises()]


def get(exercise_id):
    """The exercise called exercise_id; a KeyError that lists the others when there is none."""
    for exercise in exercises():
        if exercise.id == exercise_id:
            return exercise
    raise KeyError(f"unknown exercise {exercise_id!r}; choose one of {', '.join(ids())}")


def checks(exercise_id, *, hidden=True):
    """The checks of one exercise, part by part, public ones first within a part. Hidden checks are
    read only where the instructor's files are present (the student kit has none)."""
    exercise = get(exercise_id)
    found = list(importlib.import_module(f"{__package__}.catalog.{exercise_id}.public").CHECKS)
    if hidden and (CATALOG / exercise_id / "hidden.py").is_file():
        found += importlib.import_module(f"{__package__}.catalog.{exercise_id}.hidden").CHECKS
    for check in found:  # ids are written out whole where checks are declared: a search for one finds it
        if not check.id.startswith(f"{exercise_id}."):
            raise ValueError(f"catalog/{exercise_id}/ declares the check {check.id!r}: a check's id starts with its "
                             f"exercise's, {exercise_id}.")
    repeated = sorted({check.id for check in found if [other.id for other in found].count(check.id) > 1})
    if repeated:
        raise ValueError(f"catalog/{exercise_id}/ declares {', '.join(repeated)} more than once: ids name one check")
    return sorted(found, key=lambda check: exercise.parts.index(check.part))
