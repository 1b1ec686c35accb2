"""Modelled on "The Annotated Transformer" (Harvard NLP), function attention()
(https://github.com/harvardnlp/annotated-transformer/blob/master/the_annotated_transformer.py).

Choices that differ from the kit's reference:
- blocked scores are filled with -1e9, not -inf;
- `torch.matmul` and the method form `scores.softmax(dim=-1)`;
- an optional `dropout` argument (a module applied to the weights), None by default;
- d_k read with `query.size(-1)`.
Added to fit the kit's API:
- the source masks where `mask == 0` (its masks hold 1 where a key may be seen); the kit's masks
  are True where a key is blocked, so the fill reads `masked_fill(mask, -1e9)` (the source's
  own test is bugs/annotated_mask_keep_convention.py);
- the function is renamed scaled_dot_product_attention.
"""
import math

import torch

EXERCISE = "self_attention"


def scaled_dot_product_attention(query, key, value, mask=None, dropout=None):
    d_k = query.size(-1)
    scores = torch.matmul(query, key.transpose(-2, -1)) / math.sqrt(d_k)
    if mask is not None:
        scores = scores.masked_fill(mask, -1e9)
    p_attn = scores.softmax(dim=-1)
    if dropout is not None:
        p_attn = dropout(p_attn)
    return torch.matmul(p_attn, value), p_attn
