"""What the tests share: paths, the kit as a user runs it, and submissions written as a student would.

Tests import it by name (pyproject.toml puts tests/ on pytest's pythonpath). Exercises come from the
registry, never by name: a test that needs one exercise to drive something else takes FIRST (or
VEHICLE, the first whose notebook stands alone); a test about what one exercise teaches lives in
tests/exercises/test_<id>.py.
"""
import ast
import json
import os
import re
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from autograder import registry

ROOT = Path(__file__).resolve().parent.parent
STUDENTS = Path(__file__).resolve().parent / "students"
EXERCISES = registry.ids()
FIRST = registry.exercises()[0]


def run_kit(*args, cwd=ROOT, timeout=600, env=None):
    """python -m autograder ARGS, as a user runs it; returns the CompletedProcess."""
    return subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env=_environment(env))


def _environment(env):
    return dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]), **(env or {}))


@dataclass
class Run:
    """One run of the kit, seen from its own process tree and its own temporary folder only."""

    completed: subprocess.CompletedProcess
    left_running: list  # "pid (state) command line" of each process it left behind (ended since)
    left_files: list  # names it left in its temporary folder
    sandbox_peak: int  # the most bytes (proportional set size) one sandbox, a bwrap and all below it, held at once


# Runs the command given as a child subreaper (PR_SET_CHILD_SUBREAPER): whatever the run leaves running is
# re-parented here, not to init, so it is found among this process's children whatever sessions and forks it
# went through, and is ended before this exits. Writes their command lines to the report file.
SUBREAPER = """
import ctypes, json, os, signal, subprocess, sys, time
ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)
report, command = sys.argv[1], sys.argv[2:]
code = subprocess.call(command)


def children():
    while True:
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                break
        except ChildProcessError:
            break
    found = {}
    for task in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{task}/children") as listed:
            for pid in listed.read().split():
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as cmdline, open(f"/proc/{pid}/stat") as stat:
                        state = stat.read().rsplit(")", 1)[1].split()[0]
                        words = cmdline.read().replace(b"\\0", b" ").decode(errors="replace")
                except OSError:  # gone meanwhile
                    continue
                found[int(pid)] = f"{pid} ({state}) {words}"
    return found


for _ in range(100):  # a process killed as the run ended may still be on its way out
    if not children():
        break
    time.sleep(0.02)
with open(report, "w") as out:
    json.dump(sorted(children().values()), out)
for _ in range(200):
    left = children()
    if not left:
        break
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    time.sleep(0.05)
sys.exit(code)
"""


def run_kit_alone(*args, folder, cwd=ROOT, timeout=600, env=None):
    """run_kit, looking at nothing but its own run (an instructor may grade on the same machine meanwhile): its
    temporary files go to a folder of its own (TMPDIR), and what it leaves running is found in its own process
    tree. Returns a Run; what the run left running has been ended."""
    folder = Path(folder)
    scratch, report = folder / "tmp", folder / "left-running.json"
    scratch.mkdir(parents=True)
    command = [sys.executable, "-c", SUBREAPER, str(report), sys.executable, "-m", "autograder", *map(str, args)]
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=_environment(dict(env or {}, TMPDIR=str(scratch))))
    peak, done = [0], threading.Event()

    def sample():
        while not done.wait(0.05):
            peak[0] = max([peak[0], *sandbox_memory(process.pid)])

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    finally:
        done.set()
        sampler.join()
        if process.poll() is None:
            process.kill()
            process.wait()
    completed = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    left_running = json.loads(report.read_text()) if report.exists() else ["(the run's subreaper did not report)"]
    return Run(completed, left_running, sorted(path.name for path in scratch.iterdir()), peak[0])


def _children(pid):
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as listed:
                found += [int(child) for child in listed.read().split()]
    except OSError:  # gone meanwhile
        pass
    return found


