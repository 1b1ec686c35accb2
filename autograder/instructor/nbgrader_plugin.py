"""nbgrader plugin: score each graded test cell with the kit's sandboxed engine, whatever a submission holds.

Put SandboxedChecks where Execute stands in c.Autograde.autograde_preprocessors
(the repository's nbgrader_config.py does). Then `nbgrader autograde` starts no
student kernel: the notebook nbgrader has sanitised (test cells restored from the
gradebook) is graded in a sandboxed worker, and each test cell's outputs become
the check table and its score, which SaveAutoGrades records. The graded copy
keeps its sources (nbgrader compares their checksums); the configuration adds
nbgrader's ClearHiddenTests to feedback, so feedback shows results, not tests.

Before that, `autograde` sanitises each notebook, and nbgrader's own steps there stop at what a student
controls: a link is followed (BaseConverter.init_assignment copies submitted/ into autograded/ with
shutil.copy, the exporter opens the notebook through it), and nbgrader metadata of an old schema or a
duplicated grade id raises out of CheckCellMetadata and stops autograde for the class. So the
configuration reads notebooks with SubmissionExporter (never through a link), sanitises with
DiscardFollowedLinks and RestoreLockedCells in place of DeduplicateIds and OverwriteCells (every
metadata fault costs only its notebook), and SandboxedChecks reads what else the student handed in
from submitted/, not from nbgrader's copy. What the kit could not use is shown in the test cells.
"""
import atexit
import os
import re
import stat
import tempfile
from dataclasses import dataclass
from html import escape
from pathlib import Path

import nbformat
from nbconvert.exporters import NotebookExporter
from nbconvert.exporters.exporter import ResourcesDict
from nbformat.corpus.words import generate_corpus_id
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output, new_raw_cell
from nbgrader.api import Gradebook
from nbgrader.coursedir import CourseDirectory
from nbgrader.nbgraderformat import SCHEMA_VERSION
from nbgrader.preprocessors import NbGraderPreprocessor

from .. import registry
from ..checks import Report
from ..discovery import Target, infer_exercise
from ..sandboxed.loader import SubmissionError, answer_cells, read_notebook
from .kit_settings import KitSettings
from .sandbox import SubmissionRefused, WorkerPool, copy_file, copy_siblings

# Imported where used, since they import torch: ..report, .grading, .nbgrader_exchange (nbgrader loads this module
# for every command); ipykernel too, for the one function that asks it.

TEST_CELL = "test_{part}"  # the grade_id of a part's test cell, as the source notebooks name them
KIT_METADATA = "attention_kit"  # notebook metadata RestoreLockedCells writes, SandboxedChecks reads
REFUSED = "attention_kit_refused"  # in resources: why SubmissionExporter could not read the notebook
_pools = {}


class SandboxedChecks(NbGraderPreprocessor):
    """Grade test cells in the sandbox instead of executing the student's notebook; settings: c.KitSettings."""

    def preprocess(self, nb, resources):
        from ..report import text
        from .grading import grade, refuse

        name = f"{resources['unique_key']}.ipynb"
        exercise = infer_exercise(name)
        student, assignment = resources["nbgrader"]["student"], resources["nbgrader"]["assignment"]
        # nbgrader's copy in autograded/ followed any link: what the student handed in is read where it was submitted
        submitted = submitted_folder(self, student, assignment)
        refused, problems = kit_notes(nb)
        refused = refused or file_problem(submitted / name)
        problems += left_out_at_collect(submitted)
        settings = KitSettings(parent=self)
        with tempfile.TemporaryDirectory(prefix="attention-nbgrader-") as workdir:
            target = Target(Path(workdir) / name, exercise, student)
            if refused:
                report = refuse(target, refused, settings)
            else:
                nbformat.write(nb, target.path)
                # what else the student submitted (notebook 4 imports notebook 2): regular files, within limits
                problems += copy_siblings(submitted, name, Path(workdir), target.path.stat().st_size)
                report = grade(target, self._pool(settings), settings)
        problems = list(dict.fromkeys(problems + report.problems))
        parts = {TEST_CELL.format(part=part): part for part in registry.get(exercise).parts}
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
                continue
            part = parts.get(meta.get("grade_id"))
            results = [result for result in report.checks if result.part == part]
            shown = Report(exercise, results, problems=problems)
            # never leave a test cell without a score: nbgrader gives an empty one full points
            score = shown.score if results else 0.0
            cell.outputs = [
                new_output("display_data", data={"text/html": check_table(shown, part), "text/plain": text(shown)}),
                # nbgrader reads the score from text/plain; pages (formgrader, feedback) show the HTML, not a bare float
                new_output("execute_result", execution_count=None, data={
                    "text/plain": repr(float(score)),
                    "text/html": f"<small style='color:#57606a'>recorded for this cell: {score:g} of "
                                 f"{float(meta.get('points', 0)):g} points</small>"}),
            ]
            self.log.info("%s %s: %s of %s", name, part, score, meta.get("points"))
        return nb, resources

    def _pool(self, settings):
        return _pool_for(settings)


