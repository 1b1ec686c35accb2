"""Does the Gradescope autograder, unpacked in Gradescope's layout, grade a submission into results.json?"""
import json
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from autograder import engine, registry
from autograder.instructor.gradescope import ONE_FILE_PER_EXERCISE
from helpers import FIRST, ROOT, run_kit, source

SECOND, THIRD = registry.exercises()[1:3]
ADA = ROOT / "samples/submitted/ada/attention"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def autograder_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("gs") / "autograder"
    for folder in ("source", "submission", "results"):
        (root / folder).mkdir(parents=True)
    completed = run_kit("gradescope", "build", "--out", root.parent / "autograder.zip")
    assert completed.returncode == 0, completed.stderr
    with zipfile.ZipFile(root.parent / "autograder.zip") as archive:
        archive.extractall(root / "source")
        assert {"setup.sh", "run_autograder", "requirements.txt"} <= set(archive.namelist())
    return root


def run_autograder(root, files, config=""):
    """run_autograder on a copy of files as the upload; config: lines added to the course's nbgrader_config.py."""
    with zipfile.ZipFile(root.parent / "autograder.zip") as archive:  # the course's config, as built
        (root / "source" / "nbgrader_config.py").write_text(archive.read("nbgrader_config.py").decode() + config)
    shutil.rmtree(root / "submission")
    shutil.copytree(files, root / "submission", symlinks=True)  # as unzipped: links stay links
    script = root / "source" / "run_autograder"
    script.chmod(0o755)
    environment = dict(os.environ, AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=sys.executable,
                       PYTHONPATH=str(root / "source"))
    completed = subprocess.run(["bash", str(script)], capture_output=True, text=True, env=environment, timeout=600)
    assert completed.returncode == 0, completed.stderr
    return json.loads((root / "results" / "results.json").read_text())


def test_an_honest_submission_scores_full_marks(autograder_root):
    """Does a complete, correct upload get every point, hidden checks shown only once grades are published?"""
    document = run_autograder(autograder_root, ADA)
    assert sum(test["score"] for test in document["tests"]) == 10 * len(registry.ids())
    assert sum(test["max_score"] for test in document["tests"]) == 10 * len(registry.ids())
    assert document["score"] == 10 * len(registry.ids())  # what Gradescope records, when it is given
    for test in document["tests"]:
        assert set(test) == {"name", "score", "max_score", "status", "output", "visibility"}
        assert test["visibility"] in {"visible", "after_published"}
    assert any(test["visibility"] == "after_published" and "_hidden" in test["name"] for test in document["tests"])


def test_a_mistaken_submission_gets_scores_and_hints(autograder_root):
    """Does the sample class's ben get the score `grade` and nbgrader give him, with hints?"""
    ben = ROOT / "samples/submitted/ben/attention"
    document = run_autograder(autograder_root, ben)
    graded = run_kit("grade", ben, "--json", "-")
    assert graded.returncode == 0, graded.stderr
    by_grade = sum(result["score"] for result in json.loads(graded.stdout)["results"])
    assert 0 < by_grade < 10 * len(registry.ids())
    assert sum(test["score"] for test in document["tests"]) == by_grade  # as `grade` (and nbgrader) give
    assert any("your scores look unscaled" in test["output"] for test in document["tests"])


def test_the_course_settings_change_what_gradescope_reports(autograder_root):
    """Do c.KitSettings.points, hidden_checks and hidden_seed in the course's config change the results?"""
    withheld, regraded = engine.select(FIRST.id, public_only=True)[:2]
    hidden = next(check for check in registry.checks(FIRST.id) if not check.public)
    upload = ROOT / "samples/submitted/ben/attention"
    plain = {test["name"].split(":")[0]: test for test in run_autograder(autograder_root, upload)["tests"]}
    config = (f"\nc.KitSettings.points = {{{regraded.id!r}: {regraded.points + 2:g}}}\n"
              f"c.KitSettings.hidden_checks = [{withheld.id!r}]\nc.KitSettings.hidden_seed = 4242\n")
    changed = {test["name"].split(":")[0]: test for test in run_autograder(autograder_root, upload, config)["tests"]}
    assert changed[regraded.id]["max_score"] == plain[regraded.id]["max_score"] + 2
    assert plain[withheld.id]["visibility"] == "visible" and changed[withheld.id]["visibility"] == "after_published"
    # ben's hidden checks fail on other inputs: the message quotes them
    assert plain[hidden.id]["score"] == 0 and changed[hidden.id]["output"] != plain[hidden.id]["output"]


