"""End to end through stock nbgrader commands with the repository's config: are scores secure and complete?"""
import copy
import csv
import html
import json
import multiprocessing
import os
import pwd
import shutil
import stat
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from autograder import registry
from autograder.instructor.build import definitions
from helpers import (EXERCISES, FIRST, ROOT, filled_notebook, named_mistake, notebook_answers, returned_or_blocked,
                     run_kit, without_markers)

TOTAL = 10 * len(EXERCISES)
FORMULAS = ['=HYPERLINK("http://example.invalid")', "@SUM(1)"]  # student ids a spreadsheet would run
MARKUP = ("Notes on my answer. <script>window.kitXss = 1</script><img src='x' onerror='window.kitXss = 2'> "
          "[more](javascript:window.kitXss=3)")

pytestmark = pytest.mark.slow


def nbgrader(course, *args):
    environment = dict(os.environ, NBGRADER_COURSE_ROOT=str(course),
                       PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))
    completed = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, capture_output=True, text=True,
                               env=environment, timeout=600)
    log = completed.stdout + completed.stderr
    assert "Exception while loading config file" not in log, log  # nbgrader would quietly fall back to its defaults
    assert completed.returncode == 0, log
    assert "SAWarning" not in log, log  # the gradebook's SQLAlchemy noise, which the config filters
    return log


def submit(course, student, answers_by_exercise, edits=None, folder=None):
    """Write the student's notebooks into submitted/ (or folder): the release with answers_by_exercise filled
    in, then edits[exercise](notebook) applied, as a student editing the file could (text it returns is
    written in place of the notebook)."""
    folder = folder or course / "submitted" / student / "attention"
    folder.mkdir(parents=True, exist_ok=True)
    for exercise, answers in answers_by_exercise.items():
        notebook = filled_notebook(course / "release" / "attention" / registry.get(exercise).notebook, answers)
        written = (edits or {}).get(exercise, lambda notebook: None)(notebook)  # text in place of the notebook
        path = folder / registry.get(exercise).notebook
        if isinstance(written, str):
            path.write_text(written)
        else:
            nbformat.write(notebook, path)
    return folder


def cells_of(notebook, kind):
    """The indices of the test cells ("test") or answer cells ("answer") of a notebook."""
    def is_kind(cell):
        meta = cell.metadata.get("nbgrader", {})
        return meta.get("grade") and not meta.get("solution") if kind == "test" else meta.get("solution")

    return [index for index, cell in enumerate(notebook.cells) if is_kind(cell)]


def a_copy_of(cell):
    """The cell copied as Jupyter copies it: the same cell with an id of its own."""
    duplicate = copy.deepcopy(cell)
    duplicate.id = "a-copy"
    return duplicate


# Each notebook of one student carries nbgrader metadata that nbgrader rejects or rewrites; the last is no
# notebook at all. Stock nbgrader stops autograde for the class at the first (SchemaTooOldError).
def old_schema_and_a_test_cell_twice(notebook):
    notebook.cells[cells_of(notebook, "test")[0]].metadata.nbgrader["schema_version"] = 1
    last = cells_of(notebook, "test")[-1]
    notebook.cells.insert(last, a_copy_of(notebook.cells[last]))


def a_test_cell_deleted_and_one_turned_into_markdown(notebook):
    first, *_, last = cells_of(notebook, "test")
    cell = notebook.cells[last]
    cell.cell_type = "markdown"
    del cell["outputs"], cell["execution_count"]
    del notebook.cells[first]


def an_answer_cell_without_its_grade_id(notebook):
    del notebook.cells[cells_of(notebook, "answer")[0]].metadata.nbgrader["grade_id"]


def an_answer_cell_twice(notebook):
    first = cells_of(notebook, "answer")[0]
    notebook.cells.insert(first, a_copy_of(notebook.cells[first]))


def no_notebook(notebook):
    return "my answers, as notes\n"


