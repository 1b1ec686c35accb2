"""Exercise 2, ported from lucidrains' x-transformers Attend: einsum scores times scale, mask value
-finfo(dtype).max, the causal mask built on the fly with ones(i, j).triu(j - i + 1), the key mask
(x-transformers: True = keep, so here ~padding_mask) applied with masked_fill, dropout on attn."""
import math

import torch
from torch import nn, einsum
import torch.nn.functional as F

EXERCISE = "masked_self_attention"


def causal_mask(n, device=None):
    return torch.ones((n, n), device=device, dtype=torch.bool).triu(1)


class CausalSelfAttention(nn.Module):
    def __init__(self, d_in, d_out, context_length, dropout=0.0, qkv_bias=False):
        super().__init__()
        self.scale = d_out ** -0.5
        self.context_length = context_length
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.dropout = nn.Dropout(dropout)
        self.register_buffer("mask", causal_mask(context_length))

    def forward(self, x, padding_mask=None):
        n = x.shape[-2]
        if n > self.context_length:
            raise ValueError("sequence longer than context_length")
        q, k, v = self.W_query(x), self.W_key(x), self.W_value(x)
        dots = einsum('... i d, ... j d -> ... i j', q, k) * self.scale
        i, j = dots.shape[-2:]
        mask_value = -torch.finfo(dots.dtype).max
        if padding_mask is not None:
            input_mask = ~padding_mask
            dots = dots.masked_fill(~input_mask[..., None, :], mask_value)
        causal = torch.ones((i, j), device=dots.device, dtype=torch.bool).triu(j - i + 1)
        dots = dots.masked_fill(causal, mask_value)
        attn = dots.softmax(dim=-1)
        attn = self.dropout(attn)
        return einsum('... i j, ... j d -> ... i d', attn, v)
