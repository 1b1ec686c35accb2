"""Does the student archive hold everything a student needs and nothing they must not see?"""
import json
import subprocess
import sys
import zipfile

import pytest

from autograder import engine, registry
from autograder.instructor import known_mistakes as mistakes
from autograder.selfcheck import check_file
from helpers import FIRST, ROOT, reference, run_kit, solution_lines, without_markers

# Runs the bundle's own kit with the reference made unimportable, as on a student's machine.
STUDENT_PYTHON = """
import runpy, sys
# this machine has the kit installed in editable mode, whose import finder would serve the course's modules
sys.meta_path = [finder for finder in sys.meta_path if "editable" not in repr(finder).lower()]
sys.modules["autograder.instructor"] = None
sys.argv = ["autograder", *sys.argv[1:]]
runpy.run_module("autograder", run_name="__main__")
"""


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    return make_bundle(tmp_path_factory.mktemp("student"))


def make_bundle(folder, config=None):
    """The student kit, bundled from the course (or from a folder holding the given nbgrader_config.py)."""
    if config is not None:
        (folder / "nbgrader_config.py").write_text(config)
    completed = run_kit("bundle", "--out", folder / "kit.zip", cwd=folder if config is not None else ROOT)
    assert completed.returncode == 0, completed.stderr
    with zipfile.ZipFile(folder / "kit.zip") as archive:
        archive.extractall(folder)
    return folder / "attention-student"


def student_check(bundle, *args):
    return subprocess.run([sys.executable, "-c", STUDENT_PYTHON, "check", *map(str, args)], cwd=bundle,
                          capture_output=True, text=True, env={"PYTHONPATH": str(bundle), "PATH": "/usr/bin:/bin"})


def test_nothing_of_the_reference_or_the_hidden_checks(bundle):
    """Does the kit hold no reference, hidden check, known mistake or instructor module, in name or in text?"""
    texts = {path: path.read_text() for path in bundle.rglob("*") if path.is_file()}
    assert not any(part in ("solutions", "source", "hidden", "tests", "samples") for path in texts for part in path.parts)
    assert not (bundle / "autograder" / "instructor").exists()
    assert not [path for path in texts if path.name in ("hidden.py", "mistakes.py")]
    lines = solution_lines()
    for path, text in texts.items():
        assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text, path
        assert "_hidden" not in text, path  # no hidden check's id, nor the helper that makes them
        assert not lines & {line.split("#")[0].strip() for line in text.splitlines()}, path
        # nor inside a line, as in a hint that quotes the answer (short lines are too common to mean anything)
        assert [line for line in lines if len(line) >= 30 and line in text] == [], path


def test_it_holds_the_notebooks_stubs_and_fixtures(bundle):
    """Does the kit hold every released notebook, every stub and every fixture, and the pinned torch?"""
    names = {path.relative_to(bundle).as_posix() for path in bundle.rglob("*") if path.is_file()}
    for released in (ROOT / "release" / "attention").glob("*.ipynb"):
        assert f"release/attention/{released.name}" in names
    assert {f"exercises/{p.name}" for p in (ROOT / "exercises").glob("*.py")} <= names
    assert {f"autograder/fixtures/{p.name}" for p in (ROOT / "autograder" / "fixtures").glob("*.json")} <= names
    assert "torch==2.13.0" in (bundle / "requirements.txt").read_text()


