"""The instructor in the browser: after nbgrader autograde with the kit's plugin, does the formgrader show the
kit's scores and check tables?"""
import nbformat
import pytest

from autograder import registry
from helpers import FIRST, ROOT

pytestmark = pytest.mark.browser


def course_points():
    """The points of every test cell of the release, all notebooks together."""
    return sum(cell.metadata["nbgrader"]["points"]
               for exercise in registry.exercises()
               for cell in nbformat.read(ROOT / "release" / "attention" / exercise.notebook, as_version=4).cells
               if cell.metadata.get("nbgrader", {}).get("grade"))


@pytest.fixture(scope="module")
def graded(grading):
    process, log = grading
    process.wait(timeout=600)
    assert process.returncode == 0 and "Exception while loading config" not in log.read_text(), log.read_text()[-3000:]


def scores_on(page, url, row_selector):
    """{student id: score text} from a formgrader table whose rows the page fills in after loading."""
    page.goto(url)
    page.wait_for_selector(f"{row_selector}:has-text('ada')")
    page.wait_for_selector(f"{row_selector}:has-text('bob')")
    found = {}
    for row in page.locator(row_selector).all():
        cells = [text.strip() for text in row.locator("td").all_inner_texts()]
        for student in ("ada", "bob"):
            if student in cells:
                found[student] = next(text for text in cells if " / " in text)
    return found


def test_the_formgrader_shows_the_class_scores(page, lab, graded, screenshot):
    """Do the formgrader's students and submissions pages show the student with every answer at full points and
    the one who handed in the stubs at zero?"""
    total = f"{course_points():g}"
    page.goto(lab.url("login"))  # the token becomes the session's cookie, which the formgrader's requests carry
    students = scores_on(page, lab.url("formgrader/manage_students"), "table tbody tr")
    screenshot("formgrader-students")
    assert students == {"ada": f"{total} / {total}", "bob": f"0 / {total}"}
    submissions = scores_on(page, lab.url("formgrader/manage_submissions/attention"), "table tbody tr")
    screenshot("formgrader-submissions")
    assert submissions == students


def test_the_formgrader_shows_the_kits_check_tables(page, lab, graded, screenshot):
    """Opening a graded notebook in the formgrader, does the instructor see the kit's check table for every part,
    with each of its checks (public and hidden) and the points recorded for the cell?"""
    page.goto(lab.url("login"))
    page.goto(lab.url(f"formgrader/gradebook/attention/{FIRST.notebook.removesuffix('.ipynb')}"))
    link = page.locator("a.name-shown", has_text="ada")
    link.wait_for(state="attached")
    page.goto(lab.url(link.get_attribute("href").lstrip("/")))
    page.wait_for_selector("table")
    text = page.locator("body").inner_text()
    screenshot("formgrader-submission", page.locator("table", has_text="passed").first)
    for check in registry.checks(FIRST.id):
        assert check.id.split(".", 1)[1] in text, check.id
    points = [cell.metadata["nbgrader"]["points"] for cell in
              nbformat.read(ROOT / "release" / "attention" / FIRST.notebook, as_version=4).cells
              if cell.metadata.get("nbgrader", {}).get("grade")]
    for value in points:
        assert f"recorded for this cell: {value:g} of {value:g} points" in text
    assert "✗" not in text
