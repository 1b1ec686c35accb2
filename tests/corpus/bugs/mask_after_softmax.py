"""lucidrains/memory-compressed-attention#2: The order of masking and softmax operation (https://github.com/lucidrains/memory-compressed-attention/issues/2).

The attention applied its causal mask after the softmax instead of before it; the maintainer
fixed the order. Masking the weights afterwards removes the blocked keys' share without giving it
back to the others, so the rows no longer sum to one.
"""
BASED_ON = "annotated_transformer_attention__self_attention"
EDITS = [("    if mask is not None:\n        scores = scores.masked_fill(mask, -1e9)\n    p_attn = scores.softmax(dim=-1)\n",
          "    p_attn = scores.softmax(dim=-1)\n    if mask is not None:\n        p_attn = p_attn.masked_fill(mask, 0.0)\n")]
MISCONCEPTION = "sdpa_mask_after_softmax"
