"""What an instructor reads after grading: a gradebook, feedback per student, and a class report.

  results.json       the JSON contract (DESIGN.md)
  grades.csv         one row per student, one column per exercise, and the total
  feedback/S/E.html  each submission's check table with hints (feedback/S/E.txt: the same as text)
  report.md          score distribution per exercise, the known mistakes seen and how often, the hardest checks
  scores.png         score histograms, one per exercise
  mistakes.png       how many submissions showed each known mistake
"""
import datetime
import html
import json
import math
import os
import statistics
from collections import Counter
from pathlib import Path

from defusedcsv import csv

from .. import engine
from ..checks import Status
from ..report import html_table, printable, text


def write(reports, out, course=None):
    """Write every instructor output for the graded reports into the folder out; returns the paths written.
    Text is written as UTF-8 with anything undecodable replaced (a folder name's stray bytes, say).
    course (CourseSettings): the points each check is worth, so the maxima are the course's."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    maxima = engine.maxima(course)
    (out / "results.json").write_text(json.dumps({"results": [r.as_json() for r in reports]}, indent=2) + "\n")
    written = [out / "results.json", _gradebook(reports, out / "grades.csv", maxima)]
    written += _feedback(reports, out / "feedback")
    written += _report(reports, out, maxima)
    return written


def _who(report, reports=()):
    """The student, or where none is known the file's name; where two files of the batch share that name (loose
    files of several folders), the file's path below the folder that holds them all, so that no row or page of
    one is written over by another's."""
    if report.student:
        return report.student
    file = Path(report.submission or "unknown")
    twins = [Path(other.submission) for other in reports if not other.student and other.submission
             and Path(other.submission).stem == file.stem]
    if len(twins) < 2:
        return file.stem
    top = Path(os.path.commonpath([twin.parent for twin in twins]))
    return file.relative_to(top).with_suffix("").as_posix()


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet may run as a formula (OWASP, CSV injection)


def _text_cell(value):
    """value as a CSV cell a spreadsheet shows as text: a quote before any first character in FORMULA_STARTS,
    text that reads as a signed number (`-1`) included, which defusedcsv lets through; then printable, so a tab
    or a carriage return inside shows as an escape. Numbers are not text cells: they stay numbers."""
    return printable(("'" if value.startswith(FORMULA_STARTS) else "") + value, keep="")


def _gradebook(reports, path, maxima):
    scores = {}
    for report in reports:
        scores.setdefault(_who(report, reports), {})[report.exercise] = report.score
    # defusedcsv's writer quotes whatever else starts like a formula (`|`, `%`) and leaves numbers alone
    with open(path, "w", newline="", errors="replace") as table:
        writer = csv.writer(table)
        writer.writerow(["student", *maxima, "total", "max_total"])
        for student in sorted(scores):
            row = [scores[student].get(exercise, "") for exercise in maxima]
            writer.writerow([_text_cell(student), *row, sum(scores[student].values()), sum(maxima.values())])
    return path


def _feedback(reports, folder):
    written, graded = [], datetime.date.today().isoformat()
    for report in reports:
        target = folder / _who(report, reports)
        target.mkdir(parents=True, exist_ok=True)
        title = f"{printable(_who(report, reports), keep='')}, {report.exercise}: {report.score:g} of {report.max_score:g} points"
        # problems quote the submission (an exception's message, a file name): never markup
        problems = "".join(f"<p><b>Problem:</b> {html.escape(problem)}</p>" for problem in report.problems)
        heading = (f"<h2>{html.escape(title)}</h2><p>Graded {graded}"
                   + (f" from {html.escape(Path(report.submission).name)}" if report.submission else "") + ".</p>")
        page = (f"<!doctype html><meta charset='utf-8'><title>{html.escape(title)}</title>"
                f"<body style='font-family:sans-serif'>{problems}{html_table(report, heading)}</body>")
        (target / f"{report.exercise}.html").write_text(page, errors="replace")
        (target / f"{report.exercise}.txt").write_text(f"{title}, graded {graded}\n\n" + text(report, width=100) + "\n",
                                                            errors="replace")
        written += [target / f"{report.exercise}.html", target / f"{report.exercise}.txt"]
    return written


def mistakes_seen(reports):
    """{(exercise, misconception id, hint): number of submissions that showed it}."""
    seen = Counter()
    for report in reports:
        found = {(report.exercise, check.misconception, check.hint) for check in report.checks if check.misconception}
        seen.update(found)
    return seen


def _report(reports, out, maxima):
    by_exercise = {exercise: [r.score for r in reports if r.exercise == exercise] for exercise in maxima}
    lines = ["# Class report", "", f"{len({_who(r, reports) for r in reports})} students, {len(reports)} submissions.", "",
             "## Scores", "", "| exercise | out of | submissions | mean | median | min | max | full marks |",
             "|---|---|---|---|---|---|---|---|"]
    for exercise, scores in by_exercise.items():
        if scores:
            lines.append(f"| {exercise} | {maxima[exercise]:g} | {len(scores)} | {statistics.mean(scores):.1f} | "
                         f"{statistics.median(scores):g} | {min(scores):g} | {max(scores):g} | "
                         f"{sum(s == maxima[exercise] for s in scores)} |")
    seen = mistakes_seen(reports)
    lines += ["", "## Known mistakes seen", ""]
    if seen:
        lines += ["| submissions | exercise | mistake | what the students were told |", "|---|---|---|---|"]
        for (exercise, key, hint), count in seen.most_common():
            lines.append(f"| {count} | {exercise} | `{key}` | {hint} |")
    else:
        lines.append("None: every failed check differed from all the known mistakes.")
    passes = Counter()
    totals = Counter()
    for report in reports:
        for check in report.checks:
            totals[check.id] += 1
            passes[check.id] += check.status == Status.PASSED
    hardest = sorted(totals, key=lambda check: (passes[check] / totals[check], check))[:10]
    lines += ["", "## Hardest checks", "", "| check | passed by |", "|---|---|"]
    lines += [f"| `{check}` | {passes[check]} of {totals[check]} |" for check in hardest]
    (out / "report.md").write_text("\n".join(lines) + "\n", errors="replace")
    return [out / "report.md", *_plots(by_exercise, maxima, seen, out)]


def _plots(by_exercise, maxima, seen, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    figure, axes = plt.subplots(1, len(by_exercise), figsize=(3.2 * len(by_exercise), 2.8), sharey=True, squeeze=False)
    axes = axes[0]
    for ax, (exercise, scores) in zip(axes, by_exercise.items()):
        top = int(math.ceil(maxima[exercise]))
        ax.hist(scores, bins=[b - 0.5 for b in range(top + 2)], color="#4878a8", edgecolor="white")
        ax.set_title(exercise.replace("_", " "), fontsize=10)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("score")
    axes[0].set_ylabel("submissions")
    axes[0].yaxis.set_major_locator(MaxNLocator(integer=True))
    figure.tight_layout()
    figure.savefig(out / "scores.png", dpi=120)
    plt.close(figure)
    figure, ax = plt.subplots(figsize=(8, 0.4 * max(3, len(seen)) + 1))
    common = seen.most_common()[::-1]
    ax.barh([f"{exercise}: {key}" for (exercise, key, _), _ in common], [count for _, count in common], color="#c0504d")
    ax.set_xlabel("submissions showing the mistake")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title("known mistakes seen in this class")
    figure.tight_layout()
    figure.savefig(out / "mistakes.png", dpi=120)
    plt.close(figure)
    return [out / "scores.png", out / "mistakes.png"]
