"""Checks for exercise 5: apply_rope (3 points with its hidden check), kv_cache_bytes (1), GroupedQueryAttention
(4 with its hidden check) and tiled_attention (2).

Behaviour first: RoPE scores depend only on how far apart two tokens are; decoding token by token with
the cache equals the full causal forward at every step; tiled attention equals
F.scaled_dot_product_attention, and its peak memory grows with the sequence, not with its square.
"""
import torch
import torch.nn.functional as F

from ...behaviour import cached_calls_differ, outputs_differ
from ...checks import Against, Check
from ...compare import close, mismatch, shape_text
from . import EXERCISE as DECLARED
from ..common import (between, fixture_check, forward_probe, layers_are, linear_state, randn, raises)

ROPE, CACHE_BYTES, GQA, TILED = DECLARED.parts
GQA_VALUES = "output equals the reference with the same weights"


# ---- apply_rope ---------------------------------------------------------------------------

def rope_probe(x, positions, base=None, label=""):
    kwargs = {} if base is None else {"base": base}
    return {"target": ROPE, "args": [x, positions], "kwargs": kwargs,
            "label": label or f"apply_rope(x {shape_text(x.shape)}, positions {positions.tolist()})"}


def rope_relative_probes(generator):
    """q and k at some positions, then at the same positions shifted by one offset."""
    n = 5
    q, k = randn(generator, 2, n, 8), randn(generator, 2, n, 8)
    positions = torch.randint(0, 7, (n,), generator=generator)
    shifted = positions + between(generator, 3, 6)
    return [rope_probe(q, positions), rope_probe(k, positions), rope_probe(q, shifted), rope_probe(k, shifted)]


def judge_rope_relative(probes, observed, expected):
    outputs = [got["outputs"][0] for got in observed]
    for probe, output in zip(probes, outputs):
        if tuple(output.shape) != tuple(probe["args"][0].shape):
            return f"{probe['label']}: output has shape {shape_text(output.shape)}, expected {shape_text(probe['args'][0].shape)}"
    moved = probes[0]["args"][1] != 0  # tokens away from position 0 must be rotated
    if mismatch("output", outputs[0][..., moved, :], probes[0]["args"][0][..., moved, :]) is None:
        return f"{probes[0]['label']}: the output equals x: nothing was rotated"
    lengths = mismatch("length of each token's vector", outputs[0].norm(dim=-1), probes[0]["args"][0].norm(dim=-1))
    if lengths:
        return f"{probes[0]['label']}: a rotation keeps lengths, but the {lengths}"
    before = outputs[0] @ outputs[1].transpose(-2, -1)
    after = outputs[2] @ outputs[3].transpose(-2, -1)
    positions = probes[0]["args"][1]
    apart = positions.unsqueeze(-1) != positions  # (n, n): pairs of tokens at different positions
    raw = probes[0]["args"][0] @ probes[1]["args"][0].transpose(-2, -1)
    if mismatch("scores", before[..., apart], raw[..., apart]) is None:
        return (f"{probes[0]['label']}: rotated q · rotated k equals q · k for tokens at different positions: the "
                "rotation does not depend on position (each token turns by its position times the pair's frequency)")
    message = mismatch("scores", after, before)
    if message:
        shift = int(probes[2]["args"][1][0] - probes[0]["args"][1][0])
        return (f"rotated q · rotated k changed when every position moved by {shift}: {message}; "
                "RoPE scores must depend only on how far apart two tokens are")
    return None


def rope_values(generator):
    x = randn(generator, 2, 6, 8)
    y = randn(generator, 3, 4, 12)
    return [rope_probe(x, torch.arange(6)),
            rope_probe(y, torch.randint(0, 12, (4,), generator=generator), base=100.0,
                       label="apply_rope(x (3, 4, 12), positions, base=100.0)")]


# ---- kv_cache_bytes -----------------------------------------------------------------------

# (num_tokens, num_layers, num_kv_heads, head_dim, bytes_per_value, what it is)
CACHE_SIZES = [
    (1, 12, 12, 64, 2, "GPT-2 small, one token, float16"),
    (1024, 12, 12, 64, 4, "GPT-2 small, 1024 tokens, float32"),
    (1, 32, 32, 128, 2, "a Llama-3-8B-sized model with multi-head attention (32 key/value heads), one token"),
    (8192, 32, 8, 128, 2, "Llama-3-8B sizes with grouped queries (8 key/value heads), 8192 tokens"),
    (1, 32, 1, 128, 2, "the same with multi-query attention (1 key/value head), one token"),
]


