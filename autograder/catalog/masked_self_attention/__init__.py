"""Exercise 2: masked self-attention. Its checks: public.py (students see them), hidden.py, mistakes.py."""
from ...registry import Exercise

EXERCISE = Exercise(
    id="masked_self_attention",
    number=2,
    title="Masked self-attention",
    parts=("causal_mask", "CausalSelfAttention"),
    note="causal + padding mask, dropout",
)
