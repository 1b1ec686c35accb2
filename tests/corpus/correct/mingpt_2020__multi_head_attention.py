"""Modelled on minGPT (Andrej Karpathy) as first published in 2020, mingpt/model.py, class
CausalSelfAttention with separate key, query and value layers
(https://github.com/karpathy/minGPT/blob/744d410/mingpt/model.py).

Choices that differ from the kit's reference:
- the layers are created key, query, value, then the two dropouts, then the output projection
  (the kit's DESIGN lists W_query first; no check of this exercise seeds the construction);
- the causal buffer is float `torch.tril(torch.ones(n, n)).view(1, 1, n, n)` (already called
  `mask` in this version), filled where `mask[:,:,:T,:T] == 0` with -inf;
- the scale is the factor `1.0 / math.sqrt(k.size(-1))`; each projection is viewed and transposed
  in one expression; heads merged with `transpose(1, 2).contiguous().view(B, T, C)`;
- a residual dropout (same rate) on the projected output; an unused `layer_past=None` argument.
Added to fit the kit's API:
- forward takes the kit's unbatched input (run as a batch of one) and optional padding_mask (True at
  padding, blocked as a key for every head), which the source lacks; padding keys join the -inf fill, and a row left with no key is set to zero weights after the softmax.
- the kit's class name and signature instead of a config object; key/query/value/proj are renamed
  W_key/W_query/W_value/out_proj; attn_drop is renamed dropout (resid_drop kept);
- minGPT's key/query/value always have a bias; the kit wants one only with qkv_bias;
- C is the output width (`self.W_key.out_features`; minGPT reads the input width, equal in GPT);
- the assert becomes a ValueError; ValueError when T > context_length.
"""
import math

import torch
import torch.nn as nn
from torch.nn import functional as F

EXERCISE = "multi_head_attention"


class MultiHeadAttention(nn.Module):
    def __init__(self, d_in, d_out, context_length, dropout, num_heads, qkv_bias=False):
        super().__init__()
        if d_out % num_heads != 0:
            raise ValueError(f"n_embd {d_out} is not divisible by n_head {num_heads}")
        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.dropout = nn.Dropout(dropout)
        self.resid_drop = nn.Dropout(dropout)
        self.out_proj = nn.Linear(d_out, d_out)
        self.register_buffer("mask", torch.tril(torch.ones(context_length, context_length))
                                     .view(1, 1, context_length, context_length))
        self.n_head = num_heads

    def forward(self, x, padding_mask=None, layer_past=None):
        if x.dim() == 2:  # the kit's unbatched input: run it as a batch of one
            return self.forward(x.unsqueeze(0), None if padding_mask is None else padding_mask.unsqueeze(0)).squeeze(0)
        B, T, _ = x.size()
        C = self.W_key.out_features
        if T > self.mask.size(-1):
            raise ValueError(f"sequence of {T} tokens, block size {self.mask.size(-1)}")

        k = self.W_key(x).view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        q = self.W_query(x).view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = self.W_value(x).view(B, T, self.n_head, C // self.n_head).transpose(1, 2)

        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        blocked = self.mask[:,:,:T,:T] == 0
        if padding_mask is not None:
            blocked = blocked | padding_mask[:, None, None, :]
        att = att.masked_fill(blocked, float('-inf'))
        att = F.softmax(att, dim=-1)
        att = att.masked_fill(blocked.all(dim=-1, keepdim=True), 0.0)
        att = self.dropout(att)
        y = att @ v
        y = y.transpose(1, 2).contiguous().view(B, T, C)

        y = self.resid_drop(self.out_proj(y))
        return y
