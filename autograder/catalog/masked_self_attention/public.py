"""Checks for exercise 2: causal_mask (2 points) and CausalSelfAttention (8 points)."""
import torch

from ...checks import Check
from ...compare import mismatch
from . import EXERCISE as DECLARED
from ..common import (between, forward_probe, fully_blocked_rows, has_shapes, layers_are, left_padding, fixture_check,
                     padding_changes_nothing, padding_pairs, projection_state, projections_of, raises, randn, unchanged_where)

HEAD_VALUES = "output equals the reference with the same weights, with and without padding"
MASK, HEAD = DECLARED.parts


def mask_probes(generator):
    return [{"target": MASK, "args": [n], "label": f"causal_mask({n})"} for n in (1, 4, 7)]


def judge_mask(probes, observed, expected):
    for probe, got in zip(probes, observed):
        n = probe["args"][0]
        above_diagonal = torch.arange(n).unsqueeze(0) > torch.arange(n).unsqueeze(1)  # key j > query i
        message = mismatch("the mask", got["outputs"][0], above_diagonal)
        if message:
            return f"{probe['label']}: {message}"
    return None


def head_init(d_in, d_out, context_length, dropout=0.0, bias=False):
    return {"d_in": d_in, "d_out": d_out, "context_length": context_length, "dropout": dropout, "qkv_bias": bias}


def head_probe(generator, lead, n, d_in, d_out, context_length, bias, padded, dropout=0.0, dtype=torch.float64):
    state = projection_state(generator, d_in, d_in, d_out, bias, dtype=dtype)
    x = randn(generator, *lead, n, d_in, dtype=dtype)
    kwargs, label = {}, f"CausalSelfAttention({d_in}, {d_out}, {context_length}) on x {tuple(x.shape)}"
    if padded:
        padding = left_padding(generator, lead[0] if lead else 1, n)
        kwargs["padding_mask"] = padding if lead else padding[0]
        label += " with a padding mask"
    return forward_probe(HEAD, head_init(d_in, d_out, context_length, dropout, bias), [x], kwargs=kwargs,
                         state=state, dtype=str(dtype).removeprefix("torch."), label=label)


def head_random(generator):
    probes = []
    for lead, padded, bias in (((2,), False, False), ((3,), True, True), ((), True, False), ((), False, True)):
        n, d_in, d_out = between(generator, 3, 8), between(generator, 1, 7), between(generator, 1, 7)
        # eval mode with dropout > 0: dropout must be off outside training
        probes.append(head_probe(generator, lead, n, d_in, d_out, n + between(generator, 0, 3), bias, padded, dropout=0.5))
    return probes


def head_layers(generator):
    return [{"target": HEAD, "init": head_init(5, 3, 7, 0.25, bias), "inspect": True,
             "label": f"CausalSelfAttention(5, 3, 7, dropout=0.25, qkv_bias={bias})"} for bias in (False, True)]


def head_expected_layers(probe):
    parameters, absent = projections_of(5, 5, 3, probe["init"]["qkv_bias"])
    return {"parameters": parameters, "absent": absent, "causal_buffers": {"mask": 7},
            "layers": {"dropout": {"class": "Dropout", "p": 0.25}}}


def head_shape_probes(generator):
    return [forward_probe(HEAD, head_init(5, 3, 7), [randn(generator, *shape, dtype=torch.float32)],
                          label=f"CausalSelfAttention(5, 3, 7) on x {shape}") for shape in ((2, 4, 5), (6, 5))]


def head_shapes(probe):
    return [(*probe["args"][0].shape[:-1], probe["init"]["d_out"])]


def causality_probes(generator):
    """Pairs: x, then x with every token from position 3 on replaced."""
    state = projection_state(generator, 4, 4, 3, False)
    x = randn(generator, 2, 6, 4)
    altered = x.clone()
    altered[:, 3:] = randn(generator, 2, 3, 4)
    return [forward_probe(HEAD, head_init(4, 3, 6), [inputs], state=state, dtype="float64", label=label)
            for inputs, label in ((x, "x (2, 6, 4)"), (altered, "x with tokens 3 to 5 changed"))]


