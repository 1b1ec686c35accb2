"""Modelled on the "Attention in Transformers: Concepts and Code in PyTorch" course (StatQuest /
DeepLearning.AI), the encoder-decoder attention coding lesson, class
Attention called with encodings_for_q from one sequence and encodings_for_k/v from another
(https://learn.deeplearning.ai/courses/attention-in-transformers-concepts-and-code-in-pytorch/).

Choices that differ from the kit's reference:
- blocked scores are filled with -1e9 by `masked_fill(mask=mask, value=-1e9)`;
- the scale is `torch.tensor(k.size(col_dim)**0.5)`, a float32 0-d tensor;
- row_dim / col_dim attributes, `torch.matmul`, `F.softmax(dim=col_dim)`, the course's local names.
Added to fit the kit's API:
- the course's forward takes three encodings (for q, for k, for v); the kit passes x_q and x_kv,
  so the keys and the values both read x_kv;
- the kit's signature (d_q, d_kv, d_out, qkv_bias): W_query reads d_q features, W_key and W_value
  d_kv (the course uses d_model for all three); W_q/W_k/W_v renamed;
- row_dim / col_dim counted from the end (-2, -1) so that batched input works.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

EXERCISE = "cross_attention"


class CrossAttention(nn.Module):

    def __init__(self, d_q, d_kv, d_out, qkv_bias=False):
        super().__init__()
        self.W_query = nn.Linear(in_features=d_q, out_features=d_out, bias=qkv_bias)
        self.W_key = nn.Linear(in_features=d_kv, out_features=d_out, bias=qkv_bias)
        self.W_value = nn.Linear(in_features=d_kv, out_features=d_out, bias=qkv_bias)

        self.row_dim = -2
        self.col_dim = -1

    def forward(self, x_q, x_kv, mask=None):
        encodings_for_q, encodings_for_k, encodings_for_v = x_q, x_kv, x_kv

        q = self.W_query(encodings_for_q)
        k = self.W_key(encodings_for_k)
        v = self.W_value(encodings_for_v)

        sims = torch.matmul(q, k.transpose(dim0=self.row_dim, dim1=self.col_dim))

        scaled_sims = sims / torch.tensor(k.size(self.col_dim)**0.5)

        if mask is not None:
            scaled_sims = scaled_sims.masked_fill(mask=mask, value=-1e9)

        attention_percents = F.softmax(scaled_sims, dim=self.col_dim)

        attention_scores = torch.matmul(attention_percents, v)

        return attention_scores
