"""Modelled on "The Annotated Transformer" (Harvard NLP), class MultiHeadedAttention with its
helpers clones(), subsequent_mask() and attention()
(https://github.com/harvardnlp/annotated-transformer/blob/master/the_annotated_transformer.py).

Choices that differ from the kit's reference:
- the projections are deep copies of one nn.Linear (`clones`), so they start with equal weights;
- the causal buffer is the source's subsequent_mask: bool, shape (1, n, n), True where a key MAY be
  seen (`triu(...).type(torch.uint8) == 0`); the helper attention() fills where `mask == 0`
  with -1e9 (this mask never leaves the module, so the source's convention is kept inside it);
- the mask gets a head axis with `unsqueeze(1)`; projections are applied in a list comprehension
  over (layer, input) pairs; heads merged with `transpose(1, 2).contiguous().view(nbatches, -1, h * d_k)`;
- the last attention weights are stored in `self.attn`; `scores.softmax(dim=-1)`; `del` of q, k, v.
Added to fit the kit's API:
- forward takes the kit's unbatched input (run as a batch of one) and optional padding_mask (True at
  padding, blocked as a key for every head), which the source lacks; the padding is folded into the source's keep-mask, and its -1e9 fill leaves a fully blocked row finite.
- the kit's class name and signature (d_in, d_out, context_length, dropout, num_heads, qkv_bias)
  and a single input x instead of (query, key, value, mask); the four `self.linears` become three
  clones W_query, W_key, W_value plus out_proj (a fourth clone only fits when d_in == d_out);
- the causal mask is registered as the buffer `mask` and cut to n tokens;
- the assert becomes a ValueError; ValueError when n > context_length.
"""
import copy
import math

import torch
import torch.nn as nn

EXERCISE = "multi_head_attention"


def clones(module, N):
    return nn.ModuleList([copy.deepcopy(module) for _ in range(N)])


def subsequent_mask(size):
    attn_shape = (1, size, size)
    subsequent_mask = torch.triu(torch.ones(attn_shape), diagonal=1).type(
        torch.uint8
    )
    return subsequent_mask == 0


def attention(query, key, value, mask=None, dropout=None):
    d_k = query.size(-1)
    scores = torch.matmul(query, key.transpose(-2, -1)) / math.sqrt(d_k)
    if mask is not None:
        scores = scores.masked_fill(mask == 0, -1e9)
    p_attn = scores.softmax(dim=-1)
    if dropout is not None:
        p_attn = dropout(p_attn)
    return torch.matmul(p_attn, value), p_attn


class MultiHeadAttention(nn.Module):
    def __init__(self, d_in, d_out, context_length, dropout, num_heads, qkv_bias=False):
        super(MultiHeadAttention, self).__init__()
        if d_out % num_heads != 0:
            raise ValueError(f"d_model {d_out} is not divisible by h {num_heads}")
        self.d_k = d_out // num_heads
        self.h = num_heads
        self.W_query, self.W_key, self.W_value = clones(nn.Linear(d_in, d_out, bias=qkv_bias), 3)
        self.out_proj = nn.Linear(d_out, d_out)
        self.attn = None
        self.dropout = nn.Dropout(p=dropout)
        self.register_buffer("mask", subsequent_mask(context_length))

    def forward(self, x, padding_mask=None):
        if x.dim() == 2:  # the kit's unbatched input: run it as a batch of one
            return self.forward(x.unsqueeze(0), None if padding_mask is None else padding_mask.unsqueeze(0)).squeeze(0)
        query = key = value = x
        n = x.size(1)
        if n > self.mask.size(-1):
            raise ValueError(f"{n} tokens, but context_length is {self.mask.size(-1)}")
        mask = self.mask[:, :n, :n]
        mask = mask.unsqueeze(1)
        if padding_mask is not None:
            mask = mask & ~padding_mask[:, None, None, :]
        nbatches = query.size(0)

        query, key, value = [
            lin(x).view(nbatches, -1, self.h, self.d_k).transpose(1, 2)
            for lin, x in zip((self.W_query, self.W_key, self.W_value), (query, key, value))
        ]

        x, self.attn = attention(
            query, key, value, mask=mask, dropout=self.dropout
        )

        x = (
            x.transpose(1, 2)
            .contiguous()
            .view(nbatches, -1, self.h * self.d_k)
        )
        del query
        del key
        del value
        return self.out_proj(x)
