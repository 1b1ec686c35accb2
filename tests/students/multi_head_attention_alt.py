import torch
import torch.nn.functional as F
from torch import nn

from .masked_self_attention import CausalSelfAttention


class MultiHeadAttentionWrapper(nn.Module):
    def __init__(self, d_in, d_out, context_length, dropout, num_heads, qkv_bias=False):
        super().__init__()
        self.heads = nn.ModuleList([CausalSelfAttention(d_in, d_out, context_length, dropout, qkv_bias)
                                    for _ in range(num_heads)])

    def forward(self, x):
        return torch.stack([head(x) for head in self.heads], dim=-2).flatten(-2)


class MultiHeadAttention(nn.Module):
    def __init__(self, d_in, d_out, context_length, dropout, num_heads, qkv_bias=False):
        super().__init__()
        if d_out % num_heads:
            raise ValueError("d_out must be divisible by num_heads")
        self.num_heads = num_heads
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.out_proj = nn.Linear(d_out, d_out)
        self.dropout = nn.Dropout(dropout)
        self.register_buffer("mask", torch.triu(torch.ones(context_length, context_length), diagonal=1).bool())

    def forward(self, x, padding_mask=None):
        n = x.shape[-2]
        split = lambda t: t.unflatten(-1, (self.num_heads, -1)).transpose(-3, -2)  # (..., h, n, hd)
        may_attend = ~self.mask[:n, :n]
        if padding_mask is not None:
            may_attend = may_attend & ~padding_mask.unsqueeze(-2).unsqueeze(-3)  # (..., 1, n, n)
        context = F.scaled_dot_product_attention(split(self.W_query(x)), split(self.W_key(x)), split(self.W_value(x)),
                                                 attn_mask=may_attend, dropout_p=self.dropout.p if self.training else 0.0)
        return self.out_proj(context.transpose(-3, -2).flatten(-2))
