"""Does a hostile or broken submission earn only what it earns honestly, in one batch with honest ones,
without reaching the host, the grader or the next student, and leaving nothing behind?

Run as root and as an unprivileged user (.ci/run does both). Without isolation these tests fail
rather than skip when CI is set: a green run must mean the sandbox was tested. Each looks at its own run
only (its own temporary folder and process tree), so an instructor may grade on the same machine meanwhile.
"""
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest

from autograder import registry
from autograder.instructor.sandbox import (CONFINED_EXTRA, SCRATCH_MOUNTS, Limits, interpreter_locations,
                                          isolation_problem)
from helpers import FIRST, ROOT, returned_or_blocked, run_kit, run_kit_alone, source

# Every attack is dressed as an answer to the first exercise, written against tests/students/<its id>_alt.py.
VEHICLE = FIRST
FILE = f"{VEHICLE.id}.py"
HONEST = source(f"{VEHICLE.id}_alt")
# A wrong answer to dress up: every output is zeros of the right shape.
ZEROS = HONEST.replace("return F.scaled_dot_product_attention(", "return 0 * F.scaled_dot_product_attention(").replace(
    "return torch.einsum(\"...qk,...kd->...qd\", weights, value), weights",
    "return 0 * torch.einsum(\"...qk,...kd->...qd\", weights, value), 0 * weights")
FORWARD = "    def forward(self, x):\n"
CANARY = "canary-7f3a9c"  # in files the grader's host holds outside any submission
DAEMON_MARK = "313.25"  # `sleep 313.25` identifies the daemon below


def in_forward(code):
    """HONEST with code run at the start of SelfAttention.forward."""
    return HONEST.replace(FORWARD, FORWARD + "".join(f"        {line}\n" for line in code.splitlines()))


