"""Modelled on nanoGPT (Andrej Karpathy), model.py, class CausalSelfAttention, its flash path
(`self.flash`, PyTorch >= 2.0) (https://github.com/karpathy/nanoGPT/blob/master/model.py).

Choices that differ from the kit's reference:
- the attention is `torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=None,
  dropout_p=<p> if self.training else 0, is_causal=True)`;
- heads split with view+transpose(1, 2), merged with `transpose(1, 2).contiguous().view(B, T, C)`;
- a second dropout, resid_dropout (same rate), on the output of the output projection, as nanoGPT
  does; attributes n_head, n_embd.
Added to fit the kit's API:
- forward takes the kit's unbatched input (run as a batch of one) and optional padding_mask (True at
  padding, blocked as a key for every head), which the source lacks; with padding, SDPA gets an explicit attn_mask (True = may attend) in place of is_causal; it gives a row with no key zeros.
- the kit's class name and signature instead of a config object; c_attn (one Linear for q, k, v,
  then `.split`) becomes W_query, W_key, W_value; c_proj is renamed out_proj (always with a bias);
- nanoGPT keeps both an attn_dropout layer (unused on this path) and the float `self.dropout`
  that feeds dropout_p; the kit wants an nn.Dropout called dropout, so that layer takes the name and
  dropout_p reads `self.dropout.p`;
- nanoGPT registers no causal buffer on the flash path; the kit asks for one, so the manual path's
  `torch.tril(torch.ones(n, n)).view(1, 1, n, n)` is registered as `mask` (used for the length check);
- C is the output width (the kit allows d_in != d_out); the assert becomes a ValueError; ValueError
  when T > context_length.
"""
import torch
import torch.nn as nn

EXERCISE = "multi_head_attention"


class MultiHeadAttention(nn.Module):

    def __init__(self, d_in, d_out, context_length, dropout, num_heads, qkv_bias=False):
        super().__init__()
        if d_out % num_heads != 0:
            raise ValueError(f"n_embd {d_out} is not a multiple of n_head {num_heads}")
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.out_proj = nn.Linear(d_out, d_out)
        self.dropout = nn.Dropout(dropout)
        self.resid_dropout = nn.Dropout(dropout)
        self.n_head = num_heads
        self.n_embd = d_out
        self.register_buffer("mask", torch.tril(torch.ones(context_length, context_length))
                                    .view(1, 1, context_length, context_length))

    def forward(self, x, padding_mask=None):
        if x.dim() == 2:  # the kit's unbatched input: run it as a batch of one
            return self.forward(x.unsqueeze(0), None if padding_mask is None else padding_mask.unsqueeze(0)).squeeze(0)
        B, T, _ = x.size()
        C = self.n_embd
        if T > self.mask.size(-1):
            raise ValueError(f"Cannot forward sequence of length {T}, block size is only {self.mask.size(-1)}")

        q, k, v = self.W_query(x), self.W_key(x), self.W_value(x)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)

        attn_mask = None
        if padding_mask is not None:
            attn_mask = (self.mask[:, :, :T, :T] != 0) & ~padding_mask[:, None, None, :]
        y = torch.nn.functional.scaled_dot_product_attention(
            q, k, v, attn_mask=attn_mask, dropout_p=self.dropout.p if self.training else 0, is_causal=attn_mask is None)
        y = y.transpose(1, 2).contiguous().view(B, T, C)

        y = self.resid_dropout(self.out_proj(y))
        return y
