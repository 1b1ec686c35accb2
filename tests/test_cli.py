"""Does the command line keep its contract, and does bad input get a clear message that costs only what it breaks?"""
import ast
import io
import json
import shutil

import nbformat
import pytest

from autograder import engine, registry
from helpers import FIRST, ROOT, filled_notebook, grade_file, notebook_answers, run_kit, source

SECOND = registry.exercises()[1]


@pytest.fixture
def class_tree(tmp_path):
    """An nbgrader submitted/ tree: ada with two notebooks correct, cy with a broken notebook and a stub."""
    for student in ("ada", "cy"):
        (tmp_path / "submitted" / student / "attention").mkdir(parents=True)
    ada = tmp_path / "submitted" / "ada" / "attention"
    for exercise in (FIRST, SECOND):
        nbformat.write(filled_notebook(ROOT / "release/attention" / exercise.notebook,
                                       notebook_answers(f"{exercise.id}_alt")), ada / exercise.notebook)
    cy = tmp_path / "submitted" / "cy" / "attention"
    (cy / FIRST.notebook).write_text('{"cells": [')  # cut off mid-save
    shutil.copy(ROOT / "release/attention" / SECOND.notebook, cy)
    return tmp_path


def test_grade_writes_the_json_contract(class_tree, kit):
    """Does `grade --json -` print one result per submission with the contract's fields, student ids from the path?"""
    completed = kit("grade", class_tree / "submitted", "--json", "-", "--jobs", "2", "--seed", "1")
    assert completed.returncode == 0, completed.stderr
    results = {(r["student"], r["exercise"]): r for r in json.loads(completed.stdout)["results"]}
    assert set(results) == {(student, exercise.id) for student in ("ada", "cy") for exercise in (FIRST, SECOND)}
    for result in results.values():
        assert {"submission", "student", "exercise", "score", "max_score", "checks"} <= set(result)
        assert result["max_score"] == 10 and result["score"] == sum(c["points"] for c in result["checks"])
        for check in result["checks"]:
            assert set(check) == {"id", "points", "max_points", "status", "message", "hint"}
            assert check["id"].startswith(result["exercise"] + ".")
            assert check["status"] in {"passed", "failed", "error", "timeout"}
    assert results["ada", FIRST.id]["score"] == 10 and results["ada", SECOND.id]["score"] == 10
    broken = results["cy", FIRST.id]
    assert broken["score"] == 0 and "not valid JSON" in broken["checks"][0]["message"]
    assert results["cy", SECOND.id]["score"] == 0


def test_check_exit_codes(kit, tmp_path):
    """Does `check` exit 0 when every public check passes, 1 when one fails, 2 for a file it cannot grade?"""
    correct = tmp_path / f"{FIRST.id}.py"
    correct.write_text(source(f"{FIRST.id}_alt"))
    passed = kit("check", correct)
    public = sum(check.points for check in engine.select(FIRST.id, public_only=True))
    total = sum(check.points for check in engine.select(FIRST.id))
    assert passed.returncode == 0 and f"{public:g}/{public:g} points" in passed.stdout
    # what the public checks are worth of the whole exercise, said on the first line
    assert f"{public:g}/{public:g} points of {total:g} for the exercise (hidden checks add {total - public:g} " \
           "points when your work is graded)" in passed.stdout.splitlines()[0], passed.stdout
    failed = kit("check", ROOT / "release/attention" / FIRST.notebook)
    assert failed.returncode == 1 and "not implemented yet" in failed.stdout
    unknown = tmp_path / "attention_homework.py"
    unknown.write_text(source(f"{FIRST.id}_alt"))
    refused = kit("check", unknown)
    assert refused.returncode == 2 and "cannot tell which exercise attention_homework.py is" in refused.stderr
    assert kit("check", unknown, "--exercise", FIRST.id).returncode == 0
    for verb in ("check", "grade"):
        wrong = kit(verb, unknown, "--exercise", "attention_homework")
        assert wrong.returncode == 2 and "unknown exercise 'attention_homework'; choose one of" in wrong.stderr, verb
        assert "Traceback" not in wrong.stderr


