"""Checks for exercise 1: scaled_dot_product_attention (4 points) and SelfAttention (6 points)."""
import torch

from ...checks import Check
from . import EXERCISE as DECLARED
from ..common import (between, forward_probe, has_shapes, key_mask, layers_are, matches_expected, matches_printed, fixture_check,
                     projection_state, projections_of, randn)

SDPA, HEAD = DECLARED.parts

# The Attention in Transformers course: three 2-d token encodings, torch.manual_seed(42).
SDPA_VALUES = "context and weights equal softmax(QKᵀ/√d_k)V"
HEAD_VALUES = "output equals the reference with the same weights"
ENCODINGS = [[1.16, 0.23], [0.57, 1.36], [4.41, -2.16]]
PRINTED_OUTPUT = [[1.0100, 1.0641], [0.2040, 0.7057], [3.4989, 2.2427]]


def sdpa_probe(generator, lead, n_q, n_k, d_k, d_v, masked, dtype=torch.float64):
    query, key, value = (randn(generator, *lead, n, d, dtype=dtype) for n, d in ((n_q, d_k), (n_k, d_k), (n_k, d_v)))
    probe = {"target": SDPA, "args": [query, key, value], "kwargs": {},
             "label": f"query {tuple(query.shape)}, key {tuple(key.shape)}, value {tuple(value.shape)}"}
    if masked:
        probe["kwargs"]["mask"] = key_mask(generator, *lead, n_q, n_k)
        probe["label"] += ", with a mask"
    return probe


def sdpa_fixed_shapes(generator):
    return [sdpa_probe(generator, (2,), 3, 5, 4, 6, masked=False), sdpa_probe(generator, (), 4, 2, 3, 5, masked=False)]


def sdpa_shapes(probe):
    query, key, value = probe["args"]
    return [(*query.shape[:-1], value.shape[-1]), (*query.shape[:-1], key.shape[-2])]


def sdpa_distribution_probes(generator):
    return [sdpa_probe(generator, (2,), 4, 6, 3, 2, masked=False), sdpa_probe(generator, (3,), 5, 4, 3, 2, masked=True)]


def judge_distributions(probes, observed, expected):
    for probe, got in zip(probes, observed):
        weights = got["outputs"][1] if len(got["outputs"]) > 1 else None
        if weights is None:
            return "returned no weights: return (context, weights)"
        if (weights < 0).any():
            return f"{probe['label']}: some attention weights are negative"
        sums = weights.sum(dim=-1)
        if not torch.allclose(sums, torch.ones_like(sums), atol=1e-6):
            shown = ", ".join(f"{value:.4g}" for value in sums.flatten()[:3].tolist())
            return f"{probe['label']}: rows of weights sum to {shown}, …, expected 1 over the keys"
        mask = probe["kwargs"].get("mask")
        if mask is not None and weights.masked_select(mask).abs().max() > 0:
            return f"{probe['label']}: blocked keys (mask True) received weight"
    return None


def sdpa_random(generator):
    probes = []
    for lead, masked in (((), False), ((between(generator, 1, 3),), True), ((2, between(generator, 1, 3)), True)):
        n_q, n_k, d_k, d_v = (between(generator, 3 if masked else 1, 7) for _ in range(4))  # a mask needs keys to block
        probes.append(sdpa_probe(generator, lead, n_q, n_k, d_k, d_v, masked=masked))
    return probes


def head_probe(generator, lead, n, d_in, d_out, bias):
    init = {"d_in": d_in, "d_out": d_out, "qkv_bias": bias}
    state = projection_state(generator, d_in, d_in, d_out, bias)
    x = randn(generator, *lead, n, d_in)
    return forward_probe(HEAD, init, [x], state=state, dtype="float64",
                         label=f"SelfAttention({d_in}, {d_out}, qkv_bias={bias}) on x {tuple(x.shape)}")


def head_random(generator):
    return [head_probe(generator, lead, between(generator, 1, 7), between(generator, 1, 7), between(generator, 1, 7), bias)
            for lead, bias in (((2,), False), ((), True), ((3,), True))]


def head_layers(generator):
    return [{"target": HEAD, "init": {"d_in": 5, "d_out": 3, "qkv_bias": bias}, "inspect": True,
             "label": f"SelfAttention(5, 3, qkv_bias={bias})"} for bias in (False, True)]


def head_expected_layers(probe):
    parameters, absent = projections_of(5, 5, 3, probe["init"]["qkv_bias"])
    return {"parameters": parameters, "absent": absent}


def head_shape_probes(generator):
    return [forward_probe(HEAD, {"d_in": 5, "d_out": 3}, [randn(generator, *shape, dtype=torch.float32)],
                          label=f"SelfAttention(5, 3) on x {shape}") for shape in ((2, 4, 5), (4, 5))]


def head_shapes(probe):
    return [(*probe["args"][0].shape[:-1], probe["init"]["d_out"])]


def printed_probe(generator):
    return [forward_probe(HEAD, {"d_in": 2, "d_out": 2}, [torch.tensor(ENCODINGS)], seed=42,
                          label="torch.manual_seed(42); SelfAttention(2, 2)(encodings)")]



def printed_redraw(generator):
    """The seeded example's kind with another seed and other encodings: what grading adds to the printed check."""
    seed = between(generator, 0, 2 ** 31)
    encodings = randn(generator, 6, 2, dtype=torch.float32)
    return [forward_probe(HEAD, {"d_in": 2, "d_out": 2}, [encodings], seed=seed,
                          label=f"torch.manual_seed({seed}); SelfAttention(2, 2) on other encodings")]


CHECKS = [
    Check("self_attention.sdpa_shapes", SDPA, 1.0, "context is (..., n_q, d_v) and weights (..., n_q, n_k)",
          sdpa_fixed_shapes, has_shapes("context", "weights", shapes=sdpa_shapes)),
    Check("self_attention.sdpa_weights", SDPA, 1.0, "each query's weights are a distribution over the keys",
          sdpa_distribution_probes, judge_distributions),
    fixture_check("self_attention.sdpa_values_fixture", SDPA, sdpa_random, ("context", "weights"), title=SDPA_VALUES,
                  points=1.0),
    Check("self_attention.head_layers", HEAD, 1.0, "W_query, W_key, W_value are Linear(d_in, d_out), bias only with qkv_bias",
          head_layers, layers_are(head_expected_layers)),
    Check("self_attention.head_shapes", HEAD, 1.0, "output is (..., n, d_out), batched and unbatched",
          head_shape_probes, has_shapes("output", shapes=head_shapes)),
    Check("self_attention.head_printed", HEAD, 1.0, "reproduces the course's seeded example",
          printed_probe, matches_printed("output", PRINTED_OUTPUT), redraw=printed_redraw,
          redraw_judge=matches_expected("output")),
    fixture_check("self_attention.head_values_fixture", HEAD, head_random, ("output",), title=HEAD_VALUES, points=1.0),
]