def nested_too_deeply(notebook):
    """The notebook with one metadata value nested 200,000 deep, far past Python's recursion limit."""
    notebook.metadata["deep"] = "DEEP"
    return nbformat.writes(notebook).replace('"DEEP"', "[" * 200_000 + "]" * 200_000)


FAULTS = [old_schema_and_a_test_cell_twice, a_test_cell_deleted_and_one_turned_into_markdown,
          an_answer_cell_without_its_grade_id, an_answer_cell_twice, no_notebook]


def scores(course):
    nbgrader(course, "export")
    with open(course / "grades.csv") as table:
        return {row["student_id"]: float(row["raw_score"]) for row in csv.DictReader(table)}


def check_table_texts(path):
    """The text of the check table in each test cell of a graded notebook."""
    notebook = nbformat.read(path, as_version=4)
    return [cell.outputs[0]["data"]["text/plain"] for cell in notebook.cells
            if cell.metadata.get("nbgrader", {}).get("grade") and cell.outputs]


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    """A course whose gradebook knows the assignment (generate_assignment), for each class below to copy."""
    course = tmp_path_factory.mktemp("released")
    shutil.copytree(ROOT / "source", course / "source")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    nbgrader(course, "generate_assignment", "attention", "--force")
    return course


def copy_of(released, tmp_path_factory, name):
    course = tmp_path_factory.mktemp(name)
    shutil.copytree(released, course, dirs_exist_ok=True)
    return course


def honest_answers():
    return {exercise: notebook_answers(f"{exercise}_alt") for exercise in EXERCISES}


@pytest.fixture(scope="module")
def course(released, tmp_path_factory):
    course = copy_of(released, tmp_path_factory, "course")
    honest = honest_answers()
    # a known mistake in notebook 1, with the judges' tools patched in the student's kernel: it must earn
    # exactly what the mistake earns without them (its twin)
    mistake, _ = named_mistake(FIRST.id)
    wrong = {name: without_markers(body) for name, body in definitions(mistake.source()).items()}
    twin = dict(honest, **{FIRST.id: wrong})
    cheating = dict(honest, **{FIRST.id: {
        name: "import torch\ntorch.allclose = lambda *a, **k: True\ntorch.testing.assert_close = lambda *a, **k: None\n"
              "torch.equal = lambda *a, **k: True\n" + body for name, body in wrong.items()}})
    crashing = dict(honest, **{FIRST.id: {name: "import os\nos._exit(1)\n" + body for name, body in honest[FIRST.id].items()}})
    for student, answers in (("honest", honest), ("twin", twin), ("cheating", cheating), ("crashing", crashing)):
        submit(course, student, answers)
        nbgrader(course, "db", "student", "add", student)
    # the first student graded: honest answers in notebooks nbgrader cannot take as they are
    submit(course, "broken", honest, edits=dict(zip(EXERCISES, FAULTS)))
    # honest answers, notebook 1 nested too deeply to read; students honest and twin are graded after them
    submit(course, "deep", honest, edits={FIRST.id: nested_too_deeply})
    # markup in the twin's own markdown, which feedback pages show
    notebook = course / "submitted/twin/attention" / FIRST.notebook
    written = nbformat.read(notebook, as_version=4)
    written.cells.insert(cells_of(written, "answer")[0] + 1, nbformat.v4.new_markdown_cell(MARKUP))
    nbformat.write(written, notebook)
    # students whose ids are formulas, with a name and an email that start with a tab and a carriage return
    nbgrader(course, "db", "student", "add", FORMULAS[0], "--last-name=-2+3", "--first-name=\t=1+1")
    nbgrader(course, "db", "student", "add", FORMULAS[1], "--email=\r=1+1")
    nbgrader(course, "autograde", "attention")
    return course


@pytest.fixture(scope="module")
def feedback(course):
    nbgrader(course, "generate_feedback", "attention")
    return course / "feedback"


def test_scores_are_earned_not_forged(course):
    """Does the honest student get every point, the cheat no more than the same mistake without the patches,
    and the student whose notebook 1 crashes keep the other notebooks' points?"""
    graded = scores(course)
    assert graded["honest"] == TOTAL
    assert graded["twin"] < TOTAL and graded["cheating"] == graded["twin"]
    assert graded["crashing"] == TOTAL - 10


