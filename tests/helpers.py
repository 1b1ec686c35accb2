"""What the tests share: paths, the kit as a user runs it, and submissions written as a student would.

Tests import it by name (pyproject.toml puts tests/ on pytest's pythonpath). Exercises come from the
registry, never by name: a test that needs one exercise to drive something else takes FIRST (or
VEHICLE, the first whose notebook stands alone); a test about what one exercise teaches lives in
tests/exercises/test_<id>.py.
"""
import ast
import os
import re
import subprocess
import sys
from pathlib import Path

from autograder import registry

ROOT = Path(__file__).resolve().parent.parent
STUDENTS = Path(__file__).resolve().parent / "students"
EXERCISES = registry.ids()
FIRST = registry.exercises()[0]


def run_kit(*args, cwd=ROOT, timeout=600, env=None):
    """python -m autograder ARGS, as a user runs it; returns the CompletedProcess."""
    environment = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
                       **(env or {}))
    return subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env=environment)


def reference(exercise):
    """The text of solutions/<exercise>.py."""
    return (ROOT / "solutions" / f"{exercise}.py").read_text()


def solution_lines():
    """Every meaningful line inside a solution region of solutions/, without comments."""
    lines = set()
    for path in (ROOT / "solutions").glob("*.py"):
        for region in re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", path.read_text(), re.S):
            for line in region.splitlines():
                code = line.split("#")[0].strip()
                if len(code) >= 12:  # shorter lines ("return x", "else:") say nothing about the solution
                    lines.add(code)
    return lines


def source(name):
    """The text of tests/students/<name>.py."""
    return (STUDENTS / f"{name}.py").read_text()


def notebook_answers(name):
    """{answer cell grade_id (the name it defines): source} for a student module."""
    return answers_from(source(name))


def answers_from(text, names=None):
    """{answer cell grade_id: source} for a module's text, as a student would fill the cells in.

    Each of names (default: every top-level function and class) gets its own cell; the first of them
    also carries everything else the module holds (imports, helpers, constants), as a student puts
    helpers in an answer cell. Relative imports are left out: the notebooks import from each other.
    """
    lines = text.splitlines(keepends=True)
    body = ast.parse(text).body
    defined = [node.name for node in body if isinstance(node, (ast.FunctionDef, ast.ClassDef))]
    names = [name for name in (names or defined) if name in defined]
    answers, rest = {}, ""
    for node in body:
        code = "".join(lines[node.lineno - 1 - len(getattr(node, "decorator_list", [])):node.end_lineno])
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in names:
            answers[node.name] = code
        elif not (isinstance(node, ast.ImportFrom) and node.level):
            rest += code + "\n"
    if names:
        answers[names[0]] = rest + "\n\n" + answers[names[0]]
    return answers


def filled_notebook(release_path, answers):
    """The release notebook with the answer cells whose grade_id is in answers replaced by those sources."""
    import nbformat

    notebook = nbformat.read(release_path, as_version=4)
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution") and grade_id in answers:
            cell.source = answers[grade_id]
    return notebook


def write_module(folder, exercise, text):
    path = folder / f"{exercise}.py"
    path.write_text(text)
    return path


def write_notebook(folder, exercise, answers):
    """The release notebook of exercise with its answer cells set to answers ({grade_id: source})."""
    import nbformat

    name = registry.get(exercise).notebook
    path = folder / name
    nbformat.write(filled_notebook(ROOT / "release" / "attention" / name, answers), path)
    return path


def without_markers(text):
    return re.sub(r"^[ \t]*### (BEGIN|END) SOLUTION\n", "", text, flags=re.M)


def reference_answers(exercise):
    """{answer cell grade_id: source} of the reference, as a student who got everything right fills them in."""
    from autograder.instructor.build import definitions

    return {name: without_markers(body) for name, body in definitions(reference(exercise)).items()}


def grade_file(path, exercise, seed=7, settings=None):
    """Every check, public and hidden, on one submission loaded in this process (grading's own function)."""
    from autograder.instructor.grading import run_checks
    from autograder.instructor.settings import KitSettings
    from autograder.sandboxed.loader import load
    from autograder.sandboxed.probes import observer

    submission = load(path, exercise, registry.get(exercise).parts)
    return run_checks(exercise, observer(submission.namespace), settings or KitSettings(), seed=seed)


def grade_variant(folder, variant, form, seed):
    """An edit of the reference (a known mistake, a correct variant) submitted as a student would, as a .py
    file or a notebook, beside every other exercise answered as the reference answers it (a notebook may
    use another's names)."""
    from autograder.instructor.build import definitions

    for other in EXERCISES:
        if other == variant.exercise:
            continue
        if form == "py":
            write_module(folder, other, reference(other))
        else:
            write_notebook(folder, other, reference_answers(other))
    text = variant.source()
    if form == "py":
        path = write_module(folder, variant.exercise, text)
    else:
        path = write_notebook(folder, variant.exercise,
                              {name: without_markers(body) for name, body in definitions(text).items()})
    return grade_file(path, variant.exercise, seed=seed)


def named_mistake(exercise, public=False):
    """(mistake, report): the first known mistake of the exercise whose grade names it by its own hint
    (on a public check, where public is True)."""
    from autograder.instructor import mistakes
    from autograder.instructor.grading import run_checks
    from autograder.instructor.settings import KitSettings
    from autograder.sandboxed.probes import observer

    for mistake in mistakes.for_exercise(exercise):
        report = run_checks(exercise, observer(mistakes.namespace(mistake.id)), KitSettings())
        shown = {check.id for check in registry.checks(exercise) if check.public or not public}
        if any(check.misconception == mistake.id and check.id in shown for check in report.checks):
            return mistake, report
    raise LookupError(f"no known mistake of {exercise} is named by its hint")
