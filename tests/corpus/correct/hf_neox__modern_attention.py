"""Exercise 5, ported from Hugging Face's GPT-NeoX / Llama modelling code: rotate_half, a rotary
embedding whose inv_freq and angles are float32 (emb = cat(freqs, freqs)), cos and sin cast to
x.dtype, q * cos + rotate_half(q) * sin; a DynamicCache (torch.cat along the sequence); repeat_kv by
expand + reshape; eager_attention_forward (matmul * scaling, an additive finfo(dtype).min causal mask
built from cache_position, softmax(dtype=float32).to(query.dtype)). tiled_attention in the style of
Triton's fused-attention tutorial: exp2 with log2(e) folded into the scale, the off-diagonal blocks
without a mask, then the diagonal blocks with one."""
import math

import torch
from torch import nn

EXERCISE = "modern_attention"


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2 :]
    return torch.cat((-x2, x1), dim=-1)


def _cos_sin(positions, dim, base, dtype, device):
    inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64, device=device).float() / dim))
    position_ids = positions[None, :].float()                              # (1, n)
    inv_freq_expanded = inv_freq[None, :, None].float()                    # (1, dim/2, 1)
    freqs = (inv_freq_expanded @ position_ids[:, None, :]).transpose(1, 2)  # (1, n, dim/2)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos = emb.cos()
    sin = emb.sin()
    return cos[0].to(dtype=dtype), sin[0].to(dtype=dtype)


def apply_rope(x, positions, base=10000.0):
    positions = torch.as_tensor(positions, device=x.device)
    cos, sin = _cos_sin(positions, x.shape[-1], base, x.dtype, x.device)
    return (x * cos) + (rotate_half(x) * sin)


def kv_cache_bytes(num_tokens, num_layers, num_kv_heads, head_dim, bytes_per_value=2):
    return 2 * num_tokens * num_layers * num_kv_heads * head_dim * bytes_per_value


def repeat_kv(hidden_states, n_rep):
    batch, num_key_value_heads, slen, head_dim = hidden_states.shape
    if n_rep == 1:
        return hidden_states
    hidden_states = hidden_states[:, :, None, :, :].expand(batch, num_key_value_heads, n_rep, slen, head_dim)
    return hidden_states.reshape(batch, num_key_value_heads * n_rep, slen, head_dim)


class GroupedQueryAttention(nn.Module):
    def __init__(self, d_in, d_out, context_length, num_heads, num_kv_heads, qkv_bias=False, rope_base=10000.0):
        super().__init__()
        if d_out % num_heads != 0:
            raise ValueError("hidden_size must be divisible by num_attention_heads")
        if num_heads % num_kv_heads != 0:
            raise ValueError("num_attention_heads must be divisible by num_key_value_heads")
        self.head_dim = d_out // num_heads
        self.num_heads = num_heads
        self.num_key_value_heads = num_kv_heads
        self.num_key_value_groups = num_heads // num_kv_heads
        self.scaling = self.head_dim ** -0.5
        self.max_position_embeddings = context_length
        self.rope_theta = rope_base
        self.W_query = nn.Linear(d_in, num_heads * self.head_dim, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, num_kv_heads * self.head_dim, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, num_kv_heads * self.head_dim, bias=qkv_bias)
        self.out_proj = nn.Linear(d_out, d_out)
        self.key_cache = None
        self.value_cache = None

    def reset_cache(self):
        self.key_cache = None
        self.value_cache = None

    def get_seq_length(self):
        return 0 if self.key_cache is None else self.key_cache.shape[-2]

    def forward(self, x, use_cache=False):
        input_shape = x.shape[:-1]
        hidden_shape = (*input_shape, -1, self.head_dim)
        past_seen_tokens = self.get_seq_length() if use_cache else 0
        q_len = x.shape[1]
        if past_seen_tokens + q_len > self.max_position_embeddings:
            raise ValueError("sequence longer than context_length")
        cache_position = torch.arange(past_seen_tokens, past_seen_tokens + q_len, device=x.device)

        query_states = self.W_query(x).view(hidden_shape).transpose(1, 2)
        key_states = self.W_key(x).view(hidden_shape).transpose(1, 2)
        value_states = self.W_value(x).view(hidden_shape).transpose(1, 2)

        if self.rope_theta is not None:
            cos, sin = _cos_sin(cache_position, self.head_dim, self.rope_theta, x.dtype, x.device)
            query_states = (query_states * cos) + (rotate_half(query_states) * sin)
            key_states = (key_states * cos) + (rotate_half(key_states) * sin)

        if use_cache:
            if self.key_cache is not None:
                key_states = torch.cat([self.key_cache, key_states], dim=-2)
                value_states = torch.cat([self.value_cache, value_states], dim=-2)
            self.key_cache, self.value_cache = key_states, value_states

        target_length = key_states.shape[-2]
        min_dtype = torch.finfo(x.dtype).min
        causal_mask = torch.full((q_len, target_length), fill_value=min_dtype, dtype=x.dtype, device=x.device)
        causal_mask = torch.triu(causal_mask, diagonal=1)
        causal_mask = causal_mask * (torch.arange(target_length, device=x.device) > cache_position.reshape(-1, 1))

        key_states = repeat_kv(key_states, self.num_key_value_groups)
        value_states = repeat_kv(value_states, self.num_key_value_groups)
        attn_weights = torch.matmul(query_states, key_states.transpose(2, 3)) * self.scaling
        attn_weights = attn_weights + causal_mask[None, None, :, :]
        attn_weights = nn.functional.softmax(attn_weights, dim=-1, dtype=torch.float32).to(query_states.dtype)
        attn_output = torch.matmul(attn_weights, value_states)
        attn_output = attn_output.transpose(1, 2).contiguous()
        attn_output = attn_output.reshape(*input_shape, -1).contiguous()
        return self.out_proj(attn_output)


