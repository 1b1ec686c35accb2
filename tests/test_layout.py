"""Is the boundary you can see the boundary that holds? What runs beside student code imports nothing
outside its folder, what students receive never imports the reference or the instructor's side, and an
exercise is a unit: its own files, and no engine, integration or test module that names it."""
import ast
import fnmatch
import json
import re
import shutil
import subprocess
import sys

import pytest

from autograder import registry
from autograder.instructor import bundle
from autograder.instructor.sandbox import Runtime
from helpers import ROOT

KIT = ROOT / "autograder"
FORBIDDEN_TO_STUDENTS = ("autograder.instructor", "nbgrader", "traitlets")  # the reference included
# The one import across: the command line adds the instructor's verbs where instructor/ is present.
SEAM = {"autograder/__main__.py": {"autograder.instructor", "autograder.instructor.cli"}}


def imports(path, package):
    """Every module a file imports, anywhere in it (functions included), relative imports made absolute."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}  # `from . import x` may import a module
    return found


def package_of(path):
    """The package a file's relative imports start from: its folder's (for __init__.py too)."""
    return ".".join(path.relative_to(ROOT).parent.parts)


def modules(folder):
    return sorted(path for path in folder.rglob("*.py") if "__pycache__" not in path.parts)


def instructor_only(path):
    relative = path.relative_to(KIT)
    return relative.parts[0] == "instructor" or (relative.parts[0] == "catalog" and path.name in registry.INSTRUCTOR_FILES)


def crossing(imported, allowed):
    """The imports outside what allowed(name) accepts."""
    return sorted(name for name in imported if not allowed(name))


def test_the_sandboxed_folder_imports_nothing_outside_it():
    """Does every module the grader copies into the sandbox import only the standard library, torch and its
    own folder?"""
    for path in modules(KIT / "sandboxed"):
        found = imports(path, package_of(path))
        outside = crossing(found, lambda name: name.split(".")[0] in sys.stdlib_module_names or name.split(".")[0] == "torch"
                           or name == "autograder.sandboxed" or name.startswith("autograder.sandboxed."))
        assert outside == [], (path.name, outside)


def test_what_students_receive_never_imports_the_reference_or_the_instructors_side():
    """Does no module of the student side import solutions/, instructor/, an exercise's hidden checks or known
    mistakes, nbgrader or traitlets, even inside a function?"""
    for path in modules(KIT):
        if instructor_only(path):
            continue
        found = imports(path, package_of(path)) - SEAM.get(path.relative_to(ROOT).as_posix(), set())
        bad = [name for name in found if name.startswith(FORBIDDEN_TO_STUDENTS) or
               re.fullmatch(r"autograder\.catalog\.\w+\.(hidden|mistakes)(\..*)?", name)]
        assert bad == [], (path.relative_to(ROOT).as_posix(), bad)


def test_the_import_walk_sees_a_crossing(tmp_path):
    """Would the walk above see an import of the reference hidden in a function, and a relative one?"""
    folder = tmp_path / "autograder" / "sandboxed"
    folder.mkdir(parents=True)
    (folder / "leak.py").write_text("def f():\n    from ..instructor import reference\n"
                                    "    import autograder.instructor.solutions.x\n")
    found = imports(folder / "leak.py", "autograder.sandboxed")
    assert {"autograder.instructor.reference", "autograder.instructor.solutions.x"} <= found


def top_level_imports(path):
    """The top-level packages of solutions/ or exercises/ a file imports or names to importlib, by those names."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else \
            [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
        found |= {name for name in names if re.match(r"(solutions|exercises)(\.|$)", name)}
        if isinstance(node, ast.Constant) and isinstance(node.value, str):  # a module's name, for importlib
            found |= {node.value for _ in [0] if re.match(r"(solutions|exercises)\.\w*$", node.value)}
    return found


