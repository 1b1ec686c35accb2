"""Modelled on "Build a Large Language Model (From Scratch)", bonus material ch04/04_gqa: the class
GroupedQueryAttention of gpt_with_kv_gqa.py (GPT-2 turned to grouped queries, with a KV cache)
(https://github.com/rasbt/LLMs-from-scratch/blob/main/ch04/04_gqa/gpt_with_kv_gqa.py) and the function
calc_kv_bytes_total of memory_estimator_gqa.py in the same folder.

Choices that differ from the kit's reference:
- the cache lives in buffers registered as None (`register_buffer("cache_k", None, persistent=False)`),
  grown with torch.cat, with a counter ptr_current_pos;
- the causal mask compares positions: `q_positions[:, None] < k_positions[None, :]`, the queries
  numbered from ptr_current_pos;
- a call without the cache empties it and resets the counter;
- the scores are masked with -inf, then scaled inside the softmax by `keys.shape[-1]**0.5`;
- the heads are merged with `transpose(1, 2).contiguous().view(...)`;
- the cache's bytes are counted per layer, `batch * tokens * head_dim * kv_heads * 2 * bytes`, then
  times the layers.
Added to fit the kit's API:
- RoPE: the source's GPT-2 adds learned absolute positions before attention, so its attention has no
  RoPE; here the queries and keys are rotated with the kit's apply_rope at q_positions (the
  reference's apply_rope completes this entry), none when rope_base is None;
- the constructor (d_in, d_out, dropout, num_heads, num_kv_groups, dtype, qkv_bias) becomes the kit's
  (d_in, d_out, context_length, num_heads, num_kv_heads, qkv_bias, rope_base); the dropout on the
  weights is left out (the kit's attention has no dropout), out_proj gets its bias (the source has
  none), and the asserts are ValueErrors;
- kv_cache_bytes(num_tokens, num_layers, num_kv_heads, head_dim, bytes_per_value) is calc_kv_bytes_total
  for one sequence (batch 1), with head_dim given instead of ceil(emb_dim / n_heads).
"""
import torch
import torch.nn as nn

EXERCISE = "modern_attention"


def kv_cache_bytes(num_tokens, num_layers, num_kv_heads, head_dim, bytes_per_value=2):
    batch = 1
    per_layer = batch * num_tokens * head_dim * num_kv_heads * 2 * bytes_per_value
    return per_layer * num_layers


class GroupedQueryAttention(nn.Module):
    def __init__(self, d_in, d_out, context_length, num_heads, num_kv_heads, qkv_bias=False, rope_base=10000.0):
        super().__init__()
        if d_out % num_heads != 0:
            raise ValueError("d_out must be divisible by num_heads")
        if num_heads % num_kv_heads != 0:
            raise ValueError("num_heads must be divisible by num_kv_groups")

        self.d_out = d_out
        self.num_heads = num_heads
        self.head_dim = d_out // num_heads

        self.W_key = nn.Linear(d_in, num_kv_heads * self.head_dim, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, num_kv_heads * self.head_dim, bias=qkv_bias)
        self.num_kv_groups = num_kv_heads
        self.group_size = num_heads // num_kv_heads

        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.out_proj = nn.Linear(d_out, d_out)
        self.rope_base = rope_base

        self.register_buffer("cache_k", None, persistent=False)
        self.register_buffer("cache_v", None, persistent=False)
        self.ptr_current_pos = 0

    def forward(self, x, use_cache=False):
        b, num_tokens, _ = x.shape

        queries = self.W_query(x)
        keys = self.W_key(x)
        values = self.W_value(x)

        queries = queries.view(b, num_tokens, self.num_heads, self.head_dim).transpose(1, 2)
        keys_new = keys.view(b, num_tokens, self.num_kv_groups, self.head_dim).transpose(1, 2)
        values_new = values.view(b, num_tokens, self.num_kv_groups, self.head_dim).transpose(1, 2)

        device = queries.device
        if use_cache:
            q_positions = torch.arange(self.ptr_current_pos, self.ptr_current_pos + num_tokens,
                                       device=device, dtype=torch.long)
            self.ptr_current_pos += num_tokens
        else:
            q_positions = torch.arange(num_tokens, device=device, dtype=torch.long)
            self.ptr_current_pos = 0

        if self.rope_base is not None:
            queries = apply_rope(queries, q_positions, self.rope_base)
            keys_new = apply_rope(keys_new, q_positions, self.rope_base)

        if use_cache:
            if self.cache_k is None:
                self.cache_k, self.cache_v = keys_new, values_new
            else:
                self.cache_k = torch.cat([self.cache_k, keys_new], dim=2)
                self.cache_v = torch.cat([self.cache_v, values_new], dim=2)
            keys_base, values_base = self.cache_k, self.cache_v
        else:
            keys_base, values_base = keys_new, values_new
            if self.cache_k is not None or self.cache_v is not None:
                self.cache_k, self.cache_v = None, None

        keys = keys_base.repeat_interleave(self.group_size, dim=1)
        values = values_base.repeat_interleave(self.group_size, dim=1)

        attn_scores = queries @ keys.transpose(2, 3)

        k_positions = torch.arange(keys.shape[-2], device=device, dtype=torch.long)
        mask = q_positions.unsqueeze(-1) < k_positions.unsqueeze(0)
        attn_scores = attn_scores.masked_fill(mask, -torch.inf)

        attn_weights = torch.softmax(attn_scores / keys.shape[-1]**0.5, dim=-1)

        context_vec = (attn_weights @ values).transpose(1, 2)
        context_vec = context_vec.contiguous().view(b, num_tokens, self.d_out)
        return self.out_proj(context_vec)

    def reset_cache(self):
        self.cache_k, self.cache_v = None, None
        self.ptr_current_pos = 0
