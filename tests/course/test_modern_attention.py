"""What exercise 5 teaches holds for the reference: tiles keep memory linear, grouped queries with every
head its own equal multi-head attention, the cache equals the full forward, RoPE is relative."""
import math

import pytest
import torch
import torch.nn.functional as F

from autograder import registry
from autograder.sandboxed.memory import peak_bytes
from autograder.sandboxed.probes import observer
from autograder.instructor.solutions.modern_attention import GroupedQueryAttention, apply_rope, kv_cache_bytes, tiled_attention
from autograder.instructor.solutions.multi_head_attention import MultiHeadAttention

EXERCISE = "modern_attention"


def plain_attention(query, key, value, causal=False):
    scores = query @ key.transpose(-2, -1) / math.sqrt(query.shape[-1])
    if causal:
        scores = scores.masked_fill(torch.ones(scores.shape[-2:], dtype=torch.bool).triu(1), float("-inf"))
    return torch.softmax(scores, dim=-1) @ value


def growth(function, short, long, d=16):
    peaks = []
    for n in (short, long):
        q, k, v = torch.randn(3, 2, n, d).unbind(0)
        peaks.append(peak_bytes(function, q, k, v)[1])
    return peaks[1] / peaks[0]


def test_tiled_peak_memory_grows_like_the_length_and_the_plain_form_like_its_square():
    """From 256 to 1024 tokens (4×), does the tiled reference's peak grow at most 1.5 × 4 times, while the
    plain formula's grows at least 0.75 × 16 times, on the same counter?"""
    tiled = growth(lambda q, k, v: tiled_attention(q, k, v, block_size=64), 256, 1024)
    plain = growth(plain_attention, 256, 1024)
    print(f"peak growth for 4x the tokens: tiled {tiled:.2f}x, plain {plain:.2f}x")
    assert tiled <= 1.5 * 4
    assert plain >= 0.75 * 16


def test_the_memory_check_fails_the_plain_form_and_passes_the_tiles():
    """Does the exercise's own memory check, on its own probes, pass the reference and fail attention that
    holds the whole score matrix (written as a student might, with the same signature)?"""
    check = next(check for check in registry.checks(EXERCISE) if check.id.endswith(".tiled_memory"))
    probes = check.probes(torch.Generator().manual_seed(0))
    tiled = observer({"tiled_attention": tiled_attention})(probes)
    plain = observer({"tiled_attention": lambda q, k, v, causal=False, block_size=32: plain_attention(q, k, v, causal)})(probes)
    assert check.judge(probes, tiled, None) is None
    assert "n × n" in check.judge(probes, plain, None)


