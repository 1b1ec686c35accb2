"""What nbgrader writes for spreadsheets and browsers, made inert where students choose the text.

Students choose their ids (an inbound entry's name), names and emails reach the gradebook from a class
list, and their markdown cells are theirs. nbgrader's `export` writes such fields unquoted and unchanged,
so a name such as `=HYPERLINK(...)` runs as a formula where the CSV is opened; `generate_feedback` renders
markdown with raw HTML passed through, so a `<script>` or an `onerror` runs in the browser of whoever opens
the page. nbgrader_config.py names these classes in their place (c.ExportApp.plugin_class,
c.GenerateFeedback.exporter_class). The formgrader builds its exporter itself, a plain HTMLExporter, and shows
the graded notebook in the instructor's own Jupyter, where a script may do whatever the instructor may (write
files, open a terminal): nbgrader_config.py gives every HTMLExporter the kit's markdown filter
(sanitized_markdown2html) and InertRawCells, so no page nbgrader makes runs what a student wrote.
"""
import re
from functools import cache

from jinja2 import pass_context
from nbconvert.exporters import HTMLExporter
from nbconvert.preprocessors import Preprocessor
from nbformat.v4 import new_markdown_cell
from nbgrader.api import MissingEntry
from nbgrader.plugins import CsvExportPlugin
from traitlets import default

COLUMNS = ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email", "raw_score",
           "late_submission_penalty", "score", "max_score"]


class InertCsvExport(CsvExportPlugin):
    """nbgrader's CSV export (the same columns and rows), written by the csv module through defusedcsv: a cell
    a spreadsheet would run as a formula (first character =, +, -, @, a tab or a carriage return) starts with
    a quote, and commas, quotes and line breaks stay inside their cell."""

    def export(self, gradebook):
        from defusedcsv import csv

        dest = self.to or "grades.csv"
        students, assignments = [str(item) for item in self.student], [str(item) for item in self.assignment]
        self.log.info("Exporting grades to %s", dest)
        with open(dest, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(COLUMNS)
            for assignment in gradebook.assignments:
                if assignments and assignment.name not in assignments:
                    continue
                for student in gradebook.students:
                    if students and student.id not in students:
                        continue
                    writer.writerow([inert(value) for value in _row(gradebook, assignment, student)])


def _row(gradebook, assignment, student):
    """One student's row for one assignment, each value as nbgrader's CsvExportPlugin writes it."""
    try:
        submission = gradebook.find_submission(assignment.name, student.id)
    except MissingEntry:  # nothing submitted: zero
        timestamp, raw, penalty, score = "", 0.0, 0.0, 0.0
    else:
        timestamp, raw, penalty = submission.timestamp, submission.score, submission.late_submission_penalty
        score = max(0.0, submission.score - penalty)
    row = [assignment.name, assignment.duedate, timestamp, student.id, student.last_name, student.first_name,
           student.email, raw, penalty, score, assignment.max_score]
    return ["" if value is None else str(value) for value in row]


def inert(value):
    """value as a spreadsheet shows it, never runs it: defusedcsv quotes =, +, -, @ (and | and %) in front, and
    this a tab or a carriage return in front (OWASP's list; defusedcsv leaves those two)."""
    return f"'{value}" if isinstance(value, str) and value[:1] in ("\t", "\r") else value


def clean(html):
    """Student HTML through a sanitizer (nh3, Ammonia's rules): no scripts, event handlers, styles or
    javascript: links; images may be inline data, as Jupyter stores pasted ones."""
    import nh3

    highlighted = {tag: {"class"} for tag in ("span", "div", "pre", "code")}  # code blocks keep their colours
    return nh3.clean(html, url_schemes=nh3.ALLOWED_URL_SCHEMES | {"data"}, attribute_filter=_inline_images,
                     attributes={**nh3.ALLOWED_ATTRIBUTES, **highlighted})


def _inline_images(tag, attribute, value):
    """Data URLs only as the source of an image in a format that runs nothing (not SVG)."""
    if not value.lstrip().lower().startswith("data:"):
        return value
    image = tag == "img" and attribute == "src" and re.match(r"data:image/(png|jpeg|gif|webp)[;,]", value.strip(), re.I)
    return value if image else None


@pass_context
def sanitized_markdown2html(context, source):
    """HTMLExporter's markdown filter, then clean(): c.HTMLExporter.filters puts it in the place of nbconvert's in
    every page nbgrader renders with an HTMLExporter (the formgrader's, feedback's)."""
    return clean(HTMLExporter.markdown2html(_renderer(), context, source))


@cache
def _renderer():
    return HTMLExporter(exclude_anchor_links=True)  # heading anchors need element ids, which the sanitizer removes


class InertRawCells(Preprocessor):
    """Each raw cell shown as the text it holds, in a code block of a markdown cell: nbconvert writes a raw cell
    marked text/html, or marked nothing, into an HTML page as it stands, so a student's would run as markup."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "raw":
            return cell, resources
        fence = "`" * max(3, 1 + max((len(run) for run in re.findall("`+", cell.source)), default=0))
        kept = {"id": cell["id"]} if "id" in cell else {}  # a page's element ids stay as they were
        return new_markdown_cell(f"{fence}\n{cell.source}\n{fence}", **kept), resources


class SanitizedFeedback(HTMLExporter):
    """The exporter of nbgrader's feedback pages (its `feedback` template, set by GenerateFeedback), with every
    piece of markdown rendered, then sanitized (clean()). Cell outputs are left as they are: after the kit's
    autograde they are the kit's own check tables (student text escaped by the kit), which keep their look."""

    @default("exclude_anchor_links")
    def _no_anchor_links(self):
        return True  # heading anchors need element ids, which the sanitizer removes

    @pass_context
    def markdown2html(self, context, source):
        return clean(HTMLExporter.markdown2html(self, context, source))
