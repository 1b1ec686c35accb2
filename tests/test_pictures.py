"""Does a failing check that compares values show the student what differs: a picture in the notebook and the
feedback, rows in the terminal; and never for a hidden check, whose inputs the student must not see?"""
import base64
import re

import pytest

from autograder import registry
from autograder.report import html_table, text
from autograder.selfcheck import check_file
from helpers import ROOT, grade_file

BEN = ROOT / "samples" / "submitted" / "ben" / "attention"
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def reports():
    return [check_file(BEN / exercise.notebook) for exercise in registry.exercises() if (BEN / exercise.notebook).is_file()]


def pictured(report):
    return [check for check in report.checks if check.evidence is not None]


def test_a_failing_value_check_is_pictured_in_html_and_excerpted_in_text(reports):
    """For every failing public check that compares values on the published inputs, does the HTML hold a PNG of
    yours, expected and their difference, and the terminal the rows that differ, yours beside the expected?"""
    shown = [(report, check) for report in reports for check in pictured(report)]
    assert shown, "the sample student Ben fails some value check"
    for report, check in shown:
        assert check.status == "failed" and check.id.endswith("_fixture")
        row = html_table(report).split(f"<code>{check.id}</code>", 1)[1].split("</tr>", 1)[0]
        images = re.findall(r"<img alt='([^']*)' src='data:image/png;base64,([A-Za-z0-9+/=]+)'>", row)
        assert len(images) == 1 and base64.b64decode(images[0][1]).startswith(PNG)
        assert "yours, expected and their difference" in images[0][0]
        lines = text(report, width=200).split(check.id, 1)[1].split("\n ✓", 1)[0].split("\n ✗", 1)[0]
        assert "rows that differ (yours | expected)" in lines
        got, want = check.evidence["got"], check.evidence["want"]
        first_row = int(re.search(r"row (\d+):", lines)[1])
        assert not (got[first_row] - want[first_row]).abs().max() < 1e-9  # the row printed really differs


def test_passing_and_hidden_checks_show_no_picture(reports, tmp_path):
    """Is nothing pictured where a check passed, and nothing for a hidden check (its inputs are the grader's)?"""
    for report in reports:
        for check in report.checks:
            assert (check.evidence is not None) <= (check.status == "failed")
    exercise = registry.exercises()[0]
    graded = grade_file(BEN / exercise.notebook, exercise.id, seed=1729)
    hidden = [check for check in graded.checks if not check.id.endswith("_fixture") and check.id.endswith("_hidden")]
    assert hidden and any(check.status == "failed" for check in hidden)
    assert all(check.evidence is None for check in hidden)
    assert "<img" not in html_table(type(graded)(exercise=graded.exercise, checks=hidden))
