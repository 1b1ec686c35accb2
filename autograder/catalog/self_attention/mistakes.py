"""Known mistakes of exercise 1, each an edit of solutions/self_attention.py with the hint that names it.

Instructors only: the edits quote the reference. instructor/known_mistakes.py runs them; the build stores
their hints and their behaviour on the public inputs in the fixtures, which students receive.
"""
from ...instructor.known_mistakes import mistake, variant

SDPA_SCORES = "scores = query @ key.transpose(-2, -1) / math.sqrt(d_k)"
HEAD_SOFTMAX = "weights = torch.softmax(scores / math.sqrt(keys.shape[-1]), dim=-1)"
FILL = 'scores = scores.masked_fill(mask, float("-inf"))'

MISTAKES = [
    mistake("sdpa_unscaled", "your scores look unscaled: divide QKᵀ by √d_k before the softmax",
        (SDPA_SCORES, "scores = query @ key.transpose(-2, -1)")),
    mistake("sdpa_scaled_by_d", "you divide by d_k; divide by its square root, √d_k",
        (SDPA_SCORES, "scores = query @ key.transpose(-2, -1) / d_k")),
    mistake("sdpa_scaled_by_d_v", "you scale by the width of the values; scale by √d_k, the width of queries and keys",
        (SDPA_SCORES, "scores = query @ key.transpose(-2, -1) / math.sqrt(value.shape[-1])")),
    mistake("sdpa_softmax_over_queries", "the softmax runs over the queries; take it over the keys, the last axis (dim=-1)",
        ("weights = torch.softmax(scores, dim=-1)", "weights = torch.softmax(scores, dim=-2)")),
    mistake("sdpa_bias_not_broadcast", "an in-place fill of an (n_q, n_k) bias cannot take a batched mask: fill "
        "out of place, or fill the scores themselves",
        (FILL, 'bias = torch.zeros(scores.shape[-2:], dtype=scores.dtype)\n'
              '        bias.masked_fill_(mask, float("-inf"))\n'
              '        scores = scores + bias')),
    mistake("sdpa_transposed_scores", "your scores are transposed: compute query @ keyᵀ, one row per query",
        (SDPA_SCORES, "scores = key @ query.transpose(-2, -1) / math.sqrt(d_k)")),
    mistake("sdpa_mask_inverted", "your mask is inverted: True means blocked, so fill the scores where mask is True",
        (FILL, 'scores = scores.masked_fill(~mask, float("-inf"))')),
    mistake("sdpa_mask_zero_fill", "blocked scores are set to 0, which still gets weight: fill them with -inf",
        (FILL, "scores = scores.masked_fill(mask, 0.0)")),
    mistake("sdpa_mask_after_softmax", "you zero blocked weights after the softmax without renormalising: "
        "fill the scores with -inf before it, or divide each row by its new sum",
        (FILL, "pass"), ("weights = torch.softmax(scores, dim=-1)",
                             "weights = torch.softmax(scores, dim=-1)\n    if mask is not None:\n"
                             "        weights = weights.masked_fill(mask, 0.0)")),
    mistake("head_unscaled", "your scores look unscaled: divide by √d_out before the softmax",
        (HEAD_SOFTMAX, "weights = torch.softmax(scores, dim=-1)")),
    mistake("head_scaled_by_d_in", "you scale by √d_in; the keys have width d_out, so scale by √d_out",
        (HEAD_SOFTMAX, "weights = torch.softmax(scores / math.sqrt(x.shape[-1]), dim=-1)")),
    mistake("head_softmax_over_queries", "in SelfAttention the softmax runs over the queries; take it over the keys (dim=-1)",
        (HEAD_SOFTMAX, "weights = torch.softmax(scores / math.sqrt(keys.shape[-1]), dim=-2)")),
    mistake("head_scaled_after_softmax", "you divide the weights by √d_out after the softmax; scale the scores "
        "before it, so that each row of weights still sums to 1",
        (HEAD_SOFTMAX, "weights = torch.softmax(scores, dim=-1) / math.sqrt(keys.shape[-1])")),
    mistake("head_values_are_keys", "the values come from W_key; use W_value for the values",
        ("values = self.W_value(x)  # (..., n, d_out)", "values = self.W_key(x)  # (..., n, d_out)")),
    mistake("head_queries_are_keys", "queries and keys come from the same projection; queries need W_query",
        ("queries = self.W_query(x)  # (..., n, d_out)", "queries = self.W_key(x)  # (..., n, d_out)")),
    mistake("head_layer_order", "create W_query, W_key, W_value in that order: the order decides which random numbers each gets",
        ("        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)\n        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)\n",
        "        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)\n        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)\n")),
]

# Correct, less precise: the scale as a float32 scalar tensor (the Attention in Transformers course's
# torch.tensor(d_k ** 0.5)), and the softmax taken in float32 (GPT-2 in HuggingFace's transformers).
VARIANTS = [
    variant("self_attention_float32_scale",
        ('/ math.sqrt(d_k)', '/ torch.tensor(d_k ** 0.5)'),
        ('scores / math.sqrt(keys.shape[-1])', 'scores / torch.tensor(keys.shape[-1] ** 0.5)'),
    ),
    variant("self_attention_float32_softmax",
        ('weights = torch.softmax(scores, dim=-1)', 'weights = torch.softmax(scores, dim=-1, dtype=torch.float32).to(scores.dtype)'),
        ('weights = torch.softmax(scores / math.sqrt(keys.shape[-1]), dim=-1)', 'weights = torch.softmax(scores / math.sqrt(keys.shape[-1]), dim=-1, dtype=torch.float32).double()'),
    ),
]
