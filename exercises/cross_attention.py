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
        # YOUR CODE HERE
        raise NotImplementedError()

    def forward(self, x_q, x_kv, mask=None):
        """x_q (..., n_q, d_q), x_kv (..., n_kv, d_kv), mask broadcastable to (..., n_q, n_kv) -> (..., n_q, d_out)."""
        # YOUR CODE HERE
        raise NotImplementedError()
