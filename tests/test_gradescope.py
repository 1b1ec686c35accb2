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
    shutil.copytree(files, root / "submission")
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
    assert sum(test["score"] for test in document["tests"]) == 20  # as `grade` and nbgrader give
    assert any("your scores look unscaled" in test["output"] for test in document["tests"])


def test_an_empty_upload_is_explained(autograder_root, tmp_path):
    (tmp_path / "notes.txt").write_text("oops")
    document = run_autograder(autograder_root, tmp_path)
    assert document["score"] == 0 and "Nothing to grade" in document["output"]
