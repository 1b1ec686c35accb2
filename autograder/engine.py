"""Turn observations into a scored report: choose the checks, plan their probes, judge, name mistakes.

The engine knows no exercise and holds no reference. Public checks compare with the committed
fixtures (fixture_reader.py). Hidden checks compare with an Oracle the caller hands in: the instructor's
side has one (instructor/reference.py), the student kit has none and never selects hidden checks.
"""
import zlib
from dataclasses import replace
from typing import Iterable, Protocol

import torch

from . import fixture_reader, pictures, registry
from .checks import Against, CheckResult, Report, Status
from .compare import course_tolerances
from .course_settings import CourseSettings
from .diagnosis import best_matches, explain_error, stored_variants
from .sandboxed.errors import ErrorKind
from .sandboxed.protocol import parse

NOT_GRADED = (ErrorKind.TIMEOUT, ErrorKind.CRASH, ErrorKind.REFUSED)  # the submission, not one check, failed


class Oracle(Protocol):
    """What only the reference knows: hidden checks' expectations and known mistakes' behaviour."""

    def expected(self, exercise: str, probes: list) -> list: ...

    def candidates(self, exercise: str, probes: list) -> Iterable[tuple]: ...  # (mistake id, hint, observations)

    def fails(self, exercise: str, mistake_id: str, check, probes: list) -> bool: ...


def select(exercise, *, public_only=False, parts=None, course=None):
    """The checks to run. course (CourseSettings) may change points and keep public checks from students;
    public_only is the self-check's choice, which also leaves out what the course withholds from it."""
    course = course or CourseSettings()
    chosen = []
    for check in registry.checks(exercise, hidden=not public_only):
        if check.id in course.points:
            check = replace(check, points=course.points[check.id])
        shown_to_students = check.public and check.id not in course.hidden_checks
        if (shown_to_students or not public_only) and (parts is None or check.part in parts):
            chosen.append(check)
    return chosen


def maxima(course=None):
    """{exercise id: the most points it gives}, with the course's points (CourseSettings)."""
    return {exercise: sum(check.points for check in select(exercise, course=course)) for exercise in registry.ids()}


def plan(checks, exercise, seed):
    """Probes for each check: public checks read fixed ones from the fixture file, hidden ones draw them from seed."""
    planned = []
    for check in checks:
        if check.public:
            entry = fixture_reader.fixtures(exercise).get(check.id)
            planned.append(None if entry is None else entry["probes"])
        else:
            if seed is None:
                raise ValueError(f"{check.id} is hidden and draws its inputs from a seed: give the course's hidden seed")
            # by id, so a check draws the same inputs whichever other checks run beside it
            planned.append(check.probes(torch.Generator().manual_seed(seed + zlib.crc32(check.id.encode()))))
    return planned


def redrawn(checks, seed, oracle):
    """For grading (seed and oracle given): fresh probes for each public check whose answers students could hold
    (a fixture's, a course's printed numbers; Check.redraw), drawn from the course's seed, to be compared with the
    reference. The published answers are then worth nothing unless the code computes them. None where there is
    no redraw."""
    if seed is None or oracle is None:
        return [None] * len(checks)
    return [(check.redraw or check.probes)(torch.Generator().manual_seed(seed + zlib.crc32(f"{check.id}{REDRAW}".encode())))
            if check.redrawn else None for check in checks]


REDRAW = "/redrawn"  # salts a redrawn check's seed, so its inputs differ from any hidden check's


