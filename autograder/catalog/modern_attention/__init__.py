"""Exercise 5: modern attention. Its checks: public.py (students see them), hidden.py, mistakes.py."""
from ...registry import Exercise

EXERCISE = Exercise(
    id="modern_attention",
    number=5,
    title="Modern attention: RoPE, KV cache, grouped queries, tiles",
    parts=("apply_rope", "kv_cache_bytes", "GroupedQueryAttention", "tiled_attention"),
)
