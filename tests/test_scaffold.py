"""Does `python -m autograder new` give a course author every file an exercise needs, working as laid out?"""
import json
import re
import shutil

import pytest

from autograder import registry
from autograder.instructor import scaffold
from helpers import ROOT, run_kit

pytestmark = pytest.mark.slow
NEW = "window_demo"


def files(folder):
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def scores(completed):
    assert completed.returncode == 0, completed.stderr[-3000:]
    return {"/".join(result["submission"].split("/")[-2:]): result for result in json.loads(completed.stdout)["results"]}


def test_a_new_exercise_then_its_build_grades_with_nothing_else_edited(tmp_path):
    """In a copy of the kit, after `new` and `build ID`, does the reference score full marks, the stub zero, the
    alternative implementation full marks, the known mistake lose points with its hint, the notebook self-check
    pass with the answers in; and did the two commands write only the exercise's files and the README's tables?"""
    copy = tmp_path / "kit"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".venv", ".git", "__pycache__", "gradebook.db", "out",
                                                              ".build-stamp", "exchange"))
    before = files(copy)
    made = run_kit("new", NEW, "--title", "Sliding-window demo", cwd=copy)
    assert made.returncode == 0, made.stderr
    built = run_kit("build", NEW, cwd=copy)
    assert built.returncode == 0, built.stderr[-3000:]
    after = files(copy)
    number = len(registry.ids()) + 1
    notebook = f"{number:02d}_{NEW}.ipynb"
    written = {path.format(id=NEW, notebook=notebook) for path, _ in scaffold.OBLIGATIONS}
    written |= {f"exercises/{NEW}.py", f"release/attention/{notebook}", f"autograder/fixtures/{NEW}.json",
                f"autograder/instructor/precomputed/{NEW}.json", "README.md"}
    changed = {path for path in after if before.get(path) != after[path]}
    assert changed == written
    assert f"`{notebook}`" in (copy / "README.md").read_text()  # the tables list it

    graded = scores(run_kit("grade", f"solutions/{NEW}.py", f"exercises/{NEW}.py", f"tests/students/{NEW}_alt.py",
                            "--exercise", NEW, "--json", "-", cwd=copy))
    assert {name: result["score"] for name, result in graded.items()} == {
        f"solutions/{NEW}.py": 10.0, f"exercises/{NEW}.py": 0.0, f"students/{NEW}_alt.py": 10.0}

    source = (copy / "solutions" / f"{NEW}.py").read_text()
    wrong = copy / "wrong" / f"{NEW}.py"
    wrong.parent.mkdir()
    wrong.write_text(source.replace("/ math.sqrt(query.shape[-1])", ""))
    result = scores(run_kit("grade", wrong, "--exercise", NEW, "--json", "-", cwd=copy))[f"wrong/{NEW}.py"]
    assert result["score"] < 10
    assert any(check["hint"] and "unscaled" in check["hint"] for check in result["checks"])

    checked = run_kit("check", f"source/attention/{notebook}", cwd=copy)
    earned = re.search(r"(\d+)/(\d+) points", checked.stdout)
    assert checked.returncode == 0 and earned and earned[1] == earned[2], checked.stdout[-2000:]


def test_new_refuses_what_it_cannot_make(tmp_path):
    """Does `new` refuse an id that exists or is not a Python name, saying why, and write nothing?"""
    existing = registry.ids()[0]
    for bad, said in ((existing, "already"), ("Bad-Id", "lower-case")):
        completed = run_kit("new", bad, cwd=ROOT)
        assert completed.returncode == 2 and said in completed.stderr
    assert not (ROOT / "autograder" / "catalog" / "bad_id").exists()
