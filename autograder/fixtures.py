"""Write the committed fixtures: expected observations of the reference on fixed inputs (instructors only).

Public checks compare against these files, so students can check their work
without the reference; hidden checks draw fresh inputs and never use them.
"""
import json

import torch

from . import checks, misconceptions, wire
from .diagnosis import same_observations
from .catalog import CATALOG


def expected_fixtures(exercise):
    """The fixture file of one exercise, as JSON text.

    {check id: {"probes": [...], "expected": [...] (fixture checks only),
                "variants": {misconception id: observations}}} for every public check; a
    variant is stored only where it behaves differently from the reference, since only
    then can it explain a failure.
    """
    fixtures = {}
    for check in checks.catalog(exercise):
        if not check.public:
            continue
        probes = check.probes(torch.Generator().manual_seed(checks.FIXTURE_SEED))
        reference = checks.reference_observations(exercise, probes)
        entry = {"probes": probes, "variants": {}}
        if check.against == "fixture":
            entry["expected"] = reference
        for misconception in misconceptions.for_exercise(exercise):
            observed = misconceptions.variant_observations(misconception, probes)
            if not same_observations(observed, reference):
                entry["variants"][misconception.id] = {"hint": misconception.hint, "observations": _unquoted(observed)}
        fixtures[check.id] = entry
    return json.dumps(wire.encode(fixtures), sort_keys=True) + "\n"


def _unquoted(observations):
    """Variant observations without the reference line an error names (students receive the fixtures)."""
    return [{**observation, "error": {**observation["error"], "where": ""}} if "error" in observation else observation
            for observation in observations]


def generated_files():
    """{path: text} of every fixture file."""
    return {checks.FIXTURES / f"{exercise}.json": expected_fixtures(exercise) for exercise in CATALOG}
