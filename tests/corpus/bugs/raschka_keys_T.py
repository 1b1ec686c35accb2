"""flrngel/Self-Attentive-tensorflow#3: Queation about transpose of H (https://github.com/flrngel/Self-Attentive-tensorflow/issues/3).

A transpose without explicit axes reverses all of them: on a batch [batch, n, d] it gives
[d, n, batch] instead of [batch, d, n] (reported for tf.transpose; PyTorch's `.T` does the same).
The book's SelfAttention_v2 writes `keys.T`, which is right for one (n, d) sequence and wrong for
a batch.
"""
BASED_ON = "raschka_selfattention_v2__self_attention"
EDITS = [("attn_scores = queries @ keys.transpose(-2, -1)", "attn_scores = queries @ keys.T")]
MISCONCEPTION = "transpose_T"
