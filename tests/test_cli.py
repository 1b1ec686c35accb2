"""Does the command line keep its contract, and does bad input get a clear message that costs only what it breaks?"""
import io
import json
import shutil

import nbformat
import pytest

from autograder.build import notebook_name
from autograder.loader import load
from conftest import ROOT
from students import filled_notebook, notebook_answers, source


@pytest.fixture
def class_tree(tmp_path):
    """An nbgrader submitted/ tree: ada with every notebook correct, cy with a broken notebook and a stub."""
    for student in ("ada", "cy"):
        (tmp_path / "submitted" / student / "attention").mkdir(parents=True)
    ada = tmp_path / "submitted" / "ada" / "attention"
    for exercise in ("self_attention", "masked_self_attention"):
        nbformat.write(filled_notebook(ROOT / "release/attention" / notebook_name(exercise),
                                       notebook_answers(f"{exercise}_alt")), ada / notebook_name(exercise))
    cy = tmp_path / "submitted" / "cy" / "attention"
    (cy / notebook_name("self_attention")).write_text('{"cells": [')  # cut off mid-save
    shutil.copy(ROOT / "release/attention" / notebook_name("masked_self_attention"), cy)
    return tmp_path


def test_grade_writes_the_json_contract(class_tree, kit):
    """Does `grade --json -` print one result per submission with the contract's fields, student ids from the path?"""
    completed = kit("grade", class_tree / "submitted", "--json", "-", "--jobs", "2", "--seed", "1")
    assert completed.returncode == 0, completed.stderr
    results = {(r["student"], r["exercise"]): r for r in json.loads(completed.stdout)["results"]}
    assert set(results) == {("ada", "self_attention"), ("ada", "masked_self_attention"),
                            ("cy", "self_attention"), ("cy", "masked_self_attention")}
    for result in results.values():
        assert {"submission", "student", "exercise", "score", "max_score", "checks"} <= set(result)
        assert result["max_score"] == 10 and result["score"] == sum(c["points"] for c in result["checks"])
        for check in result["checks"]:
            assert set(check) == {"id", "points", "max_points", "status", "message", "hint"}
            assert check["id"].startswith(result["exercise"] + ".")
            assert check["status"] in {"passed", "failed", "error", "timeout"}
    assert results["ada", "self_attention"]["score"] == 10 and results["ada", "masked_self_attention"]["score"] == 10
    broken = results["cy", "self_attention"]
    assert broken["score"] == 0 and "not valid JSON" in broken["checks"][0]["message"]
    assert results["cy", "masked_self_attention"]["score"] == 0


def test_check_exit_codes(kit, tmp_path):
    """Does `check` exit 0 when every public check passes, 1 when one fails, 2 for a file it cannot grade?"""
    correct = tmp_path / "self_attention.py"
    correct.write_text(source("self_attention_alt"))
    passed = kit("check", correct)
    assert passed.returncode == 0 and "7/7 points" in passed.stdout
    failed = kit("check", ROOT / "release/attention/01_self_attention.ipynb")
    assert failed.returncode == 1 and "not implemented yet" in failed.stdout
    unknown = tmp_path / "attention_homework.py"
    unknown.write_text(source("self_attention_alt"))
    refused = kit("check", unknown)
    assert refused.returncode == 2 and "cannot tell which exercise attention_homework.py is" in refused.stderr
    assert kit("check", unknown, "--exercise", "self_attention").returncode == 0


def test_a_missing_path_is_named(kit, tmp_path):
    completed = kit("grade", tmp_path / "nowhere.ipynb")
    assert completed.returncode == 2 and "nowhere.ipynb does not exist" in completed.stderr


def _grade_in_process(path, exercise):
    from autograder import checks
    from autograder.probes import observer

    submission = load(path, exercise)
    report = checks.run(exercise, observer(submission.namespace), seed=3)
    return report, submission


def test_a_renamed_class_is_named(tmp_path):
    """Does a renamed class cost only its own checks, with a message that names both names?"""
    path = tmp_path / "self_attention.py"
    path.write_text(source("self_attention_alt").replace("class SelfAttention(", "class SelfAttn("))
    report, _ = _grade_in_process(path, "self_attention")
    head = [c for c in report.checks if c.part == "SelfAttention"]
    assert all("SelfAttention is not defined (there is a SelfAttn: was it renamed?)" in c.message for c in head)
    assert report.score == 4  # scaled_dot_product_attention keeps its points


def test_a_wrong_signature_gets_the_expected_one(tmp_path):
    path = tmp_path / "cross_attention.py"
    path.write_text(source("cross_attention_alt").replace("def __init__(self, d_q, d_kv, d_out, qkv_bias=False)",
                                                          "def __init__(self, d_q, d_kv, d_out, bias=False)")
                    .replace("bias=qkv_bias", "bias=bias"))
    report, _ = _grade_in_process(path, "cross_attention")
    # every probe passes qkv_bias by name, as the API fixes it
    assert report.score == 0 and all("unexpected keyword argument 'qkv_bias'" in c.message for c in report.checks)
    assert {c.hint for c in report.checks} == {
        "keep the signature the exercise gives: CrossAttention(d_q, d_kv, d_out, qkv_bias=False)"}


def test_a_syntax_error_costs_only_its_cell(tmp_path):
    """Does a syntax error in one answer cell cost that part only, naming the cell and the line?"""
    answers = notebook_answers("self_attention_alt")
    answers["SelfAttention"] = answers["SelfAttention"].replace("def forward(self, x):", "def forward(self, x)")
    path = tmp_path / notebook_name("self_attention")
    nbformat.write(filled_notebook(ROOT / "release/attention" / path.name, answers), path)
    report, submission = _grade_in_process(path, "self_attention")
    assert any("syntax error on line" in problem and "cell" in problem for problem in submission.problems)
    head = [c for c in report.checks if c.part == "SelfAttention"]
    assert all("SelfAttention is not defined, because" in c.message and "syntax error" in c.message for c in head)
    assert report.score == 4


def test_missing_and_duplicated_answer_cells_are_reported(tmp_path):
    notebook = filled_notebook(ROOT / "release/attention/03_cross_attention.ipynb", notebook_answers("cross_attention_alt"))
    answer = next(cell for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("grade_id") == "CrossAttention")
    duplicated = tmp_path / "dup" / "03_cross_attention.ipynb"
    duplicated.parent.mkdir()
    copy = nbformat.from_dict(json.loads(json.dumps(answer)))
    copy["id"] = "pasted-again"
    notebook.cells.append(copy)
    nbformat.write(notebook, duplicated)
    _, submission = _grade_in_process(duplicated, "cross_attention")
    assert any("are all the answer cell for CrossAttention" in problem for problem in submission.problems)

    notebook.cells = [cell for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("grade_id") != "CrossAttention"]
    missing = tmp_path / "missing" / "03_cross_attention.ipynb"
    missing.parent.mkdir()
    nbformat.write(notebook, missing)
    report, submission = _grade_in_process(missing, "cross_attention")
    assert report.score == 0
    assert all("the answer cell for CrossAttention is missing; copy it back" in c.message for c in report.checks)


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_shows_on_a_terminal_only():
    """Does a batch show `graded k/n` on a terminal, and nothing in a log file?"""
    from autograder.grading import Progress

    terminal, log = _Terminal(), io.StringIO()
    for stream in (terminal, log):
        progress = Progress(3, stream)
        for _ in range(3):
            progress.done(None)
        progress.close()
    assert "graded 1/3" in terminal.getvalue() and "graded 3/3" in terminal.getvalue()
    assert log.getvalue() == ""
