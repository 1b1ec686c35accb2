"""Do the notebooks run in real kernels as a student and nbgrader run them?"""
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from autograder import registry
from autograder.instructor.build import definitions
from helpers import FIRST, ROOT, filled_notebook, named_mistake, notebook_answers, without_markers

pytestmark = pytest.mark.slow
SOURCE = sorted((ROOT / "source" / "attention").glob("*.ipynb"))
RELEASE = sorted((ROOT / "release" / "attention").glob("*.ipynb"))


def execute(path, **environment):
    """Run a notebook top to bottom in a fresh python3 kernel; returns (notebook, error or None)."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    previous = {key: os.environ.get(key) for key in environment}
    os.environ.update(environment)
    try:
        client.execute()
        return notebook, None
    except CellExecutionError as error:
        return notebook, error
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def outputs(cell, kind):
    return [output for output in cell.get("outputs", []) if output.output_type == kind]


@pytest.mark.parametrize("path", SOURCE, ids=lambda path: path.name)
def test_source_notebook_runs_and_every_test_cell_earns_its_points(path):
    """Does each source notebook run top to bottom, every test cell passing and scoring its full points?"""
    notebook, error = execute(path, NBGRADER_EXECUTION="autograde")
    assert error is None, error
    graded = [cell for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("grade")]
    for cell in graded:
        score = outputs(cell, "execute_result")[-1]["data"]["text/plain"]
        assert float(score) == cell.metadata["nbgrader"]["points"]
        assert outputs(cell, "error") == [] and all(o.name == "stdout" for o in outputs(cell, "stream"))
        html = outputs(cell, "display_data")[0]["data"]["text/html"]
        assert "<table>" in html and "<script" not in html and " id=" not in html
    pictures = [o for cell in notebook.cells for o in outputs(cell, "display_data") if "image/png" in o.get("data", {})]
    assert pictures, "each notebook draws at least one attention heatmap"


@pytest.mark.parametrize("path", RELEASE, ids=lambda path: path.name)
def test_release_notebook_stops_at_its_first_check_cell(path):
    """Does each release notebook run cleanly up to its first check cell and fail there with NotImplementedError?"""
    notebook, error = execute(path)
    assert error is not None and error.ename == "NotImplementedError"
    first_test = next(i for i, cell in enumerate(notebook.cells) if cell.metadata.get("nbgrader", {}).get("grade"))
    failing = [i for i, cell in enumerate(notebook.cells) if outputs(cell, "error")]
    assert failing == [first_test]
    table = outputs(notebook.cells[first_test], "display_data")[0]["data"]["text/html"]
    assert "not implemented yet" in table
    # the cell says how its points split between these public checks and the hidden ones
    exercise = next(e for e in registry.exercises() if e.notebook == path.name)
    part = notebook.cells[first_test].metadata["nbgrader"]["grade_id"].removeprefix("test_")
    public = sum(check.points for check in registry.checks(exercise.id) if check.part == part and check.public)
    hidden = sum(check.points for check in registry.checks(exercise.id) if check.part == part and not check.public)
    assert f"0 of {public:g} points from these public checks; hidden checks add {hidden:g} more points" in table


def test_nbgrader_validate_passes_on_the_source_notebooks(tmp_path):
    """Does `nbgrader validate` accept every source notebook?"""
    environment = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))
    completed = subprocess.run([sys.executable, "-m", "nbgrader", "validate", *map(str, SOURCE)], cwd=tmp_path,
                               capture_output=True, text=True, env=environment, timeout=600)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert completed.stdout.count("Success! Your notebook passes all the tests.") == len(SOURCE), completed.stdout


def test_validate_tells_what_the_check_cell_tells(tmp_path):
    """On a notebook with a known mistake, does `nbgrader validate` name each failing check, its message and its
    hint, as the check cell's table does?"""
    mistake, report = named_mistake(FIRST.id, public=True)
    answers = {name: without_markers(body) for name, body in definitions(mistake.source()).items()}
    path = tmp_path / FIRST.notebook
    nbformat.write(filled_notebook(ROOT / "release" / "attention" / FIRST.notebook, answers), path)
    environment = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))
    completed = subprocess.run([sys.executable, "-m", "nbgrader", "validate", str(path)], cwd=tmp_path,
                               capture_output=True, text=True, env=environment, timeout=600)
    said = " ".join(completed.stdout.split())
    public = [check for check in report.checks if check.status != "passed" and not check.id.endswith("_hidden")]
    assert public and "did not pass" in said
    for check in public:
        assert check.id.split(".", 1)[1] in said, (check.id, completed.stdout[-3000:])
        assert " ".join(check.hint.split()) in said, (check.id, completed.stdout[-3000:])


def test_warnings_and_stderr_from_student_code_cost_nothing_in_the_kernel(tmp_path):
    """Under nbgrader autograde, does a correct answer that warns and prints to stderr keep every point?"""
    answers = notebook_answers(f"{FIRST.id}_alt")
    part = FIRST.parts[-1]
    header = next(line for line in answers[part].splitlines(keepends=True) if line.lstrip().startswith("def forward("))
    noisy = (header + "        import sys, warnings, os\n"
             "        warnings.warn('a student warning')\n"
             "        print('debugging', file=sys.stderr)\n"
             "        os.write(2, b'raw bytes on fd 2\\n')\n")
    answers[part] = answers[part].replace(header, noisy)
    notebook = nbformat.read(ROOT / "source/attention" / FIRST.notebook, as_version=4)
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution") and grade_id in answers:
            cell.source = answers[grade_id]
    path = tmp_path / FIRST.notebook
    nbformat.write(notebook, path)
    notebook, error = execute(path, NBGRADER_EXECUTION="autograde")
    assert error is None, error
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade"):
            assert [o for o in outputs(cell, "stream") if o.name == "stderr"] == []
            assert float(outputs(cell, "execute_result")[-1]["data"]["text/plain"]) == cell.metadata["nbgrader"]["points"]
