"""The seam between the grader and a submission: load a notebook or a .py file into a namespace.

From a notebook only the answer cells (nbgrader solution cells) and the cells
tagged `setup` run, in order, each on its own: a cell that fails is recorded
and the rest still load, so a broken cell costs only the checks that need it.
Scratch cells, plots and test cells are never run.
"""
import json
import linecache
import os
import re
import sys
import types
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .catalog import CATALOG


SUBMISSION_SUFFIXES = (".ipynb", ".py")
# Where the namespace keeps what went wrong while loading, so a probe can explain a missing name.
PROBLEMS = "__kit_load_problems__"


class SubmissionError(Exception):
    """The submission cannot be read at all; the message says why and what to do."""


@dataclass
class Submission:
    path: Path
    exercise: str
    namespace: dict
    problems: list = field(default_factory=list)  # cells or files that failed to run, as messages


@dataclass(frozen=True)
class Target:
    """One submission to grade: a file, its exercise, and the student it belongs to (or None)."""

    path: Path
    exercise: str
    student: str | None


MARKERS = ("submitted", "autograded")


def student_of(path, root=None):
    """The student id in an nbgrader tree: the folder after `submitted` (or `autograded`).

    It is read from the path as found (links are never resolved), and from the top of the tree that was
    handed over (root): the last marker in root itself, else the first one below it. A student cannot
    name a folder of their own `submitted/<someone else>` and be graded as that someone.
    """
    path = Path(os.path.abspath(path))
    root = Path(os.path.abspath(root)) if root is not None else path.parent
    above, below = root.parts, path.parts[len(root.parts):] if path.is_relative_to(root) else ()
    marked = [index for index, part in enumerate(above) if part in MARKERS]
    if marked:
        chain = above[marked[-1] + 1:] + tuple(below)
    else:
        first = next((index for index, part in enumerate(below) if part in MARKERS), None)
        chain = below[first + 1:] if first is not None else ()
    return chain[0] if len(chain) >= 2 else None  # a student's folder, then at least the file


WALK_LIMIT = 20000  # entries looked at under one folder: an upload of many thousands of files is cut short


def discover(paths, exercise=None):
    """Every submission under the given files and folders; a folder keeps only files named after an exercise.

    Returns (targets, skipped): skipped holds (path, why) for files passed over. Links are never
    followed, neither to files nor to folders. Under one folder, each student (or the folder itself,
    where it names no student) has one file per exercise graded: the shallowest, a notebook before a
    .py file; the others are passed over, so that no exercise counts twice.
    """
    targets, skipped = [], []
    for path in map(Path, paths):
        if path.is_symlink() and not path.is_dir():
            skipped.append((path, "it is a link; links are never followed: submit the file itself"))
        elif path.is_dir():
            chosen = {}
            for file in _files_under(path, skipped):
                try:
                    target = Target(file, exercise or infer_exercise(file), student_of(file, root=path))
                except SubmissionError:
                    skipped.append((file, "its name names no exercise"))
                    continue
                key = (target.student, target.exercise)
                if key in chosen and _preference(chosen[key], path) <= _preference(target, path):
                    skipped.append((file, f"{chosen[key].path.name} is graded for {target.exercise} instead"))
                    continue
                if key in chosen:
                    skipped.append((chosen[key].path, f"{file.name} is graded for {target.exercise} instead"))
                chosen[key] = target
            targets += sorted(chosen.values(), key=lambda target: target.path)
        elif path.exists():
            targets.append(Target(path, exercise or infer_exercise(path), student_of(path)))
        else:
            raise SubmissionError(f"{path} does not exist")
    return targets, skipped


def _preference(target, root):
    """Lower is preferred: fewer folders below root, then the names the kit hands out (01_x.ipynb, x.py),
    then a notebook, then the name."""
    file = target.path
    handed_out = re.fullmatch(rf"(\d\d_)?{target.exercise}", file.stem) is not None
    return len(file.relative_to(root).parts), not handed_out, file.suffix != ".ipynb", str(file)


def _files_under(folder, skipped):
    """Notebooks and .py files under folder, in order, without following links or entering hidden folders.

    Each entry of folder (a student's folder, in an nbgrader tree) may hold WALK_LIMIT files: past that,
    the rest of it is passed over, and the other entries are still looked at.
    """
    found, seen, given_up = [], {}, set()
    for top, folders, files in os.walk(folder, followlinks=False):
        relative = Path(top).relative_to(folder).parts
        owner = relative[0] if relative else None
        if owner in given_up:
            folders[:] = []
            continue
        folders[:] = sorted(name for name in folders if not name.startswith((".", "__pycache__")))
        for name in sorted(files):
            key = owner or name
            seen[key] = seen.get(key, 0) + 1
            if seen[key] > WALK_LIMIT:
                skipped.append((folder / key, f"more than {WALK_LIMIT} files; the rest were not looked at"))
                given_up.add(key)
                folders[:] = []
                break
            file = Path(top) / name
            if file.suffix not in SUBMISSION_SUFFIXES or name.startswith(("_", ".")):
                continue
            if file.is_symlink():
                skipped.append((file, "it is a link; links are never followed: submit the file itself"))
            elif file.is_file():
                found.append(file)
    return found


