"""FrancescoSaverioZuppichini/ViT#2: Is the scaling position appropriate for the attention score? (https://github.com/FrancescoSaverioZuppichini/ViT/issues/2).

The ViT tutorial divided the attention weights by the scaling factor after the softmax instead of
dividing the scores before it; the author fixed it. The weights keep their shape but no longer
sum to one, and the softmax never sees the scaled scores.
"""
BASED_ON = "raschka_selfattention_v2__self_attention"
EDITS = [("attn_weights = torch.softmax(attn_scores / keys.shape[-1]**0.5, dim=-1)",
          "attn_weights = torch.softmax(attn_scores, dim=-1) / keys.shape[-1]**0.5")]
MISCONCEPTION = "head_scaled_after_softmax"
