"""Show a report: a text table for terminals, plain HTML for notebooks (no scripts, no element ids)."""
import html
import os
import re
import shutil
import textwrap
import unicodedata
from pathlib import Path

from .pictures import excerpt, img_tag

MARKS = {"passed": "✓", "failed": "✗", "error": "!", "timeout": "⧗"}
# Jupyter right-aligns table cells by default; inline styles survive the sanitiser of untrusted notebooks
# (and padding: the formgrader's stylesheet sets none, and would run the columns together)
# overflow-wrap: a message's long words (a path, a shape) break rather than push the table past the page's edge
LEFT = "text-align:left;vertical-align:top;padding:3px 10px 3px 0;overflow-wrap:anywhere"
COLOURS = {"passed": "#1a7f37", "failed": "#cf222e", "error": "#9a6700", "timeout": "#9a6700"}


def printable(text, keep="\n"):
    """text as it may reach a terminal or a text file: every control character but those in keep (ESC, NEL, a
    carriage return…), every invisible format character (bidirectional overrides) and every byte that was not
    UTF-8 (a surrogate, in a file name) shown as an escape such as \\x1b. Submissions choose their messages and
    file names: they must neither drive the instructor's terminal nor forge another line."""
    def shown(character):
        code = ord(character)
        if 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's stand-in for an undecodable byte
            return f"\\x{code - 0xDC00:02x}"
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return "".join(shown(character) if character not in keep and unicodedata.category(character) in UNSAFE
                   else character for character in text)


UNSAFE = {"Cc", "Cf", "Cs", "Zl", "Zp"}  # controls, format characters, surrogates, line and paragraph separators


def text(report, *, width=None, out_of=None):
    """The report as text. out_of: what the whole exercise is worth, when the report holds only some of its checks
    (the self-check's public ones): the first line says it, and what the others add."""
    width = width or min(shutil.get_terminal_size((100, 20)).columns, 120)
    return printable(_text(report, width, out_of))


def _text(report, width, out_of=None):
    title = f"{printable(report.submission, keep='')} — {report.exercise}" if report.submission else report.exercise
    headline = f"{title}: {_points(report.score)}/{_points(report.max_score)} points"
    if out_of is not None and out_of > report.max_score:
        headline += (f" of {_points(out_of)} for the exercise (hidden checks add {_points(out_of - report.max_score)} "
                     "points when your work is graded)")
    lines = [headline]
    for problem in report.problems:
        lines += textwrap.wrap(f"problem: {problem}", width, initial_indent=" ", subsequent_indent="   ")
    for check in report.checks:
        lines.append(f" {MARKS[check.status]} {_points(check.points):>3}/{_points(check.max_points):<3} "
                     f"{check.id}: {check.title}")
        for label, body in (("", check.message), ("hint: ", check.hint)):
            if body and check.status != "passed":
                lines += textwrap.wrap(label + body, width, initial_indent=" " * 10, subsequent_indent=" " * 12,
                                       break_long_words=False, break_on_hyphens=False)  # never mid-word
        if check.evidence is not None and check.status != "passed":
            lines += [" " * 10 + line for line in excerpt(check.evidence)]
    return "\n".join(lines)


def _words(text):
    """Text as HTML: escaped, with `code` shown as code rather than as backticks."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))


def html_table(report, heading=None):
    """The report as an HTML table; heading replaces the line above it (default: the self-check's)."""
    rows = []
    for check in report.checks:
        colour = COLOURS[check.status]
        detail = ""
        if check.status != "passed":
            detail = _words(check.message)
            if check.hint:
                detail += f"<br><i>Hint: {_words(check.hint)}</i>"
            if check.evidence is not None:
                try:
                    detail += "<br>" + img_tag(check.evidence, check.hint)
                except Exception:  # noqa: BLE001  (no picture, e.g. without matplotlib: the words above stand alone)
                    pass
        rows.append(
            f"<tr><td style='{LEFT};color:{colour};font-weight:bold;white-space:nowrap'>{MARKS[check.status]} {check.status}</td>"
            f"<td style='{LEFT}'>{_points(check.points)}/{_points(check.max_points)}</td>"
            f"<td style='{LEFT}'><code>{html.escape(check.id)}</code><br>{html.escape(check.title)}</td>"
            f"<td style='{LEFT}'>{detail}</td></tr>")
    head = heading if heading is not None else (f"<p><b>{html.escape(report.exercise)}</b>: {_points(report.score)} "
                                                f"of {_points(report.max_score)} points from these checks</p>")
    header = "".join(f"<th style='{LEFT}'>{name}</th>" for name in ("result", "points", "check", "what is wrong"))
    return head + f"<table><thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def summary(reports):
    """One line per submission: student, exercise, score. Where no student is known (files graded on their own, a
    Gradescope upload, which is one student's), the first column is the file, by its path below the folder that
    holds them all."""
    named = all(report.student for report in reports)
    files = [Path(report.submission or "") for report in reports]
    top = Path(os.path.commonpath([file.parent for file in files])) if not named and all(files) else None
    first = [report.student if named else (file.relative_to(top).as_posix() if top else file.as_posix())
             for report, file in zip(reports, files)]
    titles = ("student" if named else "file", "exercise", "score")
    rows = [(printable(who, keep=""), report.exercise, f"{_points(report.score)}/{_points(report.max_score)}")
            for who, report in zip(first, reports)]
    widths = [max(len(row[column]) for row in rows + [titles]) for column in range(3)]
    lines = ["  ".join(title.ljust(width) for title, width in zip(titles, widths))]
    lines += ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)) for row in rows]
    return printable("\n".join(line.rstrip() for line in lines))


class Table:
    """Displays as HTML in a notebook and as text anywhere else."""

    def __init__(self, report, heading=None):
        self.report, self.heading = report, heading

    def _repr_html_(self):
        return html_table(self.report, self.heading)

    def __repr__(self):
        return text(self.report)


def _points(value):
    return f"{value:g}"
