"""The seam between the grader and a submission: load a notebook or a .py file into a namespace.

From a notebook only the answer cells (nbgrader solution cells) and the cells
tagged `setup` run, in order, each on its own: a cell that fails is recorded
and the rest still load, so a broken cell costs only the checks that need it.
Scratch cells, plots and test cells are never run.
"""
import ast
import json
import linecache
import os
import re
import signal
import sys
import threading
import tokenize
import types
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path


SUBMISSION_SUFFIXES = (".ipynb", ".py")
# How deep a notebook's JSON may nest: Jupyter's own nests about ten deep; nbformat, which nbgrader reads notebooks
# with, fails at a few hundred (Python's recursion limit), so every path refuses deeper ones alike, with this reason.
NESTING_LIMIT = 100
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


def load(path, exercise, parts=()):
    """Load a notebook or .py submission of the exercise into a fresh namespace; parts are the names its
    answer cells define (a notebook that lost or doubled one says so in the problems)."""
    path = Path(path)
    if not path.is_file():
        raise SubmissionError(f"{path} does not exist")
    if path.suffix == ".ipynb":
        return _load_notebook(path, exercise, parts)
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
    except RecursionError:  # nested deeper than the interpreter's recursion limit: the decoder's own check
        notebook = None
    if notebook is None or _deeper_than(notebook, NESTING_LIMIT):
        raise SubmissionError(f"{Path(path).name} is not a notebook the grader can read: its JSON is nested more "
                              f"than {NESTING_LIMIT} deep; save it again from Jupyter, or start again from the "
                              "released notebook") from None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise SubmissionError(f"{Path(path).name} is JSON but not a notebook: it has no list of cells")
    if notebook.get("nbformat") != 4:
        raise SubmissionError(f"{Path(path).name} is in notebook format {notebook.get('nbformat')}; "
                              "open and save it in a current Jupyter (format 4)")
    return notebook


def _deeper_than(value, limit):
    """Whether JSON data nests lists and objects more than limit deep (counted without recursion)."""
    stack = [(value, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            if depth >= limit:
                return True
            stack.extend((inner, depth + 1) for inner in (value.values() if isinstance(value, dict) else value))
    return False


def _load_notebook(path, exercise, parts):
    notebook = read_notebook(path)
    namespace = {"__name__": f"submission_{exercise}"}
    problems = _cell_problems(notebook, path.name, parts)
    with _inside(path.parent):
        for index, source in answer_cells(notebook):
            filename = f"{path.name}, cell {index + 1}"
            problem = _run_source(_without_magics(source), filename, namespace)
            if problem:
                problems.append(problem)
    namespace[PROBLEMS] = problems
    return Submission(path, exercise, namespace, problems)


def _cell_problems(notebook, name, parts):
    """Answer cells the release has but this notebook lost, or holds twice (each graded part has one, by grade_id)."""
    cells = {}
    for index, cell in enumerate(notebook["cells"]):
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id:
            cells.setdefault(grade_id, []).append(index + 1)
    problems = []
    for part in parts:
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
    source, problem = _source(path)
    if problem:
        raise SubmissionError(problem)
    problems = _siblings(path, package, source)
    problem = _run_source(source, str(path), namespace)
    namespace[PROBLEMS] = problems + ([problem] if problem else [])
    return Submission(path, exercise, namespace, namespace[PROBLEMS])


def _siblings(path, package, source):
    """Load the sibling files that source imports by `from .sibling import names` first, as far as each runs, so
    that a sibling that is missing or fails (another exercise's file) costs only what uses the names it could
    not give: each such name becomes a class that raises ImportError when built. Problems, as messages."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []  # _run_source says what is wrong with it
    problems = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.ImportFrom) and node.level == 1 and node.module and "." not in node.module):
            continue
        name = f"{package}.{node.module}"
        sibling = path.parent / f"{node.module}.py"
        why = None
        if name not in sys.modules:
            module = types.ModuleType(name)
            module.__dict__.update(__package__=package, __file__=str(sibling))
            sys.modules[name] = module  # before it runs, as the import system does, for imports in a circle
            if not sibling.is_file():
                why = f"there is no {sibling.name} beside {path.name}"
            else:
                text, why = _source(sibling)
                if not why:
                    problems += _siblings(sibling, package, text)
                    with _time_limit(SIBLING_SECONDS, f"{sibling.name} ran for more than {SIBLING_SECONDS} s"):
                        why = _run_source(text, str(sibling), module.__dict__)
        module = sys.modules[name]
        wanted = [alias.name for alias in node.names if alias.name != "*"]
        for each in wanted:
            if not hasattr(module, each):
                setattr(module, each, _unavailable(each, why or f"{sibling.name} defines no {each}"))
        missing = [each for each in wanted if hasattr(getattr(module, each), "__kit_unavailable__")]
        if missing:
            them = "them" if len(missing) > 1 else "it"
            problems.append(f"{path.name} imports {', '.join(missing)} from {sibling.name}, which could not give "
                            f"{them} ({getattr(module, missing[0]).__kit_unavailable__}): only what uses {them} fails")
    return problems


SIBLING_SECONDS = 5  # a sibling's top level (another exercise's demo, say) may not spend this file's load time


def _source(path):
    """(text, None), or (None, why) for a file that is not text in its declared encoding (UTF-8 by default)."""
    try:
        with tokenize.open(path) as file:
            return file.read(), None
    except (UnicodeDecodeError, SyntaxError) as error:
        return None, (f"{path.name} is not text in its encoding ({error}): save it as UTF-8, or declare its "
                      "encoding in a `# -*- coding: … -*-` line")


@contextmanager
def _time_limit(seconds, message):
    """Raise TimeoutError(message) in the block after seconds (main thread only; elsewhere, no limit)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(*_):
        raise TimeoutError(message)

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _unavailable(name, why):
    """A class that stands where an import failed, and says why when something builds or calls it."""
    def refuse(*args, **kwargs):
        raise ImportError(f"{name} could not be imported: {why}")

    return type(name, (), {"__init__": refuse, "__call__": refuse, "__kit_unavailable__": why})


def _run_source(source, filename, namespace):
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    try:
        code = compile(source, filename, "exec")
    except SyntaxError as error:
        return f"{filename} did not run: syntax error on line {error.lineno}: {error.msg}"
    try:
        exec(code, namespace)
    except SystemExit as error:  # exit() at the top of a file ends that file, not the grading of the rest
        return f"{filename} did not run: it called exit({error.code!r}) at load"
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
    """The object called name, defined by the answer cells of another notebook in this folder.

    The notebook is read from its file: what it holds is what was last saved.
    """
    path = Path(notebook)
    if not path.is_file():
        raise ImportError(f"{notebook} is not in {Path.cwd()}: this notebook uses your {name} from it, "
                          "so keep the notebooks of this assignment together")
    submission = _load_notebook(path, re.sub(r"^\d+_", "", path.stem), ())
    if name not in submission.namespace:
        raise ImportError(f"{notebook} defines no {name}")
    return submission.namespace[name]
