"""Is solution code written once, kept out of everything students get, and is every generated file current?"""
import shutil

import nbformat
import pytest

from autograder import registry
from autograder.instructor.build import definitions, strip_solutions
from helpers import EXERCISES, ROOT, run_kit, solution_lines

STUDENT_FILES = sorted((ROOT / "release").rglob("*.ipynb")) + sorted((ROOT / "exercises").glob("*.py"))


def code_lines(path):
    if path.suffix == ".ipynb":
        text = "\n".join(cell.source for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code")
    else:
        text = path.read_text()
    return {line.split("#")[0].strip() for line in text.splitlines()}


def test_strip_solutions_keeps_indentation_and_everything_else():
    """Does every solution region become the nbgrader stub at the region's own indentation?"""
    text = ("def f(x):\n    \"\"\"Doc.\"\"\"\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n\n\n"
            "class A:\n    def g(self):\n        ### BEGIN SOLUTION\n        y = 1\n        return y\n        ### END SOLUTION\n")
    assert strip_solutions(text) == (
        "def f(x):\n    \"\"\"Doc.\"\"\"\n    # YOUR CODE HERE\n    raise NotImplementedError()\n\n\n"
        "class A:\n    def g(self):\n        # YOUR CODE HERE\n        raise NotImplementedError()\n")


def test_definitions_include_the_closing_marker():
    """Does a top-level definition's text run to its `### END SOLUTION`, which the AST leaves out?"""
    found = definitions("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n\n\nX = 1\n")
    assert found == {"f": "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION"}


@pytest.mark.parametrize("path", STUDENT_FILES, ids=lambda path: path.name)
def test_student_files_hold_no_solution_and_no_hidden_tests(path):
    """Does no file a student receives contain a line of solution code or a hidden test?"""
    text = path.read_text()
    assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
    assert "autograder.instructor" not in text
    leaked = solution_lines() & code_lines(path)
    assert leaked == set()


@pytest.mark.parametrize("exercise", EXERCISES)
def test_source_keeps_solutions_and_hidden_tests(exercise):
    """Does each source notebook hold the full solution of its exercise and a hidden-tests region per test cell?"""
    path = ROOT / "source" / "attention" / registry.get(exercise).notebook
    notebook = nbformat.read(path, as_version=4)
    code = "\n".join(cell.source for cell in notebook.cells)
    tests = [cell for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("grade")]
    assert tests and all("### BEGIN HIDDEN TESTS" in cell.source for cell in tests)
    # one test cell per part, named test_<part>, worth what the part's checks are worth
    points = {part: sum(check.points for check in registry.checks(exercise) if check.part == part)
              for part in registry.get(exercise).parts}
    assert {cell.metadata["nbgrader"]["grade_id"]: cell.metadata["nbgrader"]["points"] for cell in tests} == \
        {f"test_{part}": value for part, value in points.items()}
    for body in definitions((ROOT / "solutions" / f"{exercise}.py").read_text()).values():
        assert body in code


def test_exercises_match_solutions_outside_the_regions():
    """Are exercises/*.py the solutions with only the regions replaced (same API, same docstrings)?"""
    for exercise in EXERCISES:
        solution = (ROOT / "solutions" / f"{exercise}.py").read_text()
        assert (ROOT / "exercises" / f"{exercise}.py").read_text() == strip_solutions(solution)


def test_build_check_passes_on_the_committed_tree():
    """Is every generated file (exercises, answer cells, fixtures, release) up to date?"""
    completed = run_kit("build", "--check")
    assert completed.returncode == 0, completed.stdout + completed.stderr


def _files(folder):
    """{path: (modification time, size)} of every file under folder."""
    return {path: (path.stat().st_mtime_ns, path.stat().st_size) for path in folder.rglob("*") if path.is_file()}


def test_build_check_fails_when_a_solution_changes(tmp_path):
    """After an edit to solutions/, does `build --check` fail and name the stale files, does `build EXERCISE` write
    exactly those and touch nothing else, and does a build with nothing to do then rewrite no file?"""
    copy = tmp_path / "course"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".venv", ".git", "__pycache__", "gradebook.db", "samples",
                                                              ".build-stamp", "out"))
    last, others = registry.exercises()[-1], registry.exercises()[:-1]
    solution = copy / "solutions" / f"{last.id}.py"
    header = next(iter(definitions(solution.read_text()).values())).splitlines()[0]  # `def …:` or `class …:`
    solution.write_text(solution.read_text().replace(header, header + "  # edited", 1))
    completed = run_kit("build", "--check", cwd=copy)
    assert completed.returncode == 1
    # and the reference's precomputed answers, which say what solution they were made from
    stale = {f"exercises/{last.id}.py", f"source/attention/{last.notebook}", f"release/attention/{last.notebook}",
             f"autograder/instructor/precomputed/{last.id}.json"}
    for path in stale:
        assert f"stale: {path}" in completed.stdout
    for other in others:
        assert other.notebook not in completed.stdout and f"exercises/{other.id}.py" not in completed.stdout

    before = _files(copy)
    completed = run_kit("build", last.id, cwd=copy)
    assert completed.returncode == 0, completed.stderr
    after = _files(copy)
    touched = {path.relative_to(copy).as_posix() for path in after if before.get(path) != after[path]}
    assert touched == stale and {f"wrote: {path}" for path in stale} <= set(completed.stdout.splitlines())

    assert run_kit("build", cwd=copy).returncode == 0  # a whole build: nothing left to write, and it says so
    before = _files(copy)
    completed = run_kit("build", cwd=copy)
    assert completed.returncode == 0 and "nothing they are made from changed" in completed.stdout
    assert _files(copy) == before
    assert run_kit("build", "no_such_exercise", cwd=copy).returncode == 2


def test_the_sample_class_holds_no_markers_of_the_reference():
    """Do the sample students' notebooks read as students' work: no `### BEGIN/END SOLUTION` or hidden-test marker
    left from the reference they were made from?"""
    markers = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
    samples = sorted((ROOT / "samples" / "submitted").rglob("*.ipynb"))
    assert samples
    found = [(path.relative_to(ROOT).as_posix(), marker) for path in samples
             for marker in markers if marker in path.read_text()]
    assert found == []
