"""The committed fixtures, as the public checks read them: autograder/fixtures/<exercise>.json.

{check id: {"probes", "expected" (fixture checks), "variants", "failed_by"}}; instructor/fixture_writer.py
writes them from the reference, and students receive them instead of the reference.
"""
import json
from functools import cache
from pathlib import Path

from .sandboxed import wire

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def path(exercise):
    return FIXTURES / f"{exercise}.json"


@cache
def fixtures(exercise):
    """{check id: entry} of one exercise; {} where the file is missing (the build writes it)."""
    if not path(exercise).exists():
        return {}
    return wire.decode(json.loads(path(exercise).read_text()))
