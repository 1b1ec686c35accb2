"""nbgrader settings for this course: the repository itself is the course directory."""
import importlib.util
import os
import stat
import sys
import warnings

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

# nbgrader runs `alembic` by name when it makes a gradebook: the environment nbgrader runs from comes first on PATH,
# so `.venv/bin/nbgrader ...` works in a shell that never activated .venv.
os.environ["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", os.defpath)])

# The build runs nbgrader on a temporary copy of the course; everywhere else the course is this folder.
c.CourseDirectory.root = os.environ.get("NBGRADER_COURSE_ROOT", os.path.dirname(os.path.abspath(__file__)))
c.CourseDirectory.course_id = "attention"

# A local exchange for `nbgrader release_assignment` / `collect` on one machine, made where it points (nbgrader
# refuses a missing one). On a server shared with students, make it writable by them and sticky, as /tmp is:
# chmod 1777 exchange. Without the sticky bit any of them could rename the course's folder in it and put their own
# in its place, so the kit adds the bit to an exchange it finds writable by all (its owner, or root, may).
c.Exchange.root = os.path.join(c.CourseDirectory.root, "exchange")
os.makedirs(c.Exchange.root, exist_ok=True)
_mode = os.stat(c.Exchange.root).st_mode
if _mode & stat.S_IWOTH and not _mode & stat.S_ISVTX:
    try:
        os.chmod(c.Exchange.root, _mode | stat.S_ISVTX)
    except PermissionError:
        warnings.warn(f"{c.Exchange.root} is writable by every user but not sticky: run chmod 1777 on it")

# The same stub the build writes into exercises/*.py.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}

# `nbgrader validate` still runs notebooks in a kernel; importing torch there takes seconds on a busy machine.
c.Execute.timeout = 120

# nbgrader carries on with its defaults when this file fails to load: the kit's tests check that it loads.
# `nbgrader autograde` starts no student kernel: the kit's sandboxed checks score every test cell
# (autograder/instructor/nbgrader_plugin.py). The rest of nbgrader's autograde list stays as it ships. The
# preprocessors are named, not imported: nbgrader imports them when it uses them, and `grade`, which
# reads this file for c.KitSettings, never pays for importing nbgrader.
#
# nbgrader's own sanitising stops at what a student controls: it follows links (the notebook is opened through
# one, and BaseConverter.init_assignment copies the rest of submitted/ with shutil.copy), and cell metadata of an
# old schema or a duplicated grade id raises out of CheckCellMetadata, which stops autograde for every student
# after that one. The kit reads notebooks without following links (an unreadable one is graded zero, saying
# why), removes what nbgrader copied through a link, and rebuilds each cell the release names from the gradebook
# in place of DeduplicateIds and OverwriteCells; CheckCellMetadata then always passes. ClearOutput comes after
# RestoreLockedCells, which also mends the cells' structure.
c.Autograde.exporter_class = "autograder.instructor.nbgrader_plugin.SubmissionExporter"
c.Autograde.sanitize_preprocessors = [
    "autograder.instructor.nbgrader_plugin.DiscardFollowedLinks",
    "autograder.instructor.nbgrader_plugin.RestoreLockedCells",  # in place of DeduplicateIds and OverwriteCells
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.Autograde.autograde_preprocessors = [
    "autograder.instructor.nbgrader_plugin.SandboxedChecks",  # in place of Execute
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",  # reads each test cell's score from the output SandboxedChecks wrote
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# The release is nbgrader's list as it ships, then the kit's KernelLanguageInfo: the notebooks carry the
# language_info their kernel reports, which JupyterLab would otherwise write in on opening and show every release
# notebook as changed before any edit.
c.GenerateAssignment.preprocessors = [
    "nbgrader.preprocessors.IncludeHeaderFooter",
    "nbgrader.preprocessors.InstantiateTests",
    "nbgrader.preprocessors.LockCells",
    "nbgrader.preprocessors.ClearSolutions",
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.CheckCellMetadata",
    "nbgrader.preprocessors.ComputeChecksums",
    "nbgrader.preprocessors.SaveCells",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbgrader.preprocessors.ClearMarkScheme",
    "nbgrader.preprocessors.ComputeChecksums",
    "nbgrader.preprocessors.CheckCellMetadata",
    "autograder.instructor.nbgrader_plugin.KernelLanguageInfo",
]

# Formulas in the formgrader and in feedback pages render offline: the kit's templates/base/mathjax.html.j2 takes the
# place of nbconvert's, loading MathJax from the jupyter-server-mathjax package through the Jupyter server rather
# than from a CDN. nbgrader's own templates (formgrade, feedback) stay where they are, after the kit's.
_nbgrader = importlib.util.find_spec("nbgrader")  # found, not imported: reading this file stays cheap
c.HTMLExporter.extra_template_basedirs = [
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "autograder", "instructor", "templates"),
    *([os.path.join(os.path.dirname(_nbgrader.origin), "server_extensions", "formgrader", "templates")] if _nbgrader else []),
]

# The formgrader and feedback pages show notebooks that no kernel ran: an "In [ ]:" prompt on every cell, and an
# "Out[ ]:" above each check cell's "recorded for this cell" line, said nothing. Pages are shown without prompts.
c.HTMLExporter.exclude_input_prompt = True
c.HTMLExporter.exclude_output_prompt = True

# `collect` copies only regular files and folders, never through a link (nbgrader's copytree follows them); what it
# leaves out is listed beside the submission, and the plugin above shows the student that list.
c.ExchangeFactory.collect = "autograder.instructor.nbgrader_exchange.CollectWithoutLinks"

# nbgrader 0.9's gradebook adds submissions in a way SQLAlchemy 2 warns about ("not in session, add operation
# along ..."): its own code, harmless (the rows are added), and noise around the warnings that matter.
warnings.filterwarnings("ignore", message=r".*not in session, add operation along", module=r"nbgrader\.api")

# Feedback shows the check tables and hints, never the hidden tests. Students' markdown is shown through a
# sanitizer (nh3), and the gradebook's CSV never holds a cell a spreadsheet would run as a formula: students
# choose their ids, and their names come from a class list.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
c.GenerateFeedback.exporter_class = "autograder.instructor.nbgrader_output.SanitizedFeedback"
# The formgrader shows graded notebooks in the instructor's own Jupyter through an HTMLExporter it builds itself:
# student markdown goes through the same sanitizer there, and raw cells (which nbconvert writes into a page as
# they stand) are shown as text.
c.HTMLExporter.filters = {"markdown2html": "autograder.instructor.nbgrader_output.sanitized_markdown2html"}
c.HTMLExporter.preprocessors = ["autograder.instructor.nbgrader_output.InertRawCells"]
c.ExportApp.plugin_class = "autograder.instructor.nbgrader_output.InertCsvExport"

# The kit's own settings (c.KitSettings.*): `python -m autograder config` lists them all, with their help and
# defaults. `grade`, the plugin above and Gradescope read them here; `bundle` hands students what changes
# their self-check (points, hidden_checks, tolerances). For example:
# c.KitSettings.probe_timeout = 10.0
# c.KitSettings.hidden_checks = ["<exercise>.<check>"]  # ids as `grade --json -` prints them

# `nbgrader autograde` grades in the kit's sandboxed worker: start it now, so that it imports torch while nbgrader
# opens its gradebook and the notebooks (settings written below this line reach it too: a worker whose settings
# differ is started when the first notebook is graded). No other command starts anything.
if sys.argv[1:2] == ["autograde"]:
    from autograder.instructor.nbgrader_plugin import start_worker

    start_worker(c)
