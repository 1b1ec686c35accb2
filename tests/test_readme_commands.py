"""Do the README's and the notebooks' commands run as typed, in a new shell, on a fresh clone?

The README's fenced command blocks are read from the file and each line is run verbatim with `bash -c`, in README
order, in one clone, with the environment of a new shell (helpers.new_shell: no activated .venv). A line whose
comment says `exit N` must exit with N, every other line with 0. A line that starts a server (`jupyter lab`) is
started, its page fetched through the URL it prints, and stopped. Lines not run here are in NOT_RUN, each with
the reason; the nbgrader steps are run in order, by two students, by tests/test_readme.py.
"""
import json
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from helpers import ROOT, fresh_clone, new_shell

FENCE = re.compile(r"^(?P<indent> *)```(?P<language>[\w-]*)\n(?P<body>.*?)^(?P=indent)```", re.S | re.M)
# what a command line starts with; anything else in a fenced block is output or a listing
PROGRAMS = ("make ", ".venv/bin/", '"$COURSE/.venv/bin/', "JUPYTER_CONFIG_DIR=", "AUTOGRADER_")
# a program of the environment called without its folder: "command not found" or another Python in a new shell
BARE = re.compile(r"^(?:[A-Z_]+=\S+ )*(python3?|nbgrader|pytest|jupyter|pip)(?: |$)")
EXIT = re.compile(r"#.*\bexit (\d+)")

NOT_RUN = {
    "make test": "the kit's whole suite, this test included (about 12 minutes; CI runs it)",
    '.venv/bin/python -m autograder new sliding_window --title "Sliding-window attention"':
        "adds a sixth exercise to the clone the later lines run in; tests/test_scaffold.py runs `new` and `build` "
        "in a copy of the kit of its own",
    ".venv/bin/python -m autograder build sliding_window": "builds the exercise the line above adds (see there)",
}
ELSEWHERE = {"nbgrader steps": "tests/test_readme.py runs them in order, for two students"}
FIGURES = "## Figures"  # timing tables: each names the script that made it (tests/test_readme_examples.py)


def readme():
    return (ROOT / "README.md").read_text()


def instructions(text):
    """The README without its Figures section, whose commands are benchmarks, not steps to follow."""
    start = text.index(FIGURES)
    end = text.index("\n## ", start + 1)
    return text[:start] + text[end:]


def command_lines(text):
    """[(line, block name)] of every fenced block that holds commands, in order; the nbgrader steps are named."""
    found = []
    for block in FENCE.finditer(text):
        lines = [line.strip() for line in block["body"].splitlines()]
        commands = [line for line in lines if line and not line.startswith("#")]
        if block["language"] not in ("", "sh", "bash") or not commands or not commands[0].startswith(PROGRAMS):
            continue
        name = "nbgrader steps" if text[:block.start()].rstrip().endswith("<!-- nbgrader steps -->") else ""
        found += [(line, name) for line in commands]
    return found