def _pool_for(settings, wait=True):
    """The plugin's worker for these settings, started once per process (in the background with wait=False)."""
    limits = settings.limits()
    key = (limits, settings.isolation)
    if key not in _pools:
        _pools[key] = WorkerPool(1, limits, isolate=settings.isolation != "off", wait=wait)
        atexit.register(_pools[key].close)
    return _pools[key]


def start_worker(config):
    """Start the plugin's worker now, in the background: nbgrader_config.py calls this when the command is
    `nbgrader autograde`, so the worker imports torch while nbgrader reads its gradebook and the notebooks, not
    after. A refusal (no sandbox) is raised where the first notebook is graded, as before."""
    _pool_for(KitSettings(config=config), wait=False)


def check_table(report, part):
    """The kit's check table for one test cell, under a line with its points and what of the submission the
    grader could not use (links, copies of cells, unreadable files), so that the student reads why."""
    from ..report import html_table

    heading = f"<p><b>{escape(part or report.exercise)}</b>: {report.score:g} of {report.max_score:g} points</p>"
    if report.problems:
        heading += ("<p style='margin-bottom:0'>Problems:</p><ul>" +
                    "".join(f"<li>{escape(problem)}</li>" for problem in report.problems) + "</ul>")
    return html_table(report, heading=heading)


def course_directory(configurable):
    """The CourseDirectory nbgrader runs with: its converter's (a preprocessor's parent is the exporter, the
    exporter's the converter), else one read from the same configuration."""
    node = configurable
    while node is not None:
        if getattr(node, "coursedir", None) is not None:
            return node.coursedir
        node = node.parent

    return CourseDirectory(config=configurable.config)


def submitted_folder(configurable, student, assignment):
    """submitted/<student>/<assignment>/ of the course nbgrader runs on (its directory_structure, its root)."""
    coursedir = course_directory(configurable)
    return Path(coursedir.format_path(coursedir.submitted_directory, student, assignment))


def file_problem(path):
    """Why the file a student submitted at path is not graded as it stands (a link, not a regular file), or None."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return None  # not there: nbgrader reports a missing notebook itself
    if stat.S_ISLNK(mode):
        return f"{path.name} is a link; links are never followed: submit the file itself"
    if not stat.S_ISREG(mode):
        return f"{path.name} is not a regular file"
    return None


def left_out_at_collect(folder):
    """What the kit's collect left out of this submission, as messages (see nbgrader_exchange.py)."""
    from .nbgrader_exchange import read_left_out

    return read_left_out(folder)


def kit_notes(nb):
    """(why the notebook is not graded, or None; problems) as RestoreLockedCells wrote them."""
    notes = nb.get("metadata", {}).get(KIT_METADATA)
    if not isinstance(notes, dict):
        return None, []
    refused = notes.get("refused") if isinstance(notes.get("refused"), str) else None
    problems = [problem for problem in notes.get("problems", []) if isinstance(problem, str)]
    return refused, problems