def test_notebooks_nbgrader_rejects_cost_only_their_own_points(course):
    """The first student graded hands in honest answers in notebooks whose nbgrader metadata nbgrader rejects or
    rewrites (an old schema, test cells held twice, deleted or turned into markdown, an answer cell without its
    grade id or held twice) and one file that is no notebook: is every notebook but that one graded in full,
    that one zero with the reason in its test cells, as `grade` grades them, and is the class graded to the end?"""
    graded = scores(course)
    assert graded["broken"] == TOTAL - 10 and graded["honest"] == TOTAL
    for student in ("broken", "cheating", "crashing", "honest", "twin"):  # in the order nbgrader grades them
        assert len(list((course / "autograded" / student / "attention").glob("*.ipynb"))) == len(EXERCISES), student
    by_the_kit = json.loads(run_kit("grade", course / "submitted/broken", "--json", "-").stdout)["results"]
    assert sum(result["score"] for result in by_the_kit) == graded["broken"]  # one grade, on either path
    said = check_table_texts(course / "autograded/broken/attention" / registry.get(EXERCISES[-1]).notebook)
    assert said and all("is not a notebook (not valid JSON" in text for text in said)
    said = check_table_texts(course / "autograded/broken/attention" / registry.get(EXERCISES[3]).notebook)
    assert all("only the last one counts" in text for text in said)


def test_a_notebook_nested_too_deeply_costs_only_itself(course):
    """A student's notebook 1 holds a value nested 200,000 deep: does autograde (which exits 0, as the fixture
    asserts) grade that notebook zero with the reason in its test cells and the student's other notebooks in full,
    as `grade` does, and grade the students after them?"""
    graded = scores(course)
    assert graded["deep"] == TOTAL - 10 and graded["honest"] == TOTAL
    said = check_table_texts(course / "autograded/deep/attention" / FIRST.notebook)
    assert said and all("its JSON is nested more than 100 deep" in " ".join(text.split()) for text in said)  # wrapped
    by_the_kit = json.loads(run_kit("grade", course / "submitted/deep", "--json", "-").stdout)["results"]
    assert sum(result["score"] for result in by_the_kit) == graded["deep"]
    first, = [result for result in by_the_kit if result["exercise"] == FIRST.id]
    assert any("its JSON is nested more than 100 deep" in problem for problem in first["problems"])


def test_test_cells_hold_the_check_table(course):
    """Does each graded test cell hold the check table (HTML) and its score, as SaveAutoGrades reads it?"""
    notebook = nbformat.read(course / "autograded/cheating/attention" / FIRST.notebook, as_version=4)
    tests = [cell for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("grade")]
    for cell in tests:
        kinds = [output.output_type for output in cell.outputs]
        assert kinds == ["display_data", "execute_result"]
        recorded = cell.outputs[1]["data"]
        assert float(recorded["text/plain"]) <= cell.metadata["nbgrader"]["points"]  # what nbgrader reads
        assert f"of {cell.metadata['nbgrader']['points']:g} points" in recorded["text/html"]  # what pages show
        assert "<table>" in cell.outputs[0]["data"]["text/html"]


def test_feedback_shows_checks_and_hints_but_no_hidden_tests(feedback):
    """Does the feedback page show the checks and the mistake's hint, and none of the hidden tests' code?"""
    page = (feedback / "cheating/attention" / FIRST.notebook.replace(".ipynb", ".html")).read_text()
    mistake, _ = named_mistake(FIRST.id)
    assert html.escape(mistake.hint.split(":")[0]) in page or mistake.hint.split(":")[0] in page
    assert "BEGIN HIDDEN TESTS" not in page and "import score" not in page


class Elements(HTMLParser):
    """Every element of a page as (tag, attributes), and the text inside each <script>."""

    def __init__(self, page):
        super().__init__()
        self.elements, self.scripts, self._in_script = [], [], False
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)


