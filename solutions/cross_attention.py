"""Exercise 3: cross-attention (encoder-decoder attention).

Queries come from one sequence (the decoder's tokens), keys and values from
another (the encoder's output). The two may differ in length and in width.
"""
import math

import torch
from torch import nn


class CrossAttention(nn.Module):
    """Attention from x_q (..., n_q, d_q) to x_kv (..., n_kv, d_kv) -> (..., n_q, d_out)."""

    def __init__(self, d_q, d_kv, d_out, qkv_bias=False):
        super().__init__()
        ### BEGIN SOLUTION
        # projections: queries from one sequence, keys and values from the other
        self.W_query = nn.Linear(d_q, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_kv, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_kv, d_out, bias=qkv_bias)
        ### END SOLUTION

    def forward(self, x_q, x_kv, mask=None):
        """x_q (..., n_q, d_q), x_kv (..., n_kv, d_kv), mask broadcastable to (..., n_q, n_kv) -> (..., n_q, d_out)."""
        ### BEGIN SOLUTION
        queries = self.W_query(x_q)  # (..., n_q, d_out)
        keys = self.W_key(x_kv)  # (..., n_kv, d_out)
        values = self.W_value(x_kv)  # (..., n_kv, d_out)
        scores = queries @ keys.transpose(-2, -1) / math.sqrt(keys.shape[-1])  # (..., n_q, n_kv)
        if mask is not None:
            scores = scores.masked_fill(mask, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        return weights @ values  # (..., n_q, d_out)
        ### END SOLUTION
