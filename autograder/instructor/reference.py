"""The reference as an oracle for the engine: hidden checks' expectations and known mistakes' behaviour.

Everything here imports solutions/, in the grader's process only, never next to student code.
A hidden check draws the same probes for every submission of a run (from the course's seed), so
what the reference and each known mistake do on them is computed once per run, not per student.

A grade must not depend on which grading thread asks first. Seeded construction (torch.manual_seed,
then the module's constructor) draws from torch's one global generator, and a module built with a
stand-in looks the stand-in up in its globals. So every answer is computed here, under one lock
(ORACLE_LOCK), which is the only place in the grader's process that uses torch's global generator:
each probe starts from a generator state of its own (its seed, else UNSEEDED), saved and restored
around the whole computation, and a probe that builds with a stand-in uses a private copy of the
module's code in which the name is the stand-in for good, so no module's globals are ever swapped.
"""
import importlib
import json
import threading
from functools import cache

import torch

from .. import engine
from ..checks import Against, Status
from ..sandboxed import wire
from ..sandboxed.probes import observe, stand_in_class
from ..sandboxed.protocol import parse
from . import SOLUTIONS, known_mistakes as mistakes, precomputed

_CACHE_LIMIT = 4096  # answers kept; a run draws one set of probes per hidden check
UNSEEDED = 0  # the global generator's state for a probe that names no seed (dropout in training mode, say)
ORACLE_LOCK = threading.RLock()  # held while anything here computes: see the module docstring
# The grader's tensors are small, and a parallel region waits for every thread of torch's pool: on a loaded 2-core
# machine one softmax of a few hundred values took 7 ms with two threads and 6 µs with one. One thread also makes
# the reference's last bits the same on every machine, whatever its cores.
torch.set_num_threads(1)


class _Answers:
    """{(whose, probes): observations}, shared by the grading threads; judges only read observations."""

    def __init__(self):
        self.kept = {}

    def get(self, whose, probes, namespace_for, stored=None):
        """stored(probes_text): the answer the build computed, or None (then it is computed here)."""
        key = (whose, probes_text(probes))
        with ORACLE_LOCK:  # computed inside the lock too: two threads never build at once, nor compute twice
            if key not in self.kept:
                if len(self.kept) >= _CACHE_LIMIT:
                    self.kept.clear()
                found = stored(key[1]) if stored else None
                self.kept[key] = found if found is not None else alone(namespace_for, probes)
            return self.kept[key]

    def clear(self):
        with ORACLE_LOCK:
            self.kept.clear()


_ANSWERS = _Answers()


def alone(namespace_for, probes):
    """What the code in namespace_for(stand_in) does on each probe, each from a generator state of its own.

    The answer depends on the probe alone: not on the probes before it, on what another thread drew,
    or on the order in which the run asked."""
    with ORACLE_LOCK, torch.random.fork_rng(devices=[]):
        answers = []
        for probe in probes:
            torch.manual_seed(UNSEEDED)  # a probe with a seed of its own sets it again before building
            answers.append(observe(namespace_for(getattr(parse(probe), "stand_in", None)), probe))
        return answers


def namespace(exercise):
    """The reference module's globals."""
    return vars(importlib.import_module(f"{SOLUTIONS}.{exercise}"))


@cache
def reference_variant(exercise):
    """The reference as an edit of itself (no edits), so it is built the way every known mistake is."""
    return mistakes.Mistake(id="reference", hint="", edits=(), exercise=exercise)


@cache
def _private(variant, stand_in):
    """A copy of the variant's module of its own in which stand_in.name names its stand-in class (protocol.StandIn),
    never changed after."""
    with ORACLE_LOCK:
        globals_ = mistakes.variant_namespace(variant)
        globals_[stand_in.name] = stand_in_class(stand_in)
        return globals_


def _namespaces(variant):
    """namespace_for(stand_in): the module a probe builds from."""
    shared = (lambda: namespace(variant.exercise)) if variant.id == "reference" else (lambda: mistakes.namespace(variant.id))
    return lambda stand_in: _private(variant, stand_in) if stand_in else shared()


def probes_text(probes):
    """The probes as the oracle's answers are keyed: their wire form, keys sorted."""
    return json.dumps(wire.encode(probes), sort_keys=True)


def observations(exercise, probes):
    """What the reference does on the probes: the build's answer where it made one (precomputed.py)."""
    return _ANSWERS.get(("reference", exercise), probes, _namespaces(reference_variant(exercise)),
                        stored=lambda text: precomputed.answer(exercise, text))


def computed(exercise, probes):
    """What the reference does on the probes, computed here whatever the build stored (what the build stores)."""
    return _ANSWERS.get(("computed", exercise), probes, _namespaces(reference_variant(exercise)))


def asked(exercise, settings, seed=None):
    """Every list of probes a grade of the exercise with the course's settings (and seed) compares with the
    reference: hidden checks' and redrawn public ones'. The same for every submission of a run."""
    seed = settings.hidden_seed if seed is None else seed
    checks = engine.select(exercise, course=settings.course())
    for check, probes, again in zip(checks, engine.plan(checks, exercise, seed), engine.redrawn(checks, seed, REFERENCE)):
        if probes and check.against == Against.REFERENCE:
            yield probes
        if again:
            yield again


def mistake_observations(found, probes):
    """What a known mistake does on the probes."""
    return _ANSWERS.get(("mistake", found.id), probes, _namespaces(found))


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
