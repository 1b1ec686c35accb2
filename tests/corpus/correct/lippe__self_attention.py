"""Exercise 1, ported from the UvA DL course transformer tutorial (Lippe): matmul, divide by sqrt(d_k),
masked_fill with -9e15, softmax, matmul. The tutorial's mask keeps where mask == 1; ours blocks where True."""
import math

import torch
from torch import nn
import torch.nn.functional as F

EXERCISE = "self_attention"


def scaled_dot_product_attention(query, key, value, mask=None):
    d_k = query.size()[-1]
    attn_logits = torch.matmul(query, key.transpose(-2, -1))
    attn_logits = attn_logits / math.sqrt(d_k)
    if mask is not None:
        attn_logits = attn_logits.masked_fill(mask, -9e15)
    attention = F.softmax(attn_logits, dim=-1)
    values = torch.matmul(attention, value)
    return values, attention


class SelfAttention(nn.Module):
    def __init__(self, d_in, d_out, qkv_bias=False):
        super().__init__()
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)

    def forward(self, x):
        q = self.W_query(x)
        k = self.W_key(x)
        v = self.W_value(x)
        values, attention = scaled_dot_product_attention(q, k, v)
        return values
