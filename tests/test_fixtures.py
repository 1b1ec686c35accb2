"""Are the committed fixtures portable: written on one machine, current on any other CPU, BLAS or thread
count, yet still stale after a real change?"""
import json
import os
import shutil
import subprocess
import sys

import pytest

from autograder import engine, fixture_reader
from autograder.instructor import fixture_writer
from helpers import EXERCISES, FIRST, ROOT, run_kit

# Another machine, emulated: torch's kernels without vector units (ATEN_CPU_CAPABILITY=default picks
# the scalar code paths another CPU would run) and another thread count.
ELSEWHERE = {"ATEN_CPU_CAPABILITY": "default", "OMP_NUM_THREADS": "3", "MKL_NUM_THREADS": "3"}


@pytest.fixture(scope="module")
def written_elsewhere(tmp_path_factory):
    """{exercise: fixture text} as a build on the other machine writes it."""
    folder = tmp_path_factory.mktemp("elsewhere")
    script = ("import sys; from pathlib import Path; from autograder.instructor import fixture_writer\n"
              "for exercise in sys.argv[2:]:\n"
              "    Path(sys.argv[1], exercise + '.json').write_text(fixture_writer.expected_fixtures(exercise))\n")
    subprocess.run([sys.executable, "-c", script, str(folder), *EXERCISES], check=True, cwd=ROOT,
                   env=dict(os.environ, **ELSEWHERE), capture_output=True)
    return {exercise: (folder / f"{exercise}.json").read_text() for exercise in EXERCISES}


def test_fixtures_written_elsewhere_are_current_here(written_elsewhere):
    """Does a fixture written with other kernels and threads count as the same as the committed one?"""
    for exercise, text in written_elsewhere.items():
        assert fixture_writer.equivalent(text, fixture_reader.path(exercise).read_text()), exercise


def test_equivalence_still_sees_a_real_change(written_elsewhere):
    """Is a fixture whose expected value moved by 1e-6, or whose probe changed, no longer the same?"""
    compared = next(check.id for check in engine.select(FIRST.id, public_only=True) if check.against == "fixture")
    data = json.loads(written_elsewhere[FIRST.id])
    entry = data["dict"]["checks"]["dict"][compared]["dict"]
    entry["expected"][0]["dict"]["outputs"][0]["data"][0] *= 1 + 1e-6
    assert not fixture_writer.equivalent(json.dumps(data), written_elsewhere[FIRST.id])
    data = json.loads(written_elsewhere[FIRST.id])
    data["dict"]["checks"]["dict"][compared]["dict"]["probes"][0]["dict"]["label"] += " "
    assert not fixture_writer.equivalent(json.dumps(data), written_elsewhere[FIRST.id])


@pytest.mark.slow
def test_build_check_passes_on_a_course_whose_fixtures_came_from_another_machine(tmp_path, written_elsewhere):
    """In a copy of the course holding the other machine's fixtures, does `build --check` pass, and does
    `build` leave those fixtures byte for byte as they were?"""
    copy = tmp_path / "course"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".venv", ".git", "__pycache__", "gradebook.db", "out"))
    for exercise, text in written_elsewhere.items():
        (copy / "autograder" / "fixtures" / f"{exercise}.json").write_text(text)
    completed = run_kit("build", "--check", cwd=copy)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    run_kit("build", cwd=copy)
    for exercise, text in written_elsewhere.items():
        assert (copy / "autograder" / "fixtures" / f"{exercise}.json").read_text() == text
