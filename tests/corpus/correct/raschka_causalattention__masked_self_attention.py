"""Modelled on "Build a Large Language Model (From Scratch)", ch. 3.5.3, class CausalAttention
(https://github.com/rasbt/LLMs-from-scratch/blob/main/ch03/01_main-chapter-code/ch03.ipynb).

Choices that differ from the kit's reference:
- the mask buffer is float, `torch.triu(torch.ones(n, n), diagonal=1)`, turned into bool at every
  call with `self.mask.bool()[:num_tokens, :num_tokens]`;
- the scores are filled in place with `masked_fill_(..., -torch.inf)` before scaling, and the
  scale `keys.shape[-1]**0.5` is applied inside the softmax call;
- `keys.transpose(1, 2)` (batch axis fixed at 0); keys projected first; `self.d_out` kept;
- `b, num_tokens, d_in = x.shape` unpacking.
Added to fit the kit's API:
- the class is renamed CausalSelfAttention and `dropout` gets the default 0.0;
- unbatched (n, d_in) input: forward calls itself on `x.unsqueeze(0)` and squeezes the result;
- `padding_mask`: a second in-place fill, `masked_fill_(padding_mask[:, None, :], -torch.inf)`;
- ValueError when num_tokens > context_length (the book notes that it then fails further down);
- a query whose keys are all blocked (left padding) gets NaN from the softmax; `nan_to_num(0.0)`
  turns that row into zeros so that a next layer stays finite (without it: bugs/nan_fully_masked_rows.py).
"""
import torch
import torch.nn as nn

EXERCISE = "masked_self_attention"


class CausalSelfAttention(nn.Module):

    def __init__(self, d_in, d_out, context_length,
                 dropout=0.0, qkv_bias=False):
        super().__init__()
        self.d_out = d_out
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key   = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.dropout = nn.Dropout(dropout)
        self.register_buffer('mask', torch.triu(torch.ones(context_length, context_length), diagonal=1))

    def forward(self, x, padding_mask=None):
        if x.dim() == 2:  # unbatched: run as a batch of one
            padding_mask = None if padding_mask is None else padding_mask.unsqueeze(0)
            return self.forward(x.unsqueeze(0), padding_mask).squeeze(0)
        b, num_tokens, d_in = x.shape
        if num_tokens > self.mask.shape[0]:
            raise ValueError(f"{num_tokens} tokens exceed the context length {self.mask.shape[0]}")
        keys = self.W_key(x)
        queries = self.W_query(x)
        values = self.W_value(x)

        attn_scores = queries @ keys.transpose(1, 2)
        attn_scores.masked_fill_(
            self.mask.bool()[:num_tokens, :num_tokens], -torch.inf)
        if padding_mask is not None:
            attn_scores.masked_fill_(padding_mask[:, None, :], -torch.inf)
        attn_weights = torch.softmax(
            attn_scores / keys.shape[-1]**0.5, dim=-1
        )
        attn_weights = attn_weights.nan_to_num(0.0)
        attn_weights = self.dropout(attn_weights)

        context_vec = attn_weights @ values
        return context_vec
