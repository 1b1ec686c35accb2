"""Exercise 3: cross-attention. Its checks: public.py (students see them), hidden.py, mistakes.py."""
from ...registry import Exercise

EXERCISE = Exercise(
    id="cross_attention",
    number=3,
    title="Cross-attention",
    parts=("CrossAttention",),
)
