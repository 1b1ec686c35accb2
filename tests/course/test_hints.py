"""Is every hint right: shown only when the submission makes the mistake it names, and actionable for
the errors students meet most (`.T`, a batch axis assumed, a changed signature, float32 mixed with float64)?"""
import re

import pytest

from autograder import diagnosis, engine
from autograder.checks import CheckResult
from autograder.instructor import known_mistakes as mistakes
from helpers import EXERCISES, grade_file, grade_variant, reference

REFERENCE = {name: reference(name) for name in EXERCISES}


def graded(tmp_path, exercise, text, seed=5):
    for name, text_of in REFERENCE.items():  # a notebook may import another's names from the folder
        (tmp_path / f"{name}.py").write_text(text_of)
    (tmp_path / f"{exercise}.py").write_text(text)
    return grade_file(tmp_path / f"{exercise}.py", exercise, seed=seed)


def edited(exercise, *edits):
    text = REFERENCE[exercise]
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    return text


# Each: a submission with one error-raising mistake as students write it, and the explanation it must get.
ERRORS = {
    "transpose_T": ("self_attention", [("scores = queries @ keys.transpose(-2, -1)", "scores = queries @ keys.T")]),
    "batch_axis_assumed": ("cross_attention", [("keys.transpose(-2, -1)", "keys.transpose(1, 2)")]),
    "three_sizes_unpacked": ("masked_self_attention", [("        n = x.shape[-2]\n", "        b, n, d = x.shape\n")]),
    "dtype_mix": ("self_attention", [("return weights @ values  # (..., n, d_out)", "return weights.float() @ values")]),
    "non_bool_mask": ("masked_self_attention", [
        ('self.register_buffer("mask", causal_mask(context_length))',
         'self.register_buffer("mask", torch.triu(torch.ones(context_length, context_length), diagonal=1))'),
        ("blocked = blocked | padding_mask.unsqueeze(-2)", "blocked = blocked + padding_mask.unsqueeze(-2)")]),
}


@pytest.mark.parametrize("explainer", sorted(ERRORS))
def test_common_errors_get_a_hint_that_says_what_to_do(tmp_path, explainer):
    """Does a check that fails on one of the common errors show the explanation of that error, and no other hint?"""
    exercise, edits = ERRORS[explainer]
    report = graded(tmp_path, exercise, edited(exercise, *edits))
    hints = {(check.misconception, check.hint) for check in report.checks if check.status != "passed" and check.hint}
    expected = next(hint for key, _, hint in diagnosis._EXPLAINERS if key == explainer)
    assert hints == {(explainer, expected)}, [(c.id, c.status, c.message) for c in report.checks if c.status != "passed"]
    assert report.score < report.max_score


def test_a_changed_signature_shows_the_one_the_exercise_fixes(tmp_path):
    """Does a constructor missing qkv_bias get 'keep the signature the exercise gives: …' with the real signature?"""
    text = edited("cross_attention", ("def __init__(self, d_q, d_kv, d_out, qkv_bias=False):", "def __init__(self, d_q, d_kv, d_out):"),
                  ("bias=qkv_bias", "bias=False"))
    report = graded(tmp_path, "cross_attention", text)
    hints = {check.hint for check in report.checks if check.status == "error"}
    assert hints == {"keep the signature the exercise gives: CrossAttention(d_q, d_kv, d_out, qkv_bias=False) (the check's "
                     "call does not fit yours: got an unexpected keyword argument 'qkv_bias')"}


def test_an_unmatched_failure_gets_no_hint(tmp_path):
    """When no known mistake behaves like the submission, is the failure told without any guessed hint?"""
    text = edited("self_attention", ("return weights @ values  # (..., n, d_out)", "return 1.01 * (weights @ values)"))
    report = graded(tmp_path, "self_attention", text)
    failed = [check for check in report.checks if check.status == "failed"]
    assert failed and all(check.hint == "" for check in failed)
    assert all(re.search(r"\d+ of \d+ values of output differ", check.message) for check in failed
               if check.id.endswith(("_fixture", "_hidden")))


def test_a_tie_between_two_mistakes_names_neither(tmp_path):
    """When two known mistakes with different hints behave alike on a check, is neither named there?"""
    same = [{"outputs": []}]
    tie = diagnosis.best_matches(same, [("a", "hint a", same), ("b", "hint b", same), ("c", "hint c", [{"outputs": [1]}])])
    assert tie == [("a", "hint a"), ("b", "hint b")]
    result = CheckResult("x.y", 0.0, 1.0, "failed")
    engine._name(result, tie)
    assert (result.misconception, result.hint) == (None, "")
    engine._name(result, tie[:1])
    assert (result.misconception, result.hint) == ("a", "hint a")


def test_a_mistake_is_not_named_where_the_submission_passed_what_it_fails(tmp_path):
    """A float 0/1 mask buffer used without .bool() raises in forward exactly as a causal_mask returning floats
    does; since this causal_mask passes its checks, is the student told about the buffer, not about causal_mask?"""
    exercise, edits = ERRORS["non_bool_mask"]
    report = graded(tmp_path, exercise, edited(exercise, *edits))
    assert next(check for check in report.checks if check.id.endswith("mask_values")).status == "passed"
    assert not any(check.misconception == "mask_float" for check in report.checks)
    assert any(check.misconception == "non_bool_mask" for check in report.checks)


@pytest.mark.parametrize("form", ["py", "notebook"])
def test_no_known_mistake_sees_a_hint_naming_another(tmp_path, form):
    """Across the whole catalog of known mistakes, as files and as notebooks: how many hints name a mistake
    the submission does not make? (It must be none.)"""
    wrong = []
    for index, misconception in enumerate(mistakes.every()):
        folder = tmp_path / misconception.id
        folder.mkdir()
        report = grade_variant(folder, misconception, form, seed=300 + index)
        wrong += [(misconception.id, check.id, check.misconception) for check in report.checks
                  if check.hint and check.misconception not in (misconception.id, None)]
    print(f"hints naming another mistake: {len(wrong)} of {len(mistakes.every())} known mistakes")
    assert wrong == []
