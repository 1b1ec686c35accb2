"""Modelled on "Build a Large Language Model (From Scratch)", bonus notebook
ch03/02_bonus_efficient-multihead-attention/mha-implementations.ipynb, class MHAPyTorchSDPAWithoutFlash,
with the mask fix of rasbt/LLMs-from-scratch#1062
(https://github.com/rasbt/LLMs-from-scratch/blob/main/ch03/02_bonus_efficient-multihead-attention/mha-implementations.ipynb).

Choices that differ from the kit's reference:
- the attention is `nn.functional.scaled_dot_product_attention` with an explicit bool attn_mask and
  `is_causal=False`; PyTorch reads a bool mask as True = may attend, so the kit-style buffer
  (True above the diagonal) is inverted with `~` (the fix of #1062);
- the mask is cut with the notebook's `if self.context_length >= num_tokens: ... else: ...`;
- bool buffer `torch.triu(torch.ones(n, n), diagonal=1).bool()`; heads split with view+permute and
  merged with `transpose(1, 2).contiguous().view`.
Added to fit the kit's API:
- forward takes the kit's unbatched input (run as a batch of one) and optional padding_mask (True at
  padding, blocked as a key for every head), which the source lacks; the padding is added to the inverted mask SDPA receives; SDPA gives a row with no key zeros.
- the kit's argument order; the combined qkv projection becomes W_query, W_key, W_value; proj is
  renamed out_proj; the dropout rate lives in an nn.Dropout called dropout (read as `.p`);
- ValueErrors for a bad head count (an assert in the notebook) and for n > context_length
  (the notebook would silently cut the mask to context_length and then fail inside SDPA).
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

        # SDPA's bool mask is True where attending is allowed: invert the causal buffer
        if self.context_length >= num_tokens:
            attn_mask = ~self.mask[:num_tokens, :num_tokens]
        else:
            attn_mask = ~self.mask[:self.context_length, :self.context_length]

        if padding_mask is not None:
            attn_mask = attn_mask & ~padding_mask[:, None, None, :]
        context_vec = nn.functional.scaled_dot_product_attention(
            queries, keys, values, attn_mask=attn_mask, dropout_p=use_dropout, is_causal=False)

        context_vec = context_vec.transpose(1, 2).contiguous().view(batch_size, num_tokens, self.d_out)

        context_vec = self.out_proj(context_vec)

        return context_vec
