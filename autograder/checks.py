"""What a check is, and how a set of checks turns observations into a scored report.

A check pairs probes (plain inputs for student code, see probes.py) with a
judge that reads the resulting observations. The judge runs in the grader and
compares against one of three things:

  properties  nothing but the observations themselves (shapes, causality, ...)
  fixture     expected observations committed in autograder/fixtures/
  reference   the same probes run on solutions/ in the grader (hidden checks)
"""
import importlib
import inspect
import json
import zlib
from dataclasses import asdict, dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Callable

import torch

from . import wire
from .diagnosis import best_matches, explain_error, stored_variants

FIXTURES = Path(__file__).parent / "fixtures"
# Public checks draw their inputs from this seed when an instructor writes the fixtures.
FIXTURE_SEED = 20240917
# Hidden checks draw theirs from another, so the fixtures say nothing about them. It is fixed,
# so that a grade never depends on the run and every engine gives the same score; pass
# another seed to draw other inputs.
HIDDEN_SEED = 1729


@dataclass(frozen=True)
class Check:
    id: str
    part: str
    points: float
    title: str
    probes: Callable[[torch.Generator], list]
    judge: Callable[[list, list, list], str | None]
    against: str = "properties"
    judges_errors: bool = False

    @property
    def public(self):
        return self.against != "reference"


@dataclass
class CheckResult:
    id: str
    points: float
    max_points: float
    status: str
    message: str = ""
    hint: str = ""
    title: str = ""
    part: str = ""
    misconception: str | None = None  # the id of the known mistake the submission behaved like
    candidates: list = field(default_factory=list, repr=False)  # known mistakes alike on this check: [(id, hint)]
    fallback: tuple | None = field(default=None, repr=False)  # (id, hint) the error itself explains


@dataclass
class Report:
    exercise: str
    checks: list = field(default_factory=list)
    submission: str | None = None
    student: str | None = None
    seed: int | None = None
    problems: list = field(default_factory=list)  # cells or files that did not run

    @property
    def score(self):
        return sum(check.points for check in self.checks)

    @property
    def max_score(self):
        return sum(check.max_points for check in self.checks)

    def as_json(self):
        return {
            "submission": self.submission,
            "student": self.student,
            "exercise": self.exercise,
            "score": self.score,
            "max_score": self.max_score,
            "problems": self.problems,
            "checks": [
                {key: value for key, value in asdict(check).items() if key in ("id", "points", "max_points", "status", "message", "hint")}
                for check in self.checks
            ],
        }


def catalog(exercise):
    """The checks of one exercise, part by part, public ones first (the student kit has only those)."""
    from .catalog import CATALOG

    if exercise not in CATALOG:
        raise KeyError(f"unknown exercise {exercise!r}; choose one of {', '.join(CATALOG)}")
    checks = list(importlib.import_module(f".catalog.{exercise}", __package__).CHECKS)
    try:
        checks += importlib.import_module(f".hidden.{exercise}", __package__).CHECKS
    except ModuleNotFoundError as missing:
        if missing.name not in (f"{__package__}.hidden", f"{__package__}.hidden.{exercise}"):
            raise
    return sorted(checks, key=lambda check: CATALOG[exercise].index(check.part))


def select(exercise, *, public_only=False, parts=None, settings=None):
    """The checks to run; settings (KitSettings) may change points and keep public checks from students."""
    chosen = []
    for check in catalog(exercise):
        if settings is not None and check.id in settings.points:
            check = replace(check, points=settings.points[check.id])
        shown_to_students = check.public and not (settings is not None and check.id in settings.hidden_checks)
        if (shown_to_students or not public_only) and (parts is None or check.part in parts):
            chosen.append(check)
    return chosen


@cache
def load_fixtures(exercise):
    path = FIXTURES / f"{exercise}.json"
    if not path.exists():
        return {}
    return wire.decode(json.loads(path.read_text()))


def reference_namespace(exercise):
    """The reference module's globals; imported only in the grader, never next to student code."""
    return vars(importlib.import_module(f"solutions.{exercise}"))


def reference_observations(exercise, probes):
    from .probes import observer

    return observer(reference_namespace(exercise))(probes)


def plan(checks, exercise, seed):
    """Probes for each check: public checks read fixed ones from the fixture file, hidden ones draw them from seed."""
    planned = []
    for check in checks:
        if check.public:
            stored = load_fixtures(exercise).get(check.id)
            planned.append(None if stored is None else stored["probes"])
        else:
            # by id, so a check draws the same inputs whichever other checks run beside it
            planned.append(check.probes(torch.Generator().manual_seed(seed + zlib.crc32(check.id.encode()))))
    return planned


def run(exercise, observe_all, *, public_only=False, parts=None, seed=None, settings=None):
    """Run an exercise's checks; observe_all(probes) -> observations runs the student side."""
    seed = (settings.hidden_seed if settings is not None else HIDDEN_SEED) if seed is None else seed
    checks = select(exercise, public_only=public_only, parts=parts, settings=settings)
    planned = plan(checks, exercise, seed)
    # "check" groups a check's probes: once one of them hangs or crashes, the rest are not run
    flat = [dict(probe, check=index) for index, probes in enumerate(planned) if probes for probe in probes]
    observed_flat = iter(observe_all(flat))
    report = Report(exercise=exercise, seed=seed)
    for check, probes in zip(checks, planned):
        if probes is None:
            report.checks.append(_result(check, "error", "the fixture for this check is missing: "
                                         "instructors write it with `python -m autograder build`"))
            continue
        observed = [next(observed_flat) for _ in probes]
        report.checks.append(judge(check, exercise, probes, observed))
    _keep_consistent_hints(exercise, report, dict(zip((check.id for check in checks), zip(checks, planned))))
    return report


