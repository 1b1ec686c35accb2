"""Do the notebooks' statements about PyTorch and about the formulas hold, on the torch the kit pins?

Each test checks one sentence a student carries away from the course; the notebook it comes from is named in
the docstring. Floats are compared with torch.testing.assert_close at its dtype defaults (float64 unless
said): the claims are identities, so any real difference is far above rounding.
"""
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from autograder.instructor.solutions.modern_attention import GroupedQueryAttention, apply_rope, tiled_attention


def _padded_batch():
    """A batch whose first sentence starts with padding: with the causal mask, its query 0 sees no key."""
    torch.manual_seed(0)
    x = torch.randn(2, 4, 6)
    padding = torch.tensor([[True, False, False, False], [False, False, False, False]])
    causal = torch.ones(4, 4, dtype=torch.bool).triu(diagonal=1)
    return x, padding, causal


def test_multiheadattention_gives_nan_or_zeros_for_a_row_with_nothing_to_see_depending_on_its_flags():
    """Notebook 2: for a query whose keys are all blocked, does nn.MultiheadAttention return zeros with
    need_weights=False, but NaN with need_weights=True and on its inference fast path (eval, no gradients)?"""
    x, padding, causal = _padded_batch()
    attention = nn.MultiheadAttention(6, 2, batch_first=True)
    with_weights, _ = attention(x, x, x, attn_mask=causal, key_padding_mask=padding, need_weights=True)
    without_weights, _ = attention(x, x, x, attn_mask=causal, key_padding_mask=padding, need_weights=False)
    assert with_weights[0, 0].isnan().all()
    assert torch.equal(without_weights[0, 0].detach(), torch.zeros(6))
    assert without_weights[0, 1:].isfinite().all() and without_weights[1].isfinite().all()
    attention.eval()
    with torch.no_grad():
        fast, _ = attention(x, x, x, attn_mask=causal, key_padding_mask=padding, need_weights=False)
    assert fast[0, 0].isnan().all()


def test_sdpa_returns_zeros_for_a_row_with_nothing_to_see_on_the_cpu():
    """Notebook 2: does F.scaled_dot_product_attention give a row whose keys are all blocked an output of zeros?"""
    torch.manual_seed(0)
    q, k, v = torch.randn(3, 2, 4, 5, dtype=torch.float64).unbind(0)
    allowed = torch.ones(4, 4, dtype=torch.bool).tril()
    allowed[:, 0] = False  # key 0 is padding, so query 0 sees nothing
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed)
    assert torch.equal(out[:, 0], torch.zeros(2, 5, dtype=torch.float64))
    assert out[:, 1:].isfinite().all()


@pytest.mark.parametrize("num_heads, num_kv_heads", [(4, 2), (6, 3), (6, 2)])
def test_sdpa_enable_gqa_groups_neighbouring_query_heads_as_repeat_interleave_does(num_heads, num_kv_heads):
    """Notebook 5: does F.scaled_dot_product_attention(enable_gqa=True) equal repeat_interleave grouping (query
    heads 0 … h/g - 1 read key/value head 0), and differ from repeat, which deals the heads out in turn?"""
    generator = torch.Generator().manual_seed(num_heads * 10 + num_kv_heads)
    q = torch.randn(2, num_heads, 5, 4, generator=generator, dtype=torch.float64)
    k, v = torch.randn(2, 2, num_kv_heads, 5, 4, generator=generator, dtype=torch.float64).unbind(0)
    group = num_heads // num_kv_heads
    grouped = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
    interleaved = F.scaled_dot_product_attention(q, k.repeat_interleave(group, dim=1), v.repeat_interleave(group, dim=1),
                                                 is_causal=True)
    dealt = F.scaled_dot_product_attention(q, k.repeat(1, group, 1, 1), v.repeat(1, group, 1, 1), is_causal=True)
    torch.testing.assert_close(grouped, interleaved)
    assert not torch.allclose(grouped, dealt)


