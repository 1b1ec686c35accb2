"""Which known mistake behaves like a submission: compare observations of the same probes.

Public: the student's self-check uses it with the variants' observations stored in
the fixtures; the grader also with variants it runs itself (misconceptions.py).
"""
import torch


def likeness(first, second):
    """How alike two runs of the same probes were: 0 not alike; 1 same errors, layers and outputs
    (to rounding); 2 that, and every error was raised by the same line of code."""
    same_lines = True
    for a, b in zip(first, second, strict=True):
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
            if x.shape != y.shape or x.dtype != y.dtype:
                return 0
            if x.is_floating_point() and not torch.allclose(x.double(), y.double(), rtol=1e-5, atol=1e-7, equal_nan=True):
                return 0
            if not x.is_floating_point() and not torch.equal(x, y):
                return 0
    return 2 if same_lines else 1


def same_observations(first, second):
    return likeness(first, second) > 0


def closest(observed, candidates):
    """The (id, hint) of the (id, hint, observations) candidate most alike the submission, or None."""
    best, best_likeness = None, 0
    for key, hint, variant in candidates:
        alike = likeness(observed, variant)
        if alike > best_likeness:
            best, best_likeness = (key, hint), alike
    return best


def from_fixture(observed, stored):
    """closest() over the variants stored for one public check: {id: {"hint", "observations"}}."""
    return closest(observed, ((key, entry["hint"], entry["observations"]) for key, entry in stored.items()))
