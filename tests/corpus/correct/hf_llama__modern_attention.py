"""Modelled on Hugging Face Transformers' Llama (src/transformers/models/llama/modeling_llama.py, the 4.38-4.40
releases): LlamaRotaryEmbedding, rotate_half, apply_rotary_pos_emb, repeat_kv, LlamaAttention's eager
forward, the DynamicCache's concatenation and LlamaModel._update_causal_mask
(https://github.com/huggingface/transformers/blob/main/src/transformers/models/llama/modeling_llama.py).

Choices that differ from the kit's reference:
- RoPE's angles are computed in float32 whatever the input's dtype (`inv_freq @ position_ids` with
  autocast off: "Force float32 since bfloat16 loses precision"), each written twice,
  `cat((freqs, freqs))`, and cos/sin are cast to x's dtype; the rotation is
  `x * cos + rotate_half(x) * sin` with `rotate_half(x) = cat((-x2, x1))`;
- the key/value heads are repeated by repeat_kv: a new axis, `expand`, then `reshape`;
- the mask is additive: `finfo(dtype).min` above the diagonal (`full(...).triu(1)`, then multiplied by
  `arange(target_length) > cache_position`), added to the scores;
- the softmax is taken in float32 and cast back (`softmax(..., dtype=torch.float32).to(query.dtype)`);
- the scores are divided by `math.sqrt(head_dim)`; names q_proj/k_proj/v_proj/o_proj in the source;
- the cache is the DynamicCache's: keys and values concatenated along the sequence, and the new tokens'
  cache_position = `arange(past_seen_tokens, past_seen_tokens + n)`.
Added to fit the kit's API:
- apply_rope(x, positions, base) computes the rotary embedding for those positions and applies it to
  one tensor (the source rotates q and k together, with cos and sin from LlamaRotaryEmbedding);
- the projections are renamed W_query, W_key, W_value, out_proj; qkv_bias stands for
  config.attention_bias, and out_proj always has a bias (in Llama it follows attention_bias);
- the module keeps its cache (the source's DynamicCache is passed in by the model, per layer):
  reset_cache(), forward(x, use_cache=False); the model's mask and cache_position are made here;
  rope_base=None leaves RoPE out;
- ValueErrors for d_out % num_heads (the source raises one too) and num_heads % num_kv_heads.
"""
import math

import torch
from torch import nn

EXERCISE = "modern_attention"


def rotate_half(x):
    """Rotates half the hidden dims of the input."""
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2 :]
    return torch.cat((-x2, x1), dim=-1)


def rotary_cos_sin(x, position_ids, base):
    dim = x.shape[-1]
    inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).float().to(x.device) / dim))
    inv_freq_expanded = inv_freq[None, :, None].float().expand(position_ids.shape[0], -1, 1)
    position_ids_expanded = position_ids[:, None, :].float()
    device_type = x.device.type if isinstance(x.device.type, str) else "cpu"
    with torch.autocast(device_type=device_type, enabled=False):
        freqs = (inv_freq_expanded.float() @ position_ids_expanded.float()).transpose(1, 2)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos = emb.cos()
        sin = emb.sin()
    return cos.to(dtype=x.dtype), sin.to(dtype=x.dtype)


def apply_rope(x, positions, base=10000.0):
    cos, sin = rotary_cos_sin(x, positions.unsqueeze(0), base)  # (1, n, head_dim)
    cos, sin = cos[0], sin[0]  # (n, head_dim), broadcast over x's leading axes
    return (x * cos) + (rotate_half(x) * sin)


def repeat_kv(hidden_states, n_rep):
    """(batch, num_key_value_heads, seqlen, head_dim) -> (batch, num_attention_heads, seqlen, head_dim)"""
    batch, num_key_value_heads, slen, head_dim = hidden_states.shape
    if n_rep == 1:
        return hidden_states
    hidden_states = hidden_states[:, :, None, :, :].expand(batch, num_key_value_heads, n_rep, slen, head_dim)
    return hidden_states.reshape(batch, num_key_value_heads * n_rep, slen, head_dim)


