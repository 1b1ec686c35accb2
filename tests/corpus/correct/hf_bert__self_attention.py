"""Exercise 1, ported from Hugging Face's BertSelfAttention (eager path): scores divided by
math.sqrt(head size), the mask turned into an additive one filled with torch.finfo(dtype).min,
nn.functional.softmax over the last axis, then probabilities times values."""
import math

import torch
from torch import nn

EXERCISE = "self_attention"


def scaled_dot_product_attention(query, key, value, mask=None):
    attention_scores = torch.matmul(query, key.transpose(-1, -2))
    attention_scores = attention_scores / math.sqrt(query.size(-1))
    if mask is not None:
        # BERT's get_extended_attention_mask: (1.0 - keep) * finfo.min, added to the scores
        extended = mask.to(dtype=attention_scores.dtype) * torch.finfo(attention_scores.dtype).min
        attention_scores = attention_scores + extended
    attention_probs = nn.functional.softmax(attention_scores, dim=-1)
    context_layer = torch.matmul(attention_probs, value)
    return context_layer, attention_probs


class SelfAttention(nn.Module):
    def __init__(self, d_in, d_out, qkv_bias=False):
        super().__init__()
        self.attention_head_size = d_out
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)

    def forward(self, x):
        query_layer = self.W_query(x)
        key_layer = self.W_key(x)
        value_layer = self.W_value(x)
        context_layer, _ = scaled_dot_product_attention(query_layer, key_layer, value_layer)
        return context_layer