def _memory(pid):
    """Bytes of pid's proportional set size (shared pages split among their sharers), or its whole resident size
    where smaps cannot be read: never less than what it holds."""
    for path, field in ((f"/proc/{pid}/smaps_rollup", "Pss:"), (f"/proc/{pid}/status", "VmRSS:")):
        try:
            with open(path) as lines:
                return next(int(line.split()[1]) * 1024 for line in lines if line.startswith(field))
        except (OSError, StopIteration, ValueError):
            continue
    return 0


def _name(pid):
    try:
        with open(f"/proc/{pid}/comm") as comm:
            return comm.read().strip()
    except OSError:
        return ""


def sandbox_memory(root):
    """Bytes each sandbox below process root holds now (a bwrap, the worker and all it started, together)."""
    totals, waiting = [], [root]
    while waiting:
        pid = waiting.pop()
        if _name(pid) == "bwrap":
            tree, total = [pid], 0
            while tree:
                member = tree.pop()
                total += _memory(member)
                tree += _children(member)
            totals.append(total)
        else:
            waiting += _children(pid)
    return totals


def reference(exercise):
    """The text of solutions/<exercise>.py."""
    return (ROOT / "solutions" / f"{exercise}.py").read_text()


def solution_lines():
    """Every meaningful line inside a solution region of solutions/, without comments."""
    lines = set()
    for path in (ROOT / "solutions").glob("*.py"):
        for region in re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", path.read_text(), re.S):
            for line in region.splitlines():
                code = line.split("#")[0].strip()
                if len(code) >= 12:  # shorter lines ("return x", "else:") say nothing about the solution
                    lines.add(code)
    return lines


def source(name):
    """The text of tests/students/<name>.py."""
    return (STUDENTS / f"{name}.py").read_text()


def notebook_answers(name):
    """{answer cell grade_id (the name it defines): source} for a student module."""
    return answers_from(source(name))


def answers_from(text, names=None):
    """{answer cell grade_id: source} for a module's text, as a student would fill the cells in.

    Each of names (default: every top-level function and class) gets its own cell; the first of them
    also carries everything else the module holds (imports, helpers, constants), as a student puts
    helpers in an answer cell. Relative imports are left out: the notebooks import from each other.
    """
    lines = text.splitlines(keepends=True)
    body = ast.parse(text).body
    defined = [node.name for node in body if isinstance(node, (ast.FunctionDef, ast.ClassDef))]
    names = [name for name in (names or defined) if name in defined]
    answers, rest = {}, ""
    for node in body:
        code = "".join(lines[node.lineno - 1 - len(getattr(node, "decorator_list", [])):node.end_lineno])
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in names:
            answers[node.name] = code
        elif not (isinstance(node, ast.ImportFrom) and node.level):
            rest += code + "\n"
    if names:
        answers[names[0]] = rest + "\n\n" + answers[names[0]]
    return answers


def filled_notebook(release_path, answers):
    """The release notebook with the answer cells whose grade_id is in answers replaced by those sources."""
    import nbformat

    notebook = nbformat.read(release_path, as_version=4)
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution") and grade_id in answers:
            cell.source = answers[grade_id]
    return notebook


def write_module(folder, exercise, text):
    path = folder / f"{exercise}.py"
    path.write_text(text)
    return path


def write_notebook(folder, exercise, answers):
    """The release notebook of exercise with its answer cells set to answers ({grade_id: source})."""
    import nbformat

    name = registry.get(exercise).notebook
    path = folder / name
    nbformat.write(filled_notebook(ROOT / "release" / "attention" / name, answers), path)
    return path


def without_markers(text):
    return re.sub(r"^[ \t]*### (BEGIN|END) SOLUTION\n", "", text, flags=re.M)


def reference_answers(exercise):
    """{answer cell grade_id: source} of the reference, as a student who got everything right fills them in."""
    from autograder.instructor.build import definitions

    return {name: without_markers(body) for name, body in definitions(reference(exercise)).items()}