def run(exercise, observe_all, checks, *, seed=None, oracle=None, course=None):
    """Run the checks of an exercise; observe_all(probes) -> observations runs the student side.

    seed and oracle are needed for hidden checks only, and make fixture and printed-example checks also compare
    on a fresh draw (redrawn); course gives the tolerances to judge with."""
    if oracle is None and any(not check.public for check in checks):
        raise ValueError("hidden checks compare with the reference: grade them with an oracle (instructors only)")
    planned, again = plan(checks, exercise, seed), redrawn(checks, seed, oracle)
    # "check" groups a check's probes, its redrawn ones after them: once one hangs or crashes, the rest are not run
    flat = [dict(probe, check=index) for index, (probes, more) in enumerate(zip(planned, again)) if probes
            for probe in probes + (more or [])]
    for probe in flat:  # a probe that does not fit the protocol is the catalog's mistake: said here, never sent
        parse(probe)
    observed_flat = iter(observe_all(flat))
    report = Report(exercise=exercise, seed=seed)
    with course_tolerances((course or CourseSettings()).tolerances):
        for check, probes, more in zip(checks, planned, again):
            if probes is None:
                report.checks.append(_result(check, Status.ERROR, "the fixture for this check is missing: "
                                             "instructors write it with `python -m autograder build`"))
                continue
            observed = [next(observed_flat) for _ in probes]
            result = judge(check, exercise, probes, observed, oracle)
            if more:
                result = _judge_redrawn(check, exercise, result, more, [next(observed_flat) for _ in more], oracle)
            report.checks.append(result)
        _keep_consistent_hints(exercise, report, dict(zip((check.id for check in checks), zip(checks, planned))), oracle)
    return report


REDRAWN_HINT = ("the outputs must follow from the inputs: these match the published values on the published inputs "
                "but not on others of the same kind, so something depends on those inputs in particular (their sizes, "
                "their values, or answers kept from the fixture)")


def _judge_redrawn(check, exercise, result, probes, observed, oracle):
    """A check that passed on the published inputs must also pass on the grader's redrawn ones."""
    if result.status != Status.PASSED:
        return result  # the published inputs already explain what is wrong, with the fixture's hints
    redone = judge(replace(check, against=Against.REFERENCE, judge=check.redraw_judge or check.judge), exercise, probes,
                   observed, oracle)
    if redone.status == Status.PASSED:
        return result
    redone.message = f"right on the published inputs, but on inputs the grader drew the same way: {redone.message}"
    # a known mistake or an error that explains itself is named instead; what the difference shows comes after
    redone.hint = redone.hint if redone.misconception else REDRAWN_HINT
    if redone.diagnosis and not redone.misconception:
        redone.message += f"; {redone.diagnosis}"
    return redone


def verdict(check, probes, observed, expected):
    """(status, message) of one check on observations, without any hint: passed, failed or error."""
    errors = [observation["error"] for observation in observed if "error" in observation]
    if errors and not check.judges_errors:
        return Status.ERROR, error_text(errors[0])
    try:
        message = check.judge(probes, observed, expected)
    except Exception as error:  # noqa: BLE001  (observations are the submission's: a judge must never take the batch down)
        return Status.ERROR, (f"the answer could not be judged ({type(error).__name__}: {error}); "
                              "it does not have the form this check expects")
    return (Status.PASSED, "") if message is None else (Status.FAILED, message)


def expected(check, exercise, probes, oracle):
    """What the check compares with: the fixture's observations, the oracle's, or nothing."""
    if check.against == Against.FIXTURE:
        return fixture_reader.fixtures(exercise)[check.id]["expected"]
    if check.against == Against.REFERENCE:
        return oracle.expected(exercise, probes)
    return None