def cache_size_probes(generator):
    """The sizes above, and two drawn at random: a count is only right if it follows from its arguments."""
    drawn = [(between(generator, 1, 4096), between(generator, 1, 48), between(generator, 1, 16),
              32 * between(generator, 1, 4), 2 ** between(generator, 0, 2), "sizes drawn at random") for _ in range(2)]
    return [{"target": CACHE_BYTES, "args": [n, layers, kv, hd], "kwargs": {"bytes_per_value": size}, "number": True,
             "label": f"kv_cache_bytes({n}, num_layers={layers}, num_kv_heads={kv}, head_dim={hd}, "
                      f"bytes_per_value={size}): {what}"}
            for n, layers, kv, hd, size, what in CACHE_SIZES + drawn]


def judge_cache_size(probes, observed, expected):
    for probe, got, want in zip(probes, observed, expected):
        number, wanted = got["outputs"][0], want["outputs"][0]
        if mismatch("bytes", number, wanted):
            return f"{probe['label']}: {number.item():,.0f} bytes, expected {wanted.item():,.0f}"
    return None


# ---- GroupedQueryAttention ----------------------------------------------------------------

def init(d_in, d_out, context_length, num_heads, num_kv_heads, bias=False, rope_base=10000.0):
    return {"d_in": d_in, "d_out": d_out, "context_length": context_length, "num_heads": num_heads,
            "num_kv_heads": num_kv_heads, "qkv_bias": bias, "rope_base": rope_base}


