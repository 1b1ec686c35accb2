"""When a value check fails and no known mistake behaves like the submission, does the kit say where the outputs
differ (which queries, heads, calls of a cached decode, blocks of a tiled loop), and only when it is so?"""
import pytest

from helpers import EXERCISES, grade_file, reference

REFERENCE = {name: reference(name) for name in EXERCISES}
FILL = 'scores = scores.masked_fill(blocked, float("-inf"))'


def graded(tmp_path, exercise, *edits, seed=5):
    text = REFERENCE[exercise]
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    tmp_path.mkdir(parents=True, exist_ok=True)
    for name, text_of in REFERENCE.items():  # a notebook may import another's names from the folder
        (tmp_path / f"{name}.py").write_text(text_of)
    (tmp_path / f"{exercise}.py").write_text(text)
    return grade_file(tmp_path / f"{exercise}.py", exercise, seed=seed)


def said(report):
    """The hints of the failed checks that name no known mistake: what the behaviour showed."""
    return [check.hint for check in report.checks if check.status == "failed" and check.hint and not check.misconception]


# (kind, exercise, edits that give a submission with it, what the hint must say; edits that make another bug)
KINDS = [
    ("weights right, outputs not", "self_attention",
     [("context = weights @ value  # (..., n_q, d_v)", "context = weights @ value + 0.01")],
     "the attention weights match",
     [("scores = query @ key.transpose(-2, -1) / math.sqrt(d_k)", "scores = query @ key.transpose(-2, -1) / 1.5")]),
    ("rows all zeros", "masked_self_attention",
     [(".triu(diagonal=1)", ".triu(diagonal=0)"),
      ("/ math.sqrt(keys.shape[-1])  # (..., n, n)", "/ (1.5 * math.sqrt(keys.shape[-1]))  # (..., n, n)")],
     "all zeros, where the expected one is not",
     [("/ math.sqrt(keys.shape[-1])  # (..., n, n)", "/ (1.5 * math.sqrt(keys.shape[-1]))  # (..., n, n)")]),
    ("only masked queries", "cross_attention",
     [('scores = scores.masked_fill(mask, float("-inf"))', 'scores = scores.masked_fill(mask, -3.0)')],
     "only queries for which the mask blocks some key differ",
     [("/ math.sqrt(keys.shape[-1])", "/ (1.5 * math.sqrt(keys.shape[-1]))")]),
    ("some heads", "multi_head_attention",
     [("return torch.cat([head(x) for head in self.heads], dim=-1)",
       "return torch.cat([self.heads[0](x)] + [0.5 * head(x) for head in self.heads[1:]], dim=-1)")],
     "only the output features of head",
     [("return torch.cat([head(x) for head in self.heads], dim=-1)",
       "return 0.5 * torch.cat([head(x) for head in self.heads], dim=-1)")]),
    ("blocks of a tiled loop", "modern_attention",
     [("new_max = torch.maximum(running_max, scores.amax(dim=-1, keepdim=True))",
       "new_max = scores.amax(dim=-1, keepdim=True)"),
      ("correction = torch.exp(running_max - new_max)", "correction = torch.ones_like(new_max)")],
     "every query that sees keys of more than one block differs",
     [("q = query[..., q_start:q_start + block_size, :] * scale", "q = query[..., q_start:q_start + block_size, :] * scale * 1.5")]),
    ("calls after the cache", "modern_attention",
     [("positions = torch.arange(start, start + n, device=x.device)",
       "positions = torch.arange(start, start + n, device=x.device) + (1 if start else 0)")],
     "the first call (nothing cached yet) matches the full forward",
     [("scores = queries @ keys.transpose(-2, -1) / math.sqrt(hd)", "scores = queries @ keys.transpose(-2, -1) / (1.5 * math.sqrt(hd))")]),
    ("tokens within a later chunk", "modern_attention",
     [("        " + FILL, "        if start == 0:\n            " + FILL)],
     "only its last token matches",
     [("positions = torch.arange(start, start + n, device=x.device)",
       "positions = torch.arange(start, start + n, device=x.device) + (1 if start else 0)")]),
]


@pytest.mark.parametrize("kind, exercise, edits, words, other", KINDS, ids=[kind for kind, *_ in KINDS])
def test_a_behaviour_is_said_when_it_shows_and_not_otherwise(tmp_path, kind, exercise, edits, words, other):
    """Does a submission whose outputs differ in this pattern, and match no known mistake, lose points with a hint
    that says so; and does a submission with another bug in the same code never get that sentence?"""
    report = graded(tmp_path / "with", exercise, *edits)
    assert report.score < report.max_score
    assert any(words in hint for hint in said(report)), [(c.id, c.hint) for c in report.checks if c.status != "passed"]
    assert not any(check.misconception for check in report.checks if check.hint and words in check.hint)
    without = graded(tmp_path / "without", exercise, *other)
    assert without.score < without.max_score
    assert not any(words in check.hint for check in without.checks), [(c.id, c.hint) for c in without.checks if c.hint]


def test_a_cache_bug_costs_the_points_of_the_cache_checks():
    """Is decoding with the cache graded by more than one check (the public comparison with the full forward and a
    hidden one with the reference, call by call), so that a wrong cache loses what it is worth?"""
    from autograder import registry

    exercise = EXERCISES[-1]
    cached = [check for check in registry.checks(exercise) if "cache" in check.id and check.part != "kv_cache_bytes"]
    assert len(cached) >= 2 and sum(check.points for check in cached) >= 2