def grade_file(path, exercise, seed=7, settings=None):
    """Every check, public and hidden, on one submission loaded in this process (grading's own function)."""
    from autograder.instructor.grading import run_checks
    from autograder.instructor.kit_settings import KitSettings
    from autograder.sandboxed.loader import load
    from autograder.sandboxed.probes import observer

    submission = load(path, exercise, registry.get(exercise).parts)
    return run_checks(exercise, observer(submission.namespace), settings or KitSettings(), seed=seed)


def grade_variant(folder, variant, form, seed):
    """An edit of the reference (a known mistake, a correct variant) submitted as a student would, as a .py
    file or a notebook, beside every other exercise answered as the reference answers it (a notebook may
    use another's names)."""
    from autograder.instructor.build import definitions

    for other in EXERCISES:
        if other == variant.exercise:
            continue
        if form == "py":
            write_module(folder, other, reference(other))
        else:
            write_notebook(folder, other, reference_answers(other))
    text = variant.source()
    if form == "py":
        path = write_module(folder, variant.exercise, text)
    else:
        path = write_notebook(folder, variant.exercise,
                              {name: without_markers(body) for name, body in definitions(text).items()})
    return grade_file(path, variant.exercise, seed=seed)


def named_mistake(exercise, public=False):
    """(mistake, report): the first known mistake of the exercise whose grade names it by its own hint
    (on a public check, where public is True)."""
    from autograder.instructor import known_mistakes as mistakes
    from autograder.instructor.grading import run_checks
    from autograder.instructor.kit_settings import KitSettings
    from autograder.sandboxed.probes import observer

    for mistake in mistakes.for_exercise(exercise):
        report = run_checks(exercise, observer(mistakes.namespace(mistake.id)), KitSettings())
        shown = {check.id for check in registry.checks(exercise) if check.public or not public}
        if any(check.misconception == mistake.id and check.id in shown for check in report.checks):
            return mistake, report
    raise LookupError(f"no known mistake of {exercise} is named by its hint")


# What a new shell holds: no activated environment, no variables of the test run's own.
NEW_SHELL_PATH = "/usr/local/bin:/usr/bin:/bin"


def new_shell(home, **variables):
    """The environment of a new login shell for a user whose home is home (env -i with a minimal PATH)."""
    return {"PATH": NEW_SHELL_PATH, "HOME": str(home), "LANG": "C.UTF-8", **{key: str(value) for key, value in variables.items()}}


def fresh_clone(folder):
    """A git clone of this repository, holding the working tree as it stands (uncommitted edits and new files that
    git does not ignore), with this checkout's .venv linked in file by file, as `make setup` would have made it."""
    clone = Path(folder) / "kit"
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(clone)], check=True, capture_output=True)
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=ROOT, check=True,
                            capture_output=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source, target = ROOT / name, clone / name
        if source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
            target.chmod(source.stat().st_mode)
        elif not source.exists() and target.exists():  # deleted here, not yet committed
            target.unlink()
    environment = Path(sys.prefix)
    if subprocess.run(["cp", "-al", str(environment), str(clone / ".venv")], capture_output=True).returncode != 0:
        import shutil
        shutil.copytree(environment, clone / ".venv", symlinks=True)  # another file system: copied instead
    installed = clone / ".venv" / ".installed"  # a file of the clone's own, newer than its requirements, as make left it
    installed.unlink(missing_ok=True)
    installed.touch()
    return clone


def returned_or_blocked(call, *args):
    """call(*args) in a thread of its own; returns what it returned or raised, or "blocked" when it has not
    returned after two minutes (a guard against a test that never ends, not a measure of speed: opening a named
    pipe without O_NONBLOCK waits for a writer that never comes)."""
    outcome = ["blocked"]

    def run():
        try:
            outcome[0] = call(*args)
        except Exception as error:  # noqa: BLE001  (what it raised is the outcome)
            outcome[0] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(120)
    return outcome[0]
