"""Modelled on "Build a Large Language Model (From Scratch)", bonus notebook
ch03/02_bonus_efficient-multihead-attention/mha-implementations.ipynb, class MHAPyTorchScaledDotProduct
(https://github.com/rasbt/LLMs-from-scratch/blob/main/ch03/02_bonus_efficient-multihead-attention/mha-implementations.ipynb).

Choices that differ from the kit's reference:
- the attention itself is `nn.functional.scaled_dot_product_attention(..., is_causal=True)`, with
  `dropout_p = 0. if not self.training else <p>`;
- the heads are split with `view(...)` and `permute`, merged with `transpose(1, 2).contiguous().view`;
- `self.context_length`, `self.d_out` kept; `batch_size, num_tokens, embed_dim` names.
Added to fit the kit's API:
- forward takes the kit's unbatched input (run as a batch of one) and optional padding_mask (True at
  padding, blocked as a key for every head), which the source lacks; with padding, SDPA gets an explicit attn_mask (True = may attend) in place of is_causal; it gives a row with no key zeros.
- the notebook's signature is (d_in, d_out, num_heads, context_length, dropout, qkv_bias); the kit's
  order (d_in, d_out, context_length, dropout, num_heads, qkv_bias) is used;
- the combined `self.qkv = nn.Linear(d_in, 3 * d_out)` becomes W_query, W_key, W_value (the
  notebook's `qkv.view(b, n, 3, h, hd).permute(2, 0, 3, 1, 4)` then becomes one view+permute each);
  `self.proj` is renamed out_proj;
- the notebook keeps the dropout rate as a float in `self.dropout`; the kit wants an nn.Dropout
  layer called dropout, so the rate is read from `self.dropout.p`;
- a bool causal buffer `mask` (the notebook's SDPA-without-flash sibling registers the same one),
  the ValueErrors for a bad head count (an assert in the notebook) and for n > context_length.
"""
import torch
import torch.nn as nn

EXERCISE = "multi_head_attention"


class MultiHeadAttention(nn.Module):
    def __init__(self, d_in, d_out, context_length, dropout, num_heads, qkv_bias=False):
        super().__init__()

        if d_out % num_heads != 0:
            raise ValueError("d_out is indivisible by num_heads")

        self.num_heads = num_heads
        self.context_length = context_length
        self.head_dim = d_out // num_heads
        self.d_out = d_out

        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.out_proj = nn.Linear(d_out, d_out)
        self.dropout = nn.Dropout(dropout)
        self.register_buffer("mask", torch.triu(torch.ones(context_length, context_length), diagonal=1).bool())

    def forward(self, x, padding_mask=None):
        if x.dim() == 2:  # the kit's unbatched input: run it as a batch of one
            return self.forward(x.unsqueeze(0), None if padding_mask is None else padding_mask.unsqueeze(0)).squeeze(0)
        batch_size, num_tokens, embed_dim = x.shape
        if num_tokens > self.context_length:
            raise ValueError(f"{num_tokens} tokens, context length {self.context_length}")

        queries = self.W_query(x).view(batch_size, num_tokens, self.num_heads, self.head_dim).permute(0, 2, 1, 3)
        keys = self.W_key(x).view(batch_size, num_tokens, self.num_heads, self.head_dim).permute(0, 2, 1, 3)
        values = self.W_value(x).view(batch_size, num_tokens, self.num_heads, self.head_dim).permute(0, 2, 1, 3)

        use_dropout = 0. if not self.training else self.dropout.p

        attn_mask = None
        if padding_mask is not None:
            attn_mask = ~(self.mask[:num_tokens, :num_tokens] | padding_mask[:, None, None, :])
        context_vec = nn.functional.scaled_dot_product_attention(
            queries, keys, values, attn_mask=attn_mask, dropout_p=use_dropout, is_causal=attn_mask is None)

        context_vec = context_vec.transpose(1, 2).contiguous().view(batch_size, num_tokens, self.d_out)

        context_vec = self.out_proj(context_vec)

        return context_vec
