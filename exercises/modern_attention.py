"""Exercise 5: attention as current language models run it.

apply_rope rotates queries and keys by their position, so that positions reach a score only through how
far apart two tokens are. kv_cache_bytes counts what a key-value cache costs. GroupedQueryAttention lets groups of
query heads share one key/value head, applies RoPE, and keeps a cache for decoding token by token.
tiled_attention computes exact attention block by block with an online softmax, never holding the
n × n scores: the algorithm of FlashAttention, written in plain PyTorch.
"""
import math

import torch
from torch import nn


def apply_rope(x, positions, base=10000.0):
    """Rotary position embedding: (..., n, head_dim) with head_dim even, positions (n,) -> the same shape.

    Feature i and feature i + head_dim/2 form a pair, rotated by the angle positions * base**(-2i/head_dim).
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def kv_cache_bytes(num_tokens, num_layers, num_kv_heads, head_dim, bytes_per_value=2):
    """Bytes a key-value cache holds for num_tokens tokens of one sequence (2 bytes a value in float16)."""
    # YOUR CODE HERE
    raise NotImplementedError()


class GroupedQueryAttention(nn.Module):
    """Causal attention with num_kv_heads key/value heads shared by num_heads query heads, RoPE and a KV cache."""

    def __init__(self, d_in, d_out, context_length, num_heads, num_kv_heads, qkv_bias=False, rope_base=10000.0):
        super().__init__()
        # YOUR CODE HERE
        raise NotImplementedError()

    def reset_cache(self):
        """Forget the cached keys and values: the next call with use_cache=True starts at position 0."""
        # YOUR CODE HERE
        raise NotImplementedError()

    def forward(self, x, use_cache=False):
        """(b, n, d_in) -> (b, n, d_out). With use_cache, the tokens follow those cached since reset_cache() (same
        batch size); without it, x alone from position 0, the cache neither read nor changed."""
        # YOUR CODE HERE
        raise NotImplementedError()


def tiled_attention(query, key, value, causal=False, block_size=32):
    """softmax(QKᵀ/√d_k)V, block by block: query (..., n_q, d_k), key (..., n_k, d_k), value (..., n_k, d_v)
    -> (..., n_q, d_v). causal: query i sees keys 0 … i (as F.scaled_dot_product_attention(is_causal=True))."""
    # YOUR CODE HERE
    raise NotImplementedError()
