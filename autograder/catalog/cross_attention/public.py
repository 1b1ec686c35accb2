"""Checks for exercise 3: CrossAttention (10 points)."""
import torch

from ...checks import Check
from ...compare import mismatch
from . import EXERCISE as DECLARED
from ..common import (between, forward_probe, has_shapes, key_mask, layers_are, matches_expected, matches_printed, fixture_check,
                     projection_state, projections_of, randn, unchanged_where)
from ..self_attention.public import ENCODINGS, PRINTED_OUTPUT

VALUES = "output equals the reference with the same weights"
(PART,) = DECLARED.parts


def init(d_q, d_kv, d_out, bias=False):
    return {"d_q": d_q, "d_kv": d_kv, "d_out": d_out, "qkv_bias": bias}


def probe(generator, lead, n_q, n_kv, d_q, d_kv, d_out, bias, masked, dtype=torch.float64):
    state = projection_state(generator, d_q, d_kv, d_out, bias, dtype=dtype)
    x_q, x_kv = randn(generator, *lead, n_q, d_q, dtype=dtype), randn(generator, *lead, n_kv, d_kv, dtype=dtype)
    kwargs = {"mask": key_mask(generator, *lead, n_q, n_kv)} if masked else {}
    label = f"CrossAttention({d_q}, {d_kv}, {d_out}) on x_q {tuple(x_q.shape)}, x_kv {tuple(x_kv.shape)}"
    return forward_probe(PART, init(d_q, d_kv, d_out, bias), [x_q, x_kv], kwargs=kwargs, state=state,
                         dtype=str(dtype).removeprefix("torch."), label=label + (" with a mask" if masked else ""))


def random_probes(generator):
    sizes = lambda: [between(generator, 1, 7) for _ in range(5)]  # n_q, n_kv, d_q, d_kv, d_out
    probes = [probe(generator, lead, *sizes(), bias=bias, masked=masked)
              for lead, bias, masked in (((2,), False, False), ((), True, True), ((3,), True, True))]
    return probes + [equal_shapes_probe(generator, between(generator, 2, 7), between(generator, 2, 7))]


def equal_shapes_probe(generator, n, d, lead=(2,)):
    """x_q and x_kv of one shape and different contents: code that reads one where the other belongs
    only shows here, since any shape mismatch would otherwise have raised."""
    found = probe(generator, lead, n, n, d, d, between(generator, 2, 5), False, False)
    found["label"] += ", equal shapes"
    return found


def layer_probes(generator):
    return [{"target": PART, "init": init(5, 4, 3, bias), "inspect": True,
             "label": f"CrossAttention(5, 4, 3, qkv_bias={bias})"} for bias in (False, True)]


def expected_layers(probe):
    parameters, absent = projections_of(5, 4, 3, probe["init"]["qkv_bias"])
    return {"parameters": parameters, "absent": absent}


def batched_shape_probes(generator):
    return [probe(generator, (2,), 3, 5, 4, 6, 7, False, False, torch.float32),
            probe(generator, (2,), 6, 2, 3, 3, 5, False, False, torch.float32)]


def unbatched_shape_probes(generator):
    return [probe(generator, (), 3, 5, 4, 6, 7, False, False, torch.float32)]


def output_shape(probe):
    x_q = probe["args"][0]
    return [(*x_q.shape[:-1], probe["init"]["d_out"])]


def key_order_probes(generator):
    """x_kv, then x_kv with its tokens in another order: each query's answer must not change.
    Twice: with n_q ≠ n_kv, and with x_q and x_kv of equal shapes."""
    pairs = []
    for original in (probe(generator, (2,), 4, 5, 3, 6, 2, False, False), equal_shapes_probe(generator, 5, 3)):
        shuffled = dict(original, args=[original["args"][0], original["args"][1][:, torch.tensor([3, 0, 4, 1, 2])]],
                        label=original["label"] + ", x_kv's tokens reordered")
        pairs += [original, shuffled]
    return pairs


def query_order_probes(generator):
    original = probe(generator, (2,), 5, 4, 3, 6, 2, False, False)
    order = torch.tensor([2, 4, 0, 1, 3])
    shuffled = dict(original, args=[original["args"][0][:, order], original["args"][1]], label="x_q with its tokens reordered")
    return [original, shuffled]


def judge_query_order(probes, observed, expected):
    order = torch.tensor([2, 4, 0, 1, 3])
    message = mismatch("output", observed[1]["outputs"][0], observed[0]["outputs"][0][:, order])
    return None if message is None else f"reordering the queries did not reorder the output the same way: {message}"


def mask_probes(generator):
    """x_kv with key 3 blocked for every query, then with key 3's contents changed."""
    original = probe(generator, (2,), 4, 5, 3, 6, 2, False, False)
    mask = torch.zeros(4, 5, dtype=torch.bool)
    mask[:, 3] = True
    altered_kv = original["args"][1].clone()
    altered_kv[:, 3] = randn(generator, 2, 6)
    blocked = dict(original, kwargs={"mask": mask}, label="key 3 blocked for every query")
    return [blocked, dict(blocked, args=[original["args"][0], altered_kv], label="key 3 blocked and changed")]


def printed_probe(generator):
    encodings = torch.tensor(ENCODINGS)
    return [forward_probe(PART, init(2, 2, 2), [encodings, encodings], seed=42,
                          label="torch.manual_seed(42); CrossAttention(2, 2, 2)(encodings, encodings)")]



def printed_redraw(generator):
    """The seeded example's kind with another seed and other encodings: what grading adds to the printed check."""
    seed = between(generator, 0, 2 ** 31)
    encodings = randn(generator, 6, 2, dtype=torch.float32)
    return [forward_probe(PART, init(2, 2, 2), [encodings, encodings], seed=seed,
                          label=f"torch.manual_seed({seed}); CrossAttention(2, 2, 2) on other encodings (x_q = x_kv)")]


CHECKS = [
    Check("cross_attention.layers", PART, 1.0, "W_query is Linear(d_q, d_out); W_key and W_value are Linear(d_kv, d_out)",
          layer_probes, layers_are(expected_layers)),
    Check("cross_attention.shapes", PART, 1.0, "output is (b, n_q, d_out) when n_q ≠ n_kv and d_q ≠ d_kv",
          batched_shape_probes, has_shapes("output", shapes=output_shape)),
    Check("cross_attention.unbatched", PART, 1.0, "accepts unbatched (n, d) input",
          unbatched_shape_probes, has_shapes("output", shapes=output_shape)),
    Check("cross_attention.key_order", PART, 1.0, "reordering the key/value tokens leaves the output unchanged",
          key_order_probes, unchanged_where("output", lambda probe: (slice(None),))),
    Check("cross_attention.query_order", PART, 1.0, "reordering the queries reorders the output alike",
          query_order_probes, judge_query_order),
    Check("cross_attention.mask", PART, 1.0, "a blocked key has no influence",
          mask_probes, unchanged_where("output", lambda probe: (slice(None),))),
    Check("cross_attention.printed", PART, 1.0, "reproduces the course's seeded example (x_q = x_kv)",
          printed_probe, matches_printed("output", PRINTED_OUTPUT), redraw=printed_redraw,
          redraw_judge=matches_expected("output")),
    fixture_check("cross_attention.values_fixture", PART, random_probes, ("output",), title=VALUES, points=1.0),
]
