"""Does a hostile or broken submission earn only what it earns honestly, in one batch with honest ones,
leaving no process behind?"""
import json
import subprocess

import pytest

from autograder.sandbox import bubblewrap
from conftest import run_kit
from students import source

HONEST = source("self_attention_alt")
# A wrong answer to dress up: every output is zeros of the right shape.
ZEROS = HONEST.replace("return F.scaled_dot_product_attention(", "return 0 * F.scaled_dot_product_attention(").replace(
    "return torch.einsum(\"...qk,...kd->...qd\", weights, value), weights",
    "return 0 * torch.einsum(\"...qk,...kd->...qd\", weights, value), 0 * weights")
FORWARD = "    def forward(self, x):\n"


def in_forward(code):
    """HONEST with code run at the start of SelfAttention.forward."""
    return HONEST.replace(FORWARD, FORWARD + "".join(f"        {line}\n" for line in code.splitlines()))


DAEMON_MARK = "313.25"  # `sleep 313.25` identifies the daemon below
HOSTILE = {
    "patches_torch": "import torch\ntorch.allclose = lambda *a, **k: True\n"
                     "torch.isclose = lambda a, b, **k: torch.ones_like(a, dtype=torch.bool)\n"
                     "torch.Tensor.__eq__ = lambda a, b: True\n" + ZEROS,
    "patches_numpy": "import numpy\nnumpy.allclose = lambda *a, **k: True\nnumpy.testing.assert_allclose = lambda *a, **k: None\n" + ZEROS,
    "patches_grader": "import autograder.probes, autograder.wire, autograder.worker\n"
                      "autograder.probes.observe = lambda namespace, probe: {'outputs': []}\n"
                      "autograder.worker.grade = lambda request: {'observations': [], 'problems': [], 'output': ''}\n" + ZEROS,
    "steals_solutions": """
import importlib, os, sys, time
reference = None
try:
    reference = importlib.import_module("solutions.self_attention")
except ImportError:
    start = time.monotonic()
    for top, folders, files in os.walk("/"):
        if time.monotonic() - start > 8:
            break
        folders[:] = [f for f in folders if f not in ("proc", "sys", "dev")]
        if os.path.basename(top) == "solutions" and "self_attention.py" in files:
            sys.path.insert(0, os.path.dirname(top))
            reference = importlib.import_module("solutions.self_attention")
            break
""" + ZEROS + """
if reference is not None:
    scaled_dot_product_attention, SelfAttention = reference.scaled_dot_product_attention, reference.SelfAttention
""",
    "exits_at_import": "import os\nos._exit(3)\n" + HONEST,
    "sys_exit_in_forward": "import sys\n" + in_forward("sys.exit(0)"),
    "ignores_sigterm_and_loops": "import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n" + in_forward("while True:\n    pass"),
    "allocates_8_gib": in_forward("hoard = bytearray(8 * 1024 ** 3)"),
    "prints_40_mb": "import sys\n" + in_forward("print('x' * (40 * 1024 * 1024)); sys.stdout.flush()"),
    "lying_subclass": ZEROS.replace("class SelfAttention(nn.Module):", """class Liar(torch.Tensor):
    def __eq__(self, other): return torch.ones_like(torch.Tensor(self), dtype=torch.bool)
    def allclose(self, *a, **k): return True
    def __float__(self): return 0.0


class SelfAttention(nn.Module):""").replace(
        "return 0 * F.scaled_dot_product_attention(", "return Liar._make_subclass(Liar, 0 * F.scaled_dot_product_attention(")
        .replace("self.W_value(x))", "self.W_value(x)))"),
    "starts_a_daemon": "import subprocess\nsubprocess.Popen(['sleep', '" + DAEMON_MARK + "'], start_new_session=True,"
                       " stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n" + HONEST,
    "writes_to_stderr": "import sys, warnings\n" + in_forward("warnings.warn('careful')\nprint('debug', file=sys.stderr)"),
}
# What each could earn honestly. Zeros of the right shape pass the two shape checks and the layer check (3);
# scaled_dot_product_attention (4) plus the layer check (1)
# survive a SelfAttention.forward that never returns an answer.
HONEST_SCORE = {"patches_torch": 3, "patches_numpy": 3, "patches_grader": 3, "steals_solutions": 3, "lying_subclass": 3,
                "exits_at_import": 0, "sys_exit_in_forward": 5, "ignores_sigterm_and_loops": 5, "allocates_8_gib": 5,
                "prints_40_mb": 10, "starts_a_daemon": 10, "writes_to_stderr": 10}

pytestmark = pytest.mark.skipif(bubblewrap() is None, reason="the sandbox's isolation needs bubblewrap")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("class")
    for student, text in {"honest": HONEST, "honest_too": HONEST, **HOSTILE}.items():
        (folder / "submitted" / student / "attention").mkdir(parents=True)
        (folder / "submitted" / student / "attention" / "self_attention.py").write_text(text)
    completed = run_kit("grade", folder / "submitted", "--json", "-", "--jobs", "2", "--timeout", "3", "--seed", "4")
    assert completed.returncode == 0, completed.stderr
    return {result["student"]: result for result in json.loads(completed.stdout)["results"]}


def test_honest_submissions_are_unaffected(graded):
    assert graded["honest"]["score"] == graded["honest_too"]["score"] == 10


@pytest.mark.parametrize("student", sorted(HOSTILE))
def test_earns_nothing_it_did_not_earn_honestly(graded, student):
    assert graded[student]["score"] <= HONEST_SCORE[student]
    # zeros are wrong: the grader, not the submission, must see that
    if HONEST_SCORE[student] == 3:
        failed = {c["id"] for c in graded[student]["checks"] if c["status"] != "passed"}
        assert {"self_attention.head_values_hidden", "self_attention.sdpa_values_hidden"} <= failed


def test_crashes_and_hangs_cost_only_the_checks_that_meet_them(graded):
    assert all("ended with exit code 3" in check["message"] for check in graded["exits_at_import"]["checks"])
    for student in ("sys_exit_in_forward", "ignores_sigterm_and_loops", "allocates_8_gib"):
        assert graded[student]["score"] == 5, student
    statuses = {c["status"] for c in graded["ignores_sigterm_and_loops"]["checks"]}
    assert statuses == {"passed", "timeout"}


def test_output_floods_warnings_and_daemons_cost_nothing(graded):
    for student in ("prints_40_mb", "writes_to_stderr", "starts_a_daemon"):
        assert graded[student]["score"] == 10, student


def test_no_process_is_left_behind(graded):
    leftover = subprocess.run(["pgrep", "-f", f"sleep {DAEMON_MARK}"], capture_output=True, text=True).stdout
    assert leftover == ""
    workers = subprocess.run(["pgrep", "-f", "autograder.worker"], capture_output=True, text=True).stdout
    assert workers == ""
