"""Modelled on the PyTorch documentation of torch.nn.functional.scaled_dot_product_attention, its
"efficient implementation equivalent to the following" reference code
(https://docs.pytorch.org/docs/stable/generated/torch.nn.functional.scaled_dot_product_attention.html).

Choices that differ from the kit's reference:
- the mask becomes an additive bias: a zero tensor filled with -inf where blocked, added to the
  scores in place (`attn_weight += attn_bias`);
- the scale is a factor, `scale_factor = 1 / math.sqrt(query.size(-1))`, multiplied in;
- optional `dropout_p`, `is_causal` and `scale` arguments as in the documented signature, applied
  with `torch.dropout(..., train=True)` (dropout_p defaults to 0, so nothing is dropped).
Added to fit the kit's API:
- PyTorch's bool masks are True where a key may be seen and are inverted with `logical_not()`;
  the kit's masks are True where blocked, so the mask is used as it is;
- the documented code fills an (L, S) bias in place, which fails for a batched mask (shape
  (b, L, S)); the bias is filled out of place instead so that it broadcasts
  (the in-place original is bugs/pytorch_docs_bias_in_place.py);
- it returns (output, weights) instead of the output alone; `enable_gqa` is left out.
"""
import math

import torch

EXERCISE = "self_attention"


def scaled_dot_product_attention(query, key, value, mask=None, dropout_p=0.0, is_causal=False, scale=None):
    L, S = query.size(-2), key.size(-2)
    scale_factor = 1 / math.sqrt(query.size(-1)) if scale is None else scale
    attn_bias = torch.zeros(L, S, dtype=query.dtype, device=query.device)
    if is_causal:
        assert mask is None
        temp_mask = torch.ones(L, S, dtype=torch.bool, device=query.device).tril(diagonal=0)
        attn_bias.masked_fill_(temp_mask.logical_not(), float("-inf"))
        attn_bias.to(query.dtype)

    if mask is not None:
        if mask.dtype == torch.bool:
            attn_bias = attn_bias.masked_fill(mask, float("-inf"))
        else:
            attn_bias = mask + attn_bias

    attn_weight = query @ key.transpose(-2, -1) * scale_factor
    attn_weight += attn_bias
    attn_weight = torch.softmax(attn_weight, dim=-1)
    attn_weight = torch.dropout(attn_weight, dropout_p, train=True)
    return attn_weight @ value, attn_weight
