"""Can a check that failed be found from its id: written out in the source, and traced by `explain`?"""
import json
import re
import subprocess
import sys

import pytest

from autograder import registry
from helpers import ROOT

SOURCES = sorted((ROOT / "autograder").rglob("*.py"))


def run_kit(*args):
    return subprocess.run([sys.executable, "-m", "autograder", *args], cwd=ROOT, capture_output=True, text=True)


def test_every_check_id_grade_prints_is_written_out_in_the_source():
    """Does each check id that `grade` writes (text table and JSON) appear, quoted whole, in the kit's source, so
    that a search for it finds where it is declared?"""
    completed = run_kit("grade", "samples/submitted/ben", "--json", "-")
    assert completed.returncode == 0, completed.stderr
    printed = {check["id"] for result in json.loads(completed.stdout)["results"] for check in result["checks"]}
    assert len(printed) == sum(len(registry.checks(exercise)) for exercise in registry.ids())
    tables = run_kit("grade", "samples/submitted/ben").stdout
    text = "\n".join(path.read_text() for path in SOURCES)
    for check_id in printed:
        assert f'"{check_id}"' in text, f"{check_id} is assembled in code, not written out"
        assert f" {check_id}: " in tables, f"the text table shows {check_id} cut short"


def file_line(shown):
    path, line = re.fullmatch(r"(\S+):(\d+)", shown).groups()
    return (ROOT / path).read_text().splitlines()[int(line) - 1]


@pytest.mark.parametrize("exercise", registry.ids())
def test_explain_points_at_the_lines_that_define_a_check(exercise):
    """For a fixture check and a hidden check of every exercise, does `explain` name the line that declares the id,
    the functions that draw its inputs and judge it, and each known mistake that fails it, at their lines?"""
    from autograder import fixture_reader

    checks = registry.checks(exercise)
    chosen = [next(check for check in checks if check.id.endswith("_fixture")),
              next(check for check in checks if not check.public)]
    completed = run_kit("explain", *(check.id for check in chosen))
    assert completed.returncode == 0, completed.stderr
    blocks = completed.stdout.split(f"\n{exercise}.")
    assert len(blocks) == 2
    for check, block in zip(chosen, blocks):
        fields = dict(re.findall(r"^(declared|inputs|judge)\s+(.*)$", block, re.M))
        assert f'"{check.id}"' in file_line(fields["declared"])
        inputs = re.search(r"\((\S+:\d+)\)", fields["inputs"])[1]
        assert f"def {check.probes.__name__}(" in file_line(inputs)
        judge = re.search(r"\((\S+:\d+)\)", fields["judge"])[1]
        assert file_line(judge).lstrip().startswith("def ")
        mistakes = re.findall(r"^  (\w+)\s+(\S+:\d+)$", block, re.M)
        count = int(re.search(r"known mistakes that fail it: (\d+)", block)[1])
        assert len(mistakes) == count
        for name, shown in mistakes:
            assert f'"{name}"' in file_line(shown)
        if check.public:
            assert [name for name, _ in mistakes] == fixture_reader.fixtures(exercise)[check.id]["failed_by"]
    assert any(int(re.search(r"fail it: (\d+)", block)[1]) > 0 for block in blocks)


def test_explain_lists_the_checks_when_the_id_is_unknown():
    """Is an id that names no check refused, with the exercise's checks listed?"""
    first = registry.ids()[0]
    completed = run_kit("explain", f"{first}.no_such_check")
    assert completed.returncode == 2
    assert all(check.id in completed.stderr for check in registry.checks(first))
