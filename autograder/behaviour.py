"""Where a submission's outputs differ from the expected ones, said as what it shows, not as a mistake's name.

When a check that compares values fails and no known mistake behaves like the submission, "160 of 160 values
differ" says that, not what. A teaching assistant would look at the pattern: which query positions, which heads,
which calls of a cached decode, which blocks of a tiled loop, whether the weights are right and only the outputs
wrong. Each function here returns one such observation, true of the tensors compared by construction, or None
when the difference shows no pattern worth saying. They name no known mistake (diagnosis.py does that, when one
behaves like the submission) and guess no cause: what they say points where to look.

Positions: the query axis is the second last of an output (..., n_q, d), as every exercise's modules return.
"""
import torch

from .compare import close


def _differ(got, want):
    """Bool tensor: where got is not within tolerance of want (both NaN counts as alike)."""
    return ~(close(got, want) | (got.isnan() & want.isnan()))


def _rows(differ):
    """Bool (n_q,): the query positions where anything differs, over every batch and feature."""
    return differ.reshape(-1, *differ.shape[-2:]).any(dim=0).any(dim=-1)


def _positions(indices):
    """"2", "2 and 5", "1, 3 and 4" or "2–6"."""
    indices = list(indices)
    if len(indices) > 2 and indices == list(range(indices[0], indices[-1] + 1)):
        return f"{indices[0]}–{indices[-1]}"
    words = [str(index) for index in indices]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def outputs_differ(names=("output",)):
    """Diagnose for checks whose judge compares each output with an expected one (common.matches_expected):
    diagnose(probes, observed, expected) -> the observation about the first probe whose difference shows a pattern,
    or None."""

    def diagnose(probes, observed, expected):
        for probe, got, want in zip(probes, observed, expected or []):
            if "outputs" not in got or "outputs" not in want or len(got["outputs"]) != len(want["outputs"]):
                continue
            tensors = list(zip(names, got["outputs"], want["outputs"]))
            if any(not torch.is_tensor(a) or a.shape != b.shape or not a.is_floating_point() for _, a, b in tensors):
                continue
            differs = {name: _differ(a, b) for name, a, b in tensors}
            if not any(bool(d.any()) for d in differs.values()):
                continue
            said = (_weights_right(differs) or _zero_rows(tensors) or _heads(probe, tensors[0][1], differs[names[0]])
                    or _masked_rows(probe, differs[names[0]]) or _tiles(probe, differs[names[0]])
                    or _row_pattern(differs[names[0]], names[0]))
            if said:
                return f"{probe['label']}: {said}" if probe.get("label") else said
        return None

    return diagnose


def _weights_right(differs):
    if "weights" in differs and len(differs) > 1 and not differs["weights"].any():
        return ("the attention weights match the expected ones and the outputs made from them do not: the softmax "
                "is right, so look at the values path (what the weights multiply)")
    return None


def _zero_rows(tensors):
    name, got, want = tensors[0]
    if got.dim() < 2:
        return None
    zero = (got == 0).reshape(-1, *got.shape[-2:]).all(dim=-1).all(dim=0)
    expected_zero = (want == 0).reshape(-1, *want.shape[-2:]).all(dim=-1).all(dim=0)
    rows = (zero & ~expected_zero).nonzero().flatten().tolist()
    if rows:
        return (f"at query position{'s' if len(rows) > 1 else ''} {_positions(rows)} the {name} is all zeros, where "
                "the expected one is not: those queries attended to no key at all (look at what the mask blocks for "
                "them)")
    return None


def _heads(probe, output, differ):
    heads = (probe.get("init") or {}).get("num_heads")
    if not isinstance(heads, int) or heads < 2 or output.dim() < 1 or output.shape[-1] % heads:
        return None
    width = output.shape[-1] // heads
    per_head = differ.reshape(*differ.shape[:-1], heads, width).reshape(-1, heads, width).any(dim=0).any(dim=-1)
    wrong = per_head.nonzero().flatten().tolist()
    if not wrong or len(wrong) == heads:
        return None
    right = [head for head in range(heads) if head not in wrong]
    return (f"only the output features of head{'s' if len(wrong) > 1 else ''} {_positions(wrong)} differ (each head "
            f"{width} wide along the last axis); head{'s' if len(right) > 1 else ''} {_positions(right)} match: look "
            "at how the heads are split from and merged into the feature axis")