def gqa_state(generator, d_in, d_out, num_heads, num_kv_heads, bias, dtype=torch.float64):
    kv_width = num_kv_heads * (d_out // num_heads)
    state = linear_state(generator, "W_query", d_in, d_out, bias, dtype=dtype)
    state |= linear_state(generator, "W_key", d_in, kv_width, bias, dtype=dtype)
    state |= linear_state(generator, "W_value", d_in, kv_width, bias, dtype=dtype)
    return state | linear_state(generator, "out_proj", d_out, d_out, True, dtype=dtype)


def gqa_label(init_):
    return (f"GroupedQueryAttention({init_['d_in']}, {init_['d_out']}, {init_['context_length']}, "
            f"num_heads={init_['num_heads']}, num_kv_heads={init_['num_kv_heads']}"
            + (", qkv_bias=True" if init_["qkv_bias"] else "")
            + (", rope_base=None" if init_["rope_base"] is None else "") + ")")


def gqa_probe(generator, b, n, d_in, d_out, num_heads, num_kv_heads, bias=False, rope_base=10000.0):
    state = gqa_state(generator, d_in, d_out, num_heads, num_kv_heads, bias)
    x = randn(generator, b, n, d_in)
    init_ = init(d_in, d_out, n + between(generator, 0, 2), num_heads, num_kv_heads, bias, rope_base)
    return forward_probe(GQA, init_, [x], state=state, dtype="float64", label=f"{gqa_label(init_)} on x {shape_text(x.shape)}")


def gqa_values(generator):
    return [gqa_probe(generator, 2, 5, 6, 16, 4, 2),
            gqa_probe(generator, 1, 6, 5, 16, 4, 1, bias=True),
            gqa_probe(generator, 2, 4, 6, 12, 2, 2, rope_base=500.0),
            gqa_probe(generator, 2, 5, 4, 8, 2, 2, rope_base=None)]


def gqa_layer_probes(generator):
    sizes = [((6, 16, 12, 4, 2, False), "GroupedQueryAttention(6, 16, 12, num_heads=4, num_kv_heads=2)"),
             ((6, 16, 12, 4, 1, True), "GroupedQueryAttention(6, 16, 12, num_heads=4, num_kv_heads=1, qkv_bias=True)"),
             ((768, 768, 1024, 12, 12, False), "GPT-2 small sizes, num_kv_heads = num_heads = 12: multi-head attention"),
             ((2048, 2048, 2048, 32, 4, False), "a Llama-style model of width 2048, 32 query heads sharing 4 key/value heads"),
             ((2048, 2048, 2048, 32, 1, False), "the same with multi-query attention, one key/value head")]
    probes = [{"target": GQA, "init": init(*size), "inspect": True, "label": label} for size, label in sizes]
    return probes + [{"target": GQA, "init": init(4, 8, 5, 4, kv), "inspect": True,
                      "label": f"num_heads = 4 with num_kv_heads = {kv}"} for kv in (3, 2)]


PARAMETER_COUNTS = {(768, 12, 12): 2_360_064, (2048, 32, 4): 9_439_232, (2048, 32, 1): 8_652_800}


def gqa_expected_layers(probe):
    d_in, d_out = probe["init"]["d_in"], probe["init"]["d_out"]
    heads, kv, bias = probe["init"]["num_heads"], probe["init"]["num_kv_heads"], probe["init"]["qkv_bias"]
    kv_width = kv * (d_out // heads)
    parameters = {"W_query.weight": (d_out, d_in), "W_key.weight": (kv_width, d_in), "W_value.weight": (kv_width, d_in),
                  "out_proj.weight": (d_out, d_out), "out_proj.bias": (d_out,)}
    absent = []
    for name, width in (("W_query", d_out), ("W_key", kv_width), ("W_value", kv_width)):
        if bias:
            parameters[f"{name}.bias"] = (width,)
        else:
            absent.append(f"{name}.bias")
    expected = {"parameters": parameters, "absent": absent}
    count = PARAMETER_COUNTS.get((d_in, heads, kv))
    if count:
        expected["parameter_count"] = count
    return expected


def judge_gqa_layers(probes, observed, expected):
    """Layers on the inspect probes, which must not raise; then num_heads = 4 with 3 kv heads raises, with 2 does not."""
    layers = len(probes) - 2
    for probe, got in zip(probes[:layers], observed[:layers]):
        if "error" in got:
            return f"{probe['label']}: raised {got['error']['type']} ({got['error']['message']})"
    message = layers_are(gqa_expected_layers)(probes[:layers], observed[:layers], None)
    if message:
        return message
    message = raises("ValueError")(probes[layers:layers + 1], observed[layers:layers + 1], None)
    error = observed[-1].get("error")
    return message or (error and f"{probes[-1]['label']}: raised {error['type']} ({error['message']}), but it is valid")


def cache_probes(generator):
    """Triples: the full causal forward on x, the same module fed x in pieces with use_cache=True, and the
    full forward on x with token 0 changed."""
    probes = []
    for b, n, heads, kv, pieces in ((2, 7, 4, 2, (3, 1, 1, 2)), (1, 5, 2, 1, (1, 1, 1, 1, 1))):
        state = gqa_state(generator, 6, 8 * heads // 2, heads, kv, True)
        x = randn(generator, b, n, 6)
        init_ = init(6, 8 * heads // 2, n + 2, heads, kv, True)
        full = forward_probe(GQA, init_, [x], state=state, dtype="float64", label=f"{gqa_label(init_)} on x {shape_text(x.shape)}")
        steps, start = [], 0
        for size in pieces:
            steps.append({"args": [x[:, start:start + size]], "kwargs": {"use_cache": True}})
            start += size
        decoded = dict(without_args(full), steps=steps, notes={"pieces": list(pieces)},
                       label=f"the same module fed tokens {' | '.join(_spans(pieces))} with use_cache=True")
        altered = x.clone()
        altered[:, 0] = randn(generator, b, 6)
        earlier = dict(full, args=[altered], label=f"{full['label']} with token 0 changed")
        probes += [full, decoded, earlier]
    return probes


def without_args(probe):
    """A forward probe's fields but its arguments: what a decode of the same module starts from (its steps carry the
    arguments, one call each)."""
    return {key: value for key, value in probe.items() if key != "args"}


def _spans(pieces):
    spans, start = [], 0
    for size in pieces:
        spans.append(f"{start}" if size == 1 else f"{start}–{start + size - 1}")
        start += size
    return spans


def judge_cache(probes, observed, expected):
    """Triples: the full forward, the same fed in pieces with the cache, and the full forward with token 0
    changed, whose last token must change too (attention reads earlier tokens; a map of each token alone,
    or a constant, would pass the comparison with itself)."""
    for index in range(0, len(probes), 3):
        full, decoded = observed[index]["outputs"][0], observed[index + 1]["outputs"]
        changed = observed[index + 2]["outputs"][0]
        if tuple(changed.shape) == tuple(full.shape) and mismatch("output", changed[:, -1], full[:, -1]) is None:
            return (f"{probes[index + 2]['label']}: the last token's output did not change: it does not attend "
                    "to earlier tokens")
        pieces, start = probes[index + 1]["notes"]["pieces"], 0
        if len(decoded) != len(pieces):
            return f"{probes[index + 1]['label']}: {len(decoded)} outputs for {len(pieces)} calls"
        for size, span, part in zip(pieces, _spans(pieces), decoded):
            message = mismatch("output", part, full[:, start:start + size])
            if message:
                return (f"{probes[index + 1]['label']}: the call for tokens {span} differs from the full causal "
                        f"forward on x {shape_text(full.shape)} at those tokens: {message}")
            start += size
    return None


def diagnose_cache(probes, observed, expected):
    """What a decode in pieces that differs from the full forward shows: which calls, and within a chunk which
    tokens (behaviour.cached_calls_differ)."""
    for index in range(0, len(probes), 3):
        full, decoded = observed[index]["outputs"][0], observed[index + 1]["outputs"]
        pieces = probes[index + 1]["notes"]["pieces"]
        if len(decoded) != len(pieces):
            continue
        matched, start = [], 0
        for size, part in zip(pieces, decoded):
            want = full[:, start:start + size]
            start += size
            if tuple(part.shape) != tuple(want.shape):
                return None
            differ = ~(close(part, want) | (part.isnan() & want.isnan()))
            matched.append(differ.transpose(0, 1).reshape(size, -1).any(dim=-1) if differ.any() else None)
        said = cached_calls_differ(_spans(pieces), matched)
        if said:
            return f"{probes[index + 1]['label']}: {said}"
    return None


# ---- tiled_attention ----------------------------------------------------------------------

def tiled_probe(query, key, value, causal, block_size, **extra):
    label = (f"tiled_attention(query {shape_text(query.shape)}, key {shape_text(key.shape)}, value "
             f"{shape_text(value.shape)}, causal={causal}, block_size={block_size})")
    return {"target": TILED, "args": [query, key, value], "kwargs": {"causal": causal, "block_size": block_size},
            "label": label, **extra}


def tiled_sdpa_probes(generator):
    """Lengths that are not multiples of the block size, so the last tile is partial; equal and unequal lengths."""
    probes = []
    for lead, n_q, n_k, causal in (((2,), 19, 19, False), ((2,), 19, 19, True), ((2, 2), 11, 27, False),
                                   ((3,), 21, 21, True)):
        d_k = between(generator, 3, 8)
        probes.append(tiled_probe(randn(generator, *lead, n_q, d_k) * 2, randn(generator, *lead, n_k, d_k) * 2,
                                  randn(generator, *lead, n_k, between(generator, 2, 4)), causal, 8))
    return probes


def diagnose_tiled(probes, observed, expected):
    """What differs from F.scaled_dot_product_attention on the same inputs (behaviour.outputs_differ)."""
    wanted = [{"outputs": [F.scaled_dot_product_attention(*probe["args"], is_causal=probe["kwargs"]["causal"])]}
              for probe in probes]
    return outputs_differ(("output",))(probes, observed, wanted)


def judge_tiled_sdpa(probes, observed, expected):
    for probe, got in zip(probes, observed):
        query, key, value = probe["args"]
        want = F.scaled_dot_product_attention(query, key, value, is_causal=probe["kwargs"]["causal"])
        message = mismatch("output", got["outputs"][0], want)
        if message:
            return f"{probe['label']}: not F.scaled_dot_product_attention(…, is_causal={probe['kwargs']['causal']}): {message}"
    return None


MEMORY_LENGTHS = (64, 256)


def tiled_memory_probes(generator):
    """Small whole numbers as inputs and two value features: memory depends on shapes only, and the fixture stays small."""
    def draw(*shape):
        return torch.randint(-2, 3, shape, generator=generator).to(torch.float32)

    return [tiled_probe(draw(n, 8), draw(n, 8), draw(n, 2), False, 32, peak_memory=True) for n in MEMORY_LENGTHS]


def judge_tiled_memory(probes, observed, expected):
    """The output equals F.scaled_dot_product_attention; the products the counter saw hold at least QKᵀ's
    n_q · n_k · d_k multiply-adds (work it cannot see, in numpy or with the counter switched off, would
    go unmeasured); the peak at n2 is at most (n2/n1)^1.5 times the peak at n1: halfway, on a log
    scale, between growing with n (tiles) and with n² (a full score matrix); and at n2 no single tensor
    holds more than two blocks' worth of the scores (block_size × n2 values at the input's width, twice that
    for float64 work): a ratio of peaks can be evened out by memory held on purpose at n1, but scores held
    beyond a block, whole or in a few large chunks, cannot be hidden."""
    peaks = []
    for probe, got in zip(probes, observed):
        query, key, value = probe["args"]
        outputs, want = got["outputs"], (*query.shape[:-1], value.shape[-1])
        if len(outputs) != 4 or tuple(outputs[0].shape) != want:
            return f"{probe['label']}: output has shape {shape_text(outputs[0].shape)}, expected {shape_text(want)}"
        message = mismatch("output", outputs[0], F.scaled_dot_product_attention(query, key, value))
        if message:
            return f"{probe['label']}: not F.scaled_dot_product_attention(…): {message}"
        needed = query.shape[-2] * key.shape[-2] * query.shape[-1]
        if int(outputs[2].item()) < needed:
            return (f"{probe['label']}: the memory counter saw {int(outputs[2].item()):,} multiply-adds of matrix "
                    f"products, fewer than QKᵀ alone needs ({needed:,}): compute with torch operations, where "
                    "the memory they take can be measured")
        peaks.append(int(outputs[1].item()))
    (n1, n2), (small, large) = MEMORY_LENGTHS, peaks
    if small <= 0:
        return f"{probes[0]['label']}: the call made no tensor at all, so it computed nothing"
    ratio, limit = n2 / n1, (n2 / n1) ** 1.5
    if large / small > limit:
        return (f"peak memory grew {large / small:.1f}× from n = {n1} to n = {n2} ({small:,} to {large:,} bytes of "
                f"tensors), for {ratio:.0f}× the tokens: tiles keep it near {ratio:.0f}×, a full n × n score "
                f"matrix makes it {ratio ** 2:.0f}×")
    query, key, _ = probes[-1]["args"]
    scores = query.shape[-2] * key.shape[-2] * query.element_size()
    block = probes[-1]["kwargs"]["block_size"] * max(query.shape[-2], key.shape[-2]) * query.element_size()
    biggest = int(observed[-1]["outputs"][3].item())
    if biggest > 2 * block:
        return (f"{probes[-1]['label']}: it made one tensor of {biggest:,} bytes, {biggest / scores:.0%} of the full "
                f"{n2} × {n2} score matrix ({scores:,} bytes): tiles hold a block of the scores at a time, at most "
                f"block_size rows or columns of it ({block:,} bytes; twice that in float64)")
    return None


CHECKS = [
    Check("modern_attention.rope_relative", ROPE, 1.0, "rotates every pair, keeps lengths, and scores depend only on "
          "relative position (shifting every position leaves them unchanged)", rope_relative_probes, judge_rope_relative),
    fixture_check("modern_attention.rope_values_fixture", ROPE, rope_values, ("output",), title="output equals the reference", points=1.0),
    Check("modern_attention.cache_bytes", CACHE_BYTES, 1.0, "the cache's size in bytes at GPT-2 and Llama-3-8B sizes, "
          "with multi-head, grouped-query and multi-query attention", cache_size_probes, judge_cache_size,
          against=Against.FIXTURE),
    Check("modern_attention.gqa_layers", GQA, 1.0, "projections sized by num_kv_heads; 2,360,064 parameters at GPT-2 size "
          "with num_kv_heads = num_heads (as multi-head attention), fewer with 4 or 1 key/value heads; ValueError when "
          "num_kv_heads does not divide num_heads", gqa_layer_probes, judge_gqa_layers, judges_errors=True),
    Check("modern_attention.gqa_cache", GQA, 1.0, "decoding with the cache, a prefill chunk then token by token, equals the "
          "full causal forward at every step", cache_probes, judge_cache, diagnose=diagnose_cache),
    fixture_check("modern_attention.gqa_values_fixture", GQA, gqa_values, ("output",), title=GQA_VALUES, points=0.5),
    Check("modern_attention.tiled_sdpa", TILED, 1.0, "equals F.scaled_dot_product_attention, with and without the causal "
          "mask, when the last tile is partial", tiled_sdpa_probes, judge_tiled_sdpa, diagnose=diagnose_tiled),
    Check("modern_attention.tiled_memory", TILED, 1.0, f"peak memory grows like the sequence, not its square "
          f"(measured at n = {MEMORY_LENGTHS[0]} and {MEMORY_LENGTHS[1]})", tiled_memory_probes, judge_tiled_memory),
]
