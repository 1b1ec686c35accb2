import torch
from torch import nn


class CrossAttention(nn.Module):
    def __init__(self, d_q, d_kv, d_out, qkv_bias=False):
        super().__init__()
        self.W_query = nn.Linear(d_q, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_kv, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_kv, d_out, bias=qkv_bias)

    def forward(self, x_q, x_kv, mask=None):
        # renormalise after the softmax instead of filling with -inf
        queries = self.W_query(x_q) * self.W_key.out_features ** -0.5
        weights = torch.softmax(queries @ self.W_key(x_kv).transpose(-1, -2), dim=-1)
        if mask is not None:
            weights = weights.masked_fill(mask, 0.0)
            weights = weights / weights.sum(dim=-1, keepdim=True)
        return weights @ self.W_value(x_kv)
