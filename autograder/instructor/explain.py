"""`python -m autograder explain CHECK_ID`: where a check is defined and what it compares, for whoever traces a
failure. It prints the file and line of the check's declaration, of the function that draws its inputs, of its
judge, and of every known mistake that fails it, and says what the judge compares the observations with.
"""
import inspect
import re
import sys
from pathlib import Path

from .. import engine, fixture_reader, registry
from ..checks import Against
from . import ROOT, known_mistakes as mistakes

COMPARES = {
    Against.PROPERTIES: "the submission's outputs with each other (a property: shapes, order, causality, ...); "
                        "no expected values",
    Against.FIXTURE: "the submission's outputs with the expected ones stored in {fixture} (the reference's, on the "
                     "same inputs, written by the build); at grading also on inputs drawn afresh, against the reference",
    Against.REFERENCE: "the submission's outputs with the reference's (solutions/{exercise}.py) on inputs drawn "
                       "from the course's hidden seed; instructors only",
}


def where(path, line):
    path = Path(path)
    shown = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)
    return f"{shown}:{line}"


def declared_at(check_id):
    """(path, line) of the line that writes the id out, in the exercise's catalog folder."""
    exercise = check_id.split(".", 1)[0]
    for path in sorted((ROOT / "autograder" / "catalog" / exercise).glob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if f'"{check_id}"' in line:
                return path, number
    raise LookupError(f"{check_id} is not written out in autograder/catalog/{exercise}/")


def function_at(function):
    """`name (file:line)` of a function, a closure named by the function that made it."""
    function = inspect.unwrap(function)
    name = function.__qualname__.replace(".<locals>.", " → ")
    return f"{name} ({where(inspect.getsourcefile(function), function.__code__.co_firstlineno)})"


def mistake_at(found):
    """file:line where a known mistake is declared (its id written out in catalog/<exercise>/mistakes.py)."""
    path = ROOT / "autograder" / "catalog" / found.exercise / "mistakes.py"
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if re.search(rf'["\']{re.escape(found.id)}["\']', line):
            return where(path, number)
    return where(path, 1)


def failing_mistakes(check, exercise):
    """The known mistakes that fail the check: read from the fixtures for a public check, asked of the reference
    on the course's seed for a hidden one."""
    if check.public:
        return fixture_reader.fixtures(exercise).get(check.id, {}).get("failed_by", [])
    from .reference import REFERENCE
    from .kit_settings import load

    probes = engine.plan([check], exercise, load().hidden_seed)[0]
    return [found.id for found in mistakes.for_exercise(exercise) if REFERENCE.fails(exercise, found.id, check, probes)]


def explain(check_id):
    """The text `explain` prints for one check id; a LookupError that lists the ids when there is none."""
    exercise = check_id.split(".", 1)[0]
    known = {check.id: check for name in registry.ids() for check in registry.checks(name)}
    if check_id not in known:
        close = [name for name in known if name.startswith(f"{exercise}.")] or sorted(known)
        raise LookupError(f"no check {check_id!r}; the checks of {exercise if exercise in registry.ids() else 'the kit'} "
                          f"are: {', '.join(close)}")
    check = known[check_id]
    lines = [f"{check.id}: {check.title}",
             f"  {check.points:g} point{'s' if check.points != 1 else ''}, part {check.part}, "
             f"{'public (the self-check runs it)' if check.public else 'hidden (grading only)'}",
             f"declared   {where(*declared_at(check.id))}",
             f"inputs     {function_at(check.probes)}",
             f"judge      {function_at(check.judge)}"]
    if check.redrawn:
        lines.append(f"redrawn    {function_at(check.redraw or check.probes)}, judged by "
                     f"{function_at(check.redraw_judge or check.judge)}")
    lines.append("compares   " + COMPARES[check.against].format(fixture=where(fixture_reader.path(exercise), 1).rsplit(":", 1)[0],
                                                                 exercise=exercise))
    failing = failing_mistakes(check, exercise)
    lines.append(f"known mistakes that fail it: {len(failing)}")
    by_id = {found.id: found for found in mistakes.for_exercise(exercise)}
    lines += [f"  {name:<32} {mistake_at(by_id[name])}" for name in failing if name in by_id]
    return "\n".join(lines)


def main(check_ids):
    status = 0
    for check_id in check_ids:
        try:
            print(explain(check_id))
        except LookupError as error:
            print(f"error: {error.args[0]}", file=sys.stderr)
            status = 2
    return status
