"""End to end through stock nbgrader commands with the repository's config: are scores secure and complete?"""
import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.build import notebook_name
from conftest import EXERCISES, ROOT
from students import filled_notebook, notebook_answers

pytestmark = pytest.mark.slow


def nbgrader(course, *args):
    environment = dict(os.environ, NBGRADER_COURSE_ROOT=str(course),
                       PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))
    completed = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, capture_output=True, text=True,
                               env=environment, timeout=600)
    log = completed.stdout + completed.stderr
    assert "Exception while loading config file" not in log, log  # nbgrader would quietly fall back to its defaults
    assert completed.returncode == 0, log
    return log


def submit(course, student, answers_by_exercise):
    folder = course / "submitted" / student / "attention"
    folder.mkdir(parents=True, exist_ok=True)
    for exercise, answers in answers_by_exercise.items():
        notebook = filled_notebook(course / "release" / "attention" / notebook_name(exercise), answers)
        nbformat.write(notebook, folder / notebook_name(exercise))


def scores(course):
    nbgrader(course, "export")
    with open(course / "grades.csv") as table:
        return {row["student_id"]: float(row["raw_score"]) for row in csv.DictReader(table)}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    shutil.copytree(ROOT / "source", course / "source")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    nbgrader(course, "generate_assignment", "attention", "--force")
    honest = {exercise: notebook_answers(f"{exercise}_alt") for exercise in EXERCISES}
    cheating = dict(honest)
    cheating["self_attention"] = {
        name: "import torch\ntorch.allclose = lambda *a, **k: True\ntorch.testing.assert_close = lambda *a, **k: None\n"
              + body.replace("return F.scaled_dot_product_attention(", "return 0 * F.scaled_dot_product_attention(")
                    .replace('return torch.einsum("...qk,...kd->...qd", weights, value), weights',
                             'return 0 * weights[..., :1] * value[..., :1, :], 0 * weights')
        for name, body in honest["self_attention"].items()}
    crashing = dict(honest)
    crashing["self_attention"] = {name: "import os\nos._exit(1)\n" + body for name, body in honest["self_attention"].items()}
    for student, answers in (("honest", honest), ("cheating", cheating), ("crashing", crashing)):
        submit(course, student, answers)
        nbgrader(course, "db", "student", "add", student)
    nbgrader(course, "autograde", "attention")
    return course


def test_scores_are_earned_not_forged(course):
    """Does the honest student get 40, the cheat nothing for notebook 1's wrong numbers, and the crash keep 30?"""
    graded = scores(course)
    assert graded["honest"] == 40
    assert graded["cheating"] <= 30 + 3  # zeros of the right shape pass the shape and layer checks only
    assert graded["crashing"] == 30


def test_test_cells_hold_the_check_table(course):
    notebook = nbformat.read(course / "autograded/cheating/attention/01_self_attention.ipynb", as_version=4)
    tests = [cell for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("grade")]
    for cell in tests:
        kinds = [output.output_type for output in cell.outputs]
        assert kinds == ["display_data", "execute_result"]
        assert "<table>" in cell.outputs[0]["data"]["text/html"]


def test_feedback_shows_checks_and_hints_but_no_hidden_tests(course):
    nbgrader(course, "generate_feedback", "attention")
    page = (course / "feedback/cheating/attention/01_self_attention.html").read_text()
    assert "values of context differ" in page
    assert "BEGIN HIDDEN TESTS" not in page and "import score" not in page


def test_a_regrade_replaces_stale_grades(course):
    """After the crashing student's notebook is fixed, does autograde --force replace the 0?"""
    fixed = course / "submitted/crashing/attention/01_self_attention.ipynb"
    shutil.copy(course / "submitted/honest/attention/01_self_attention.ipynb", fixed)
    nbgrader(course, "autograde", "attention", "--student", "crashing", "--force")
    assert scores(course)["crashing"] == 40
