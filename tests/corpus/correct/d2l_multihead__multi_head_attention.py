"""Modelled on "Dive into Deep Learning" (d2l.ai), PyTorch edition, sections 11.3 and 11.5 and the
decoder of 11.7: masked_softmax(), DotProductAttention, MultiHeadAttention (transpose_qkv,
transpose_output) and the decoder's training-time `dec_valid_lens`
(https://github.com/d2l-ai/d2l-en/blob/master/d2l/torch.py).

Choices that differ from the kit's reference:
- masking by valid lengths instead of a mask tensor: query i of a sequence may see its first
  i + 1 keys (d2l's decoder builds `dec_valid_lens = arange(1, n + 1).repeat(b, 1)` for this);
- masked_softmax writes -1e6 into the blocked scores in place (`X[~mask] = value`) on a
  (b * h * n, n) reshape, then applies the softmax;
- heads are folded into the batch axis: reshape (b, n, h, -1), permute(0, 2, 1, 3), reshape
  (b * h, n, hd); `torch.bmm` for both products; valid lengths copied per head with
  `repeat_interleave`;
- the attention is a separate module whose dropout acts on the weights and which keeps the last
  weights in `attention_weights`.
Added to fit the kit's API:
- forward takes the kit's unbatched input (run as a batch of one) and optional padding_mask (True at
  padding, blocked as a key for every head), which the source lacks; valid_lens cannot express left padding, so DotProductAttention also fills padding keys with d2l's own -1e6 before its masked_softmax.
- d2l's LazyLinear layers W_q, W_k, W_v, W_o become nn.Linear layers W_query, W_key, W_value and
  out_proj (the kit checks their shapes before any forward pass); out_proj always has a bias
  (d2l's W_o follows `bias`, False by default);
- the kit's signature and a single input; the causal valid lengths are built inside forward;
- the kit looks for the attention dropout under the name `dropout`, so the module's dropout layer
  is created there and handed to the DotProductAttention;
- a bool causal buffer `mask` (unused by the valid-length masking, used for the length check) and
  ValueErrors for a bad head count and for n > context_length.
"""
import math

import torch
from torch import nn

EXERCISE = "multi_head_attention"


def masked_softmax(X, valid_lens):
    def _sequence_mask(X, valid_len, value=0):
        maxlen = X.size(1)
        mask = torch.arange((maxlen), dtype=torch.float32,
                            device=X.device)[None, :] < valid_len[:, None]
        X[~mask] = value
        return X

    if valid_lens is None:
        return nn.functional.softmax(X, dim=-1)
    else:
        shape = X.shape
        if valid_lens.dim() == 1:
            valid_lens = torch.repeat_interleave(valid_lens, shape[1])
        else:
            valid_lens = valid_lens.reshape(-1)
        X = _sequence_mask(X.reshape(-1, shape[-1]), valid_lens, value=-1e6)
        return nn.functional.softmax(X.reshape(shape), dim=-1)


class DotProductAttention(nn.Module):
    def __init__(self, dropout):
        super().__init__()
        self.dropout = nn.Dropout(dropout)

    def forward(self, queries, keys, values, valid_lens=None, blocked=None):
        d = queries.shape[-1]
        scores = torch.bmm(queries, keys.transpose(1, 2)) / math.sqrt(d)
        if blocked is not None:
            scores = scores.masked_fill(blocked, -1e6)
        self.attention_weights = masked_softmax(scores, valid_lens)
        return torch.bmm(self.dropout(self.attention_weights), values)


class MultiHeadAttention(nn.Module):
    def __init__(self, d_in, d_out, context_length, dropout, num_heads, qkv_bias=False):
        super().__init__()
        if d_out % num_heads != 0:
            raise ValueError(f"num_hiddens {d_out} must be divisible by num_heads {num_heads}")
        self.num_heads = num_heads
        self.dropout = nn.Dropout(dropout)
        self.attention = DotProductAttention(dropout)
        self.attention.dropout = self.dropout
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.out_proj = nn.Linear(d_out, d_out)
        self.register_buffer("mask", torch.ones(context_length, context_length, dtype=torch.bool).triu(1))

    def forward(self, X, padding_mask=None):
        if X.dim() == 2:  # the kit's unbatched input: run it as a batch of one
            return self.forward(X.unsqueeze(0), None if padding_mask is None else padding_mask.unsqueeze(0)).squeeze(0)
        batch_size, num_steps, _ = X.shape
        if num_steps > self.mask.shape[-1]:
            raise ValueError(f"{num_steps} steps, but context_length is {self.mask.shape[-1]}")
        dec_valid_lens = torch.arange(1, num_steps + 1, device=X.device).repeat(batch_size, 1)

        queries = self.transpose_qkv(self.W_query(X))
        keys = self.transpose_qkv(self.W_key(X))
        values = self.transpose_qkv(self.W_value(X))

        valid_lens = torch.repeat_interleave(dec_valid_lens, repeats=self.num_heads, dim=0)

        blocked = None
        if padding_mask is not None:
            blocked = torch.repeat_interleave(padding_mask[:, None, :], repeats=self.num_heads, dim=0)
        output = self.attention(queries, keys, values, valid_lens, blocked)
        output_concat = self.transpose_output(output)
        return self.out_proj(output_concat)

    def transpose_qkv(self, X):
        X = X.reshape(X.shape[0], X.shape[1], self.num_heads, -1)
        X = X.permute(0, 2, 1, 3)
        return X.reshape(-1, X.shape[2], X.shape[3])

    def transpose_output(self, X):
        X = X.reshape(-1, self.num_heads, X.shape[1], X.shape[2])
        X = X.permute(0, 2, 1, 3)
        return X.reshape(X.shape[0], X.shape[1], -1)
