"""Modelled on Meta's Llama 2 inference code, llama/model.py: repeat_kv, Attention (with its cache of
keys and values) and the mask that Transformer.forward builds
(https://github.com/meta-llama/llama/blob/main/llama/model.py).

Choices that differ from the kit's reference:
- the cache is a pair of zero tensors made in advance, (max_batch_size, max_seq_len, n_kv_heads,
  head_dim), in (batch, sequence, heads, head_dim) order, written by slice assignment
  `cache_k[:bsz, start_pos : start_pos + seqlen] = xk` and read back as `cache_k[:bsz, : start_pos + seqlen]`;
- kv heads repeated by repeat_kv: `x[:, :, :, None, :].expand(...).reshape(...)`, on the sequence-first layout;
- the mask is additive, -inf above the diagonal for the new tokens, with zeros for the cached ones in
  front: `hstack([zeros(seqlen, start_pos), full((seqlen, seqlen), -inf).triu(1)])`; a single new token
  gets no mask;
- the softmax is taken in float32, `F.softmax(scores.float(), dim=-1).type_as(xq)`;
- names wq/wk/wv/wo, xq/xk/xv, n_rep in the source.
Added to fit the kit's API:
- RoPE: Meta's apply_rotary_emb turns neighbouring features (2i, 2i + 1) together, as complex numbers;
  the kit fixes the other layout (i with i + head_dim/2), so this entry does not port it and calls the
  kit's apply_rope (the reference's completes this entry), on the heads-first layout;
- the source passes start_pos in and writes the cache on every call; here the module counts the
  cached tokens itself, uses the cache only with use_cache=True (a call without it attends to its own
  tokens), and makes the cache at the first such call for that batch size and context_length tokens
  (the source's max_batch_size, max_seq_len come from ModelArgs); reset_cache() sets the count to 0;
- constructor and names: W_query, W_key, W_value, out_proj (wo has no bias in Llama; the kit's
  out_proj has one), qkv_bias honoured; ValueErrors for the sizes; rope_base=None leaves RoPE out.
"""
import math

import torch
import torch.nn.functional as F
from torch import nn

EXERCISE = "modern_attention"


def repeat_kv(x, n_rep):
    """torch.repeat_interleave(x, dim=2, repeats=n_rep)"""
    bs, slen, n_kv_heads, head_dim = x.shape
    if n_rep == 1:
        return x
    return (
        x[:, :, :, None, :]
        .expand(bs, slen, n_kv_heads, n_rep, head_dim)
        .reshape(bs, slen, n_kv_heads * n_rep, head_dim)
    )


class GroupedQueryAttention(nn.Module):
    def __init__(self, d_in, d_out, context_length, num_heads, num_kv_heads, qkv_bias=False, rope_base=10000.0):
        super().__init__()
        if d_out % num_heads != 0:
            raise ValueError("dim must be divisible by n_heads")
        if num_heads % num_kv_heads != 0:
            raise ValueError("n_heads must be divisible by n_kv_heads")
        self.n_kv_heads = num_kv_heads
        self.n_local_heads = num_heads
        self.n_local_kv_heads = num_kv_heads
        self.n_rep = self.n_local_heads // self.n_local_kv_heads
        self.head_dim = d_out // num_heads
        self.max_seq_len = context_length
        self.rope_base = rope_base

        self.W_query = nn.Linear(d_in, num_heads * self.head_dim, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, self.n_kv_heads * self.head_dim, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, self.n_kv_heads * self.head_dim, bias=qkv_bias)
        self.out_proj = nn.Linear(num_heads * self.head_dim, d_out)
        self.reset_cache()

    def reset_cache(self):
        self.cache_k = self.cache_v = None
        self.start_pos = 0

    def forward(self, x, use_cache=False):
        bsz, seqlen, _ = x.shape
        start_pos = self.start_pos if use_cache else 0

        xq, xk, xv = self.W_query(x), self.W_key(x), self.W_value(x)
        xq = xq.view(bsz, seqlen, self.n_local_heads, self.head_dim)
        xk = xk.view(bsz, seqlen, self.n_local_kv_heads, self.head_dim)
        xv = xv.view(bsz, seqlen, self.n_local_kv_heads, self.head_dim)

        if self.rope_base is not None:
            positions = torch.arange(start_pos, start_pos + seqlen, device=x.device)
            xq = apply_rope(xq.transpose(1, 2), positions, self.rope_base).transpose(1, 2)
            xk = apply_rope(xk.transpose(1, 2), positions, self.rope_base).transpose(1, 2)

        if use_cache:
            if self.cache_k is None:
                shape = (bsz, self.max_seq_len, self.n_local_kv_heads, self.head_dim)
                self.cache_k = torch.zeros(shape, device=x.device)
                self.cache_v = torch.zeros(shape, device=x.device)
            self.cache_k = self.cache_k.to(xq)
            self.cache_v = self.cache_v.to(xq)

            self.cache_k[:bsz, start_pos : start_pos + seqlen] = xk
            self.cache_v[:bsz, start_pos : start_pos + seqlen] = xv

            keys = self.cache_k[:bsz, : start_pos + seqlen]
            values = self.cache_v[:bsz, : start_pos + seqlen]
            self.start_pos = start_pos + seqlen
        else:
            keys, values = xk, xv

        mask = None
        if seqlen > 1:
            mask = torch.full((seqlen, seqlen), float("-inf"), device=x.device)
            mask = torch.triu(mask, diagonal=1)
            mask = torch.hstack([torch.zeros((seqlen, start_pos), device=x.device), mask]).type_as(x)

        # repeat k/v heads if n_kv_heads < n_heads
        keys = repeat_kv(keys, self.n_rep)  # (bs, cache_len + seqlen, n_local_heads, head_dim)
        values = repeat_kv(values, self.n_rep)

        xq = xq.transpose(1, 2)  # (bs, n_local_heads, seqlen, head_dim)
        keys = keys.transpose(1, 2)
        values = values.transpose(1, 2)
        scores = torch.matmul(xq, keys.transpose(2, 3)) / math.sqrt(self.head_dim)
        if mask is not None:
            scores = scores + mask  # (bs, n_local_heads, seqlen, cache_len + seqlen)
        scores = F.softmax(scores.float(), dim=-1).type_as(xq)
        output = torch.matmul(scores, values)  # (bs, n_local_heads, seqlen, head_dim)
        output = output.transpose(1, 2).contiguous().view(bsz, seqlen, -1)
        return self.out_proj(output)
