"""Exercise 4: multi-head attention. Its checks: public.py (students see them), hidden.py, mistakes.py."""
from ...registry import Exercise

EXERCISE = Exercise(
    id="multi_head_attention",
    number=4,
    title="Multi-head attention",
    parts=("MultiHeadAttentionWrapper", "MultiHeadAttention"),
    stand_in="CausalSelfAttention",  # the wrapper's heads: probes may build them from a stand-in instead
    note="the wrapper uses your notebook 2 head",
)
