"""Run the same grader on Gradescope: build its autograder zip, and write its results.json.

The zip holds the kit itself (reference included: it never leaves the grading
machine), requirements pinned as here, setup.sh and run_autograder. On Gradescope
run_autograder grades whatever the student uploaded in /autograder/submission and
writes one test per check to /autograder/results/results.json. Each check has its
own time limit (c.KitSettings.probe_timeout), so a hang costs that check and never
reaches the platform's limit for the whole run.
"""
import argparse
import json
import sys
import zipfile
from pathlib import Path

from ..checks import Status
from ..sandboxed.loader import SubmissionError
from . import ROOT
from .sandbox import SandboxError
from .starting import early_start

# Imported where used, since they import torch (the workers start importing theirs first): ..engine, ..report, .batch

# folder in the course -> its place in the zip: the reference inside the kit, where an installed kit has it
KIT = {"autograder": "autograder", "solutions": "autograder/instructor/solutions"}
FILES = ["requirements.txt", "pyproject.toml", "setup.py", "nbgrader_config.py"]

SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
set -euo pipefail
apt-get update -qq
apt-get install -y -qq python3 python3-pip python3-venv bubblewrap libseccomp2
python3 -m venv /autograder/venv
/autograder/venv/bin/pip install --quiet -r /autograder/source/requirements.txt
/autograder/venv/bin/pip install --quiet --no-deps --editable /autograder/source
"""

RUN = """#!/usr/bin/env bash
# Gradescope runs this for every submission. AUTOGRADER_ROOT and AUTOGRADER_PYTHON let it run elsewhere too.
set -euo pipefail
root="${AUTOGRADER_ROOT:-/autograder}"
python="${AUTOGRADER_PYTHON:-$root/venv/bin/python}"
mkdir -p "$root/results"
cd "$root/source"
exec "$python" -m autograder gradescope run "$root/submission" --out "$root/results/results.json"
"""


# said in the output when an exercise was found more than once: discovery._preference, in words
ONE_FILE_PER_EXERCISE = ("An upload is one student's: each exercise is graded once, from the file nearest the top of "
                         "the upload (then the name handed out, then a notebook before a .py file, then the path in "
                         "sorted order).")


def build(*, out):
    """Write the autograder zip Gradescope asks for; returns its path."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for folder, inside in KIT.items():
            for path in sorted((ROOT / folder).rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts:
                    archive.write(path, f"{inside}/{path.relative_to(ROOT / folder).as_posix()}")
        for name in FILES:
            archive.write(ROOT / name, name)
        for name, script in (("setup.sh", SETUP), ("run_autograder", RUN)):
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o755 << 16  # executable
            archive.writestr(info, script)
    print(f"wrote {out}")
    return out


def results(reports, problems=(), course=None, root=None):
    """Gradescope's results.json: one test per check; checks students do not see in their self-check (hidden
    ones, and those the course withholds) are shown once grades are published. The top-level score is what
    Gradescope records (without it, it adds up the tests): the reports' total, never above the course's
    maximum. root: the upload, so that the output names each file by its path in it."""
    from .. import engine
    from ..report import printable

    tests = []
    for report in reports:
        public = {check.id for check in engine.select(report.exercise, public_only=True, course=course)}
        for check in report.checks:
            output = check.message + (f"\nHint: {check.hint}" if check.hint else "")
            tests.append({
                "name": f"{check.id}: {check.title}",
                "score": check.points,
                "max_score": check.max_points,
                "status": "passed" if check.status == Status.PASSED else "failed",
                "output": output,
                "visibility": "visible" if check.id in public else "after_published",
            })
    notes = [f"{shown(r.submission, root)}: {r.score:g}/{r.max_score:g}" for r in reports] + list(problems)
    notes += [f"{shown(r.submission, root)}: {problem}" for r in reports for problem in r.problems]
    score = min(sum(report.score for report in reports), sum(engine.maxima(course).values()))
    # file names and messages are the student's: one line each, never a forged line of its own
    return {"score": score, "tests": tests, "output": "\n".join(printable(note, keep="") for note in notes),
            "stdout_visibility": "hidden"}


def shown(path, root=None):
    """A file of the upload by its path in it (its name, where root is not given or does not hold it)."""
    path = Path(path)
    return path.relative_to(root).as_posix() if root is not None and path.is_relative_to(root) else path.name


def run(*, submission, out):
    """Grade every notebook or exercises file under submission and write results.json to out.

    An upload is one student's, whatever its folders are named: each exercise is graded once, from the
    file discovery.discover prefers (discovery._preference, the rule ONE_FILE_PER_EXERCISE tells students),
    and every other file holding it is said in the output as not graded. Links in it are never followed,
    files too large and files past the first many thousands are passed over, and each of these is said in
    the output too.
    """
    pool = None
    try:
        # the workers boot torch while the grader imports its own
        settings, found, pool = early_start([submission], one_student=True)
        from .batch import main as grade

        notes = [f"{shown(path, submission)} was not graded: {why}" for path, why in found[1]
                 if Path(path).suffix in (".ipynb", ".py") or "files" in why]
        if any("is graded for" in why for _, why in found[1]):
            notes.insert(0, ONE_FILE_PER_EXERCISE)
        reports = grade(paths=[submission], summary_only=True, found=found, settings=settings, pool=pool)
        document = results(reports, notes, settings.course(), root=submission)
    except SubmissionError as error:
        document = {"score": 0.0, "tests": [], "output": f"Nothing to grade: {error}"}
    finally:
        if pool is not None:
            pool.close()  # grading closes it; this is for whatever stopped before
    Path(out).write_text(json.dumps(document, indent=2) + "\n")
    return document


def main(argv):
    parser = argparse.ArgumentParser(prog="python -m autograder gradescope")
    verbs = parser.add_subparsers(dest="verb", required=True)
    make = verbs.add_parser("build", help="write the autograder zip to upload to Gradescope")
    make.add_argument("--out", default="out/gradescope.zip")
    grade = verbs.add_parser("run", help="grade a submission folder and write results.json (what run_autograder does)")
    grade.add_argument("submission")
    grade.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    if args.verb == "build":
        build(out=args.out)
        return 0
    try:
        run(submission=args.submission, out=args.out)
    except SandboxError as error:  # no grade at all rather than a grade from unisolated code
        print(f"error: {error}; nothing was graded", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