def test_a_missing_path_is_named(kit, tmp_path):
    """Does a path that is not there get a message naming it, and exit code 2?"""
    completed = kit("grade", tmp_path / "nowhere.ipynb")
    assert completed.returncode == 2 and "nowhere.ipynb does not exist" in completed.stderr


def _grade_in_process(path, exercise):
    from autograder.sandboxed.loader import load

    return grade_file(path, exercise, seed=3), load(path, exercise, registry.get(exercise).parts)


def _points_of(exercise, part):
    return sum(check.points for check in registry.checks(exercise) if check.part == part)


# The class of the first exercise that has one: the tests below rename it, change its signature, break its cell.
CLASSY = next(exercise for exercise in registry.exercises() if exercise.parts[-1][0].isupper())
CLASS = CLASSY.parts[-1]


def test_a_renamed_class_is_named(tmp_path):
    """Does a renamed class cost only its own checks, with a message that names both names?"""
    path = tmp_path / f"{CLASSY.id}.py"
    path.write_text(source(f"{CLASSY.id}_alt").replace(f"class {CLASS}(", f"class {CLASS}Renamed("))
    report, _ = _grade_in_process(path, CLASSY.id)
    mine = [c for c in report.checks if c.part == CLASS]
    assert all(f"{CLASS} is not defined (there is a {CLASS}Renamed: was it renamed?)" in c.message for c in mine)
    assert report.score == 10 - _points_of(CLASSY.id, CLASS)  # the other parts keep their points


def test_a_wrong_signature_gets_the_expected_one(tmp_path):
    """Does a constructor that renames qkv_bias fail its part's checks with a hint giving the fixed signature?"""
    path = tmp_path / f"{CLASSY.id}.py"
    text = source(f"{CLASSY.id}_alt")
    header = next(line for line in text.splitlines() if line.strip().startswith("def __init__") and "qkv_bias" in line)
    path.write_text(text.replace(header, header.replace("qkv_bias", "bias")).replace("bias=qkv_bias", "bias=bias"))
    report, _ = _grade_in_process(path, CLASSY.id)
    failed = [c for c in report.checks if c.status != "passed"]
    # the probes that pass qkv_bias by name, as the API fixes it, fail; only this part's
    assert failed and all(c.part == CLASS and "unexpected keyword argument 'qkv_bias'" in c.message for c in failed)
    stub = ast.parse((ROOT / "exercises" / f"{CLASSY.id}.py").read_text())  # the stub as students receive it
    init = next(node for node in ast.walk(stub) if isinstance(node, ast.ClassDef) and node.name == CLASS).body
    arguments = next(node for node in init if isinstance(node, ast.FunctionDef) and node.name == "__init__").args
    fixed = f"{CLASS}({ast.unparse(arguments).removeprefix('self, ')})"
    assert {c.hint for c in failed} == {f"keep the signature the exercise gives: {fixed} (the check's call does not "
                                        "fit yours: got an unexpected keyword argument 'qkv_bias')"}
    assert {c.misconception for c in failed} == {"signature"}
    assert all(f"while building {CLASS}(" in c.message and "qkv_bias=" in c.message for c in failed)


def _raising_inside(text, line):
    """text with line run first in the class's forward: an error raised inside a signature that fits the call."""
    header = next(row for row in text.splitlines() if row.strip().startswith("def forward(self"))
    indent = header[:len(header) - len(header.lstrip())] + "    "
    return text.replace(header, f"{header}\n{indent}{line}", 1)


