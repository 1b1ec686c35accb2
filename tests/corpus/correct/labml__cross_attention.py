"""Exercise 3, ported from labml.ai's annotated MultiHeadAttention (one head): sequence-first tensors
[seq, batch, d], scores by einsum('ibd,jbd->ijb'), scaled by 1/sqrt(d_k) after the product, mask in
labml's [seq_q, seq_k, batch] layout filled with -inf, softmax over dim=1 (the keys), einsum back."""
import math

import torch
from torch import nn

EXERCISE = "cross_attention"


class CrossAttention(nn.Module):
    def __init__(self, d_q, d_kv, d_out, qkv_bias=False):
        super().__init__()
        self.d_k = d_out
        self.W_query = nn.Linear(d_q, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_kv, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_kv, d_out, bias=qkv_bias)
        self.softmax = nn.Softmax(dim=1)
        self.scale = 1 / math.sqrt(self.d_k)

    def forward(self, x_q, x_kv, mask=None):
        n_q, n_kv = x_q.shape[-2], x_kv.shape[-2]
        lead = torch.broadcast_shapes(x_q.shape[:-2], x_kv.shape[:-2], mask.shape[:-2] if mask is not None and mask.dim() > 2 else ())
        # to labml's layout: [seq_len, batch_size, d]
        query = self.W_query(x_q).expand(*lead, n_q, self.d_k).reshape(-1, n_q, self.d_k).transpose(0, 1)
        key = self.W_key(x_kv).expand(*lead, n_kv, self.d_k).reshape(-1, n_kv, self.d_k).transpose(0, 1)
        value = self.W_value(x_kv).expand(*lead, n_kv, self.d_k).reshape(-1, n_kv, self.d_k).transpose(0, 1)
        scores = torch.einsum('ibd,jbd->ijb', query, key)
        scores *= self.scale
        if mask is not None:
            keep = ~mask.expand(*lead, n_q, n_kv).reshape(-1, n_q, n_kv)   # [batch, i, j]
            keep = keep.permute(1, 2, 0)                                     # [i, j, batch]
            scores = scores.masked_fill(keep == 0, float('-inf'))
        attn = self.softmax(scores)
        x = torch.einsum('ijb,jbd->ibd', attn, value)
        return x.transpose(0, 1).reshape(*lead, n_q, self.d_k)
