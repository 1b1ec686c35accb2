"""Student implementations the tests submit: correct ones written differently, and known mistakes.

Each module is an exercises-style file for one exercise. `notebook_answers`
turns one into the answer-cell sources of the matching release notebook.
"""
import ast
from pathlib import Path

HERE = Path(__file__).parent


def source(name):
    return (HERE / f"{name}.py").read_text()


def notebook_answers(name):
    """{answer cell grade_id (the name it defines): source} for a student module."""
    text = source(name)
    lines = text.splitlines(keepends=True)
    answers, imports = {}, ""
    for node in ast.parse(text).body:
        if isinstance(node, (ast.Import, ast.ImportFrom)) and not getattr(node, "level", 0):
            imports += "".join(lines[node.lineno - 1:node.end_lineno])
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            # the first answer cell carries the module's imports, as a student would write them
            answers[node.name] = ("" if answers else imports + "\n\n") + "".join(lines[node.lineno - 1:node.end_lineno])
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
