"""Hidden checks of self_attention: fresh inputs, compared with the reference. Never shipped to students."""
from ...instructor.hidden import hidden_check
from .public import (EXERCISE, HEAD, HEAD_VALUES, SDPA, SDPA_VALUES, head_random,
                                      sdpa_random)

CHECKS = [
    hidden_check(EXERCISE, SDPA, "sdpa_values", sdpa_random, ("context", "weights"), title=SDPA_VALUES,
                 points=1.0),
    hidden_check(EXERCISE, HEAD, "head_values", head_random, ("output",), title=HEAD_VALUES, points=2.0),
]
