"""Hidden checks of modern_attention: fresh inputs, compared with the reference. Never shipped to students."""
import torch

from ...behaviour import cached_calls_differ
from ...compare import close
from ..common import between, randn
from ...instructor.hidden_checks import hidden_check
from .public import GQA, GQA_VALUES, ROPE, _spans, gqa_probe, rope_probe, without_args


def rope_random(generator):
    probes = []
    for base in (None, 10.0 ** between(generator, 2, 4)):
        n, half = between(generator, 1, 7), between(generator, 1, 6)
        probes.append(rope_probe(randn(generator, between(generator, 1, 3), n, 2 * half),
                                 torch.randint(0, 16, (n,), generator=generator), base=base))
    return probes


def gqa_random(generator):
    probes = []
    for bias in (False, True):
        kv, group, head_dim = between(generator, 1, 3), between(generator, 1, 3), 2 * between(generator, 1, 3)
        heads = kv * group
        probes.append(gqa_probe(generator, between(generator, 1, 3), between(generator, 1, 7), between(generator, 2, 7),
                                heads * head_dim, heads, kv, bias))
    return probes


CALLS = ("the first call's output", "the second call's output", "the third call's output", "the fourth call's output")


def cache_random(generator):
    """A decode in four calls with the cache (a prefill chunk, a token, a second chunk, a token) on fresh sizes,
    compared call by call with the reference's: what the cache holds, and the positions and mask of the new tokens
    after it, are graded on their own and not only through the public check."""
    probes = []
    for bias in (False, True):
        kv, group, head_dim = between(generator, 1, 2), between(generator, 1, 2), 2 * between(generator, 1, 3)
        heads = kv * group
        pieces = (between(generator, 2, 4), 1, between(generator, 2, 3), 1)
        probe = gqa_probe(generator, between(generator, 1, 2), sum(pieces), between(generator, 2, 6), heads * head_dim,
                          heads, kv, bias)
        x, steps, start = probe["args"][0], [], 0
        for size in pieces:
            steps.append({"args": [x[:, start:start + size]], "kwargs": {"use_cache": True}})
            start += size
        probes.append(dict(without_args(probe), steps=steps, notes={"pieces": list(pieces)},
                           label=f"{probe['label']}, fed in calls of {', '.join(map(str, pieces))} tokens with use_cache=True"))
    return probes


def diagnose_calls(probes, observed, expected):
    """Which calls of the decode differ from the reference's, and within a chunk which tokens."""
    for probe, got, want in zip(probes, observed, expected or []):
        calls, wanted = got.get("outputs", []), want.get("outputs", [])
        if len(calls) != len(wanted) or any(a.shape != b.shape for a, b in zip(calls, wanted)):
            continue
        matched = []
        for call, reference in zip(calls, wanted):
            differ = ~(close(call, reference) | (call.isnan() & reference.isnan()))
            matched.append(differ.transpose(0, 1).reshape(call.shape[1], -1).any(dim=-1) if differ.any() else None)
        said = cached_calls_differ(_spans(probe["notes"]["pieces"]), matched)
        if said:
            return f"{probe['label']}: {said}"
    return None


CHECKS = [
    hidden_check("modern_attention.rope_values_hidden", ROPE, rope_random, ("output",), title="output equals the reference", points=1.0),
    hidden_check("modern_attention.gqa_values_hidden", GQA, gqa_random, ("output",), title=GQA_VALUES, points=0.5),
    hidden_check("modern_attention.gqa_cache_hidden", GQA, cache_random, CALLS, title="decoding with the cache, two "
                 "prefill chunks each followed by a token, equals the reference call by call", points=1.0,
                 diagnose=diagnose_calls),
]