def test_a_type_error_inside_a_fitting_signature_gets_no_signature_hint(tmp_path):
    """A TypeError raised by the student's own line inside a forward whose signature fits the check's call: does it
    get no signature hint (and count as no "signature" mistake in the class report), while its message names the
    arguments the check passed and the line that raised, file, line number and code?"""
    from autograder.instructor.classreport import mistakes_seen

    path = tmp_path / f"{CLASSY.id}.py"
    raising = "scale = None ** x.shape[-1]"
    path.write_text(_raising_inside(source(f"{CLASSY.id}_alt"), raising))
    report, _ = _grade_in_process(path, CLASSY.id)
    raised = [c for c in report.checks if "TypeError" in c.message]
    assert raised and all(c.part == CLASS for c in raised)
    for check in raised:
        assert not check.hint.startswith("keep the signature") and check.misconception != "signature", check.hint
        assert f"TypeError while calling {CLASS}(d_in=" in check.message and ").forward(<" in check.message, check.message
        line = next(number for number, row in enumerate(path.read_text().splitlines(), 1) if raising in row)
        assert f"{path.name}, line {line}: {raising}" in check.message, check.message
    assert not [key for key in mistakes_seen([report]) if key[1] == "signature"]


def test_the_signature_hint_appears_exactly_when_the_call_does_not_fit(tmp_path):
    """The same TypeError message raised by a signature that fits and by one that does not (an extra required
    argument): is the signature hint given to the second only?"""
    text = source(f"{CLASSY.id}_alt")
    header = next(line for line in text.splitlines() if line.strip().startswith("def __init__(self, "))
    variants = {"fits": _raising_inside(text, "raise TypeError(\"__init__() missing 1 required positional argument\")"),
                "does not fit": text.replace(header, header.replace("(self, ", "(self, extra, ", 1), 1)}
    hinted = {}
    for name, variant in variants.items():
        path = tmp_path / name / f"{CLASSY.id}.py"
        path.parent.mkdir()
        path.write_text(variant)
        report, _ = _grade_in_process(path, CLASSY.id)
        failed = [c for c in report.checks if c.part == CLASS and c.status != "passed"]
        assert failed and all("TypeError" in c.message for c in failed), name
        hinted[name] = {c.hint.startswith("keep the signature the exercise gives") for c in failed}
    assert hinted == {"fits": {False}, "does not fit": {True}}


def test_a_syntax_error_costs_only_its_cell(tmp_path):
    """Does a syntax error in one answer cell cost that part only, naming the cell and the line?"""
    answers = notebook_answers(f"{CLASSY.id}_alt")
    answers[CLASS] = answers[CLASS].replace("def forward(self, ", "def forward(self ,, ", 1)
    path = tmp_path / CLASSY.notebook
    nbformat.write(filled_notebook(ROOT / "release/attention" / path.name, answers), path)
    report, submission = _grade_in_process(path, CLASSY.id)
    assert any("syntax error on line" in problem and "cell" in problem for problem in submission.problems)
    mine = [c for c in report.checks if c.part == CLASS]
    assert all(f"{CLASS} is not defined, because" in c.message and "syntax error" in c.message for c in mine)
    assert report.score == 10 - _points_of(CLASSY.id, CLASS)


def test_missing_and_duplicated_answer_cells_are_reported(tmp_path):
    """Is an answer cell pasted twice reported, and does a deleted one cost its part with a message to restore it?"""
    notebook = filled_notebook(ROOT / "release/attention" / CLASSY.notebook, notebook_answers(f"{CLASSY.id}_alt"))
    answer = next(cell for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("grade_id") == CLASS)
    duplicated = tmp_path / "dup" / CLASSY.notebook
    duplicated.parent.mkdir()
    copy = nbformat.from_dict(json.loads(json.dumps(answer)))
    copy["id"] = "pasted-again"
    notebook.cells.append(copy)
    nbformat.write(notebook, duplicated)
    _, submission = _grade_in_process(duplicated, CLASSY.id)
    assert any(f"are all the answer cell for {CLASS}" in problem for problem in submission.problems)

    notebook.cells = [cell for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("grade_id") != CLASS]
    missing = tmp_path / "missing" / CLASSY.notebook
    missing.parent.mkdir()
    nbformat.write(notebook, missing)
    report, submission = _grade_in_process(missing, CLASSY.id)
    mine = [c for c in report.checks if c.part == CLASS]
    assert report.score == 10 - _points_of(CLASSY.id, CLASS)
    assert all(f"the answer cell for {CLASS} is missing; copy it back" in c.message for c in mine)


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_shows_on_a_terminal_only():
    """Does a batch show `graded k/n` on a terminal, and nothing in a log file?"""
    from autograder.instructor.batch import Progress

    terminal, log = _Terminal(), io.StringIO()
    for stream in (terminal, log):
        progress = Progress(3, stream)
        for _ in range(3):
            progress.done(None)
        progress.close()
    assert "graded 1/3" in terminal.getvalue() and "graded 3/3" in terminal.getvalue()
    assert log.getvalue() == ""


