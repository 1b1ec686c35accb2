"""facebookresearch/xformers#66: [bugfix] Small fix in case the sequence is smaller than the saved mask (https://github.com/facebookresearch/xformers/pull/66).

A causal attention kept a mask sized for the longest sequence and applied it whole, without
cutting it to the current sequence length. Shorter sequences then fail to broadcast against
the mask.
"""
BASED_ON = "karpathy_lecture_head__masked_self_attention"
EDITS = [("wei = wei.masked_fill(self.mask[:T, :T] == 0, float('-inf'))", "wei = wei.masked_fill(self.mask == 0, float('-inf'))")]
MISCONCEPTION = "mask_not_sliced"
