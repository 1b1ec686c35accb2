"""facebookresearch/ParlAI#3068: Fix masked_fill no-op (https://github.com/facebookresearch/ParlAI/pull/3068).

ParlAI's attention called the out-of-place .masked_fill() and dropped its result, so the mask
was never applied. In a causal multi-head attention the same slip lets every token see the
tokens after it.
"""
BASED_ON = "annotated_transformer_mha__multi_head_attention"
EDITS = [("        scores = scores.masked_fill(mask == 0, -1e9)", "        scores.masked_fill(mask == 0, -1e9)")]
MISCONCEPTION = "mha_no_mask"
