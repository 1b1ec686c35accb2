"""Grade submissions: find them, run each in its own child process, judge, report."""
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from . import checks
from .loader import SubmissionError, infer_exercise
from .sandbox import Limits, WorkerPool

SUFFIXES = (".ipynb", ".py")


@dataclass(frozen=True)
class Target:
    path: Path
    exercise: str
    student: str | None


def student_of(path):
    """The student id in an nbgrader tree: the folder after `submitted` (or `autograded`)."""
    parts = Path(path).resolve().parts
    for marker in ("submitted", "autograded"):
        if marker in parts[:-1]:
            index = parts.index(marker)
            if index + 1 < len(parts) - 1:
                return parts[index + 1]
    return None


def discover(paths, exercise=None):
    """Every submission under the given files and folders; a folder keeps only files named after an exercise."""
    targets, skipped = [], []
    for path in map(Path, paths):
        if path.is_dir():
            for file in sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file()):
                if ".ipynb_checkpoints" in file.parts or file.name.startswith(("_", ".")):
                    continue
                try:
                    targets.append(Target(file, exercise or infer_exercise(file), student_of(file)))
                except SubmissionError:
                    skipped.append(file)
        elif path.exists():
            targets.append(Target(path, exercise or infer_exercise(path), student_of(path)))
        else:
            raise SubmissionError(f"{path} does not exist")
    return targets, skipped


def grade_one(target, pool, *, seed=None):
    problems = []

    def observe_all(probes):
        with pool.worker() as worker:
            observations, found = worker.observe(target.path, target.exercise, probes)
        problems.extend(found)
        return observations

    report = checks.run(target.exercise, observe_all, seed=seed)
    report.submission, report.student, report.problems = str(target.path), target.student, problems
    return report


def main(*, paths, exercise=None, json_out=None, jobs=1, timeout=None, seed=None, summary_only=False):
    """Grade every submission under paths; print a table each (or only the summary) and write the JSON contract."""
    from .report import summary, text

    targets, skipped = discover(paths, exercise)
    for file in skipped:
        print(f"skipped {file}: its name names no exercise", file=sys.stderr)
    if not targets:
        raise SubmissionError("no submissions found: give notebooks, exercise .py files or folders holding them")
    limits = Limits(probe_timeout=timeout) if timeout else Limits()
    with WorkerPool(jobs, limits) as pool, ThreadPoolExecutor(max_workers=max(1, jobs)) as threads:
        if not pool.isolated:
            print("note: bubblewrap is not available, so submissions run without namespace isolation "
                  "(see README, 'What is enforced')", file=sys.stderr)
        reports = list(threads.map(lambda target: grade_one(target, pool, seed=seed), targets))
    out = sys.stderr if json_out == "-" else sys.stdout
    if not summary_only:
        for report in reports:
            print(text(report), end="\n\n", file=out)
    print(summary(reports), file=out)
    document = {"results": [report.as_json() for report in reports]}
    if json_out == "-":
        json.dump(document, sys.stdout, indent=2)
        print()
    elif json_out:
        Path(json_out).parent.mkdir(parents=True, exist_ok=True)
        Path(json_out).write_text(json.dumps(document, indent=2) + "\n")
    return reports
