"""Exercise 5, modelled on lucidrains' code: rotary-embedding-torch (freqs = einsum over t, then
t * freqs.cos() + rotate_half(t) * freqs.sin(); there the pairs are neighbours and freqs are repeated
'(n r)', here the halves, so freqs are concatenated), computed in x's own dtype; a cache of keys and
values kept by torch.cat (x-transformers); kv heads repeated with repeat_interleave (Mistral's
repeat_kv, so query head i reads kv head i // group); the scale applied to q; masked_fill with
-finfo.max. tiled_attention after memory-efficient-attention-pytorch (Rabe & Staats): for each
query chunk, every key chunk is summarised by (exp-weighted values, exp-weight sum, max) and the
summaries are combined with the global max at the end; fully masked chunks are skipped."""
import math

import torch
from torch import nn, einsum

EXERCISE = "modern_attention"


def rotate_half(x):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


def rotary_freqs(positions, dim, theta, dtype):
    freqs = 1. / (theta ** (torch.arange(0, dim, 2, device=positions.device)[:(dim // 2)].to(dtype) / dim))
    freqs = einsum('..., f -> ... f', positions.to(dtype), freqs)
    return torch.cat((freqs, freqs), dim=-1)


def apply_rope(x, positions, base=10000.0):
    positions = torch.as_tensor(positions, device=x.device)
    freqs = rotary_freqs(positions, x.shape[-1], base, x.dtype)
    return x * freqs.cos() + rotate_half(x) * freqs.sin()


def kv_cache_bytes(num_tokens, num_layers, num_kv_heads, head_dim, bytes_per_value=2):
    num_values = num_tokens * num_layers * num_kv_heads * head_dim * 2   # keys and values
    return num_values * bytes_per_value


class GroupedQueryAttention(nn.Module):
    def __init__(self, d_in, d_out, context_length, num_heads, num_kv_heads, qkv_bias=False, rope_base=10000.0):
        super().__init__()
        if d_out % num_heads != 0 or num_heads % num_kv_heads != 0:
            raise ValueError("d_out must divide into num_heads, and num_heads into num_kv_heads")
        self.heads = num_heads
        self.kv_heads = num_kv_heads
        self.dim_head = d_out // num_heads
        self.scale = self.dim_head ** -0.5
        self.context_length = context_length
        self.rope_base = rope_base
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, num_kv_heads * self.dim_head, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, num_kv_heads * self.dim_head, bias=qkv_bias)
        self.out_proj = nn.Linear(d_out, d_out)
        self.cache = None

    def reset_cache(self):
        self.cache = None

    def forward(self, x, use_cache=False):
        b, n, _ = x.shape
        offset = self.cache[0].shape[-2] if (use_cache and self.cache is not None) else 0
        if offset + n > self.context_length:
            raise ValueError("sequence longer than context_length")
        q = self.W_query(x).unflatten(-1, (self.heads, self.dim_head)).transpose(1, 2)
        k = self.W_key(x).unflatten(-1, (self.kv_heads, self.dim_head)).transpose(1, 2)
        v = self.W_value(x).unflatten(-1, (self.kv_heads, self.dim_head)).transpose(1, 2)

        if self.rope_base is not None:
            pos = torch.arange(offset, offset + n, device=x.device)
            q = apply_rope(q, pos, self.rope_base)
            k = apply_rope(k, pos, self.rope_base)

        if use_cache:
            if self.cache is not None:
                ck, cv = self.cache
                k = torch.cat((ck, k), dim=-2)
                v = torch.cat((cv, v), dim=-2)
            self.cache = (k, v)

        repeats = self.heads // self.kv_heads
        k = torch.repeat_interleave(k, repeats=repeats, dim=1)
        v = torch.repeat_interleave(v, repeats=repeats, dim=1)

        q = q * self.scale
        sim = einsum('b h i d, b h j d -> b h i j', q, k)
        i, j = sim.shape[-2:]
        causal = torch.ones((i, j), device=x.device, dtype=torch.bool).triu(j - i + 1)
        sim = sim.masked_fill(causal, -torch.finfo(sim.dtype).max)
        attn = sim.softmax(dim=-1)
        out = einsum('b h i j, b h j d -> b h i d', attn, v)
        out = out.transpose(1, 2).flatten(-2)
        return self.out_proj(out)


def _summarize_chunk(q, k, v, mask):
    weight = einsum('... i d, ... j d -> ... i j', q, k)
    if mask is not None:
        weight = weight.masked_fill(mask, -torch.finfo(weight.dtype).max)
    weight_max = weight.amax(dim=-1, keepdim=True).detach()
    weight = weight - weight_max
    exp_weight = weight.exp()
    weighted_value = einsum('... i j, ... j d -> ... i d', exp_weight, v)
    return weighted_value, exp_weight.sum(dim=-1), weight_max.squeeze(-1)


def tiled_attention(query, key, value, causal=False, block_size=32):
    q_bucket_size = k_bucket_size = block_size
    scale = query.shape[-1] ** -0.5
    query = query * scale
    n_q, n_k = query.shape[-2], key.shape[-2]
    out = []
    for q_start in range(0, n_q, q_bucket_size):
        q_chunk = query[..., q_start:q_start + q_bucket_size, :]
        q_len = q_chunk.shape[-2]
        values, weights, maxes = [], [], []
        for k_start in range(0, n_k, k_bucket_size):
            if causal and k_start > q_start + q_len - 1:
                continue                               # every key after every query of the chunk
            k_chunk = key[..., k_start:k_start + k_bucket_size, :]
            v_chunk = value[..., k_start:k_start + k_bucket_size, :]
            mask = None
            if causal:
                i = torch.arange(q_start, q_start + q_len, device=query.device)[:, None]
                j = torch.arange(k_start, k_start + k_chunk.shape[-2], device=query.device)[None, :]
                mask = j > i
            wv, w, m = _summarize_chunk(q_chunk, k_chunk, v_chunk, mask)
            values.append(wv)
            weights.append(w)
            maxes.append(m)
        exp_values = torch.stack(values, dim=0)
        exp_weights = torch.stack(weights, dim=0)
        chunk_max = torch.stack(maxes, dim=0)
        global_max = chunk_max.amax(dim=0, keepdim=True)
        max_diffs = (chunk_max - global_max).exp()
        exp_values = exp_values * max_diffs[..., None]
        exp_weights = exp_weights * max_diffs
        all_values = exp_values.sum(dim=0)
        all_weights = exp_weights.sum(dim=0)
        out.append(all_values / all_weights[..., None])
    return torch.cat(out, dim=-2)
