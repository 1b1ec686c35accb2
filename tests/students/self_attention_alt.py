import math

import torch
import torch.nn.functional as F
from torch import nn


def scaled_dot_product_attention(query, key, value, mask=None):
    # einsum, queries scaled first, a manual stable softmax and torch.where with finfo.min
    scores = torch.einsum("...qd,...kd->...qk", query / math.sqrt(query.size(-1)), key)
    if mask is not None:
        scores = torch.where(mask, torch.finfo(scores.dtype).min, scores)
    scores = scores - scores.amax(dim=-1, keepdim=True)
    weights = scores.exp()
    if mask is not None:
        weights = weights.masked_fill(mask, 0.0)
    weights = weights / weights.sum(dim=-1, keepdim=True)
    return torch.einsum("...qk,...kd->...qd", weights, value), weights


class SelfAttention(nn.Module):
    def __init__(self, d_in, d_out, qkv_bias=False):
        super().__init__()
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)

    def forward(self, x):
        return F.scaled_dot_product_attention(self.W_query(x), self.W_key(x), self.W_value(x))
