"""What does grading a class cost, per notebook, with the kit and with stock nbgrader?

One run, one honest class (copies of samples/submitted/ada), graded:
  kit grade      python -m autograder grade submitted/ --jobs N, at two class sizes (goal: flat per notebook)
  nbgrader+kit   nbgrader autograde with the repository's config (the kit's plugin)
  stock          nbgrader autograde with nbgrader's own preprocessors: a kernel per notebook
Every way must give every student the same score. Prints a Markdown table.

--compare-with REF also grades the large class with the kit as it was at git commit REF (a worktree,
same interpreter), alternating with the current kit, to show what a change costs (for the sandbox's
hardening: REF = the commit before it).
"""
import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from autograder import registry  # noqa: E402

EXERCISES = len(registry.exercises())  # notebooks per student
STOCK = """
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, Execute, IgnorePattern, LimitOutput,
                                    SaveAutoGrades)
from nbconvert.preprocessors import ClearMetadataPreprocessor
c.Autograde.autograde_preprocessors = [Execute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades,
                                       AssignLatePenalties, CheckCellMetadata]
"""


def run(command, cwd, **environment):
    """Run command to its end; returns (seconds, the largest resident set in KiB of it and the processes it waited for).

    The memory is the kernel's own count for this one command (wait4's ru_maxrss: the peak of the command and of
    every descendant reaped below it), so the commands that set the course up count for nothing.
    """
    env = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]), **environment)
    with tempfile.TemporaryFile("w+") as stdout, tempfile.TemporaryFile("w+") as stderr:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=stdout, stderr=stderr, text=True, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        stdout.seek(0), stderr.seek(0)
        out, err = stdout.read(), stderr.read()
    if process.returncode != 0 or "Exception while loading config" in err:
        raise SystemExit(f"{' '.join(map(str, command))} failed:\n{out[-2000:]}{err[-2000:]}")
    return elapsed, usage.ru_maxrss


def make_course(folder, students, stock=False):
    folder.mkdir(parents=True)
    shutil.copytree(ROOT / "source", folder / "source")
    config = (ROOT / "nbgrader_config.py").read_text() + (STOCK if stock else "")
    (folder / "nbgrader_config.py").write_text(config)
    for index in range(students):
        shutil.copytree(ROOT / "samples/submitted/ada/attention", folder / "submitted" / f"s{index:03d}" / "attention")
    nbgrader = [sys.executable, "-m", "nbgrader"]
    run(nbgrader + ["generate_assignment", "attention", "--force"], folder, NBGRADER_COURSE_ROOT=str(folder))
    return folder  # autograde adds the students to the gradebook itself (Autograde.create_student)


def nbgrader_autograde(folder):
    environment = {"NBGRADER_COURSE_ROOT": str(folder)}
    elapsed, peak = run([sys.executable, "-m", "nbgrader", "autograde", "attention"], folder, **environment)
    run([sys.executable, "-m", "nbgrader", "export"], folder, **environment)
    with open(folder / "grades.csv") as table:
        return elapsed, peak, {row["student_id"]: float(row["raw_score"]) for row in csv.DictReader(table)}