def test_feedback_shows_student_markdown_through_a_sanitizer(feedback):
    """A student's markdown holds a <script>, an onerror handler and a javascript: link: does the feedback page
    show the cell's text with none of them as markup, and the kit's check tables as before?"""
    page = (feedback / "twin/attention" / FIRST.notebook.replace(".ipynb", ".html")).read_text()
    found = Elements(page)
    assert "Notes on my answer." in page
    assert not [script for script in found.scripts if "kitXss" in script]
    assert not [(tag, name) for tag, attributes in found.elements for name, value in attributes.items()
                if name.startswith("on") or "kitXss" in (value or "")]
    assert "<table>" in page and "text-align:left" in page  # the check tables, inline styles and all


def test_the_grades_csv_reads_as_text_in_a_spreadsheet(course):
    """Students named as formulas, with a name and an email that start with a tab and a carriage return: does
    every cell of the CSV `nbgrader export` writes read as text, the ids starting with a quote?"""
    nbgrader(course, "export")
    with open(course / "grades.csv", newline="") as table:
        rows = list(csv.reader(table))
    cells = [cell for row in rows for cell in row]
    assert {f"'{formula}" for formula in FORMULAS} <= set(cells)
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert len({len(row) for row in rows}) == 1  # no name split a row


def test_a_regrade_replaces_stale_grades(course):
    """After the crashing student's notebook is fixed, does autograde --force replace the 0?"""
    fixed = course / "submitted/crashing/attention" / FIRST.notebook
    shutil.copy(course / "submitted/honest/attention" / FIRST.notebook, fixed)
    nbgrader(course, "autograde", "attention", "--student", "crashing", "--force")
    assert scores(course)["crashing"] == TOTAL


def test_the_course_settings_change_what_autograde_records(course):
    """With points moved between two checks of a part and another hidden_seed in the config, does a regrade
    show the new points in the test cell's table and draw other hidden inputs?"""
    # the twin's failing part: its hidden check fails, and its message quotes the inputs drawn
    mistake, report = named_mistake(FIRST.id)
    failing = next(result for result in report.checks if result.id.endswith("_hidden") and result.status == "failed")
    part = failing.part
    gains, gives = [check for check in registry.checks(FIRST.id) if check.part == part][:2]
    graded = course / "autograded/twin/attention" / FIRST.notebook

    def table():
        cell = next(cell for cell in nbformat.read(graded, as_version=4).cells
                    if cell.metadata.get("nbgrader", {}).get("grade_id") == f"test_{part}")
        return cell.outputs[0]["data"]["text/plain"]

    before = table()
    original = (course / "nbgrader_config.py").read_text()
    try:
        (course / "nbgrader_config.py").write_text(
            original + f"\nc.KitSettings.points = {{{gains.id!r}: {gains.points + 0.5:g}, {gives.id!r}: "
                       f"{gives.points - 0.5:g}}}\nc.KitSettings.hidden_seed = 4242\n")
        nbgrader(course, "autograde", "attention", "--student", "twin", "--force")
        after = table()
    finally:
        (course / "nbgrader_config.py").write_text(original)
    short = gains.id.split(".", 1)[1]
    row = lambda text: next(line for line in text.splitlines() if short in line)  # noqa: E731
    assert f"/{gains.points:g} " in row(before) and f"/{gains.points + 0.5:g} " in row(after)
    block = lambda text: text[text.index(failing.id.split(".", 1)[1]):].split(" ✓ ")[0].split(" ✗ ")[0]  # noqa: E731
    assert block(before) != block(after)  # other inputs, other numbers in the message


def test_the_release_steps_are_nbgraders_own_then_the_kits():
    """Does the config's list of generate_assignment steps, written out by name (so that reading the config
    imports no nbgrader), equal the installed nbgrader's own list followed by KernelLanguageInfo, so that an
    nbgrader upgrade that changes its list is noticed here?"""
    from nbgrader.converters import GenerateAssignment
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    written = [name.rsplit(".", 1)[1] for name in config.GenerateAssignment.preprocessors]
    shipped = [step.__name__ for step in GenerateAssignment.preprocessors.default()]
    assert written == shipped + ["KernelLanguageInfo"]


