"""Modelled on picoGPT (Jay Mody), gpt2.py, functions softmax() and attention()
(https://github.com/jaymody/picoGPT/blob/main/gpt2.py), translated from NumPy to PyTorch.

Choices that differ from the kit's reference:
- a hand-written softmax, `exp(x - max) / sum`, over the last axis;
- the mask is additive: blocked keys get `-1e10` added to their scores (picoGPT builds its causal
  mask as `(1 - tri) * -1e10`, i.e. the blocked positions times -1e10);
- the whole computation is one expression; the scale is `np.sqrt(q.shape[-1])`, a NumPy float.
Added to fit the kit's API:
- picoGPT transposes the keys with `k.T`, which reverses every axis of a batch; `k.mT` (the
  batched matrix transpose PyTorch's deprecation warning suggests) is used instead;
- the kit's mask is bool and optional, so it is turned into the additive form with
  `mask * -1e10` when given;
- the kit wants the weights too, so they are kept in a variable and returned with the output;
- the function is renamed scaled_dot_product_attention and its arguments query, key, value.
"""
import numpy as np
import torch

EXERCISE = "self_attention"


def softmax(x):
    exp_x = torch.exp(x - torch.max(x, dim=-1, keepdim=True).values)
    return exp_x / torch.sum(exp_x, dim=-1, keepdim=True)


def scaled_dot_product_attention(query, key, value, mask=None):
    q, k, v = query, key, value
    mask = 0 if mask is None else mask * -1e10
    weights = softmax(q @ k.mT / np.sqrt(q.shape[-1]) + mask)
    return weights @ v, weights