def test_a_flood_of_files_costs_only_its_own_student(tmp_path, monkeypatch):
    """Graded from the course folder above submitted/, does a student whose folder holds more files than the
    walk looks at lose only their own grading, while the students after them are still found?"""
    from autograder import discovery

    monkeypatch.setattr(discovery, "WALK_LIMIT", 5)
    course = tmp_path / "course"
    flood = course / "submitted" / "aaa" / "attention"
    flood.mkdir(parents=True)
    for index in range(8):
        (flood / f"junk{index}.txt").write_text("")
    (flood / "nested" / "submitted" / "x").mkdir(parents=True)  # no fresh allowance from a folder named so
    for index in range(8):
        (flood / "nested" / "submitted" / "x" / f"junk{index}.txt").write_text("")
    later = course / "submitted" / "zed" / "attention"
    later.mkdir(parents=True)
    (later / f"{FIRST.id}.py").write_text(source(f"{FIRST.id}_alt"))
    targets, skipped = discovery.discover([course])
    assert [(target.student, target.exercise) for target in targets] == [("zed", FIRST.id)]
    assert [(path.relative_to(course).as_posix(), "more than 5 files" in why) for path, why in skipped] == [
        ("submitted/aaa", True)]


def test_deep_folders_and_a_walk_from_submitted_cost_only_their_own_student(tmp_path, monkeypatch):
    """Graded from submitted/ itself, does a folder named submitted inside a student's own open no new
    allowance, and do folders nested deeper than any submission (os.walk recurses per level) cost only that
    student instead of stopping the whole run?"""
    from autograder import discovery

    monkeypatch.setattr(discovery, "WALK_LIMIT", 5)
    submitted = tmp_path / "submitted"
    flood = submitted / "ada" / "a"
    flood.mkdir(parents=True)
    for index in range(8):
        (flood / f"junk{index}.txt").write_text("")
    (submitted / "ada" / "submitted" / "x").mkdir(parents=True)
    (submitted / "ada" / "submitted" / "x" / f"{FIRST.id}.py").write_text(source(f"{FIRST.id}_alt"))
    deep = submitted / "bob"
    for _ in range(discovery.WALK_DEPTH + 8):
        deep = deep / "a"
    deep.mkdir(parents=True)
    for student in ("cy", "zed"):
        (submitted / student).mkdir()
        (submitted / student / f"{FIRST.id}.py").write_text(source(f"{FIRST.id}_alt"))
    targets, skipped = discovery.discover([submitted])
    assert [target.student for target in targets] == ["cy", "zed"]
    assert sorted(path.relative_to(submitted).as_posix() for path, _ in skipped) == ["ada", "bob"]