def kit_grade(folder, jobs, kit=None):
    """Grade folder's class with the kit in this repository, or in the folder kit (another version of it)."""
    out = folder / "grades.json"
    command = [sys.executable, "-m", "autograder", "grade", str(folder / "submitted"), "--jobs", str(jobs), "--summary",
               "--json", str(out)]
    elapsed, peak = run(command, kit or folder)
    totals = {}
    for result in json.loads(out.read_text())["results"]:
        totals[result["student"]] = totals.get(result["student"], 0.0) + result["score"]
    return elapsed, peak, totals


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", type=int, default=10, help="students in the small class (a notebook per exercise)")
    parser.add_argument("--large", type=int, default=100, help="students in the large class")
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument("--compare-with", metavar="REF", help="also time the kit at this git commit on the large class")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each side of --compare-with, alternating")
    parser.add_argument("--compare-only", action="store_true", help="with --compare-with: only the comparison")
    args = parser.parse_args()
    if args.compare_only:
        with tempfile.TemporaryDirectory(prefix="attention-bench-") as workdir:
            compare(Path(workdir), args)
        return
    rows, agree = [], []
    with tempfile.TemporaryDirectory(prefix="attention-bench-") as workdir:
        workdir = Path(workdir)
        for students in (args.small, args.large):
            course = make_course(workdir / f"kit{students}", students)
            elapsed, peak, totals = kit_grade(course, args.jobs)
            rows.append((f"`autograder grade --jobs {args.jobs}`", students, elapsed, peak))
            agree.append(totals)
        plugin = make_course(workdir / "plugin", args.small)
        elapsed, peak, totals = nbgrader_autograde(plugin)
        rows.append(("`nbgrader autograde`, kit plugin", args.small, elapsed, peak))
        agree.append(totals)
        stock = make_course(workdir / "stock", args.small, stock=True)
        elapsed, peak, totals = nbgrader_autograde(stock)
        rows.append(("`nbgrader autograde`, stock (a kernel per notebook)", args.small, elapsed, peak))
        agree.append(totals)
    small = {student: score for student, score in agree[0].items()}
    same = all(totals.get(student) == score for totals in agree[2:] for student, score in small.items())
    same &= set(agree[1].values()) == set(small.values())
    print(f"{os.cpu_count()} cores; every student's answers are correct ({10 * EXERCISES} points)\n")
    print("| grader | students | notebooks | wall | per notebook | largest process RSS |")
    print("|---|---|---|---|---|---|")
    for name, students, elapsed, peak in rows:
        memory = f"{peak / 1024:.0f} MiB"
        print(f"| {name} | {students} | {EXERCISES * students} | {elapsed:.1f} s | {1000 * elapsed / (EXERCISES * students):.0f} ms | {memory} |")
    kit_large = rows[1][2] / (EXERCISES * args.large)
    stock_small = rows[3][2] / (EXERCISES * args.small)
    print(f"\nstock nbgrader per notebook / kit per notebook at {EXERCISES * args.large} notebooks: {stock_small / kit_large:.0f}x")
    print(f"kit per notebook, {EXERCISES * args.large} vs {EXERCISES * args.small} notebooks: {kit_large / (rows[0][2] / (EXERCISES * args.small)):.2f}x")
    print(f"scores agree across all graders: {same}\n")
    if args.compare_with:
        with tempfile.TemporaryDirectory(prefix="attention-bench-") as workdir:
            compare(Path(workdir), args)


def compare(workdir, args):
    """Median wall time of the large class with the kit at REF and now, alternating runs."""
    other = workdir / "other-kit"
    subprocess.run(["git", "worktree", "add", "--detach", str(other), args.compare_with], cwd=ROOT, check=True,
                   capture_output=True)
    try:
        course = make_course(workdir / "compare", args.large)
        times = {"then": [], "now": []}
        for _ in range(args.repeat):
            for side, kit in (("then", other), ("now", ROOT)):
                elapsed, _, totals = kit_grade(course, args.jobs, kit)
                assert set(totals.values()) == {10.0 * EXERCISES}, (side, totals)
                times[side].append(elapsed)
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(other)], cwd=ROOT, capture_output=True)
    then, now = (sorted(times[side])[len(times[side]) // 2] for side in ("then", "now"))
    notebooks = EXERCISES * args.large
    print(f"kit at {args.compare_with} and now, {notebooks} notebooks, median of {args.repeat} alternating runs:")
    print(f"  then {then:.1f} s ({1000 * then / notebooks:.0f} ms per notebook), runs {[round(t, 1) for t in times['then']]}")
    print(f"  now  {now:.1f} s ({1000 * now / notebooks:.0f} ms per notebook), runs {[round(t, 1) for t in times['now']]}")
    print(f"  now / then: {now / then:.2f}\n")


if __name__ == "__main__":
    main()
