"""Regenerate everything that shows the solutions or a stub of them, from solutions/ alone.

The build is STEPS, in order; each step makes {path: text} from the repository and from what the
steps before it made:

  stubs     solutions/X.py ──strip──> exercises/X.py
  answers   solutions/X.py ──copy───> the answer cells of source/attention/NN_X.ipynb
  release   those notebooks ──nbgrader generate_assignment──> release/attention/   (after answers)
  fixtures  solutions/X.py + catalog/X/ ──run──> autograder/fixtures/X.json
  precomputed  solutions/X.py + catalog/X/ + the course's seed ──run──> autograder/instructor/precomputed/X.json
  tables    the registry ──> the tables of notebooks in README.md

`--check` builds the same files in memory (and the release in a temporary
course) and fails, listing them, when any committed file differs. `build EXERCISE…` makes only those
exercises' files (and the README's tables). A whole build that finds nothing changed since the last
one (STAMP: a digest of every file the build reads or writes, and of the tools' versions) does nothing.
"""
import ast
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

from .. import registry
from . import ROOT

ASSIGNMENT = "attention"
SOLUTION_REGION = re.compile(r"^(?P<indent>[ \t]*)### BEGIN SOLUTION\n.*?^[ \t]*### END SOLUTION\n", re.M | re.S)
STUB = "{indent}# YOUR CODE HERE\n{indent}raise NotImplementedError()\n"


def strip_solutions(source):
    """Every solution region becomes the stub nbgrader writes into released cells."""
    return SOLUTION_REGION.sub(lambda match: STUB.format(indent=match["indent"]), source)


def definitions(source):
    """{top-level name: its source text} of a solutions module, trailing indented comments included."""
    lines = source.splitlines(keepends=True)
    found = {}
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            end = node.end_lineno  # the AST ends at the last statement, before a closing `### END SOLUTION`
            while end < len(lines) and (lines[end].startswith((" ", "\t")) or not lines[end].strip()):
                end += 1
            found[node.name] = "".join(lines[node.lineno - 1:end]).rstrip()
    return found


def filled_source_notebook(path, exercise):
    """The source notebook with each answer cell set to the solution of the names in its `kit.defines`."""
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    solution = definitions((ROOT / "solutions" / f"{exercise}.py").read_text())
    for cell in notebook.cells:
        names = cell.metadata.get("kit", {}).get("defines")
        if names:
            cell.source = "\n\n\n".join(solution[name] for name in names)
    return nbformat.writes(notebook) + "\n"


