"""Known mistakes of exercise 5, each an edit of solutions/modern_attention.py with the hint that names it.

Instructors only: the edits quote the reference. instructor/known_mistakes.py runs them; the build stores
their hints and their behaviour on the public inputs in the fixtures, which students receive.
"""
from ...instructor.known_mistakes import mistake, variant

ROPE_PAIRS = ("    first, second = x[..., :half], x[..., half:]  # the two members of every pair\n"
              "    return torch.cat([first * cos - second * sin, first * sin + second * cos], dim=-1)")
MASK = '        scores = scores.masked_fill(blocked, float("-inf"))'
SUM = "            running_sum = running_sum * correction + probabilities.sum(dim=-1, keepdim=True)"
ACCUMULATED = "            accumulated = accumulated * correction + probabilities @ v"

MISTAKES = [
    # apply_rope
    mistake("rope_pairs_neighbours", "your RoPE turns neighbouring features 2i and 2i + 1 together, the layout of "
        "the RoPE paper and of Meta's Llama code; this exercise fixes the other common layout, feature i with "
        "feature i + head_dim/2 (the two halves of the head, as in GPT-NeoX and Hugging Face's Llama)",
        (ROPE_PAIRS, "    first, second = x[..., 0::2], x[..., 1::2]\n"
                     "    return torch.stack([first * cos - second * sin, first * sin + second * cos], dim=-1).flatten(-2)")),
    mistake("rope_frequencies_halved", "the RoPE frequencies are base ** (-2i / head_dim) for pair i = 0 … head_dim/2 - 1: "
        "the exponent has a factor 2",
        ("base ** (-2.0 * torch.arange(half,", "base ** (-1.0 * torch.arange(half,")),
    mistake("rope_rotated_backwards", "the rotation goes the wrong way: the first of a pair becomes "
        "first·cos − second·sin, the second first·sin + second·cos",
        ("[first * cos - second * sin, first * sin + second * cos]", "[first * cos + second * sin, second * cos - first * sin]")),
    # kv_cache_bytes
    mistake("cache_keys_only", "the cache keeps a key and a value for every token, layer and key/value head: "
        "count both (a factor 2)",
        ("per_token = 2 * num_layers", "per_token = num_layers")),
    mistake("cache_one_layer", "every layer keeps its own cache: multiply by num_layers",
        ("per_token = 2 * num_layers * num_kv_heads", "per_token = 2 * num_kv_heads")),
    # GroupedQueryAttention
    mistake("gqa_repeat_not_interleaved", "the key/value heads are repeated in the wrong order: query heads "
        "0 … h/g - 1 share key/value head 0, so use repeat_interleave (or expand a new axis after the heads), "
        "not repeat, which deals the heads out in turn",
        ("keys = keys.repeat_interleave(h // g, dim=1)", "keys = keys.repeat(1, h // g, 1, 1)"),
        ("values = values.repeat_interleave(h // g, dim=1)", "values = values.repeat(1, h // g, 1, 1)")),
    mistake("gqa_rope_on_values", "RoPE is applied to the values too: rotate only the queries and the keys, "
        "whose dot products carry position; values are what is mixed",
        ("            keys = apply_rope(keys, positions, self.rope_base)\n",
         "            keys = apply_rope(keys, positions, self.rope_base)\n"
         "            values = apply_rope(values, positions, self.rope_base)\n")),
    mistake("cache_positions_restart", "with the cache, new tokens' positions restart at 0: they continue from the "
        "number of cached tokens (positions start … start + n - 1), or RoPE sees every token at the start",
        ("positions = torch.arange(start, start + n, device=x.device)", "positions = torch.arange(n, device=x.device)")),
    mistake("cache_prefill_unmasked", "with the cache on, the causal mask is left out: a single new token may see "
        "everything, but a chunk of several new tokens (a prefill) must still not see the tokens after each one",
        (MASK, "        if not use_cache:\n    " + MASK)),
    mistake("cache_mask_not_shifted", "the causal mask ignores the cached tokens: new token t sits at position "
        "start + t and sees every cached key, so the mask is triu(diagonal=start + 1) over (n, start + n)",
        ("triu(diagonal=start + 1)", "triu(diagonal=1)")),
    # pytorch/executorch#21749: SDPA's is_causal aligns its triangle to the top left, which is right only for a chunk
    # with nothing cached before it
    mistake("cache_chunk_mask_top_left", "a chunk of several new tokens after cached ones gets a causal triangle that "
        "starts at the first key (as F.scaled_dot_product_attention's is_causal aligns it, top left): new token t sits "
        "at position start + t and sees every cached key, so the mask is triu(diagonal=start + 1) over (n, start + n)",
        ("triu(diagonal=start + 1)", "triu(diagonal=1 if n > 1 else start + 1)")),
    mistake("gqa_no_kv_divisibility_check", "no ValueError when num_kv_heads does not divide num_heads",
        ('raise ValueError(f"num_heads ({num_heads}) must be divisible by num_kv_heads ({num_kv_heads})")', "pass")),
    # tiled_attention
    mistake("tiled_sum_not_rescaled", "the running sum is not rescaled when the running max changes: multiply it by "
        "exp(old max − new max) before adding the new block's terms",
        (SUM, "            running_sum = running_sum + probabilities.sum(dim=-1, keepdim=True)")),
    mistake("tiled_output_not_rescaled", "the accumulated output is not rescaled when the running max changes: "
        "multiply it by exp(old max − new max) before adding the new block's contribution",
        (ACCUMULATED, "            accumulated = accumulated + probabilities @ v")),
    mistake("tiled_last_block_skipped", "the last, partial block of keys is skipped: loop over "
        "range(0, n_k, block_size) so the keys after the last full block count too",
        ("for k_start in range(0, n_k, block_size):", "for k_start in range(0, n_k - block_size + 1, block_size):")),
    mistake("tiled_diagonal_unmasked", "inside the blocks on the diagonal a query still sees the keys after it: "
        "skipping later blocks is not enough, mask the scores where the key comes after the query",
        ("                scores = scores.masked_fill(columns > rows, float(\"-inf\"))\n", "")),
    mistake("tiled_unscaled", "the scores are not scaled: multiply the queries (or the scores) by 1/√d_k",
        ("q = query[..., q_start:q_start + block_size, :] * scale", "q = query[..., q_start:q_start + block_size, :]")),
]

# Correct, less precise: the scale as a float32 scalar tensor, and the softmax's exponentials taken in float32.
VARIANTS = [
    variant("modern_attention_float32_scale",
        ('/ math.sqrt(hd)', '/ torch.tensor(hd ** 0.5)'),
        ('scale = 1 / math.sqrt(query.shape[-1])', 'scale = 1 / torch.tensor(query.shape[-1] ** 0.5)'),
    ),
    variant("modern_attention_float32_softmax",
        ('weights = torch.softmax(scores, dim=-1)', 'weights = torch.softmax(scores, dim=-1, dtype=torch.float32).to(scores.dtype)'),
        ('probabilities = torch.exp(scores - new_max)', 'probabilities = torch.exp((scores - new_max).float()).to(scores.dtype)'),
    ),
]
