"""Does the student archive hold everything a student needs and nothing they must not see?"""
import subprocess
import sys
import zipfile

import pytest

from conftest import ROOT, run_kit
from students import source
from test_build import solution_lines

# Runs the bundle's own kit with the reference made unimportable, as on a student's machine.
STUDENT_PYTHON = """
import runpy, sys
# this machine has the kit installed in editable mode, whose import finder would serve the course's modules
sys.meta_path = [finder for finder in sys.meta_path if "editable" not in repr(finder).lower()]
sys.modules["solutions"] = None
sys.argv = ["autograder", *sys.argv[1:]]
runpy.run_module("autograder", run_name="__main__")
"""


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    folder = tmp_path_factory.mktemp("student")
    completed = run_kit("bundle", "--out", folder / "kit.zip")
    assert completed.returncode == 0, completed.stderr
    with zipfile.ZipFile(folder / "kit.zip") as archive:
        archive.extractall(folder)
    return folder / "attention-student"


def student_check(bundle, *args):
    return subprocess.run([sys.executable, "-c", STUDENT_PYTHON, "check", *map(str, args)], cwd=bundle,
                          capture_output=True, text=True, env={"PYTHONPATH": str(bundle), "PATH": "/usr/bin:/bin"})


def test_nothing_of_the_reference_or_the_hidden_checks(bundle):
    texts = {path: path.read_text() for path in bundle.rglob("*") if path.is_file()}
    assert not any(part in ("solutions", "source", "hidden", "tests", "samples") for path in texts for part in path.parts)
    assert not (bundle / "autograder" / "misconceptions.py").exists()
    lines = solution_lines()
    for path, text in texts.items():
        assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text, path
        assert "_hidden" not in text, path  # no hidden check's id, nor the helper that makes them
        assert not lines & {line.split("#")[0].strip() for line in text.splitlines()}, path
        # nor inside a line, as in a hint that quotes the answer (short lines are too common to mean anything)
        assert [line for line in lines if len(line) >= 30 and line in text] == [], path


def test_it_holds_the_notebooks_stubs_and_fixtures(bundle):
    names = {path.relative_to(bundle).as_posix() for path in bundle.rglob("*") if path.is_file()}
    for released in (ROOT / "release" / "attention").glob("*.ipynb"):
        assert f"release/attention/{released.name}" in names
    assert {f"exercises/{p.name}" for p in (ROOT / "exercises").glob("*.py")} <= names
    assert {f"autograder/fixtures/{p.name}" for p in (ROOT / "autograder" / "fixtures").glob("*.json")} <= names
    assert "torch==2.13.0" in (bundle / "requirements.txt").read_text()


def test_the_self_check_runs_inside_it(bundle):
    """Without the reference, does check fail the stubs, pass a correct answer and name a known mistake?"""
    stubs = student_check(bundle, "release/attention/01_self_attention.ipynb")
    assert stubs.returncode == 1 and "not implemented yet" in stubs.stdout, stubs.stderr
    (bundle / "self_attention.py").write_text(source("self_attention_alt"))
    correct = student_check(bundle, "self_attention.py")
    assert correct.returncode == 0 and "7/7 points" in correct.stdout, correct.stdout + correct.stderr
    unscaled = source("self_attention_alt").replace("query / math.sqrt(query.size(-1))", "query")
    (bundle / "self_attention.py").write_text(unscaled)
    mistaken = student_check(bundle, "self_attention.py")
    assert mistaken.returncode == 1 and "your scores look unscaled" in mistaken.stdout


def test_instructor_verbs_say_they_are_not_there(bundle):
    completed = subprocess.run([sys.executable, "-c", STUDENT_PYTHON, "grade", "exercises"], cwd=bundle,
                               capture_output=True, text=True, env={"PYTHONPATH": str(bundle), "PATH": "/usr/bin:/bin"})
    assert completed.returncode == 2 and "not part of the student kit" in completed.stderr
