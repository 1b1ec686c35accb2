"""Write what the build makes from the reference's answers (instructors only).

The committed fixtures (autograder/fixtures/): expected observations of the reference on fixed inputs. Public
checks compare against these files, so students can check their work without the reference; hidden checks draw
fresh inputs and never use them. And the precomputed answers (instructor/precomputed/, precomputed.py reads
them): the reference's observations on every probe a grade with the course's seed compares with it.
"""
import inspect
import json
import math

import torch

from .. import engine, fixture_reader, registry
from ..checks import Against, Status
from ..diagnosis import same_observations
from ..sandboxed import wire
from . import known_mistakes as mistakes, precomputed, reference
from .kit_settings import load

# Public checks draw their inputs from this seed when the fixtures are written.
FIXTURE_SEED = 20240917


def expected_fixtures(exercise):
    """The fixture file of one exercise, as JSON text.

    {"checks": {check id: {"probes": [...], "expected": [...] (fixture checks only),
                           "variants": {misconception id: {"hint", "observations"}},
                           "failed_by": [misconception ids]}} for every public check,
     "signatures": the stub's signatures (signatures())}. A variant is stored
    only where it behaves differently from the reference, since only then can it explain a
    failure; failed_by lists the known mistakes that fail the check, so that a submission
    which passes it is never told it makes one of them.
    """
    fixtures = {}
    for check in registry.checks(exercise, hidden=False):
        probes = check.probes(torch.Generator().manual_seed(FIXTURE_SEED))
        expected = reference.observations(exercise, probes)
        entry = {"probes": probes, "variants": {}, "failed_by": []}
        if check.against == Against.FIXTURE:
            entry["expected"] = expected
        for found in mistakes.for_exercise(exercise):
            observed = reference.mistake_observations(found, probes)
            if not same_observations(observed, expected):
                entry["variants"][found.id] = {"hint": found.hint, "observations": _unquoted(observed)}
            if engine.verdict(check, probes, observed, entry.get("expected"))[0] != Status.PASSED:
                entry["failed_by"].append(found.id)
        fixtures[check.id] = entry
    return json.dumps(wire.encode({"checks": fixtures, "signatures": signatures(exercise)}), sort_keys=True) + "\n"


def signatures(exercise):
    """{"Name": "Name(…)", "Name.method": "Name.method(…)"} for every function and class the exercise's reference
    defines (not those it imports) and every method a class defines, without self: the signatures the stub
    gives, since the build leaves every line outside a solution region as it is."""
    namespace = reference.namespace(exercise)
    found = {}
    for name, value in namespace.items():
        if name.startswith("_") or getattr(value, "__module__", None) != namespace["__name__"]:
            continue
        if inspect.isfunction(value) or inspect.isclass(value):
            found[name] = _shown(name, value)
        if inspect.isclass(value):
            found |= {f"{name}.{method}": _shown(f"{name}.{method}", function) for method, function in vars(value).items()
                      if inspect.isfunction(function) and not method.startswith("_")}
    return found


def _shown(name, target):
    return f"{name}{inspect.signature(target)}".replace("(self, ", "(").replace("(self)", "()")


def _unquoted(observations):
    """Variant observations without the reference line an error names (students receive the fixtures), nor the
    call and its fit to the signature, which only the submission's own error message uses."""
    return [{**observation, "error": {**{key: value for key, value in observation["error"].items()
                                         if key not in ("call", "unbound")}, "where": ""}}
            if "error" in observation else observation for observation in observations]


# How far a fixture written on another machine may differ from one written here. The inputs come from
# seeded generators and the outputs from the reference, so only the last bits move (another CPU's
# vector units, BLAS or thread count: about 1e-15 relative in float64, 1e-7 in float32). These bounds
# are far above that and far below what any change to a solution or a check moves (1e-2 and more).
PORTABLE = {"float64": (1e-9, 1e-12), "float32": (1e-5, 1e-7)}


def equivalent(first, second):
    """Whether two fixture texts hold the same probes and observations, floats to PORTABLE's tolerance."""
    try:
        return _same(json.loads(first), json.loads(second))
    except ValueError:
        return False


def _same(a, b):
    if isinstance(a, dict) and isinstance(b, dict) and "tensor" in a and "tensor" in b:
        if (a["tensor"], a["shape"], len(a["data"])) != (b["tensor"], b["shape"], len(b["data"])):
            return False
        rtol, atol = PORTABLE.get(a["tensor"], (0.0, 0.0))
        return all(_close(x, y, rtol, atol) for x, y in zip(a["data"], b["data"]))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[key], b[key]) for key in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))


def _close(x, y, rtol, atol):
    if isinstance(x, bool) or isinstance(y, bool) or not isinstance(x, (int, float)) or not isinstance(y, (int, float)):
        return x == y
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    return math.isclose(x, y, rel_tol=rtol, abs_tol=atol)


def generated_files(made=None, only=None):
    """{path: text} of every fixture file, or of the exercises in only (a build step: it needs nothing the other
    steps make)."""
    return {fixture_reader.path(exercise): expected_fixtures(exercise) for exercise in (only or registry.ids())}


def precomputed_text(exercise, settings=None):
    """The precomputed file of one exercise, as JSON text: the reference's answers on every probe a grade with the
    course's seed compares with it, and what they were made from."""
    settings = settings or load()
    answers = {}
    for probes in reference.asked(exercise, settings):
        text = reference.probes_text(probes)
        answers[precomputed.key(text)] = wire.encode(reference.computed(exercise, probes))
    document = {"made_from": precomputed.made_from(exercise), "answers": answers}
    return json.dumps(document, sort_keys=True) + "\n"


def precomputed_files(made=None, only=None):
    """{path: text} of every exercise's precomputed answers, or of the exercises in only (a build step)."""
    return {precomputed.path(exercise): precomputed_text(exercise) for exercise in (only or registry.ids())}