def infer_exercise(path):
    """The exercise id in a file name such as 02_masked_self_attention.ipynb or cross_attention.py."""
    stem = re.sub(r"^\d+_", "", Path(path).stem)
    if stem in CATALOG:
        return stem
    raise SubmissionError(
        f"cannot tell which exercise {Path(path).name} is: name it after one of "
        f"{', '.join(CATALOG)} (for example 01_self_attention.ipynb or self_attention.py), or pass --exercise")


def load(path, exercise=None):
    """Load a notebook or .py submission into a fresh namespace."""
    path = Path(path)
    exercise = exercise or infer_exercise(path)
    if exercise not in CATALOG:
        raise SubmissionError(f"unknown exercise {exercise!r}; choose one of {', '.join(CATALOG)}")
    if not path.is_file():
        raise SubmissionError(f"{path} does not exist")
    if path.suffix == ".ipynb":
        return _load_notebook(path, exercise)
    if path.suffix == ".py":
        return _load_module(path, exercise)
    raise SubmissionError(f"{path.name} is neither a notebook (.ipynb) nor a Python file (.py)")


def answer_cells(notebook):
    """(index, source) of the cells that define the student's code, in order."""
    for index, cell in enumerate(notebook["cells"]):
        if cell.get("cell_type") != "code":
            continue
        metadata = cell.get("metadata", {})
        if metadata.get("nbgrader", {}).get("solution") or "setup" in metadata.get("tags", []):
            source = cell.get("source", "")
            yield index, source if isinstance(source, str) else "".join(source)


def read_notebook(path):
    """The notebook as plain JSON data (nbformat's full validation costs seconds of imports)."""
    try:
        notebook = json.loads(Path(path).read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise SubmissionError(f"{Path(path).name} is not a notebook (not valid JSON: {error}); "
                              "save it again from Jupyter, or start again from the released notebook") from None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise SubmissionError(f"{Path(path).name} is JSON but not a notebook: it has no list of cells")
    if notebook.get("nbformat") != 4:
        raise SubmissionError(f"{Path(path).name} is in notebook format {notebook.get('nbformat')}; "
                              "open and save it in a current Jupyter (format 4)")
    return notebook


def _load_notebook(path, exercise):
    notebook = read_notebook(path)
    namespace = {"__name__": f"submission_{exercise}"}
    problems = _cell_problems(notebook, path.name, exercise)
    with _inside(path.parent):
        for index, source in answer_cells(notebook):
            filename = f"{path.name}, cell {index + 1}"
            problem = _run_source(_without_magics(source), filename, namespace)
            if problem:
                problems.append(problem)
    namespace[PROBLEMS] = problems
    return Submission(path, exercise, namespace, problems)


def _cell_problems(notebook, name, exercise):
    """Answer cells the release has but this notebook lost, or holds twice (each graded part has one, by grade_id)."""
    cells = {}
    for index, cell in enumerate(notebook["cells"]):
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id:
            cells.setdefault(grade_id, []).append(index + 1)
    problems = []
    for part in CATALOG[exercise]:
        found = cells.get(part, [])
        if not found:
            problems.append(f"{name}: the answer cell for {part} is missing; copy it back from the released notebook")
        elif len(found) > 1:
            problems.append(f"{name}: cells {', '.join(map(str, found))} are all the answer cell for {part}; "
                            "only the last one counts, so delete the others")
    return problems


def _load_module(path, exercise):
    """Load a .py file as a module of a package made of its folder, so `from .x import y` finds siblings."""
    package = f"_submission_{abs(hash(str(path.parent.resolve())))}"
    if package not in sys.modules:
        module = types.ModuleType(package)
        module.__path__ = [str(path.parent)]
        sys.modules[package] = module
    namespace = {"__name__": f"{package}.{path.stem}", "__package__": package, "__file__": str(path)}
    problem = _run_source(path.read_text(), str(path), namespace)
    namespace[PROBLEMS] = [problem] if problem else []
    return Submission(path, exercise, namespace, namespace[PROBLEMS])


def _run_source(source, filename, namespace):
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    try:
        code = compile(source, filename, "exec")
    except SyntaxError as error:
        return f"{filename} did not run: syntax error on line {error.lineno}: {error.msg}"
    try:
        exec(code, namespace)
    except Exception as error:
        return f"{filename} did not run: {type(error).__name__}: {error}"
    return None


def _without_magics(source):
    """IPython magics and shell escapes mean nothing outside a kernel: drop them."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


@contextmanager
def _inside(directory):
    previous = os.getcwd()
    os.chdir(directory)
    try:
        yield
    finally:
        os.chdir(previous)


def import_from_notebook(notebook, name):
    """The object called name, defined by the answer cells of another notebook in this folder."""
    path = Path(notebook)
    if not path.is_file():
        raise ImportError(f"{notebook} is not in {Path.cwd()}: exercise 4 uses your {name} from it, "
                          "so keep the notebooks of this assignment together")
    submission = _load_notebook(path, infer_exercise(path))
    if name not in submission.namespace:
        raise ImportError(f"{notebook} defines no {name}")
    return submission.namespace[name]
