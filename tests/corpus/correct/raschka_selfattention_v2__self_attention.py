"""Modelled on "Build a Large Language Model (From Scratch)", ch. 3.4.2, class SelfAttention_v2
(https://github.com/rasbt/LLMs-from-scratch/blob/main/ch03/01_main-chapter-code/ch03.ipynb).

Choices that differ from the kit's reference:
- keys are projected first, then queries, then values (the layers are still created in the
  order W_query, W_key, W_value, as the book does);
- the scale is `keys.shape[-1]**0.5`, a Python float, applied inside the softmax call;
- `torch.nn as nn` import style, no `math`.
Added to fit the kit's API:
- the book's `keys.T` reverses every axis of a batched tensor, so `keys.transpose(-2, -1)` is
  used (the book's own `.T` is bugs/raschka_keys_T.py).
"""
import torch
import torch.nn as nn

EXERCISE = "self_attention"


class SelfAttention(nn.Module):

    def __init__(self, d_in, d_out, qkv_bias=False):
        super().__init__()
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key   = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)

    def forward(self, x):
        keys = self.W_key(x)
        queries = self.W_query(x)
        values = self.W_value(x)

        attn_scores = queries @ keys.transpose(-2, -1)
        attn_weights = torch.softmax(attn_scores / keys.shape[-1]**0.5, dim=-1)

        context_vec = attn_weights @ values
        return context_vec
