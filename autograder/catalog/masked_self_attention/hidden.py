"""Hidden checks of masked_self_attention: fresh inputs, compared with the reference. Never shipped to students."""
from ..common import between, fully_blocked_rows, matches_expected
from ...instructor.hidden_checks import hidden_check
from .public import (HEAD, HEAD_VALUES, MASK, head_probe,
                                             head_random)
from ...checks import Against, Check


def mask_random(generator):
    return [{"target": MASK, "args": [between(generator, 2, 12)], "kwargs": {"device": "cpu"},
             "label": "causal_mask(n, device='cpu')"}]


def head_random_stacked(generator):
    """head_random, and two stacked layers on left-padded input (d_in = d_out, so one feeds the next)."""
    d = between(generator, 2, 6)
    n = between(generator, 4, 8)
    stacked = head_probe(generator, (3,), n, d, d, n, False, padded=True)
    stacked.update(repeat=2, label=stacked["label"] + ", two stacked layers")
    return head_random(generator) + [stacked]


CHECKS = [
    Check("masked_self_attention.mask_hidden", MASK, 1.0, "causal_mask(n, device) on fresh sizes",
          mask_random, matches_expected("the mask"), against=Against.REFERENCE),
    hidden_check("masked_self_attention.head_values_hidden", HEAD, head_random_stacked, ("output",), title=HEAD_VALUES, points=1.0,
                 ungraded=fully_blocked_rows),
]