def test_the_sanitising_steps_are_nbgraders_own_with_the_kits_in_place_of_two():
    """Does the config's list of autograde's sanitising steps hold nbgrader's own, with the kit's steps in place
    of DeduplicateIds and OverwriteCells, so that an nbgrader upgrade that changes its list is noticed here?"""
    from nbgrader.converters import Autograde
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    written = [name.rsplit(".", 1)[1] for name in config.Autograde.sanitize_preprocessors]
    shipped = [step.__name__ for step in Autograde.sanitize_preprocessors.default()]
    replaced = ["DeduplicateIds", "OverwriteCells"]
    assert shipped == ["ClearOutput", *replaced[:1], "OverwriteKernelspec", *replaced[1:], "CheckCellMetadata"]
    assert written == ["DiscardFollowedLinks", "RestoreLockedCells", *(step for step in shipped if step not in replaced)]


# Links in what students hand in: to the reference (the course layout is public) and to another student's work,
# relative and absolute, in an inbound exchange entry before `collect` and in submitted/ before `autograde`.
# .ci/run runs these as an ordinary user too (-k links).
LINKED = {"notes.py": "absolute", "helper.py": "relative"}  # the reference of FIRST, linked two ways
BORROWED = {EXERCISES[1]: "relative", EXERCISES[2]: "absolute"}  # notebooks linked to the honest student's


def linking_answers():
    """Answer cells of FIRST that run the linked files: full points, if the links were followed."""
    parts = registry.get(FIRST.id).parts
    return {FIRST.id: {part: f"exec(open({'notes.py' if index == 0 else 'helper.py'!r}).read())"
                       for index, part in enumerate(parts)}}


def place_links(folder, reference, others):
    """Links in folder: LINKED to the reference file, BORROWED notebooks to those in the folder others."""
    for name, form in LINKED.items():
        (folder / name).symlink_to(reference if form == "absolute" else os.path.relpath(reference, folder))
    for exercise, form in BORROWED.items():
        target = others / registry.get(exercise).notebook
        (folder / target.name).symlink_to(target if form == "absolute" else os.path.relpath(target, folder))


@pytest.fixture(scope="module")
def linked(released, tmp_path_factory):
    course = copy_of(released, tmp_path_factory, "linked")
    reference = course / "solutions" / f"{FIRST.id}.py"
    shutil.copytree(ROOT / "solutions", course / "solutions")
    inbound = course / "exchange" / "attention" / "inbound"
    inbound.mkdir(parents=True)
    entries = {}
    for student in ("honest", "via_exchange"):  # as `nbgrader submit` leaves them
        entries[student] = inbound / f"{student}+attention+2030-01-01 00:00:00.000000 UTC+{student}"
        answers = honest_answers() if student == "honest" else linking_answers()
        submit(course, student, answers, folder=entries[student])
        (entries[student] / "timestamp.txt").write_text("2030-01-01 00:00:00.000000 UTC")
    place_links(entries["via_exchange"], reference, entries["honest"])
    nbgrader(course, "collect", "attention")
    folder = submit(course, "via_submitted", linking_answers())
    place_links(folder, reference, course / "submitted/honest/attention")
    nbgrader(course, "autograde", "attention")
    nbgrader(course, "generate_feedback", "attention")
    return course


def test_links_earn_nothing_and_the_feedback_says_why(linked):
    """Do links placed in an exchange entry before collect, or in submitted/ before autograde, earn nothing
    (the honest student beside them earns everything), and does the feedback name each link?"""
    assert scores(linked) == {"honest": TOTAL, "via_exchange": 0.0, "via_submitted": 0.0}
    names = [*LINKED, *(registry.get(exercise).notebook for exercise in BORROWED)]
    for student, says in (("via_exchange", "{} is a link; links are never followed, so it was left out at collect"),
                          ("via_submitted", "{} beside the submission is a link and was left out")):
        page = feedback_page(linked, student, FIRST)
        assert [name for name in names if says.format(name) not in page] == [], student
    for exercise in BORROWED:  # a notebook that is a link is graded zero, saying so
        page = feedback_page(linked, "via_submitted", registry.get(exercise))
        assert f"{registry.get(exercise).notebook} is a link; links are never followed" in page