@pytest.mark.parametrize("pieces", [1, 1024])
def test_memory_held_on_purpose_does_not_hide_a_full_score_matrix(pieces):
    """Plain attention (whole, or a third of the queries at a time) that holds 4 MiB through every call (in one
    tensor, or in many small ones) grows its peak from n = 64 to 256 far less than 16×: does the memory check
    still fail it, and pass tiles that hold the same in small tensors (one large tensor fails it, whatever it
    holds)?"""
    check = next(check for check in registry.checks(EXERCISE) if check.id.endswith(".tiled_memory"))
    probes = check.probes(torch.Generator().manual_seed(0))

    def padded(attention):
        def call(q, k, v, causal=False, block_size=32):
            held = [torch.empty((1 << 20) // pieces) for _ in range(pieces)]
            result = attention(q, k, v, causal, block_size)
            del held
            return result
        return call

    def in_three_chunks(q, k, v, causal, block):  # whole rows of scores, a third of the queries at a time
        return torch.cat([plain_attention(part, k, v) for part in q.tensor_split(3, dim=-2)], dim=-2)

    for attention in (lambda q, k, v, causal, block: plain_attention(q, k, v, causal), in_three_chunks):
        plain = observer({"tiled_attention": padded(attention)})(probes)
        peaks = [int(observation["outputs"][1]) for observation in plain]
        assert peaks[1] / peaks[0] < 4 ** 1.5  # the ratio of peaks alone would pass it
        assert "of the full 256 × 256 score matrix" in check.judge(probes, plain, None)
    tiles = check.judge(probes, observer({"tiled_attention": padded(tiled_attention)})(probes), None)
    assert tiles is None if pieces > 1 else "of the full 256 × 256 score matrix" in tiles


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("n_q, n_k, block", [(1, 1, 4), (7, 7, 3), (33, 33, 8), (5, 40, 16), (64, 64, 64)])
def test_tiled_equals_pytorch(causal, n_q, n_k, block):
    """Does tiled_attention equal F.scaled_dot_product_attention for lengths below, at and off the block size?"""
    if causal and n_q != n_k:
        pytest.skip("causal attention is checked on square inputs")
    generator = torch.Generator().manual_seed(n_q + n_k + block)
    q, k = torch.randn(2, 3, n_q, 5, generator=generator, dtype=torch.float64), torch.randn(2, 3, n_k, 5, generator=generator, dtype=torch.float64)
    v = torch.randn(2, 3, n_k, 4, generator=generator, dtype=torch.float64)
    torch.testing.assert_close(tiled_attention(q, k, v, causal, block), F.scaled_dot_product_attention(q, k, v, is_causal=causal))


def test_grouped_queries_with_every_head_its_own_are_multi_head_attention():
    """With num_kv_heads = num_heads and no RoPE, does GroupedQueryAttention equal notebook 4's
    MultiHeadAttention with the same weights, and have its 2,360,064 parameters at GPT-2 size?"""
    torch.manual_seed(0)
    grouped = GroupedQueryAttention(6, 12, 9, num_heads=3, num_kv_heads=3, rope_base=None).double()
    multi_head = MultiHeadAttention(6, 12, 9, 0.0, num_heads=3).double()
    multi_head.load_state_dict(grouped.state_dict(), strict=False)
    x = torch.randn(2, 9, 6, dtype=torch.float64)
    torch.testing.assert_close(grouped(x), multi_head(x))
    count = lambda module: sum(p.numel() for p in module.parameters())
    assert count(GroupedQueryAttention(768, 768, 1024, 12, 12)) == count(MultiHeadAttention(768, 768, 1024, 0.0, 12)) == 2_360_064


def test_decoding_with_the_cache_equals_the_full_forward_and_the_cache_shrinks_with_kv_heads():
    """Token by token after a prefill, does every step equal the full causal forward, and does the cache hold
    num_kv_heads heads, as kv_cache_bytes counts?"""
    torch.manual_seed(1)
    attention = GroupedQueryAttention(8, 16, 12, num_heads=4, num_kv_heads=2).double()
    x = torch.randn(1, 10, 8, dtype=torch.float64)
    full = attention(x)
    decoded = torch.cat([attention(x[:, :4], use_cache=True)] + [attention(x[:, t:t + 1], use_cache=True) for t in range(4, 10)], dim=1)
    torch.testing.assert_close(decoded, full)
    assert attention.cache_k.shape == (1, 2, 10, 4)
    assert kv_cache_bytes(10, 1, 2, 4, bytes_per_value=8) == attention.cache_k.nbytes + attention.cache_v.nbytes
    assert kv_cache_bytes(1, 32, 8, 128) == 128 * 1024  # Llama-3-8B sizes, float16: 128 KiB a token


def test_rope_scores_depend_only_on_distance():
    """Shifting every position by the same offset, are the rotated scores unchanged, and does position 0 rotate nothing?"""
    q, k = torch.randn(2, 6, 8, dtype=torch.float64), torch.randn(2, 6, 8, dtype=torch.float64)
    positions = torch.tensor([0, 3, 1, 7, 2, 5])
    scores = lambda shift: apply_rope(q, positions + shift) @ apply_rope(k, positions + shift).transpose(-2, -1)
    torch.testing.assert_close(scores(0), scores(40))
    torch.testing.assert_close(apply_rope(q, torch.zeros(6, dtype=torch.long)), q)
