"""Write the committed fixtures: expected observations of the reference on fixed inputs (instructors only).

Public checks compare against these files, so students can check their work
without the reference; hidden checks draw fresh inputs and never use them.
"""
import json

import torch

from . import checks, wire
from .catalog import CATALOG


def expected_fixtures(exercise):
    """{check id: {"probes": [...], "expected": [...]}} for the exercise's fixture checks, as JSON text."""
    fixtures = {}
    for check in checks.catalog(exercise):
        if check.against == "fixture":
            probes = check.probes(torch.Generator().manual_seed(checks.FIXTURE_SEED))
            fixtures[check.id] = {"probes": probes, "expected": checks.reference_observations(exercise, probes)}
    return json.dumps(wire.encode(fixtures), indent=None, sort_keys=True) + "\n"


def generated_files():
    """{path: text} of every fixture file."""
    return {checks.FIXTURES / f"{exercise}.json": expected_fixtures(exercise) for exercise in CATALOG}
