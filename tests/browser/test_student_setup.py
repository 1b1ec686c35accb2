"""A student who starts JupyterLab as the README says, on a fresh clone: is nbgrader's Validate there, and are the
instructor's tools (formgrader, create assignment, course list, nbgrader's menu) and the course-folder error not?"""
import os
import re
import signal
import subprocess
import time

import nbformat
import pytest

from autograder.instructor.build import definitions
from helpers import FIRST, ROOT, filled_notebook, fresh_clone, named_mistake, new_shell, without_markers
from lab_driver import CELLS, KERNEL_TIMEOUT_MS, NOTEBOOK, close_dialog, validate, wait_idle

pytestmark = pytest.mark.browser

INSTRUCTOR_TOOLS = ("Formgrader", "Create Assignment", "Courses", "Nbgrader")  # titles of nbgrader's instructor UI


def student_command():
    """The README's command for students: the line of its student steps that starts JupyterLab."""
    return next(line.strip() for line in (ROOT / "README.md").read_text().splitlines()
                if line.strip().startswith("JUPYTER_CONFIG_DIR=") and "jupyter lab" in line)


@pytest.fixture(scope="module")
def student_lab(tmp_path_factory):
    """The README's student command, run verbatim in a new shell on a fresh clone: (its URL with token, its log)."""
    folder = tmp_path_factory.mktemp("student-lab")
    clone = fresh_clone(folder)
    (folder / "home").mkdir()
    log_path = folder / "jupyterlab.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(["bash", "-c", student_command()], cwd=clone, env=new_shell(folder / "home"),
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline, url = time.monotonic() + 120, None
        while url is None and time.monotonic() < deadline and process.poll() is None:
            url = re.search(r"http://127\.0\.0\.1:\d+/lab\?token=\w+", log_path.read_text())
            time.sleep(0.5)
        assert url, f"no address printed:\n{log_path.read_text()[-3000:]}"
        yield url[0], log_path, clone
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # the server this fixture started, with its kernels
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def instructor_tools_shown(page):
    """The instructor tools' titles the page shows: in the menu bar and on the side bars' tabs."""
    page.wait_for_selector(".lm-MenuBar-itemLabel", timeout=KERNEL_TIMEOUT_MS)
    page.wait_for_timeout(2000)  # extensions add their menus and panels once the page has loaded
    titles = page.locator(".lm-MenuBar-itemLabel").all_inner_texts()
    titles += [page.locator(".lm-TabBar-tab").nth(index).get_attribute("title") or ""
               for index in range(page.locator(".lm-TabBar-tab").count())]
    titles += page.locator(".lm-TabBar-tabLabel").all_text_contents()
    return sorted({tool for tool in INSTRUCTOR_TOOLS for title in titles if tool.lower() in title.lower()})


@pytest.fixture(scope="module")
def student_page(page, student_lab):
    """A page of its own, in the suite's browser, on the student's JupyterLab."""
    context = page.context.browser.new_context(viewport={"width": 1400, "height": 1000})
    student = context.new_page()
    student.set_default_timeout(60_000)
    yield student
    context.close()


def test_the_instructor_lab_shows_nbgrader_s_tools(page, lab):
    """Does the suite's JupyterLab, started with nbgrader's extensions as installed, show the instructor's tools to
    the reading below (so its finding none in the student's JupyterLab means something)?"""
    page.goto(lab.url("lab", reset=""))
    assert set(instructor_tools_shown(page)) >= {"Create Assignment", "Nbgrader"}


def test_the_student_command_shows_no_instructor_tool(student_page, student_lab, screenshot):
    """Opened as the README tells students, does JupyterLab show none of nbgrader's instructor tools, serve no
    formgrader, and log no complaint about the course folder?"""
    url, log, _ = student_lab
    student_page.goto(url)
    shown = instructor_tools_shown(student_page)
    screenshot("student-lab", student_page)
    assert shown == []
    formgrader = student_page.request.get(url.replace("/lab?", "/formgrader?"))
    assert formgrader.status == 404
    text = log.read_text()
    assert "not a subdirectory" not in text and "Traceback" not in text, text[-3000:]


def test_the_student_command_keeps_validate(student_page, student_lab, screenshot):
    """In the student's JupyterLab, does the first notebook have nbgrader's Validate button, and does Validate
    fail the stubs, naming the check cell?"""
    url, _, _ = student_lab
    student_page.goto(url.replace("/lab?", f"/lab/tree/{FIRST.notebook}?reset=&"))
    student_page.wait_for_selector(CELLS, timeout=KERNEL_TIMEOUT_MS)
    wait_idle(student_page)
    assert student_page.locator(f"{NOTEBOOK} .validate-button").count() == 1
    verdict, dialog = validate(student_page)
    screenshot("student-lab-validate", dialog)
    close_dialog(student_page)
    assert "Success" not in verdict and f"Checks for {FIRST.parts[0]}" in verdict and "NotImplementedError" in verdict, verdict


# every box of the dialog, itself included, whose content is wider than the box (cut off, or to be scrolled
# sideways) or that reaches past the window's edge (the dialog grown to its longest line)
CLIPPED = """() => [...document.querySelectorAll('.jp-Dialog-content, .jp-Dialog-content *')]
    .filter(box => (box.scrollWidth > box.clientWidth + 1 && box.clientWidth > 0)
                   || box.getBoundingClientRect().right > window.innerWidth + 1)
    .map(box => box.className + ': ' + box.innerText.slice(0, 80))"""


def test_validate_shows_every_hint_without_clipping(student_page, student_lab, screenshot):
    """A notebook with a known mistake, validated in the student's JupyterLab: does the dialog show every failing
    public check with its hint, in boxes none of whose lines runs past the edge?"""
    url, _, clone = student_lab
    mistake, report = named_mistake(FIRST.id, public=True)
    answers = {name: without_markers(body) for name, body in definitions(mistake.source()).items()}
    name = f"mistake_{FIRST.notebook}"
    nbformat.write(filled_notebook(ROOT / "release" / "attention" / FIRST.notebook, answers),
                   clone / "release" / "attention" / name)
    student_page.goto(url.replace("/lab?", f"/lab/tree/{name}?reset=&"))  # a fresh workspace: this notebook alone
    student_page.wait_for_selector(CELLS, timeout=KERNEL_TIMEOUT_MS)
    wait_idle(student_page)
    verdict, dialog = validate(student_page)
    # read on a laptop's window, where nbgrader's dialog is narrower than the longest lines it shows
    student_page.set_viewport_size({"width": 900, "height": 800})
    student_page.wait_for_timeout(500)
    clipped = student_page.evaluate(CLIPPED)
    screenshot("student-lab-validate-hints", dialog)
    student_page.set_viewport_size({"width": 1400, "height": 1000})
    close_dialog(student_page)
    said = " ".join(verdict.split())
    hints = [check.hint for check in report.checks if check.status != "passed" and check.hint
             and not check.id.endswith("_hidden")]  # the public checks: the ones Validate runs
    assert hints and all(" ".join(hint.split()) in said for hint in hints), verdict
    assert clipped == []