class GroupedQueryAttention(nn.Module):
    def __init__(self, d_in, d_out, context_length, num_heads, num_kv_heads, qkv_bias=False, rope_base=10000.0):
        super().__init__()
        self.hidden_size = d_out
        self.num_heads = num_heads
        self.head_dim = self.hidden_size // self.num_heads
        self.num_key_value_heads = num_kv_heads
        self.max_position_embeddings = context_length
        self.rope_theta = rope_base
        self.is_causal = True

        if (self.head_dim * self.num_heads) != self.hidden_size:
            raise ValueError(
                f"hidden_size must be divisible by num_heads (got `hidden_size`: {self.hidden_size}"
                f" and `num_heads`: {self.num_heads})."
            )
        if self.num_heads % self.num_key_value_heads != 0:
            raise ValueError("num_heads must be divisible by num_key_value_heads")
        self.num_key_value_groups = self.num_heads // self.num_key_value_heads

        self.W_query = nn.Linear(d_in, self.num_heads * self.head_dim, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, self.num_key_value_heads * self.head_dim, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, self.num_key_value_heads * self.head_dim, bias=qkv_bias)
        self.out_proj = nn.Linear(self.hidden_size, self.hidden_size)
        self.reset_cache()

    def reset_cache(self):
        self.key_cache = None
        self.value_cache = None

    def get_seq_length(self):
        return 0 if self.key_cache is None else self.key_cache.shape[-2]

    def update(self, key_states, value_states):
        if self.key_cache is None:
            self.key_cache, self.value_cache = key_states, value_states
        else:
            self.key_cache = torch.cat([self.key_cache, key_states], dim=-2)
            self.value_cache = torch.cat([self.value_cache, value_states], dim=-2)
        return self.key_cache, self.value_cache

    def causal_mask(self, sequence_length, target_length, cache_position, dtype, device):
        min_dtype = torch.finfo(dtype).min
        causal_mask = torch.full((sequence_length, target_length), fill_value=min_dtype, dtype=dtype, device=device)
        if sequence_length != 1:
            causal_mask = torch.triu(causal_mask, diagonal=1)
        causal_mask *= torch.arange(target_length, device=device) > cache_position.reshape(-1, 1)
        return causal_mask[None, None, :, :]

    def forward(self, x, use_cache=False):
        bsz, q_len, _ = x.size()

        past_seen_tokens = self.get_seq_length() if use_cache else 0
        cache_position = torch.arange(past_seen_tokens, past_seen_tokens + q_len, device=x.device)

        query_states = self.W_query(x)
        key_states = self.W_key(x)
        value_states = self.W_value(x)

        query_states = query_states.view(bsz, q_len, self.num_heads, self.head_dim).transpose(1, 2)
        key_states = key_states.view(bsz, q_len, self.num_key_value_heads, self.head_dim).transpose(1, 2)
        value_states = value_states.view(bsz, q_len, self.num_key_value_heads, self.head_dim).transpose(1, 2)

        if self.rope_theta is not None:
            cos, sin = rotary_cos_sin(value_states, cache_position.unsqueeze(0), self.rope_theta)
            cos, sin = cos.unsqueeze(1), sin.unsqueeze(1)
            query_states = (query_states * cos) + (rotate_half(query_states) * sin)
            key_states = (key_states * cos) + (rotate_half(key_states) * sin)

        if use_cache:
            key_states, value_states = self.update(key_states, value_states)

        key_states = repeat_kv(key_states, self.num_key_value_groups)
        value_states = repeat_kv(value_states, self.num_key_value_groups)

        attn_weights = torch.matmul(query_states, key_states.transpose(2, 3)) / math.sqrt(self.head_dim)
        causal_mask = self.causal_mask(q_len, key_states.shape[-2], cache_position, attn_weights.dtype, x.device)
        attn_weights = attn_weights + causal_mask

        # upcast attention to fp32
        attn_weights = nn.functional.softmax(attn_weights, dim=-1, dtype=torch.float32).to(query_states.dtype)
        attn_output = torch.matmul(attn_weights, value_states)

        attn_output = attn_output.transpose(1, 2).contiguous()
        attn_output = attn_output.reshape(bsz, q_len, self.hidden_size)
        return self.out_proj(attn_output)
