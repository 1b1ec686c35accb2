"""Modelled on the "Attention in Transformers: Concepts and Code in PyTorch" course (StatQuest /
DeepLearning.AI), the self-attention coding lesson, class SelfAttention
(https://learn.deeplearning.ai/courses/attention-in-transformers-concepts-and-code-in-pytorch/).

Choices that differ from the kit's reference:
- row_dim / col_dim attributes name the axes; the keys are transposed with
  `k.transpose(dim0=row_dim, dim1=col_dim)` and the softmax runs over `dim=col_dim`;
- the scale is `torch.tensor(k.size(col_dim)**0.5)`, a float32 0-d tensor (the scores may be float64);
- `torch.matmul` and `F.softmax` (torch.nn.functional) instead of `@` and `torch.softmax`;
- short local names q, k, v, sims, scaled_sims, attention_percents.
Added to fit the kit's API:
- the course's `SelfAttention(d_model=2, row_dim=0, col_dim=1)` becomes the kit's signature
  (d_in, d_out, qkv_bias) and W_q, W_k, W_v are renamed W_query, W_key, W_value, created in that order;
- row_dim / col_dim count from the end (-2, -1) so that batched (b, n, d) input works as well as
  the course's (n, d).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

EXERCISE = "self_attention"


class SelfAttention(nn.Module):

    def __init__(self, d_in, d_out, qkv_bias=False):
        super().__init__()
        self.W_query = nn.Linear(in_features=d_in, out_features=d_out, bias=qkv_bias)
        self.W_key = nn.Linear(in_features=d_in, out_features=d_out, bias=qkv_bias)
        self.W_value = nn.Linear(in_features=d_in, out_features=d_out, bias=qkv_bias)

        self.row_dim = -2
        self.col_dim = -1

    def forward(self, token_encodings):
        q = self.W_query(token_encodings)
        k = self.W_key(token_encodings)
        v = self.W_value(token_encodings)

        sims = torch.matmul(q, k.transpose(dim0=self.row_dim, dim1=self.col_dim))

        scaled_sims = sims / torch.tensor(k.size(self.col_dim)**0.5)

        attention_percents = F.softmax(scaled_sims, dim=self.col_dim)

        attention_scores = torch.matmul(attention_percents, v)

        return attention_scores
