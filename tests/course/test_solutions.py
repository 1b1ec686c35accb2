"""Does the reference reproduce the published numbers and agree with PyTorch's own attention?"""
import math
import re
from pathlib import Path

import nbformat
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from autograder.instructor.solutions.cross_attention import CrossAttention
from autograder.instructor.solutions.masked_self_attention import CausalSelfAttention, causal_mask
from autograder.instructor.solutions.multi_head_attention import MultiHeadAttention, MultiHeadAttentionWrapper
from autograder.instructor.solutions.self_attention import SelfAttention, scaled_dot_product_attention

ENCODINGS = torch.tensor([[1.16, 0.23], [0.57, 1.36], [4.41, -2.16]])
SENTENCE = torch.tensor([[0.43, 0.15, 0.89], [0.55, 0.87, 0.66], [0.57, 0.85, 0.64],
                         [0.22, 0.58, 0.33], [0.77, 0.25, 0.10], [0.05, 0.80, 0.55]])
BATCH = torch.stack((SENTENCE, SENTENCE))
PRINTED = dict(rtol=0.0, atol=5e-5)  # the courses print four decimals

# (seed, how to build and run, first rows as printed by the source courses)
PUBLISHED = {
    "SelfAttention, Attention in Transformers": (42, lambda: SelfAttention(2, 2)(ENCODINGS),
                                                 [[1.0100, 1.0641], [0.2040, 0.7057], [3.4989, 2.2427]]),
    "masked, Attention in Transformers": (42, lambda: CausalSelfAttention(2, 2, 3)(ENCODINGS),
                                          [[0.6038, 0.7434], [-0.0062, 0.6072], [3.4989, 2.2427]]),
    "cross with x_q = x_kv, Attention in Transformers": (42, lambda: CrossAttention(2, 2, 2)(ENCODINGS, ENCODINGS),
                                                         [[1.0100, 1.0641], [0.2040, 0.7057], [3.4989, 2.2427]]),
    "SelfAttention_v2, LLMs from Scratch": (789, lambda: SelfAttention(3, 2)(SENTENCE)[:2],
                                            [[-0.0739, 0.0713], [-0.0748, 0.0703]]),
    "CausalAttention, LLMs from Scratch": (123, lambda: CausalSelfAttention(3, 2, 6, 0.0)(BATCH)[0, [0, 5]],
                                           [[-0.4519, 0.2216], [-0.5299, -0.1081]]),
    "MultiHeadAttentionWrapper, LLMs from Scratch": (
        123, lambda: MultiHeadAttentionWrapper(3, 2, 6, 0.0, num_heads=2)(BATCH)[0, [0, 5]],
        [[-0.4519, 0.2216, 0.4772, 0.1063], [-0.5299, -0.1081, 0.5077, 0.3493]]),
    "MultiHeadAttention, LLMs from Scratch": (123, lambda: MultiHeadAttention(3, 2, 6, 0.0, num_heads=2)(BATCH)[0, [0, 5]],
                                              [[0.3190, 0.4858], [0.2575, 0.4028]]),
    "SelfAttention_v1 (rand matrices), LLMs from Scratch": (123, lambda: _v1_in_linear_layers()(SENTENCE)[:1],
                                                             [[0.2996, 0.8053]]),
    "causal weights of SelfAttention_v2, LLMs from Scratch": (789, lambda: _weights(SelfAttention(3, 2), SENTENCE,
                                                                                    causal_mask(6))[:2, :2],
                                                              [[1.0, 0.0], [0.5517, 0.4483]]),
    "two unmasked heads, Attention in Transformers": (
        42, lambda: torch.cat([head(ENCODINGS) for head in [SelfAttention(2, 2), SelfAttention(2, 2)]], dim=-1)[:1],
        [[1.0100, 1.0641, -0.7081, -0.8268]]),
}


def _v1_in_linear_layers():
    """The book's nn.Parameter(torch.rand(d_in, d_out)) matrices, moved into nn.Linear's (d_out, d_in) layout."""
    matrices = [torch.rand(3, 2) for _ in range(3)]
    attention = SelfAttention(3, 2)
    for layer, matrix in zip((attention.W_query, attention.W_key, attention.W_value), matrices):
        layer.weight.copy_(matrix.T)
    return attention


def _weights(attention, x, mask):
    projected = attention.W_query(x), attention.W_key(x), attention.W_value(x)
    return scaled_dot_product_attention(*projected, mask=mask)[1]


@pytest.mark.parametrize("name", PUBLISHED)
def test_published_numbers(name):
    """Does a seeded construction reproduce what the course printed?"""
    seed, run, printed = PUBLISHED[name]
    torch.manual_seed(seed)
    with torch.no_grad():
        torch.testing.assert_close(run(), torch.tensor(printed), **PRINTED)


