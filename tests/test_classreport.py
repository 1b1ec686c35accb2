"""After grading, does an instructor get a gradebook, feedback per student and a class report that counts mistakes?"""
import csv

from autograder import registry
from autograder.course_settings import CourseSettings
from autograder.instructor import classreport, known_mistakes as mistakes, reference
from autograder.instructor.grading import run_checks
from autograder.instructor.kit_settings import KitSettings
from autograder.sandboxed.probes import observer
from helpers import FIRST, named_mistake

LAST = registry.exercises()[-1]


def graded(namespace, exercise, student):
    report = run_checks(exercise, observer(namespace), KitSettings())
    report.student, report.submission = student, f"submitted/{student}/attention/{exercise}.py"
    return report


def test_outputs_for_a_class(tmp_path):
    """Do grades.csv, report.md, feedback and the plots say who scored what and which mistakes were seen how often?"""
    first, _ = named_mistake(FIRST.id)
    last, _ = named_mistake(LAST.id)
    wrong = mistakes.namespace(first.id)
    reports = [graded(wrong, FIRST.id, "ann"), graded(wrong, FIRST.id, "bob"),
               graded(reference.namespace(FIRST.id), FIRST.id, "cat"),
               graded(mistakes.namespace(last.id), LAST.id, "cat")]
    written = classreport.write(reports, tmp_path)
    assert all(path.exists() and path.stat().st_size > 0 for path in written)

    with open(tmp_path / "grades.csv") as table:
        rows = {row["student"]: row for row in csv.DictReader(table)}
    assert rows["cat"][FIRST.id] == "10.0" and rows["cat"]["total"] == str(10.0 + reports[3].score)
    assert rows["ann"][LAST.id] == "" and rows["ann"]["max_total"] == str(10.0 * len(registry.ids()))

    report = (tmp_path / "report.md").read_text()
    assert f"| 2 | {FIRST.id} | `{first.id}` |" in report
    assert f"| 1 | {LAST.id} | `{last.id}` |" in report
    feedback = (tmp_path / "feedback" / "ann" / f"{FIRST.id}.html").read_text()
    assert first.hint.split(":")[0] in feedback and "<script" not in feedback
    assert (tmp_path / "scores.png").read_bytes()[:4] == b"\x89PNG"


def test_the_course_points_set_the_maxima(tmp_path):
    """With c.KitSettings.points giving a check 3 more points, do the gradebook and report count out of 13?"""
    check = registry.checks(FIRST.id)[0]
    course = CourseSettings(points={check.id: check.points + 3})
    settings = KitSettings(points=course.points)
    report = run_checks(FIRST.id, observer(reference.namespace(FIRST.id)), settings)
    report.student, report.submission = "dee", f"{FIRST.id}.py"
    assert report.score == report.max_score == 13
    classreport.write([report], tmp_path, course)
    with open(tmp_path / "grades.csv") as table:
        row = next(csv.DictReader(table))
    assert row[FIRST.id] == "13.0" and row["max_total"] == str(10.0 * len(registry.ids()) + 3)
    assert f"| {FIRST.id} | 13 | 1 |" in (tmp_path / "report.md").read_text()


def test_feedback_shows_what_a_submission_says_as_text_never_as_markup(tmp_path):
    """A load problem quoting a student's exception message full of markup: escaped in the feedback page?"""
    report = graded(reference.namespace(FIRST.id), FIRST.id, "eve")
    report.problems = [f"{FIRST.id}.py did not run: RuntimeError: <script>alert(1)</script><img src=x onerror=alert(2)>"]
    classreport.write([report], tmp_path)
    page = (tmp_path / "feedback" / "eve" / f"{FIRST.id}.html").read_text()
    assert "<script" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# a name a spreadsheet would run or read as a number, and its cell in grades.csv: a quote first (a tab or carriage
# return inside shows as an escape, as everywhere the kit writes a name as text)
FORMULAS = {'=HYPERLINK("http://example.invalid")': '\'=HYPERLINK("http://example.invalid")', "@SUM(1)": "'@SUM(1)",
            "+1": "'+1", "-1": "'-1", "\t=1+1": "'\\x09=1+1", "\r=1+1": "'\\x0d=1+1", "|calc": "'\\|calc",
            "%0A": "'%0A", "zed": "zed"}


def test_a_gradebook_of_students_named_like_formulas_reads_as_text(tmp_path):
    """Students whose names a spreadsheet would run or read as a number (=HYPERLINK(…), @SUM(1), +1, -1, a
    leading tab or carriage return, |, %): does each name cell start with a quote, and every score stay a number?"""
    reports = [graded(reference.namespace(FIRST.id), FIRST.id, name) for name in FORMULAS]
    classreport.write(reports, tmp_path)
    with open(tmp_path / "grades.csv", newline="") as table:
        header, *rows = csv.reader(table)
    assert sorted(row[0] for row in rows) == sorted(FORMULAS.values())
    for row in rows:
        scores = dict(zip(header, row))
        assert float(scores[FIRST.id]) == 10.0 and float(scores["total"]) == 10.0
        assert float(scores["max_total"]) == 10.0 * len(registry.ids())
        assert all(scores[exercise] == "" for exercise in registry.ids() if exercise != FIRST.id)
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r", "|", "%", "'")) for cell in row[1:])


MARKUP = "<script>alert(1)</script><img src=x onerror=alert(2)>"


def test_check_tables_show_messages_hints_and_names_as_text(tmp_path):
    """A student named with markup whose checks fail with messages and hints full of it (as a student's exception
    message reaches them): does neither the feedback page nor the check table a notebook or nbgrader shows hold
    a <script> or an <img>, while each shows the text, escaped?"""
    from autograder.checks import Status
    from autograder.report import html_table

    report = graded(reference.namespace(FIRST.id), FIRST.id, MARKUP)
    report.submission = f"submitted/{MARKUP}/attention/{FIRST.id}.py"
    for check in report.checks:
        check.status, check.points = Status.ERROR, 0.0
        check.message, check.hint = f"`{MARKUP}` raised RuntimeError: {MARKUP}", MARKUP
    classreport.write([report], tmp_path)
    feedback = (tmp_path / "feedback" / MARKUP / f"{FIRST.id}.html").read_text()
    for page in (html_table(report), feedback):
        assert "<script" not in page and "<img" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;" in page


def test_loose_files_of_one_name_in_two_folders_keep_a_row_each(tmp_path):
    """Graded without students (loose files), do two files of one name in two folders each keep their own row of
    grades.csv and their own feedback page, named by their path, where the second wrote over the first?"""
    first, _ = named_mistake(FIRST.id)
    right, wrong = graded(reference.namespace(FIRST.id), FIRST.id, None), graded(mistakes.namespace(first.id), FIRST.id, None)
    right.submission, wrong.submission = f"downloads/a/{FIRST.id}.py", f"downloads/b/{FIRST.id}.py"
    classreport.write([right, wrong], tmp_path)
    with open(tmp_path / "grades.csv") as table:
        rows = {row["student"]: row for row in csv.DictReader(table)}
    assert rows[f"a/{FIRST.id}"][FIRST.id] == "10.0" and float(rows[f"b/{FIRST.id}"][FIRST.id]) == wrong.score < 10
    pages = {path.relative_to(tmp_path / "feedback").parts[0] for path in (tmp_path / "feedback").rglob(f"{FIRST.id}.html")}
    assert pages == {"a", "b"}
