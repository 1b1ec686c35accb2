"""Checks for exercise 4: MultiHeadAttentionWrapper (4 points) and MultiHeadAttention (6 points).

The wrapper is graded with stand-in heads (probes.StandInHead) in place of the
student's CausalSelfAttention, so a mistake in exercise 2 costs nothing here.
"""
import torch

from ..checks import Check
from ..compare import mismatch
from .common import (between, forward_probe, has_shapes, layers_are, linear_state, fixture_check, projection_state,
                     projections_of, raises, randn, unchanged_where)

EXERCISE = "multi_head_attention"
MHA_VALUES = "output equals the reference with the same weights"
MHA_HINT = "split with view(b, n, h, head_dim).transpose(1, 2) and scale by √head_dim"
WRAPPER, MHA = "MultiHeadAttentionWrapper", "MultiHeadAttention"


def init(d_in, d_out, context_length, dropout, num_heads, bias=False):
    return {"d_in": d_in, "d_out": d_out, "context_length": context_length, "dropout": dropout,
            "num_heads": num_heads, "qkv_bias": bias}


# ---- the wrapper --------------------------------------------------------------------------

def wrapper_probe(generator, b, n, d_in, d_out, num_heads, bias=False):
    state = {}
    for head in range(num_heads):
        state |= projection_state(generator, d_in, d_in, d_out, bias, prefix=f"heads.{head}.")
    x = randn(generator, b, n, d_in)
    return forward_probe(WRAPPER, init(d_in, d_out, n + 1, 0.0, num_heads, bias), [x], state=state, dtype="float64",
                         stand_in_heads=True, per_head=True,
                         label=f"MultiHeadAttentionWrapper({d_in}, {d_out}, {n + 1}, 0.0, num_heads={num_heads}) on x {tuple(x.shape)}")


def wrapper_layers(generator):
    return [{"target": WRAPPER, "init": init(5, 3, 7, 0.25, 4, True), "inspect": True, "stand_in_heads": True,
             "label": "MultiHeadAttentionWrapper(5, 3, 7, 0.25, num_heads=4, qkv_bias=True)"}]


def judge_wrapper_layers(probes, observed, expected):
    info = observed[0]["info"]
    heads = sorted(name for name in info["layers"] if name.count(".") == 1 and name.startswith("heads."))
    if "heads" not in info["layers"] or info["layers"]["heads"]["class"] != "ModuleList":
        return "there is no nn.ModuleList called heads"
    if len(heads) != 4 or info["distinct_heads"] != 4:
        return f"heads holds {info['distinct_heads']} distinct head(s), expected num_heads = 4"
    wanted = init(5, 3, 7, 0.25, 4, True)
    wanted.pop("num_heads")
    for name in heads:
        built_with = info["layers"][name].get("built_with")
        if built_with is None:
            return f"{name} is a {info['layers'][name]['class']}, expected a CausalSelfAttention"
        if built_with != wanted:
            return f"{name} was built with {built_with}, expected {wanted}"
    return None


def wrapper_shape_probes(generator):
    return [wrapper_probe(generator, 2, 4, 5, 3, 3)]


def wrapper_shapes(probe):
    x, init_ = probe["args"][0], probe["init"]
    return [(*x.shape[:-1], init_["num_heads"] * init_["d_out"])]


def judge_concatenation(probes, observed, expected):
    output, heads = observed[0]["outputs"][0], observed[0]["heads"]
    message = mismatch("output", output, torch.cat(heads, dim=-1))
    return message and f"output is not the heads' outputs side by side, head 0 first: {message}"


def judge_head_count(probes, observed, expected):
    """The first probe is invalid and must raise ValueError; the second is valid and must not raise."""
    message = raises("ValueError")(probes[:1], observed[:1], None)
    error = observed[1].get("error")
    return message or (error and f"{probes[1]['label']}: raised {error['type']} ({error['message']}), but it is valid")


# ---- split-projection multi-head attention ------------------------------------------------

def mha_probe(generator, b, n, d_in, d_out, num_heads, bias=False, dtype=torch.float64):
    state = projection_state(generator, d_in, d_in, d_out, bias, dtype=dtype)
    state |= linear_state(generator, "out_proj", d_out, d_out, True, dtype=dtype)
    x = randn(generator, b, n, d_in, dtype=dtype)
    context_length = n + between(generator, 0, 2)
    return forward_probe(MHA, init(d_in, d_out, context_length, 0.5, num_heads, bias), [x], state=state,
                         dtype=str(dtype).removeprefix("torch."),
                         label=f"MultiHeadAttention({d_in}, {d_out}, {context_length}, num_heads={num_heads}) on x {tuple(x.shape)}")


