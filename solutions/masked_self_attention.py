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
    ### BEGIN SOLUTION
    return torch.ones(n, n, dtype=torch.bool, device=device).triu(diagonal=1)
    ### END SOLUTION


class CausalSelfAttention(nn.Module):
    """Self-attention in which each token sees itself and the tokens before it: (..., n, d_in) -> (..., n, d_out)."""

    def __init__(self, d_in, d_out, context_length, dropout=0.0, qkv_bias=False):
        super().__init__()
        ### BEGIN SOLUTION
        # projections
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)
        # regularisation
        self.dropout = nn.Dropout(dropout)
        # a buffer, not a parameter: it follows .to(device) and is saved in
        # state_dict, but the optimiser never touches it
        self.register_buffer("mask", causal_mask(context_length))
        ### END SOLUTION

    def forward(self, x, padding_mask=None):
        """(..., n, d_in), padding_mask (..., n) with True at padding -> (..., n, d_out)."""
        ### BEGIN SOLUTION
        n = x.shape[-2]
        context_length = self.mask.shape[-1]
        if n > context_length:
            raise ValueError(f"sequence length {n} is longer than context_length {context_length}")
        queries = self.W_query(x)  # (..., n, d_out)
        keys = self.W_key(x)  # (..., n, d_out)
        values = self.W_value(x)  # (..., n, d_out)

        blocked = self.mask[:n, :n]  # (n, n)
        if padding_mask is not None:
            # a padding token is blocked as a key in every query's row
            blocked = blocked | padding_mask.unsqueeze(-2)  # (..., n, n)
        scores = queries @ keys.transpose(-2, -1) / math.sqrt(keys.shape[-1])  # (..., n, n)
        scores = scores.masked_fill(blocked, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        # a row with every key blocked is NaN: zeros instead, so stacked layers stay finite
        weights = weights.masked_fill(blocked.all(dim=-1, keepdim=True), 0.0)
        weights = self.dropout(weights)  # drops attention links, in training mode only
        return weights @ values  # (..., n, d_out)
        ### END SOLUTION
