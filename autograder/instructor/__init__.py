"""Instructors only: grading in the sandbox, the reference, nbgrader and Gradescope, the build and the
class report. The student kit leaves this folder out, and nothing students receive imports it."""
import importlib.util
import sys
from pathlib import Path

# The course checkout: source/, release/, solutions/, nbgrader_config.py. Installed from a wheel, this is
# the site-packages folder, which holds none of the course's files: run from the course folder then.
ROOT = Path(__file__).resolve().parents[2]

# The reference's one import name. In a course checkout it is the solutions/ folder beside this kit, whatever
# else the interpreter has installed (another checkout's editable install maps the name to that checkout's
# folder); installed from a wheel or the Gradescope zip, it is the package inside the kit (setup.py puts it there).
SOLUTIONS = f"{__name__}.solutions"
_BESIDE = ROOT / "solutions" / "__init__.py"
_INSIDE = Path(__file__).resolve().parent / "solutions"  # installed: never a stale top-level copy beside it
if _BESIDE.is_file() and not _INSIDE.is_dir() and SOLUTIONS not in sys.modules:
    _spec = importlib.util.spec_from_file_location(SOLUTIONS, _BESIDE, submodule_search_locations=[str(_BESIDE.parent)])
    sys.modules[SOLUTIONS] = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(sys.modules[SOLUTIONS])
