"""Exercise 5, ported from torchtune: RotaryPositionalEmbeddings (theta table in float32, a cos/sin
cache indexed by input_pos, x.float() and type_as(x) at the end; torchtune pairs neighbours, here the
exercise's halves), KVCache (key/value buffers made in advance, (b, kv_heads, max_seq_len, head_dim),
a cache_pos written with index_copy-style assignment, reset() zeroes them; update() returns the whole
buffer and the mask blocks the unfilled slots), kv heads expanded with unsqueeze/expand/flatten, and
F.scaled_dot_product_attention. tiled_attention: a FlashAttention-2 style loop (query blocks outside,
key blocks inside, running max and sum, rescaled accumulator)."""
import math

import torch
from torch import nn
import torch.nn.functional as F

EXERCISE = "modern_attention"


def _rope_cache(max_pos, dim, base, device):
    theta = 1.0 / (base ** (torch.arange(0, dim, 2, device=device)[: (dim // 2)].float() / dim))
    seq_idx = torch.arange(max_pos, dtype=theta.dtype, device=device)
    idx_theta = torch.einsum("i, j -> ij", seq_idx, theta).float()
    return torch.stack([torch.cos(idx_theta), torch.sin(idx_theta)], dim=-1)   # (max_pos, dim/2, 2)


def apply_rope(x, positions, base=10000.0):
    head_dim = x.shape[-1]
    positions = torch.as_tensor(positions, device=x.device).long()
    cache = _rope_cache(int(positions.max()) + 1, head_dim, base, x.device)
    rope_cache = cache[positions]                                  # (n, dim/2, 2)
    half = head_dim // 2
    x1 = x[..., :half].float()
    x2 = x[..., half:].float()
    cos, sin = rope_cache[..., 0], rope_cache[..., 1]
    out1 = x1 * cos - x2 * sin
    out2 = x2 * cos + x1 * sin
    x_out = torch.cat([out1, out2], dim=-1)
    return x_out.type_as(x)


def kv_cache_bytes(num_tokens, num_layers, num_kv_heads, head_dim, bytes_per_value=2):
    # k and v: 2 buffers of (num_tokens, num_kv_heads, head_dim) per layer
    return int(2 * num_layers * num_tokens * num_kv_heads * head_dim * bytes_per_value)


class KVCache(nn.Module):
    def __init__(self, batch_size, max_seq_len, num_kv_heads, head_dim, dtype, device=None):
        super().__init__()
        cache_shape = (batch_size, num_kv_heads, max_seq_len, head_dim)
        self.register_buffer("k_cache", torch.zeros(cache_shape, dtype=dtype, device=device), persistent=False)
        self.register_buffer("v_cache", torch.zeros(cache_shape, dtype=dtype, device=device), persistent=False)
        self.register_buffer("cache_pos", torch.arange(0, max_seq_len, device=device), persistent=False)
        self.batch_size = batch_size

    def reset(self):
        self.k_cache.zero_()
        self.v_cache.zero_()
        self.cache_pos -= self.size

    @property
    def size(self):
        return int(self.cache_pos[0].item())

    def update(self, k_val, v_val):
        bsz, _, seq_len, _ = k_val.shape
        if bsz > self.k_cache.shape[0]:
            raise ValueError("batch larger than the cache")
        if self.size + seq_len > self.k_cache.shape[2]:
            raise ValueError("the cache is full: context_length reached")
        k_out = self.k_cache
        v_out = self.v_cache
        k_out[:, :, self.cache_pos[:seq_len]] = k_val
        v_out[:, :, self.cache_pos[:seq_len]] = v_val
        self.cache_pos.add_(seq_len)
        return k_out, v_out


class GroupedQueryAttention(nn.Module):
    def __init__(self, d_in, d_out, context_length, num_heads, num_kv_heads, qkv_bias=False, rope_base=10000.0):
        super().__init__()
        if d_out % num_heads != 0:
            raise ValueError(f"d_out ({d_out}) must be divisible by num_heads ({num_heads})")
        if num_heads % num_kv_heads != 0:
            raise ValueError(f"num_heads ({num_heads}) must be divisible by num_kv_heads ({num_kv_heads})")
        self.num_heads = num_heads
        self.num_kv_heads = num_kv_heads
        self.head_dim = d_out // num_heads
        self.max_seq_len = context_length
        self.rope_base = rope_base
        self.W_query = nn.Linear(d_in, num_heads * self.head_dim, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, num_kv_heads * self.head_dim, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, num_kv_heads * self.head_dim, bias=qkv_bias)
        self.out_proj = nn.Linear(d_out, d_out)
        self.kv_cache = None

    def setup_cache(self, batch_size, dtype, device):
        self.kv_cache = KVCache(batch_size, self.max_seq_len, self.num_kv_heads, self.head_dim, dtype, device)

    def reset_cache(self):
        if self.kv_cache is not None:
            self.kv_cache.reset()

    def forward(self, x, use_cache=False):
        b, s_x, _ = x.shape
        if use_cache:
            if (self.kv_cache is None or self.kv_cache.batch_size != b
                    or self.kv_cache.k_cache.dtype != x.dtype or self.kv_cache.k_cache.device != x.device):
                self.setup_cache(b, x.dtype, x.device)
            start = self.kv_cache.size
        else:
            start = 0
        if start + s_x > self.max_seq_len:
            raise ValueError("sequence longer than context_length")
        input_pos = torch.arange(start, start + s_x, device=x.device)

        q = self.W_query(x).view(b, s_x, self.num_heads, self.head_dim).transpose(1, 2)
        k = self.W_key(x).view(b, s_x, self.num_kv_heads, self.head_dim).transpose(1, 2)
        v = self.W_value(x).view(b, s_x, self.num_kv_heads, self.head_dim).transpose(1, 2)
        if self.rope_base is not None:
            q = apply_rope(q, input_pos, self.rope_base)
            k = apply_rope(k, input_pos, self.rope_base)

        if use_cache:
            k, v = self.kv_cache.update(k, v)
            key_pos = torch.arange(k.shape[2], device=x.device)
            mask = key_pos[None, :] <= input_pos[:, None]          # True = may attend (SDPA's convention)
            is_causal = False
        else:
            mask = None
            is_causal = True

        if self.num_heads != self.num_kv_heads:
            q_per_kv = self.num_heads // self.num_kv_heads
            expand_shape = (b, self.num_kv_heads, q_per_kv, -1, self.head_dim)
            k = k.unsqueeze(2).expand(expand_shape).flatten(1, 2)
            v = v.unsqueeze(2).expand(expand_shape).flatten(1, 2)

        output = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=is_causal)
        output = output.transpose(1, 2).contiguous().view(b, s_x, -1)
        return self.out_proj(output)


def tiled_attention(query, key, value, causal=False, block_size=32):
    n_q, d = query.shape[-2], query.shape[-1]
    n_k = key.shape[-2]
    scale = 1.0 / math.sqrt(d)
    out = torch.empty(*query.shape[:-1], value.shape[-1], dtype=query.dtype, device=query.device)
    for q_start in range(0, n_q, block_size):
        q_end = min(q_start + block_size, n_q)
        q_blk = query[..., q_start:q_end, :] * scale
        m_i = torch.full((*query.shape[:-2], q_end - q_start, 1), float("-inf"), dtype=query.dtype, device=query.device)
        l_i = torch.zeros_like(m_i)
        acc = torch.zeros(*query.shape[:-2], q_end - q_start, value.shape[-1], dtype=query.dtype, device=query.device)
        k_stop = min(n_k, q_end) if causal else n_k
        for k_start in range(0, k_stop, block_size):
            k_end = min(k_start + block_size, n_k)
            s = q_blk @ key[..., k_start:k_end, :].transpose(-2, -1)
            if causal and k_end - 1 > q_start:
                rows = torch.arange(q_start, q_end, device=query.device)[:, None]
                cols = torch.arange(k_start, k_end, device=query.device)[None, :]
                s = s.masked_fill(cols > rows, float("-inf"))
            m_new = torch.maximum(m_i, s.amax(dim=-1, keepdim=True))
            p = torch.exp(s - m_new)
            alpha = torch.exp(m_i - m_new)
            l_i = alpha * l_i + p.sum(dim=-1, keepdim=True)
            acc = alpha * acc + p @ value[..., k_start:k_end, :]
            m_i = m_new
        out[..., q_start:q_end, :] = acc / l_i
    return out