def padding_probes(generator):
    """Pairs: x with left padding, then its padding tokens changed (catalog/common.py, padding_pairs)."""
    return padding_pairs(generator, 3, lambda d_in: (HEAD, head_init(d_in, 3, 6),
                                                     projection_state(generator, d_in, d_in, 3, False)))


DROPOUT_VALUE = torch.tensor([1.0, -2.0, 3.0, 0.5], dtype=torch.float64)


def dropout_probes(generator):
    """Training mode, p = 0.5, and every token's value equal to DROPOUT_VALUE.

    Whatever random numbers a correct implementation draws, dropping attention weights
    leaves each output row a multiple of that one value; dropping output entries does not.
    """
    state = projection_state(generator, 3, 3, 4, True)
    state["W_value.weight"] = torch.zeros(4, 3, dtype=torch.float64)
    state["W_value.bias"] = DROPOUT_VALUE
    x = randn(generator, 4, 8, 3)
    return [forward_probe(HEAD, head_init(3, 4, 8, 0.5, True), [x], state=state, dtype="float64", train=True,
                          label="training mode, dropout 0.5, all values equal")]


def judge_dropout(probes, observed, expected):
    output = observed[0]["outputs"][0]  # (4, 8, 4)
    if output.shape != (4, 8, 4):
        return f"output has shape {tuple(output.shape)}, expected (4, 8, 4)"
    scale = output[..., :1] / DROPOUT_VALUE[0]  # (4, 8, 1): how much of the value each row kept
    if not torch.allclose(output, scale * DROPOUT_VALUE, rtol=1e-6, atol=1e-9):
        return ("in training mode some output rows are no longer a multiple of the common value: "
                "single output features were dropped instead of whole attention weights")
    if torch.allclose(scale, torch.ones_like(scale)):
        return "in training mode with dropout 0.5 no attention weight was dropped"
    return None


def too_long_probes(generator):
    # float32, as the module is built: a head that projects before it checks the length must meet the length
    # check, not a dtype clash
    return [forward_probe(HEAD, head_init(4, 3, 5), [randn(generator, *shape, dtype=torch.float32)],
                          label=f"context_length 5, x {shape}") for shape in ((2, 6, 4), (7, 4))]


CHECKS = [
    Check("masked_self_attention.mask_values", MASK, 1.0, "causal_mask(n) is bool (n, n), True exactly above the diagonal",
          mask_probes, judge_mask),
    Check("masked_self_attention.head_layers", HEAD, 1.0, "projections, dropout and the mask buffer",
          head_layers, layers_are(head_expected_layers)),
    Check("masked_self_attention.head_shapes", HEAD, 1.0, "output is (..., n, d_out) for n ≤ context_length, batched and unbatched",
          head_shape_probes, has_shapes("output", shapes=head_shapes)),
    Check("masked_self_attention.causality", HEAD, 1.0, "changing a later token never changes an earlier output",
          causality_probes, unchanged_where("output", lambda probe: (slice(None), slice(0, 3)))),
    Check("masked_self_attention.padding", HEAD, 1.0, "changing a padding token changes no other token's output, "
          "even through two stacked layers", padding_probes, padding_changes_nothing),
    Check("masked_self_attention.too_long", HEAD, 1.0, "a sequence longer than context_length raises ValueError",
          too_long_probes, raises("ValueError"), judges_errors=True),
    Check("masked_self_attention.dropout", HEAD, 1.0, "in training mode dropout drops attention weights, not output features",
          dropout_probes, judge_dropout),
    fixture_check("masked_self_attention.head_values_fixture", HEAD, head_random, ("output",), title=HEAD_VALUES, points=1.0,
                  ungraded=fully_blocked_rows),
]
