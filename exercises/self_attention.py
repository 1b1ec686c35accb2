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
    # YOUR CODE HERE
    raise NotImplementedError()


class SelfAttention(nn.Module):
    """One attention head in which a sequence attends to itself: (..., n, d_in) -> (..., n, d_out)."""

    def __init__(self, d_in, d_out, qkv_bias=False):
        super().__init__()
        # YOUR CODE HERE
        raise NotImplementedError()

    def forward(self, x):
        """(..., n, d_in) -> (..., n, d_out)."""
        # YOUR CODE HERE
        raise NotImplementedError()