def test_the_reference_has_one_import_name_and_the_stubs_none(tmp_path):
    """Do the kit, its tests and benchmarks import the reference only as autograder.instructor.solutions (what the
    wheel installs, and what setup.py maps solutions/ to) and the stubs of exercises/ never, so that nothing works
    in the checkout only because its folder happens to be on sys.path?"""
    for folder in (KIT, ROOT / "tests", ROOT / "benchmarks"):
        for path in modules(folder):
            if path.is_relative_to(ROOT / "tests" / "students") or path.is_relative_to(ROOT / "tests" / "corpus"):
                continue  # submissions: they import what a student's file does
            if path == ROOT / "tests" / "test_layout.py":
                continue  # it spells the names it looks for
            assert top_level_imports(path) == set(), path.relative_to(ROOT).as_posix()
    leak = tmp_path / "leak.py"  # the walk sees each way in
    leak.write_text('import importlib\nimport solutions.x\nfrom exercises import y\n'
                    'importlib.import_module(f"solutions.{name}")\n')
    assert top_level_imports(leak) == {"solutions.x", "exercises", "solutions."}


# Modules that hand each verb or hook the modules it needs when it runs: the command line (a student's `check`
# never loads the instructor's side), and pytest's plugin (loaded into every pytest run, --attention or not).
DISPATCHERS = {"autograder/__main__.py", "autograder/instructor/cli.py", "autograder/pytest_plugin.py"}
# What an import inside a function may put off: torch above all (the grader imports it while its workers boot
# theirs), and libraries only one path needs.
COSTLY = ("torch", "numpy", "matplotlib", "nbgrader", "traitlets", "nbformat", "nbconvert", "nh3", "defusedcsv",
          "pyseccomp", "IPython", "ipykernel")
TRIPWIRE = """
import importlib, importlib.util, json, sys
class Costly(BaseException):
    pass
class Tripwire:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in COSTLY:
            raise Costly(name)
        return None
sys.meta_path.insert(0, Tripwire())
costly = {}
for name in NAMES:
    try:
        importlib.import_module(name)
    except Costly as loaded:
        costly[name] = str(loaded)
print(json.dumps(costly))
"""


