"""The committed fixtures, as the public checks read them: autograder/fixtures/<exercise>.json.

{"checks": {check id: {"probes", "expected" (fixture checks), "variants", "failed_by"}},
 "signatures": {"Name" or "Name.method": "Name(arguments)" as the exercise fixes it}};
instructor/fixture_writer.py writes them from the reference, and students receive them instead of the reference.
"""
import json
from functools import cache
from pathlib import Path

from .sandboxed import wire

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def path(exercise):
    return FIXTURES / f"{exercise}.json"


@cache
def _contents(exercise):
    if not path(exercise).exists():  # the build writes it
        return {"checks": {}, "signatures": {}}
    return wire.decode(json.loads(path(exercise).read_text()))


def fixtures(exercise):
    """{check id: entry} of one exercise's public checks; {} where the file is missing."""
    return _contents(exercise)["checks"]


def signatures(exercise):
    """{"CausalSelfAttention": "CausalSelfAttention(d_in, d_out, …)", "CausalSelfAttention.forward": …}: every name
    the exercise asks for, with the signature its stub gives (the signature hint quotes it)."""
    return _contents(exercise)["signatures"]
