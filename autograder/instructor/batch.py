"""A batch of submissions end to end, for `grade` and Gradescope's run: find them, grade them (grading.py), show
progress, print the tables and write the results."""
import json
import sys
import threading
import time
from pathlib import Path

from ..discovery import discover
from ..report import printable, summary, text
from ..sandboxed.loader import SubmissionError
from .grading import grade_all
from .kit_settings import load as load_settings


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


def main(*, paths, exercise=None, json_out=None, jobs=None, seed=None, summary_only=False, out=None,
         settings=None, isolate=None, found=None, pool=None):
    """Grade every submission under paths; print a table each (or only the summary); write the JSON contract
    to json_out and every instructor output (gradebook, feedback, class report) into the folder out.
    found: what discovery.discover already returned for paths, when the caller looked first; pool: workers
    already starting (WorkerPool(..., wait=False)), which grading closes and so must its caller, for what
    stops before grading starts."""
    targets, skipped = found or discover(paths, exercise)
    for file, why in skipped:
        print(printable(f"skipped {file}: {why}", keep=""), file=sys.stderr)
    if not targets:
        raise SubmissionError("no submissions found: give notebooks, exercise .py files or folders holding them")
    settings = settings or load_settings()
    progress = Progress(len(targets))

    def started(pool):
        if not pool.isolated:
            print("note: grading without isolation, as asked: the code graded can read and change whatever "
                  "this user can (see README, 'The sandbox')", file=sys.stderr)

    reports = grade_all(targets, settings, jobs=jobs, isolate=isolate, seed=seed, done=progress.done, started=started,
                        pool=pool)
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

        write(reports, out, settings.course())  # the maxima are the course's points
        print(f"wrote {out}/: results.json, grades.csv, feedback/, report.md, scores.png, mistakes.png", file=sys.stderr)
    return reports
