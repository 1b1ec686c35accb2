"""Hidden checks of cross_attention: fresh inputs, compared with the reference. Never shipped to students."""
from . import hidden_check
from ..catalog.cross_attention import EXERCISE, PART, VALUES, VALUES_HINT, random_probes

CHECKS = [hidden_check(EXERCISE, PART, "values", random_probes, ("output",), title=VALUES, hint=VALUES_HINT, points=2.0)]
