"""lucidrains/flamingo-pytorch#10: zeroing out attention not working (https://github.com/lucidrains/flamingo-pytorch/issues/10).

The out-of-place masked_fill returns a new tensor; called without assigning its result, it
changes nothing, so the mask had no effect. Here the cross-attention's masked keys keep their
full scores and still receive weight.
"""
BASED_ON = "statquest_encoderdecoder__cross_attention"
EDITS = [("            scaled_sims = scaled_sims.masked_fill(mask=mask, value=-1e9)",
          "            scaled_sims.masked_fill(mask=mask, value=-1e9)")]
MISCONCEPTION = "cross_mask_ignored"
