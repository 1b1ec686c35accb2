"""Mikyx-1/TinyLLM#17: generate() produces garbage despite low train loss: prefill skips causal masking when a KV cache is attached (https://github.com/Mikyx-1/TinyLLM/issues/17).

The attention applied the causal mask only when no cache was passed. One new token attending to its
cached past needs no mask, but the prompt goes through in one call with the cache attached, so every
prompt token saw the tokens after it, and that leak was written into the cache. Here the same test:
the mask is applied only when use_cache is off.
"""
BASED_ON = "raschka_gqa_kvcache__modern_attention"
EDITS = [("        attn_scores = attn_scores.masked_fill(mask, -torch.inf)\n",
          "        if not use_cache:\n            attn_scores = attn_scores.masked_fill(mask, -torch.inf)\n")]
MISCONCEPTION = "cache_prefill_unmasked"
