"""Exercise 4, ported from fairseq's MultiheadAttention (self-attention in a decoder): time-first
(T, B, C) tensors, q *= scaling after the projection, heads folded into the batch with
view(tgt_len, bsz * num_heads, head_dim).transpose(0, 1), bmm, the decoder's buffered future mask
(additive: triu of -inf, 1) added, key_padding_mask filled with -inf, softmax in float32 and type_as,
dropout on the probabilities, bmm, transpose back, out_proj."""
import math

import torch
from torch import nn
import torch.nn.functional as F


EXERCISE = "multi_head_attention"


def fill_with_neg_inf(t):
    return t.float().fill_(float("-inf")).type_as(t)


class MultiHeadAttention(nn.Module):
    def __init__(self, d_in, d_out, context_length, dropout, num_heads, qkv_bias=False):
        super().__init__()
        self.embed_dim = d_out
        self.num_heads = num_heads
        self.head_dim = d_out // num_heads
        if self.head_dim * num_heads != self.embed_dim:
            raise ValueError("embed_dim must be divisible by num_heads")
        self.scaling = self.head_dim ** -0.5
        self.context_length = context_length
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.out_proj = nn.Linear(d_out, d_out)
        self.dropout = nn.Dropout(dropout)
        self.register_buffer("mask", torch.triu(fill_with_neg_inf(torch.zeros([context_length, context_length])), 1))

    def forward(self, x, padding_mask=None):
        unbatched = x.dim() == 2
        if unbatched:
            x = x.unsqueeze(0)
            if padding_mask is not None:
                padding_mask = padding_mask.unsqueeze(0)
        query = x.transpose(0, 1)                     # (T, B, C)
        tgt_len, bsz, _ = query.size()
        if tgt_len > self.context_length:
            raise ValueError("sequence longer than context_length")
        q = self.W_query(query)
        k = self.W_key(query)
        v = self.W_value(query)
        q = q * self.scaling
        q = q.contiguous().view(tgt_len, bsz * self.num_heads, self.head_dim).transpose(0, 1)
        k = k.contiguous().view(-1, bsz * self.num_heads, self.head_dim).transpose(0, 1)
        v = v.contiguous().view(-1, bsz * self.num_heads, self.head_dim).transpose(0, 1)
        src_len = k.size(1)

        attn_weights = torch.bmm(q, k.transpose(1, 2))
        attn_mask = self.mask[:tgt_len, :src_len].to(attn_weights)
        attn_weights += attn_mask.unsqueeze(0)
        if padding_mask is not None:
            attn_weights = attn_weights.view(bsz, self.num_heads, tgt_len, src_len)
            attn_weights = attn_weights.masked_fill(
                padding_mask.unsqueeze(1).unsqueeze(2).to(torch.bool), float("-inf")
            )
            attn_weights = attn_weights.view(bsz * self.num_heads, tgt_len, src_len)

        attn_weights_float = F.softmax(attn_weights.float(), dim=-1, dtype=torch.float32)
        # a query whose keys are all blocked: 0/0 -> NaN; give it zero weights instead
        attn_weights_float = torch.nan_to_num(attn_weights_float, nan=0.0)
        attn_weights = attn_weights_float.type_as(attn_weights)
        attn_probs = self.dropout(attn_weights)
        attn = torch.bmm(attn_probs, v)
        attn = attn.transpose(0, 1).contiguous().view(tgt_len, bsz, self.embed_dim)
        attn = self.out_proj(attn)
        attn = attn.transpose(0, 1)
        return attn.squeeze(0) if unbatched else attn
