"""zhouhaoyi/Informer2020#97: Dropout is created but never used in ProbAttention (https://github.com/zhouhaoyi/Informer2020/issues/97).

The attention module built a dropout layer in its constructor but never called it on the
scores, so no attention weight was ever dropped in training. The maintainer confirmed it was an
oversight.
"""
BASED_ON = "raschka_multiheadattention__multi_head_attention"
EDITS = [("        attn_weights = self.dropout(attn_weights)\n", "")]
MISCONCEPTION = "mha_no_dropout"
