"""Checks for exercise 4: MultiHeadAttentionWrapper (4 points) and MultiHeadAttention (6 points).

The wrapper is graded with stand-in heads (HEAD_STAND_IN, probes.StandInModule) in place of the
student's CausalSelfAttention, so a mistake in exercise 2 costs nothing here.
"""
import torch

from ...behaviour import outputs_differ
from ...checks import Check
from ...compare import mismatch, shape_text
from . import EXERCISE as DECLARED
from ..common import (between, forward_probe, has_shapes, layers_are, linear_state,
                     fixture_check, padding_changes_nothing, padding_pairs, projection_state, projections_of, raises, randn,
                     unchanged_where)

MHA_VALUES = "output equals the reference with the same weights"
WRAPPER, MHA = DECLARED.parts


def init(d_in, d_out, context_length, dropout, num_heads, bias=False):
    return {"d_in": d_in, "d_out": d_out, "context_length": context_length, "dropout": dropout,
            "num_heads": num_heads, "qkv_bias": bias}


# ---- the wrapper --------------------------------------------------------------------------

# The wrapper's heads are built from a stand-in (protocol.StandIn), so that a mistake in exercise 2's head costs
# nothing here: CausalSelfAttention's signature and documented layers, mixing tokens by a running mean of W_value.
HEAD_STAND_IN = {"name": DECLARED.stand_in,
                 "signature": ["d_in", "d_out", "context_length", ["dropout", 0.0], ["qkv_bias", False]],
                 "layers": ["W_query", "W_key", "W_value"], "width": ["d_in", "d_out"], "bias": "qkv_bias",
                 "mix": "W_value"}

def wrapper_probe(generator, b, n, d_in, d_out, num_heads, bias=False, dropout=0.0):
    state = {}
    for head in range(num_heads):
        state |= projection_state(generator, d_in, d_in, d_out, bias, prefix=f"heads.{head}.")
    x = randn(generator, b, n, d_in)
    label = f"MultiHeadAttentionWrapper({d_in}, {d_out}, {n + 1}, {dropout}, num_heads={num_heads}) on x {tuple(x.shape)}"
    # training mode when there is dropout: the heads drop their own weights, and the wrapper adds nothing
    return forward_probe(WRAPPER, init(d_in, d_out, n + 1, dropout, num_heads, bias), [x], state=state, dtype="float64",
                         stand_in=HEAD_STAND_IN, each_output_of="heads", train=dropout > 0,
                         label=label + (", training mode" if dropout > 0 else ""))


