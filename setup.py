"""What the wheel installs (pyproject.toml holds everything else): the kit's own package, nothing beside it at
site-packages' top level. The course's reference stays in solutions/, where course authors write it, and installs
inside the kit as autograder.instructor.solutions, its one import name (an editable install maps it there too).
A copy that already holds it inside the kit (the Gradescope zip) installs as it is.
"""
from pathlib import Path

from setuptools import find_packages, setup

REFERENCE = "autograder.instructor.solutions"
kit = find_packages(include=["autograder", "autograder.*"])

if (Path(__file__).parent / "solutions").is_dir():
    setup(packages=[*kit, REFERENCE], package_dir={REFERENCE: "solutions"})
else:
    setup(packages=kit)
