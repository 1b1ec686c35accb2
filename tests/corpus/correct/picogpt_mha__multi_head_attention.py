"""Modelled on picoGPT (Jay Mody), gpt2.py, functions softmax(), attention() and mha()
(https://github.com/jaymody/picoGPT/blob/main/gpt2.py), translated from NumPy to PyTorch.

Choices that differ from the kit's reference:
- the heads are separate slices: each projection is cut into n_head pieces along the features
  (`np.split(..., n_head, axis=-1)`, here `torch.tensor_split`), attention runs once per head in a
  list comprehension, and the results are concatenated along the features;
- a hand-written softmax, `exp(x - max) / sum`;
- an additive causal mask, `(1 - tri(n)) * -1e10`, added to the scores (0 where a key may be seen,
  -1e10 where it may not); it is cached as the buffer `mask` and cut to n;
- the scale is `np.sqrt(q.shape[-1])`, a NumPy float; attention is one expression.
Added to fit the kit's API:
- forward takes the kit's unbatched input (run as a batch of one) and optional padding_mask (True at
  padding, blocked as a key for every head), which the source lacks; padding keys get the source's additive -1e10 too, which leaves a fully blocked row finite.
- picoGPT's single c_attn (split into q, k, v) becomes W_query, W_key, W_value; c_proj is renamed
  out_proj;
- picoGPT works on one unbatched sequence: `k.T` becomes `k.mT` and np.hstack becomes
  `torch.cat(..., dim=-1)` so that a batch (b, n, d) keeps its axes;
- picoGPT is inference-only; the kit wants dropout on the attention weights in training, so
  attention() takes a dropout layer (self.dropout) applied to the softmax output;
- ValueErrors for a bad head count and for n > context_length.
"""
import numpy as np
import torch
from torch import nn

EXERCISE = "multi_head_attention"


def softmax(x):
    exp_x = torch.exp(x - torch.max(x, dim=-1, keepdim=True).values)
    return exp_x / torch.sum(exp_x, dim=-1, keepdim=True)


def attention(q, k, v, mask, dropout):
    return dropout(softmax(q @ k.mT / np.sqrt(q.shape[-1]) + mask)) @ v


class MultiHeadAttention(nn.Module):
    def __init__(self, d_in, d_out, context_length, dropout, num_heads, qkv_bias=False):
        super().__init__()
        if d_out % num_heads != 0:
            raise ValueError(f"n_embd {d_out} does not split into {num_heads} heads")
        self.n_head = num_heads
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.out_proj = nn.Linear(d_out, d_out)
        self.dropout = nn.Dropout(dropout)
        self.register_buffer("mask", (1 - torch.tril(torch.ones(context_length, context_length))) * -1e10)

    def forward(self, x, padding_mask=None):
        if x.dim() == 2:  # the kit's unbatched input: run it as a batch of one
            return self.forward(x.unsqueeze(0), None if padding_mask is None else padding_mask.unsqueeze(0)).squeeze(0)
        n_seq = x.shape[-2]
        if n_seq > self.mask.shape[-1]:
            raise ValueError(f"n_seq {n_seq} > n_ctx {self.mask.shape[-1]}")

        qkv = [self.W_query(x), self.W_key(x), self.W_value(x)]

        qkv_heads = list(map(lambda t: torch.tensor_split(t, self.n_head, dim=-1), qkv))

        causal_mask = self.mask[:n_seq, :n_seq]
        if padding_mask is not None:
            causal_mask = causal_mask + padding_mask[:, None, :] * -1e10

        out_heads = [attention(q, k, v, causal_mask, self.dropout) for q, k, v in zip(*qkv_heads)]

        x = torch.cat(out_heads, dim=-1)

        x = self.out_proj(x)

        return x
