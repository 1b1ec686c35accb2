"""One JupyterLab server, one Chromium and one page for the whole browser suite; a small class graded by
nbgrader in the background meanwhile, for the formgrader's pages.

The course is a temporary copy of the repository. Students work in folders of their own beside it
(`stubs/`, `answers/`, …), each a copy of release/attention/. Screenshots go to out/browser/.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import registry
from helpers import ROOT
from lab_driver import CHROMIUM_ARGS, Lab, chromium_or_skip_reason, with_markup

SCREENSHOTS = ROOT / "out" / "browser"
# bob hands in the stubs; ben's answers carry known mistakes, whose failing checks the feedback pictures; eve's
# are ada's, with markup and raw cells in her first notebook that would run script where the page is opened
CLASS = {"ada": ROOT / "samples" / "submitted" / "ada" / "attention", "bob": None,
         "ben": ROOT / "samples" / "submitted" / "ben" / "attention",
         "eve": ROOT / "samples" / "submitted" / "ada" / "attention"}
def pytest_terminal_summary(terminalreporter):
    if SCREENSHOTS.is_dir() and any(SCREENSHOTS.iterdir()):
        terminalreporter.write_line(f"browser screenshots: {SCREENSHOTS}")


@pytest.fixture(scope="session")
def chromium():
    path, reason = chromium_or_skip_reason()
    if path is None:
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def course(tmp_path_factory, chromium):
    """A copy of the course, with its release; the instructor starts grading the class at once (see graded)."""
    course = tmp_path_factory.mktemp("browser") / "course"
    shutil.copytree(ROOT, course, ignore=shutil.ignore_patterns(
        ".venv", ".git", "__pycache__", "gradebook.db", "exchange", "submitted", "autograded", "feedback", "out",
        "*.egg-info", "build"))
    return course


@pytest.fixture(scope="session")
def grading(course):
    """nbgrader in the course copy, started now and left running: the gradebook learns the assignment, two
    students are added and their submissions (ada's answers, bob's untouched stubs) autograded, then given
    feedback."""
    for student, filled in CLASS.items():
        folder = course / "submitted" / student / "attention"
        shutil.copytree(filled or ROOT / "release" / "attention", folder)
    with_markup(course / "submitted" / "eve" / "attention" / registry.exercises()[0].notebook)
    (course / "students.csv").write_text("id\n" + "\n".join(CLASS) + "\n")
    environment = {key: value for key, value in os.environ.items() if key != "NBGRADER_COURSE_ROOT"}
    environment["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])
    nbgrader = f"'{sys.executable}' -m nbgrader"
    log = open(course / "grading.log", "w")
    process = subprocess.Popen(
        ["bash", "-c", f"set -e; {nbgrader} generate_assignment attention --force; "
                       f"{nbgrader} db student import students.csv; {nbgrader} autograde attention; "
                       f"{nbgrader} generate_feedback attention"],
        cwd=course, env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    yield process, course / "grading.log"
    if process.poll() is None:
        process.kill()
        process.wait()
    log.close()


@pytest.fixture(scope="session")
def lab(course, grading, tmp_path_factory):
    server = Lab(course, tmp_path_factory.mktemp("jupyter"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def page(lab, chromium):
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob("*.png"):
        old.unlink()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=f"http://127.0.0.1:{lab.port}")
        page = context.new_page()
        page.set_default_timeout(60_000)
        yield page
        browser.close()


@pytest.fixture
def screenshot(page):
    """screenshot(name, locator=None): keeps a picture of the page (or of one element) in out/browser/."""
    def take(name, locator=None):
        path = SCREENSHOTS / f"{name}.png"
        (locator or page).screenshot(path=path)
        return path

    return take


@pytest.fixture(params=registry.exercises(), ids=lambda exercise: exercise.id)
def exercise(request):
    return request.param
