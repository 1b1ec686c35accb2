"""Exercise 5 written otherwise than the reference, correctly: RoPE by complex multiplication, a cache kept
in buffers made in advance, key/value heads repeated by expand and reshape, tiles over keys only with
every query at once."""
import torch
import torch.nn.functional as F
from torch import nn


def apply_rope(x, positions, base=10000.0):
    half = x.shape[-1] // 2
    inverse = 1.0 / base ** (torch.arange(0, x.shape[-1], 2, dtype=torch.float64) / x.shape[-1])
    turns = torch.polar(torch.ones(len(positions), half, dtype=torch.float64), torch.outer(positions.double(), inverse))
    paired = torch.complex(x[..., :half].double(), x[..., half:].double()) * turns
    return torch.cat([paired.real, paired.imag], dim=-1).to(x.dtype)


def kv_cache_bytes(num_tokens, num_layers, num_kv_heads, head_dim, bytes_per_value=2):
    keys = values = num_tokens * num_layers * num_kv_heads * head_dim * bytes_per_value
    return int(keys + values)


class GroupedQueryAttention(nn.Module):
    def __init__(self, d_in, d_out, context_length, num_heads, num_kv_heads, qkv_bias=False, rope_base=10000.0):
        super().__init__()
        if d_out % num_heads or num_heads % num_kv_heads:
            raise ValueError("num_heads must divide d_out and num_kv_heads must divide num_heads")
        self.heads, self.kv_heads, self.size = num_heads, num_kv_heads, d_out // num_heads
        self.context_length, self.base = context_length, rope_base
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, num_kv_heads * self.size, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, num_kv_heads * self.size, bias=qkv_bias)
        self.out_proj = nn.Linear(d_out, d_out)
        self.register_buffer("k_buffer", None, persistent=False)
        self.register_buffer("v_buffer", None, persistent=False)
        self.filled = 0

    def reset_cache(self):
        self.filled = 0

    def forward(self, x, use_cache=False):
        b, n, _ = x.shape
        offset = self.filled if use_cache else 0
        if offset + n > self.context_length:
            raise ValueError("too many tokens for the context")
        where = torch.arange(offset, offset + n)
        q = self.W_query(x).unflatten(-1, (self.heads, self.size)).permute(0, 2, 1, 3)
        k = self.W_key(x).unflatten(-1, (self.kv_heads, self.size)).permute(0, 2, 1, 3)
        v = self.W_value(x).unflatten(-1, (self.kv_heads, self.size)).permute(0, 2, 1, 3)
        if self.base is not None:
            q, k = apply_rope(q, where, self.base), apply_rope(k, where, self.base)
        if use_cache:
            if self.k_buffer is None or self.filled == 0 or self.k_buffer.shape[0] != b:
                shape = (b, self.kv_heads, self.context_length, self.size)
                self.k_buffer = torch.zeros(shape, dtype=k.dtype)
                self.v_buffer = torch.zeros(shape, dtype=v.dtype)
            self.k_buffer[:, :, offset:offset + n] = k
            self.v_buffer[:, :, offset:offset + n] = v
            self.filled = offset + n
            k, v = self.k_buffer[:, :, :self.filled], self.v_buffer[:, :, :self.filled]
        group = self.heads // self.kv_heads
        k = k[:, :, None].expand(-1, -1, group, -1, -1).reshape(b, self.heads, -1, self.size)
        v = v[:, :, None].expand(-1, -1, group, -1, -1).reshape(b, self.heads, -1, self.size)
        allowed = torch.arange(k.shape[-2]) <= where.unsqueeze(-1)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed)
        return self.out_proj(out.permute(0, 2, 1, 3).flatten(-2))


def tiled_attention(query, key, value, causal=False, block_size=32):
    scale = query.shape[-1] ** -0.5
    best = torch.full(query.shape[:-1], float("-inf"), dtype=query.dtype)
    total = torch.zeros(query.shape[:-1], dtype=query.dtype)
    out = torch.zeros(*query.shape[:-1], value.shape[-1], dtype=query.dtype)
    rows = torch.arange(query.shape[-2])
    for start in range(0, key.shape[-2], block_size):
        stop = min(start + block_size, key.shape[-2])
        scores = torch.einsum("...qd,...kd->...qk", query, key[..., start:stop, :]) * scale
        if causal:
            scores = torch.where(torch.arange(start, stop) <= rows[:, None], scores, float("-inf"))
        top = torch.maximum(best, scores.amax(-1))
        keep = torch.exp(best - top).nan_to_num(0.0)  # rows that have seen no key yet keep nothing
        weights = torch.exp(scores - top.unsqueeze(-1)).nan_to_num(0.0)
        total = total * keep + weights.sum(-1)
        out = out * keep.unsqueeze(-1) + torch.einsum("...qk,...kd->...qd", weights, value[..., start:stop, :])
        best = top
    return out / total.unsqueeze(-1)