class SubmissionExporter(NotebookExporter):
    """nbgrader's NotebookExporter for `autograde` (c.Autograde.exporter_class), reading each notebook as
    submitted: never through a link and within the kit's size limit. A notebook that cannot be read (a link,
    not a notebook, not JSON) becomes an empty one, with the reason in resources: RestoreLockedCells puts
    its test cells back and SandboxedChecks scores them zero with that reason, where nbgrader would stop."""

    def from_filename(self, filename, resources=None, **kw):
        path = Path(filename)
        resources = ResourcesDict() if resources is None else resources
        if not isinstance(resources.get("metadata"), dict):
            resources["metadata"] = ResourcesDict()
        resources["metadata"]["name"], resources["metadata"]["path"] = path.stem, str(path.parent)
        try:
            nb, resources[REFUSED] = read_submitted_notebook(path), None
        except (ValueError, SubmissionError, SubmissionRefused) as error:  # costs only this notebook
            nb, resources[REFUSED] = new_notebook(), str(error)
        return self.from_notebook_node(nb, resources, **kw)


def read_submitted_notebook(path):
    """The notebook at path as a NotebookNode, read as the kit's loader reads it (the same verdict on a
    file that is not a notebook), never through a link; raises with a message for the student."""
    problem = file_problem(path)
    if problem:
        raise ValueError(problem)
    with tempfile.TemporaryDirectory(prefix="attention-read-") as folder:
        copy = Path(folder) / path.name
        copy_file(path, copy)  # opened without following a link, within FILE_LIMIT
        read_notebook(copy)
        try:
            return nbformat.reads(copy.read_text(encoding="utf-8"), as_version=4)
        except Exception as error:  # noqa: BLE001  (nbformat's errors have no common class)
            raise ValueError(f"{path.name} cannot be read as a notebook ({error}); save it again from Jupyter, "
                             "or start again from the released notebook") from None


class DiscardFollowedLinks(NbGraderPreprocessor):
    """Remove from autograded/ what nbgrader copied through a link in submitted/.

    nbgrader copies a submission's other files with shutil.copy, which follows links, so a link to the
    reference or to another student's work lands in autograded/ as that file, and `generate_feedback` would
    hand it to the student. This runs before anything else in the sanitising list; files of the assignment's
    source folder, which nbgrader copied over the submitted ones, stay.
    """

    def preprocess(self, nb, resources):
        coursedir = course_directory(self)
        student, assignment = resources["nbgrader"]["student"], resources["nbgrader"]["assignment"]
        submitted = submitted_folder(self, student, assignment)
        autograded = Path(coursedir.format_path(coursedir.autograded_directory, student, assignment))
        source = Path(coursedir.format_path(coursedir.source_directory, ".", assignment))
        for top, _, files in os.walk(submitted):  # a link to a folder is not entered, and nbgrader copies nothing of it
            for name in files:
                relative = (Path(top) / name).relative_to(submitted)
                if (Path(top) / name).is_symlink() and not os.path.lexists(source / relative):
                    try:
                        (autograded / relative).unlink()
                        self.log.warning("Removed %s: nbgrader copied it through a link", autograded / relative)
                    except (FileNotFoundError, IsADirectoryError):
                        pass
        return nb, resources


@dataclass(frozen=True)
class ReleaseCell:
    """A cell of the release as the gradebook holds it (nbgrader's SourceCell and what grades it)."""

    name: str
    cell_type: str
    locked: bool
    source: str
    checksum: str | None
    solution: bool
    points: float | None = None  # graded cells only
    task: bool = False

    def metadata(self):
        """Its nbgrader metadata, written afresh in the current schema."""

        meta = {"grade": self.points is not None and not self.task, "grade_id": self.name, "locked": self.locked,
                "schema_version": SCHEMA_VERSION, "solution": self.solution, "cell_type": self.cell_type}
        if self.checksum:
            meta["checksum"] = self.checksum
        if self.points is not None:
            meta["points"] = self.points
        if self.task:
            meta["task"] = True
        return meta


def release_cells(db_url, notebook_id, assignment_id):
    """The ReleaseCells of one notebook, in the release's order, from the gradebook."""
    with Gradebook(db_url) as gradebook:
        notebook = gradebook.find_notebook(notebook_id, assignment_id)
        points = {cell.name: cell.max_score for cell in notebook.grade_cells}
        tasks = {cell.name: cell.max_score for cell in notebook.task_cells}
        solutions = {cell.name for cell in notebook.solution_cells}
        return [ReleaseCell(cell.name, cell.cell_type, bool(cell.locked), cell.source or "", cell.checksum,
                            cell.name in solutions, points.get(cell.name, tasks.get(cell.name)), cell.name in tasks)
                for cell in notebook.source_cells]


