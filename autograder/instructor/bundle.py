"""Build the archive students receive: notebooks, stubs, the kit's student side and the public fixtures.

The rule is the layout's: all of autograder/ but instructor/ and each exercise's hidden.py and
mistakes.py (registry.INSTRUCTOR_FILES); never solutions/ or source/. The course's settings that
change the self-check travel as autograder/course.json.
"""
import zipfile
from dataclasses import replace
from pathlib import Path

from .. import registry
from ..selfcheck import part_points
from . import ROOT
from .build import notebook_table
from .kit_settings import load

NAME = "attention-student"
# nbgrader for its Validate button, pinned as the course's; autograder/jupyter/ switches off its instructor tools
REQUIREMENTS = ["torch==2.13.0", "numpy", "matplotlib", "pytest", "ipykernel", "jupyterlab", "notebook", "nbgrader==0.9.6"]
STUDENT_LAB = "JUPYTER_CONFIG_DIR=autograder/jupyter .venv/bin/jupyter lab --allow-root release/attention"

PYPROJECT = """[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "attention-exercises"
version = "0.1.0"
requires-python = ">=3.11"

[project.entry-points.pytest11]
attention = "autograder.pytest_plugin"

[tool.setuptools.packages.find]
include = ["autograder*"]  # exercises/ is your working copy: graded from its files, never imported

[tool.setuptools.package-data]
autograder = ["fixtures/*.json", "course.json"]
"""

README = """# Attention exercises

Notebooks in which you implement attention in PyTorch:

{table}
## Set up once

```
python3 -m venv .venv
.venv/bin/pip install -r requirements.txt -e .
```

## Work

1. Open JupyterLab, set up for this kit (nbgrader's Validate button, without the instructor's tools;
   `--allow-root` only matters when you run it as root), and the first notebook in it:
   ```
   {student_lab}
   ```
2. Replace each `raise NotImplementedError()` in the cells marked `# YOUR CODE HERE`.
3. Run the locked cell below each answer: a table of checks with points and hints. Every check fails
   until you fill in the stub, so red at the start is expected.
4. From a terminal, the same checks: `.venv/bin/python -m autograder check release/attention/{first.notebook}`,
   or `.venv/bin/python -m pytest --attention` for all the notebooks.

Prefer an editor? `exercises/*.py` are the same exercises as modules:
`.venv/bin/python -m autograder check exercises/{first.id}.py`.

Only your answer cells are graded; put helpers inside them. Warnings and prints cost nothing. These
are the public checks. The grader adds hidden ones with other sizes and weights, and runs the checks
that compare numbers again on fresh inputs, so match the behaviour, not the numbers. Keep the notebooks together: a notebook may use what you wrote in another.
Submit the notebooks as your course asks.
"""


def student_side(path):
    """Whether a file of autograder/ goes to students: not instructor/, not an exercise's instructor files."""
    relative = path.relative_to(ROOT / "autograder")
    if relative.parts[0] == "instructor" or "__pycache__" in relative.parts:
        return False
    return not (relative.parts[0] == "catalog" and relative.name in registry.INSTRUCTOR_FILES)


def files(settings=None):
    """{path in the archive: bytes}. settings: the instructor's KitSettings (default: the course's config)."""
    settings = settings or load()
    found = {}
    for exercise in registry.exercises():
        found[f"release/attention/{exercise.notebook}"] = (ROOT / "release" / "attention" / exercise.notebook).read_bytes()
        found[f"exercises/{exercise.id}.py"] = (ROOT / "exercises" / f"{exercise.id}.py").read_bytes()
    found["exercises/__init__.py"] = (ROOT / "exercises" / "__init__.py").read_bytes()
    for path in sorted((ROOT / "autograder").rglob("*")):
        if path.is_file() and path.suffix in (".py", ".json", ".css") and student_side(path):
            found[f"autograder/{path.relative_to(ROOT / 'autograder').as_posix()}"] = path.read_bytes()
    course = settings.course()
    totals = {f"{exercise.id}.{part}": part_points(exercise.id, part, course)  # counted here, hidden checks at hand
              for exercise in registry.exercises() for part in exercise.parts}
    found["autograder/course.json"] = replace(course, totals=totals).to_json().encode()
    found["README.md"] = README.format(table=notebook_table("release/attention/"), first=registry.exercises()[0],
                                       student_lab=STUDENT_LAB).encode()
    found["requirements.txt"] = ("\n".join(REQUIREMENTS) + "\n").encode()
    found["pyproject.toml"] = PYPROJECT.encode()
    return found


def main(*, out, settings=None):
    """Write the student archive to out (a .zip); returns its path."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    contents = files(settings)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in contents.items():
            archive.writestr(f"{NAME}/{name}", data)
    print(f"wrote {out} ({len(contents)} files)")
    return out
