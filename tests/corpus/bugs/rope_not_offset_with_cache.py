"""pytorch/executorch#2010: Fix a rotary position encoding bug in kv cache (https://github.com/pytorch/executorch/pull/2010).

With the KV cache on, the rotary embedding of the new tokens must be read from the precomputed table
at rows start_pos … start_pos + seqlen - 1; the cache branch read the first seqlen rows, so every
decoded token was rotated as if it stood at the start of the sequence. Here the same slip: the table
is read at positions 0 … n - 1 whatever is cached.
"""
BASED_ON = "raschka_qwen3__modern_attention"
EDITS = [("positions = torch.arange(pos_start, pos_start + num_tokens, device=x.device)",
          "positions = torch.arange(num_tokens, device=x.device)")]
MISCONCEPTION = "cache_positions_restart"
