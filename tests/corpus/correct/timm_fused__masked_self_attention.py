"""Exercise 2, ported from timm's vision Attention with fused_attn: F.scaled_dot_product_attention
with dropout_p=self.attn_drop.p if self.training else 0. (the module named dropout here). timm passes
no mask; the causal and padding masks are combined into SDPA's bool attn_mask, where True = keep."""
import math

import torch
from torch import nn
import torch.nn.functional as F

EXERCISE = "masked_self_attention"


def causal_mask(n, device=None):
    return torch.ones(n, n, dtype=torch.bool, device=device).triu(diagonal=1)


class CausalSelfAttention(nn.Module):
    def __init__(self, d_in, d_out, context_length, dropout=0.0, qkv_bias=False):
        super().__init__()
        self.context_length = context_length
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.dropout = nn.Dropout(dropout)
        self.register_buffer("mask", causal_mask(context_length), persistent=False)

    def forward(self, x, padding_mask=None):
        N = x.shape[-2]
        if N > self.context_length:
            raise ValueError("input longer than context_length")
        q, k, v = self.W_query(x), self.W_key(x), self.W_value(x)
        blocked = self.mask[:N, :N]
        if padding_mask is not None:
            blocked = blocked | padding_mask[..., None, :]
        x = F.scaled_dot_product_attention(
            q, k, v,
            attn_mask=~blocked,
            dropout_p=self.dropout.p if self.training else 0.,
        )
        return x
