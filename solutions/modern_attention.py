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
    ### BEGIN SOLUTION
    half = x.shape[-1] // 2
    frequencies = base ** (-2.0 * torch.arange(half, dtype=torch.float64, device=x.device) / x.shape[-1])
    angles = positions.to(torch.float64).unsqueeze(-1) * frequencies  # (n, half)
    cos, sin = angles.cos().to(x.dtype), angles.sin().to(x.dtype)
    first, second = x[..., :half], x[..., half:]  # the two members of every pair
    return torch.cat([first * cos - second * sin, first * sin + second * cos], dim=-1)
    ### END SOLUTION


def kv_cache_bytes(num_tokens, num_layers, num_kv_heads, head_dim, bytes_per_value=2):
    """Bytes a key-value cache holds for num_tokens tokens of one sequence (2 bytes a value in float16)."""
    ### BEGIN SOLUTION
    per_token = 2 * num_layers * num_kv_heads * head_dim * bytes_per_value  # a key and a value per layer and head
    return per_token * num_tokens
    ### END SOLUTION


class GroupedQueryAttention(nn.Module):
    """Causal attention with num_kv_heads key/value heads shared by num_heads query heads, RoPE and a KV cache."""

    def __init__(self, d_in, d_out, context_length, num_heads, num_kv_heads, qkv_bias=False, rope_base=10000.0):
        super().__init__()
        ### BEGIN SOLUTION
        if d_out % num_heads != 0:
            raise ValueError(f"d_out ({d_out}) must be divisible by num_heads ({num_heads})")
        if num_heads % num_kv_heads != 0:
            raise ValueError(f"num_heads ({num_heads}) must be divisible by num_kv_heads ({num_kv_heads})")
        self.num_heads, self.num_kv_heads = num_heads, num_kv_heads
        self.head_dim = d_out // num_heads
        self.context_length = context_length
        self.rope_base = rope_base
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, num_kv_heads * self.head_dim, bias=qkv_bias)  # one key per kv head
        self.W_value = nn.Linear(d_in, num_kv_heads * self.head_dim, bias=qkv_bias)
        self.out_proj = nn.Linear(d_out, d_out)
        self.reset_cache()
        ### END SOLUTION

    def reset_cache(self):
        """Forget the cached keys and values: the next call with use_cache=True starts at position 0."""
        ### BEGIN SOLUTION
        self.cache_k = self.cache_v = None
        ### END SOLUTION

    def forward(self, x, use_cache=False):
        """(b, n, d_in) -> (b, n, d_out). With use_cache, the tokens follow those cached since reset_cache() (same
        batch size); without it, x alone from position 0, the cache neither read nor changed."""
        ### BEGIN SOLUTION
        b, n, _ = x.shape
        h, g, hd = self.num_heads, self.num_kv_heads, self.head_dim
        start = self.cache_k.shape[-2] if use_cache and self.cache_k is not None else 0
        if start + n > self.context_length:
            raise ValueError(f"{start + n} tokens do not fit in context_length {self.context_length}")
        positions = torch.arange(start, start + n, device=x.device)
        queries = self.W_query(x).view(b, n, h, hd).transpose(1, 2)  # (b, h, n, hd)
        keys = self.W_key(x).view(b, n, g, hd).transpose(1, 2)  # (b, g, n, hd)
        values = self.W_value(x).view(b, n, g, hd).transpose(1, 2)  # (b, g, n, hd)
        if self.rope_base is not None:
            queries = apply_rope(queries, positions, self.rope_base)
            keys = apply_rope(keys, positions, self.rope_base)
        if use_cache:
            if self.cache_k is not None:
                keys = torch.cat([self.cache_k, keys], dim=-2)  # (b, g, start + n, hd)
                values = torch.cat([self.cache_v, values], dim=-2)
            self.cache_k, self.cache_v = keys, values
        # query head i reads key/value head i // (h // g): each kv head serves h // g neighbouring query heads
        keys = keys.repeat_interleave(h // g, dim=1)  # (b, h, start + n, hd)
        values = values.repeat_interleave(h // g, dim=1)
        scores = queries @ keys.transpose(-2, -1) / math.sqrt(hd)  # (b, h, n, start + n)
        # new token t sits at position start + t: it sees every cached key and the new ones up to itself
        blocked = torch.ones(n, start + n, dtype=torch.bool, device=x.device).triu(diagonal=start + 1)
        scores = scores.masked_fill(blocked, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        context = (weights @ values).transpose(1, 2).reshape(b, n, h * hd)
        return self.out_proj(context)
        ### END SOLUTION


def tiled_attention(query, key, value, causal=False, block_size=32):
    """softmax(QKᵀ/√d_k)V, block by block: query (..., n_q, d_k), key (..., n_k, d_k), value (..., n_k, d_v)
    -> (..., n_q, d_v). causal: query i sees keys 0 … i (as F.scaled_dot_product_attention(is_causal=True))."""
    ### BEGIN SOLUTION
    n_q, n_k = query.shape[-2], key.shape[-2]
    scale = 1 / math.sqrt(query.shape[-1])
    blocks = []
    for q_start in range(0, n_q, block_size):
        q = query[..., q_start:q_start + block_size, :] * scale  # (..., bq, d_k)
        rows = torch.arange(q_start, q_start + q.shape[-2], device=query.device).unsqueeze(-1)  # (bq, 1)
        running_max = torch.full((*q.shape[:-1], 1), float("-inf"), dtype=q.dtype, device=q.device)
        running_sum = torch.zeros_like(running_max)  # Σ exp(score - running_max) over the keys seen
        accumulated = torch.zeros(*q.shape[:-1], value.shape[-1], dtype=q.dtype, device=q.device)
        for k_start in range(0, n_k, block_size):
            if causal and k_start > q_start + q.shape[-2] - 1:
                break  # this block and the ones after it lie wholly after every query of the block
            k = key[..., k_start:k_start + block_size, :]
            v = value[..., k_start:k_start + block_size, :]
            scores = q @ k.transpose(-2, -1)  # (..., bq, bk): the only scores held at once
            if causal:
                columns = torch.arange(k_start, k_start + k.shape[-2], device=query.device)
                scores = scores.masked_fill(columns > rows, float("-inf"))
            new_max = torch.maximum(running_max, scores.amax(dim=-1, keepdim=True))
            correction = torch.exp(running_max - new_max)  # what the old terms are worth against the new max
            probabilities = torch.exp(scores - new_max)
            running_sum = running_sum * correction + probabilities.sum(dim=-1, keepdim=True)
            accumulated = accumulated * correction + probabilities @ v
            running_max = new_max
        blocks.append(accumulated / running_sum)
    return torch.cat(blocks, dim=-2)
    ### END SOLUTION
