"""Which known mistake behaves like a submission: compare observations of the same probes.

Public: the student's self-check uses it with the variants' observations stored in
the fixtures; the grader also with variants it runs itself (instructor/known_mistakes.py).
"""
import re

import torch

from .compare import close


def likeness(first, second):
    """How alike two runs of the same probes were: 0 not alike; 1 same errors, layers and outputs
    (to rounding); 2 that, and every error was raised by the same line of code."""
    same_lines = True
    if len(first) != len(second):  # not runs of the same probes
        return 0
    for a, b in zip(first, second):
        if ("error" in a) != ("error" in b):
            return 0
        if "error" in a:
            # the message too: torch's messages name the shapes, which tell most mistakes apart
            if (a["error"]["type"], a["error"]["message"]) != (b["error"]["type"], b["error"]["message"]):
                return 0
            same_lines &= a["error"].get("code") == b["error"].get("code")
            continue
        if a.get("info") != b.get("info"):
            return 0
        tensors_a, tensors_b = a.get("outputs", []) + a.get("heads", []), b.get("outputs", []) + b.get("heads", [])
        if len(tensors_a) != len(tensors_b):
            return 0
        for x, y in zip(tensors_a, tensors_b):
            if x.shape != y.shape or x.is_floating_point() != y.is_floating_point():
                return 0
            if x.is_floating_point() and not _alike_values(x, y):
                return 0
            if not x.is_floating_point() and not torch.equal(x, y):
                return 0
    return 2 if same_lines else 1


def _alike_values(x, y):
    """Within what two correct implementations may differ by. Where y (the known mistake) has a few NaN
    rows, its queries had no key to see, and what such a row holds is unspecified: any value matches
    there (a -1e9 fill gives a finite row where -inf gives NaN). NaN over most of y is behaviour (NaN
    that spread), and only NaN matches it."""
    nan = y.isnan()
    unspecified = nan if nan.double().mean() <= 0.5 else nan & x.isnan()
    return bool((close(x, y) | unspecified | (nan & x.isnan())).all())


def same_observations(first, second):
    return likeness(first, second) > 0


def best_matches(observed, candidates):
    """[(id, hint)] of the (id, hint, observations) candidates most alike the submission (none alike: []).

    More than one hint among them means nothing tells which mistake the submission makes.
    """
    best, best_likeness = [], 0
    for key, hint, variant in candidates:
        alike = likeness(observed, variant)
        if alike > best_likeness:
            best, best_likeness = [(key, hint)], alike
        elif alike and alike == best_likeness:
            best.append((key, hint))
    return best


def stored_variants(stored):
    """The variants stored for one public check, {id: {"hint", "observations"}}, as best_matches takes them."""
    return ((key, entry["hint"], entry["observations"]) for key, entry in stored.items())


# Errors that say by themselves what is wrong: (id, test on the error report, hint). The report's
# "where" is the student's own failing line, so a test may read it; the message is torch's.
def _line(error):
    return error.get("where", "").partition(": ")[2]


_EXPLAINERS = [
    ("transpose_T",
     lambda error: re.search(r"\.T\b", _line(error)) is not None and error["type"] in ("RuntimeError", "IndexError"),
     "`.T` reverses every axis, so on a batched (b, n, d) tensor it moves the batch axis too: "
     "swap only the last two axes with transpose(-2, -1)"),
    ("batch_axis_assumed",
     lambda error: error["type"] == "IndexError" and "Dimension out of range" in error["message"]
     and re.search(r"transpose\(\s*[01]\s*,\s*[12]\s*\)", _line(error)) is not None,
     "transpose with axis numbers counted from the front assumes a batch axis; transpose(-2, -1) "
     "counts from the back, so the same code serves (n, d) and (b, n, d)"),
    ("three_sizes_unpacked",
     lambda error: error["type"] == "ValueError" and "not enough values to unpack (expected 3, got 2)" in error["message"],
     "your code unpacks three sizes from a shape, but unbatched input (n, d) has two: "
     "read the sizes from the back, n, d = x.shape[-2:]"),
    ("view_of_transposed",
     lambda error: "view size is not compatible with input tensor's size and stride" in error["message"],
     "view() cannot merge the heads of a transposed tensor: call .contiguous() before .view(), or use .reshape()"),
    ("non_bool_mask",
     lambda error: "only supports boolean masks" in error["message"],
     "masked_fill needs a bool mask (True = blocked): convert a 0/1 mask with .bool()"),
    ("dtype_mix",
     lambda error: error["type"] == "RuntimeError" and re.search(
         r"same dtype|expected scalar type|Double|double != float|float != double", error["message"]) is not None,
     "your code mixes float32 and float64: the checks run your module in float64 (module.to(torch.float64)), "
     "and a tensor created inside forward or kept as a plain attribute stays float32; create it with "
     "dtype=x.dtype and device=x.device, or register it as a buffer"),
]


def explain_error(error):
    """(id, hint) when the error a submission raised says by itself what is wrong, else None."""
    for key, applies, hint in _EXPLAINERS:
        if applies(error):
            return key, hint
    return None
