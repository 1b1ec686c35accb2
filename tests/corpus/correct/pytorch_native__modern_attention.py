"""Exercise 5 with today's PyTorch idioms: F.scaled_dot_product_attention(..., enable_gqa=True) (query
head i reads kv head i // group), an explicit bool mask for cached decoding, a cache kept by torch.cat,
RoPE with cos/sin in the input's dtype (rotate-half). tiled_attention merges per-block results through
their log-sum-exp, as ring-attention / xformers' merge_attentions do: out = Σ_j exp(lse_j - lse) out_j,
accumulated block by block (query blocks outside, key blocks inside)."""
import math

import torch
from torch import nn
import torch.nn.functional as F

EXERCISE = "modern_attention"


def apply_rope(x, positions, base=10000.0):
    d = x.shape[-1]
    inv_freq = base ** (-torch.arange(0, d, 2, dtype=x.dtype, device=x.device) / d)
    ang = positions.to(x.dtype)[:, None] * inv_freq[None, :]
    cos, sin = ang.cos(), ang.sin()
    x1, x2 = x[..., : d // 2], x[..., d // 2:]
    return torch.cat((x1 * cos - x2 * sin, x2 * cos + x1 * sin), dim=-1)


def kv_cache_bytes(num_tokens, num_layers, num_kv_heads, head_dim, bytes_per_value=2):
    return 2 * num_layers * num_kv_heads * head_dim * num_tokens * bytes_per_value


class GroupedQueryAttention(nn.Module):
    def __init__(self, d_in, d_out, context_length, num_heads, num_kv_heads, qkv_bias=False, rope_base=10000.0):
        super().__init__()
        if d_out % num_heads or num_heads % num_kv_heads:
            raise ValueError("bad head counts")
        self.h, self.kv, self.hd = num_heads, num_kv_heads, d_out // num_heads
        self.context_length, self.rope_base = context_length, rope_base
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, num_kv_heads * self.hd, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, num_kv_heads * self.hd, bias=qkv_bias)
        self.out_proj = nn.Linear(d_out, d_out)
        self.k_cache = self.v_cache = None

    def reset_cache(self):
        self.k_cache = self.v_cache = None

    def forward(self, x, use_cache=False):
        b, n, _ = x.shape
        past = self.k_cache.shape[-2] if (use_cache and self.k_cache is not None) else 0
        if past + n > self.context_length:
            raise ValueError("longer than context_length")
        q = self.W_query(x).view(b, n, self.h, self.hd).transpose(1, 2)
        k = self.W_key(x).view(b, n, self.kv, self.hd).transpose(1, 2)
        v = self.W_value(x).view(b, n, self.kv, self.hd).transpose(1, 2)
        pos = torch.arange(past, past + n, device=x.device)
        if self.rope_base is not None:
            q, k = apply_rope(q, pos, self.rope_base), apply_rope(k, pos, self.rope_base)
        if use_cache:
            if self.k_cache is not None:
                k = torch.cat([self.k_cache, k], dim=2)
                v = torch.cat([self.v_cache, v], dim=2)
            self.k_cache, self.v_cache = k, v
        allowed = torch.arange(k.shape[2], device=x.device)[None, :] <= pos[:, None]
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed, enable_gqa=True)
        return self.out_proj(y.transpose(1, 2).reshape(b, n, self.h * self.hd))


def _block(q, k, v, scale, mask):
    s = (q @ k.transpose(-2, -1)) * scale
    if mask is not None:
        s = s.masked_fill(mask, float("-inf"))
    lse = torch.logsumexp(s, dim=-1, keepdim=True)
    return torch.exp(s - lse) @ v, lse


def tiled_attention(query, key, value, causal=False, block_size=32):
    n_q, n_k = query.shape[-2], key.shape[-2]
    scale = query.shape[-1] ** -0.5
    outs = []
    for i in range(0, n_q, block_size):
        q = query[..., i:i + block_size, :]
        rows = torch.arange(i, i + q.shape[-2], device=query.device)[:, None]
        out, lse = None, None
        for j in range(0, n_k, block_size):
            if causal and j > i + q.shape[-2] - 1:
                break
            k, v = key[..., j:j + block_size, :], value[..., j:j + block_size, :]
            mask = None
            if causal:
                mask = torch.arange(j, j + k.shape[-2], device=query.device)[None, :] > rows
            o_j, lse_j = _block(q, k, v, scale, mask)
            if out is None:
                out, lse = o_j, lse_j
            else:
                new_lse = torch.logaddexp(lse, lse_j)
                # rows with nothing visible in this block have lse_j = -inf: their weight is exp(-inf) = 0
                w_old = torch.exp(lse - new_lse)
                w_new = torch.exp(lse_j - new_lse)
                o_j = torch.nan_to_num(o_j)
                out = out * w_old + o_j * w_new
                lse = new_lse
        outs.append(out)
    return torch.cat(outs, dim=-2)
