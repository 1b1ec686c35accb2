"""PetrochukM/PyTorch-NLP#2: Attention's softmax dimension is wrong? (https://github.com/PetrochukM/PyTorch-NLP/issues/2).

The attention module normalised its scores over the wrong axis (dim 0), so the weights did not
sum to one over the keys of each query. Here the softmax runs over the queries (row_dim) instead
of the keys (col_dim).
"""
BASED_ON = "statquest_selfattention__self_attention"
EDITS = [("attention_percents = F.softmax(scaled_sims, dim=self.col_dim)",
          "attention_percents = F.softmax(scaled_sims, dim=self.row_dim)")]
MISCONCEPTION = "head_softmax_over_queries"
