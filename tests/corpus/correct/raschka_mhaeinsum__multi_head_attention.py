"""Modelled on "Build a Large Language Model (From Scratch)", bonus notebook
ch03/02_bonus_efficient-multihead-attention/mha-implementations.ipynb, class MHAEinsum
(https://github.com/rasbt/LLMs-from-scratch/blob/main/ch03/02_bonus_efficient-multihead-attention/mha-implementations.ipynb).

Choices that differ from the kit's reference:
- every product is a torch.einsum: the projections ("bnd,od->bno"), the scores ("bhnd,bhmd->bhnm")
  and the context ("bhnm,bhmd->bhnd");
- the biases are added in place (`Q += bias`) after the projection;
- the scale is `self.head_dim ** 0.5`; the float mask buffer is made bool when used;
- the heads are merged with `transpose(1, 2).reshape(b, n, self.d_out)`.
Added to fit the kit's API:
- forward takes the kit's unbatched input (run as a batch of one) and optional padding_mask (True at
  padding, blocked as a key for every head), which the source lacks; padding keys join the -inf fill, and a row left with no key is set to zero weights after the softmax.
- the notebook keeps three `nn.Parameter(torch.randn(d_in, d_out))` and separate bias_q/k/v
  parameters; the kit checks nn.Linear layers W_query/W_key/W_value, so the einsums read the
  layers' weight (d_out, d_in) and bias (hence "od" instead of "do");
- the assert becomes a ValueError; ValueError when n > context_length.
Left out: the notebook's combined-QKV classes (MultiHeadAttentionCombinedQKV, a single
nn.Linear(d_in, 3 * d_out)) cannot keep the kit's three named projections, and MHAPyTorchClass
wraps nn.MultiheadAttention, whose parameters (in_proj_weight) the kit cannot load by name.
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
        self.register_buffer("mask", torch.triu(torch.ones(context_length, context_length), diagonal=1))

    def forward(self, x, padding_mask=None):
        if x.dim() == 2:  # the kit's unbatched input: run it as a batch of one
            return self.forward(x.unsqueeze(0), None if padding_mask is None else padding_mask.unsqueeze(0)).squeeze(0)
        b, n, _ = x.shape
        if n > self.mask.shape[0]:
            raise ValueError(f"sequence length {n} > context length {self.mask.shape[0]}")

        Q = torch.einsum("bnd,od->bno", x, self.W_query.weight)
        K = torch.einsum("bnd,od->bno", x, self.W_key.weight)
        V = torch.einsum("bnd,od->bno", x, self.W_value.weight)

        if self.W_query.bias is not None:
            Q += self.W_query.bias
            K += self.W_key.bias
            V += self.W_value.bias

        Q = Q.view(b, n, self.num_heads, self.head_dim).transpose(1, 2)
        K = K.view(b, n, self.num_heads, self.head_dim).transpose(1, 2)
        V = V.view(b, n, self.num_heads, self.head_dim).transpose(1, 2)

        scores = torch.einsum("bhnd,bhmd->bhnm", Q, K) / (self.head_dim ** 0.5)

        mask = self.mask[:n, :n].bool()
        if padding_mask is not None:
            mask = mask | padding_mask[:, None, None, :]
        scores = scores.masked_fill(mask, -torch.inf)

        attn_weights = torch.softmax(scores, dim=-1)
        attn_weights = attn_weights.masked_fill(mask.all(dim=-1, keepdim=True), 0.0)
        attn_weights = self.dropout(attn_weights)

        context_vec = torch.einsum("bhnm,bhmd->bhnd", attn_weights, V)

        context_vec = context_vec.transpose(1, 2).reshape(b, n, self.d_out)
        context_vec = self.out_proj(context_vec)

        return context_vec