class RestoreLockedCells(NbGraderPreprocessor):
    """nbgrader's DeduplicateIds and OverwriteCells in one step that never stops `autograde` (see rebuild()).

    nbgrader's own steps raise on metadata a student controls: an old or new schema_version, a grade id
    missing, or one held twice (DeduplicateIds empties the earlier copy's metadata, which CheckCellMetadata
    then takes for the oldest schema). SchemaTooOldError stops autograde for every student after this one;
    the others stop this student's grading and make autograde fail. Here the gradebook decides what each cell
    is, so CheckCellMetadata, after this, always passes. A notebook whose cells cannot be read at all is
    graded zero, with the reason.
    """

    def preprocess(self, nb, resources):
        name = f"{resources['nbgrader']['notebook']}.ipynb"
        release = release_cells(resources["nbgrader"]["db_url"], resources["nbgrader"]["notebook"],
                                resources["nbgrader"]["assignment"])
        refused = resources.get(REFUSED)
        try:
            cells, problems = rebuild([] if refused else nb.cells, release, name)
        except Exception as error:  # noqa: BLE001  (whatever a notebook holds costs only this notebook)
            self.log.exception("%s: cells the kit cannot read", name)
            refused = (f"{name}: its cells cannot be read ({type(error).__name__}); start again from the released "
                       "notebook")
            cells, problems = rebuild([], release, name)
        metadata = nb.get("metadata") if isinstance(nb.get("metadata"), dict) else {}
        metadata[KIT_METADATA] = {"refused": refused, "problems": [] if refused else problems}
        minor = nb.get("nbformat_minor")
        nb.metadata, nb.cells = nbformat.from_dict(metadata), cells
        nb.nbformat, nb.nbformat_minor = 4, max(5, minor if isinstance(minor, int) else 0)  # 4.5: every cell has an id
        return nb, resources


def rebuild(cells, release, name):
    """(cells, problems): a submitted notebook's cells with every cell the release names rebuilt from the gradebook.

    A locked cell (a test cell, the setup cell) gets the release's source, type and metadata back; an answer
    cell keeps the student's source under fresh metadata; the last of several copies counts, as in nbgrader.
    Every other cell, whatever its nbgrader metadata said, is plain student work without it. Test cells that
    are missing are put back where the release had them. The cells the kit's loader runs (answer cells and
    cells tagged `setup`) stay the ones it runs in the notebook as submitted, each copy included, so `grade`
    and nbgrader agree. problems say what changed.
    """
    known = {cell.name: cell for cell in release}
    claims = [_claimed_id(cell) for cell in cells]
    last = {grade_id: index for index, grade_id in enumerate(claims) if grade_id in known}
    kept, problems, copies = [], [], {}
    for index, (cell, grade_id) in enumerate(zip(cells, claims)):
        entry, runs = known.get(grade_id), _loader_runs(cell)
        if entry is not None and index == last[grade_id]:
            if entry.locked:
                kept.append((grade_id, _restored(cell, entry)))
                continue
            if cell.get("cell_type") == entry.cell_type and (entry.cell_type != "code" or runs):
                kept.append((grade_id, _plain(cell, entry.metadata())))
                continue
        if entry is not None and index != last[grade_id]:
            copies.setdefault(grade_id, []).append(index + 1)
            if entry.locked:
                continue  # a copy of the instructor's cell, which is kept once
        elif entry is None and "nbgrader" in _metadata(cell):
            problems.append(f"{name}: cell {index + 1} carries nbgrader metadata that names no cell of the released "
                            "notebook; that metadata was set aside and the cell graded as it stands")
        plain = _plain(cell)
        if runs and not _loader_runs(plain):
            plain.metadata["tags"] = [*plain.metadata.get("tags", []), "setup"]  # it runs, as in the file submitted
        kept.append((None, plain))
    for grade_id, numbers in copies.items():
        numbers = [*numbers, last[grade_id] + 1]
        if known[grade_id].locked:
            problems.append(f"{name}: cells {', '.join(map(str, numbers))} were all the locked cell {grade_id}; "
                            "it was kept once, as released")
        else:
            problems.append(f"{name}: cells {', '.join(map(str, numbers))} are all the answer cell for {grade_id}; "
                            "only the last one counts, so delete the others")
    present = {grade_id for grade_id, _ in kept if grade_id}
    for position, entry in enumerate(release):
        if entry.points is None or entry.name in present:
            continue
        # after the nearest cell before it in the release that the notebook has, else first
        before = {cell.name for cell in release[:position]}
        at = max((index + 1 for index, (grade_id, _) in enumerate(kept) if grade_id in before), default=0)
        kept.insert(at, (entry.name, _restored({}, entry)))
        present.add(entry.name)
        if cells:
            problems.append(f"{name}: the test cell {entry.name} was missing; it was put back as released")
    return _unique_ids([cell for _, cell in kept]), problems


