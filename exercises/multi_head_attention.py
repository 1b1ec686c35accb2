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
        # YOUR CODE HERE
        raise NotImplementedError()

    def forward(self, x):
        """(b, n, d_in) -> (b, n, num_heads * d_out), head 0's features first."""
        # YOUR CODE HERE
        raise NotImplementedError()


class MultiHeadAttention(nn.Module):
    """Causal multi-head attention with split projections: (..., n, d_in) -> (..., n, d_out)."""

    def __init__(self, d_in, d_out, context_length, dropout, num_heads, qkv_bias=False):
        super().__init__()
        # YOUR CODE HERE
        raise NotImplementedError()

    def forward(self, x, padding_mask=None):
        """(..., n, d_in), padding_mask (..., n) with True at padding -> (..., n, d_out)."""
        # YOUR CODE HERE
        raise NotImplementedError()
