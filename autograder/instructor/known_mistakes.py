"""Known mistakes: how they are written (catalog/<exercise>/mistakes.py) and how the grader runs them.

Instructors only: a mistake is an edit of the reference. What students' tools need of them (each
one's hint and behaviour on the public inputs) is in the fixtures.

The grader uses them when a check fails: it runs every mistake of the exercise on the same inputs
(in the grader, since they are built from the reference) and, when one reproduces the student's
output, shows its hint. The kit's tests submit every mistake as a student would and expect it to
lose points.
"""
import importlib
import importlib.util
import linecache
import types
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from .. import registry
from . import SOLUTIONS


@dataclass(frozen=True)
class Mistake:
    id: str
    hint: str
    edits: tuple  # (old, new) pairs applied to solutions/<exercise>.py; every old must occur
    exercise: str = ""  # filled in from the folder that declares it

    def source(self):
        text = Path(importlib.util.find_spec(f"{SOLUTIONS}.{self.exercise}").origin).read_text()
        for old, new in self.edits:
            if old not in text:
                raise ValueError(f"mistake {self.id}: {old!r} is not in solutions/{self.exercise}.py")
            text = text.replace(old, new)
        return text


def mistake(id, hint, *edits):
    """One known mistake, as catalog/<exercise>/mistakes.py writes it: its id, its hint, its edits."""
    return Mistake(id, hint, tuple(edits))


def variant(id, *edits):
    """A correct variant (catalog/<exercise>/mistakes.py, VARIANTS): an edit of the reference that computes the
    same thing less precisely, e.g. in float32; the tests hold the tolerances to passing it with a margin."""
    return Mistake(id, "", tuple(edits))


@cache
def for_exercise(exercise):
    """The known mistakes of one exercise, in the order its file lists them."""
    module = importlib.import_module(f"{registry.__package__}.catalog.{exercise}.mistakes")
    return tuple(replace(found, exercise=exercise) for found in module.MISTAKES)


@cache
def variants_for(exercise):
    """The correct variants of one exercise (its mistakes.py's VARIANTS; none when it declares none)."""
    module = importlib.import_module(f"{registry.__package__}.catalog.{exercise}.mistakes")
    return tuple(replace(found, exercise=exercise) for found in getattr(module, "VARIANTS", ()))


def every():
    """Every known mistake of every exercise."""
    return [found for exercise in registry.ids() for found in for_exercise(exercise)]


def find(mistake_id):
    return next(found for found in every() if found.id == mistake_id)


@cache
def namespace(mistake_id):
    """The globals of the mistake's module, built in the grader's package of the reference (never next to student code)."""
    return variant_namespace(find(mistake_id))


def variant_namespace(variant):
    """The globals of any edit of the reference (a Mistake, or a correct variant in the tests), a new module each call."""
    importlib.import_module(f"{SOLUTIONS}.{variant.exercise}")  # its siblings, for relative imports
    module = types.ModuleType(f"{SOLUTIONS}._variant_{variant.id}")
    module.__package__ = SOLUTIONS
    source, filename = variant.source(), f"<mistake {variant.id}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)  # so errors show their line
    exec(compile(source, filename, "exec"), module.__dict__)
    return module.__dict__
