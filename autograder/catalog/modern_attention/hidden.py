"""Hidden checks of modern_attention: fresh inputs, compared with the reference. Never shipped to students."""
import torch

from ..common import between, randn
from ...instructor.hidden import hidden_check
from .public import GQA, GQA_VALUES, ROPE, gqa_probe, rope_probe


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


CHECKS = [
    hidden_check("modern_attention.rope_values_hidden", ROPE, rope_random, ("output",), title="output equals the reference", points=1.0),
    hidden_check("modern_attention.gqa_values_hidden", GQA, gqa_random, ("output",), title=GQA_VALUES, points=1.0),
]