def test_the_self_check_runs_inside_it(bundle, tmp_path):
    """Without the reference, does check fail the stubs, pass a correct answer and say what the course's own
    self-check says of a known mistake?"""
    stubs = student_check(bundle, f"release/attention/{FIRST.notebook}")
    assert stubs.returncode == 1 and "not implemented yet" in stubs.stdout, stubs.stderr
    (bundle / f"{FIRST.id}.py").write_text(without_markers(reference(FIRST.id)))
    correct = student_check(bundle, f"{FIRST.id}.py")
    public = sum(check.points for check in engine.select(FIRST.id, public_only=True))
    assert correct.returncode == 0 and f"{public:g}/{public:g} points" in correct.stdout, correct.stdout + correct.stderr
    named = 0
    for mistake in mistakes.for_exercise(FIRST.id):
        (tmp_path / f"{FIRST.id}.py").write_text(mistake.source())
        expected = check_file(tmp_path / f"{FIRST.id}.py")
        hints = {result.hint for result in expected.checks if result.hint}
        if not hints:
            continue
        (bundle / f"{FIRST.id}.py").write_text(mistake.source())
        mistaken = student_check(bundle, f"{FIRST.id}.py")
        shown = " ".join(mistaken.stdout.split())  # the table wraps long hints
        assert mistaken.returncode == 1 and f"{expected.score:g}/{expected.max_score:g} points" in shown, mistake.id
        assert all(" ".join(hint.split()) in shown for hint in hints), mistake.id
        named += 1
        if named == 3:  # each costs a fresh interpreter: three known mistakes make the point
            break
    assert named == 3


def test_the_course_settings_reach_the_student(tmp_path):
    """Do c.KitSettings.points and hidden_checks, set where the kit is bundled, change the student's self-check?"""
    withheld, regraded = [check for check in engine.select(FIRST.id, public_only=True)][:2]
    config = (f"c = get_config()\nc.KitSettings.hidden_checks = [{withheld.id!r}]\n"
              f"c.KitSettings.points = {{{regraded.id!r}: {regraded.points + 5:g}}}\n"
              "c.KitSettings.hidden_seed = 99\n")
    bundle = make_bundle(tmp_path, config)
    carried = json.loads((bundle / "autograder" / "course.json").read_text())
    assert "hidden_seed" not in json.dumps(carried)
    # what each part is worth when graded, hidden checks included, for the check cells to say
    part = regraded.part
    assert carried["totals"][f"{FIRST.id}.{part}"] == 5 + sum(check.points for check in registry.checks(FIRST.id)
                                                             if check.part == part)
    (bundle / f"{FIRST.id}.py").write_text(without_markers(reference(FIRST.id)))
    checked = student_check(bundle, f"{FIRST.id}.py")
    default = sum(check.points for check in engine.select(FIRST.id, public_only=True))
    total = default - withheld.points + 5
    assert checked.returncode == 0 and f"{total:g}/{total:g} points" in checked.stdout, checked.stdout + checked.stderr
    assert withheld.id.split(".", 1)[1] not in checked.stdout and regraded.id.split(".", 1)[1] in checked.stdout


def test_instructor_verbs_say_they_are_not_there(bundle):
    """Does `grade` in the student kit say it is for instructors, rather than fail with a traceback?"""
    completed = subprocess.run([sys.executable, "-c", STUDENT_PYTHON, "grade", "exercises"], cwd=bundle,
                               capture_output=True, text=True, env={"PYTHONPATH": str(bundle), "PATH": "/usr/bin:/bin"})
    assert completed.returncode == 2 and "not part of the student kit" in completed.stderr


def test_it_opens_jupyterlab_for_students_as_the_readme_does(bundle):
    """Does the kit hold the JupyterLab config that keeps nbgrader's Validate and drops its instructor tools, with
    nbgrader pinned as the course pins it, and does its README start JupyterLab with the README's own student
    command?"""
    from autograder.instructor.bundle import STUDENT_LAB

    for name in ("jupyter_server_config.json", "labconfig/page_config.json"):
        assert (bundle / "autograder" / "jupyter" / name).read_bytes() == (ROOT / "autograder" / "jupyter" / name).read_bytes()
    disabled = json.loads((bundle / "autograder/jupyter/labconfig/page_config.json").read_text())["disabledExtensions"]
    assert "@jupyter/nbgrader:validate-assignment" not in disabled and "@jupyter/nbgrader:formgrader" in disabled
    pinned = {line for line in (ROOT / "requirements.txt").read_text().splitlines() if line.startswith("nbgrader==")}
    assert pinned and pinned <= set((bundle / "requirements.txt").read_text().splitlines())
    readme = (ROOT / "README.md").read_text()
    assert f"\n   {STUDENT_LAB}" in (bundle / "README.md").read_text() and f"\n   {STUDENT_LAB}   #" in readme