def test_is_causal_aligns_top_left_so_a_decode_step_sees_only_the_first_key():
    """Notebook 5: with one new query and five cached keys, does is_causal=True let the query see key 0 only
    (the top-left corner of the mask), while a decode step must see all five (the bottom-right corner, which
    GroupedQueryAttention's cache gives)?"""
    torch.manual_seed(0)
    q = torch.randn(1, 1, 1, 4, dtype=torch.float64)
    k, v = torch.randn(2, 1, 1, 5, 4, dtype=torch.float64).unbind(0)
    top_left = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    torch.testing.assert_close(top_left, v[..., :1, :])  # one visible key: its value, whole
    every_key = F.scaled_dot_product_attention(q, k, v)
    assert not torch.allclose(top_left, every_key)
    start, n = 4, 1
    bottom_right = ~torch.ones(n, start + n, dtype=torch.bool).triu(diagonal=start + 1)  # True = may attend
    torch.testing.assert_close(F.scaled_dot_product_attention(q, k, v, attn_mask=bottom_right), every_key)

    attention = GroupedQueryAttention(6, 8, context_length=6, num_heads=2, num_kv_heads=1).double().eval()
    x = torch.randn(1, 5, 6, dtype=torch.float64)
    with torch.no_grad():
        full = attention(x)
        attention(x[:, :4], use_cache=True)
        step = attention(x[:, 4:], use_cache=True)
    torch.testing.assert_close(step, full[:, 4:])


def _neighbour_rope(x, positions, base=10000.0):
    """RoPE with neighbours (2i, 2i + 1) as a pair, the layout of the RoFormer paper and Meta's Llama code."""
    half = x.shape[-1] // 2
    frequencies = base ** (-2.0 * torch.arange(half, dtype=torch.float64) / x.shape[-1])
    angles = positions.to(torch.float64).unsqueeze(-1) * frequencies
    cos, sin = angles.cos().to(x.dtype), angles.sin().to(x.dtype)
    first, second = x[..., 0::2], x[..., 1::2]
    return torch.stack([first * cos - second * sin, first * sin + second * cos], dim=-1).flatten(-2)


def test_the_two_rope_layouts_are_the_same_rotation_up_to_a_fixed_permutation_of_features():
    """Notebook 5: does neighbour-pair RoPE equal halves RoPE after one fixed permutation of the features
    (so of W_q's and W_k's rows), with equal scores, while on the same features the two give other numbers?"""
    torch.manual_seed(0)
    head_dim, positions = 8, torch.arange(3, 9)
    q, k = torch.randn(2, 6, head_dim, dtype=torch.float64).unbind(0)
    neighbours_to_halves = torch.cat([torch.arange(0, head_dim, 2), torch.arange(1, head_dim, 2)])
    torch.testing.assert_close(_neighbour_rope(q, positions)[..., neighbours_to_halves],
                               apply_rope(q[..., neighbours_to_halves], positions))
    scores_neighbours = _neighbour_rope(q, positions) @ _neighbour_rope(k, positions).T
    scores_halves = (apply_rope(q[..., neighbours_to_halves], positions)
                     @ apply_rope(k[..., neighbours_to_halves], positions).T)
    torch.testing.assert_close(scores_neighbours, scores_halves)
    assert not torch.allclose(_neighbour_rope(q, positions), apply_rope(q, positions))


def test_a_rope_score_is_a_sum_over_pairs_of_q_rotated_by_the_distance_against_k():
    """Notebook 5: is the score of a query at position m and a key at position n, both rotated, the sum over
    pairs i of q_iᵀ R((n − m)θ_i) k_i, so that positions enter only through the angle (n − m)θ_i?"""
    torch.manual_seed(0)
    head_dim, base = 6, 10000.0
    q, k = torch.randn(2, head_dim, dtype=torch.float64).unbind(0)
    half = head_dim // 2
    thetas = base ** (-2.0 * torch.arange(half, dtype=torch.float64) / head_dim)
    for m, n in ((0, 0), (3, 7), (7, 3), (100, 104)):
        score = apply_rope(q[None], torch.tensor([m]))[0] @ apply_rope(k[None], torch.tensor([n]))[0]
        expected = 0.0
        for i, theta in enumerate(thetas.tolist()):
            angle = (n - m) * theta
            rotation = torch.tensor([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]],
                                    dtype=torch.float64)
            q_i, k_i = q[[i, i + half]], k[[i, i + half]]
            expected += (q_i @ rotation @ k_i).item()
        assert math.isclose(score.item(), expected, rel_tol=1e-12, abs_tol=1e-12), (m, n)


