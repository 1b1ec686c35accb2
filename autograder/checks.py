"""What a check is, what it found, and the report of a set of them: data, with no behaviour of note.

A check pairs probes (plain inputs for student code, see sandboxed/probes.py) with a
judge that reads the resulting observations. The judge runs in the grader (engine.py)
and compares against what the check's `against` says.
"""
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Callable

from .sandboxed.errors import ErrorKind


class Against(StrEnum):
    """Where a check's expectation comes from."""

    PROPERTIES = "properties"  # nothing but the observations themselves (shapes, causality, ...)
    FIXTURE = "fixture"  # expected observations committed in autograder/fixtures/ (public)
    REFERENCE = "reference"  # the same probes run on solutions/ in the grader (hidden checks)


class Status(StrEnum):
    """A check's outcome, as the JSON contract writes it."""

    PASSED = "passed"
    FAILED = "failed"  # it ran, and behaved otherwise than asked
    ERROR = "error"  # it raised, could not be loaded or judged, or its process crashed
    TIMEOUT = "timeout"


@dataclass(frozen=True)
class Check:
    id: str
    part: str
    points: float
    title: str
    probes: Callable  # (torch.Generator) -> [probe]: the inputs, drawn from a seeded generator
    judge: Callable[[list, list, list], str | None]
    against: Against = Against.PROPERTIES
    judges_errors: bool = False
    # At grading, a public check whose answers students could hold (a fixture's, a course's printed numbers)
    # also runs on fresh probes compared with the reference: these, (generator) -> [probe], judged by
    # redraw_judge. A fixture check redraws its own probes with its own judge unless told otherwise.
    redraw: Callable | None = None
    redraw_judge: Callable | None = None
    # (probes, observed, expected) -> what the difference shows, or None (behaviour.py): said as the hint of a
    # failed check when no known mistake behaves like the submission
    diagnose: Callable | None = None
    # the names of the outputs a failing check may picture (pictures.py): public checks on their fixture's inputs
    shown: tuple = ()

    @property
    def public(self):
        return self.against != Against.REFERENCE

    @property
    def redrawn(self):
        """Whether grading runs it again on fresh probes (see redraw)."""
        return self.public and (self.against == Against.FIXTURE or self.redraw is not None)


@dataclass
class CheckResult:
    id: str
    points: float
    max_points: float
    status: Status
    message: str = ""
    hint: str = ""
    title: str = ""
    part: str = ""
    misconception: str | None = None  # the id of the known mistake the submission behaved like
    candidates: list = field(default_factory=list, repr=False)  # known mistakes alike on this check: [(id, hint)]
    fallback: tuple | None = field(default=None, repr=False)  # (id, hint) the error itself explains
    cause: ErrorKind | None = field(default=None, repr=False)  # what kind of error, when the status is one
    diagnosis: str = field(default="", repr=False)  # what the difference shows (behaviour.py), named mistake or not
    evidence: dict | None = field(default=None, repr=False)  # what a picture of the failure shows (pictures.py)


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


