"""Hidden checks of masked_self_attention: fresh inputs, compared with the reference. Never shipped to students."""
from . import hidden_check
from ..catalog.common import between, matches_expected
from ..catalog.masked_self_attention import EXERCISE, HEAD, HEAD_HINT, HEAD_VALUES, MASK, head_random
from ..checks import Check


def mask_random(generator):
    return [{"target": MASK, "args": [between(generator, 2, 12)], "kwargs": {"device": "cpu"},
             "label": "causal_mask(n, device='cpu')"}]


CHECKS = [
    Check(f"{EXERCISE}.mask_hidden", MASK, 1.0, "causal_mask(n, device) on fresh sizes",
          mask_random, matches_expected("the mask"), against="reference",
          hint="accept a device argument and create the mask on it"),
    hidden_check(EXERCISE, HEAD, "head_values", head_random, ("output",), title=HEAD_VALUES, hint=HEAD_HINT, points=1.0),
]
