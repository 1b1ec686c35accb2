"""The instructor's settings that change what students see, as the self-check reads them.

An instructor sets them in nbgrader_config.py (c.KitSettings, instructor/kit_settings.py); the student
kit carries them as autograder/course.json, which `bundle` writes. Where there is no such file
(the course's own checkout, a plain install), the catalog's points and checks stand.
"""
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

FILE = Path(__file__).resolve().parent / "course.json"


@dataclass(frozen=True)
class CourseSettings:
    points: dict = field(default_factory=dict)  # check id -> points, replacing the catalog's
    hidden_checks: tuple = ()  # ids of public checks left out of the self-check (they still count)
    tolerances: dict = field(default_factory=dict)  # dtype name -> (rtol, atol)
    # "<exercise>.<part>" -> the part's points, hidden checks included (bundle writes them: the kit has no
    # hidden checks to count); empty where the hidden checks are at hand
    totals: dict = field(default_factory=dict)

    def to_json(self):
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text):
        data = json.loads(text)
        return cls(points={key: float(value) for key, value in data.get("points", {}).items()},
                   hidden_checks=tuple(data.get("hidden_checks", ())),
                   tolerances={key: tuple(value) for key, value in data.get("tolerances", {}).items()},
                   totals={key: float(value) for key, value in data.get("totals", {}).items()})


def current():
    """The settings the student kit was bundled with, or the catalog's own where it was not."""
    return CourseSettings.from_json(FILE.read_text()) if FILE.is_file() else CourseSettings()
