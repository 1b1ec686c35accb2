"""JupyterLab in Chromium, as students and instructors use it: the server, the browser, and reading the page.

One JupyterLab server (the worktree's .venv, nbgrader's extensions as installed) serves a temporary copy
of the course on loopback, behind a token; Playwright drives Debian's Chromium. Everything a test learns
it reads from the rendered page: the check tables, hints, error text, figures, nbgrader's dialogs and
the formgrader's pages.
"""
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import nbformat

_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
# No background traffic: the machine reaches nothing outside, and the tests must not wait on it.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
                 "--disable-default-apps", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                 "--disable-gpu", "--metrics-recording-only", "--disable-features=Translate,MediaRouter"]
# JupyterLab's settings for these sessions: every cell in the page (no windowing), no news, no update checks.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
}
KERNEL_TIMEOUT_MS = 120_000  # a run imports torch in a fresh kernel; validate starts another


class PageError(AssertionError):
    """The page does not show what a student must see."""


def chromium_or_skip_reason():
    """(path, None) where Chromium is installed, else (None, why it cannot be: only when it cannot be installed)."""
    if CHROMIUM.is_file():
        return CHROMIUM, None
    if os.geteuid() == 0 and shutil.which("apt-get"):
        raise RuntimeError(f"{CHROMIUM} is missing: run `make setup` (as root it installs Debian's chromium)")
    return None, f"{CHROMIUM} is missing and this user cannot install it (as root, `make setup` installs chromium)"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Lab:
    """A JupyterLab server on loopback serving `root`, started from `root` (nbgrader reads the course's config
    from the server's working folder), with settings, config and runtime files of its own under `state`."""

    def __init__(self, root, state):
        self.root, self.token, self.port = Path(root), secrets.token_hex(16), free_port()
        settings = Path(state) / "lab-settings"
        for name, values in LAB_SETTINGS.items():
            (settings / name).parent.mkdir(parents=True, exist_ok=True)
            (settings / name).write_text(json.dumps(values))
        environment = {key: value for key, value in os.environ.items() if key != "NBGRADER_COURSE_ROOT"}
        environment.update(PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
                           JUPYTER_CONFIG_DIR=str(Path(state) / "config"), JUPYTER_RUNTIME_DIR=str(Path(state) / "runtime"),
                           IPYTHONDIR=str(Path(state) / "ipython"))
        self.log = open(Path(state) / "jupyterlab.log", "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ServerApp.ip=127.0.0.1",
             f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
             f"--ServerApp.root_dir={self.root}", f"--LabApp.user_settings_dir={settings}",
             f"--LabApp.workspaces_dir={Path(state) / 'workspaces'}", "--LabApp.news_url=None",
             "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
            cwd=self.root, env=environment, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self._wait_ready(Path(state) / "jupyterlab.log")

    def _wait_ready(self, log, timeout=90):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited ({self.process.returncode}):\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(self.url("api/status"), timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"JupyterLab did not answer in {timeout} s:\n{log.read_text()[-3000:]}")

    def url(self, path, **query):
        query = {"token": self.token, **query}
        return f"http://127.0.0.1:{self.port}/{path}?" + "&".join(f"{key}={value}" for key, value in query.items())

    def stop(self):
        """Ends the server and the kernels it started (its own process group)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


def student_folder(course, name):
    """course/<name>/attention: a copy of the repository's release/attention/, as a student receives it (the
    course copy's own release/ is being written again by the instructor's generate_assignment meanwhile)."""
    folder = course / name / "attention"
    if not folder.exists():
        shutil.copytree(_ROOT / "release" / "attention", folder)
    return folder


# --- the notebook as a student sees it ---------------------------------------------------------------------

NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden)"
CELLS = f"{NOTEBOOK} .jp-Notebook .jp-Cell"


def open_notebook(page, lab, relative, reuse=False):
    """Opens the notebook at `relative` (under the server's root) alone in a fresh workspace; returns when its
    kernel is idle. With reuse, a page already showing that notebook, unchanged and never run, is kept."""
    if reuse and page.url.startswith(lab.url(f"lab/tree/{relative}").split("?")[0]) and not tab_is_dirty(page) \
            and _last_prompt(page) == 0:
        return
    page.goto(lab.url(f"lab/tree/{relative}", reset=""))
    page.wait_for_selector(CELLS, timeout=KERNEL_TIMEOUT_MS)
    wait_idle(page)


def wait_idle(page):
    """Until the status bar names the notebook's kernel and says it is idle (while the page loads, the toolbar's
    indicator says idle with no kernel at all)."""
    page.wait_for_function("""selector => {
        const bar = document.querySelector('#jp-main-statusbar'), name = document.querySelector(selector + ' .jp-Toolbar-kernelName');
        return bar && name && !name.innerText.includes('No Kernel') && /\\| Idle/.test(bar.innerText)
            && document.querySelector(selector + " .jp-Notebook-ExecutionIndicator[data-status='idle']");
    }""", arg=NOTEBOOK, timeout=KERNEL_TIMEOUT_MS)


def cell(page, index):
    """The index-th cell of the open notebook, in the file's order (every cell is in the page: no windowing)."""
    return page.locator(CELLS).nth(index)


