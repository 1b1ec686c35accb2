"""Modelled on "Build a Large Language Model (From Scratch)", ch. 3.6.2, class MultiHeadAttention as
printed in the book and notebook
(https://github.com/rasbt/LLMs-from-scratch/blob/main/ch03/01_main-chapter-code/ch03.ipynb).

Choices that differ from the kit's reference:
- float mask buffer `torch.triu(torch.ones(n, n), diagonal=1)`, made bool and cut at every call;
- in-place `masked_fill_(mask_bool, -torch.inf)` before scaling; the scale `keys.shape[-1]**0.5`
  is applied inside the softmax call;
- each projection is viewed and then transposed in separate statements; `keys.transpose(2, 3)`;
- the heads are merged with `.contiguous().view(b, num_tokens, self.d_out)`;
- `self.d_out` kept; keys projected first.
Added to fit the kit's API:
- forward takes the kit's unbatched input (run as a batch of one) and optional padding_mask (True at
  padding, blocked as a key for every head), which the source lacks; padding keys join the -inf fill, and a row left with no key is set to zero weights after the softmax.
- the `assert d_out % num_heads == 0` becomes a ValueError;
- ValueError when num_tokens > context_length (the book notes that it then fails further down).
"""
import torch
import torch.nn as nn

EXERCISE = "multi_head_attention"


class MultiHeadAttention(nn.Module):
    def __init__(self, d_in, d_out, context_length, dropout, num_heads, qkv_bias=False):
        super().__init__()
        if d_out % num_heads != 0:
            raise ValueError("d_out must be divisible by num_heads")

        self.d_out = d_out
        self.num_heads = num_heads
        self.head_dim = d_out // num_heads

        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.out_proj = nn.Linear(d_out, d_out)
        self.dropout = nn.Dropout(dropout)
        self.register_buffer(
            "mask",
            torch.triu(torch.ones(context_length, context_length),
                       diagonal=1)
        )

    def forward(self, x, padding_mask=None):
        if x.dim() == 2:  # the kit's unbatched input: run it as a batch of one
            return self.forward(x.unsqueeze(0), None if padding_mask is None else padding_mask.unsqueeze(0)).squeeze(0)
        b, num_tokens, d_in = x.shape
        if num_tokens > self.mask.shape[0]:
            raise ValueError(f"{num_tokens} tokens exceed the context length {self.mask.shape[0]}")

        keys = self.W_key(x)
        queries = self.W_query(x)
        values = self.W_value(x)

        # split the features into heads
        keys = keys.view(b, num_tokens, self.num_heads, self.head_dim)
        values = values.view(b, num_tokens, self.num_heads, self.head_dim)
        queries = queries.view(b, num_tokens, self.num_heads, self.head_dim)

        # heads before tokens
        keys = keys.transpose(1, 2)
        queries = queries.transpose(1, 2)
        values = values.transpose(1, 2)

        attn_scores = queries @ keys.transpose(2, 3)

        mask_bool = self.mask.bool()[:num_tokens, :num_tokens]
        if padding_mask is not None:
            mask_bool = mask_bool | padding_mask[:, None, None, :]

        attn_scores.masked_fill_(mask_bool, -torch.inf)

        attn_weights = torch.softmax(attn_scores / keys.shape[-1]**0.5, dim=-1)
        attn_weights = attn_weights.masked_fill(mask_bool.all(dim=-1, keepdim=True), 0.0)
        attn_weights = self.dropout(attn_weights)

        context_vec = (attn_weights @ values).transpose(1, 2)

        # tokens before heads again, then the heads side by side
        context_vec = context_vec.contiguous().view(b, num_tokens, self.d_out)
        context_vec = self.out_proj(context_vec)

        return context_vec
