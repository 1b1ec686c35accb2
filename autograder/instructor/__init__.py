"""Instructors only: grading in the sandbox, the reference, nbgrader and Gradescope, the build and the
class report. The student kit leaves this folder out, and nothing students receive imports it."""
from pathlib import Path

# The course checkout: source/, release/, solutions/, nbgrader_config.py. Installed from a wheel, this is
# the site-packages folder, which holds none of the course's files: run from the course folder then.
ROOT = Path(__file__).resolve().parents[2]
