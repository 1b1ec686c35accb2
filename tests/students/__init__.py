"""Student implementations the tests submit: correct ones written differently, and known mistakes.

Each module is an exercises-style file for one exercise. `notebook_answers`
turns one into the answer-cell sources of the matching release notebook.
"""
import ast
import re
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parent.parent


def source(name):
    return (HERE / f"{name}.py").read_text()


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

    from autograder.build import notebook_name

    path = folder / notebook_name(exercise)
    nbformat.write(filled_notebook(ROOT / "release" / "attention" / notebook_name(exercise), answers), path)
    return path


def without_markers(text):
    return re.sub(r"^[ \t]*### (BEGIN|END) SOLUTION\n", "", text, flags=re.M)


def grade_file(path, exercise, seed=7):
    """Every check, public and hidden, on one submission loaded in this process."""
    from autograder import checks
    from autograder.loader import load
    from autograder.probes import observer

    submission = load(path, exercise)
    return checks.run(exercise, observer(submission.namespace), seed=seed)


def grade_variant(folder, misconception, form, seed):
    """A known mistake submitted as a student would, as a .py file or a notebook, beside a correct exercise 2."""
    from autograder.build import definitions

    text = misconception.source()
    reference_02 = (ROOT / "solutions/masked_self_attention.py").read_text()
    if form == "py":
        (folder / "masked_self_attention.py").write_text(reference_02)
        path = write_module(folder, misconception.exercise, text)
    else:
        write_notebook(folder, "masked_self_attention",
                       {name: without_markers(body) for name, body in definitions(reference_02).items()})
        answers = {name: without_markers(body) for name, body in definitions(text).items()}
        path = write_notebook(folder, misconception.exercise, answers)
    return grade_file(path, misconception.exercise, seed=seed)