LIBC = "import ctypes, ctypes.util, os\nlibc = ctypes.CDLL(ctypes.util.find_library('c'), use_errno=True)\n"
# Walk the whole file system for the reference and the canary; use whatever is found.
HUNT = """
import importlib.util, os, sys, time
found, reference = [], None
start = time.monotonic()
for top, folders, files in os.walk("/"):
    if time.monotonic() - start > 6:
        break
    folders[:] = [f for f in folders if f not in ("proc", "sys", "dev")]
    for name in files:
        path = os.path.join(top, name)
        if name == "VEHICLE_FILE" and os.path.basename(top) == "solutions":
            spec = importlib.util.spec_from_file_location("stolen", path)
            reference = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(reference)
        elif name.startswith("secret-canary"):
            try:
                found.append(open(path).read())
            except OSError:
                pass
for path in ("/etc/shadow", "/root/.bash_history", "/etc/passwd"):
    try:
        found.append(open(path).read()[:200])
    except OSError:
        pass
""".replace("VEHICLE_FILE", FILE)
STEAL = HUNT + ZEROS + """
if reference is not None:
    scaled_dot_product_attention, SelfAttention = reference.scaled_dot_product_attention, reference.SelfAttention
"""
# Limits and scheduling are per process: lowered on the worker, they would pass to every later child.
LOWERS_LIMITS = """
import os, resource
worker = os.getppid()
for call in (lambda: resource.prlimit(worker, resource.RLIMIT_NOFILE, (8, 8)),
             lambda: resource.prlimit(worker, resource.RLIMIT_NPROC, (1, 1)),
             lambda: resource.prlimit(worker, resource.RLIMIT_AS, (1 << 20, 1 << 20)),
             lambda: os.setpriority(os.PRIO_PROCESS, worker, 19),
             lambda: os.setpriority(os.PRIO_USER, 0, 19),
             lambda: os.sched_setscheduler(worker, os.SCHED_IDLE, os.sched_param(0)),
             lambda: os.sched_setaffinity(worker, {0})):
    try:
        call()
    except OSError:
        pass
"""
HOSTILE = {
    # ---- what the code may touch ------------------------------------------------------------
    "patches_torch": "import torch\ntorch.allclose = lambda *a, **k: True\n"
                     "torch.isclose = lambda a, b, **k: torch.ones_like(a, dtype=torch.bool)\n"
                     "torch.Tensor.__eq__ = lambda a, b: True\n" + ZEROS,
    "patches_numpy": "import numpy\nnumpy.allclose = lambda *a, **k: True\nnumpy.testing.assert_allclose = lambda *a, **k: None\n" + ZEROS,
    "patches_grader": "import autograder.sandboxed.probes as p, autograder.sandboxed.wire, autograder.sandboxed.worker as w\n"
                      "p.observe = lambda namespace, probe: {'outputs': []}\n"
                      "w.grade = lambda request: {'observations': [], 'problems': [], 'output': ''}\n" + ZEROS,
    "steals_solutions": STEAL,
    "leaks_what_it_reads": HUNT + in_forward("raise RuntimeError(' | '.join(found) or 'nothing')"),
    "remounts_and_steals": LIBC + """
MS_BIND, MS_REC, MS_REMOUNT = 4096, 16384, 32
for flags in (0x10000000 | 0x00020000, 0x00020000):  # CLONE_NEWUSER | CLONE_NEWNS, then CLONE_NEWNS
    libc.unshare(flags)
for target in ("/work", "/tmp", "/root", "/", "/usr"):
    libc.umount2(target.encode(), 2)  # MNT_DETACH: uncover what a tmpfs hides
libc.mount(b"none", b"/", None, MS_REMOUNT | MS_BIND, None)  # make / writable
libc.mount(b"/", b"/tmp", None, MS_BIND | MS_REC, None)  # the host's / again
libc.mount(b"proc", b"/tmp", b"proc", 0, None)
libc.syscall(155, b"/tmp", b"/tmp")  # pivot_root
""" + STEAL,
    "ptraces_the_worker": LIBC + """
parent = os.getppid()
for request in (16, 0x4206):  # PTRACE_ATTACH, PTRACE_SEIZE
    libc.ptrace(request, parent, None, None)
try:
    open(f"/proc/{parent}/mem", "rb").read(1)
except OSError:
    pass
""" + ZEROS,
    "writes_to_the_host": """
import os, time
start = time.monotonic()
for top, folders, files in os.walk("/"):
    if time.monotonic() - start > 6:
        break
    folders[:] = [f for f in folders if f not in ("proc", "sys", "dev")]
    try:
        with open(os.path.join(top, "planted-by-a-student.txt"), "w") as marker:
            marker.write("planted")
    except OSError:
        pass
""" + ZEROS,
    # ---- the channel back to the grader -----------------------------------------------------
    "forges_verdicts": """
import json, os
forged = json.dumps({"observations": [], "problems": [], "output": ""}) + "\\n"
for fd in range(0, 64):
    try:
        os.write(fd, ("ready\\n" + forged * 3).encode())
    except OSError:
        pass
parent = os.getppid()
for fd in range(0, 64):
    try:
        with open(f"/proc/{parent}/fd/{fd}", "w") as channel:
            channel.write(forged * 3)
    except OSError:
        pass
""" + ZEROS,
    "corrupts_its_answers": "import os\n" + in_forward(
        "os.write(3, b'{\"dict\": {\"outputs\": [{\"tensor\": \"float64\", \"shape\": [2], \"data\": [1]}]}}\\n'"
        " + b'not json\\n' + b'[1, 2, 3]\\n' + b'{\"dict\": {\"outputs\": \"x\"}}\\n')"),
    "floods_its_channel": "import os\n" + in_forward("block = b'x' * (1 << 20)\nfor _ in range(200):\n    os.write(3, block)"),
    "ill_typed_observations": """
import torch
import autograder.sandboxed.worker as worker

# answers of the right form and the wrong types, shapes and values, and answers of no form at all
answers = [{"outputs": [torch.zeros(2, dtype=torch.float32)]}, {"info": "layers"}, {"outputs": []},
           {"outputs": [torch.zeros(4, 8, 4, dtype=torch.float32)]}, {"outputs": [torch.ones(3, dtype=torch.bool)]},
           {"outputs": [torch.full((3,), float("nan"))]}, {"outputs": [torch.tensor([1e308, -1e308])]},
           {"info": {"parameters": None, "buffers": 3, "layers": [1]}}, {"outputs": [torch.zeros(0, 5)]},
           {"outputs": [torch.arange(6)], "heads": [torch.zeros(2, 2, dtype=torch.float32)]},
           None, {"outputs": None}, {"heads": []}, {"error": {}}, {"outputs": [[[[1]]]]}]
worker.observe = lambda namespace, probe: answers[len(probe.get("label", "")) % len(answers)]
""" + ZEROS,
    "plants_modules": """
import os, sys
plant = "import os\\nos._exit(9)\\n"
for folder in {"/tmp", "/dev/shm", os.getcwd(), *[p for p in sys.path if p]}:
    for name in ("torch.py", "numpy.py", "json.py", "sitecustomize.py", "usercustomize.py", "autograder.pth"):
        try:
            with open(os.path.join(folder, name), "w") as module:
                module.write(plant if name.endswith(".py") else "import os; os._exit(9)\\n")
        except OSError:
            pass
""" + HONEST,
    "lying_subclass": ZEROS.replace("class SelfAttention(nn.Module):", """class Liar(torch.Tensor):
    def __eq__(self, other): return torch.ones_like(torch.Tensor(self), dtype=torch.bool)
    def allclose(self, *a, **k): return True
    def __float__(self): return 0.0


class SelfAttention(nn.Module):""").replace(
        "return 0 * F.scaled_dot_product_attention(", "return Liar._make_subclass(Liar, 0 * F.scaled_dot_product_attention(")
        .replace("self.W_value(x))", "self.W_value(x)))"),
    "deepens_its_first_line": "import os\nos.write(3, b'[' * 100000 + b']' * 100000 + b'\\n')\n" + HONEST,
    # ---- the worker, and through it the next submissions --------------------------------------
    "signals_the_worker": "import os, signal\n" + in_forward(
        "for number in (signal.SIGSTOP, signal.SIGINT, signal.SIGTERM, signal.SIGUSR1, signal.SIGKILL):\n"
        "    try:\n        os.kill(os.getppid(), number)\n    except OSError:\n        pass"),
    "lowers_the_workers_limits": LOWERS_LIMITS + HONEST,
    # ---- crashes, hangs and greed -----------------------------------------------------------
    "exits_at_import": "import os\nos._exit(3)\n" + HONEST,
    "sys_exit_in_forward": "import sys\n" + in_forward("sys.exit(0)"),
    "ignores_sigterm_and_loops": "import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n" + in_forward("while True:\n    pass"),
    "kills_the_worker": "import os, signal\n" + in_forward("os.kill(os.getppid(), signal.SIGKILL)"),
    "allocates_8_gib": in_forward("hoard = bytearray(8 * 1024 ** 3)"),
    "prints_40_mb": "import sys\n" + in_forward("print('x' * (40 * 1024 * 1024)); sys.stdout.flush()"),
    "fork_bomb": "import os, time\n" + in_forward(  # its first fork is refused; forward then answers
        "for _ in range(4000):\n    try:\n        if os.fork() == 0:\n            time.sleep(30)\n            os._exit(0)\n"
        "    except OSError:\n        break"),
    "fills_the_disk": in_forward("""block = b"x" * (1 << 20)
for folder in ("/tmp", "/dev/shm", "."):
    try:
        with open(folder + "/filler", "wb") as filler:
            for _ in range(4096):
                filler.write(block)
    except OSError:
        pass"""),
    "starts_a_daemon": "import subprocess\ntry:\n    subprocess.Popen(['sleep', '" + DAEMON_MARK + "'],"
                       " start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
                       "except OSError:  # refused\n    pass\n" + HONEST,
    "writes_to_stderr": "import sys, warnings\n" + in_forward("warnings.warn('careful')\nprint('debug', file=sys.stderr)"),
}
# What each could earn honestly. Zeros of the right shape pass the two shape checks and the layer check (3);
# scaled_dot_product_attention (4) plus the layer check (1) survive a SelfAttention.forward that never
# returns an answer; ill-typed answers earn at most what zeros earn.
ZERO_SCORE, BROKEN_FORWARD = 3, 5
HONEST_SCORE = {name: ZERO_SCORE for name in ("patches_torch", "patches_numpy", "patches_grader", "steals_solutions",
                                              "remounts_and_steals", "ptraces_the_worker", "writes_to_the_host",
                                              "forges_verdicts", "ill_typed_observations", "lying_subclass")}
