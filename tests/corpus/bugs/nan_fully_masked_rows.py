"""pytorch/pytorch#41508: nn.MultiheadAttention causes gradients to become NaN under some use cases (https://github.com/pytorch/pytorch/issues/41508).

When every key of a query is masked (for instance a padding token before the first real one),
the softmax over nothing but -inf is 0/0 and the row becomes NaN. The NaN then spreads, in the
reported case through the gradients and here through the next layer, to every token.
"""
BASED_ON = "raschka_causalattention__masked_self_attention"
EDITS = [("        attn_weights = attn_weights.nan_to_num(0.0)\n", "")]
MISCONCEPTION = "fully_blocked_nan"
