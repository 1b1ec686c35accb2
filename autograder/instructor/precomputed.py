"""The reference's answers on the probes a grade compares with it, computed at build (instructors only).

Every submission of a run asks the reference the same questions: what it does on each hidden check's
probes and on each redrawn public check's probes, all drawn from the course's seed. The build asks them
once (fixture_writer.py) and writes the answers to precomputed/<exercise>.json, so that grading starts judging without
computing them (reference.py looks here before it computes an answer).

A file answers only while it was made from the code that would answer now: its "made_from" is a digest of
the reference, the code that runs a probe and the oracle, and torch's version. Anything else (a reference
edited since the build, another torch) and the oracle computes the answers as before. A probe drawn from
another seed has another key and is computed too. The floats were written by the build's machine; another
machine's last bits differ by far less than any judge's tolerance (fixture_writer.PORTABLE), which is also how
`build --check` compares them. Students never receive these files: the bundle leaves out instructor/.
"""
import hashlib
import importlib.util
import json
from functools import cache
from pathlib import Path

import torch

from .. import registry
from ..sandboxed import wire
from . import SOLUTIONS

FOLDER = Path(__file__).resolve().parent / "precomputed"
KIT = Path(__file__).resolve().parent.parent
# The code whose change changes an answer, besides the exercise's reference (solutions/<exercise>.py).
ANSWERING = ("sandboxed/*.py", "instructor/reference.py", "instructor/known_mistakes.py")


def path(exercise):
    return FOLDER / f"{exercise}.json"


def key(probes_text):
    """A stored answer's key: the digest of the probes as the oracle spells them (reference._Answers)."""
    return hashlib.sha256(probes_text.encode()).hexdigest()


def made_from(exercise):
    """A digest of what the answers are made from: the exercise's reference, ANSWERING, and torch's version."""
    summary = hashlib.sha256(f"torch {torch.__version__}".encode())
    files = [_reference_source(exercise)] + sorted(file for pattern in ANSWERING for file in KIT.glob(pattern))
    for file in files:
        summary.update(b"\0" + file.name.encode() + b"\0" + file.read_bytes())
    return summary.hexdigest()


def _reference_source(exercise):
    return Path(importlib.util.find_spec(f"{SOLUTIONS}.{exercise}").origin)


@cache
def _stored(exercise):
    """{key: encoded observations} of the exercise's file, or {} where it is missing or was made from other code."""
    try:
        document = json.loads(path(exercise).read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(document, dict) or document.get("made_from") != made_from(exercise):
        return {}
    return document.get("answers", {})


def answer(exercise, probes_text):
    """The reference's stored observations on the probes, or None when they must be computed."""
    if exercise not in registry.ids():
        return None
    found = _stored(exercise).get(key(probes_text))
    return None if found is None else wire.decode(found)


def forget():
    """Read the files again on the next answer (after a build wrote them)."""
    _stored.cache_clear()