def test_an_empty_upload_is_explained(autograder_root, tmp_path):
    """Does an upload with nothing gradable score 0 with an output that says so?"""
    (tmp_path / "notes.txt").write_text("oops")
    document = run_autograder(autograder_root, tmp_path)
    assert document["score"] == 0 and "Nothing to grade" in document["output"]


def test_links_huge_files_and_thousands_of_files_cost_only_themselves(autograder_root, tmp_path):
    """An upload holding a link to the reference, a link to /etc/passwd, a 30 MB notebook and 3,000 other files:
    is each said in the output, and does the one real notebook in it still get full marks?"""
    upload = tmp_path / "upload"
    upload.mkdir()
    shutil.copy(ADA / THIRD.notebook, upload)
    (upload / FIRST.notebook).symlink_to(ROOT / "solutions" / f"{FIRST.id}.py")
    (upload / f"{THIRD.id}.py").symlink_to("/etc/passwd")
    notebook = json.loads((ADA / SECOND.notebook).read_text())
    notebook["cells"][0]["source"] = "x" * (30 * 1024 * 1024)
    (upload / SECOND.notebook).write_text(json.dumps(notebook))
    junk = upload / "junk"
    junk.mkdir()
    for index in range(3000):
        (junk / f"{index}.txt").write_text("")
    document = run_autograder(autograder_root, upload)
    by_exercise = {}
    for test in document["tests"]:
        exercise = test["name"].split(".")[0]
        by_exercise[exercise] = by_exercise.get(exercise, 0) + test["score"]
    assert by_exercise[THIRD.id] == 10
    assert by_exercise.get(SECOND.id, 0) == 0
    assert FIRST.id not in by_exercise
    assert f"{FIRST.notebook} was not graded: it is a link" in document["output"]
    assert f"{THIRD.id}.py was not graded: it is a link" in document["output"]
    assert "MiB" in document["output"] and "root:" not in json.dumps(document)


def test_an_exercise_counts_once_however_many_files_hold_it(autograder_root, tmp_path):
    """An upload holding exercise 1 four times (a notebook, two .py files, one in a subfolder): is it graded
    once, and does the output say which files were passed over?"""
    upload = tmp_path / "upload"
    (upload / "again").mkdir(parents=True)
    shutil.copy(ADA / FIRST.notebook, upload)
    honest = source(f"{FIRST.id}_alt")
    for name in (f"{FIRST.id}.py", f"1_{FIRST.id}.py", f"again/{FIRST.id}.py"):
        (upload / name).write_text(honest)
    document = run_autograder(autograder_root, upload)
    assert sum(test["score"] for test in document["tests"]) == 10
    assert sum(test["max_score"] for test in document["tests"]) == 10
    assert document["output"].count(f"is graded for {FIRST.id} instead") == 3


def test_an_upload_is_one_student_however_many_student_folders_it_holds(autograder_root, tmp_path):
    """The same correct notebook under submitted/s1 … submitted/s5 of one upload: does it score one exercise's
    points, top-level score and tests alike, graded from s1 (the first in sorted order), the other four named as
    not graded?"""
    upload = tmp_path / "upload"
    for index in range(1, 6):
        (upload / "submitted" / f"s{index}" / "attention").mkdir(parents=True)
        shutil.copy(ADA / FIRST.notebook, upload / "submitted" / f"s{index}" / "attention")
    document = run_autograder(autograder_root, upload)
    assert document["score"] == 10
    assert sum(test["score"] for test in document["tests"]) == sum(test["max_score"] for test in document["tests"]) == 10
    assert len(document["tests"]) == len(engine.select(FIRST.id))
    graded = f"submitted/s1/attention/{FIRST.notebook}"
    lines = document["output"].splitlines()
    assert f"{graded}: 10/10" in lines and ONE_FILE_PER_EXERCISE in lines  # the rule, said once
    for index in range(2, 6):
        assert (f"submitted/s{index}/attention/{FIRST.notebook} was not graded: {graded} is graded for "
                f"{FIRST.id} instead") in lines