HONEST_SCORE |= {name: BROKEN_FORWARD for name in ("leaks_what_it_reads", "corrupts_its_answers", "floods_its_channel",
                                                   "sys_exit_in_forward", "ignores_sigterm_and_loops", "allocates_8_gib")}
# A child's parent is the zygote, not the worker (PID 1, out of reach): killing or stopping it costs the
# submission its own grading (the worker is replaced), never the next student's; see the sequential test.
HONEST_SCORE |= {"exits_at_import": 0, "kills_the_worker": 10, "signals_the_worker": 10, "lowers_the_workers_limits": 10,
                 "deepens_its_first_line": 0, "plants_modules": 10, "prints_40_mb": 10, "fills_the_disk": 10, "fork_bomb": 10,
                 "starts_a_daemon": 10, "writes_to_stderr": 10}
assert set(HONEST_SCORE) == set(HOSTILE)

if isolation_problem() is not None and not os.environ.get("CI"):
    pytestmark = pytest.mark.skip(reason=f"student code cannot be isolated here: {isolation_problem()}")


# What one sandbox (a worker and all its submission starts) may hold at once: the child's address space and
# the worker beside it, which is also what a cgroup holds as root.
BUDGET = Limits().memory + CONFINED_EXTRA


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    """A class folder, with secrets beside it that no submission may read, a link in a student's folder to
    the reference, a student whose file is a link to another's, and an honest student graded after them."""
    folder = tmp_path_factory.mktemp("class")
    (folder / "secret-canary.txt").write_text(CANARY)
    for student, text in {"honest": HONEST, "honest_too": HONEST, **HOSTILE}.items():
        (folder / "submitted" / student / "attention").mkdir(parents=True)
        (folder / "submitted" / student / "attention" / FILE).write_text(text)
    linked = folder / "submitted" / "links_to_the_reference" / "attention"
    linked.mkdir(parents=True)
    (linked / FILE).write_text(f"from .notes import {', '.join(VEHICLE.parts)}\n")
    (linked / "notes.py").symlink_to(ROOT / "solutions" / FILE)
    impostor = folder / "submitted" / "impostor" / "attention"
    impostor.mkdir(parents=True)
    (impostor / FILE).symlink_to(folder / "submitted" / "honest" / "attention" / FILE)
    (folder / "submitted" / "whole_folder_link").symlink_to(folder / "submitted" / "honest")
    # one exercise several times over, and a nested folder named after another student
    for name in (FILE, f"1_{FILE}", f"again/{FILE}", f"x/submitted/honest/attention/{FILE}"):
        (folder / "submitted" / "counts_twice" / "attention" / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / "submitted" / "counts_twice" / "attention" / name).write_text(ZEROS if "x/" in name else HONEST)
    return folder


