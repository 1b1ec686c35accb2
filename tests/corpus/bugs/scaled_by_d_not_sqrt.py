"""delzac/cntkx#10: ScaledDotProductAttention doesn't apply C.sqrt? (https://github.com/delzac/cntkx/issues/10).

The library scaled the dot products by the key dimension itself instead of its square root;
the maintainer confirmed and released a fix. The scores are then shrunk by a further √d_k.
"""
BASED_ON = "pytorch_docs_sdpa__self_attention"
EDITS = [("scale_factor = 1 / math.sqrt(query.size(-1)) if scale is None else scale",
          "scale_factor = 1 / query.size(-1) if scale is None else scale")]
MISCONCEPTION = "sdpa_scaled_by_d"
