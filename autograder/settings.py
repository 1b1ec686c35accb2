"""Instructor settings, in one place: c.KitSettings.* in the course's nbgrader_config.py.

`python -m autograder grade`, the nbgrader plugin and the Gradescope build all read
them; `python -m autograder config` lists them with their help and current values.
A student's self-check runs without them, on the defaults.
"""
import os
from pathlib import Path

from traitlets import Dict, Enum, Float, Int, List, Unicode
from traitlets.config import Configurable
from traitlets.config.loader import PyFileConfigLoader

from .checks import HIDDEN_SEED

ROOT = Path(__file__).resolve().parent.parent


class KitSettings(Configurable):
    probe_timeout = Float(5.0, help="Seconds one check may run student code before it counts as a timeout.").tag(config=True)
    load_timeout = Float(20.0, help="Seconds a submission's answer cells (or module) may take to load.").tag(config=True)
    memory_limit = Int(2 * 1024**3, help="Bytes of address space for the process that runs student code.").tag(config=True)
    jobs = Int(os.cpu_count() or 1, help="Submissions graded at once, one warm worker each.").tag(config=True)
    hidden_seed = Int(HIDDEN_SEED, help="Seed of the hidden checks' inputs; fixed, so that a regrade gives the same score.").tag(config=True)
    points = Dict(value_trait=Float(), help="Points per check id, replacing the catalog's "
                  "(e.g. {'self_attention.head_printed': 2.0}); keep each part's total equal to its test cell's points.").tag(config=True)
    hidden_checks = List(Unicode(), help="Ids of public checks to leave out of students' self-check; they still "
                         "count when grading.").tag(config=True)
    isolation = Enum(["required", "off"], "required", help="'required': grade only where student code can be "
                     "isolated (bubblewrap, seccomp), and refuse otherwise; 'off': run it unisolated, able to read "
                     "and change whatever the grading user can.").tag(config=True)
    tolerances = Dict(value_trait=List(Float(), minlen=2, maxlen=2), help="[rtol, atol] per dtype for numeric "
                      "comparisons, e.g. {'float32': [1e-4, 1e-5]}; unlisted dtypes keep the kit's.").tag(config=True)

    def apply(self):
        """Make the tolerances take effect (the comparisons read them from compare.TOLERANCES)."""
        import torch

        from .compare import TOLERANCES, Tolerance

        for name, (rtol, atol) in self.tolerances.items():
            TOLERANCES[getattr(torch, name)] = Tolerance(rtol=rtol, atol=atol)
        return self


def config_file(start=None):
    """The nbgrader_config.py in use: in the current folder, else the repository's."""
    for folder in (Path(start or Path.cwd()), ROOT):
        if (folder / "nbgrader_config.py").is_file():
            return folder / "nbgrader_config.py"
    return None


def load(path=None):
    """KitSettings from the course's nbgrader_config.py, or the defaults where there is none."""
    path = Path(path) if path else config_file()
    if path is None:
        return KitSettings()
    config = PyFileConfigLoader(path.name, path=str(path.parent)).load_config()
    return KitSettings(config=config)


def describe(settings):
    """Every setting with its current value, default and help, for `python -m autograder config`."""
    lines = [f"# c.KitSettings in {config_file() or 'no nbgrader_config.py (defaults)'}"]
    for name, trait in sorted(settings.traits(config=True).items()):
        current, default = getattr(settings, name), trait.default()
        lines.append(f"c.KitSettings.{name} = {current!r}" + ("" if current == default else f"  # default {default!r}"))
        lines.append(f"    {trait.help}")
    return "\n".join(lines)
