"""Hidden checks of multi_head_attention: fresh inputs, compared with the reference. Never shipped to students."""
from ..common import between
from ...instructor.hidden_checks import hidden_check
from .public import (MHA, MHA_VALUES, WRAPPER, diagnose_concatenation, judge_concatenation, mha_random,
                                            wrapper_probe)
from ...checks import Against, Check
from ...compare import mismatch


def wrapper_random(generator):
    return [wrapper_probe(generator, between(generator, 1, 3), between(generator, 1, 6), between(generator, 1, 6),
                          between(generator, 1, 4), between(generator, 1, 4), bias=True)]


def judge_wrapper_hidden(probes, observed, expected):
    message = mismatch("output", observed[0]["outputs"][0], expected[0]["outputs"][0])
    return judge_concatenation(probes, observed, expected) or (message and f"{probes[0]['label']}: {message}")


CHECKS = [
    Check("multi_head_attention.wrapper_hidden", WRAPPER, 1.0, "concatenates the heads on fresh sizes",
          wrapper_random, judge_wrapper_hidden, against=Against.REFERENCE, diagnose=diagnose_concatenation),
    hidden_check("multi_head_attention.mha_values_hidden", MHA, mha_random, ("output",), title=MHA_VALUES, points=1.0),
]
