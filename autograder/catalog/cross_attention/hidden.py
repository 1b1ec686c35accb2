"""Hidden checks of cross_attention: fresh inputs, compared with the reference. Never shipped to students."""
from ...instructor.hidden_checks import hidden_check
from .public import PART, VALUES, random_probes

CHECKS = [hidden_check("cross_attention.values_hidden", PART, random_probes, ("output",), title=VALUES, points=2.0)]