def _metadata(cell):
    metadata = cell.get("metadata") if isinstance(cell, dict) else None
    return metadata if isinstance(metadata, dict) else {}


def _claimed_id(cell):
    """The grade_id a cell's nbgrader metadata names, if it names one."""
    meta = _metadata(cell).get("nbgrader")
    grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
    return grade_id if isinstance(grade_id, str) else None


def _loader_runs(cell):
    """Whether the kit's loader runs this cell (sandboxed.loader.answer_cells)."""
    try:
        return any(True for _ in answer_cells({"cells": [cell]}))
    except (AttributeError, TypeError):  # metadata the loader cannot read: it runs nothing of it
        return False


def _source(cell):
    source = cell.get("source", "") if isinstance(cell, dict) else ""
    if isinstance(source, list) and all(isinstance(line, str) for line in source):
        return "".join(source)
    return source if isinstance(source, str) else ""


def _plain(cell, nbgrader=None, cell_type=None, source=None):
    """The cell rebuilt as valid nbformat: its type, source, id, attachments and metadata (tags only as a list
    of strings), with nbgrader metadata only where given."""
    metadata = {key: value for key, value in _metadata(cell).items() if key not in ("nbgrader", "tags")}
    tags = _metadata(cell).get("tags")
    if isinstance(tags, list) and all(isinstance(tag, str) for tag in tags):
        metadata["tags"] = list(tags)
    if nbgrader is not None:
        metadata["nbgrader"] = nbgrader
    cell_type = cell_type or (cell.get("cell_type") if isinstance(cell, dict) else None)
    source = _source(cell) if source is None else source
    make = {"code": new_code_cell, "markdown": new_markdown_cell}.get(cell_type, new_raw_cell)
    rebuilt = make(source=source, metadata=metadata)
    attachments = cell.get("attachments") if isinstance(cell, dict) else None
    if cell_type in ("markdown", "raw") and isinstance(attachments, dict):
        rebuilt.attachments = attachments
    if isinstance(cell, dict) and isinstance(cell.get("id"), str):
        rebuilt.id = cell["id"]
    return rebuilt


def _restored(cell, entry):
    """A locked cell as released: the release's type, source and nbgrader metadata; the student's tags stay."""
    return _plain(cell, entry.metadata(), entry.cell_type, entry.source)


def _unique_ids(cells):
    """The cells, each with an id nbformat accepts and no other cell has."""
    seen = set()
    for cell in cells:
        if not re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", str(cell.get("id", ""))) or cell.id in seen:
            cell.id = generate_corpus_id()
            while cell.id in seen:
                cell.id = generate_corpus_id()
        seen.add(cell.id)
    return cells


class KernelLanguageInfo(NbGraderPreprocessor):
    """Write into the notebook's metadata the language_info its kernel reports, so JupyterLab opens it clean.

    JupyterLab copies the kernel's language_info into an open notebook's metadata as soon as the kernel
    answers, and marks the notebook changed when that differs from what the file holds. nbgrader carries
    the source's metadata over unchanged (a bare {"name": "python"}), so without this every release
    notebook opened as changed before any edit. The kernel is the python3 kernel of this interpreter
    (ipykernel), the one a student's `.venv/bin/jupyter lab` starts.
    """

    def preprocess(self, nb, resources):
        nb.metadata["language_info"] = kernel_language_info()
        return nb, resources


def kernel_language_info():
    """What this interpreter's ipykernel reports as language_info (its `version` is this Python's)."""
    from ipykernel.ipkernel import IPythonKernel

    return dict(IPythonKernel.language_info)
