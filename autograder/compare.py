"""Compare an observed tensor with an expected one and say, in a student's terms, how they differ.

The message names what was compared, then the shape, then how many values
differ, by how much and where: "context has shape (2, 4, 3), expected (2, 4, 5)";
"12 of 40 values differ; largest difference 0.31 at [0, 2, 1]".
"""
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Tolerance:
    rtol: float
    atol: float


# How far a correct implementation may land from the reference, per dtype of the less precise side.
# Both sides of the line are measured (tests/test_tolerances.py pins them on the checks' own probes):
#
#   correct, most distant   about 2.4e-7 absolute on float64 probes: a float32 scalar in a float64
#                           path (`scores / torch.tensor(d_k ** 0.5)` is off by up to 2^-24 relative,
#                           times the spread of the scores, about 8) or a softmax taken in float32 and
#                           cast back; einsum against matmul, fused SDPA kernels and another BLAS or
#                           thread count differ by about 1e-15.
#   mistake, closest        about 4e-2 relative: scaling by √d_in instead of √d_out when the two are
#                           close, or forgetting the scale where the scores are small.
#
# float64 sits 40x above the first and 4,000x below the second. float32 results (a student who
# computes in float32 whatever the input) carry float32 rounding, about 1.2e-7 relative per
# operation, amplified by sums of up to a few dozen terms and by the softmax: 1e-4 leaves a
# hundredfold margin and still sits 400x below the closest mistake.
TOLERANCES = {
    torch.float64: Tolerance(rtol=1e-5, atol=1e-5),
    torch.float32: Tolerance(rtol=1e-4, atol=1e-4),
}
# Numbers printed by the courses carry four decimals: rounding moves them by up to 5e-5, and the
# course computed them in float32 (another 1e-6).
PRINTED = Tolerance(rtol=0.0, atol=6e-5)


# A course's own [rtol, atol] per dtype name (c.KitSettings.tolerances), for the judging under way.
_COURSE = ContextVar("course_tolerances", default={})


@contextmanager
def course_tolerances(tolerances):
    """Judge with the course's tolerances ({dtype name: (rtol, atol)}) inside this block, in this thread only."""
    token = _COURSE.set(dict(tolerances or {}))
    try:
        yield
    finally:
        _COURSE.reset(token)


def tolerance_for(*tensors):
    """The tolerance of the least precise floating dtype among the tensors (float32 when none is float64)."""
    dtype = torch.float64 if all(tensor.dtype == torch.float64 for tensor in tensors if tensor.is_floating_point()) \
        else torch.float32
    chosen = _COURSE.get().get(str(dtype).removeprefix("torch."))
    return Tolerance(*chosen) if chosen else TOLERANCES[dtype]


def close(observed, expected, tolerance=None):
    """Elementwise: observed within tolerance of expected (NaN is never close)."""
    tolerance = tolerance or tolerance_for(observed, expected)
    return torch.isclose(observed.double(), expected.double(), rtol=tolerance.rtol, atol=tolerance.atol)


def shape_text(shape):
    return "(" + ", ".join(str(size) for size in shape) + ")"


def _unravel(flat, shape):
    """The index of position flat in a tensor of this shape (torch.unravel_index's first call imports sympy: a
    second, on every grading run that meets a difference)."""
    where = []
    for size in reversed(shape):
        flat, index = divmod(flat, size)
        where.append(index)
    return where[::-1]


def mismatch(name, observed, expected, *, tolerance=None, ignore=None):
    """None when observed matches expected, else a message. `ignore` marks positions never graded."""
    if not isinstance(observed, torch.Tensor):
        return f"{name} is a {type(observed).__name__}, expected a tensor"
    if tuple(observed.shape) != tuple(expected.shape):
        return f"{name} has shape {shape_text(observed.shape)}, expected {shape_text(expected.shape)}"
    if expected.dtype == torch.bool:
        if observed.dtype != torch.bool:
            return f"{name} has dtype {observed.dtype}, expected torch.bool"
        differ = observed != expected
        if differ.any():
            where = list(differ.nonzero()[0].tolist())
            return f"{differ.sum().item()} of {differ.numel()} entries of {name} differ, first at {where}"
        return None
    if not observed.is_floating_point() and not observed.is_complex():
        observed = observed.double()
    tolerance = tolerance or tolerance_for(observed, expected)
    graded = torch.ones_like(expected, dtype=torch.bool) if ignore is None else ~ignore.expand_as(expected)
    differ = graded & ~close(observed, expected, tolerance)
    if not differ.any():
        return None
    observed, expected = observed.double(), expected.double()
    gap = (observed - expected).abs().nan_to_num(nan=float("inf")).masked_fill(~differ, -1.0)
    where = _unravel(int(gap.argmax()), gap.shape)
    largest = gap[tuple(where)].item()
    largest_text = "a NaN or infinity" if largest == float("inf") else f"{largest:.3g}"
    message = (f"{differ.sum().item()} of {int(graded.sum())} values of {name} differ; "
               f"largest difference {largest_text} at {where}")
    not_finite = int((graded & ~observed.isfinite()).sum())
    if not_finite:
        message += f" ({not_finite} of them NaN or infinite)"
    return message
