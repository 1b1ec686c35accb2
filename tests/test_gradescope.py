"""Does the Gradescope autograder, unpacked in Gradescope's layout, grade a submission into results.json?"""
import json
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from conftest import ROOT, run_kit

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


def run_autograder(root, files):
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
    document = run_autograder(autograder_root, ROOT / "samples/submitted/ada/attention")
    assert sum(test["score"] for test in document["tests"]) == 40
    assert sum(test["max_score"] for test in document["tests"]) == 40
    for test in document["tests"]:
        assert set(test) == {"name", "score", "max_score", "status", "output", "visibility"}
        assert test["visibility"] in {"visible", "after_published"}
    assert any(test["visibility"] == "after_published" and "_hidden" in test["name"] for test in document["tests"])


def test_a_mistaken_submission_gets_scores_and_hints(autograder_root):
    document = run_autograder(autograder_root, ROOT / "samples/submitted/ben/attention")
    assert sum(test["score"] for test in document["tests"]) == 19  # as `grade` and nbgrader give
    assert any("your scores look unscaled" in test["output"] for test in document["tests"])


def test_an_empty_upload_is_explained(autograder_root, tmp_path):
    (tmp_path / "notes.txt").write_text("oops")
    document = run_autograder(autograder_root, tmp_path)
    assert document["score"] == 0 and "Nothing to grade" in document["output"]


def test_links_huge_files_and_thousands_of_files_cost_only_themselves(autograder_root, tmp_path):
    """An upload holding a link to the reference, a link to /etc/passwd, a 30 MB notebook and 3,000 other files:
    is each said in the output, and does the one real notebook in it still get full marks?"""
    upload = tmp_path / "upload"
    upload.mkdir()
    shutil.copy(ROOT / "samples/submitted/ada/attention/03_cross_attention.ipynb", upload)
    (upload / "01_self_attention.ipynb").symlink_to(ROOT / "solutions" / "self_attention.py")
    (upload / "cross_attention.py").symlink_to("/etc/passwd")
    notebook = json.loads((ROOT / "samples/submitted/ada/attention/02_masked_self_attention.ipynb").read_text())
    notebook["cells"][0]["source"] = "x" * (30 * 1024 * 1024)
    (upload / "02_masked_self_attention.ipynb").write_text(json.dumps(notebook))
    junk = upload / "junk"
    junk.mkdir()
    for index in range(3000):
        (junk / f"{index}.txt").write_text("")
    document = run_autograder(autograder_root, upload)
    by_exercise = {}
    for test in document["tests"]:
        exercise = test["name"].split(".")[0]
        by_exercise[exercise] = by_exercise.get(exercise, 0) + test["score"]
    assert by_exercise["cross_attention"] == 10
    assert by_exercise.get("masked_self_attention", 0) == 0
    assert "self_attention" not in by_exercise
    assert "01_self_attention.ipynb was not graded: it is a link" in document["output"]
    assert "cross_attention.py was not graded: it is a link" in document["output"]
    assert "MiB" in document["output"] and "root:" not in json.dumps(document)


def test_an_exercise_counts_once_however_many_files_hold_it(autograder_root, tmp_path):
    """An upload holding exercise 1 four times (a notebook, two .py files, one in a subfolder): is it graded
    once, and does the output say which files were passed over?"""
    upload = tmp_path / "upload"
    (upload / "again").mkdir(parents=True)
    shutil.copy(ROOT / "samples/submitted/ada/attention/01_self_attention.ipynb", upload)
    honest = (ROOT / "tests/students/self_attention_alt.py").read_text()
    for name in ("self_attention.py", "1_self_attention.py", "again/self_attention.py"):
        (upload / name).write_text(honest)
    document = run_autograder(autograder_root, upload)
    assert sum(test["score"] for test in document["tests"]) == 10
    assert sum(test["max_score"] for test in document["tests"]) == 10
    assert document["output"].count("is graded for self_attention instead") == 3
