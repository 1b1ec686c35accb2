"""Dao-AILab/flash-attention#991: Error in Algorithm 1 of Flash Attention 2 paper (https://github.com/Dao-AILab/flash-attention/issues/991).

The report finds the factor that rescales the output accumulated so far printed wrongly in the paper's
forward pass: when a new block raises a row's running maximum, what was accumulated against the old maximum
must be multiplied by exp(m_old - m_new). Code that gets that factor wrong is right for every query whose
keys lie in one block and wrong for the others. Here the factor is left out of the output's update.
"""
BASED_ON = "lucidrains_flash__modern_attention"
EDITS = [("oc.mul_((row_sums / new_row_sums) * exp_row_max_diff)", "oc.mul_(row_sums / new_row_sums)")]
MISCONCEPTION = "tiled_output_not_rescaled"