def function_imports(path):
    """(line, module) of every import inside a function of the file, each name resolved to the module it is."""
    package, found = package_of(path), []
    for function in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.Import):
                found += [(node.lineno, alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[:len(package.split(".")) - node.level + 1]
                    base = ".".join(parts + ([node.module] if node.module else []))
                for alias in node.names:  # `from . import x` imports the module x; `from .y import z` imports y
                    submodule = f"{base}.{alias.name}"
                    found.append((node.lineno, submodule if (ROOT / submodule.replace(".", "/")).with_suffix(".py").exists()
                                  or (ROOT / submodule.replace(".", "/")).is_dir() else base))
    return found


def costly_modules(names):
    """{name: the costly module its import reaches} for those of names whose import loads one of COSTLY (seen by
    a tripwire in a fresh interpreter, so nothing costly is actually loaded)."""
    script = TRIPWIRE.replace("COSTLY", repr(COSTLY)).replace("NAMES", repr(sorted(names)))
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def test_an_import_inside_a_function_puts_off_only_what_costs():
    """Is every import inside a function of the kit one that puts off a cost (a module whose import loads torch
    or another costly library), or in a module that dispatches verbs, and never one of the standard library, so
    that an import at the top says what a module needs?"""
    found = [(path.relative_to(ROOT).as_posix(), line, name) for path in modules(KIT) for line, name in function_imports(path)]
    assert len(found) > 10
    assert [row for row in found if row[2].split(".")[0] in sys.stdlib_module_names] == []
    judged = [row for row in found if row[0] not in DISPATCHERS]
    costly = costly_modules({name for _, _, name in judged})
    assert [f"{path}:{line} {name}" for path, line, name in judged if name not in costly] == []


def test_the_tripwire_tells_a_costly_import_from_a_cheap_one():
    """Does the check above see torch behind a kit module that imports it, and nothing behind one that does not?"""
    costly = costly_modules({"autograder.sandboxed.wire", "autograder.registry", "json"})
    assert costly.get("autograder.sandboxed.wire") == "torch" and "autograder.registry" not in costly and "json" not in costly


def import_graph():
    """{module: the kit's modules it imports, inside functions too}; a package's __init__ counts as the package."""
    names = {".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): path for path in modules(KIT)}
    return {name: {other for other in imports(path, package_of(path)) if other in names and other != name}
            for name, path in names.items()}


def strongly_connected(graph):
    """Every set of modules that import one another in a ring (Tarjan's strongly connected components of more than
    one module), each as a sorted list."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            part = []
            while not part or part[-1] != node:
                part.append(stack.pop())
                on_stack.discard(part[-1])
            if len(part) > 1:
                found.append(sorted(part))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_two_modules_of_the_kit_import_each_other():
    """Is the kit's import graph, counting imports inside functions, free of cycles, so that each module can be
    read knowing only what it imports?"""
    graph = import_graph()
    assert len(graph) > 40
    assert strongly_connected(graph) == []


def test_the_cycle_check_sees_a_cycle_through_a_function():
    """Would the check above see a cycle closed by an import inside a function?"""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert strongly_connected(graph) == [["a", "b", "c"]]


def test_the_sandbox_and_the_student_kit_hold_the_student_side_only():
    """Is what a worker receives exactly autograder/sandboxed/, and does the student kit hold no module that
    imports the reference or the instructor's side?"""
    runtime = Runtime()
    try:
        copied = {path.relative_to(runtime.path).as_posix() for path in runtime.path.rglob("*") if path.is_file()}
    finally:
        runtime.close()
    expected = {f"autograder/sandboxed/{path.relative_to(KIT / 'sandboxed').as_posix()}" for path in modules(KIT / "sandboxed")}
    assert copied == expected | {"autograder/__init__.py"}
    contents = bundle.files()
    shipped = [name for name in contents if name.endswith(".py")]
    assert any(name.startswith("autograder/catalog/") for name in shipped)
    for name in shipped:
        tree = ast.parse(contents[name])
        for node in ast.walk(tree):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
            assert not [n for n in names if n.startswith(FORBIDDEN_TO_STUDENTS)], name
            if isinstance(node, ast.ImportFrom) and node.level and name not in SEAM:
                assert "instructor" not in (node.module or "") and node.module not in ("hidden", "mistakes"), name


# What one exercise is, file by file. Everything else discovers it through autograder/registry.py.
def files_of(exercise):
    """(written by hand, made by `build`) for one exercise."""
    written = [f"solutions/{exercise.id}.py", f"source/attention/{exercise.notebook}",
               *(f"autograder/catalog/{exercise.id}/{name}" for name in registry.PUBLIC_FILES + registry.INSTRUCTOR_FILES)]
    made = [f"exercises/{exercise.id}.py", f"release/attention/{exercise.notebook}",
            f"autograder/fixtures/{exercise.id}.json"]
    return written, made


@pytest.mark.parametrize("exercise", registry.exercises(), ids=lambda exercise: exercise.id)
def test_an_exercise_is_its_own_files(exercise):
    """Does each exercise have exactly its solutions module, source notebook and catalog folder (and what the
    build makes of them), with nothing else in its folder?"""
    written, made = files_of(exercise)
    assert [name for name in written + made if not (ROOT / name).is_file()] == []
    folder = {path.name for path in (KIT / "catalog" / exercise.id).glob("*.py")}
    assert folder == set(registry.PUBLIC_FILES + registry.INSTRUCTOR_FILES)


@pytest.mark.parametrize("exercise", registry.exercises(), ids=lambda exercise: exercise.id)
def test_an_exercise_has_every_file_the_checklist_names(exercise):
    """Does each exercise have every file of `new`'s checklist (scaffold.OBLIGATIONS), and at least one correct
    variant; and does a missing one fail with its path and what to put in it, not a bare error elsewhere?"""
    from autograder.instructor import known_mistakes as mistakes, scaffold

    missing = [f"{path.relative_to(ROOT)}: {what}" for path, what in scaffold.obligations(exercise.id, exercise.notebook)
               if not path.is_file()]
    assert missing == [], "missing (python -m autograder new lays each out): " + "; ".join(missing)
    assert mistakes.variants_for(exercise.id), (f"autograder/catalog/{exercise.id}/mistakes.py declares no VARIANTS: "
                                                "a correct but less precise edit of the reference the tolerances pass")


def test_no_two_modules_share_a_name():
    """Outside each exercise's own folder (whose files are named by the layout: public.py, hidden.py, mistakes.py),
    does every module of the kit have a name of its own, none of them an exercise file's, so that a name says which
    module and which audience it is?"""
    own = set(registry.PUBLIC_FILES + registry.INSTRUCTOR_FILES) - {"__init__.py"}
    catalog = [KIT / "catalog" / exercise.id for exercise in registry.exercises()]
    names = {}
    for path in modules(KIT):
        if path.name != "__init__.py" and not any(folder in path.parents for folder in catalog):
            names.setdefault(path.name, []).append(path.relative_to(ROOT).as_posix())
    assert {name: paths for name, paths in names.items() if len(paths) > 1 or name in own} == {}


def places_that_must_not_name_an_exercise():
    """Engine, integrations and tests: every file that is not an exercise's own place or data."""
    own = [KIT / "catalog" / exercise.id for exercise in registry.exercises()]
    places = [path for path in modules(KIT) if not any(folder in path.parents for folder in own)]
    places += modules(ROOT / "benchmarks") + [ROOT / "nbgrader_config.py", ROOT / "Makefile", ROOT / ".ci" / "run"]
    places += sorted((ROOT / "tests").glob("*.py")) + [ROOT / "tests" / "corpus" / "__init__.py"]
    return places


def naming(words):
    """A search for any of the words, whole (an id written in a string counts; a longer word does not)."""
    return re.compile(r"(?<![\w.])(" + "|".join(map(re.escape, sorted(words, key=len, reverse=True))) + r")(?![\w])")


EXERCISE_IDS = naming(registry.ids())
# what only one exercise knows: its id, the names it grades (classes, functions) and its checks' ids
EXERCISE_NAMES = naming(set(registry.ids()) | {part for exercise in registry.exercises() for part in exercise.parts}
                        | {check.id for exercise in registry.ids() for check in registry.checks(exercise)})


def test_no_engine_integration_or_test_module_names_an_exercise():
    """Outside each exercise's own files (and the course's own tests in tests/course/ and the data beside
    them), does no file name an exercise id, so that adding one is adding its files?"""
    named = {path.relative_to(ROOT).as_posix(): sorted(set(EXERCISE_IDS.findall(path.read_text())))
             for path in places_that_must_not_name_an_exercise()}
    assert {place: ids for place, ids in named.items() if ids} == {}


def test_the_sandboxed_folder_names_no_exercise_class_or_check():
    """Is what runs beside student code exercise-neutral: no exercise id, graded class or function name, or check
    id in autograder/sandboxed/, so that an exercise's features are declared by the exercise?"""
    named = {path.name: sorted(set(EXERCISE_NAMES.findall(path.read_text())))
             for path in sorted((KIT / "sandboxed").glob("*.py"))}
    assert {place: names for place, names in named.items() if names} == {}


def test_the_name_searches_would_find_a_named_exercise(tmp_path):
    """Would the searches above see an id or a graded name written in a string or code, and leave a longer word
    alone?"""
    first = registry.exercises()[0]
    assert EXERCISE_IDS.findall(f'x = "{first.id}"') == [first.id]
    assert EXERCISE_IDS.findall(f"{first.id}_alt_more") == []
    check = registry.checks(first.id)[0].id
    assert EXERCISE_NAMES.findall(f'"{check}" {first.parts[-1]}(x)') == [check, first.parts[-1]]
    assert EXERCISE_NAMES.findall(f"My{first.parts[-1]}2") == []


def test_every_test_states_its_question():
    """Does every test function carry a docstring that asks what it checks (a sentence ending in '?')?"""
    silent = []
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                if "?" not in (ast.get_docstring(node) or ""):
                    silent.append(f"{path.relative_to(ROOT)}::{node.name}")
    assert silent == []


def test_the_student_kit_knows_the_instructors_verbs_by_name():
    """Are the verbs the student kit answers "for instructors" exactly the verbs instructor/cli.py adds?"""
    import argparse

    from autograder import __main__ as command_line
    from autograder.instructor import cli

    verbs = argparse.ArgumentParser().add_subparsers()
    cli.add_verbs(verbs)
    assert set(verbs.choices) == set(command_line.INSTRUCTOR_VERBS)


def git(*args):
    if shutil.which("git") is None:
        pytest.skip("needs git, to read the repository's history")
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)


def owned_by(exercise, path):
    """Is path one of the exercise's own files, its data and samples, or a file the build makes of them?"""
    written, made = files_of(exercise)
    return (path in written + made or path.startswith(f"autograder/catalog/{exercise.id}/")
            or path in (f"tests/students/{exercise.id}_alt.py", f"tests/course/test_{exercise.id}.py",
                        f"benchmarks/{exercise.id}.py")
            or fnmatch.fnmatch(path, f"tests/corpus/*/*__{exercise.id}.py")
            or fnmatch.fnmatch(path, f"samples/submitted/*/attention/{exercise.notebook}"))


def generated_regions_only(commit, path):
    """Does the commit change path only between `<!-- exercises -->` markers, the regions build writes?"""
    lines = git("show", f"{commit}:{path}").stdout.splitlines()
    opened = [index + 1 for index, line in enumerate(lines) if line.startswith("<!-- exercises")]
    closed = [index + 1 for index, line in enumerate(lines) if line.startswith("<!-- /exercises")]
    regions = list(zip(opened, closed))
    for start, count in re.findall(r"^@@ -\S+ \+(\d+)(?:,(\d+))? @@", git("show", "-U0", "--format=", commit, "--", path).stdout, re.M):
        first, last = int(start), int(start) + max(int(count or 1), 1) - 1
        if not any(low < first and last < high for low, high in regions):
            return False
    return True


def test_the_newest_exercise_was_added_as_its_own_files():
    """Did the commit that added the newest exercise change nothing but that exercise's own files and what the build
    makes of them (the README only in its generated tables), so that the kit grew by addition?"""
    newest = max(registry.exercises(), key=lambda exercise: exercise.number)
    if git("rev-parse", "--is-shallow-repository").stdout.strip() != "false":
        pytest.skip("needs the repository's whole history (a git clone that is not shallow)")
    added = git("log", "--diff-filter=A", "--format=%H", "--", f"autograder/catalog/{newest.id}/__init__.py").stdout.split()
    assert added, f"no commit in the history added {newest.id}'s catalog folder"
    commit = added[-1]
    changed = git("show", "--format=", "--name-only", commit).stdout.split()
    assert f"solutions/{newest.id}.py" in changed
    foreign = [path for path in changed if not owned_by(newest, path)
               and not (path == "README.md" and generated_regions_only(commit, path))]
    assert foreign == []


def test_the_file_list_check_sees_a_foreign_file():
    """Would the check above object to a shared file or a README line outside the generated tables?"""
    newest = max(registry.exercises(), key=lambda exercise: exercise.number)
    assert owned_by(newest, f"autograder/catalog/{newest.id}/public.py")
    assert owned_by(newest, f"samples/submitted/ada/attention/{newest.notebook}")
    assert not owned_by(newest, "autograder/engine.py") and not owned_by(newest, "tests/test_checks.py")
    if git("rev-parse", "--is-shallow-repository").stdout.strip() != "false":
        pytest.skip("needs the repository's whole history (a git clone that is not shallow)")
    readme_prose = git("log", "--format=%H", "-G", "Gradescope autograder give the same scores", "--", "README.md").stdout.split()
    assert readme_prose and not generated_regions_only(readme_prose[0], "README.md")
