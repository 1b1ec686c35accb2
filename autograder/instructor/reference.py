"""The reference as an oracle for the engine: hidden checks' expectations and known mistakes' behaviour.

Everything here imports solutions/, in the grader's process only, never next to student code.
"""
import importlib

from .. import engine
from ..checks import Against, Status
from ..sandboxed.probes import observer
from . import mistakes


def namespace(exercise):
    """The reference module's globals."""
    return vars(importlib.import_module(f"solutions.{exercise}"))


def observations(exercise, probes):
    """What the reference does on the probes."""
    return observer(namespace(exercise))(probes)


class Reference:
    """engine.Oracle backed by solutions/ and catalog/<exercise>/mistakes.py."""

    def expected(self, exercise, probes):
        return observations(exercise, probes)

    def candidates(self, exercise, probes):
        return ((found.id, found.hint, mistakes.observations(found, probes)) for found in mistakes.for_exercise(exercise))

    def fails(self, exercise, mistake_id, check, probes):
        """Whether the known mistake fails the check on these probes (against the reference)."""
        found = mistakes.find(mistake_id)
        expected = observations(exercise, probes) if check.against != Against.PROPERTIES else None
        return engine.verdict(check, probes, mistakes.observations(found, probes), expected)[0] != Status.PASSED


REFERENCE = Reference()
