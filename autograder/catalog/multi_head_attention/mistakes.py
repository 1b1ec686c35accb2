"""Known mistakes of exercise 4, each an edit of solutions/multi_head_attention.py with the hint that names it.

Instructors only: the edits quote the reference. instructor/known_mistakes.py runs them; the build stores
their hints and their behaviour on the public inputs in the fixtures, which students receive.
"""
from ...instructor.known_mistakes import mistake, variant

MHA_SCORES = "scores = queries @ keys.transpose(-2, -1) / math.sqrt(hd)"
FILL = 'scores = scores.masked_fill(mask, float("-inf"))'
MHA_FILL = 'scores = scores.masked_fill(blocked, float("-inf"))'
MHA_DROPOUT = "weights = self.dropout(weights)  # drops attention links, in training mode only"

MISTAKES = [
    mistake("wrapper_wrong_axis", "the heads are concatenated along the wrong axis: use dim=-1, the features",
        ("torch.cat([head(x) for head in self.heads], dim=-1)", "torch.cat([head(x) for head in self.heads], dim=-2)")),
    mistake("wrapper_shared_head", "every head is the same module: build a new CausalSelfAttention for each head",
        ("self.heads = nn.ModuleList(\n            CausalSelfAttention(d_in, d_out, context_length, dropout, qkv_bias) for _ in range(num_heads)\n        )",
        "head = CausalSelfAttention(d_in, d_out, context_length, dropout, qkv_bias)\n        self.heads = nn.ModuleList([head] * num_heads)")),
    mistake("wrapper_reversed", "the heads come out in reverse order: head 0's features go first",
        ("torch.cat([head(x) for head in self.heads], dim=-1)", "torch.cat([head(x) for head in self.heads][::-1], dim=-1)")),
    mistake("wrapper_output_dropout", "the wrapper drops features of its output; dropout belongs inside each head, "
        "on its attention weights, and the heads already apply it",
        ("        self.heads = nn.ModuleList(", "        self.dropout = nn.Dropout(dropout)\n        self.heads = nn.ModuleList("),
        ("return torch.cat([head(x) for head in self.heads], dim=-1)",
        "return self.dropout(torch.cat([head(x) for head in self.heads], dim=-1))")),
    mistake("mha_dropout_on_context", "dropout acts on the context the heads return; apply it to the attention "
        "weights, after the softmax and before multiplying by the values",
        (MHA_DROPOUT, "pass"), ("return self.out_proj(context)", "return self.out_proj(self.dropout(context))")),
    mistake("mha_no_dropout", "no attention weight is dropped in training mode: apply self.dropout to the weights "
        "after the softmax", (MHA_DROPOUT, "pass")),
    mistake("mha_no_out_proj", "the output projection is missing: finish with self.out_proj(context)",
        ("return self.out_proj(context)", "return context")),
    mistake("mha_merge_without_transpose", "the heads are merged without transposing back: "
        "(b, h, n, hd) must become (b, n, h, hd) before the reshape",
        ("context = (weights @ values).transpose(1, 2)  # (b, n, h, hd)", "context = weights @ values")),
    mistake("mha_split_without_transpose", "the heads are split without a transpose: whether queries, keys and values "
        "come from three projections or are the thirds of one fused projection (GPT-2's c_attn), view each as "
        "(b, n, h, hd), then transpose(1, 2) to (b, h, n, hd); a view straight to (b, h, n, hd) mixes tokens into heads",
        ("queries = self.W_query(x).view(b, n, h, hd).transpose(1, 2)", "queries = self.W_query(x).view(b, h, n, hd)"),
        ("keys = self.W_key(x).view(b, n, h, hd).transpose(1, 2)", "keys = self.W_key(x).view(b, h, n, hd)"),
        ("values = self.W_value(x).view(b, n, h, hd).transpose(1, 2)", "values = self.W_value(x).view(b, h, n, hd)")),
    mistake("mha_scaled_by_d_out", "you scale by √d_out; each head's keys have width head_dim, so scale by √head_dim",
        (MHA_SCORES, "scores = queries @ keys.transpose(-2, -1) / math.sqrt(h * hd)")),
    mistake("mha_scale_inverted", "your scores are multiplied by √head_dim; divide by it (or multiply by head_dim ** -0.5)",
        (MHA_SCORES, "scores = queries @ keys.transpose(-2, -1) * math.sqrt(hd)")),
    mistake("mha_sdpa_mask_not_inverted", "F.scaled_dot_product_attention reads a bool attn_mask as True = may "
        "attend, the opposite of this kit's mask: pass ~mask (or is_causal=True); as it is, each token sees only "
        "the tokens after it", (MHA_FILL, 'scores = scores.masked_fill(~blocked, float("-inf"))'),
        ("weights = torch.softmax(scores, dim=-1)", "weights = torch.softmax(scores, dim=-1).nan_to_num(0.0)")),
    mistake("mha_view_without_contiguous", "view() cannot merge the heads of a transposed tensor: call "
        ".contiguous() before .view(), or use .reshape()",
        ("context = context.reshape(b, n, h * hd)", "context = context.view(b, n, h * hd)")),
    mistake("mha_unscaled", "your scores look unscaled: divide by √head_dim before the softmax",
        (MHA_SCORES, "scores = queries @ keys.transpose(-2, -1)")),
    mistake("mha_no_mask", "the causal mask is missing: fill self.mask[:n, :n] with -inf before the softmax",
        ("blocked = self.mask[:n, :n]  # (n, n)", "blocked = torch.zeros(n, n, dtype=torch.bool)")),
    mistake("mha_no_divisibility_check", "no ValueError when d_out is not divisible by num_heads",
        ('raise ValueError(f"d_out ({d_out}) must be divisible by num_heads ({num_heads})")', "pass")),
    mistake("mha_padding_on_queries", "you block padding tokens as queries (rows); block them as keys (columns), "
        "for every head: padding_mask[:, None, None, :]",
        ("padding_mask[:, None, None, :]", "padding_mask[:, None, :, None]")),
    mistake("mha_padding_ignored", "the padding mask is ignored: combine it with the causal mask",
        ("blocked = blocked | padding_mask[:, None, None, :]  # (b, 1, n, n)", "pass")),
    mistake("mha_fully_blocked_nan", "a query that can see no key (a padding token before the first real one) gets "
        "NaN from a softmax over nothing but -inf (a fill like -finfo(float64).max becomes -inf too once cast to "
        "float32), and the next layer spreads it to every token (0 × NaN = NaN): give rows whose keys are all "
        "blocked zero weights",
        ("        weights = weights.masked_fill(blocked.all(dim=-1, keepdim=True), 0.0)\n", "")),
]

# Correct, less precise: the scale as a float32 scalar tensor (the Attention in Transformers course's
# torch.tensor(d_k ** 0.5)), and the softmax taken in float32 (GPT-2 in HuggingFace's transformers).
VARIANTS = [
    variant("multi_head_attention_float32_scale",
        ('/ math.sqrt(hd)', '/ torch.tensor(hd ** 0.5)'),
    ),
    variant("multi_head_attention_float32_softmax",
        ('torch.softmax(scores, dim=-1)', 'torch.softmax(scores, dim=-1, dtype=torch.float32).to(scores.dtype)'),
    ),
]
