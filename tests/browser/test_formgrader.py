"""The instructor in the browser: after nbgrader autograde with the kit's plugin, does the formgrader show the
kit's scores and check tables?"""
import re

import nbformat
import pytest

from autograder import registry
from helpers import FIRST, ROOT
from lab_driver import RAW

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


def open_graded_notebook(page, lab, student):
    """The formgrader's page of the student's graded first notebook, reached as an instructor does: logged in,
    the notebook's list of submissions, the student's link."""
    page.goto(lab.url("login"))  # the token becomes the session's cookie, which the formgrader's requests carry
    page.goto(lab.url(f"formgrader/gradebook/attention/{FIRST.notebook.removesuffix('.ipynb')}"))
    link = page.locator("a.name-shown", has_text=student)
    link.wait_for(state="attached")
    page.goto(lab.url(link.get_attribute("href").lstrip("/")))


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
    open_graded_notebook(page, lab, "ada")
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


def offline(page):
    """From now on the page reaches nothing but the loopback server (a classroom without the internet)."""
    page.route(re.compile(r"^(?!http://127\.0\.0\.1:)"), lambda route: route.abort())


def formulas_rendered(page, raw):
    """Waits for MathJax's output in the page; returns (formulas typeset, whether the raw LaTeX is still shown)."""
    try:
        page.wait_for_selector(".MathJax_CHTML, .MathJax, .MathJax_SVG", state="attached", timeout=60_000)
    except Exception:  # noqa: BLE001  (none came: counted as none below)
        pass
    return page.locator(".MathJax_CHTML, .MathJax, .MathJax_SVG").count(), raw in page.locator("body").inner_text()


# a formula of the first notebook's prose, as written in its markdown (typeset, it no longer reads so)
RAW_FORMULA = r"q \cdot k"


def test_the_formgrader_renders_formulas_offline(page, lab, graded, screenshot):
    """With nothing but the Jupyter server reachable, does a graded notebook's page in the formgrader typeset the
    prose's formulas (MathJax from the server, no CDN), leaving no raw LaTeX?"""
    assert RAW_FORMULA in (ROOT / "release" / "attention" / FIRST.notebook).read_text().replace("\\\\", "\\")
    context = page.context.browser.new_context(viewport={"width": 1400, "height": 1000})
    view = context.new_page()
    offline(view)
    open_graded_notebook(view, lab, "ada")
    typeset, raw = formulas_rendered(view, RAW_FORMULA)
    screenshot("formgrader-formulas", view)
    context.close()
    assert typeset > 0 and not raw


def test_the_feedback_page_renders_formulas_offline(page, lab, graded, course, screenshot):
    """With nothing but the Jupyter server reachable, does the feedback page nbgrader wrote for a student, opened
    through Jupyter, typeset its formulas?"""
    feedback = course / "feedback" / "ada" / "attention" / FIRST.notebook.replace(".ipynb", ".html")
    assert feedback.is_file() and "cdn" not in feedback.read_text().lower()
    context = page.context.browser.new_context(viewport={"width": 1400, "height": 1000})
    view = context.new_page()
    offline(view)
    view.goto(lab.url(f"files/{feedback.relative_to(course).as_posix()}"))
    typeset, raw = formulas_rendered(view, RAW_FORMULA)
    screenshot("feedback-formulas", view)
    context.close()
    assert typeset > 0 and not raw


def test_the_feedback_page_pictures_a_failing_check(page, lab, graded, course, screenshot):
    """On the feedback page of a student whose value check failed, opened through Jupyter, is there a picture of
    their weights beside the expected ones and the difference, drawn (not a broken image), in the failing check's
    row, and none in the rows of the checks that passed?"""
    feedback = course / "feedback" / "ben" / "attention" / FIRST.notebook.replace(".ipynb", ".html")
    assert feedback.is_file()
    context = page.context.browser.new_context(viewport={"width": 1400, "height": 1000})
    view = context.new_page()
    view.goto(lab.url(f"files/{feedback.relative_to(course).as_posix()}"))
    pictures = view.locator("img[alt*='yours, expected and their difference']")
    pictures.first.wait_for(state="visible")
    drawn = pictures.evaluate_all("(images) => images.map((image) => image.complete && image.naturalWidth > 100)")
    rows = view.locator("tr", has=pictures.first)
    row_text = rows.last.inner_text()
    passed_rows_with_pictures = view.locator("tr:has-text('passed')", has=view.locator("img")).count()
    pictures.first.scroll_into_view_if_needed()
    screenshot("feedback-picture", view)
    context.close()
    assert drawn and all(drawn)
    assert "failed" in row_text and "_fixture" in row_text
    assert passed_rows_with_pictures == 0


# what a prompt reads as on nbconvert's pages ("In [ ]:", "Out[ ]:", with a number when a kernel ran the cell)
PROMPT = re.compile(r"^(In|Out)\s*\[[ \d]*\]:", re.M)
OVERFLOWING = """() => [...document.querySelectorAll('.output_html table, .output_area pre, .output_subarea')]
    .filter(element => element.scrollWidth > element.clientWidth + 1).map(element => element.innerText.slice(0, 80))"""


def test_the_formgrader_and_feedback_pages_show_no_prompts_and_tables_that_fit(page, lab, graded, course, screenshot):
    """On a graded notebook's formgrader page and on its feedback page (bob's, whose checks all fail with messages
    and hints): is there no "In [ ]:" or "Out[ ]:" prompt, and does every one of the kit's tables and outputs fit
    its box (long lines wrap instead of running out of sight)?"""
    open_graded_notebook(page, lab, "bob")
    page.wait_for_selector("table:has-text('failed'), table:has-text('error')")
    pages = {"formgrader": (page.locator("body").inner_text(), page.evaluate(OVERFLOWING))}
    screenshot("formgrader-no-prompts")
    feedback = course / "feedback" / "bob" / "attention" / FIRST.notebook.replace(".ipynb", ".html")
    page.goto(lab.url(f"files/{feedback.relative_to(course).as_posix()}"))
    page.wait_for_selector("table:has-text('Hint')")
    pages["feedback"] = (page.locator("body").inner_text(), page.evaluate(OVERFLOWING))
    screenshot("feedback-no-prompts")
    for name, (text, overflowing) in pages.items():
        assert "recorded for this cell" in text and "Hint" in text, name
        assert PROMPT.findall(text) == [], name
        assert overflowing == [], name


def test_a_students_markup_runs_nothing_in_the_formgrader(page, lab, graded, screenshot):
    """Opening in the formgrader a graded notebook whose markdown holds a script, an onerror handler and a
    javascript: link, and whose raw cells hold markup (nbconvert writes raw cells into a page as they stand), does
    nothing of it run in the instructor's Jupyter, the student's words still shown and the raw cells as text?"""
    dialogs = []

    def seen(dialog):  # an alert a script opened; a page's "leave this page?" is answered as a user leaving would
        if dialog.type != "beforeunload":
            dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", seen)  # the page is the suite's: the handler goes when the test does
    try:
        open_graded_notebook(page, lab, "eve")
        page.wait_for_selector("table")
        page.wait_for_timeout(1000)  # an onerror fires once its image fails to load
        screenshot("formgrader-markup")
        assert page.evaluate("window.kitXss") is None and dialogs == []
    finally:
        page.remove_listener("dialog", seen)
    text = page.locator("body").inner_text()
    assert "Notes on my answer." in text and RAW["text/html"] in text and RAW[""] in text
    assert page.locator("#raw-markup").count() == 0 and page.locator("a[href^='javascript']").count() == 0
