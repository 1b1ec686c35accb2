"""Modelled on "Build a Large Language Model (From Scratch)", bonus material ch05/11_qwen3 (Qwen3 from
scratch with a KV cache), as packaged in pkg/llms_from_scratch/kv_cache/qwen3.py: compute_rope_params,
apply_rope, GroupedQueryAttention and the mask that Qwen3Model.forward builds for the cache
(https://github.com/rasbt/LLMs-from-scratch/blob/main/pkg/llms_from_scratch/kv_cache/qwen3.py).

Choices that differ from the kit's reference:
- RoPE from a table: compute_rope_params makes cos and sin for every position below a context length,
  in float32 (the source's default dtype, also for float64 queries), each angle written twice,
  `cat([angles, angles])`, so the table is head_dim wide; the rotation is
  `x * cos + cat((-x2, x1)) * sin` ("rotate half"), cast back to x's dtype;
- the module builds the table once, at construction, and reads rows of it at every call;
- the cache is a (keys, values) tuple grown with torch.cat, with a position counter beside it;
- the causal mask is cut from a square one, `triu(ones(pos_end, pos_end), 1)[pos_start:pos_end, :pos_end]`;
- the scores are masked with -inf first and scaled inside the softmax, `softmax(scores / head_dim**0.5)`;
- `keys.transpose(2, 3)`, `repeat_interleave(group_size, dim=1)`, `num_kv_groups`/`group_size` names.
Added to fit the kit's API:
- apply_rope(x, positions, base) builds the table up to max(positions) + 1 and reads the rows at
  positions (the source's apply_rope(x, cos, sin, offset) slices rows offset … offset + n); that
  rotation is kept as rope_from_table;
- the source's model, not the attention, keeps the cache (KVCache), the position counter
  (current_pos, reset_kv_cache) and the mask; here the module keeps them: reset_cache(),
  forward(x, use_cache=False), and rope_base=None leaves RoPE out;
- constructor (d_in, d_out, context_length, num_heads, num_kv_heads, qkv_bias, rope_base): the source
  takes (d_in, num_heads, num_kv_groups, head_dim, qk_norm, dtype), maps back to d_in with an
  out_proj without bias and has no qkv bias; here head_dim = d_out // num_heads, qkv_bias is honoured
  and out_proj = Linear(d_out, d_out) with its bias; the optional q/k RMSNorm is left out;
- ValueErrors where the source asserts.
"""
import torch
import torch.nn as nn

EXERCISE = "modern_attention"


def compute_rope_params(head_dim, theta_base=10_000, context_length=4096, dtype=torch.float32):
    if head_dim % 2 != 0:
        raise ValueError("Embedding dimension must be even")
    inv_freq = 1.0 / (theta_base ** (torch.arange(0, head_dim, 2, dtype=dtype)[: (head_dim // 2)].float() / head_dim))
    positions = torch.arange(context_length, dtype=dtype)
    angles = positions[:, None] * inv_freq[None, :]  # (context_length, head_dim // 2)
    angles = torch.cat([angles, angles], dim=1)  # (context_length, head_dim)
    return torch.cos(angles), torch.sin(angles)


def rope_from_table(x, cos, sin, positions):
    head_dim = x.shape[-1]
    x1 = x[..., : head_dim // 2]
    x2 = x[..., head_dim // 2:]
    cos = cos[positions, :]  # (seq_len, head_dim), broadcast over the leading axes
    sin = sin[positions, :]
    rotated = torch.cat((-x2, x1), dim=-1)
    x_rotated = (x * cos) + (rotated * sin)
    return x_rotated.to(dtype=x.dtype)


def apply_rope(x, positions, base=10000.0):
    cos, sin = compute_rope_params(x.shape[-1], theta_base=base, context_length=int(positions.max()) + 1)
    return rope_from_table(x, cos.to(x.device), sin.to(x.device), positions)


class GroupedQueryAttention(nn.Module):
    def __init__(self, d_in, d_out, context_length, num_heads, num_kv_heads, qkv_bias=False, rope_base=10000.0):
        super().__init__()
        if d_out % num_heads != 0:
            raise ValueError("d_out must be divisible by num_heads")
        if num_heads % num_kv_heads != 0:
            raise ValueError("num_heads must be divisible by num_kv_groups")

        self.num_heads = num_heads
        self.num_kv_groups = num_kv_heads
        self.group_size = num_heads // num_kv_heads
        self.head_dim = d_out // num_heads
        self.d_out = d_out

        self.W_query = nn.Linear(d_in, self.d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, num_kv_heads * self.head_dim, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, num_kv_heads * self.head_dim, bias=qkv_bias)
        self.out_proj = nn.Linear(self.d_out, d_out)

        self.use_rope = rope_base is not None
        if self.use_rope:
            cos, sin = compute_rope_params(self.head_dim, theta_base=rope_base, context_length=context_length)
            self.register_buffer("cos", cos, persistent=False)
            self.register_buffer("sin", sin, persistent=False)
        self.reset_cache()

    def reset_cache(self):
        self.cache = None
        self.current_pos = 0

    def forward(self, x, use_cache=False):
        b, num_tokens, _ = x.shape

        if use_cache:
            pos_start = self.current_pos
            pos_end = pos_start + num_tokens
            self.current_pos = pos_end
            mask = torch.triu(
                torch.ones(pos_end, pos_end, device=x.device, dtype=torch.bool), diagonal=1
            )[pos_start:pos_end, :pos_end]
        else:
            pos_start = 0
            mask = torch.triu(torch.ones(num_tokens, num_tokens, device=x.device, dtype=torch.bool), diagonal=1)
        mask = mask[None, None, :, :]

        queries = self.W_query(x)
        keys = self.W_key(x)
        values = self.W_value(x)

        queries = queries.view(b, num_tokens, self.num_heads, self.head_dim).transpose(1, 2)
        keys_new = keys.view(b, num_tokens, self.num_kv_groups, self.head_dim).transpose(1, 2)
        values_new = values.view(b, num_tokens, self.num_kv_groups, self.head_dim).transpose(1, 2)

        if self.use_rope:
            positions = torch.arange(pos_start, pos_start + num_tokens, device=x.device)
            queries = rope_from_table(queries, self.cos, self.sin, positions)
            keys_new = rope_from_table(keys_new, self.cos, self.sin, positions)

        if use_cache and self.cache is not None:
            prev_k, prev_v = self.cache
            keys = torch.cat([prev_k, keys_new], dim=2)
            values = torch.cat([prev_v, values_new], dim=2)
        else:
            keys, values = keys_new, values_new
        if use_cache:
            self.cache = (keys, values)

        keys = keys.repeat_interleave(self.group_size, dim=1)
        values = values.repeat_interleave(self.group_size, dim=1)

        attn_scores = queries @ keys.transpose(2, 3)
        attn_scores = attn_scores.masked_fill(mask, -torch.inf)
        attn_weights = torch.softmax(attn_scores / self.head_dim**0.5, dim=-1)

        context = (attn_weights @ values).transpose(1, 2).reshape(b, num_tokens, self.d_out)
        return self.out_proj(context)
