"""Does grading work the same, and as fast, wherever the kit's interpreter and the course live?

Courses and virtual environments under /tmp are common (containers, CI, notebook servers). The sandbox's own
/tmp is scratch space emptied after every submission, and an interpreter that lives below /tmp is mounted
there too: these tests grade from an interpreter whose environment lives under /tmp, in a folder whose name
holds a space, and count how many times a worker had to start.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from helpers import FIRST, ROOT

pytestmark = pytest.mark.slow

GRADE = """
import json, sys
from autograder.discovery import discover
from autograder.instructor import grading, sandbox
from autograder.instructor.kit_settings import load

starts = []
original = sandbox.Worker._start
def counted(self):
    starts.append(self.index)
    return original(self)
sandbox.Worker._start = counted
targets, _ = discover([sys.argv[1]], None)
reports = grading.grade_all(targets, load(), jobs=1)
print(json.dumps({"prefix": sys.prefix, "starts": len(starts),
                  "scores": {f"{report.student}/{report.exercise}": report.score for report in reports},
                  "said": " ".join(check.message for report in reports for check in report.checks)}))
"""

# Run first in the batch: tries to take the way to the interpreter away from the submissions after it.
HOSTILE = """
import os
for name in os.listdir("/tmp"):
    path = "/tmp/" + name
    for attempt in (lambda: os.chmod(path, 0), lambda: os.rename(path, path + "-moved"),
                    lambda: os.rmdir(path), lambda: os.chmod(path, 0o777)):
        try:
            attempt()
        except OSError:
            pass
"""


def _environment_under_tmp(folder):
    """This interpreter's virtual environment, linked file by file (copied where links cannot be made) into folder."""
    target = folder / "venv"
    linked = subprocess.run(["cp", "-al", sys.prefix, str(target)], capture_output=True)
    if linked.returncode != 0:
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(sys.prefix, target, symlinks=True)
    return target / "bin" / "python"