def _mask(probe):
    mask = (probe.get("kwargs") or {}).get("mask")
    return mask if torch.is_tensor(mask) and mask.dtype == torch.bool and mask.dim() >= 2 else None


def _masked_rows(probe, differ):
    mask = _mask(probe)
    if mask is None or differ.dim() < 2:
        return None
    rows = _rows(differ)
    try:
        blocked = mask.reshape(-1, *mask.shape[-2:]).any(dim=0).any(dim=-1).expand(rows.shape)
    except RuntimeError:
        return None
    if rows.any() and not (rows & ~blocked).any() and not blocked.all():
        return ("only queries for which the mask blocks some key differ; the others match: look at how the mask is "
                "applied to the scores")
    return None


def _tiles(probe, differ):
    kwargs = probe.get("kwargs") or {}
    size = kwargs.get("block_size")
    if not isinstance(size, int) or size < 1 or differ.dim() < 2 or len(probe.get("args", ())) < 2:
        return None
    rows, n_k = _rows(differ), probe["args"][1].shape[-2]
    positions = torch.arange(rows.shape[0])
    seen = (positions // size + 1) if kwargs.get("causal") else torch.full_like(positions, -(-n_k // size))
    one_block = seen <= 1
    if rows.any() and not (rows & one_block).any() and one_block.any():
        return ("queries that see keys of a single block match, and every query that sees keys of more than one "
                "block differs: each block alone is right, so look at how blocks are combined (the running maximum, "
                "the running sum and the output rescaled when the maximum changes)")
    return None


def _row_pattern(differ, name):
    if differ.dim() < 2:
        return None
    rows = _rows(differ)
    wrong, count = rows.nonzero().flatten().tolist(), rows.shape[0]
    if not wrong or len(wrong) == count:
        return None
    if wrong == list(range(wrong[0], count)):
        return (f"the {name} at query positions 0–{wrong[0] - 1} match{'es' if wrong[0] == 1 else ''} and every one "
                f"from position {wrong[0]} on differs")
    if wrong == list(range(len(wrong))):
        return f"only the {name} at query position{'s' if len(wrong) > 1 else ''} {_positions(wrong)} differ"
    if len(wrong) <= 6:
        return f"only the {name} at query positions {_positions(wrong)} differ; the other {count - len(wrong)} match"
    return None


def cached_calls_differ(spans, matched):
    """Diagnose for a decode in pieces against the full forward: spans, the calls' token spans ("0–2", "3", ...);
    matched, for each call, None when it matches, else a bool (size,) of its tokens that differ."""
    wrong = [index for index, differ in enumerate(matched) if differ is not None]
    if not wrong:
        return None
    if wrong[0] == 0:
        return ("even the first call, before anything is cached, differs from the full forward on the same tokens: "
                "look at the computation itself before the cache")
    singles = [index for index, span in enumerate(spans) if "–" not in span]
    chunks = [index for index, span in enumerate(spans) if "–" in span and index > 0]
    if chunks and singles and set(wrong) == set(chunks):
        head = ("the calls of a single token match the full forward, and the calls of several tokens after the first "
                f"(tokens {', '.join(spans[index] for index in chunks)}) differ")
    elif wrong == list(range(1, len(matched))):
        head = ("the first call (nothing cached yet) matches the full forward and the calls after it, which read the "
                "cache, differ")
    else:
        head = f"the calls for tokens {', '.join(spans[index] for index in wrong)} differ; the others match"
    for index in wrong:
        differ = matched[index]
        if differ.numel() < 2 or differ.all():
            continue
        same = [token for token in range(differ.numel()) if not differ[token]]
        which = ("only its last token matches" if same == [differ.numel() - 1] else
                 "only its first token matches" if same == [0] else
                 f"its tokens {_positions(same)} (counted from 0 within the call) match and the others differ")
        return (f"{head}; in the call for tokens {spans[index]}, {which}: look at what each new token may see, the "
                "whole cache and the new tokens up to itself")
    return (f"{head}: look at the mask of a chunk that comes after cached tokens (new token t is at position start + t "
            "and sees every cached key)" if head.startswith("the calls of a single") else
            f"{head}: look at what the cache holds and at the positions and mask of the new tokens")
