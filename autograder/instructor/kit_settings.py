"""Instructor settings, in one place: c.KitSettings.* in the course's nbgrader_config.py.

`python -m autograder grade`, the nbgrader plugin and the Gradescope build all read
them; `python -m autograder config` lists them with their help and current values.
A student's self-check runs without them, on the defaults.
"""
import os
from pathlib import Path

from traitlets import Dict, Enum, Float, Int, List, TraitError, Unicode, validate
from traitlets.config import Configurable
from traitlets.config.loader import PyFileConfigLoader

from .. import registry
from ..course_settings import CourseSettings
from . import ROOT
from .sandbox import Limits

DEFAULT_LIMITS = Limits()


class KitSettings(Configurable):
    probe_timeout = Float(DEFAULT_LIMITS.probe_timeout, help="Seconds one check may run student code before it counts as a timeout.").tag(config=True)
    load_timeout = Float(DEFAULT_LIMITS.load_timeout, help="Seconds a submission's answer cells (or module) may take to load.").tag(config=True)
    run_timeout = Float(DEFAULT_LIMITS.run_timeout, help="Seconds all of one submission's checks may run student code "
                        "together; when they are spent, the checks not yet run count as timeouts.").tag(config=True)
    memory_limit = Int(DEFAULT_LIMITS.memory, help="Bytes of address space for the process that runs student code.").tag(config=True)
    jobs = Int(os.cpu_count() or 1, help="Submissions graded at once, one warm worker each (at most one worker "
               "per 16 submissions: each starts with an import of torch).").tag(config=True)
    # Hidden checks draw their inputs from this seed, the public checks' fixtures from another, so the
    # fixtures say nothing about them. Fixed, so that a regrade gives the same score on every engine.
    hidden_seed = Int(1729, help="Seed of the hidden checks' inputs; fixed, so that a regrade gives the same score.").tag(config=True)
    points = Dict(value_trait=Float(), help="Points per check id, replacing the catalog's "
                  "(e.g. {'<exercise>.<check>': 2.0}, ids as `grade --json -` prints them); keep each part's total equal to its test cell's points.").tag(config=True)
    hidden_checks = List(Unicode(), help="Ids of public checks to leave out of students' self-check; they still "
                         "count when grading.").tag(config=True)
    isolation = Enum(["required", "off"], "required", help="'required': grade only where student code can be "
                     "isolated (bubblewrap, seccomp), and refuse otherwise; 'off': run it unisolated, able to read "
                     "and change whatever the grading user can.").tag(config=True)
    tolerances = Dict(value_trait=List(Float(), minlen=2, maxlen=2), help="[rtol, atol] per dtype for numeric "
                      "comparisons, e.g. {'float32': [1e-4, 1e-5]}; unlisted dtypes keep the kit's.").tag(config=True)

    @validate("points")
    def _known_points(self, proposal):
        for check_id, points in proposal["value"].items():
            _known_check(check_id, "points")
            if points < 0:
                raise TraitError(f"c.KitSettings.points gives {check_id} {points:g} points: give 0 or more")
        return proposal["value"]

    @validate("hidden_checks")
    def _known_public_checks(self, proposal):
        for check_id in proposal["value"]:
            if not _known_check(check_id, "hidden_checks").public:
                raise TraitError(f"c.KitSettings.hidden_checks names {check_id}, which students never see anyway")
        return proposal["value"]

    @validate("tolerances")
    def _known_dtypes(self, proposal):
        for name in proposal["value"]:
            if name not in ("float32", "float64"):
                raise TraitError(f"c.KitSettings.tolerances has {name!r}: the checks compare float32 and float64")
        return proposal["value"]

    def course(self):
        """What of these settings students see too (the student kit carries it as course.json)."""
        return CourseSettings(points=dict(self.points), hidden_checks=tuple(self.hidden_checks),
                              tolerances={name: tuple(pair) for name, pair in self.tolerances.items()})

    def limits(self):
        return Limits(self.probe_timeout, self.load_timeout, run_timeout=self.run_timeout, memory=self.memory_limit)


def _known_check(check_id, setting):
    exercise = check_id.split(".", 1)[0]
    if exercise in registry.ids():
        for check in registry.checks(exercise):
            if check.id == check_id:
                return check
    raise TraitError(f"c.KitSettings.{setting} names {check_id!r}, which is no check: the ids are listed by "
                     "`python -m autograder grade --json -` and in the fixtures, e.g. "
                     f"{registry.checks(registry.ids()[0])[0].id}")


def config_file(start=None):
    """The nbgrader_config.py in use: in the current folder, else the repository's."""
    for folder in (Path(start or Path.cwd()), ROOT):
        if (folder / "nbgrader_config.py").is_file():
            return folder / "nbgrader_config.py"
    return None


class SettingsError(ValueError):
    """A setting in nbgrader_config.py that cannot be used; the message names it and says what would do."""


def load(path=None):
    """KitSettings from the course's nbgrader_config.py, or the defaults where there is none."""
    path = Path(path) if path else config_file()
    if path is None:
        return KitSettings()
    config = PyFileConfigLoader(path.name, path=str(path.parent)).load_config()
    try:
        return KitSettings(config=config)
    except TraitError as error:
        raise SettingsError(f"{path}: {error}") from None


def describe(settings):
    """Every setting with its current value, default and help, for `python -m autograder config`."""
    lines = [f"# c.KitSettings in {config_file() or 'no nbgrader_config.py (defaults)'}"]
    for name, trait in sorted(settings.traits(config=True).items()):
        current, default = getattr(settings, name), trait.default()
        lines.append(f"c.KitSettings.{name} = {current!r}" + ("" if current == default else f"  # default {default!r}"))
        lines.append(f"    {trait.help}")
    return "\n".join(lines)