@pytest.fixture(scope="module")
def graded(host, tmp_path_factory):
    run = run_kit_alone("grade", host / "submitted", "--json", "-", "--jobs", "2", "--timeout", "3", "--seed", "4",
                        folder=tmp_path_factory.mktemp("run"))
    completed = run.completed
    assert completed.returncode == 0, completed.stderr[-3000:]
    results = {}
    for result in json.loads(completed.stdout)["results"]:
        assert result["student"] not in results, f"{result['student']} was graded twice"
        results[result["student"]] = result
    return {"results": results, "stderr": completed.stderr, "left_files": run.left_files,
            "left_running": run.left_running, "sandbox_peak": run.sandbox_peak,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


def test_honest_submissions_are_unaffected(graded):
    """Do the two honest students keep full marks in a batch full of attacks?"""
    assert graded["results"]["honest"]["score"] == graded["results"]["honest_too"]["score"] == 10


@pytest.mark.parametrize("student", sorted(HOSTILE))
def test_earns_nothing_it_did_not_earn_honestly(graded, student):
    """Does each attack earn at most what its honest twin would, with the batch finished?"""
    result = graded["results"][student]
    assert result["score"] <= HONEST_SCORE[student], [(c["id"], c["status"], c["message"]) for c in result["checks"]]
    if HONEST_SCORE[student] == ZERO_SCORE:  # zeros are wrong: the grader, not the submission, must see that
        failed = {c["id"] for c in result["checks"] if c["status"] != "passed"}
        assert {check.id for check in registry.checks(VEHICLE.id) if not check.public} <= failed


def test_nothing_is_read_outside_the_allow_list(graded):
    """Do the host's files (a canary beside the class, /etc/shadow, the reference) stay out of every message?"""
    text = json.dumps(graded["results"])
    assert CANARY not in text
    assert "root:" not in text  # /etc/passwd and /etc/shadow are not in the sandbox
    assert "def scaled_dot_product_attention" not in text
    leaked = next(c for c in graded["results"]["leaks_what_it_reads"]["checks"] if c["status"] == "error")
    assert "nothing" in leaked["message"]


def test_nothing_is_written_to_the_host(graded, host):
    """Does no file a submission tried to plant appear anywhere on the host?"""
    places = [str(ROOT), tempfile.gettempdir(), str(Path.home()), "/usr", "/etc", str(host)]
    planted = subprocess.run(["find", *places, "-name", "planted-by-a-student.txt", "-print", "-quit"],
                             capture_output=True, text=True).stdout
    assert planted == ""
    assert not any(host.rglob("torch.py")) and not (ROOT / "torch.py").exists()


def test_links_are_never_followed_and_never_change_who_is_graded(graded):
    """Is a link to the reference beside a submission left out, is a file linked to another student's
    neither graded as that student nor graded at all, and does a student count each exercise once, a
    folder of theirs named submitted/<someone else> included?"""
    results = graded["results"]
    assert results["links_to_the_reference"]["score"] == 0
    assert any("link" in problem for problem in results["links_to_the_reference"]["problems"])
    assert "impostor" not in results and "whole_folder_link" not in results
    assert f"impostor/attention/{FILE}: it is a link" in graded["stderr"]
    # every student has one row per exercise (the fixture fails on a second), whatever the folder holds
    assert results["counts_twice"]["score"] == 10 and results["honest"]["score"] == 10
    assert results["counts_twice"]["submission"].endswith(f"counts_twice/attention/{FILE}")


def test_crashes_and_hangs_cost_only_the_checks_that_meet_them(graded):
    """Is an exit at import, a hang, an exit or a kill in forward charged to that submission's checks only?"""
    results = graded["results"]
    assert all("ended with exit code 3" in check["message"] for check in results["exits_at_import"]["checks"])
    for student in ("sys_exit_in_forward", "ignores_sigterm_and_loops", "allocates_8_gib", "corrupts_its_answers",
                    "floods_its_channel"):
        assert results[student]["score"] == BROKEN_FORWARD, student
    statuses = {c["status"] for c in results["ignores_sigterm_and_loops"]["checks"]}
    assert statuses == {"passed", "timeout"}
    assert any("cannot read" in c["message"] for c in results["corrupts_its_answers"]["checks"])
    assert any("far more data" in c["message"] for c in results["floods_its_channel"]["checks"])


def test_output_floods_warnings_daemons_and_planted_files_cost_nothing(graded):
    """Do prints, warnings, daemons, a full disk and planted modules leave the submission's own score intact?"""
    for student in ("prints_40_mb", "writes_to_stderr", "starts_a_daemon", "plants_modules", "fills_the_disk"):
        assert graded["results"][student]["score"] == 10, student


def test_the_grader_stays_small(graded):
    """Does a flood of output or of channel data leave every process of the grading run under 1.5 GiB?"""
    assert graded["peak_rss_mib"] < 1536


def test_no_process_or_folder_is_left_behind(graded):
    """After grading, is no daemon, worker or temporary folder of the run left? The run's own temporary folder
    and process tree are looked at (whatever it started and left is re-parented to the run's subreaper), never
    the user's: an instructor grading beside the tests does not count."""
    assert graded["left_running"] == []
    assert graded["left_files"] == []


def test_no_sandbox_holds_more_than_its_budget(graded):
    """Did each worker and everything its submissions started (fork bomb, 8 GiB, a full disk...) stay within the
    budget of one submission's memory while the whole batch was graded?"""
    assert 0 < graded["sandbox_peak"] < BUDGET, graded["sandbox_peak"]


# Fork chains in sessions of their own: a process that forks and exits at once keeps changing its pid, so
# a listing of processes never holds it. Once its submission is over, each chain forks on and kills
# whatever it can: the worker and the next student's child.
OUTLIVES = HONEST + """
import os, signal, time
me = os.getpid()


def chain():
    while os.path.exists(f"/proc/{me}"):  # quiet while its own submission is graded
        time.sleep(0.005)
    start = time.monotonic()
    while time.monotonic() - start < 20:
        try:
            if os.fork():
                os._exit(0)
        except OSError:
            time.sleep(0.001)
            continue
        if not os.path.exists(f"/proc/{me}"):
            for entry in os.listdir("/proc"):
                if entry.isdigit() and int(entry) not in (1, os.getpid()):
                    try:
                        os.kill(int(entry), signal.SIGKILL)
                    except OSError:
                        pass
    os._exit(0)


for _ in range(6):
    try:
        if os.fork() == 0:
            os.setsid()
            chain()
    except OSError:  # refused to student code (an honest answer all the same)
        pass
"""


# Files buried below a path longer than PATH_MAX (removing by absolute path cannot reach them), filling
# the scratch space so that the next child cannot even make a temporary folder; and a tree deeper than
# the worker removes, with a file at the bottom for the next submission to find.
BURIES = HONEST + """
import os
os.chdir("/tmp"); os.makedirs("buried", exist_ok=True); os.chdir("buried")
for _ in range(20):
    os.makedirs("x" * 250, exist_ok=True); os.chdir("x" * 250)
for index in range(5):
    try:
        with open(f"f{index}", "wb") as out:
            for _ in range(63):
                out.write(bytes(1 << 20))
    except OSError:
        break
"""
TOO_DEEP = HONEST + """
import os
os.chdir("/tmp"); os.makedirs("deep", exist_ok=True); os.chdir("deep")
for _ in range(400):
    os.mkdir("d"); os.chdir("d")
open("planted", "w").write("from the submission before")
"""
FINDS_NOTHING = HONEST + """
import os
assert not os.path.exists("/tmp/buried") and not os.path.exists("/tmp/deep"), "found what an earlier submission left"
"""


def test_nothing_of_one_submission_reaches_the_next(tmp_path):
    """With one worker, is an honest submission graded right after one that planted modules and files,
    filled the disk (also below a path longer than PATH_MAX), buried files deeper than the worker removes,
    left fork chains running to kill the next grading, lowered the worker's limits and priority, or sent
    it signals, still given full marks, and does it find nothing of the submission before?"""
    order = (("a_planter", HOSTILE["plants_modules"]), ("b_after", HONEST), ("c_filler", HOSTILE["fills_the_disk"]),
             ("d_after", HONEST), ("e_chains", OUTLIVES), ("f_after", HONEST), ("g_chains", OUTLIVES), ("h_after", HONEST),
             ("i_limits", HOSTILE["lowers_the_workers_limits"]), ("j_after", HONEST),
             ("k_signals", HOSTILE["signals_the_worker"]), ("l_after", HONEST),
             ("m_buries", BURIES), ("n_after", FINDS_NOTHING), ("o_too_deep", TOO_DEEP), ("p_after", FINDS_NOTHING))
    for student, text in order:
        (tmp_path / "submitted" / student / "attention").mkdir(parents=True)
        (tmp_path / "submitted" / student / "attention" / FILE).write_text(text)
    completed = run_kit("grade", tmp_path / "submitted", "--json", "-", "--jobs", "1", "--timeout", "3")
    scores = {result["student"]: result["score"] for result in json.loads(completed.stdout)["results"]}
    unharmed = ("a_planter", "b_after", "c_filler", "d_after", "f_after", "h_after", "i_limits", "j_after", "l_after",
                "m_buries", "n_after", "o_too_deep", "p_after")
    assert {student: scores[student] for student in unharmed} == dict.fromkeys(unharmed, 10.0)
    assert scores["e_chains"] == scores["g_chains"] == 10  # their forks are refused: what is left is honest


def test_grading_refuses_without_isolation_unless_asked(tmp_path):
    """Where bubblewrap cannot run, does grade refuse with a reason and a way out, and grade with --no-isolation?"""
    (tmp_path / FILE).write_text(HONEST)
    no_bwrap = tmp_path / "bin"
    no_bwrap.mkdir()
    os.symlink(sys.executable, no_bwrap / "python")
    scratch = tmp_path / "tmp"  # the run's own temporary folder: another grader's beside it is not this run's
    scratch.mkdir()
    environment = dict(os.environ, PATH=str(no_bwrap), TMPDIR=str(scratch))
    refused = subprocess.run([sys.executable, "-m", "autograder", "grade", str(tmp_path / FILE)],
                             cwd=ROOT, capture_output=True, text=True, env=environment)
    assert refused.returncode == 3
    assert "cannot be isolated" in refused.stderr and "bubblewrap" in refused.stderr and "--no-isolation" in refused.stderr
    assert list(scratch.iterdir()) == []  # a refusal leaves nothing behind
    allowed = subprocess.run([sys.executable, "-m", "autograder", "grade", str(tmp_path / FILE),
                              "--no-isolation", "--summary"], cwd=ROOT, capture_output=True, text=True, env=environment)
    assert allowed.returncode == 0 and "10/10" in allowed.stdout and "without isolation" in allowed.stderr


def test_student_code_runs_unprivileged_and_filtered(tmp_path):
    """Inside the sandbox, has student code no capability, another user than the grader's, no new
    privileges, a seccomp filter, no way to mount, make namespaces or start a process (fork, vfork, clone, clone3,
    posix_spawn) while torch's threads and its own still run, and nowhere to write but its scratch space?"""
    probe = LIBC + """
import errno, platform, subprocess, threading, torch


def refused(call):
    try:
        if call() == 0:  # a child, had it been allowed
            os._exit(0)
    except OSError as error:
        return errno.errorcode[error.errno]
    return "allowed"


def raw(number, *arguments):
    result = libc.syscall(number, *arguments)
    if result == 0:
        os._exit(0)
    return errno.errorcode.get(ctypes.get_errno()) if result == -1 else "allowed"


torch.set_num_threads(4)
product = torch.ones(1024, 1024) @ torch.ones(1024, 1024)  # torch's own threads
threads = [threading.Thread(target=lambda: None) for _ in range(4)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
processes = {
    "fork": refused(os.fork),
    "subprocess": refused(lambda: subprocess.Popen(["true"]).pid and 1),  # vfork
    "posix_spawn": refused(lambda: os.posix_spawn("/usr/bin/true", ["true"], {}) and 1),
    "clone": raw(56, 17, 0, 0, 0, 0) if platform.machine() == "x86_64" else "EPERM",  # SIGCHLD: a process
    "clone3": raw(435, 0, 0),
    "memfd": refused(lambda: os.memfd_create("x") and 1),
    "threads": int(product[0, 0]) == 1024 and torch.get_num_threads() == 4 and len(os.listdir("/proc/self/task")) > 1,
}
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
facts = {
    "uid": os.getuid(), "CapEff": status["CapEff"].strip(), "CapPrm": status["CapPrm"].strip(),
    "NoNewPrivs": status["NoNewPrivs"].strip(), "Seccomp": status["Seccomp"].strip(),
    "mount": libc.mount(b"none", b"/tmp", b"tmpfs", 0, None), "unshare": libc.unshare(0x10000000),
    "root": sorted(os.listdir("/")),
    "between": {folder: sorted(os.listdir(folder)) for folder in FOLDERS},
    "written": [],
    "processes": processes,
}
for folder in ["/", "/etc", "/dev", "/dev/pts", "/proc", *FOLDERS, "/tmp", "/dev/shm"]:
    try:
        open(os.path.join(folder, "planted-by-a-student"), "w").close()
        facts["written"].append(folder)
    except OSError:
        pass
for name in ("lib", "lib64", "bin", "etc"):
    try:
        os.rename("/" + name, "/" + name + ".moved")
        facts["written"].append("renamed /" + name)
    except OSError:
        pass
raise RuntimeError(repr(facts))
"""
    # The interpreter is bound where it lives (a venv in the checkout, pyenv under a home...). The
    # folders made above it must hold nothing but the way down to it: never the checkout beside it.
    locations = [location for location in interpreter_locations() if location.parts[:2] != ("/", "usr")]
    between = {parent: set() for location in locations for parent in location.parents if parent != Path("/")}
    for location in locations:
        for child in (location, *location.parents):
            if child.parent in between:
                between[child.parent].add(child.name)
    probe = probe.replace("FOLDERS", repr(sorted(str(folder) for folder in between)))
    (tmp_path / FILE).write_text(probe)
    completed = run_kit("grade", tmp_path / FILE, "--json", "-", "--jobs", "1")
    message = json.loads(completed.stdout)["results"][0]["checks"][0]["message"]
    facts = eval(message[message.index("{"):message.rindex("}") + 1])  # noqa: S307  (our own repr of plain values)
    assert facts["uid"] not in (0, os.getuid())
    assert facts["CapEff"] == facts["CapPrm"] == "0000000000000000"
    assert facts["NoNewPrivs"] == "1" and facts["Seccomp"] == "2"
    assert facts["mount"] == -1 and facts["unshare"] == -1
    assert facts["processes"] == {"fork": "EPERM", "subprocess": "EPERM", "posix_spawn": "EPERM", "clone": "EPERM",
                                  "clone3": "ENOSYS", "memfd": "EPERM", "threads": True}
    system = {"usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc", "proc", "dev", "tmp", "kit", "submissions"}
    assert set(facts["root"]) <= system | {location.parts[1] for location in locations}
    seen = {Path(folder): set(names) for folder, names in facts["between"].items()}
    for scratch in SCRATCH_MOUNTS:  # an interpreter under /tmp: the child's own working folder is there too
        own = {name for name in seen.get(scratch, ()) if name.startswith("submission-")}
        assert len(own) <= 1
        seen[scratch] = seen.get(scratch, set()) - own
        if scratch not in between:
            del seen[scratch]
    assert seen == between
    # nothing outside the scratch space, which is emptied between submissions, can be written or renamed
    assert set(facts["written"]) == {"/tmp", "/dev/shm"}  # /tmp is tried twice when the interpreter is below it


# Ten processes each under its own 2 GiB would hold 5 GiB together, ten more started through subprocess, and
# memfd files hold memory outside any address space; threads share the one address space the limit caps.
FANS_OUT = """
import errno, os, subprocess, sys, threading, time
facts = {"forked": 0, "spawned": 0, "memfds": 0, "refused": set(), "threads_holding": 0}
for _ in range(10):
    try:
        pid = os.fork()
    except OSError as error:
        facts["refused"].add(errno.errorcode[error.errno])
        continue
    if pid == 0:
        try:
            hoard = b"x" * (512 * 1024 * 1024)
            time.sleep(8)
        finally:
            os._exit(0)
    facts["forked"] += 1
for _ in range(10):
    try:
        subprocess.Popen([sys.executable, "-c", "import time; hoard = b'x' * (512 << 20); time.sleep(8)"])
        facts["spawned"] += 1
    except OSError as error:
        facts["refused"].add(errno.errorcode[error.errno])
files = []
for _ in range(8):
    try:
        files.append(os.memfd_create("hoard"))
        os.write(files[-1], b"x" * (64 << 20))
        facts["memfds"] += 1
    except OSError as error:
        facts["refused"].add(errno.errorcode[error.errno])
held = []


def hold():
    try:
        held.append(b"x" * (256 * 1024 * 1024))
    except MemoryError:
        pass


threads = [threading.Thread(target=hold) for _ in range(12)]  # 3 GiB, were each its own process
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
facts["threads_holding"] = len(held)
time.sleep(3)  # held while the test samples
del held
facts["refused"] = sorted(facts["refused"])
facts["cgroup"] = open("/proc/self/cgroup").read()
""" + in_forward("raise RuntimeError(repr(facts))")


def test_a_submission_holds_one_process_memory_in_all(tmp_path):
    """As root and as an ordinary user alike: is every fork, subprocess and memfd of student code refused while
    its threads run, so that a worker and all its submission starts stay within one submission's budget (the
    2 GiB address space and 1 GiB beside it) where ten processes would hold 5 GiB, and does an honest student
    graded beside it keep full marks? (As root, a cgroup holds the worker too.)"""
    for student, text in (("fans_out", FANS_OUT), ("honest", HONEST)):
        (tmp_path / "submitted" / student / "attention").mkdir(parents=True)
        (tmp_path / "submitted" / student / "attention" / FILE).write_text(text)
    run = run_kit_alone("grade", tmp_path / "submitted", "--json", "-", "--jobs", "2", "--timeout", "3",
                        folder=tmp_path / "run")
    assert run.sandbox_peak < BUDGET, f"one sandbox held {run.sandbox_peak / 2**30:.2f} GiB"
    results = {result["student"]: result for result in json.loads(run.completed.stdout)["results"]}
    assert results["honest"]["score"] == 10
    said = next((check["message"] for check in results["fans_out"]["checks"] if "RuntimeError" in check["message"]),
                results["fans_out"]["checks"][-1]["message"])
    assert "RuntimeError" in said, said  # it loaded and ran
    facts = eval(said[said.index("{"):said.rindex("}") + 1])  # noqa: S307  (our own repr of plain values)
    assert facts["forked"] == facts["spawned"] == facts["memfds"] == 0 and facts["refused"] == ["EPERM"], facts
    assert 1 <= facts["threads_holding"] < Limits().memory // (256 * 1024**2), facts  # threads, in one address space
    if os.geteuid() == 0:
        assert "attention-kit" in facts["cgroup"]  # its own cgroup besides
    assert run.left_running == [] and run.left_files == []


def test_a_worker_never_runs_student_code_unfiltered():
    """Does the worker's own check, run before it says it is ready, pass the grader's filter for children (forks
    refused, threads allowed) and refuse a filter that lets a fork through, so that no worker starts with it?"""
    import pyseccomp as seccomp

    from autograder.instructor.sandbox import child_seccomp_program
    from autograder.sandboxed.worker import _filter_problem

    with tempfile.TemporaryFile() as handle:
        seccomp.SyscallFilter(seccomp.ALLOW).export_bpf(handle)  # refuses nothing
        handle.seek(0)
        lets_everything_through = handle.read()
    assert _filter_problem(child_seccomp_program()) is None
    assert _filter_problem(lets_everything_through) == "a fork was not refused"
    assert "Invalid argument" in _filter_problem(b"\xff" * 8)  # not a BPF program: the kernel refuses it


def test_what_is_handed_over_beside_a_submission_is_bounded(tmp_path):
    """The files beside a notebook, as the nbgrader plugin and the grader hand them over: is a 2 GB (sparse)
    sibling left out with a message, a link too, and an ordinary sibling copied?"""
    from autograder.instructor.sandbox import copy_siblings

    source, target = tmp_path / "source", tmp_path / "target"
    source.mkdir(), target.mkdir()
    (source / "01_self_attention.ipynb").write_text("{}")
    (source / "02_masked_self_attention.ipynb").write_text("{}")
    with open(source / "notes.py", "wb") as huge:
        huge.truncate(2 * 1024**3)
    (source / "linked.py").symlink_to(ROOT / "solutions" / FILE)
    problems = copy_siblings(source, "01_self_attention.ipynb", target)
    assert sorted(path.name for path in target.iterdir()) == ["02_masked_self_attention.ipynb"]
    assert any(problem.startswith("notes.py") for problem in problems)
    assert any(problem.startswith("linked.py") and "link" in problem for problem in problems)


# A victim whose private text passes through the worker (printed, and quoted in an error report), then a
# spy graded next by the same worker that scans its own memory for it. The marker is stored XOR-ed, so
# the spy's source does not hold it; what follows a hit is what the spy reports.
VICTIM = 'print("MARKER-7Q: payload-42-from-the-victim " * 50)\n' + in_forward(
    "if x.shape[0] == 4:\n    raise ValueError('MARKER-7Q: payload-42-from-the-victim')")
SPY = """
import ctypes, re
needle = bytes(byte ^ 1 for byte in b"L@SJDS,6P;")
found = []
with open("/proc/self/maps") as maps:
    for line in maps:
        fields = line.split()
        start, end = (int(part, 16) for part in fields[0].split("-"))
        if not fields[1].startswith("r") or end - start > 1 << 30 or (len(fields) > 5 and fields[5].startswith("[v")):
            continue
        chunk = ctypes.string_at(start, end - start)
        found += [chunk[hit.end():hit.end() + 40] for hit in re.finditer(re.escape(needle), chunk)]
""" + in_forward("raise RuntimeError(repr(found))")


def test_a_submission_never_sees_the_memory_of_the_one_before(tmp_path):
    """With one worker, does a submission that scans its own memory find nothing of the submission graded
    before it (what it printed, the line that raised), since children are forked from a zygote that never
    held a submission's answers?"""
    for student, text in (("a_victim", VICTIM), ("b_spy", SPY)):
        (tmp_path / "submitted" / student / "attention").mkdir(parents=True)
        (tmp_path / "submitted" / student / "attention" / FILE).write_text(text)
    completed = run_kit("grade", tmp_path / "submitted", "--json", "-", "--jobs", "1", "--timeout", "3")
    results = {result["student"]: result for result in json.loads(completed.stdout)["results"]}
    spied = " ".join(check["message"] for check in results["b_spy"]["checks"])
    assert "RuntimeError while calling SelfAttention(" in spied and ").forward(" in spied  # the scan ran
    assert "payload-42" not in spied


FORGES_ITS_ERRORS = """
import sys
worker = sys.modules["autograder.sandboxed.worker"]
worker.observe = lambda namespace, probe: {"error": {"kind": "raised", "type": "TypeError", "message": "",
                                                     "stage": "calling ", "where": "", "code": "",
                                                     "call": "calling ", "unbound": "forged"}}
"""
ODD_TEXT = HONEST.replace("import torch", 'import torch\nraise ValueError("\\udcff <b>odd</b>")', 1)


def test_what_a_submission_says_never_stops_the_batch_or_its_reports(tmp_path):
    """Error reports forged to trip the hint code, and text that is not valid UTF-8 (a lone surrogate in a
    message, stray bytes in a folder name): does the batch finish, with --out's reports all written and the
    honest student's full marks?"""
    folders = {"forger": FORGES_ITS_ERRORS, "odd_text": ODD_TEXT, "z_honest": HONEST}
    for student, text in folders.items():
        (tmp_path / "submitted" / student / "attention").mkdir(parents=True)
        (tmp_path / "submitted" / student / "attention" / FILE).write_text(text)
    odd_folder = os.fsencode(tmp_path / "submitted" / "odd_name" / "attention") + b"/\xff"
    os.makedirs(odd_folder)
    with open(odd_folder + b"/" + FILE.encode(), "w") as file:
        file.write(HONEST)
    completed = run_kit("grade", tmp_path / "submitted", "--json", "-", "--jobs", "1", "--out", tmp_path / "out")
    assert completed.returncode == 0 and "Traceback" not in completed.stderr, completed.stderr[-3000:]
    scores = {result["student"]: result["score"] for result in json.loads(completed.stdout)["results"]}
    assert scores["z_honest"] == scores["odd_name"] == 10 and scores["forger"] < 10 and scores["odd_text"] == 0
    for name in ("results.json", "grades.csv", "report.md", "scores.png"):
        assert (tmp_path / "out" / name).stat().st_size > 0, name
    assert (tmp_path / "out" / "feedback" / "z_honest" / f"{VEHICLE.id}.html").exists()


SLOW_AND_HANGING = """
import time
time.sleep(1.2)
def hang(*args, **kwargs):
    while True:
        pass
""" + "\n".join(f"{name} = hang" for name in VEHICLE.parts) + "\n"


def test_a_slow_load_and_hanging_checks_cost_a_bounded_time(tmp_path):
    """When a submission loads slowly and every check hangs, does the worker stop reloading it once its loads
    have used up their budget, instead of paying load and timeout again for every check?"""
    from autograder.discovery import discover
    from autograder.instructor.grading import grade_all
    from autograder.instructor.kit_settings import KitSettings

    (tmp_path / FILE).write_text(SLOW_AND_HANGING)
    settings = KitSettings(probe_timeout=0.3, load_timeout=1.5)
    targets, _ = discover([tmp_path / FILE])
    report, = grade_all(targets, settings, jobs=1)
    given_up = [check for check in report.checks if "the rest were given up" in check.message]
    assert report.score == 0 and given_up and len(given_up) < len(report.checks)
    assert all(check.status == "timeout" for check in given_up)



SLOW_BUT_CORRECT = HONEST + """
import time as _time


def _slowly(call):  # right answers, each call slow but within the probe timeout
    def wrapped(*args, **kwargs):
        _time.sleep(0.4)
        return call(*args, **kwargs)
    return wrapped


for _name in [name for name, value in globals().items() if not name.startswith("_") and callable(value)
              and getattr(value, "__module__", None) == __name__]:
    if isinstance(globals()[_name], type):
        globals()[_name].forward = _slowly(globals()[_name].forward)
    else:
        globals()[_name] = _slowly(globals()[_name])
"""


def test_slow_calls_add_up_to_a_bounded_time_per_submission(tmp_path):
    """Correct code that waits just under the probe timeout in every call would hold a worker, and every student
    queued behind it, for one timeout per probe: does the submission's run budget stop it, with the checks not yet
    run counted as timeouts that say why, while the student graded after it keeps full marks?"""
    from autograder.discovery import discover
    from autograder.instructor.grading import grade_all
    from autograder.instructor.kit_settings import KitSettings

    for student, text in (("slow", SLOW_BUT_CORRECT), ("zed", HONEST)):
        (tmp_path / "submitted" / student).mkdir(parents=True)
        (tmp_path / "submitted" / student / FILE).write_text(text)
    settings = KitSettings(probe_timeout=1.5, run_timeout=2.0)  # a slow machine keeps each call under its own limit
    targets, _ = discover([tmp_path / "submitted"])
    slow, zed = grade_all(targets, settings, jobs=1)
    stopped = [check for check in slow.checks if "as long as one submission may take" in check.message]
    assert stopped and all(check.status == "timeout" for check in stopped), [c.message for c in slow.checks]
    assert slow.score < zed.score == 10


LINGERS = SLOW_BUT_CORRECT.replace("""        _time.sleep(0.4)
        return call(*args, **kwargs)""", """        import os
        os.close(3)  # the answer pipe: the grader hears the end at once and no answer's wait is charged
        _time.sleep(30)  # and the child lingers until it is killed and reaped""")


def test_a_child_that_ends_its_answers_and_lingers_is_charged_for_it(tmp_path):
    """A child that closes its answer pipe at once and lingers costs the worker a second or more per check
    (ending, reaping and draining it) while no answer's wait is counted: is that time charged to the submission's
    run budget, so that the budget still stops it?"""
    from autograder.discovery import discover
    from autograder.instructor.grading import grade_all
    from autograder.instructor.kit_settings import KitSettings

    assert LINGERS != SLOW_BUT_CORRECT
    (tmp_path / FILE).write_text(LINGERS)
    targets, _ = discover([tmp_path / FILE])
    report, = grade_all(targets, KitSettings(probe_timeout=1.5, run_timeout=2.0), jobs=1)
    assert report.score == 0
    assert any("as long as one submission may take" in check.message for check in report.checks), \
        [check.message for check in report.checks]


HOARDS = HONEST + """
_honest_forward = SelfAttention.forward
BIG = [torch.zeros(20_000, dtype=torch.float64) for _ in range(4)]  # 640 kB more with every answer


def _hoarding_forward(self, x):
    return (_honest_forward(self, x), *BIG)


SelfAttention.forward = _hoarding_forward
"""


def test_answers_are_bounded_per_submission_as_well_as_per_answer(tmp_path):
    """Does the worker stop taking answers from a submission once they pass its total limit, so that many answers,
    each under the limit for one, cannot fill the worker's memory?"""
    from autograder.discovery import discover
    from autograder.instructor.grading import grade
    from autograder.instructor.sandbox import Limits, WorkerPool
    from autograder.instructor.kit_settings import KitSettings

    (tmp_path / FILE).write_text(HOARDS)
    target, = discover([tmp_path / FILE])[0]
    with WorkerPool(1, limits=Limits(answers=2_000_000)) as pool:
        pool.ready()
        report = grade(target, pool, KitSettings())
    stopped = [check for check in report.checks if "answers this large are not plausible" in check.message]
    assert stopped and report.score < 10


NESTS = HONEST + """
import os
os.write(3, b'{"problems": []}\\n')
os.write(3, ('{"dict": {"info": [' + ",".join(["[]"] * 70_000) + ']}}\\n').encode())
"""


def test_an_answer_of_countless_small_lists_is_refused_before_it_is_parsed(tmp_path):
    """Does an answer written straight to the answer pipe as tens of thousands of empty lists (cheap as text,
    dear once parsed) stop that submission's check, unparsed, while the next student keeps 10/10?"""
    for student, text in (("a_nests", NESTS), ("b_after", HONEST)):
        (tmp_path / "submitted" / student).mkdir(parents=True)
        (tmp_path / "submitted" / student / FILE).write_text(text)
    completed = run_kit("grade", tmp_path / "submitted", "--json", "-", "--jobs", "1")
    results = {result["student"]: result for result in json.loads(completed.stdout)["results"]}
    assert any("lists" in check["message"] and "not a plausible answer" in check["message"]
               for check in results["a_nests"]["checks"])
    assert results["b_after"]["score"] == 10.0


# ---- the files beside a submission may change while they are copied (a class folder students can write) ------

def test_a_named_pipe_or_a_vanished_file_is_refused_and_leaves_no_copy(tmp_path):
    """Handed a named pipe that no one writes to, or a name removed before it is opened, does copy_file refuse
    it with the reason and leave no copy, instead of waiting in open() for good or raising FileNotFoundError?"""
    from autograder.instructor.sandbox import SubmissionRefused, copy_file

    os.mkfifo(tmp_path / "piped.py")
    refused = returned_or_blocked(copy_file, tmp_path / "piped.py", tmp_path / "copy-of-piped.py")
    assert isinstance(refused, SubmissionRefused) and "not a regular file" in str(refused)
    refused = returned_or_blocked(copy_file, tmp_path / "gone.py", tmp_path / "copy-of-gone.py")
    assert isinstance(refused, SubmissionRefused) and "renamed or removed" in str(refused)
    (tmp_path / "kept.py").write_text("x = 1\n")
    assert returned_or_blocked(copy_file, tmp_path / "kept.py", tmp_path / "copy-of-kept.py") == len("x = 1\n")
    assert sorted(path.name for path in tmp_path.glob("copy-of-*")) == ["copy-of-kept.py"]


def swap_for_pipes(folder, names, stop):
    """Turn each of names in folder into a named pipe and back into a regular file, over and over, until stop is
    set, as a student who owns the folder can (each rename is atomic: the name is never missing). Returns how
    many swaps were made."""
    swaps = 0
    for name in names:
        (folder / name).write_text("x = 1\n")
        (folder / f".{name}.reg").write_text("x = 1\n")
        os.mkfifo(folder / f".{name}.fifo")
    while not stop.is_set():
        for name in names:
            os.rename(folder / name, folder / f".{name}.reg")
            os.rename(folder / f".{name}.fifo", folder / name)
            os.rename(folder / name, folder / f".{name}.fifo")
            os.rename(folder / f".{name}.reg", folder / name)
            swaps += 1
    return swaps


@pytest.mark.slow
def test_a_class_folder_with_pipes_beside_a_submission_is_graded_to_the_end(tmp_path):
    """A student's folder holds a named pipe beside her submission, and files that she keeps turning into pipes
    and back while `grade` runs (five runs, each a fresh chance for the grader to meet a pipe or a missing name):
    is every student graded in full, her too, each time, with `grade` never stopped or blocked?"""
    klass = tmp_path / "class"
    for student in ("ann", "mallory", "zed"):
        (klass / student).mkdir(parents=True)
        (klass / student / FILE).write_text(HONEST)
    os.mkfifo(klass / "mallory" / "notes.py")
    names = [f"a{index:02d}.py" for index in range(60)]
    stop, swaps = threading.Event(), []
    swapper = threading.Thread(target=lambda: swaps.append(swap_for_pipes(klass / "mallory", names, stop)), daemon=True)
    swapper.start()
    try:
        # a generous bound per run: a grader blocked opening a pipe never returns
        runs = [run_kit("grade", klass, "--json", "-", "--jobs", "1", timeout=300) for _ in range(5)]
    finally:
        stop.set()
        swapper.join()
    for completed in runs:
        assert completed.returncode == 0, completed.stderr
        scores = {result["student"]: result["score"] for result in json.loads(completed.stdout)["results"]}
        assert scores == {"ann": 10.0, "mallory": 10.0, "zed": 10.0}
    assert swaps[0] > 0