def verdict(check, probes, observed, expected):
    """(status, message) of one check on observations, without any hint: passed, failed or error."""
    errors = [observation["error"] for observation in observed if "error" in observation]
    if errors and not check.judges_errors:
        return "error", error_text(errors[0])
    try:
        message = check.judge(probes, observed, expected)
    except Exception as error:  # noqa: BLE001  (observations are the submission's: a judge must never take the batch down)
        return "error", (f"the answer could not be judged ({type(error).__name__}: {error}); "
                         "it does not have the form this check expects")
    return ("passed", "") if message is None else ("failed", message)


def judge(check, exercise, probes, observed):
    errors = [observation["error"] for observation in observed if "error" in observation]
    for error in errors:  # an unfilled stub or a dead process fails every check, even one that expects an error
        if error["stub"]:
            return _result(check, "error", error_text(error), stub_hint(error))
        if error["type"] in ("Timeout", "Crash", "SubmissionError"):
            return _result(check, "timeout" if error["type"] == "Timeout" else "error", error_text(error))
    fixture = load_fixtures(exercise).get(check.id, {}) if check.public else {}
    status, message = verdict(check, probes, observed, _expected(check, exercise, probes, fixture) if not errors or
                              check.judges_errors else None)
    if status == "passed":
        return _result(check, "passed")
    # A hint names a mistake only when a known mistake behaves exactly like the submission on these
    # inputs (and, see _keep_consistent_hints, on every check it passed), or when the error itself says
    # what is wrong; otherwise the message alone says which behaviour failed, on which input.
    if check.public:
        candidates = best_matches(observed, stored_variants(fixture.get("variants", {})))
    else:
        from .misconceptions import candidates as variants  # instructors' side only: it quotes the reference

        candidates = best_matches(observed, variants(exercise, probes))
    result = _result(check, status, message)
    result.candidates = candidates
    result.fallback = (explain_error(errors[0]) or signature_hint(exercise, errors[0])) if errors else None
    _name(result, candidates)
    return result


def _name(result, candidates):
    """Set the result's hint: the one mistake the candidates agree on, else the error's own explanation."""
    hints = {hint for _, hint in candidates}
    match = candidates[0] if len(hints) == 1 else result.fallback
    result.misconception, result.hint = match or (None, "")


def _keep_consistent_hints(exercise, report, planned):
    """A known mistake is named only if the submission passed no check that the mistake fails: a
    student whose causal_mask passes is not told that causal_mask returns numbers, even where the two
    raise the same error further on."""
    passed = [planned[result.id] for result in report.checks if result.status == "passed" and result.id in planned]
    for result in report.checks:
        if not getattr(result, "candidates", None):
            continue
        kept = [(key, hint) for key, hint in result.candidates
                if not any(_mistake_fails(exercise, key, check, probes) for check, probes in passed)]
        if kept != result.candidates:
            _name(result, kept)


def _mistake_fails(exercise, key, check, probes):
    if check.public:
        return key in load_fixtures(exercise).get(check.id, {}).get("failed_by", [])
    from .misconceptions import fails  # instructors' side only

    return fails(key, check, probes)


def _expected(check, exercise, probes, fixture):
    if check.against == "fixture":
        return fixture["expected"]
    if check.against == "reference":
        return reference_observations(exercise, probes)
    return None


def _result(check, status, message="", hint=""):
    points = check.points if status == "passed" else 0.0
    return CheckResult(id=check.id, points=points, max_points=check.points, status=status,
                       message=message, hint=hint, title=check.title, part=check.part)


def error_text(error):
    if error["type"] in ("Timeout", "Crash", "SubmissionError", "ProbeError"):  # the kit's own words
        return error["message"]
    if error["stub"]:
        return f"not implemented yet: {error['stage']} raised NotImplementedError"
    text = f"{error['type']} while {error['stage']}"
    if error["message"]:
        text += f": {error['message']}"
    if error["where"]:
        text += f" ({error['where']})"
    return text


def signature_hint(exercise, error):
    """("signature", hint) for a TypeError on the way in: the signature the exercise fixes, read from its stub."""
    if error["type"] != "TypeError" or not error["stage"].startswith(("building ", "calling ")):
        return None
    name = error["stage"].split()[1].split("(")[0]  # "building SelfAttention(d_in=…)" / "calling X.forward"
    stub = vars(importlib.import_module(f"exercises.{exercise}"))
    owner, _, method = name.partition(".")
    target = stub.get(owner)
    if target is None:
        return None
    if method:
        target = getattr(target, method, None)
    shown = f"{name}{inspect.signature(target)}".replace("(self, ", "(").replace("(self)", "()")
    return "signature", f"keep the signature the exercise gives: {shown}"


def stub_hint(error):
    if error["stub"]:
        return "replace `raise NotImplementedError()` in the cell marked YOUR CODE HERE with your code"
    return ""