def judge(check, exercise, probes, observed, oracle=None):
    errors = [observation["error"] for observation in observed if "error" in observation]
    for error in errors:  # an unfilled stub or a dead process fails every check, even one that expects an error
        if error["kind"] == ErrorKind.STUB:
            return _result(check, Status.ERROR, error_text(error), stub_hint(), cause=ErrorKind.STUB)
        if error["kind"] in NOT_GRADED:
            status = Status.TIMEOUT if error["kind"] == ErrorKind.TIMEOUT else Status.ERROR
            return _result(check, status, error_text(error), cause=ErrorKind(error["kind"]))
    wanted = expected(check, exercise, probes, oracle) if not errors or check.judges_errors else None
    status, message = verdict(check, probes, observed, wanted)
    if status == Status.PASSED:
        return _result(check, Status.PASSED)
    # A hint names a mistake only when a known mistake behaves exactly like the submission on these
    # inputs (and, see _keep_consistent_hints, on every check it passed), or when the error itself says
    # what is wrong; otherwise the message alone says which behaviour failed, on which input.
    if check.public:
        variants = stored_variants(fixture_reader.fixtures(exercise).get(check.id, {}).get("variants", {}))
    else:
        variants = oracle.candidates(exercise, probes)
    result = _result(check, status, message, cause=ErrorKind(errors[0]["kind"]) if errors else None)
    try:
        result.candidates = best_matches(observed, variants)
        result.fallback = (explain_error(errors[0]) or signature_hint(exercise, errors[0])) if errors else None
    except Exception:  # noqa: BLE001  (observations are the submission's: no hint is worth taking the batch down)
        result.candidates, result.fallback = [], None
    _name(result, result.candidates)
    if status == Status.FAILED and check.diagnose is not None:
        try:
            result.diagnosis = check.diagnose(probes, observed, wanted) or ""
        except Exception:  # noqa: BLE001  (as above)
            result.diagnosis = ""
        result.hint = result.hint or result.diagnosis
    if status == Status.FAILED and check.shown and check.against == Against.FIXTURE:  # the published inputs only
        try:
            result.evidence = pictures.evidence(probes, observed, wanted, check.shown)
        except Exception:  # noqa: BLE001  (as above)
            result.evidence = None
    return result


def _name(result, candidates):
    """Set the result's hint: the one mistake the candidates agree on, else the error's own explanation, else what
    the difference shows."""
    hints = {hint for _, hint in candidates}
    match = candidates[0] if len(hints) == 1 else result.fallback
    result.misconception, result.hint = match or (None, result.diagnosis)


def _keep_consistent_hints(exercise, report, planned, oracle):
    """A known mistake is named only if the submission passed no check that the mistake fails: a
    student whose mask function passes is not told that it returns numbers, even where the two
    raise the same error further on."""
    passed = [planned[result.id] for result in report.checks if result.status == Status.PASSED and result.id in planned]
    for result in report.checks:
        if not result.candidates:
            continue
        kept = [(key, hint) for key, hint in result.candidates
                if not any(_mistake_fails(exercise, key, check, probes, oracle) for check, probes in passed)]
        if kept != result.candidates:
            _name(result, kept)


def _mistake_fails(exercise, key, check, probes, oracle):
    if check.public:
        return key in fixture_reader.fixtures(exercise).get(check.id, {}).get("failed_by", [])
    return oracle.fails(exercise, key, check, probes)


def _result(check, status, message="", hint="", cause=None):
    points = check.points if status == Status.PASSED else 0.0
    return CheckResult(id=check.id, points=points, max_points=check.points, status=status,
                       message=message, hint=hint, title=check.title, part=check.part, cause=cause)


def error_text(error):
    if error["kind"] in (*NOT_GRADED, ErrorKind.PROBE):  # the kit's own words
        return error["message"]
    if error["kind"] == ErrorKind.STUB:
        return f"not implemented yet: {error['stage']} raised NotImplementedError"
    # the call names every argument the check passed (rope_base=None), so the student can make the same call
    text = f"{error['type']} while {error.get('call') or error['stage']}"
    if error["message"]:
        text += f": {error['message']}"
    if error["where"]:
        text += f" ({error['where']})"
    return text


def signature_hint(exercise, error):
    """("signature", hint) when the check's arguments did not fit the signature called (the sandbox bound them with
    inspect.signature: error["unbound"] says why): the signature the exercise fixes, as its fixture file records it. An error
    raised inside a signature that fits, a TypeError included, is not the signature's doing and gets no hint."""
    if not error.get("unbound") or not error["stage"].startswith(("building ", "calling ")):
        return None
    words = error["stage"].split()
    if len(words) < 2:
        return None
    name = words[1].split("(")[0]  # "building Name(d_in=…)" / "calling Name.forward"
    shown = fixture_reader.signatures(exercise).get(name)
    if shown is None:
        return None
    return "signature", f"keep the signature the exercise gives: {shown} (the check's call does not fit yours: {error['unbound']})"


def stub_hint():
    return "replace `raise NotImplementedError()` in the cell marked YOUR CODE HERE with your code"
