"""Compare an observed tensor with an expected one and say, in a student's terms, how they differ.

The message names what was compared, then the shape, then how many values
differ, by how much and where: "context has shape (2, 4, 3), expected (2, 4, 5)";
"12 of 40 values differ; largest difference 0.31 at [0, 2, 1]".
"""
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Tolerance:
    rtol: float
    atol: float


# float64 probes leave only rounding between two correct implementations;
# float32 allows for a different summation order (einsum vs matmul, fused kernels).
TOLERANCES = {
    torch.float64: Tolerance(rtol=1e-7, atol=1e-9),
    torch.float32: Tolerance(rtol=1e-4, atol=1e-5),
}
# Numbers printed by the courses carry four decimals.
PRINTED = Tolerance(rtol=0.0, atol=5e-5)


def shape_text(shape):
    return "(" + ", ".join(str(size) for size in shape) + ")"


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
    tolerance = tolerance or TOLERANCES.get(expected.dtype, TOLERANCES[torch.float32])
    observed, expected = observed.double(), expected.double()
    graded = torch.ones_like(expected, dtype=torch.bool) if ignore is None else ~ignore.expand_as(expected)
    close = torch.isclose(observed, expected, rtol=tolerance.rtol, atol=tolerance.atol, equal_nan=False)
    differ = graded & ~close
    if not differ.any():
        return None
    gap = (observed - expected).abs().nan_to_num(nan=float("inf")).masked_fill(~differ, -1.0)
    worst = torch.unravel_index(gap.argmax(), gap.shape)
    where = [int(index) for index in worst]
    largest = gap[tuple(worst)].item()
    largest_text = "a NaN or infinity" if largest == float("inf") else f"{largest:.3g}"
    return (f"{differ.sum().item()} of {int(graded.sum())} values of {name} differ; "
            f"largest difference {largest_text} at {where}")
