"""hyunwoongko/transformer#10: Masked attention (https://github.com/hyunwoongko/transformer/issues/10).

The scaled dot-product attention filled masked scores with -e, where e was a tiny epsilon
(1e-12), instead of a large negative number. A score of about zero still gets weight exp(0)
after the softmax, so masked keys are not masked at all.
"""
BASED_ON = "annotated_transformer_attention__self_attention"
EDITS = [("scores = scores.masked_fill(mask, -1e9)", "scores = scores.masked_fill(mask, -1e-12)")]
MISCONCEPTION = "sdpa_mask_zero_fill"