def _grade(python, submitted):
    completed = subprocess.run([str(python), "-c", GRADE, str(submitted)], cwd=ROOT, capture_output=True, text=True,
                               timeout=900, env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_an_interpreter_under_tmp_keeps_one_worker_for_the_whole_batch(tmp_path):
    """Graded from an environment under /tmp (in a folder whose name holds a space), does one worker grade the whole
    sample class, with a submission that tries to chmod, rename or remove the way to the interpreter graded first,
    and does every student get the score the same class gets from this interpreter?"""
    submitted = tmp_path / "submitted"
    shutil.copytree(ROOT / "samples" / "submitted", submitted, symlinks=True)
    hostile = submitted / "0-first" / "attention"
    hostile.mkdir(parents=True)
    first = ROOT / "exercises" / f"{FIRST.id}.py"  # a stub: its file name says the exercise
    (hostile / first.name).write_text(HOSTILE + first.read_text())
    folder = Path(tempfile.mkdtemp(prefix="attention kit ", dir="/tmp"))
    try:
        python = _environment_under_tmp(folder)
        there = _grade(python, submitted)
        assert Path(there["prefix"]).resolve().is_relative_to(Path("/tmp").resolve())
        here = _grade(sys.executable, submitted)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert len(there["scores"]) > 10 and f"0-first/{FIRST.id}" in there["scores"]  # the hostile one was graded
    assert there["starts"] == 1, f"{there['starts']} worker starts for {len(there['scores'])} submissions"
    assert there["scores"] == here["scores"]


def test_an_environment_reached_through_a_link_grades(tmp_path):
    """Graded from a virtual environment whose folder is a link to the real one (a clone whose .venv links to
    another, a home folder that is a link), does the sandbox find its packages, and does every student get the
    score this interpreter gives?"""
    submitted = tmp_path / "submitted"
    shutil.copytree(ROOT / "samples" / "submitted" / "ada", submitted / "ada", symlinks=True)
    linked = tmp_path / "linked venv"
    linked.symlink_to(Path(sys.prefix).resolve(), target_is_directory=True)
    there = _grade(linked / "bin" / "python", submitted)
    assert there["prefix"] == str(linked)
    here = _grade(sys.executable, submitted)
    assert there["scores"] == here["scores"] and set(there["scores"].values()) == {10.0}


# Looks through every file the sandbox shows for the canaries planted below, and says what it read.
HUNT = """
import os, time
start, read = time.monotonic(), []
for top, folders, files in os.walk("/"):
    folders[:] = [folder for folder in folders if folder not in ("proc", "sys", "dev")]
    if time.monotonic() - start > 8:
        break
    read += [open(os.path.join(top, name)).read() for name in files if name.startswith("kit-canary")]
if read:
    raise RuntimeError("read: " + " ".join(read))
"""


def test_copies_of_the_kit_installed_in_the_environment_stay_hidden(tmp_path):
    """With copies of the kit installed in the grading interpreter's packages that the grade does not import (a wheel
    installed beside the checkout graded from, holding the reference; an older install with the reference at the
    top of site-packages), can a submission that reads every file the sandbox shows find neither?"""
    folder = Path(tempfile.mkdtemp(prefix="attention kit ", dir="/tmp"))
    try:
        python = _environment_under_tmp(folder)
        packages = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                       capture_output=True, text=True, check=True).stdout.strip())
        planted = [packages / "autograder" / "instructor" / "solutions" / "kit-canary-wheel.txt",
                   packages / "solutions" / "kit-canary-older.txt"]
        for number, canary in enumerate(planted):
            canary.parent.mkdir(parents=True, exist_ok=True)
            canary.write_text(f"reference-{number}")
        submitted = tmp_path / "submitted" / "mallory" / "attention"
        submitted.mkdir(parents=True)
        first = ROOT / "exercises" / f"{FIRST.id}.py"  # a stub: its file name says the exercise
        (submitted / first.name).write_text(HUNT + first.read_text())
        there = _grade(python, tmp_path / "submitted")
        assert all(canary.read_text().startswith("reference-") for canary in planted)  # they were there to find
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert list(there["scores"]) == [f"mallory/{FIRST.id}"] and "reference-" not in there["said"], there["said"][:2000]


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None or
                    not sorted(Path("/usr/local/lib").glob("python3*/dist-packages")),
                    reason="needs root, unshare and a /usr/local/lib/python3*/dist-packages to cover in a mount namespace")
def test_a_copy_of_the_kit_installed_for_the_systems_python_stays_hidden(tmp_path):
    """With the kit installed where `sudo pip install` puts it for the system's python3 (/usr/local/lib/…/dist-packages,
    under /usr, which the sandbox mounts; this interpreter never looks there), can a submission that reads every
    file the sandbox shows find its reference? (The folder is covered by a tmpfs in a mount namespace of the
    test's own, so the machine's stays as it is.)"""
    packages = sorted(Path("/usr/local/lib").glob("python3*/dist-packages"))[0]
    submitted = tmp_path / "submitted" / "mallory" / "attention"
    submitted.mkdir(parents=True)
    (submitted / f"{FIRST.id}.py").write_text(HUNT + (ROOT / "exercises" / f"{FIRST.id}.py").read_text())
    canary = packages / "autograder" / "instructor" / "solutions" / "kit-canary-system.txt"
    script = (f"set -e; mount --make-rprivate /; mount -t tmpfs tmpfs '{packages}'; mkdir -p '{canary.parent}'; "
              f"echo reference-system > '{canary}'; test -s '{canary}'; "
              f"exec '{sys.executable}' -c \"$GRADE\" '{tmp_path / 'submitted'}'")
    completed = subprocess.run(["unshare", "--mount", "bash", "-c", script], cwd=ROOT, capture_output=True, text=True,
                               timeout=900, env=dict(os.environ, GRADE=GRADE, PYTHONDONTWRITEBYTECODE="1"))
    assert completed.returncode == 0, completed.stderr[-3000:]
    there = json.loads(completed.stdout.strip().splitlines()[-1])
    assert list(there["scores"]) == [f"mallory/{FIRST.id}"] and "reference-" not in there["said"], there["said"][:2000]
