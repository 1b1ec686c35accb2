"""hyprstream/hyprstream#1521: fix(runtime): offset causal mask by cached KV length in multi-token forwards (https://github.com/hyprstream/hyprstream/pull/1521).

The causal mask of a call with the cache was a lower triangle over (q_len, kv_len) starting at the
first key, right only when nothing is cached: with start_pos cached tokens, query row i kept keys
j <= i and lost the history. It must be offset by the cached length (key j is visible when
j <= start_pos + i). Here the same mask: `triu(ones(num_tokens, pos_end), 1)` instead of the rows
pos_start … pos_end - 1 of the square mask.
"""
BASED_ON = "raschka_qwen3__modern_attention"
EDITS = [("""            mask = torch.triu(
                torch.ones(pos_end, pos_end, device=x.device, dtype=torch.bool), diagonal=1
            )[pos_start:pos_end, :pos_end]""",
          """            mask = torch.triu(
                torch.ones(num_tokens, pos_end, device=x.device, dtype=torch.bool), diagonal=1
            )""")]
MISCONCEPTION = "cache_mask_not_shifted"
