"""Hidden checks of cross_attention: fresh inputs, compared with the reference. Never shipped to students."""
from ...instructor.hidden import hidden_check
from .public import EXERCISE, PART, VALUES, random_probes

CHECKS = [hidden_check(EXERCISE, PART, "values", random_probes, ("output",), title=VALUES, points=2.0)]
