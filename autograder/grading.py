"""Grade submissions: find them, run them in the sandbox's warm workers, judge, report."""
import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import checks
from .loader import SubmissionError, discover
from .sandbox import Limits, WorkerPool
from .settings import load as load_settings


def grade_one(target, pool, *, seed=None, settings=None):
    problems = []

    def observe_all(probes):
        with pool.worker() as worker:
            observations, found = worker.observe(target.path, target.exercise, probes)
        problems.extend(found)
        return observations

    report = checks.run(target.exercise, observe_all, seed=seed, settings=settings)
    report.submission, report.student, report.problems = str(target.path), target.student, problems
    return report


class Progress:
    """`graded 37/400, 12 s, about 1 min left` on a terminal's stderr; silent when stderr is a file or a pipe."""

    def __init__(self, total, stream=sys.stderr):
        self.total, self.count, self.stream = total, 0, stream
        self.shown = stream.isatty() and total > 1
        self.start, self.lock = time.monotonic(), threading.Lock()

    def done(self, report):
        with self.lock:
            self.count += 1
            if self.shown:
                elapsed = time.monotonic() - self.start
                left = elapsed / self.count * (self.total - self.count)
                self.stream.write(f"\rgraded {self.count}/{self.total}, {elapsed:.0f} s, about {left:.0f} s left  ")
                self.stream.flush()
        return report

    def close(self):
        if self.shown:
            self.stream.write("\n")


def main(*, paths, exercise=None, json_out=None, jobs=None, timeout=None, seed=None, summary_only=False, out=None,
         settings=None, isolate=None, found=None):
    """Grade every submission under paths; print a table each (or only the summary); write the JSON contract
    to json_out and every instructor output (gradebook, feedback, class report) into the folder out.
    found: what loader.discover already returned for paths, when the caller looked first."""
    from .report import summary, text

    targets, skipped = found or discover(paths, exercise)
    for file, why in skipped:
        print(f"skipped {file}: {why}", file=sys.stderr)
    if not targets:
        raise SubmissionError("no submissions found: give notebooks, exercise .py files or folders holding them")
    settings = (settings or load_settings()).apply()  # flags given on the command line win over the config file
    jobs = jobs or settings.jobs
    limits = Limits(timeout or settings.probe_timeout, settings.load_timeout, settings.memory_limit)
    isolate = settings.isolation != "off" if isolate is None else isolate
    with WorkerPool(jobs, limits, isolate) as pool, ThreadPoolExecutor(max_workers=max(1, jobs)) as threads:
        if not pool.isolated:
            print("note: grading without isolation, as asked: the code graded can read and change whatever "
                  "this user can (see README, 'The sandbox')", file=sys.stderr)
        progress = Progress(len(targets))
        reports = list(threads.map(lambda target: progress.done(grade_one(target, pool, seed=seed, settings=settings)),
                                   targets))
        progress.close()
    stream = sys.stderr if json_out == "-" else sys.stdout
    if not summary_only:
        for report in reports:
            print(text(report), end="\n\n", file=stream)
    print(summary(reports), file=stream)
    document = {"results": [report.as_json() for report in reports]}
    if json_out == "-":
        json.dump(document, sys.stdout, indent=2)
        print()
    elif json_out:
        Path(json_out).parent.mkdir(parents=True, exist_ok=True)
        Path(json_out).write_text(json.dumps(document, indent=2) + "\n")
    if out:
        from .classreport import write

        write(reports, out)
        print(f"wrote {out}/: results.json, grades.csv, feedback/, report.md, scores.png, mistakes.png", file=sys.stderr)
    return reports
