"""pytorch/pytorch#130209: Fix an example: Resolve broadcasting error in attn_bias and attn_mask addition (https://github.com/pytorch/pytorch/pull/130209).

The documentation's reference code builds an (L, S) bias and adds the mask to it in place; an
in-place operation cannot grow its output, so a batched (N, ..., L, S) mask fails to broadcast.
The bool branch's in-place `masked_fill_` on the same (L, S) bias has the same problem.
"""
BASED_ON = "pytorch_docs_sdpa__self_attention"
EDITS = [('            attn_bias = attn_bias.masked_fill(mask, float("-inf"))',
          '            attn_bias.masked_fill_(mask, float("-inf"))')]
MISCONCEPTION = "sdpa_bias_not_broadcast"