def _tiled_with_statistics_in(dtype, query, key, value, block_size=8):
    """Non-causal tiled attention whose running max, sum and output are made in `dtype`, whatever the inputs'."""
    scale, blocks = 1 / math.sqrt(query.shape[-1]), []
    for q_start in range(0, query.shape[-2], block_size):
        q = query[..., q_start:q_start + block_size, :] * scale
        running_max = torch.full((*q.shape[:-1], 1), float("-inf"), dtype=dtype)
        running_sum = torch.zeros_like(running_max)
        accumulated = torch.zeros(*q.shape[:-1], value.shape[-1], dtype=dtype)
        for k_start in range(0, key.shape[-2], block_size):
            scores = q @ key[..., k_start:k_start + block_size, :].transpose(-2, -1)
            new_max = torch.maximum(running_max, scores.amax(dim=-1, keepdim=True))
            correction, probabilities = torch.exp(running_max - new_max), torch.exp(scores - new_max)
            running_sum = running_sum * correction + probabilities.sum(dim=-1, keepdim=True)
            accumulated = accumulated * correction + probabilities @ value[..., k_start:k_start + block_size, :]
            running_max = new_max
        blocks.append(accumulated / running_sum)
    return torch.cat(blocks, dim=-2)


def test_tiled_statistics_in_float32_are_promoted_and_in_float64_break_float32_inputs():
    """Notebook 5: made in float32, are the running statistics promoted to float64 at the first update on float64
    inputs (the result is float64 attention to about 1e-12), while made in float64 on float32 inputs they make
    the weights float64 and the product with float32 values an error?"""
    generator = torch.Generator().manual_seed(0)
    q, k, v = torch.randn(3, 2, 40, 8, generator=generator, dtype=torch.float64).unbind(0)
    want = F.scaled_dot_product_attention(q, k, v)
    promoted = _tiled_with_statistics_in(torch.float32, q, k, v)
    assert promoted.dtype == torch.float64 and (promoted - want).abs().max() < 1e-12
    with pytest.raises(RuntimeError, match="Float but found Double"):  # float64 weights @ float32 values
        _tiled_with_statistics_in(torch.float64, q.float(), k.float(), v.float())
    assert tiled_attention(q.float(), k.float(), v.float(), block_size=8).dtype == torch.float32


def test_a_cache_attended_with_is_causal_gets_the_hint_the_statement_names(tmp_path):
    """Notebook 5's statement: does GroupedQueryAttention written with F.scaled_dot_product_attention(is_causal=True)
    fail the cache checks only, with the hint about the mask that ignores the cached tokens, and pass with attn_mask?"""
    from helpers import EXERCISES, grade_file, reference

    lines = reference("modern_attention").splitlines(keepends=True)
    first = next(i for i, line in enumerate(lines) if line.lstrip().startswith("scores = queries @ keys"))
    last = next(i for i, line in enumerate(lines) if line.lstrip().startswith("context = (weights @ values)"))
    indent = lines[first][:len(lines[first]) - len(lines[first].lstrip())]

    def graded(call):
        text = "".join(lines[:first] + [f"{indent}context = {call}.transpose(1, 2).reshape(b, n, h * hd)\n"]
                       + lines[last + 1:])
        text = text.replace("import torch\n", "import torch\nimport torch.nn.functional as F\n", 1)
        for name in EXERCISES:  # a submission sits beside the others' answers
            (tmp_path / f"{name}.py").write_text(reference(name))
        (tmp_path / "modern_attention.py").write_text(text)
        return grade_file(tmp_path / "modern_attention.py", "modern_attention")

    top_left = graded("F.scaled_dot_product_attention(queries, keys, values, is_causal=True)")
    failed = [check for check in top_left.checks if check.status != "passed"]
    assert [check.id for check in failed] == ["modern_attention.gqa_cache", "modern_attention.gqa_cache_hidden"], \
        [(c.id, c.message) for c in failed]
    assert [check.misconception for check in failed] == ["cache_mask_not_shifted"] * 2
    assert all("triu(diagonal=start + 1)" in check.hint for check in failed)
    bottom_right = graded("F.scaled_dot_product_attention(queries, keys, values, "
                          "attn_mask=~torch.ones(n, start + n, dtype=torch.bool).triu(diagonal=start + 1))")
    assert all(check.status == "passed" for check in bottom_right.checks), \
        [(c.id, c.message) for c in bottom_right.checks if c.status != "passed"]
