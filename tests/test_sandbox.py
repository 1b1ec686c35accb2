"""Does a hostile or broken submission cost only itself, while the grader keeps the verdicts?"""
import json

import pytest

from conftest import ROOT
from students import source

HONEST = source("self_attention_alt")
HOSTILE = {
    "exits_at_import": "import os\nos._exit(3)\n" + HONEST,
    "loops_forever": HONEST.replace("    def forward(self, x):\n", "    def forward(self, x):\n        while True:\n            pass\n"),
    "patches_allclose": "import torch\ntorch.allclose = lambda *a, **k: True\ntorch.isclose = lambda a, b, **k: torch.ones_like(a, dtype=torch.bool)\n"
                        + HONEST.replace("return F.scaled_dot_product_attention(", "return 0 * F.scaled_dot_product_attention("),
    "writes_to_stderr": "import sys, warnings\n" + HONEST.replace(
        "    def forward(self, x):\n", "    def forward(self, x):\n        warnings.warn('careful')\n        print('debug', file=sys.stderr)\n"),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory, request):
    from conftest import run_kit

    folder = tmp_path_factory.mktemp("class")
    for student, text in {"honest": HONEST, **HOSTILE}.items():
        (folder / "submitted" / student / "attention").mkdir(parents=True)
        (folder / "submitted" / student / "attention" / "self_attention.py").write_text(text)
    completed = run_kit("grade", folder / "submitted", "--json", "-", "--jobs", "2", "--timeout", "20", "--seed", "4")
    assert completed.returncode == 0, completed.stderr
    return {result["student"]: result for result in json.loads(completed.stdout)["results"]}


def test_honest_submission_is_unaffected(graded):
    assert graded["honest"]["score"] == 10


def test_exit_at_import_costs_only_that_submission(graded):
    result = graded["exits_at_import"]
    assert result["score"] == 0
    assert all("ended with exit code 3" in check["message"] for check in result["checks"])


def test_infinite_loop_is_stopped(graded):
    result = graded["loops_forever"]
    assert result["score"] == 0 and {check["status"] for check in result["checks"]} == {"timeout"}


def test_patching_torch_in_the_submission_changes_no_verdict(graded):
    """With torch.allclose patched to say yes and zeros returned, does the grader still see the wrong numbers?"""
    result = graded["patches_allclose"]
    failed = {check["id"] for check in result["checks"] if check["status"] != "passed"}
    assert "self_attention.head_values_hidden" in failed and "self_attention.head_printed" in failed
    assert result["score"] <= 6


def test_warnings_and_stderr_cost_nothing(graded):
    assert graded["writes_to_stderr"]["score"] == 10
