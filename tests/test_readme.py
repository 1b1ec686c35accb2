"""Do the README's nbgrader steps, run verbatim in new shells on a fresh clone of the course, grade two students?"""
import csv
import re
import shutil
import subprocess

import pytest

from autograder import registry
from helpers import ROOT, fresh_clone, new_shell

pytestmark = pytest.mark.slow

STEPS = re.compile(r"<!-- nbgrader steps -->\n```\n(?P<steps>.*?)```\n<!-- /nbgrader steps -->", re.S)


def steps():
    """[(who, command)] in the README's order: who is "instructor" or "student", from the comment above."""
    found, who = [], None
    for line in STEPS.search((ROOT / "README.md").read_text())["steps"].splitlines():
        if line.startswith("#"):
            who = "student" if "student" in line else "instructor"
        elif line.strip():
            found.append((who, line))
    return found


def run(command, cwd, **environment):
    """command as typed in a new shell (no activated environment) in cwd, whose user's home is cwd."""
    completed = subprocess.run(["bash", "-c", command], cwd=cwd, capture_output=True, text=True, timeout=600,
                               env=new_shell(cwd, **environment))
    log = completed.stdout + completed.stderr
    assert completed.returncode == 0 and "Exception while loading config" not in log, f"{command}\n{log[-3000:]}"
    return log


def test_the_readme_sequence_grades_two_students(tmp_path):
    """Built, released, fetched and submitted by two students (one with every answer, one with none), collected,
    autograded, exported and given feedback, command by command as the README writes it: are the grades right?"""
    course = fresh_clone(tmp_path)
    answers = {"ada": ROOT / "samples" / "submitted" / "ada" / "attention", "bob": None}  # bob submits the stubs
    order = steps()
    assert [who for who, _ in order].count("student") >= 2 and any("autograde" in line for _, line in order)
    instructor_before = [line for index, (who, line) in enumerate(order)
                         if who == "instructor" and index < next(i for i, (w, _) in enumerate(order) if w == "student")]
    student = [line for who, line in order if who == "student"]
    instructor_after = [line for line in (line for who, line in order if who == "instructor") if line not in instructor_before]
    for line in instructor_before:
        run(line, course, COURSE=str(course))
    for name, filled in answers.items():
        home = tmp_path / "students" / name
        home.mkdir(parents=True)
        for line in student:
            if "submit" in line and filled is not None:  # the work: every notebook answered
                for exercise in registry.exercises():
                    shutil.copy(filled / exercise.notebook, home / "attention" / exercise.notebook)
            run(line, home, COURSE=str(course), STUDENT=name)
    for line in instructor_after:
        run(line, course, COURSE=str(course))
    with open(course / "grades.csv") as table:
        grades = {row["student_id"]: float(row["raw_score"]) for row in csv.DictReader(table)}
    assert grades == {"ada": 10.0 * len(registry.ids()), "bob": 0.0}
    for name in answers:
        pages = list((course / "feedback" / name / "attention").glob("*.html"))
        assert len(pages) == len(registry.ids()), name
