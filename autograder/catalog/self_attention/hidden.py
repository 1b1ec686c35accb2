"""Hidden checks of self_attention: fresh inputs, compared with the reference. Never shipped to students."""
from ...instructor.hidden_checks import hidden_check
from .public import (HEAD, HEAD_VALUES, SDPA, SDPA_VALUES, head_random,
                                      sdpa_random)

CHECKS = [
    hidden_check("self_attention.sdpa_values_hidden", SDPA, sdpa_random, ("context", "weights"), title=SDPA_VALUES,
                 points=1.0),
    hidden_check("self_attention.head_values_hidden", HEAD, head_random, ("output",), title=HEAD_VALUES, points=2.0),
]
