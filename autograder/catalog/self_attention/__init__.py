"""Exercise 1: self-attention. Its checks: public.py (students see them), hidden.py, mistakes.py."""
from ...registry import Exercise

EXERCISE = Exercise(
    id="self_attention",
    number=1,
    title="Self-attention",
    parts=("scaled_dot_product_attention", "SelfAttention"),
)
