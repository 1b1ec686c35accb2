"""Is the numeric tolerance wide enough for every correct way to compute attention, and narrow enough
that the closest real mistake still fails, on the checks' own probes?"""
from contextlib import contextmanager

import pytest
import torch

from autograder import compare, registry
from autograder.checks import Against
from autograder.instructor import known_mistakes as mistakes, reference
from autograder.instructor.known_mistakes import variant_namespace
from autograder.sandboxed.probes import observer
from helpers import EXERCISES

# The most distant correct variants known, declared beside each exercise's mistakes (VARIANTS): the scale as
# a float32 scalar, the softmax in float32 and cast back.
DISTANT_CORRECT = [found for exercise in EXERCISES for found in mistakes.variants_for(exercise)]
MARGIN = 10.0
EXACT = 1e-7  # times the tolerance: 1e-12, rounding only
SEEDS = range(3)


def value_checks(exercise):
    return [check for check in registry.checks(exercise) if check.against in (Against.FIXTURE, Against.REFERENCE)]


def verdict(check, exercise, namespace, seed):
    probes = check.probes(torch.Generator().manual_seed(seed))
    expected = reference.observations(exercise, probes)
    return probes, observer(namespace)(probes), expected


@contextmanager
def tolerances_times(factor):
    scaled = {str(dtype).removeprefix("torch."): (tolerance.rtol * factor, tolerance.atol * factor)
              for dtype, tolerance in compare.TOLERANCES.items()}
    with compare.course_tolerances(scaled):  # as a course's c.KitSettings.tolerances would set them
        yield


def passes_at(factor, check, probes, observed, expected):
    with tolerances_times(factor):
        return check.judge(probes, observed, expected) is None


@pytest.mark.parametrize("variant", DISTANT_CORRECT, ids=lambda variant: variant.id)
def test_the_most_distant_correct_variants_pass_with_a_tenfold_margin(variant):
    """Does each known-correct but imprecise variant pass every numeric check at a tenth of the tolerance?"""
    namespace = variant_namespace(variant)
    distinct = 0
    for check in value_checks(variant.exercise):
        for seed in SEEDS:
            found = verdict(check, variant.exercise, namespace, seed)
            assert passes_at(1 / MARGIN, check, *found), (check.id, seed)
            distinct += not passes_at(EXACT, check, *found)
    assert distinct > 0  # the variant does differ from the reference beyond rounding


@pytest.mark.parametrize("exercise", EXERCISES)
def test_the_closest_mistakes_fail_with_a_tenfold_margin(exercise):
    """Does every known mistake that changes a numeric check's outputs at all still fail it at ten times
    the tolerance, so no real mistake lives near the line?"""
    caught = 0
    for misconception in mistakes.for_exercise(exercise):
        namespace = mistakes.namespace(misconception.id)
        for check in value_checks(exercise):
            for seed in SEEDS:
                found = verdict(check, exercise, namespace, seed)
                if any("error" in observation for observation in found[1]) or passes_at(EXACT, check, *found):
                    continue  # an error fails whatever the tolerance; outputs equal to rounding say nothing here
                assert not passes_at(MARGIN, check, *found), (misconception.id, check.id, seed)
                caught += 1
    assert caught > 0


def test_tolerance_follows_the_less_precise_side():
    """Is a float32 answer to a float64 probe held to the float32 tolerance, and float64 to float64's?"""
    expected = torch.tensor([1.0, -2.0], dtype=torch.float64)
    off_by_float32_rounding = expected + 3e-6
    assert compare.mismatch("x", off_by_float32_rounding.float(), expected) is None
    assert compare.mismatch("x", off_by_float32_rounding, expected) is None
    assert compare.mismatch("x", expected + 1e-3, expected) is not None
    assert compare.mismatch("x", (expected + 1e-3).float(), expected) is not None
    assert "NaN" in compare.mismatch("x", torch.tensor([float("nan"), -2.0], dtype=torch.float64), expected)


@pytest.mark.parametrize("exercise", EXERCISES)
def test_every_exercise_declares_its_less_precise_correct_variants(exercise):
    """Does each exercise's mistakes.py name at least one correct but less precise variant (VARIANTS) to hold
    its tolerances to?"""
    assert mistakes.variants_for(exercise)
