"""Exercise 4, ported from timm's vision_transformer.Attention (fused path): heads by reshape(B, N, H, D)
and permute, F.scaled_dot_product_attention with dropout_p=self.attn_drop.p if self.training else 0.,
transpose(1, 2).reshape(B, N, C), proj (out_proj) and proj_drop (a residual dropout after it)."""
import math

import torch
from torch import nn
import torch.nn.functional as F


EXERCISE = "multi_head_attention"


class MultiHeadAttention(nn.Module):
    def __init__(self, d_in, d_out, context_length, dropout, num_heads, qkv_bias=False):
        super().__init__()
        if d_out % num_heads != 0:
            raise ValueError('dim should be divisible by num_heads')
        self.num_heads = num_heads
        self.head_dim = d_out // num_heads
        self.scale = self.head_dim ** -0.5
        self.context_length = context_length
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.dropout = nn.Dropout(dropout)        # timm's attn_drop
        self.out_proj = nn.Linear(d_out, d_out)   # timm's proj
        self.proj_drop = nn.Dropout(dropout)
        self.register_buffer('mask', torch.ones(context_length, context_length, dtype=torch.bool).triu(1),
                             persistent=False)

    def forward(self, x, padding_mask=None):
        unbatched = x.dim() == 2
        if unbatched:
            x = x.unsqueeze(0)
            if padding_mask is not None:
                padding_mask = padding_mask.unsqueeze(0)
        B, N, _ = x.shape
        if N > self.context_length:
            raise ValueError('sequence longer than context_length')
        q = self.W_query(x).reshape(B, N, self.num_heads, self.head_dim).permute(0, 2, 1, 3)
        k = self.W_key(x).reshape(B, N, self.num_heads, self.head_dim).permute(0, 2, 1, 3)
        v = self.W_value(x).reshape(B, N, self.num_heads, self.head_dim).permute(0, 2, 1, 3)
        blocked = self.mask[:N, :N]
        if padding_mask is not None:
            blocked = blocked | padding_mask[:, None, None, :]
        x = F.scaled_dot_product_attention(
            q, k, v, attn_mask=~blocked,
            dropout_p=self.dropout.p if self.training else 0.,
        )
        x = x.transpose(1, 2).reshape(B, N, self.num_heads * self.head_dim)
        x = self.out_proj(x)
        x = self.proj_drop(x)
        return x.squeeze(0) if unbatched else x
