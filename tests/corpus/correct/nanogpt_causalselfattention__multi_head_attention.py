"""Modelled on nanoGPT (Andrej Karpathy), model.py, class CausalSelfAttention, its manual
("slow attention") path (https://github.com/karpathy/nanoGPT/blob/master/model.py).

Choices that differ from the kit's reference:
- the causal buffer is float `torch.tril(torch.ones(n, n)).view(1, 1, n, n)`: 1 where a key may be
  seen, with two leading axes; scores are filled where `mask[:,:,:T,:T] == 0`;
- the scale is a factor `1.0 / math.sqrt(k.size(-1))`;
- `F.softmax`; heads merged with `transpose(1, 2).contiguous().view(B, T, C)`;
- a second dropout, resid_dropout (same rate), on the output of the output projection, as nanoGPT
  does; plus the plain attributes n_head and n_embd.
Added to fit the kit's API:
- forward takes the kit's unbatched input (run as a batch of one) and optional padding_mask (True at
  padding, blocked as a key for every head), which the source lacks; padding keys join the -inf fill, and a row left with no key is set to zero weights after the softmax.
- the class is renamed MultiHeadAttention with the kit's signature instead of a config object;
- the combined `c_attn = nn.Linear(n_embd, 3 * n_embd)` and its `.split(n_embd, dim=2)` become the
  three layers W_query, W_key, W_value; c_proj is renamed out_proj (always with a bias, as the kit
  requires; nanoGPT's follows config.bias);
- attn_dropout is renamed dropout (nanoGPT's float `self.dropout` is only used by the flash path,
  left out here: see nanogpt_flash__multi_head_attention.py); the buffer `bias` is renamed `mask`;
- nanoGPT's C is the input width, which equals the output width in GPT; the kit allows
  d_in != d_out, so C is the output width `self.n_embd`;
- the assert becomes a ValueError; ValueError when T > context_length (nanoGPT asserts this one
  level up, in GPT.forward).
"""
import math

import torch
import torch.nn as nn
from torch.nn import functional as F

EXERCISE = "multi_head_attention"


class MultiHeadAttention(nn.Module):

    def __init__(self, d_in, d_out, context_length, dropout, num_heads, qkv_bias=False):
        super().__init__()
        if d_out % num_heads != 0:
            raise ValueError(f"n_embd {d_out} is not a multiple of n_head {num_heads}")
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.out_proj = nn.Linear(d_out, d_out)
        self.dropout = nn.Dropout(dropout)
        self.resid_dropout = nn.Dropout(dropout)
        self.n_head = num_heads
        self.n_embd = d_out
        self.register_buffer("mask", torch.tril(torch.ones(context_length, context_length))
                                    .view(1, 1, context_length, context_length))

    def forward(self, x, padding_mask=None):
        if x.dim() == 2:  # the kit's unbatched input: run it as a batch of one
            return self.forward(x.unsqueeze(0), None if padding_mask is None else padding_mask.unsqueeze(0)).squeeze(0)
        B, T, _ = x.size()
        C = self.n_embd
        if T > self.mask.size(-1):
            raise ValueError(f"Cannot forward sequence of length {T}, block size is only {self.mask.size(-1)}")

        q, k, v = self.W_query(x), self.W_key(x), self.W_value(x)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)

        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        blocked = self.mask[:,:,:T,:T] == 0
        if padding_mask is not None:
            blocked = blocked | padding_mask[:, None, None, :]
        att = att.masked_fill(blocked, float('-inf'))
        att = F.softmax(att, dim=-1)
        att = att.masked_fill(blocked.all(dim=-1, keepdim=True), 0.0)
        att = self.dropout(att)
        y = att @ v
        y = y.transpose(1, 2).contiguous().view(B, T, C)

        y = self.resid_dropout(self.out_proj(y))
        return y
