"""Modelled on Lightning AI's LitGPT, litgpt/model.py: build_rope_cache, apply_rope, KVCache,
build_mask_cache and CausalSelfAttention's forward and scaled_dot_product_attention
(https://github.com/Lightning-AI/litgpt/blob/main/litgpt/model.py).

Choices that differ from the kit's reference:
- RoPE from a table of cos/sin in float32 (`theta = 1 / base ** (arange(0, n_elem, 2).float() / n_elem)`,
  `outer(seq_idx, theta).repeat(1, 2)`), rows picked with index_select at the tokens' positions; the
  rotation is `x * cos + cat((-x2, x1)) * sin`, cast back to x's dtype;
- the cache is a pair of buffers made in advance, zeros of shape (batch, kv heads, max length, head
  size), filled with `index_copy_` at input_pos; attention runs over the whole buffer, the slots not yet
  written hidden by the mask;
- the mask is a bool lower triangle (True = may attend), `tril(ones(max, max))[None, None]`, whose rows
  are picked at input_pos, given to F.scaled_dot_product_attention as attn_mask; without the cache
  SDPA gets `is_causal=True`;
- kv heads repeated with repeat_interleave, except with one kv head under the cache, where SDPA
  broadcasts it;
- `scale = 1.0 / math.sqrt(head_size)` passed to SDPA; heads merged with `transpose(1, 2).reshape`.
Added to fit the kit's API:
- apply_rope(x, positions, base) builds the table up to max(positions) + 1 and rotates x at those
  rows (LitGPT's own apply_rope(x, cos, sin) is kept as rope_from_cache, and wants a batch axis on x,
  so x without one gets the table without its batch axis);
- the source's single qkv = Linear(n_embd, (n_head + 2 * n_query_groups) * head_size) split by sizes
  becomes W_query, W_key, W_value; proj is renamed out_proj, with its bias;
- the model's tables (cos, sin, mask_cache) and input_pos live in the module; the cache is made at the
  first call with use_cache=True, for that call's batch size and context_length tokens (the source's
  set_kv_cache(batch_size)); reset_cache() is clear_kv_cache; rope_base=None leaves RoPE out;
- ValueErrors for the sizes (the source's Config asserts).
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

EXERCISE = "modern_attention"


def build_rope_cache(seq_len, n_elem, device=None, base=10000):
    theta = 1.0 / (base ** (torch.arange(0, n_elem, 2, device=device).float() / n_elem))
    seq_idx = torch.arange(seq_len, device=device).float()
    idx_theta = torch.outer(seq_idx, theta).repeat(1, 2)
    return torch.cos(idx_theta), torch.sin(idx_theta)


def rope_from_cache(x, cos, sin):
    """x (B, ..., T, head_size); cos, sin (B, T, head_size) or (1, T, head_size)."""
    head_size_half = x.size(-1) // 2
    x1 = x[..., :head_size_half]
    x2 = x[..., head_size_half:]
    rotated = torch.cat((-x2, x1), dim=-1)
    dims_diff = x.dim() - cos.dim()
    if dims_diff > 0:
        new_shape = cos.shape[0:1] + (1,) * dims_diff + cos.shape[1:]
        cos = cos.view(*new_shape)
        sin = sin.view(*new_shape)
    roped = (x * cos) + (rotated * sin)
    return roped.to(dtype=x.dtype)


def apply_rope(x, positions, base=10000.0):
    cos, sin = build_rope_cache(int(positions.max()) + 1, x.size(-1), device=x.device, base=base)
    cos = torch.index_select(cos, 0, positions).unsqueeze(0)
    sin = torch.index_select(sin, 0, positions).unsqueeze(0)
    if x.dim() == 2:  # no batch axis: cos, sin (T, head_size)
        return rope_from_cache(x, cos[0], sin[0])
    return rope_from_cache(x, cos, sin)


def build_mask_cache(max_seq_length, device=None):
    ones = torch.ones((max_seq_length, max_seq_length), device=device, dtype=torch.bool)
    return torch.tril(ones).unsqueeze(0).unsqueeze(0)


class KVCache(nn.Module):
    """Buffers k, v of shape (batch_size, n_query_groups, max_seq_length, head_size)."""

    def __init__(self, k_shape, v_shape, device=None, dtype=None):
        super().__init__()
        self.register_buffer("k", torch.zeros(k_shape, device=device, dtype=dtype), persistent=False)
        self.register_buffer("v", torch.zeros(v_shape, device=device, dtype=dtype), persistent=False)

    def forward(self, input_pos, k, v):
        if self.k.dtype != k.dtype:
            self.k = self.k.to(k.dtype)
        if self.v.dtype != v.dtype:
            self.v = self.v.to(v.dtype)
        bs = k.size(0)
        k = self.k[:bs, ...].index_copy_(-2, input_pos, k)
        v = self.v[:bs, ...].index_copy_(-2, input_pos, v)
        return k, v


class GroupedQueryAttention(nn.Module):
    def __init__(self, d_in, d_out, context_length, num_heads, num_kv_heads, qkv_bias=False, rope_base=10000.0):
        super().__init__()
        if d_out % num_heads != 0:
            raise ValueError("n_embd must be a multiple of n_head")
        if num_heads % num_kv_heads != 0:
            raise ValueError("n_head must be a multiple of n_query_groups")
        self.n_head = num_heads
        self.n_query_groups = num_kv_heads
        self.head_size = d_out // num_heads
        self.max_seq_length = context_length
        self.rope_base = rope_base

        self.W_query = nn.Linear(d_in, num_heads * self.head_size, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, num_kv_heads * self.head_size, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, num_kv_heads * self.head_size, bias=qkv_bias)
        self.out_proj = nn.Linear(num_heads * self.head_size, d_out)

        if rope_base is not None:
            cos, sin = build_rope_cache(context_length, self.head_size, base=rope_base)
            self.register_buffer("cos", cos, persistent=False)
            self.register_buffer("sin", sin, persistent=False)
        self.register_buffer("mask_cache", build_mask_cache(context_length), persistent=False)
        self.reset_cache()

    def reset_cache(self):
        self.kv_cache = None
        self.next_pos = 0

    def forward(self, x, use_cache=False):
        B, T, C = x.size()
        head_size, n_head, n_query_groups = self.head_size, self.n_head, self.n_query_groups

        if use_cache:
            if self.kv_cache is None:
                shape = (B, n_query_groups, self.max_seq_length, head_size)
                self.kv_cache = KVCache(shape, shape, device=x.device, dtype=x.dtype)
            input_pos = torch.arange(self.next_pos, self.next_pos + T, device=x.device)
            self.next_pos += T
            mask = torch.index_select(self.mask_cache, 2, input_pos)
        else:
            input_pos = None
            mask = None

        q = self.W_query(x).view(B, T, n_head, head_size).transpose(1, 2)  # (B, nh_q, T, hs)
        k = self.W_key(x).view(B, T, n_query_groups, head_size).transpose(1, 2)  # (B, nh_k, T, hs)
        v = self.W_value(x).view(B, T, n_query_groups, head_size).transpose(1, 2)  # (B, nh_v, T, hs)

        if self.rope_base is not None:
            if input_pos is None:
                cos, sin = self.cos[:T].unsqueeze(0), self.sin[:T].unsqueeze(0)
            else:
                cos = torch.index_select(self.cos, 0, input_pos).unsqueeze(0)
                sin = torch.index_select(self.sin, 0, input_pos).unsqueeze(0)
            q = rope_from_cache(q, cos, sin)
            k = rope_from_cache(k, cos, sin)

        if input_pos is not None:
            k, v = self.kv_cache(input_pos, k, v)

        if n_query_groups != n_head and (input_pos is None or n_query_groups != 1):
            q_per_kv = n_head // n_query_groups
            k = k.repeat_interleave(q_per_kv, dim=1)  # (B, nh_q, T, hs)
            v = v.repeat_interleave(q_per_kv, dim=1)

        scale = 1.0 / math.sqrt(head_size)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=0.0, scale=scale, is_causal=mask is None)
        y = y.transpose(1, 2)

        y = y.reshape(B, T, head_size * n_head)
        return self.out_proj(y)
