"""After grading, does an instructor get a gradebook, feedback per student and a class report that counts mistakes?"""
import csv

from autograder import checks, classreport, misconceptions
from autograder.probes import observer


def graded(namespace, exercise, student):
    report = checks.run(exercise, observer(namespace))
    report.student, report.submission = student, f"submitted/{student}/attention/{exercise}.py"
    return report


def test_outputs_for_a_class(tmp_path):
    unscaled = misconceptions.namespace("sdpa_unscaled")
    reference = checks.reference_namespace("self_attention")
    reports = [graded(unscaled, "self_attention", "ann"), graded(unscaled, "self_attention", "bob"),
               graded(reference, "self_attention", "cat"),
               graded(misconceptions.namespace("mha_no_out_proj"), "multi_head_attention", "cat")]
    written = classreport.write(reports, tmp_path)
    assert all(path.exists() and path.stat().st_size > 0 for path in written)

    with open(tmp_path / "grades.csv") as table:
        rows = {row["student"]: row for row in csv.DictReader(table)}
    assert rows["cat"]["self_attention"] == "10.0" and rows["cat"]["total"] == str(10.0 + reports[3].score)
    assert rows["ann"]["multi_head_attention"] == ""

    report = (tmp_path / "report.md").read_text()
    assert "| 2 | self_attention | `sdpa_unscaled` |" in report
    assert "| 1 | multi_head_attention | `mha_no_out_proj` |" in report
    feedback = (tmp_path / "feedback" / "ann" / "self_attention.html").read_text()
    assert "your scores look unscaled" in feedback and "<script" not in feedback
    assert (tmp_path / "scores.png").read_bytes()[:4] == b"\x89PNG"


def test_feedback_shows_what_a_submission_says_as_text_never_as_markup(tmp_path):
    """A load problem quoting a student's exception message full of markup: escaped in the feedback page?"""
    report = graded(checks.reference_namespace("self_attention"), "self_attention", "eve")
    report.problems = ["self_attention.py did not run: RuntimeError: <script>alert(1)</script><img src=x onerror=alert(2)>"]
    classreport.write([report], tmp_path)
    page = (tmp_path / "feedback" / "eve" / "self_attention.html").read_text()
    assert "<script" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
