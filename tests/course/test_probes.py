"""Do the probes built for the classic bugs (stacked layers on padding, cross-attention inputs of equal
shapes, dropout in exercise 4) fail on the mistake each targets and pass on the reference?"""
import pytest
import torch

from autograder import engine, registry
from autograder.instructor import known_mistakes as mistakes, reference as references
from autograder.instructor.known_mistakes import Mistake
from autograder.sandboxed.probes import observer
from helpers import grade_file, reference_answers, write_module

SEED = 11


def check_of(check_id):
    return next(check for check in registry.checks(check_id.split(".")[0]) if check.id == check_id)


def judged(check, namespace, keep=lambda probe: True):
    """The check's message for the probes keep() selects (pairs stay whole), drawn fresh, against the reference."""
    exercise = check.id.split(".")[0]
    probes = check.probes(torch.Generator().manual_seed(SEED))
    pairs = [probes[index:index + 2] for index in range(0, len(probes), 2)] if _paired(check) else [[p] for p in probes]
    probes = [probe for group in pairs if keep(group[0]) for probe in group]
    assert probes, "keep() selected no probe"
    observed = observer(namespace)(probes)
    return engine.judge(check, exercise, probes, observed, references.REFERENCE)


def _paired(check):
    return check.id.endswith((".padding", ".key_order", ".causality"))


def reference(exercise):
    return references.namespace(exercise)


def mistake(misconception_id):
    return mistakes.namespace(misconception_id)


def stacked(probe):
    return probe.get("repeat", 1) == 2


def test_two_stacked_layers_catch_nan_rows():
    """Does the stacked-padding pair fail on NaN rows (and only the stacked pair), and pass on the reference?"""
    padding = check_of("masked_self_attention.padding")
    assert judged(padding, reference("masked_self_attention"), stacked).status == "passed"
    result = judged(padding, mistake("fully_blocked_nan"), stacked)
    assert result.status == "failed" and "NaN" in result.message and "two stacked layers" in result.message
    assert judged(padding, mistake("fully_blocked_nan"), lambda probe: not stacked(probe)).status == "passed"


def test_hidden_values_grade_two_stacked_layers():
    """Do the hidden values of exercise 2 include two stacked layers, failing NaN rows and passing -1e9 fills?"""
    values = check_of("masked_self_attention.head_values_hidden")
    assert judged(values, reference("masked_self_attention"), stacked).status == "passed"
    assert judged(values, mistake("fully_blocked_nan"), stacked).status == "failed"
    large_negative = Mistake("fill_minus_1e9", "", exercise="masked_self_attention", edits=(
        ('scores = scores.masked_fill(blocked, float("-inf"))', "scores = scores.masked_fill(blocked, -1e9)"),
        ("        weights = weights.masked_fill(blocked.all(dim=-1, keepdim=True), 0.0)\n", "")))
    assert judged(values, mistakes.variant_namespace(large_negative), stacked).status == "passed"


def equal_shapes(probe):
    return probe["label"].endswith("equal shapes") or "equal shapes," in probe["label"]


@pytest.mark.parametrize("bug, check_id", [
    ("cross_values_from_queries", "cross_attention.key_order"),
    ("cross_values_from_queries", "cross_attention.values_hidden"),
    ("cross_kv_from_queries", "cross_attention.values_hidden"),  # x_kv unused: reordering it changes nothing
])
def test_equal_shapes_catch_values_read_from_the_queries(bug, check_id):
    """With x_q and x_kv of one shape, does reading x_q where x_kv belongs fail (not raise), while the
    reference passes?"""
    check = check_of(check_id)
    assert judged(check, reference("cross_attention"), equal_shapes).status == "passed"
    assert judged(check, mistake(bug), equal_shapes).status == "failed"


@pytest.mark.parametrize("bug, check_id", [
    ("wrapper_output_dropout", "multi_head_attention.wrapper_concatenation"),
    ("mha_dropout_on_context", "multi_head_attention.mha_dropout"),
    ("mha_no_dropout", "multi_head_attention.mha_dropout"),
])
def test_dropout_checks_of_exercise_4(bug, check_id):
    """Does each exercise-4 dropout check fail on the dropout mistake it targets, and pass on the reference?"""
    check = check_of(check_id)
    assert judged(check, reference("multi_head_attention")).status == "passed"
    assert judged(check, mistake(bug)).status == "failed"


def test_a_multi_head_layer_without_padding_loses_only_the_masking_point(tmp_path):
    """Does a MultiHeadAttention that, like every public source, takes neither unbatched input nor a padding
    mask lose exactly the masking check, its shapes and values being probed batched and unpadded?"""
    text = "\n\n".join(reference_answers("multi_head_attention").values())
    batched_only = text.replace("    def forward(self, x, padding_mask=None):\n",
                                "    def forward(self, x):\n        padding_mask = None\n").replace(
                                "if x.dim() == 2:", "if False:")
    assert batched_only.count("if False:") == 1 and "padding_mask=None" not in batched_only
    header = "import math\n\nimport torch\nfrom torch import nn\nfrom autograder.instructor.solutions.masked_self_attention import CausalSelfAttention\n\n"
    report = grade_file(write_module(tmp_path, "multi_head_attention", header + batched_only), "multi_head_attention")
    assert [check.id for check in report.checks if check.status != "passed"] == ["multi_head_attention.mha_causality"]
    assert report.score == 9