def prompt_number(locator):
    """The execution count a cell's prompt shows ([7] gives 7), or 0 for a cell not run (or queued: [*])."""
    import re

    found = re.search(r"\[(\d+)\]", locator.locator(".jp-InputPrompt").inner_text())
    return int(found.group(1)) if found else 0


def tab_is_dirty(page):
    """Whether the open notebook's tab carries JupyterLab's mark of unsaved changes."""
    return "jp-mod-dirty" in (page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current").get_attribute("class") or "")


def run_command(page, menu, command):
    """Clicks menu (as labelled in the menu bar), then its item for the JupyterLab command id."""
    page.locator(".lm-MenuBar-itemLabel", has_text=menu).first.click()
    page.locator(f".lm-Menu-item[data-command='{command}']").click()


def _last_prompt(page):
    return page.evaluate("""selector => Math.max(0, ...[...document.querySelectorAll(selector + ' .jp-InputPrompt')]
        .map(e => parseInt((e.textContent.match(/\\[(\\d+)\\]/) || [0, 0])[1])))""", NOTEBOOK)


def run_and_wait(page, menu, command):
    """Runs the command and waits until the kernel has run something and nothing is queued any more."""
    before = _last_prompt(page)
    run_command(page, menu, command)
    page.wait_for_function("""([selector, before]) => {
        const prompts = [...document.querySelectorAll(selector + ' .jp-InputPrompt')].map(e => e.textContent);
        if (prompts.some(text => text.includes('*'))) return false;
        return Math.max(0, ...prompts.map(t => parseInt((t.match(/\\[(\\d+)\\]/) || [0, 0])[1]))) > before;
    }""", arg=[NOTEBOOK, before], timeout=KERNEL_TIMEOUT_MS)
    wait_idle(page)


def run_all(page):
    run_and_wait(page, "Run", "runmenu:run-all")


def run_from(page, index):
    """Selects cell index and runs it and every cell below (as Run › Run Selected Cell and All Below)."""
    select(page, index)
    run_and_wait(page, "Run", "notebook:run-all-below")


def select(page, index, tries=3):
    """Makes cell index the active cell by clicking its prompt; clicks again if outputs still rendering above it
    moved the page under the click and another cell became active."""
    for _ in range(tries):
        cell(page, index).locator(".jp-InputPrompt").click()
        if "jp-mod-active" in (cell(page, index).get_attribute("class") or ""):
            return
        page.wait_for_timeout(200)
    raise PageError(f"cell {index} did not become the active cell after {tries} clicks")


def paste_into(page, index, text):
    """Replaces the editor's text in cell index the way a student pastes: select all, Ctrl+V."""
    page.evaluate("text => navigator.clipboard.writeText(text)", text)
    cell(page, index).locator(".cm-content").click()
    page.keyboard.press("Control+a")
    page.keyboard.press("Control+v")
    page.keyboard.press("Escape")


def save(page):
    page.keyboard.press("Control+s")
    page.wait_for_function("() => !document.querySelector('.lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current.jp-mod-dirty')",
                           timeout=30_000)


def images(page):
    """[(natural width, natural height)] of every image the open notebook's outputs show."""
    return page.evaluate("""selector => [...document.querySelectorAll(selector + ' .jp-OutputArea-output img')]
        .map(img => [img.naturalWidth, img.naturalHeight])""", NOTEBOOK)


def error_outputs(page):
    """The text of every error output (tracebacks, stderr) in the open notebook."""
    return page.locator(f"{NOTEBOOK} .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").all_inner_texts()


# --- the check cell, read from the page ---------------------------------------------------------------------

@dataclass
class Row:
    status: str  # "passed", "failed", "error" or "timeout", as the table's first column says
    points: str  # "0/1"
    check: str  # the check's name, as the table shows it
    wrong: str  # the "what is wrong" column: the message, then "Hint: …" when the kit names the mistake


@dataclass
class CheckCell:
    heading: str
    rows: list
    error: str  # the failure text under the table (the cell raises while a check fails)

    @property
    def hints(self):
        return [row.wrong.split("Hint:", 1)[1].strip() for row in self.rows if "Hint:" in row.wrong]


def read_check_cell(locator):
    """The check table a test cell shows, read from the rendered page; PageError when there is none."""
    tables = locator.locator(".jp-OutputArea-output table")
    if tables.count() != 1:
        raise PageError(f"the check cell shows {tables.count()} check tables, not one")
    rows = []
    for row in tables.first.locator("tbody tr").all():
        status, points, check, wrong = [text.strip() for text in row.locator("td").all_inner_texts()]
        rows.append(Row(status.split()[-1], points, check.splitlines()[0].strip(), wrong))
    heading = locator.locator(".jp-OutputArea-output[data-mime-type='text/html'] p").first
    errors = locator.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").all_inner_texts()
    return CheckCell(heading.inner_text() if heading.count() else "", rows, "\n".join(errors))


def expect_failing(shown, checks):
    """That the page shows every one of checks (their names) failing, each saying what is wrong, with a hint and
    the failure text under the table; PageError otherwise."""
    if [row.check for row in shown.rows] != list(checks):
        raise PageError(f"the table shows the checks {[row.check for row in shown.rows]}, not {list(checks)}")
    if any(row.status == "passed" or not row.wrong for row in shown.rows):
        raise PageError(f"a check passes or says nothing of what is wrong: {shown.rows}")
    if not shown.hints:
        raise PageError("no failing check shows a hint")
    if not shown.error:
        raise PageError("no failure text under the table")


def expect_passing(shown, checks):
    """That the page shows every one of checks passing, with all its points and no failure text."""
    if [row.check for row in shown.rows] != list(checks):
        raise PageError(f"the table shows the checks {[row.check for row in shown.rows]}, not {list(checks)}")
    wrong = [row for row in shown.rows if row.status != "passed" or row.points.split("/")[0] != row.points.split("/")[1]]
    if wrong or shown.error or shown.hints:
        raise PageError(f"checks not passed with full points, or failure text shown: {wrong} {shown.error!r}")


# --- nbgrader's Validate button -----------------------------------------------------------------------------

def validate(page):
    """Clicks the notebook toolbar's Validate button; returns the text of nbgrader's verdict and its dialog."""
    page.locator(f"{NOTEBOOK} .validate-button").click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for(timeout=KERNEL_TIMEOUT_MS)
    page.wait_for_function("() => !document.querySelector('.jp-Dialog').innerText.includes('Validating')",
                           timeout=KERNEL_TIMEOUT_MS)
    return dialog.inner_text(), dialog


def close_dialog(page):
    page.locator(".jp-Dialog button").last.click()
    page.locator(".jp-Dialog").wait_for(state="detached")


# In a student's notebook, markup that would run script where a page shows it (the formgrader, feedback)
MARKUP = ("Notes on my answer. <script>window.kitXss = 1</script><img src='x' onerror='window.kitXss = 2'> "
          "[more](javascript:window.kitXss=3)")
RAW = {"text/html": "<script>window.kitXss = 4</script><b id='raw-markup'>raw</b>",
       "": "<img src='x' onerror='window.kitXss = 5'>"}  # nbconvert writes a raw cell marked either into a page


def with_markup(notebook):
    """The notebook with a markdown cell of MARKUP and raw cells of RAW after its first cell."""
    written = nbformat.read(notebook, as_version=4)
    added = [nbformat.v4.new_markdown_cell(MARKUP)]
    added += [nbformat.v4.new_raw_cell(text, metadata={"format": kind} if kind else {}) for kind, text in RAW.items()]
    written.cells[1:1] = added
    nbformat.write(written, notebook)