def tiled_attention(query, key, value, causal=False, block_size=32):
    BLOCK_M = BLOCK_N = block_size
    n_ctx_q, head_dim = query.shape[-2], query.shape[-1]
    n_ctx_k = key.shape[-2]
    sm_scale = 1.0 / math.sqrt(head_dim)
    qk_scale = sm_scale * 1.44269504   # 1/ln(2): exp(x) = exp2(x * log2(e))
    out = torch.empty(*query.shape[:-1], value.shape[-1], dtype=query.dtype, device=query.device)

    def inner(acc, l_i, m_i, q, start_m, lo, hi, masked):
        for start_n in range(lo, hi, BLOCK_N):
            end_n = min(start_n + BLOCK_N, n_ctx_k)
            k = key[..., start_n:end_n, :]
            qk = q @ k.transpose(-2, -1)
            if masked:
                offs_m = torch.arange(start_m, start_m + q.shape[-2], device=q.device)[:, None]
                offs_n = torch.arange(start_n, end_n, device=q.device)[None, :]
                qk = qk * qk_scale + torch.where(offs_m >= offs_n, 0.0, -1.0e6).to(qk.dtype)
                m_ij = torch.maximum(m_i, qk.amax(-1))
                qk = qk - m_ij[..., None]
            else:
                m_ij = torch.maximum(m_i, qk.amax(-1) * qk_scale)
                qk = qk * qk_scale - m_ij[..., None]
            p = torch.exp2(qk)
            l_ij = p.sum(-1)
            alpha = torch.exp2(m_i - m_ij)
            l_i = l_i * alpha + l_ij
            acc = acc * alpha[..., None]
            acc = acc + p @ value[..., start_n:end_n, :]
            m_i = m_ij
        return acc, l_i, m_i

    for start_m in range(0, n_ctx_q, BLOCK_M):
        end_m = min(start_m + BLOCK_M, n_ctx_q)
        q = query[..., start_m:end_m, :]
        m_i = torch.full(q.shape[:-1], float("-inf"), dtype=query.dtype, device=query.device)
        l_i = torch.zeros(q.shape[:-1], dtype=query.dtype, device=query.device)
        acc = torch.zeros(*q.shape[:-1], value.shape[-1], dtype=query.dtype, device=query.device)
        if causal:
            # stage 1: key blocks entirely at or before this block's first query, no mask needed
            lo, hi = 0, min(start_m, n_ctx_k)
            acc, l_i, m_i = inner(acc, l_i, m_i, q, start_m, lo, hi, False)
            # stage 2: the blocks on the diagonal, masked
            lo, hi = min(start_m, n_ctx_k), min(end_m, n_ctx_k)
            acc, l_i, m_i = inner(acc, l_i, m_i, q, start_m, lo, hi, True)
        else:
            acc, l_i, m_i = inner(acc, l_i, m_i, q, start_m, 0, n_ctx_k, False)
        out[..., start_m:end_m, :] = acc / l_i[..., None]
    return out