def test_links_leave_no_copy_of_what_they_point_to(linked):
    """Does no copy of a linked file reach submitted/ through collect, or autograded/ and feedback/ through
    autograde, where nbgrader's own copies follow links?"""
    collected = {path.name for path in (linked / "submitted/via_exchange/attention").iterdir()}
    assert collected == {FIRST.notebook, "timestamp.txt", "left_out_at_collect.txt"}
    for step in ("autograded", "feedback"):
        for student in ("via_exchange", "via_submitted"):
            left = [name for name in LINKED if os.path.lexists(linked / step / student / "attention" / name)]
            assert left == [], (step, student)


def feedback_page(course, student, exercise):
    """The text of a student's feedback page for one exercise, entities decoded."""
    page = course / "feedback" / student / "attention" / exercise.notebook.replace(".ipynb", ".html")
    return html.unescape(page.read_text())


# ---- who submitted: the exchange's inbound/ is open to every user of the server ------------------------------

def chown_tree(folder, account):
    for path in [folder, *folder.rglob("*")]:
        os.chown(path, account.pw_uid, account.pw_gid, follow_symlinks=False)


@pytest.mark.skipif(os.geteuid() != 0, reason="making files another user owns needs root")
def test_an_entry_made_in_another_students_name_is_not_collected(released, tmp_path_factory):
    """Does collect take a student's own latest entry and pass over a later one that another user made in their
    name (all stubs, as if to zero them), take an entry its named student made, make an exchange writable by all
    sticky, and refuse a course folder in the exchange that another user made?"""
    course = copy_of(released, tmp_path_factory, "owners")
    inbound = course / "exchange" / "attention" / "inbound"
    inbound.mkdir(parents=True)
    (course / "exchange").chmod(0o777)  # as an instructor opening it to students might
    other = pwd.getpwnam("nobody")
    entries = {"genuine": ("honest", "2030-01-01 00:00:00.000000 UTC", None),
               "forged": ("honest", "2031-01-01 00:00:00.000000 UTC", other),
               "own": (other.pw_name, "2030-01-01 00:00:00.000000 UTC", other)}
    for name, (student, time, account) in entries.items():
        entry = inbound / f"{student}+attention+{time}+{name}"
        if name == "forged":
            shutil.copytree(course / "release" / "attention", entry)
        else:
            submit(course, student, honest_answers(), folder=entry)
        (entry / "timestamp.txt").write_text(time)
        if account:
            chown_tree(entry, account)
    log = nbgrader(course, "collect", "attention")
    assert (course / "exchange").stat().st_mode & stat.S_ISVTX
    assert "honest+attention+2031-01-01 00:00:00.000000 UTC+forged: it names honest as who submitted it, but nobody " \
           "made it" in log.replace("\n", " ")
    assert (course / "submitted/honest/attention/timestamp.txt").read_text() == entries["genuine"][1]
    assert (course / "submitted" / other.pw_name / "attention" / FIRST.notebook).exists()
    chown_tree(course / "exchange" / "attention", other)  # another user's folder in the course's place
    environment = dict(os.environ, NBGRADER_COURSE_ROOT=str(course))
    refused = subprocess.run([sys.executable, "-m", "nbgrader", "collect", "attention", "--update"], cwd=course,
                             capture_output=True, text=True, env=environment, timeout=600)
    assert refused.returncode != 0 and "belongs to nobody, not to you" in refused.stdout + refused.stderr


# ---- an entry that changes while it is collected: a student may rename, remove or replace their own files -----

