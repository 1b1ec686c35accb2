"""A corpus of attention implementations modelled on public code, and of bugs reported against such code.

  correct/<source>__<exercise>.py   a correct answer to one exercise, written the way a public source writes it
  bugs/<short_name>.py              a reported bug, as EDITS of one file in correct/

Each file defines only the kit names its source provides; `submission(stem)` completes the
exercise with the reference definitions of the rest, and gives the other exercises as the
reference writes them, so the modules can be written into one folder and graded.
"""
import ast
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent
KIT = ROOT.parent.parent
CORRECT, BUGS = ROOT / "correct", ROOT / "bugs"
MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
COMPLETED = "\n\n# ---- names this entry does not define, completed from the kit's reference ----\n"


def _stems(folder):
    return sorted(path.stem for path in folder.glob("*.py") if not path.name.startswith("_"))


def correct_entries():
    """Stems of the correct implementations, sorted."""
    return _stems(CORRECT)


def bug_entries():
    """Stems of the reported bugs, sorted."""
    return _stems(BUGS)


def _literals(text, filename):
    """{name: value} of the module's top-level assignments whose values are literals (nothing is executed)."""
    found = {}
    for node in ast.parse(text, filename).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                found[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                pass
    return found


def apply_edits(text, edits, where=""):
    """Apply (old, new) pairs in order with str.replace; every old text must occur."""
    for old, new in edits:
        if old not in text:
            raise ValueError(f"{where}: the text to replace does not occur: {old!r}")
        text = text.replace(old, new)
    return text


@cache
def entry(stem):
    """{"stem", "kind", "exercise", "source", "defines"} and, for a bug, "based_on", "edits", "misconception", "report".

    "source" is the module text to grade: the file itself for a correct entry, the based-on
    file with EDITS applied for a bug.
    """
    from autograder import registry

    if (CORRECT / f"{stem}.py").is_file():
        text = (CORRECT / f"{stem}.py").read_text()
        values = _literals(text, stem)
        result = {"stem": stem, "kind": "correct", "exercise": values["EXERCISE"], "source": text}
    elif (BUGS / f"{stem}.py").is_file():
        text = (BUGS / f"{stem}.py").read_text()
        values = _literals(text, stem)
        base = entry(values["BASED_ON"])
        if base["kind"] != "correct":
            raise ValueError(f"bugs/{stem}.py: BASED_ON must name a file in correct/")
        edits = [tuple(pair) for pair in values["EDITS"]]
        result = {"stem": stem, "kind": "bug", "exercise": base["exercise"], "based_on": values["BASED_ON"],
                  "edits": edits, "misconception": values["MISCONCEPTION"],
                  "report": (ast.get_docstring(ast.parse(text)) or "").splitlines()[0],
                  "source": apply_edits(base["source"], edits, f"bugs/{stem}.py")}
    else:
        raise KeyError(f"no corpus entry {stem!r} in {CORRECT} or {BUGS}")
    if result["exercise"] not in registry.ids():
        raise ValueError(f"{stem}: unknown exercise {result['exercise']!r}")
    top_level = {node.name for node in ast.parse(result["source"]).body
                 if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    result["defines"] = [name for name in registry.get(result["exercise"]).parts if name in top_level]
    return result


def _without_markers(text):
    return "".join(line for line in text.splitlines(keepends=True) if line.strip() not in MARKERS)


@cache
def reference_module(exercise):
    """solutions/<exercise>.py with the solution marker lines removed."""
    return _without_markers((KIT / "solutions" / f"{exercise}.py").read_text())


def _imports(exercise):
    """The reference module's own imports (the names its definitions use, another exercise's among them)."""
    text = reference_module(exercise)
    lines = text.splitlines(keepends=True)
    return "".join("".join(lines[node.lineno - 1:node.end_lineno]) for node in ast.parse(text).body
                   if isinstance(node, (ast.Import, ast.ImportFrom)))


def completed_source(stem):
    """The entry's module text followed by the reference definitions of every kit name it does not define."""
    from autograder import registry
    from autograder.instructor.build import definitions

    found = entry(stem)
    exercise = found["exercise"]
    missing = [name for name in registry.get(exercise).parts if name not in found["defines"]]
    text = found["source"].rstrip() + "\n"
    if missing:
        reference = definitions(reference_module(exercise))
        text += COMPLETED + _imports(exercise) + "\n\n" + "\n\n\n".join(reference[name] for name in missing) + "\n"
    return text


def submission(stem):
    """{exercise id: module text} for every exercise: the entry's own exercise completed, the others the reference."""
    from autograder import registry

    own = entry(stem)["exercise"]
    return {exercise: completed_source(stem) if exercise == own else reference_module(exercise)
            for exercise in registry.ids()}


def write_submission(stem, folder):
    """Write submission(stem) as <exercise>.py files into folder; returns the path of the entry's own exercise."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for exercise, text in submission(stem).items():
        (folder / f"{exercise}.py").write_text(text)
    return folder / f"{entry(stem)['exercise']}.py"
