"""Exercise 2: causal (masked) self-attention with an optional padding mask.

A decoder that writes text one token at a time must not let a token look at the
tokens after it. The causal mask blocks every key to the right of the query;
a padding mask additionally blocks keys that are only filler in a batch of
sequences of different lengths. True means blocked, as in nn.MultiheadAttention.

A query that may see no key at all (a padding token before the first real one)
gets zeros: a softmax over nothing but -inf is 0/0 = NaN, and in the next layer
that NaN reaches every token, since 0 × NaN is NaN.
"""
import math

import torch
from torch import nn


def causal_mask(n, device=None):
    """Bool (n, n) mask, True above the diagonal: query i may not see key j > i."""
    # YOUR CODE HERE
    raise NotImplementedError()


class CausalSelfAttention(nn.Module):
    """Self-attention in which each token sees itself and the tokens before it: (..., n, d_in) -> (..., n, d_out)."""

    def __init__(self, d_in, d_out, context_length, dropout=0.0, qkv_bias=False):
        super().__init__()
        # YOUR CODE HERE
        raise NotImplementedError()

    def forward(self, x, padding_mask=None):
        """(..., n, d_in), padding_mask (..., n) with True at padding -> (..., n, d_out)."""
        # YOUR CODE HERE
        raise NotImplementedError()