def test_what_a_submission_writes_cannot_drive_the_terminal_or_stop_the_batch(tmp_path, kit):
    """A student's exception message holding terminal escapes (clear the screen, next line, a title, a carriage
    return, a bidirectional override), and a folder whose name is not UTF-8, graded with a strict stdout: is
    everyone graded, and do stdout and the text files show those characters only as escapes?"""
    import os

    submitted = tmp_path / "submitted"
    hostile = "\x1b[2J\x1b]0;owned\x07\x85\r\u202e zed  10/10"
    (submitted / "mallory").mkdir(parents=True)
    (submitted / "mallory" / f"{FIRST.id}.py").write_text(f"raise RuntimeError({hostile!r})\n")
    odd = os.path.join(os.fsencode(submitted / "nemo"), b"\xff")
    os.makedirs(odd)
    with open(os.path.join(odd, f"{FIRST.id}.py".encode()), "w") as file:
        file.write(source(f"{FIRST.id}_alt"))
    (submitted / "zed").mkdir()
    (submitted / "zed" / f"{FIRST.id}.py").write_text(source(f"{FIRST.id}_alt"))
    completed = kit("grade", submitted, "--out", tmp_path / "out", "--jobs", "1",
                    env={"PYTHONIOENCODING": "utf-8:strict"})
    assert completed.returncode == 0, completed.stderr
    written = [completed.stdout, completed.stderr] + [path.read_text(errors="surrogateescape")
                                                      for path in (tmp_path / "out").rglob("*") if path.suffix in (".txt", ".csv", ".md")]
    for output in written:
        unsafe = {character for character in output if character not in "\n" and (ord(character) < 0x20 or
                  0x7f <= ord(character) < 0xa0 or character in "\u202e" or 0xdc80 <= ord(character) <= 0xdcff)}
        assert not unsafe, (unsafe, output[:2000])
    assert "\\x1b[2J" in completed.stdout and "\\u202e" in completed.stdout
    results = json.loads((tmp_path / "out" / "results.json").read_text())["results"]
    assert {r["student"]: r["score"] for r in results} == {"mallory": 0, "nemo": 10, "zed": 10}


def test_what_a_submission_says_reaches_the_gradebook_and_pages_inert(tmp_path, kit):
    """A class graded with --out whose folders are named `<img src=x onerror=…>` and `=HYPERLINK(…)`, one of them
    raising and printing markup: is everyone graded, does no page hold a <script> or an <img>, and does every
    name in grades.csv that a spreadsheet would run start with a quote?"""
    import csv

    markup = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    submitted = tmp_path / "submitted"
    students = {"<img src=x onerror=alert(3)>": f"print({markup!r})\nraise RuntimeError({markup!r})\n",
                '=HYPERLINK("example.invalid")': source(f"{FIRST.id}_alt"), "-1": source(f"{FIRST.id}_alt")}
    for student, text in students.items():
        (submitted / student).mkdir(parents=True)
        (submitted / student / f"{FIRST.id}.py").write_text(text)
    completed = kit("grade", submitted, "--out", tmp_path / "out", "--jobs", "1")
    assert completed.returncode == 0, completed.stderr
    pages = list((tmp_path / "out").rglob("*.html"))
    assert len(pages) == len(students)
    for page in pages:
        assert "<script" not in page.read_text() and "<img" not in page.read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in (tmp_path / "out/feedback" / next(iter(students)) / f"{FIRST.id}.html").read_text()
    with open(tmp_path / "out" / "grades.csv", newline="") as table:
        rows = {row["student"]: row for row in csv.DictReader(table)}
    assert {name: float(row[FIRST.id]) for name, row in rows.items()} == {
        "<img src=x onerror=alert(3)>": 0.0, "'=HYPERLINK(\"example.invalid\")": 10.0, "'-1": 10.0}


def test_a_class_without_nbgrader_folders_loses_no_students_work(tmp_path):
    """Handed a class folder whose own folders are the students' (no `submitted/`), does every student's file of
    an exercise get graded as theirs, where before one was kept for the whole class; and is one student's folder,
    its notebooks one level down, still one student with one file per exercise?"""
    from autograder import discovery

    klass = tmp_path / "myclass"
    (klass / "aaa").mkdir(parents=True)
    (klass / "aaa" / f"{FIRST.id}.py").write_text(source(f"{FIRST.id}_alt"))
    (klass / "zed" / "attention").mkdir(parents=True)
    shutil.copy(ROOT / "samples" / "submitted" / "ada" / "attention" / FIRST.notebook, klass / "zed" / "attention" / FIRST.notebook)
    targets, skipped = discovery.discover([klass])
    assert sorted((target.student, target.exercise) for target in targets) == [("aaa", FIRST.id), ("zed", FIRST.id)]
    assert not skipped

    one = tmp_path / "ada"
    (one / "attention").mkdir(parents=True)
    shutil.copy(ROOT / "samples" / "submitted" / "ada" / "attention" / FIRST.notebook, one / "attention" / FIRST.notebook)
    (one / "scratch").mkdir()
    (one / "scratch" / "notes.py").write_text("")
    targets, skipped = discovery.discover([one])
    assert [(target.student, target.exercise) for target in targets] == [(None, FIRST.id)]


