"""Exercise 4, ported from Hugging Face's BertSelfAttention + BertSelfOutput.dense: ValueError when the
hidden size is not a multiple of the heads, transpose_for_scores (view to heads, permute(0, 2, 1, 3)),
scores / math.sqrt(head size), one extended additive mask (1.0 - keep) * finfo(dtype).min for the
causal and padding masks together (BERT as a decoder multiplies the causal mask by the padding mask),
softmax, dropout on the probabilities, permute back, contiguous, view, dense (out_proj)."""
import math

import torch
from torch import nn


EXERCISE = "multi_head_attention"


class MultiHeadAttention(nn.Module):
    def __init__(self, d_in, d_out, context_length, dropout, num_heads, qkv_bias=False):
        super().__init__()
        if d_out % num_heads != 0:
            raise ValueError(
                f"The hidden size ({d_out}) is not a multiple of the number of attention heads ({num_heads})"
            )
        self.num_attention_heads = num_heads
        self.attention_head_size = d_out // num_heads
        self.all_head_size = self.num_attention_heads * self.attention_head_size
        self.context_length = context_length
        self.W_query = nn.Linear(d_in, self.all_head_size, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, self.all_head_size, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, self.all_head_size, bias=qkv_bias)
        self.out_proj = nn.Linear(d_out, d_out)
        self.dropout = nn.Dropout(dropout)
        # 1.0 where a token may attend (on and below the diagonal), as BERT's decoder mask
        self.register_buffer("mask", torch.tril(torch.ones(context_length, context_length)))

    def transpose_for_scores(self, x):
        new_x_shape = x.size()[:-1] + (self.num_attention_heads, self.attention_head_size)
        x = x.view(new_x_shape)
        return x.permute(0, 2, 1, 3)

    def forward(self, x, padding_mask=None):
        unbatched = x.dim() == 2
        if unbatched:
            x = x.unsqueeze(0)
            if padding_mask is not None:
                padding_mask = padding_mask.unsqueeze(0)
        seq_length = x.size(1)
        if seq_length > self.context_length:
            raise ValueError("sequence length exceeds context_length")
        query_layer = self.transpose_for_scores(self.W_query(x))
        key_layer = self.transpose_for_scores(self.W_key(x))
        value_layer = self.transpose_for_scores(self.W_value(x))

        attention_scores = torch.matmul(query_layer, key_layer.transpose(-1, -2))
        attention_scores = attention_scores / math.sqrt(self.attention_head_size)

        dtype = attention_scores.dtype
        keep = self.mask[:seq_length, :seq_length].to(dtype)[None, None, :, :]
        if padding_mask is not None:
            keep = keep * (~padding_mask).to(dtype)[:, None, None, :]
        extended_attention_mask = (1.0 - keep) * torch.finfo(dtype).min
        attention_scores = attention_scores + extended_attention_mask

        attention_probs = nn.functional.softmax(attention_scores, dim=-1)
        attention_probs = self.dropout(attention_probs)
        context_layer = torch.matmul(attention_probs, value_layer)
        context_layer = context_layer.permute(0, 2, 1, 3).contiguous()
        new_context_layer_shape = context_layer.size()[:-2] + (self.all_head_size,)
        context_layer = context_layer.view(new_context_layer_shape)
        out = self.out_proj(context_layer)
        return out.squeeze(0) if unbatched else out
