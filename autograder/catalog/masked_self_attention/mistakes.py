"""Known mistakes of exercise 2, each an edit of solutions/masked_self_attention.py with the hint that names it.

Instructors only: the edits quote the reference. instructor/known_mistakes.py runs them; the build stores
their hints and their behaviour on the public inputs in the fixtures, which students receive.
"""
from ...instructor.known_mistakes import mistake, variant

SCALED_SCORES = "scores = queries @ keys.transpose(-2, -1) / math.sqrt(keys.shape[-1])"
FILL = 'scores = scores.masked_fill(mask, float("-inf"))'
CAUSAL_FILL = 'scores = scores.masked_fill(blocked, float("-inf"))'

MISTAKES = [
    mistake("mask_inverted", "your causal mask is inverted: True must mark the keys after the query (above the diagonal)",
        (".triu(diagonal=1)", ".tril()")),
    mistake("mask_blocks_diagonal", "your mask also blocks the diagonal: a token may attend to itself (triu with diagonal=1)",
        (".triu(diagonal=1)", ".triu(diagonal=0)")),
    mistake("mask_float", "causal_mask returns numbers; return a bool tensor (True = blocked)",
        ("return torch.ones(n, n, dtype=torch.bool, device=device).triu(diagonal=1)",
        "return torch.ones(n, n, device=device).triu(diagonal=1)")),
    mistake("causal_zero_fill", "blocked scores are set to 0, which still gets weight: fill them with -inf",
        (CAUSAL_FILL, "scores = scores.masked_fill(blocked, 0.0)")),
    mistake("causal_after_softmax", "you zero future weights after the softmax without renormalising: "
        "fill the scores with -inf before it",
        (CAUSAL_FILL, "pass"), ("weights = torch.softmax(scores, dim=-1)\n",
                                "weights = torch.softmax(scores, dim=-1).masked_fill(blocked, 0.0)\n")),
    mistake("causal_scaled_by_d_in", "you scale by √d_in, the width of the input; the keys have width d_out, so "
        "divide the scores by √d_out (keys.shape[-1])",
        (SCALED_SCORES, "scores = queries @ keys.transpose(-2, -1) / math.sqrt(x.shape[-1])")),
    mistake("causal_unscaled", "your scores look unscaled: divide by √d_out before the softmax",
        (SCALED_SCORES, "scores = queries @ keys.transpose(-2, -1)")),
    mistake("padding_on_queries", "you block padding tokens as queries (rows); block them as keys (columns): "
        "padding_mask.unsqueeze(-2)", ("padding_mask.unsqueeze(-2)", "padding_mask.unsqueeze(-1)")),
    mistake("padding_ignored", "the padding mask is ignored: combine it with the causal mask",
        ("blocked = blocked | padding_mask.unsqueeze(-2)  # (..., n, n)", "pass")),
    mistake("fully_blocked_nan", "a query that can see no key (a padding token before the first real one) gets "
        "NaN from a softmax over nothing but -inf (a fill like -finfo(float64).max becomes -inf too once cast to "
        "float32), and the next layer spreads it to every token (0 × NaN = NaN): give rows whose keys are all "
        "blocked zero weights",
        ("        weights = weights.masked_fill(blocked.all(dim=-1, keepdim=True), 0.0)\n", "")),
    mistake("dropout_on_output", "dropout acts on the output; apply it to the attention weights, before multiplying by the values",
        ("weights = self.dropout(weights)  # drops attention links, in training mode only\n        return weights @ values",
        "return self.dropout(weights @ values)")),
    mistake("dropout_always_on", "dropout is applied in eval mode too; nn.Dropout switches itself off after .eval()",
        ("weights = self.dropout(weights)", "weights = nn.functional.dropout(weights, self.dropout.p, training=True)")),
    mistake("mask_not_sliced", "the mask is not cut to the sequence: use self.mask[:n, :n]",
        ("blocked = self.mask[:n, :n]  # (n, n)", "blocked = self.mask  # (n, n)")),
    mistake("mask_not_buffer", "the mask is a plain attribute; register it with self.register_buffer('mask', ...)",
        ('self.register_buffer("mask", causal_mask(context_length))', "self.mask = causal_mask(context_length)")),
    mistake("no_length_check", "no ValueError for a sequence longer than context_length",
        ('raise ValueError(f"sequence length {n} is longer than context_length {context_length}")', "pass")),
]

# Correct, less precise: the scale as a float32 scalar tensor (the Attention in Transformers course's
# torch.tensor(d_k ** 0.5)), and the softmax taken in float32 (GPT-2 in HuggingFace's transformers).
VARIANTS = [
    variant("masked_self_attention_float32_scale",
        ('/ math.sqrt(keys.shape[-1])', '/ torch.tensor(keys.shape[-1] ** 0.5)'),
    ),
    variant("masked_self_attention_float32_softmax",
        ('weights = torch.softmax(scores, dim=-1)\n', 'weights = torch.softmax(scores, dim=-1, dtype=torch.float32).to(scores.dtype)\n'),
    ),
]