def mha_random(generator):
    probes = []
    for bias in (False, True):
        num_heads, head_dim = between(generator, 1, 4), between(generator, 2, 4)  # head_dim 1 hides the scaling
        probes.append(mha_probe(generator, between(generator, 1, 3), between(generator, 1, 7), between(generator, 1, 7),
                                num_heads * head_dim, num_heads, bias))
    return probes


def mha_layers(generator):
    return [{"target": MHA, "init": init(5, 6, 7, 0.25, 3, bias), "inspect": True,
             "label": f"MultiHeadAttention(5, 6, 7, 0.25, num_heads=3, qkv_bias={bias})"} for bias in (False, True)] + [
        {"target": MHA, "init": init(768, 768, 1024, 0.0, 12), "inspect": True,
         "label": "MultiHeadAttention(768, 768, 1024, 0.0, num_heads=12), GPT-2 small"}]


def mha_expected_layers(probe):
    d_in, d_out, context_length = probe["init"]["d_in"], probe["init"]["d_out"], probe["init"]["context_length"]
    parameters, absent = projections_of(d_in, d_in, d_out, probe["init"]["qkv_bias"])
    parameters |= {"out_proj.weight": (d_out, d_out), "out_proj.bias": (d_out,)}
    expected = {"parameters": parameters, "absent": absent,
                "buffers": {"mask": ((context_length, context_length), "torch.bool")}}
    if d_in == 768:
        expected["parameter_count"] = 2_360_064
    return expected


def head_count_probes(generator):
    return [{"target": MHA, "init": init(4, d_out, 5, 0.0, num_heads), "inspect": True,
             "label": f"d_out = {d_out} with num_heads = {num_heads}"} for d_out, num_heads in ((10, 4), (8, 4))]


def mha_shape_probes(generator):
    return [mha_probe(generator, 2, 4, 5, 6, 3, dtype=torch.float32), mha_probe(generator, 1, 3, 4, 4, 4, dtype=torch.float32)]


def mha_shapes(probe):
    return [(*probe["args"][0].shape[:-1], probe["init"]["d_out"])]


def mha_causality_probes(generator):
    original = mha_probe(generator, 2, 6, 4, 6, 2)
    x = original["args"][0].clone()
    x[:, 3:] = randn(generator, 2, 3, 4)
    return [original, dict(original, args=[x], label="x with tokens 3 to 5 changed")]


CHECKS = [
    Check(f"{EXERCISE}.wrapper_layers", WRAPPER, 1.0, "heads is a ModuleList of num_heads separate causal heads",
          wrapper_layers, judge_wrapper_layers, hint="build each head in a loop: one CausalSelfAttention per head, "
          "passing d_in, d_out, context_length, dropout and qkv_bias"),
    Check(f"{EXERCISE}.wrapper_shapes", WRAPPER, 1.0, "output is (b, n, num_heads · d_out)",
          wrapper_shape_probes, has_shapes("output", shapes=wrapper_shapes),
          hint="concatenate along the last axis, dim=-1"),
    Check(f"{EXERCISE}.wrapper_concatenation", WRAPPER, 1.0, "output is the heads' outputs side by side, in order",
          wrapper_shape_probes, judge_concatenation,
          hint="run every head on the same x and join their outputs along the feature axis, head 0 first"),
    Check(f"{EXERCISE}.mha_layers", MHA, 1.0, "projections, out_proj and the mask buffer; 2,360,064 parameters at GPT-2 size",
          mha_layers, layers_are(mha_expected_layers),
          hint="W_query, W_key, W_value are Linear(d_in, d_out, bias=qkv_bias); out_proj is Linear(d_out, d_out) with a bias"),
    Check(f"{EXERCISE}.head_count", MHA, 1.0, "d_out not divisible by num_heads raises ValueError",
          head_count_probes, judge_head_count, judges_errors=True, hint="check d_out % num_heads before building anything and name both numbers"),
    Check(f"{EXERCISE}.mha_shapes", MHA, 1.0, "output is (b, n, d_out)", mha_shape_probes,
          has_shapes("output", shapes=mha_shapes), hint="merge the heads back: transpose(1, 2), then reshape to (b, n, d_out)"),
    Check(f"{EXERCISE}.mha_causality", MHA, 1.0, "changing a later token never changes an earlier output",
          mha_causality_probes, unchanged_where("output", lambda probe: (slice(None), slice(0, 3))),
          hint="mask the (b, h, n, n) scores with self.mask[:n, :n] before the softmax"),
    fixture_check(EXERCISE, MHA, "mha_values", mha_random, ("output",), title=MHA_VALUES, hint=MHA_HINT, points=1.0),
]