def wrapper_layers(generator):
    return [{"target": WRAPPER, "init": init(5, 3, 7, 0.25, 4, True), "inspect": True, "stand_in": HEAD_STAND_IN,
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


def concatenation_probes(generator):
    """In eval mode, and in training mode with dropout 0.5 (the stand-in heads drop nothing, so any
    difference is dropout the wrapper added on top of its heads)."""
    return [wrapper_probe(generator, 2, 4, 5, 3, 3), wrapper_probe(generator, 2, 5, 4, 2, 2, dropout=0.5)]


def wrapper_shapes(probe):
    x, init_ = probe["args"][0], probe["init"]
    return [(*x.shape[:-1], init_["num_heads"] * init_["d_out"])]


def judge_concatenation(probes, observed, expected):
    for probe, got in zip(probes, observed):
        output, heads = got["outputs"][0], got["heads"]
        message = mismatch("output", output, torch.cat(heads, dim=-1))
        if message:
            return f"{probe['label']}: output is not the heads' outputs side by side, head 0 first: {message}"
    return None


def diagnose_concatenation(probes, observed, expected):
    """Which heads' slices of the output differ from those heads' own outputs (behaviour.outputs_differ)."""
    wanted = [{"outputs": [torch.cat(got["heads"], dim=-1)]} if got.get("heads") else {} for got in observed]
    return outputs_differ(("output",))(probes, observed, wanted)


def judge_head_count(probes, observed, expected):
    """The first probe is invalid and must raise ValueError; the second is valid and must not raise."""
    message = raises("ValueError")(probes[:1], observed[:1], None)
    error = observed[1].get("error")
    return message or (error and f"{probes[1]['label']}: raised {error['type']} ({error['message']}), but it is valid")


def mha_structure_probes(generator):
    return mha_layers(generator) + head_count_probes(generator)


def judge_mha_structure(probes, observed, expected):
    """Layers on the inspect probes, which must not raise; then the head-count pair."""
    layers = len(probes) - 2
    for probe, got in zip(probes[:layers], observed[:layers]):
        if "error" in got:
            return f"{probe['label']}: raised {got['error']['type']} ({got['error']['message']})"
    return (layers_are(mha_expected_layers)(probes[:layers], observed[:layers], None)
            or judge_head_count(probes[layers:], observed[layers:], None))


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
                "causal_buffers": {"mask": context_length}, "layers": {"dropout": {"class": "Dropout", "p": probe["init"]["dropout"]}}}
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


MHA_DROPOUT_VALUE = torch.tensor([1.0, -2.0, 3.0, 0.5, -1.5, 2.5], dtype=torch.float64)  # two heads of three


def mha_dropout_probes(generator):
    """Training mode, p = 0.5, two heads, every token's value equal to MHA_DROPOUT_VALUE, out_proj the identity.

    Whatever random numbers a correct implementation draws, dropping attention weights leaves each
    head's part of an output row a multiple of that head's part of the value, by a factor that varies
    from row to row. A residual dropout after the projection (nanoGPT, minGPT and GPT-2 add one) may
    zero single features on top; dropout on features alone scales every kept feature by exactly 2.
    """
    state = projection_state(generator, 3, 3, 6, True)
    state["W_value.weight"] = torch.zeros(6, 3, dtype=torch.float64)
    state["W_value.bias"] = MHA_DROPOUT_VALUE
    state["out_proj.weight"] = torch.eye(6, dtype=torch.float64)
    state["out_proj.bias"] = torch.zeros(6, dtype=torch.float64)
    x = randn(generator, 4, 8, 3)
    return [forward_probe(MHA, init(3, 6, 8, 0.5, 2, True), [x], state=state, dtype="float64", train=True,
                          label="MultiHeadAttention(3, 6, 8, 0.5, num_heads=2), training mode, all values equal")]


def judge_mha_dropout(probes, observed, expected):
    output = observed[0]["outputs"][0]
    if tuple(output.shape) != (4, 8, 6):
        return f"output has shape {shape_text(output.shape)}, expected (4, 8, 6)"
    factors = []
    for head in range(2):
        part, value = output[..., 3 * head:3 * head + 3], MHA_DROPOUT_VALUE[3 * head:3 * head + 3]
        ratio = part / value  # (4, 8, 3): how much of the value each feature kept
        kept = part.abs() > 1e-12
        largest = ratio.masked_fill(~kept, float("-inf")).amax(dim=-1, keepdim=True)
        smallest = ratio.masked_fill(~kept, float("inf")).amin(dim=-1, keepdim=True)
        if not torch.allclose(largest.where(kept.any(-1, keepdim=True), 0.0),
                              smallest.where(kept.any(-1, keepdim=True), 0.0), rtol=1e-6, atol=1e-9):
            return ("in training mode some output rows are no longer a multiple of their head's part of the common "
                    "value: features were mixed across heads, or scaled one by one (heads merged out of order?)")
        factors.append(ratio[kept])
    factors = torch.cat(factors)
    feature_scales = torch.tensor([1.0, 2.0, 4.0], dtype=factors.dtype)
    if ((factors.unsqueeze(-1) - feature_scales).abs().amin(dim=-1) < 1e-6).all():
        return ("in training mode with dropout 0.5 no attention weight was dropped: every head kept all of its "
                "value, or lost whole features only; dropout belongs on the weights, after the softmax")
    return None


def mha_causality_probes(generator):
    original = mha_probe(generator, 2, 6, 4, 6, 2)
    x = original["args"][0].clone()
    x[:, 3:] = randn(generator, 2, 3, 4)
    return [original, dict(original, args=[x], label="x with tokens 3 to 5 changed")]


def mha_padding_probes(generator):
    """Pairs: x with left padding, then its padding tokens changed (catalog/common.py, padding_pairs)."""
    return padding_pairs(generator, 6, lambda d_in: (
        MHA, init(d_in, 6, 6, 0.0, 2),
        projection_state(generator, d_in, d_in, 6, False) | linear_state(generator, "out_proj", 6, 6, True)))


def mha_masking_probes(generator):
    return mha_causality_probes(generator) + mha_padding_probes(generator)


def judge_mha_masking(probes, observed, expected):
    """The causality pair first, then the padding pairs."""
    return (unchanged_where("output", lambda probe: (slice(None), slice(0, 3)))(probes[:2], observed[:2], expected)
            or padding_changes_nothing(probes[2:], observed[2:], expected))


CHECKS = [
    Check("multi_head_attention.wrapper_layers", WRAPPER, 1.0, "heads is a ModuleList of num_heads separate causal heads",
          wrapper_layers, judge_wrapper_layers),
    Check("multi_head_attention.wrapper_shapes", WRAPPER, 1.0, "output is (b, n, num_heads · d_out)",
          wrapper_shape_probes, has_shapes("output", shapes=wrapper_shapes)),
    Check("multi_head_attention.wrapper_concatenation", WRAPPER, 1.0, "output is the heads' outputs side by side, in order, "
          "with no dropout of its own in training mode", concatenation_probes, judge_concatenation,
          diagnose=diagnose_concatenation),
    Check("multi_head_attention.mha_layers", MHA, 1.0, "projections, out_proj, dropout and the mask buffer; 2,360,064 "
          "parameters at GPT-2 size; ValueError when num_heads does not divide d_out",
          mha_structure_probes, judge_mha_structure, judges_errors=True),
    Check("multi_head_attention.mha_shapes", MHA, 1.0, "output is (b, n, d_out)", mha_shape_probes,
          has_shapes("output", shapes=mha_shapes)),
    Check("multi_head_attention.mha_dropout", MHA, 1.0, "in training mode dropout drops attention weights, not output features",
          mha_dropout_probes, judge_mha_dropout),
    Check("multi_head_attention.mha_causality", MHA, 1.0, "changing a later token or a padding token never changes another "
          "token's output, batched or unbatched, even through two stacked layers", mha_masking_probes, judge_mha_masking),
    fixture_check("multi_head_attention.mha_values_fixture", MHA, mha_random, ("output",), title=MHA_VALUES, points=1.0),
]

