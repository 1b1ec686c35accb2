"""Exercise 3, ported from fairseq's MultiheadAttention (encoder-decoder attention, one head): q is
scaled by head_dim ** -0.5 right after its projection, scores by torch.bmm over a flattened batch,
blocked keys filled with float('-inf'), the softmax taken in float32 (utils.softmax) and cast back
with type_as, then bmm with the values."""
import math

import torch
from torch import nn
import torch.nn.functional as F

EXERCISE = "cross_attention"


class CrossAttention(nn.Module):
    def __init__(self, d_q, d_kv, d_out, qkv_bias=False):
        super().__init__()
        self.head_dim = d_out
        self.scaling = self.head_dim ** -0.5
        self.W_query = nn.Linear(d_q, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_kv, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_kv, d_out, bias=qkv_bias)

    def forward(self, x_q, x_kv, mask=None):
        tgt_len, src_len = x_q.shape[-2], x_kv.shape[-2]
        lead = torch.broadcast_shapes(x_q.shape[:-2], x_kv.shape[:-2], mask.shape[:-2] if mask is not None and mask.dim() > 2 else ())
        q = self.W_query(x_q)
        q = q * self.scaling
        k = self.W_key(x_kv)
        v = self.W_value(x_kv)
        # fairseq works on (bsz * heads, len, head_dim) with bmm
        q = q.expand(*lead, tgt_len, q.shape[-1]).reshape(-1, tgt_len, self.head_dim)
        k = k.expand(*lead, src_len, k.shape[-1]).reshape(-1, src_len, self.head_dim)
        v = v.expand(*lead, src_len, v.shape[-1]).reshape(-1, src_len, self.head_dim)
        attn_weights = torch.bmm(q, k.transpose(1, 2))
        if mask is not None:
            m = mask.expand(*lead, tgt_len, src_len).reshape(-1, tgt_len, src_len)
            attn_weights = attn_weights.masked_fill(m, float("-inf"))
        attn_weights_float = F.softmax(attn_weights.float(), dim=-1, dtype=torch.float32)
        attn_weights = attn_weights_float.type_as(attn_weights)
        attn = torch.bmm(attn_weights, v)
        return attn.reshape(*lead, tgt_len, self.head_dim)