def notebook_commands():
    """[(notebook, command)] for every command a release notebook's markdown prints (`.venv/bin/...`)."""
    found = []
    for path in sorted((ROOT / "release" / "attention").glob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "markdown":
                found += [(path.name, span) for span in re.findall(r"`([^`\n]+)`", "".join(cell["source"]))
                          if span.startswith(PROGRAMS)]
    return found


def is_command(span):
    """Inline code that is a command to type: a program with its arguments. A program and its verb alone
    (`nbgrader autograde`, `python -I`) name a step or a flag in prose."""
    return len(span.split()) >= 3


def expected_exit(line):
    match = EXIT.search(line)
    return int(match[1]) if match else 0


def test_no_command_needs_an_activated_environment():
    """Does every command the README's instructions and the notebooks print call the environment's programs by
    their folder (.venv/bin/...), in fenced blocks and in inline code alike?"""
    text = instructions(readme())
    bare = [line for block in FENCE.finditer(text) for line in block["body"].splitlines() if BARE.match(line.strip())]
    bare += [span for span in re.findall(r"(?<!`)`([^`\n]+)`(?!`)", text) if BARE.match(span) and is_command(span)]
    for path in (ROOT / "release" / "attention").glob("*.ipynb"):
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "markdown":
                bare += [f"{path.name}: {span}" for span in re.findall(r"`([^`\n]+)`", "".join(cell["source"]))
                         if BARE.match(span) and is_command(span)]
    assert bare == []
    assert notebook_commands(), "the notebooks print no command (they did: the self-check from a terminal)"


def test_every_command_line_is_run_or_said_why_not():
    """Is every fenced command line of the README run by a test, and is the list of those that are not short and
    still in the README?"""
    lines = command_lines(readme())
    assert len(lines) >= 10 and any(name == "nbgrader steps" for _, name in lines)
    assert set(NOT_RUN) <= {line.split("#")[0].strip() for line, _ in lines}, "NOT_RUN names a line the README lost"


def _run(line, cwd, env):
    return subprocess.run(["bash", "-c", line], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


def _serve(line, cwd, env, path):
    """Start a server line, wait for the URL it prints, fetch path there; returns (HTTP status, page). Stopped after."""
    process = subprocess.Popen(["bash", "-c", line], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, start_new_session=True)
    log = []
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            output = process.stdout.readline()
            if not output and process.poll() is not None:
                break
            log.append(output)
            url = re.search(r"(http://127\.0\.0\.1:\d+/)\S*\?token=(\w+)", output)
            if url:  # printed as the server starts listening: the first connections may still be refused
                request = urllib.request.Request(url[1] + path.lstrip("/"), headers={"Authorization": f"token {url[2]}"})
                for _ in range(60):
                    try:
                        with urllib.request.urlopen(request, timeout=60) as response:
                            return response.status, response.read().decode(), "".join(log)
                    except urllib.error.URLError as refused:
                        if not isinstance(refused.reason, ConnectionRefusedError):
                            raise
                        time.sleep(1)
        raise AssertionError(f"{line}: no URL printed\n{''.join(log)[-3000:]}")
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # the server this test started, and what it started
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# a server line's page: the formgrader's list of assignments where its comment names the formgrader, else Lab
SERVED_PAGE = {"formgrader": "formgrader/api/assignments", "": "lab"}


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    """{line: (exit code, output)} of every README command line run here, in README order, and the clone."""
    folder = tmp_path_factory.mktemp("readme")
    clone = fresh_clone(folder)
    home = folder / "home"
    home.mkdir()
    env = new_shell(home)
    results = {}
    for line, name in command_lines(readme()):
        if name in ELSEWHERE or line.split("#")[0].strip() in NOT_RUN:
            continue
        if " lab" in line.split("#")[0] and "/jupyter" in line:
            page = SERVED_PAGE["formgrader" if "formgrader" in line else ""]
            status, body, log = _serve(line, clone, env, page)
            results[line] = (0 if status == 200 else status, body + log)
            continue
        completed = _run(line, clone, env)
        results[line] = (completed.returncode, completed.stdout + completed.stderr)
    printed = {}
    for notebook, line in notebook_commands():
        completed = _run(line, clone, env)
        printed[f"{notebook}: {line}"] = (completed.returncode, completed.stdout + completed.stderr)
    return clone, results, printed


@pytest.mark.slow
def test_the_readme_commands_run_as_written_on_a_fresh_clone(ran):
    """Run verbatim in a new shell on a fresh clone, in README order, does every command exit as the README says
    (0, or the `exit N` its comment gives), without Python's "No module named" or the shell's "command not found"?"""
    clone, results, _ = ran
    assert any(line.startswith("make run") for line in results)
    wrong = {line: output[-2000:] for line, (code, output) in results.items()
             if code != expected_exit(line) or "No module named" in output or "command not found" in output}
    assert wrong == {}


@pytest.mark.slow
def test_the_notebooks_command_checks_the_notebook(ran):
    """Does the command each release notebook prints check that notebook, failing its stubs (exit 1)?"""
    clone, _, printed = ran
    assert len(printed) == len(list((ROOT / "release" / "attention").glob("*.ipynb")))
    for line, (code, output) in printed.items():
        assert code == 1 and "not implemented yet" in output, f"{line}\n{output[-2000:]}"


# ---- the README's printed examples, against what its commands print --------------------------------------------

def block_after(text, marker):
    """The first fenced block after marker."""
    return FENCE.search(text, text.index(marker))["body"]


def _output_of(results, start):
    return next(output for line, (_, output) in results.items() if line.startswith(start))


@pytest.mark.slow
def test_the_make_run_table_is_what_make_run_prints(ran):
    """Is the table the README shows under `make run` the one `make run` prints on a fresh clone, line for line?
    (Grading the sample class is deterministic: a grade depends on the submission, the course and its seed.)"""
    _, results, _ = ran
    shown = [line.rstrip() for line in block_after(readme(), "`make run` prints one line per submission").splitlines()]
    printed = [line.rstrip() for line in _output_of(results, "make run").splitlines()]
    start = printed.index(shown[0])
    assert printed[start:start + len(shown)] == shown
    assert not printed[start + len(shown)].startswith(tuple(name + " " for name in ("ada", "ben", "cy"))), "rows left out"


@pytest.mark.slow
def test_the_sample_class_totals_are_what_grade_gives(ran):
    """Are the sample class's totals the README quotes ("on the sample class: …, … and … of 50") each student's
    total in what `make run` prints, in the table's order, out of the course's maximum?"""
    from autograder import engine

    _, results, _ = ran
    quoted = re.search(r"on the sample class: ([\d, and]+) of (\d+)\)", readme())
    totals = {}
    for line in _output_of(results, "make run").splitlines():
        row = re.fullmatch(r"(\w+) +\w+ +(\d+)/(\d+)", line.strip())
        if row:
            totals[row[1]] = totals.get(row[1], 0) + int(row[2])
    assert [int(number) for number in re.findall(r"\d+", quoted[1])] == list(totals.values())
    assert int(quoted[2]) == sum(engine.maxima().values())


@pytest.mark.slow
def test_the_json_example_is_what_grade_prints(ran):
    """Is the README's JSON example, result by result and check by check, what its command prints (every field
    equal, the numbers in messages too: they are rounded to three digits, far above the last bits that differ
    between machines)?"""
    _, results, _ = ran
    example = json.loads(block_after(readme(), "`--json FILE` (or `-` for stdout) writes"))
    output = _output_of(results, ".venv/bin/python -m autograder grade samples/submitted/ --summary --json -")
    printed = json.JSONDecoder().raw_decode(output)[0]  # stdout; the summary, on stderr, follows it
    found = {(result["submission"], result["exercise"]): result for result in printed["results"]}
    assert example["results"]
    for result in example["results"]:
        actual = found[result["submission"], result["exercise"]]
        assert {key: value for key, value in actual.items() if key != "checks"} == \
            {key: value for key, value in result.items() if key != "checks"}
        checks = {check["id"]: check for check in actual["checks"]}
        for check in result["checks"]:
            assert checks[check["id"]] == check


def test_every_timing_table_names_the_script_that_made_it():
    """Is every table of timings in the README's Figures preceded by the command of a script in benchmarks/ that
    prints it (timings cannot be compared exactly, so the table must say where it comes from)?"""
    text = readme()
    figures = text[text.index(FIGURES):text.index("\n## ", text.index(FIGURES) + 1)]
    paragraphs = re.split(r"\n(?=\|)|(?<=\|)\n(?!\|)", figures)
    tables, before = [], ""
    for chunk in paragraphs:
        if chunk.startswith("|") and re.search(r"\d (?:ms|s) \|", chunk):
            tables.append((before, chunk.splitlines()[0]))
        elif not chunk.startswith("|"):
            before = chunk
    assert len(tables) >= 4
    unnamed = []
    for before, header in tables:
        scripts = re.findall(r"`[^`]*benchmarks/(\w+\.py)[^`]*`", before)
        if not scripts or not all((ROOT / "benchmarks" / script).is_file() for script in scripts):
            unnamed.append(header)
    assert unnamed == []


def _totals(results):
    """{student: total} from the table make run printed."""
    totals = {}
    for line in _output_of(results, "make run").splitlines():
        row = re.fullmatch(r"(\w+) +\w+ +(\d+)/(\d+)", line.strip())
        if row:
            totals[row[1]] = totals.get(row[1], 0) + int(row[2])
    return totals


@pytest.mark.slow
def test_the_formgrader_command_serves_the_courses_assignments(ran):
    """Does the README's formgrader command, run in the clone, serve the formgrader with this course's config (its
    list of assignments holds the course's assignment), without nbgrader's complaint about the course folder?"""
    _, results, _ = ran
    line = next(line for line in results if "formgrader" in line and "jupyter lab" in line)
    code, output = results[line]
    assert code == 0 and '"name": "attention"' in output.replace('"name":"attention"', '"name": "attention"'), output[-3000:]
    assert "not a subdirectory" not in output and "Exception while loading config" not in output


@pytest.mark.slow
def test_the_gradescope_package_run_locally_grades_the_student(ran):
    """Run as Gradescope runs it (AUTOGRADER_ROOT, AUTOGRADER_PYTHON), does the package write results.json with the
    student's total from the make run table, the figure the README quotes, and name files by their upload paths?"""
    clone, results, _ = ran
    document = json.loads((clone / "out" / "autograder" / "results" / "results.json").read_text())
    uploaded = {path.name: path.read_bytes() for path in (clone / "out" / "autograder" / "submission").iterdir()}
    student = next(name for name in _totals(results) if uploaded == {
        path.name: path.read_bytes() for path in (clone / "samples" / "submitted" / name / "attention").iterdir()})
    upload = sorted(uploaded)
    quoted = re.search(r"whose `score` is\s+\w+'s\s+total\s+in\s+the\s+`make run`\s+table\s+above\s+\((\d+) of (\d+)\)",
                       readme())
    assert document["score"] == _totals(results)[student] == int(quoted[1])
    printed = _output_of(results, 'AUTOGRADER_ROOT=')
    assert printed.splitlines()[0].split()[0] == "file" and all(f"\n{name} " in printed for name in upload)
    assert str(clone) not in printed


@pytest.mark.slow
def test_the_quoted_first_line_of_check_is_what_check_prints(ran):
    """Is the first line of `check` that the README quotes (what the public checks are worth of the exercise) what
    the README's own check command prints on the release notebook?"""
    _, results, _ = ran
    quoted = re.search(r"`check` starts with what the public checks are worth of the exercise \(`([^`]+)`\)",
                       " ".join(readme().split()))
    output = _output_of(results, ".venv/bin/python -m autograder check release/attention/")
    assert quoted and f": {quoted[1]}" in output.splitlines()[0], output[:500]
