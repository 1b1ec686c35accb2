"""pytorch/executorch#21749: Fix off-graph KV-cache causal alignment: add explicit masks (https://github.com/pytorch/executorch/pull/21749).

A chunk fed after a cached prefix was given F.scaled_dot_product_attention's is_causal, which aligns its
triangle to the top left of the (new tokens, all keys) score matrix: the chunk's first query saw key 0 alone
instead of the whole cached history. The right triangle is aligned to the bottom right (new token t sees
every cached key and the new ones up to itself). Here the same: is_causal for every call of several tokens.
"""
BASED_ON = "pytorch_native__modern_attention"
EDITS = [("""        allowed = torch.arange(k.shape[2], device=x.device)[None, :] <= pos[:, None]
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed, enable_gqa=True)""",
          """        y = F.scaled_dot_product_attention(q, k, v, is_causal=n > 1, enable_gqa=True)""")]
MISCONCEPTION = "cache_chunk_mask_top_left"