def test_files_that_change_while_collected_cost_only_themselves(tmp_path):
    """Right after collect looks at each, one file of an entry is removed, one replaced by a named pipe and one
    folder renamed: is everything else copied, each of those three named in what was left out, collect never
    blocked, and is the entry then measured by its regular files only (no pipe opened, no link followed)?"""
    from autograder.instructor.nbgrader_exchange import copy_regular_files, regular_files_size

    entry, collected = tmp_path / "entry", tmp_path / "collected"
    (entry / "moved").mkdir(parents=True)
    collected.mkdir()
    for name in ("kept.py", "gone.py", "piped.py", "moved/inner.py"):
        (entry / name).write_text("x = 1\n")
    with open(tmp_path / "huge", "wb") as huge:
        huge.truncate(2 * 1024**3)

    def meanwhile(name, info):  # the copy calls it on each name it has just looked at, before opening it
        if name == "gone.py":
            (entry / name).unlink()
        elif name == "piped.py":
            (entry / name).unlink()
            os.mkfifo(entry / name)
        elif name == "moved":
            (entry / name).rename(entry / "elsewhere")
        return False, None

    left_out = returned_or_blocked(copy_regular_files, entry, collected, meanwhile)
    assert isinstance(left_out, list), left_out
    assert sorted(path.name for path in collected.iterdir()) == ["kept.py"]
    assert [name for name in ("gone.py", "piped.py", "moved") if not any(line.startswith(name) for line in left_out)] == []
    assert any(line.startswith("piped.py") and "not a regular file" in line for line in left_out)
    (entry / "linked.py").symlink_to(tmp_path / "huge")
    assert returned_or_blocked(regular_files_size, entry) == 2 * len("x = 1\n")  # kept.py, elsewhere/inner.py


def toggle(entry, names, stop, rounds):
    """Until stop is set: rename each of names in entry away and back, then put a named pipe in its place and a
    regular file back, each by an atomic rename, as the student who owns the entry can; counts rounds made. Run in a
    process of its own, as the student's would be."""
    for name in names:
        (entry / name).write_text("x")
    while not stop.is_set():
        for name in names:
            os.rename(entry / name, entry / f"moved-{name}")
        for name in names:
            os.rename(entry / f"moved-{name}", entry / name)
        for name in names:
            os.mkfifo(entry / ".swap")
            os.rename(entry / ".swap", entry / name)
            (entry / ".swap").write_text("x")
            os.rename(entry / ".swap", entry / name)
        rounds.value += 1


def test_collect_goes_on_while_a_student_renames_files_in_their_entry(released, tmp_path_factory):
    """While a student keeps renaming the files of their inbound entry and swapping them for named pipes, does
    each of five collects exit 0 (the helper asserts it) and collect that student's notebook and the notebooks of
    the classmates collected after them?"""
    course = copy_of(released, tmp_path_factory, "renaming")
    inbound = course / "exchange" / "attention" / "inbound"
    inbound.mkdir(parents=True)
    answers = {FIRST.id: honest_answers()[FIRST.id]}
    entries = {}
    for student in ("ann", "ben", "zed"):
        entries[student] = inbound / f"{student}+attention+2030-01-01 00:00:00.000000 UTC+{student}"
        submit(course, student, answers, folder=entries[student])
        (entries[student] / "timestamp.txt").write_text("2030-01-01 00:00:00.000000 UTC")
    processes = multiprocessing.get_context("fork")
    stop, rounds = processes.Event(), processes.Value("i", 0)
    names = [f"n{index:03d}.txt" for index in range(200)]
    toggler = processes.Process(target=toggle, args=(entries["ben"], names, stop, rounds), daemon=True)
    toggler.start()
    try:
        for run in range(5):
            nbgrader(course, "collect", "attention", f"--CourseDirectory.submitted_directory=submitted_{run}")
            missing = [student for student in entries
                       if not (course / f"submitted_{run}" / student / "attention" / FIRST.notebook).is_file()]
            assert missing == [], run
    finally:
        stop.set()
        toggler.join()
    assert rounds.value > 0
