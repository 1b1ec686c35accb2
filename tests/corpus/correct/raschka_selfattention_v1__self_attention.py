"""Modelled on "Build a Large Language Model (From Scratch)", ch. 3.4.2, class SelfAttention_v1
(https://github.com/rasbt/LLMs-from-scratch/blob/main/ch03/01_main-chapter-code/ch03.ipynb).

Choices that differ from the kit's reference:
- the projections are explicit matrix products `x @ W` with the weight matrix as (d_in, d_out),
  as the book writes them, instead of calling the layer;
- keys are projected first, then queries, then values;
- the scale is `keys.shape[-1]**0.5`, a Python float, applied inside the softmax call;
- no `math` import.
Added to fit the kit's API:
- the book keeps three `nn.Parameter(torch.rand(d_in, d_out))`; the kit checks for
  `nn.Linear(d_in, d_out, bias=qkv_bias)` layers named W_query, W_key, W_value, so the weights live
  in such layers and are used as `x @ layer.weight.T` (plus the bias when qkv_bias is set);
- the book's `keys.T` reverses every axis of a batch, so `keys.transpose(-2, -1)` is used
  (the `.T` form is bugs/raschka_keys_T.py);
- the qkv_bias argument.
"""
import torch
import torch.nn as nn

EXERCISE = "self_attention"


class SelfAttention(nn.Module):

    def __init__(self, d_in, d_out, qkv_bias=False):
        super().__init__()
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)

    def forward(self, x):
        keys = x @ self.W_key.weight.T
        queries = x @ self.W_query.weight.T
        values = x @ self.W_value.weight.T
        if self.W_key.bias is not None:
            keys = keys + self.W_key.bias
            queries = queries + self.W_query.bias
            values = values + self.W_value.bias

        attn_scores = queries @ keys.transpose(-2, -1)
        attn_weights = torch.softmax(
            attn_scores / keys.shape[-1]**0.5, dim=-1
        )

        context_vec = attn_weights @ values
        return context_vec
