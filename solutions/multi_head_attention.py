"""Exercise 4: multi-head causal self-attention, two ways.

MultiHeadAttentionWrapper stacks independent CausalSelfAttention heads and
concatenates their outputs. MultiHeadAttention computes the same kind of thing
with one projection per role, split into heads by reshaping, and mixes the
heads with an output projection: the form used in GPT-2.
"""
import math

import torch
from torch import nn

from .masked_self_attention import CausalSelfAttention


class MultiHeadAttentionWrapper(nn.Module):
    """num_heads causal heads side by side: (b, n, d_in) -> (b, n, num_heads * d_out)."""

    def __init__(self, d_in, d_out, context_length, dropout, num_heads, qkv_bias=False):
        super().__init__()
        ### BEGIN SOLUTION
        self.heads = nn.ModuleList(
            CausalSelfAttention(d_in, d_out, context_length, dropout, qkv_bias) for _ in range(num_heads)
        )
        ### END SOLUTION

    def forward(self, x):
        """(b, n, d_in) -> (b, n, num_heads * d_out), head 0's features first."""
        ### BEGIN SOLUTION
        return torch.cat([head(x) for head in self.heads], dim=-1)
        ### END SOLUTION


class MultiHeadAttention(nn.Module):
    """Causal multi-head attention with split projections: (..., n, d_in) -> (..., n, d_out)."""

    def __init__(self, d_in, d_out, context_length, dropout, num_heads, qkv_bias=False):
        super().__init__()
        ### BEGIN SOLUTION
        if d_out % num_heads != 0:
            raise ValueError(f"d_out ({d_out}) must be divisible by num_heads ({num_heads})")
        self.num_heads = num_heads
        self.head_dim = d_out // num_heads
        # projections: head h owns features h*head_dim:(h+1)*head_dim of each
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.out_proj = nn.Linear(d_out, d_out)  # mixes what the heads found
        # regularisation
        self.dropout = nn.Dropout(dropout)
        # a buffer follows .to(device) and state_dict without being trained
        mask = torch.ones(context_length, context_length, dtype=torch.bool).triu(diagonal=1)
        self.register_buffer("mask", mask)
        ### END SOLUTION

    def forward(self, x, padding_mask=None):
        """(..., n, d_in), padding_mask (..., n) with True at padding -> (..., n, d_out)."""
        ### BEGIN SOLUTION
        if x.dim() == 2:  # one unbatched sequence: run it as a batch of one
            padding = None if padding_mask is None else padding_mask.unsqueeze(0)
            return self.forward(x.unsqueeze(0), padding).squeeze(0)
        b, n, _ = x.shape
        h, hd = self.num_heads, self.head_dim
        context_length = self.mask.shape[-1]
        if n > context_length:
            raise ValueError(f"sequence length {n} is longer than context_length {context_length}")
        queries = self.W_query(x).view(b, n, h, hd).transpose(1, 2)  # (b, h, n, hd)
        keys = self.W_key(x).view(b, n, h, hd).transpose(1, 2)  # (b, h, n, hd)
        values = self.W_value(x).view(b, n, h, hd).transpose(1, 2)  # (b, h, n, hd)

        blocked = self.mask[:n, :n]  # (n, n)
        if padding_mask is not None:
            # a padding token is blocked as a key, for every head and every query
            blocked = blocked | padding_mask[:, None, None, :]  # (b, 1, n, n)
        scores = queries @ keys.transpose(-2, -1) / math.sqrt(hd)  # (b, h, n, n)
        scores = scores.masked_fill(blocked, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        # a row with every key blocked is NaN: zeros instead, as in notebook 2
        weights = weights.masked_fill(blocked.all(dim=-1, keepdim=True), 0.0)
        weights = self.dropout(weights)  # drops attention links, in training mode only
        context = (weights @ values).transpose(1, 2)  # (b, n, h, hd)
        context = context.reshape(b, n, h * hd)  # (b, n, d_out): heads side by side
        return self.out_proj(context)
        ### END SOLUTION
