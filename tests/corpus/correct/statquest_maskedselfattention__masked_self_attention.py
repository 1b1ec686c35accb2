"""Modelled on the "Attention in Transformers: Concepts and Code in PyTorch" course (StatQuest /
DeepLearning.AI), the masked self-attention coding lesson, class MaskedSelfAttention and the
mask it is called with (https://learn.deeplearning.ai/courses/attention-in-transformers-concepts-and-code-in-pytorch/).

Choices that differ from the kit's reference:
- the causal mask is built the course's way, `torch.tril(torch.ones(n, n)) == 0`;
- blocked scores are filled with -1e9 by `masked_fill(mask=mask, value=-1e9)`, so a query that
  may see no key gets equal weights instead of NaN;
- the scale is `torch.tensor(k.size(col_dim)**0.5)`, a float32 0-d tensor;
- row_dim / col_dim attributes, `torch.matmul`, `F.softmax(dim=col_dim)`.
Added to fit the kit's API:
- the course passes the mask to forward; the kit asks for causal_mask(n, device) and a buffer
  `mask`, so the course's two mask lines become causal_mask() and the buffer is cut to n;
- the kit's signature (d_in, d_out, context_length, dropout, qkv_bias), W_q/W_k/W_v renamed
  W_query/W_key/W_value, row_dim/col_dim counted from the end (-2, -1) for batched input;
- dropout on the weights (the course has none), the ValueError for n > context_length, and the
  padding mask combined with the causal one.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

EXERCISE = "masked_self_attention"


def causal_mask(n, device=None):
    mask = torch.tril(torch.ones(n, n, device=device))
    mask = mask == 0
    return mask


class CausalSelfAttention(nn.Module):

    def __init__(self, d_in, d_out, context_length, dropout=0.0, qkv_bias=False):
        super().__init__()
        self.W_query = nn.Linear(in_features=d_in, out_features=d_out, bias=qkv_bias)
        self.W_key = nn.Linear(in_features=d_in, out_features=d_out, bias=qkv_bias)
        self.W_value = nn.Linear(in_features=d_in, out_features=d_out, bias=qkv_bias)

        self.row_dim = -2
        self.col_dim = -1

        self.dropout = nn.Dropout(dropout)
        self.register_buffer("mask", causal_mask(context_length))

    def forward(self, token_encodings, padding_mask=None):
        n = token_encodings.size(self.row_dim)
        if n > self.mask.size(0):
            raise ValueError(f"{n} tokens, but context_length is {self.mask.size(0)}")
        q = self.W_query(token_encodings)
        k = self.W_key(token_encodings)
        v = self.W_value(token_encodings)

        sims = torch.matmul(q, k.transpose(dim0=self.row_dim, dim1=self.col_dim))

        scaled_sims = sims / torch.tensor(k.size(self.col_dim)**0.5)

        mask = self.mask[:n, :n]
        if padding_mask is not None:
            mask = mask | padding_mask.unsqueeze(self.row_dim)
        scaled_sims = scaled_sims.masked_fill(mask=mask, value=-1e9)

        attention_percents = F.softmax(scaled_sims, dim=self.col_dim)
        attention_percents = self.dropout(attention_percents)

        attention_scores = torch.matmul(attention_percents, v)

        return attention_scores