# after the stubs, no attention code of its own: it runs the first other .py file handed over beside it
BORROWS = ("import glob, os\nfor _other in sorted(glob.glob(os.path.join(os.path.dirname(__file__), '*.py'))):\n"
           "    if _other != __file__:\n        exec(open(_other).read())\n        break\n")


def graded(*arguments):
    completed = run_kit("grade", *arguments, "--json", "-")
    assert completed.returncode == 0, completed.stderr[-3000:]
    return {result["submission"].rsplit("/", 1)[-1]: result for result in json.loads(completed.stdout)["results"]}


@pytest.mark.slow
def test_loose_files_of_several_students_never_see_each_other(tmp_path):
    """Graded from one folder (several files named on the command line, the folder itself, or one file alone with
    another beside it), does a file that runs whatever was handed over beside it earn nothing from its neighbour's
    work, and say why the files beside it were not handed over?"""
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    (downloads / f"alice_{FIRST.id}.py").write_text(source(f"{FIRST.id}_alt"))
    (downloads / f"mallory_{FIRST.id}.py").write_text((ROOT / "exercises" / f"{FIRST.id}.py").read_text() + BORROWS)
    alice, mallory = downloads / f"alice_{FIRST.id}.py", downloads / f"mallory_{FIRST.id}.py"
    for arguments in ([alice, mallory], [mallory]):
        results = graded("--exercise", FIRST.id, *arguments)
        assert results[mallory.name]["score"] == 0, arguments
        assert any("were not handed over" in problem and alice.name in problem
                   for problem in results[mallory.name]["problems"])
        assert alice.name not in results or results[alice.name]["score"] == 10
    own = tmp_path / "own"  # one student's folder: the files beside a submission are still handed over
    own.mkdir()
    (own / "helper.py").write_text(source(f"{FIRST.id}_alt"))
    (own / f"{FIRST.id}.py").write_text((ROOT / "exercises" / f"{FIRST.id}.py").read_text() + BORROWS)
    assert graded(own / f"{FIRST.id}.py")[f"{FIRST.id}.py"]["score"] == 10


def test_a_folder_named_submitted_inside_a_students_own_names_no_one(tmp_path):
    """In a class folder of students' folders, or below nbgrader's submitted/<student>/, is a file a student put
    under a folder of theirs named submitted/<someone else> still theirs, never graded as that someone's nor in
    place of that someone's own file?"""
    from autograder import discovery

    klass = tmp_path / "myclass"
    for student in ("ann", "bob"):
        (klass / student / "course").mkdir(parents=True)
        (klass / student / "course" / f"{FIRST.id}.py").write_text(source(f"{FIRST.id}_alt"))
    planted = klass / "mallory" / "submitted" / "bob"
    planted.mkdir(parents=True)
    (planted / f"{FIRST.id}.py").write_text("")
    (planted / f"{SECOND.id}.py").write_text("")
    targets, _ = discovery.discover([klass])
    whose = {(target.student, target.exercise): target.path for target in targets}
    assert whose[("bob", FIRST.id)] == klass / "bob" / "course" / f"{FIRST.id}.py"
    assert ("bob", SECOND.id) not in whose and ("mallory", FIRST.id) in whose
    course = tmp_path / "course"  # the same below nbgrader's own tree
    inside = course / "submitted" / "mallory" / "attention" / "submitted" / "bob"
    inside.mkdir(parents=True)
    (inside / f"{FIRST.id}.py").write_text("")
    targets, _ = discovery.discover([course])
    assert [(target.student, target.exercise) for target in targets] == [("mallory", FIRST.id)]
