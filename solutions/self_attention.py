"""Exercise 1: scaled dot-product attention and a single self-attention head.

Every token of a sequence asks a question (its query), advertises what it holds
(its key) and offers a payload (its value). Attention scores every query against
every key, turns each row of scores into weights with a softmax, and returns the
weighted average of the values.
"""
import math

import torch
from torch import nn


def scaled_dot_product_attention(query, key, value, mask=None):
    """Attend from queries (..., n_q, d_k) to keys (..., n_k, d_k) over values (..., n_k, d_v).

    `mask` is a bool tensor broadcastable to (..., n_q, n_k); True blocks a key.
    Returns (context (..., n_q, d_v), weights (..., n_q, n_k)).
    """
    ### BEGIN SOLUTION
    d_k = query.shape[-1]
    scores = query @ key.transpose(-2, -1) / math.sqrt(d_k)  # (..., n_q, n_k)
    if mask is not None:
        # -inf becomes exactly zero weight after the softmax
        scores = scores.masked_fill(mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)  # each query's row sums to 1 over the keys
    context = weights @ value  # (..., n_q, d_v)
    return context, weights
    ### END SOLUTION


class SelfAttention(nn.Module):
    """One attention head in which a sequence attends to itself: (..., n, d_in) -> (..., n, d_out)."""

    def __init__(self, d_in, d_out, qkv_bias=False):
        super().__init__()
        ### BEGIN SOLUTION
        # projections, created in this order so that a seeded run reproduces the course numbers
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)
        ### END SOLUTION

    def forward(self, x):
        """(..., n, d_in) -> (..., n, d_out)."""
        ### BEGIN SOLUTION
        queries = self.W_query(x)  # (..., n, d_out)
        keys = self.W_key(x)  # (..., n, d_out)
        values = self.W_value(x)  # (..., n, d_out)
        scores = queries @ keys.transpose(-2, -1)  # (..., n, n)
        weights = torch.softmax(scores / math.sqrt(keys.shape[-1]), dim=-1)
        return weights @ values  # (..., n, d_out)
        ### END SOLUTION
