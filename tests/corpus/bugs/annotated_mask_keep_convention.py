"""lucidrains/halonet-pytorch#4: [Bug] the attention mask should be reversed (https://github.com/lucidrains/halonet-pytorch/issues/4).

masked_fill fills where the mask is True, so a mask that marks the positions to keep has to be
inverted before it is used as the fill mask. Here the Annotated Transformer's `mask == 0` test is
applied to a mask that is already True where blocked: the blocked keys are the only ones kept.
"""
BASED_ON = "annotated_transformer_attention__self_attention"
EDITS = [("scores = scores.masked_fill(mask, -1e9)", "scores = scores.masked_fill(mask == 0, -1e9)")]
MISCONCEPTION = "sdpa_mask_inverted"