def test_every_number_the_notebooks_quote_is_asserted_here():
    """Is every four-decimal number a source notebook's prose quotes one that PUBLISHED reproduces?"""
    asserted = {f"{value:.4f}" for _, _, printed in PUBLISHED.values() for row in printed for value in row}
    quoted = {}
    for path in sorted((Path(__file__).resolve().parents[2] / "source").rglob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "markdown":
                for number in re.findall(r"-?\d+\.\d{4}\b", cell.source):
                    quoted.setdefault(number, path.name)
    assert len(quoted) >= 20, "the notebooks quote the courses' printed numbers"
    missing = {number: name for number, name in quoted.items() if number not in asserted}
    assert not missing, f"quoted in the notebooks but reproduced by no test: {missing}"


def test_gpt2_small_parameter_count():
    """Does MultiHeadAttention at GPT-2 small size hold 2,360,064 parameters (the mask adds none)?"""
    attention = MultiHeadAttention(768, 768, 1024, 0.0, 12)
    assert sum(p.numel() for p in attention.parameters()) == 2_360_064


sizes = st.integers(1, 6)


@settings(max_examples=40, deadline=None)
@given(lead=st.lists(st.integers(1, 3), max_size=2), n_q=sizes, n_k=sizes, d_k=sizes, d_v=sizes, seed=st.integers(0, 2**16))
def test_sdpa_equals_pytorch(lead, n_q, n_k, d_k, d_v, seed):
    """Does scaled_dot_product_attention equal F.scaled_dot_product_attention, whose bool mask means 'may attend'?"""
    generator = torch.Generator().manual_seed(seed)
    q, k, v = (torch.randn(*lead, n, d, generator=generator, dtype=torch.float64)
               for n, d in ((n_q, d_k), (n_k, d_k), (n_k, d_v)))
    blocked = torch.rand(*lead, n_q, n_k, generator=generator) < 0.4
    blocked[..., 0] = False  # rows with every key blocked are unspecified
    context, weights = scaled_dot_product_attention(q, k, v, mask=blocked)
    torch.testing.assert_close(context, F.scaled_dot_product_attention(q, k, v, attn_mask=~blocked))
    torch.testing.assert_close(weights.sum(-1), torch.ones(*lead, n_q, dtype=torch.float64))
    assert weights.masked_select(blocked).eq(0).all()


def _copy_projections(source, target):
    for name in ("W_query", "W_key", "W_value"):
        getattr(target, name).load_state_dict(getattr(source, name).state_dict())


@settings(max_examples=30, deadline=None)
@given(b=st.integers(1, 3), n=sizes, d_in=sizes, d_out=sizes, bias=st.booleans(), seed=st.integers(0, 2**16))
def test_self_attention_equals_pytorch(b, n, d_in, d_out, bias, seed):
    """Does SelfAttention equal F.scaled_dot_product_attention on its projections, batched and unbatched?"""
    torch.manual_seed(seed)
    attention = SelfAttention(d_in, d_out, qkv_bias=bias).double()
    x = torch.randn(b, n, d_in, dtype=torch.float64)
    expected = F.scaled_dot_product_attention(attention.W_query(x), attention.W_key(x), attention.W_value(x))
    torch.testing.assert_close(attention(x), expected)
    torch.testing.assert_close(attention(x[0]), expected[0])


@settings(max_examples=30, deadline=None)
@given(b=st.integers(1, 3), n=st.integers(2, 7), d_in=sizes, d_out=sizes, seed=st.integers(0, 2**16))
def test_causal_with_padding_equals_pytorch(b, n, d_in, d_out, seed):
    """Do causal and padding masks combine as in F.scaled_dot_product_attention with both blocked?"""
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    attention = CausalSelfAttention(d_in, d_out, context_length=n + 2, dropout=0.5).double().eval()
    x = torch.randn(b, n, d_in, generator=generator, dtype=torch.float64)
    padding = torch.rand(b, n, generator=generator) < 0.3
    allowed = ~causal_mask(n) & ~padding.unsqueeze(-2)
    expected = F.scaled_dot_product_attention(attention.W_query(x), attention.W_key(x), attention.W_value(x),
                                              attn_mask=allowed)
    graded = allowed.any(-1)  # rows with every key blocked are unspecified
    torch.testing.assert_close(attention(x, padding)[graded], expected[graded])
    torch.testing.assert_close(attention(x[0], padding[0])[graded[0]], expected[0][graded[0]])


@settings(max_examples=30, deadline=None)
@given(lead=st.lists(st.integers(1, 3), max_size=1), n_q=sizes, n_kv=sizes, d_q=sizes, d_kv=sizes, d_out=sizes,
       seed=st.integers(0, 2**16))
def test_cross_attention_equals_pytorch(lead, n_q, n_kv, d_q, d_kv, d_out, seed):
    """Does CrossAttention take queries from x_q and keys and values from x_kv, with its mask?"""
    torch.manual_seed(seed)
    attention = CrossAttention(d_q, d_kv, d_out, qkv_bias=True).double()
    x_q, x_kv = torch.randn(*lead, n_q, d_q, dtype=torch.float64), torch.randn(*lead, n_kv, d_kv, dtype=torch.float64)
    blocked = torch.rand(*lead, n_q, n_kv) < 0.4
    blocked[..., 0] = False
    expected = F.scaled_dot_product_attention(attention.W_query(x_q), attention.W_key(x_kv), attention.W_value(x_kv),
                                              attn_mask=~blocked)
    torch.testing.assert_close(attention(x_q, x_kv, mask=blocked), expected)


@settings(max_examples=30, deadline=None)
@given(b=st.integers(1, 3), n=st.integers(1, 7), num_heads=st.integers(1, 4), head_dim=st.integers(1, 4),
       bias=st.booleans(), seed=st.integers(0, 2**16))
def test_multi_head_attention_equals_nn_multiheadattention(b, n, num_heads, head_dim, bias, seed):
    """Does MultiHeadAttention equal nn.MultiheadAttention with its weights moved into in_proj_weight and out_proj?"""
    torch.manual_seed(seed)
    d_model = num_heads * head_dim  # nn.MultiheadAttention packs in_proj_weight only when d_in == d_out
    ours = MultiHeadAttention(d_model, d_model, n + 1, 0.0, num_heads, qkv_bias=bias).double()
    theirs = nn.MultiheadAttention(d_model, num_heads, batch_first=True).double()
    projections = (ours.W_query, ours.W_key, ours.W_value)
    with torch.no_grad():
        theirs.in_proj_weight.copy_(torch.cat([layer.weight for layer in projections]))
        theirs.in_proj_bias.copy_(torch.cat([layer.bias if bias else torch.zeros(d_model) for layer in projections]))
        theirs.out_proj.load_state_dict(ours.out_proj.state_dict())
    x = torch.randn(b, n, d_model, dtype=torch.float64)
    expected, _ = theirs(x, x, x, attn_mask=causal_mask(n), need_weights=False)
    torch.testing.assert_close(ours(x), expected)


def test_wrapper_concatenates_its_heads_in_order():
    """Is the wrapper's output its heads' outputs side by side, head 0 first?"""
    torch.manual_seed(0)
    wrapper = MultiHeadAttentionWrapper(4, 3, 5, 0.0, num_heads=3)
    x = torch.randn(2, 5, 4)
    torch.testing.assert_close(wrapper(x), torch.cat([head(x) for head in wrapper.heads], dim=-1))
    assert len({id(head) for head in wrapper.heads}) == 3


@pytest.mark.parametrize("build, call, numbers", [
    (lambda: CausalSelfAttention(4, 3, context_length=5), lambda m: m(torch.randn(2, 6, 4)), ("6", "5")),
    (lambda: CausalSelfAttention(4, 3, context_length=5), lambda m: m(torch.randn(7, 4)), ("7", "5")),
    (lambda: MultiHeadAttention(4, 10, 5, 0.0, num_heads=4), None, ("10", "4")),
])
def test_value_errors_name_both_numbers(build, call, numbers):
    """Do an over-long sequence and an indivisible head count raise ValueError naming both numbers?"""
    with pytest.raises(ValueError) as raised:
        module = build()
        call(module)
    assert all(number in str(raised.value) for number in numbers)


def test_mask_is_a_buffer_that_follows_the_module():
    """Is the causal mask a bool buffer saved in state_dict, not a parameter?"""
    attention = CausalSelfAttention(4, 3, context_length=5)
    assert "mask" in attention.state_dict() and "mask" not in dict(attention.named_parameters())
    assert attention.to(torch.float64).mask.dtype == torch.bool
    assert torch.equal(causal_mask(3), torch.tensor([[False, True, True], [False, False, True], [False, False, False]]))


def test_dropout_acts_on_weights_in_training_only():
    """In eval mode is dropout off, and in training does it zero attention weights (rows keep the value's direction)?"""
    torch.manual_seed(0)
    attention = CausalSelfAttention(3, 4, 8, dropout=0.5, qkv_bias=True).double()
    with torch.no_grad():
        attention.W_value.weight.zero_()
        attention.W_value.bias.copy_(torch.tensor([1.0, -2.0, 3.0, 0.5]))
    x = torch.randn(4, 8, 3, dtype=torch.float64)
    attention.eval()
    torch.testing.assert_close(attention(x), attention(x))
    torch.testing.assert_close(attention(x), attention.W_value.bias.expand(4, 8, 4))  # weights sum to 1
    attention.train()
    out = attention(x)
    scale = out[..., :1] / 1.0
    torch.testing.assert_close(out, scale * attention.W_value.bias)
    assert not torch.allclose(scale, torch.ones_like(scale))
    assert math.isclose(attention.dropout.p, 0.5)
