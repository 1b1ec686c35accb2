"""Modelled on "Build a Large Language Model (From Scratch)", ch. 3.6.1, class MultiHeadAttentionWrapper
(https://github.com/rasbt/LLMs-from-scratch/blob/main/ch03/01_main-chapter-code/ch03.ipynb).

Choices that differ from the kit's reference:
- the heads are built in a list comprehension handed to nn.ModuleList;
- `torch.nn as nn` import style.
Added to fit the kit's API:
- the heads are the kit's CausalSelfAttention (the book's CausalAttention), imported from the
  student's exercise 2 module.
Left out: the bonus notebook's Ch03_MHA_Wrapper adds an output projection over the concatenated
heads; the kit's wrapper returns the concatenation itself, so that variant cannot fit.
"""
import torch
import torch.nn as nn

from .masked_self_attention import CausalSelfAttention

EXERCISE = "multi_head_attention"


class MultiHeadAttentionWrapper(nn.Module):

    def __init__(self, d_in, d_out, context_length, dropout, num_heads, qkv_bias=False):
        super().__init__()
        self.heads = nn.ModuleList(
            [CausalSelfAttention(d_in, d_out, context_length, dropout, qkv_bias)
             for _ in range(num_heads)]
        )

    def forward(self, x):
        return torch.cat([head(x) for head in self.heads], dim=-1)
