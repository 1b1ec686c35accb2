"""End to end through stock nbgrader commands with the repository's config: are scores secure and complete?"""
import csv
import html
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder import registry
from autograder.instructor.build import definitions
from helpers import EXERCISES, FIRST, ROOT, filled_notebook, named_mistake, notebook_answers, without_markers

TOTAL = 10 * len(EXERCISES)

pytestmark = pytest.mark.slow


def nbgrader(course, *args):
    environment = dict(os.environ, NBGRADER_COURSE_ROOT=str(course),
                       PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))
    completed = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, capture_output=True, text=True,
                               env=environment, timeout=600)
    log = completed.stdout + completed.stderr
    assert "Exception while loading config file" not in log, log  # nbgrader would quietly fall back to its defaults
    assert completed.returncode == 0, log
    assert "SAWarning" not in log, log  # the gradebook's SQLAlchemy noise, which the config filters
    return log


def submit(course, student, answers_by_exercise):
    folder = course / "submitted" / student / "attention"
    folder.mkdir(parents=True, exist_ok=True)
    for exercise, answers in answers_by_exercise.items():
        notebook = filled_notebook(course / "release" / "attention" / registry.get(exercise).notebook, answers)
        nbformat.write(notebook, folder / registry.get(exercise).notebook)


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
    # a known mistake in notebook 1, with the judges' tools patched in the student's kernel: it must earn
    # exactly what the mistake earns without them (its twin)
    mistake, _ = named_mistake(FIRST.id)
    wrong = {name: without_markers(body) for name, body in definitions(mistake.source()).items()}
    twin = dict(honest, **{FIRST.id: wrong})
    cheating = dict(honest, **{FIRST.id: {
        name: "import torch\ntorch.allclose = lambda *a, **k: True\ntorch.testing.assert_close = lambda *a, **k: None\n"
              "torch.equal = lambda *a, **k: True\n" + body for name, body in wrong.items()}})
    crashing = dict(honest, **{FIRST.id: {name: "import os\nos._exit(1)\n" + body for name, body in honest[FIRST.id].items()}})
    for student, answers in (("honest", honest), ("twin", twin), ("cheating", cheating), ("crashing", crashing)):
        submit(course, student, answers)
        nbgrader(course, "db", "student", "add", student)
    nbgrader(course, "autograde", "attention")
    return course


def test_scores_are_earned_not_forged(course):
    """Does the honest student get every point, the cheat no more than the same mistake without the patches,
    and the student whose notebook 1 crashes keep the other notebooks' points?"""
    graded = scores(course)
    assert graded["honest"] == TOTAL
    assert graded["twin"] < TOTAL and graded["cheating"] == graded["twin"]
    assert graded["crashing"] == TOTAL - 10


def test_test_cells_hold_the_check_table(course):
    """Does each graded test cell hold the check table (HTML) and its score, as SaveAutoGrades reads it?"""
    notebook = nbformat.read(course / "autograded/cheating/attention" / FIRST.notebook, as_version=4)
    tests = [cell for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("grade")]
    for cell in tests:
        kinds = [output.output_type for output in cell.outputs]
        assert kinds == ["display_data", "execute_result"]
        recorded = cell.outputs[1]["data"]
        assert float(recorded["text/plain"]) <= cell.metadata["nbgrader"]["points"]  # what nbgrader reads
        assert f"of {cell.metadata['nbgrader']['points']:g} points" in recorded["text/html"]  # what pages show
        assert "<table>" in cell.outputs[0]["data"]["text/html"]


def test_feedback_shows_checks_and_hints_but_no_hidden_tests(course):
    """Does the feedback page show the checks and the mistake's hint, and none of the hidden tests' code?"""
    nbgrader(course, "generate_feedback", "attention")
    page = (course / "feedback/cheating/attention" / FIRST.notebook.replace(".ipynb", ".html")).read_text()
    mistake, _ = named_mistake(FIRST.id)
    assert html.escape(mistake.hint.split(":")[0]) in page or mistake.hint.split(":")[0] in page
    assert "BEGIN HIDDEN TESTS" not in page and "import score" not in page


def test_a_regrade_replaces_stale_grades(course):
    """After the crashing student's notebook is fixed, does autograde --force replace the 0?"""
    fixed = course / "submitted/crashing/attention" / FIRST.notebook
    shutil.copy(course / "submitted/honest/attention" / FIRST.notebook, fixed)
    nbgrader(course, "autograde", "attention", "--student", "crashing", "--force")
    assert scores(course)["crashing"] == TOTAL


def test_the_course_settings_change_what_autograde_records(course):
    """With points moved between two checks of a part and another hidden_seed in the config, does a regrade
    show the new points in the test cell's table and draw other hidden inputs?"""
    # the twin's failing part: its hidden check fails, and its message quotes the inputs drawn
    mistake, report = named_mistake(FIRST.id)
    failing = next(result for result in report.checks if result.id.endswith("_hidden") and result.status == "failed")
    part = failing.part
    gains, gives = [check for check in registry.checks(FIRST.id) if check.part == part][:2]
    graded = course / "autograded/twin/attention" / FIRST.notebook

    def table():
        cell = next(cell for cell in nbformat.read(graded, as_version=4).cells
                    if cell.metadata.get("nbgrader", {}).get("grade_id") == f"test_{part}")
        return cell.outputs[0]["data"]["text/plain"]

    before = table()
    original = (course / "nbgrader_config.py").read_text()
    try:
        (course / "nbgrader_config.py").write_text(
            original + f"\nc.KitSettings.points = {{{gains.id!r}: {gains.points + 0.5:g}, {gives.id!r}: "
                       f"{gives.points - 0.5:g}}}\nc.KitSettings.hidden_seed = 4242\n")
        nbgrader(course, "autograde", "attention", "--student", "twin", "--force")
        after = table()
    finally:
        (course / "nbgrader_config.py").write_text(original)
    short = gains.id.split(".", 1)[1]
    row = lambda text: next(line for line in text.splitlines() if short in line)  # noqa: E731
    assert f"/{gains.points:g} " in row(before) and f"/{gains.points + 0.5:g} " in row(after)
    block = lambda text: text[text.index(failing.id.split(".", 1)[1]):].split(" ✓ ")[0].split(" ✗ ")[0]  # noqa: E731
    assert block(before) != block(after)  # other inputs, other numbers in the message


def test_the_release_steps_are_nbgraders_own_then_the_kits():
    """Does the config's list of generate_assignment steps, written out by name (so that reading the config
    imports no nbgrader), equal the installed nbgrader's own list followed by KernelLanguageInfo, so that an
    nbgrader upgrade that changes its list is noticed here?"""
    from nbgrader.converters import GenerateAssignment
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    written = [name.rsplit(".", 1)[1] for name in config.GenerateAssignment.preprocessors]
    shipped = [step.__name__ for step in GenerateAssignment.preprocessors.default()]
    assert written == shipped + ["KernelLanguageInfo"]
