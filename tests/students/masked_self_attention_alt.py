import torch
import torch.nn.functional as F
from torch import nn


def causal_mask(n, device=None):
    return torch.tril(torch.ones(n, n, device=device)) == 0


class CausalSelfAttention(nn.Module):
    def __init__(self, d_in, d_out, context_length, dropout=0.0, qkv_bias=False):
        super().__init__()
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.dropout = nn.Dropout(dropout)
        self.register_buffer("mask", causal_mask(context_length))

    def forward(self, x, padding_mask=None):
        # F.scaled_dot_product_attention takes the opposite convention: True = may attend
        n = x.shape[-2]
        if n > self.mask.shape[0]:
            raise ValueError(f"got {n} tokens but context_length is {self.mask.shape[0]}")
        allowed = ~self.mask[:n, :n]
        if padding_mask is not None:
            allowed = allowed & ~padding_mask.unsqueeze(-2)
        return F.scaled_dot_product_attention(
            self.W_query(x), self.W_key(x), self.W_value(x), attn_mask=allowed,
            dropout_p=self.dropout.p if self.training else 0.0)
