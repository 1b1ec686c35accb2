"""The reference as an oracle for the engine: hidden checks' expectations and known mistakes' behaviour.

Everything here imports solutions/, in the grader's process only, never next to student code.
A hidden check draws the same probes for every submission of a run (from the course's seed), so
what the reference and each known mistake do on them is computed once per run, not per student.
"""
import importlib
import json
import threading

from .. import engine
from ..checks import Against, Status
from ..sandboxed import wire
from ..sandboxed.probes import observer
from . import mistakes

_CACHE_LIMIT = 4096  # answers kept; a run draws one set of probes per hidden check


class _Answers:
    """{(whose, probes): observations}, shared by the grading threads; judges only read observations."""

    def __init__(self):
        self.kept, self.lock = {}, threading.Lock()

    def get(self, whose, probes, compute):
        key = (whose, json.dumps(wire.encode(probes), sort_keys=True))
        with self.lock:
            if key in self.kept:
                return self.kept[key]
        answer = compute()
        with self.lock:
            if len(self.kept) >= _CACHE_LIMIT:
                self.kept.clear()
            self.kept[key] = answer
        return answer


_ANSWERS = _Answers()


def namespace(exercise):
    """The reference module's globals."""
    return vars(importlib.import_module(f"solutions.{exercise}"))


def observations(exercise, probes):
    """What the reference does on the probes."""
    return _ANSWERS.get(("reference", exercise), probes, lambda: observer(namespace(exercise))(probes))


def mistake_observations(found, probes):
    """What a known mistake does on the probes."""
    return _ANSWERS.get(("mistake", found.id), probes, lambda: mistakes.observations(found, probes))


class Reference:
    """engine.Oracle backed by solutions/ and catalog/<exercise>/mistakes.py."""

    def expected(self, exercise, probes):
        return observations(exercise, probes)

    def candidates(self, exercise, probes):
        return ((found.id, found.hint, mistake_observations(found, probes)) for found in mistakes.for_exercise(exercise))

    def fails(self, exercise, mistake_id, check, probes):
        """Whether the known mistake fails the check on these probes (against the reference)."""
        found = mistakes.find(mistake_id)
        expected = observations(exercise, probes) if check.against != Against.PROPERTIES else None
        return engine.verdict(check, probes, mistake_observations(found, probes), expected)[0] != Status.PASSED


REFERENCE = Reference()