def test_one_exercise_as_a_notebook_and_a_py_file_at_different_depths_is_graded_once(autograder_root, tmp_path):
    """Exercise 1 as a notebook two folders down and as a .py file at the top, exercise 2 as a .py file and as a
    notebook in two folders of one depth: is each graded once, from the file the README's rule picks (the
    shallowest, then a notebook before a .py file), and the upload scored two exercises' points?"""
    upload = tmp_path / "upload"
    for folder in ("work/old", "a", "b"):
        (upload / folder).mkdir(parents=True)
    shutil.copy(ADA / FIRST.notebook, upload / "work" / "old")
    (upload / f"{FIRST.id}.py").write_text(source(f"{FIRST.id}_alt"))
    (upload / "a" / f"{SECOND.id}.py").write_text(source(f"{SECOND.id}_alt"))
    shutil.copy(ADA / SECOND.notebook, upload / "b")
    document = run_autograder(autograder_root, upload)
    assert document["score"] == sum(test["score"] for test in document["tests"]) == 20
    assert sum(test["max_score"] for test in document["tests"]) == 20
    lines = document["output"].splitlines()
    assert f"{FIRST.id}.py: 10/10" in lines and f"b/{SECOND.notebook}: 10/10" in lines
    assert f"work/old/{FIRST.notebook} was not graded: {FIRST.id}.py is graded for {FIRST.id} instead" in lines
    assert f"a/{SECOND.id}.py was not graded: b/{SECOND.notebook} is graded for {SECOND.id} instead" in lines


def test_the_top_level_score_never_passes_the_course_maximum():
    """Handed more reports than the course has exercises (every exercise, and the first one again), does
    results.json's score stop at the course's maximum, with the tests as they were?"""
    from autograder.instructor import reference
    from autograder.instructor.gradescope import results
    from autograder.instructor.grading import run_checks
    from autograder.instructor.kit_settings import KitSettings
    from autograder.sandboxed.probes import observer

    settings = KitSettings()
    reports = [run_checks(exercise, observer(reference.namespace(exercise)), settings)
               for exercise in [*registry.ids(), FIRST.id]]
    for report in reports:
        report.submission = f"{report.exercise}.py"
    document = results(reports, course=settings.course())
    assert sum(test["score"] for test in document["tests"]) == 10 * (len(registry.ids()) + 1)
    assert document["score"] == sum(engine.maxima(settings.course()).values()) == 10 * len(registry.ids())


def test_grade_still_sees_a_class_where_gradescope_sees_one_student(tmp_path):
    """The folder of five students s1 … s5, each with exercise 1: does `grade`'s discovery keep five students while
    Gradescope's (one_student) keeps one file for the one student the upload is?"""
    from autograder.discovery import discover

    for index in range(1, 6):
        (tmp_path / "submitted" / f"s{index}").mkdir(parents=True)
        (tmp_path / "submitted" / f"s{index}" / f"{FIRST.id}.py").write_text(source(f"{FIRST.id}_alt"))
    targets, skipped = discover([tmp_path / "submitted"])
    assert [target.student for target in targets] == [f"s{index}" for index in range(1, 6)] and skipped == []
    targets, skipped = discover([tmp_path / "submitted"], one_student=True)
    assert [(target.path.parent.name, target.student) for target in targets] == [("s1", None)]
    assert [path.parent.name for path, _ in skipped] == ["s2", "s3", "s4", "s5"]