def release_notebooks(source_texts):
    """Run nbgrader generate_assignment on the given source notebooks in a temporary course; {name: text}."""
    with tempfile.TemporaryDirectory(prefix="attention-build-") as course:
        course = Path(course)
        (course / "source" / ASSIGNMENT).mkdir(parents=True)
        for name, text in source_texts.items():
            (course / "source" / ASSIGNMENT / name).write_text(text)
        shutil.copy(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
        completed = subprocess.run(
            [sys.executable, "-m", "nbgrader", "generate_assignment", ASSIGNMENT, "--force"],
            cwd=course, capture_output=True, text=True, env=_environment(NBGRADER_COURSE_ROOT=str(course)))
        if completed.returncode != 0:
            raise RuntimeError(f"nbgrader generate_assignment failed:\n{completed.stdout}{completed.stderr}")
        return {name: (course / "release" / ASSIGNMENT / name).read_text() for name in source_texts}


def _environment(**extra):
    """This environment with the interpreter's own bin/ first on PATH (nbgrader runs `alembic` by name)."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return dict(os.environ, PATH=path, **extra)


def stubs(made, only):
    return {ROOT / "exercises" / f"{exercise}.py": strip_solutions((ROOT / "solutions" / f"{exercise}.py").read_text())
            for exercise in only}


def answers(made, only):
    return {ROOT / "source" / ASSIGNMENT / exercise.notebook:
            filled_source_notebook(ROOT / "source" / ASSIGNMENT / exercise.notebook, exercise.id)
            for exercise in registry.exercises() if exercise.id in only}


def release(made, only):
    sources = {path.name: text for path, text in made.items() if path.parent == ROOT / "source" / ASSIGNMENT}
    return {ROOT / "release" / ASSIGNMENT / name: text for name, text in release_notebooks(sources).items()}


def tables(made, only):
    """The README's tables list every exercise, whichever are built."""
    readme = ROOT / "README.md"
    return {readme: with_tables(readme.read_text())} if readme.is_file() else {}


TABLE = re.compile(r"(<!-- exercises(?: (?P<prefix>\S+))? -->\n).*?(<!-- /exercises -->)", re.S)


def notebook_table(prefix=""):
    """The table of notebooks, one row per exercise: the notebook (under prefix) and what students write."""
    rows = ["| notebook | you write |", "|---|---|"]
    for exercise in registry.exercises():
        parts = ", ".join(f"`{part}`" for part in exercise.parts)
        rows.append(f"| `{prefix}{exercise.notebook}` | {parts}{f' ({exercise.note})' if exercise.note else ''} |")
    return "\n".join(rows) + "\n"


def with_tables(text):
    """text with every region between `<!-- exercises [PREFIX] -->` and `<!-- /exercises -->` made anew."""
    return TABLE.sub(lambda match: match[1] + notebook_table(match["prefix"] or "") + match[3], text)


def fixture_files(made, only):
    from . import fixture_writer  # imports torch: only a build that has work to do pays for it

    return fixture_writer.generated_files(made, only)


def precomputed_files(made, only):
    from . import fixture_writer, precomputed  # torch, as above

    files = fixture_writer.precomputed_files(made, only)
    precomputed.forget()
    return files


# The build, in order. answers comes before release (the release is made from the filled notebooks).
STEPS = [stubs, answers, release, fixture_files, precomputed_files, tables]


def expected_files(only=None):
    """{path: text} of every generated file (or of the exercises in only, and the tables), step by step."""
    only, made = tuple(only or registry.ids()), {}
    for step in STEPS:
        made |= step(made, only)
    return made


STAMP = ROOT / ".build-stamp"  # the digest the last whole build left (ignored by git)
TOOLS = ("torch", "numpy", "nbgrader", "nbconvert", "nbformat")  # their versions change what the build makes


def digest():
    """A digest of what a build reads and writes: the kit's code, the reference, the course's notebooks, the
    generated files, the config, the README, and the versions of Python and the tools the build runs."""
    summary = hashlib.sha256(sys.version.encode())
    for tool in TOOLS:
        summary.update(f"\0{tool} {metadata.version(tool)}".encode())
    patterns = [("autograder", "**/*.py"), ("autograder", "**/*.json"), ("solutions", "*.py"), ("exercises", "*.py"),
                ("source", "**/*.ipynb"), ("release", "**/*.ipynb"), (".", "nbgrader_config.py"), (".", "README.md")]
    for folder, pattern in patterns:
        for path in sorted((ROOT / folder).glob(pattern)):
            if path.is_file() and "__pycache__" not in path.parts:
                summary.update(f"\0{path.relative_to(ROOT).as_posix()}\0".encode() + path.read_bytes())
    return summary.hexdigest()


def main(*, check=False, only=None):
    """Write the generated files (of the exercises in only, when given), or with check=True only report the
    stale ones; returns the exit code. A whole build with nothing changed since the last one does nothing."""
    unknown = sorted(set(only or ()) - set(registry.ids()))
    if unknown:
        print(f"error: no exercise {', '.join(unknown)}; the exercises are {', '.join(registry.ids())}", file=sys.stderr)
        return 2
    whole = not only or set(only) == set(registry.ids())
    if whole and not check and STAMP.is_file() and STAMP.read_text().strip() == digest():
        print("all generated files are up to date (nothing they are made from changed since the last build)")
        return 0
    stale = []
    for path, text in expected_files(only).items():
        if not current(path, text):
            stale.append(path)
            if not check:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
    for path in stale:
        print(f"{'stale' if check else 'wrote'}: {path.relative_to(ROOT)}")
    if whole and not check:
        STAMP.write_text(digest() + "\n")  # after writing: it covers what this build left
    if check and stale:
        print("generated files are out of date: run `python -m autograder build` and commit the result")
        return 1
    if not stale:
        print("all generated files are up to date")
    return 0


def current(path, text):
    """Whether the file at path already holds text. Fixtures and the precomputed answers hold floats, whose last
    bits depend on the machine that wrote them: they compare to a tolerance (fixture_writer.PORTABLE), so a build
    elsewhere neither fails the check nor rewrites them."""
    from .. import fixture_reader
    from . import fixture_writer, precomputed

    if not path.exists():
        return False
    if path.parent in (fixture_reader.FIXTURES, precomputed.FOLDER):
        return fixture_writer.equivalent(path.read_text(), text)
    if path.parent == ROOT / "release" / ASSIGNMENT:
        return _without_python_version(path.read_text()) == _without_python_version(text)
    return path.read_text() == text


def _without_python_version(text):
    """A release notebook's text less the Python version in its language_info. The release carries the
    language_info its kernel reports (so JupyterLab opens it unchanged), version included: a build
    with another patch release of Python is not a change, and the build leaves the notebooks alone."""
    import nbformat

    notebook = nbformat.reads(text, as_version=4)
    notebook.metadata.get("language_info", {}).pop("version", None)
    return nbformat.writes(notebook)
