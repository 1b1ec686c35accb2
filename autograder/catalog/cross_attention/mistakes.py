"""Known mistakes of exercise 3, each an edit of solutions/cross_attention.py with the hint that names it.

Instructors only: the edits quote the reference. instructor/known_mistakes.py runs them; the build stores
their hints and their behaviour on the public inputs in the fixtures, which students receive.
"""
from ...instructor.known_mistakes import mistake, variant

SCALED_SCORES = "scores = queries @ keys.transpose(-2, -1) / math.sqrt(keys.shape[-1])"
FILL = 'scores = scores.masked_fill(mask, float("-inf"))'

MISTAKES = [
    mistake("cross_kv_from_queries", "keys and values come from x_q; in cross-attention they come from x_kv",
        ("keys = self.W_key(x_kv)", "keys = self.W_key(x_q)"), ("values = self.W_value(x_kv)", "values = self.W_value(x_q)")),
    mistake("cross_values_from_queries", "the values come from x_q; they must come from x_kv, like the keys",
        ("values = self.W_value(x_kv)", "values = self.W_value(x_q)")),
    mistake("cross_unscaled", "your scores look unscaled: divide by √d_out before the softmax",
        (SCALED_SCORES, "scores = queries @ keys.transpose(-2, -1)")),
    mistake("cross_softmax_over_queries", "the softmax runs over the queries; take it over the keys, the last axis (dim=-1)",
        ("weights = torch.softmax(scores, dim=-1)", "weights = torch.softmax(scores, dim=-2)")),
    mistake("cross_mask_inverted", "your mask is inverted: True means blocked",
        (FILL, 'scores = scores.masked_fill(~mask, float("-inf"))')),
    mistake("cross_mask_ignored", "the mask is ignored: fill blocked scores with -inf before the softmax", (FILL, "pass")),
]

# Correct, less precise: the scale as a float32 scalar tensor (the Attention in Transformers course's
# torch.tensor(d_k ** 0.5)), and the softmax taken in float32 (GPT-2 in HuggingFace's transformers).
VARIANTS = [
    variant("cross_attention_float32_scale",
        ('/ math.sqrt(keys.shape[-1])', '/ torch.tensor(keys.shape[-1] ** 0.5)'),
    ),
    variant("cross_attention_float32_softmax",
        ('weights = torch.softmax(scores, dim=-1)', 'weights = torch.softmax(scores, dim=-1, dtype=torch.float32).to(scores.dtype)'),
    ),
]
