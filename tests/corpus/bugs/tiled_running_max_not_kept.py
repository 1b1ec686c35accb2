"""Dao-AILab/flash-attention#2082: Flash forward produces incorrect row max in certain cases resulting in zeroed heads (https://github.com/Dao-AILab/flash-attention/issues/2082).

An online softmax is only right while the running row maximum it rescales against is the true maximum of
the scores seen so far; a wrong one silently skews (or zeroes) the rows. Here the running maximum is never
stored back after a block, so every block is rescaled against the starting value while the sums and the
output assume the new one: a query whose keys all lie in one block is right, and every query that sees
several blocks is not.
"""
BASED_ON = "lucidrains_flash__modern_attention"
EDITS = [("            row_maxes.copy_(new_row_maxes)\n", "")]
MISCONCEPTION = "tiled_sum_not_rescaled"
