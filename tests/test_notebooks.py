"""Do the notebooks run in real kernels as a student and nbgrader run them?"""
import ast
import functools
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from autograder import registry
from autograder.instructor.build import definitions
from autograder.plots import SKIPPED
from helpers import (FIRST, ROOT, filled_notebook, named_mistake, notebook_answers, reference_answers, without_markers,
                     write_notebook)

pytestmark = pytest.mark.slow
SOURCE = sorted((ROOT / "source" / "attention").glob("*.ipynb"))
RELEASE = sorted((ROOT / "release" / "attention").glob("*.ipynb"))


# Appended to a source notebook: for every tensor the notebook names learned_*, the mean entropy of its
# weight rows as a fraction of a uniform row's over the same visible (non-zero) keys. Untrained heads
# sit near 1; a head that learned a lookup sits near 0.
LEARNED = """
import json as _json
_learned = {}
for _name, _value in list(globals().items()):
    if _name.startswith("learned_") and isinstance(_value, torch.Tensor):
        _rows = _value.detach().double().reshape(-1, _value.shape[-1])
        _rows = _rows[(_rows > 0).sum(dim=-1) > 1]  # a row with one visible key is trivially sharp
        _entropy = -(_rows * _rows.clamp_min(1e-300).log()).sum(dim=-1)
        _uniform = (_rows > 0).sum(dim=-1).double().log()
        _learned[_name] = (_entropy.mean() / _uniform.mean()).item()
print("LEARNED" + _json.dumps(_learned))
"""
FIGURE_CALLS = ("show_weights(", "plt.subplots(")
SHARP = 0.25  # of uniform; trained heads here reach 0.01 (0.15 for RoPE-only positions), random projections about 0.9


def execute(path, append=None, **environment):
    """Run a notebook top to bottom in a fresh python3 kernel; returns (notebook, error or None)."""
    notebook = nbformat.read(path, as_version=4)
    if append:
        notebook.cells.append(nbformat.v4.new_code_cell(append))
    client = NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    previous = {key: os.environ.get(key) for key in environment}
    os.environ.update(environment)
    try:
        client.execute()
        return notebook, None
    except CellExecutionError as error:
        return notebook, error
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@functools.cache
def executed_source(path):
    """A source notebook run once as nbgrader runs it, with LEARNED appended; shared by the tests below."""
    return execute(path, append=LEARNED, NBGRADER_EXECUTION="autograde")


def outputs(cell, kind):
    return [output for output in cell.get("outputs", []) if output.output_type == kind]


@pytest.mark.parametrize("path", SOURCE, ids=lambda path: path.name)
def test_source_notebook_runs_and_every_test_cell_earns_its_points(path):
    """Does each source notebook run top to bottom, every test cell passing and scoring its full points?"""
    notebook, error = executed_source(path)
    assert error is None, error
    graded = [cell for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("grade")]
    for cell in graded:
        score = outputs(cell, "execute_result")[-1]["data"]["text/plain"]
        assert float(score) == cell.metadata["nbgrader"]["points"]
        assert outputs(cell, "error") == [] and all(o.name == "stdout" for o in outputs(cell, "stream"))
        html = outputs(cell, "display_data")[0]["data"]["text/html"]
        assert "<table>" in html and "<script" not in html and " id=" not in html
    pictures = [o for cell in notebook.cells for o in outputs(cell, "display_data") if "image/png" in o.get("data", {})]
    assert pictures, "each notebook draws at least one attention heatmap"
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code" and any(call in cell.source for call in FIGURE_CALLS):
            drawn = [o for o in outputs(cell, "display_data") if "image/png" in o.get("data", {})]
            assert drawn, f"cell {index} draws a figure, but none was shown"


@pytest.mark.parametrize("path", SOURCE, ids=lambda path: path.name)
def test_trained_heads_show_a_pattern_not_a_blur(path):
    """Does every weight matrix a notebook presents as learned (learned_*) put its weight on few keys, far from
    uniform, as the heatmap beside it claims, and does every notebook that draws attention weights show learned ones?"""
    notebook, error = executed_source(path)
    assert error is None, error
    printed = "".join(o.text for o in outputs(notebook.cells[-1], "stream"))
    learned = json.loads(printed.split("LEARNED", 1)[1])
    draws_weights = any("show_weights(" in cell.source for cell in notebook.cells if cell.cell_type == "code")
    assert learned or not draws_weights, "a notebook that draws attention weights trains a head and shows what it learned"
    for name, fraction in learned.items():
        assert fraction < SHARP, f"{name}: mean entropy {fraction:.2f} of uniform, a blur rather than a pattern"


def demos(notebook):
    """{cell index: the demo it names} for each code cell that runs a teaching demo only when demo_runs("...") says so."""
    found = {}
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            for node in ast.walk(ast.parse(cell.source)):
                if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "demo_runs":
                    found[index] = node.args[0].value
    return found


def pictures(cell):
    return [o for o in outputs(cell, "display_data") if "image/png" in o.get("data", {})]


@pytest.fixture(scope="module")
def answered_release(tmp_path_factory):
    """A folder of every release notebook with its answer cells filled in from the reference (notebook 4 imports
    from notebooks 1 and 2, so they sit together)."""
    folder = tmp_path_factory.mktemp("answered")
    for exercise in registry.exercises():
        write_notebook(folder, exercise.id, reference_answers(exercise.id))
    return folder


# Appended under Validate: a demo skipped there must not have imported matplotlib (about 0.4 s) either.
MATPLOTLIB = 'import sys\nprint("MATPLOTLIB", "matplotlib" in sys.modules)'


@pytest.mark.parametrize("path", RELEASE, ids=lambda path: path.name)
def test_validate_runs_every_cell_and_skips_the_demos_saying_so(path, answered_release):
    """Under nbgrader's Validate (NBGRADER_EXECUTION=validate), does each release notebook answered by the reference
    run every cell without an error, draw no figure, import no matplotlib, and print in each demo cell the line
    saying that Validate skips it?"""
    notebook, error = execute(answered_release / path.name, append=MATPLOTLIB, NBGRADER_EXECUTION="validate")
    assert error is None, error
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.execution_count is not None for cell in code)
    assert [index for index, cell in enumerate(notebook.cells) if pictures(cell)] == []
    assert "".join(o.text for o in outputs(notebook.cells[-1], "stream")).split() == ["MATPLOTLIB", "False"]
    skipped = demos(notebook)
    assert skipped, "each notebook has a demo that Validate skips (its trained model at least)"
    for index, demo in skipped.items():
        printed = "".join(o.text for o in outputs(notebook.cells[index], "stream") if o.name == "stdout")
        assert SKIPPED.format(demo=demo) in printed.splitlines(), (index, printed)


@pytest.mark.parametrize("path", SOURCE, ids=lambda path: path.name)
def test_the_demos_validate_skips_draw_when_the_notebook_runs(path):
    """Run as a student's Run All or nbgrader's autograde runs it, does every demo cell that Validate skips draw its
    figure and print no line about Validate?"""
    notebook, error = executed_source(path)
    assert error is None, error
    shown = demos(notebook)
    assert shown
    for index, demo in shown.items():
        assert pictures(notebook.cells[index]), f"cell {index} ({demo}) drew nothing"
        printed = "".join(o.text for o in outputs(notebook.cells[index], "stream"))
        assert "Validate" not in printed, (index, printed)


# A decimal the prose quotes (1.18, 0.135, 36.0); integers, version numbers, LaTeX and code (a backtick span
# with a letter in it, such as `base=10000.0`) are not sought. A quote matches a printed number that rounds to it at the quote's own decimals, so prose may
# quote 0.14 for a printed 0.1353; two decimals are far above the rounding that differs between machines.
QUOTED = re.compile(r"(?<![\d.\w])-?\d+\.\d+(?![\d.]*\d)")
PRINTED = re.compile(r"-?\d+\.\d+(?:e[-+]?\d+)?")


def prose_without_maths(markdown):
    return re.sub(r"\$\$.*?\$\$|\$[^$]*\$|`[^`]*[A-Za-z_][^`]*`", " ", markdown, flags=re.DOTALL)


@pytest.mark.parametrize("path", SOURCE, ids=lambda path: path.name)
def test_every_decimal_the_prose_quotes_is_one_a_cell_prints(path):
    """Is every decimal number a notebook's prose quotes printed by one of its cells, to the quote's decimals?"""
    notebook, error = executed_source(path)
    assert error is None, error
    printed = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            text = output.get("text", "") + output.get("data", {}).get("text/plain", "")
            printed += [float(number) for number in PRINTED.findall(text)]
    missing = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "markdown":
            continue
        for quoted in QUOTED.findall(prose_without_maths(cell.source)):
            decimals = len(quoted.split(".")[1])
            if not any(abs(value - float(quoted)) <= 0.5 * 10 ** -decimals * (1 + 1e-9) for value in printed):
                missing.append(f"cell {index}: {quoted}")
    assert not missing, f"quoted in the prose, printed by no cell: {missing}"


@pytest.mark.parametrize("path", RELEASE, ids=lambda path: path.name)
def test_release_notebook_stops_at_its_first_check_cell(path):
    """Does each release notebook run cleanly up to its first check cell and fail there with NotImplementedError?"""
    notebook, error = execute(path)
    assert error is not None and error.ename == "NotImplementedError"
    first_test = next(i for i, cell in enumerate(notebook.cells) if cell.metadata.get("nbgrader", {}).get("grade"))
    failing = [i for i, cell in enumerate(notebook.cells) if outputs(cell, "error")]
    assert failing == [first_test]
    table = outputs(notebook.cells[first_test], "display_data")[0]["data"]["text/html"]
    assert "not implemented yet" in table
    # the cell says how its points split between these public checks and the hidden ones
    exercise = next(e for e in registry.exercises() if e.notebook == path.name)
    part = notebook.cells[first_test].metadata["nbgrader"]["grade_id"].removeprefix("test_")
    public = sum(check.points for check in registry.checks(exercise.id) if check.part == part and check.public)
    hidden = sum(check.points for check in registry.checks(exercise.id) if check.part == part and not check.public)
    assert (f"0 of {public:g} point{'' if public == 1 else 's'} from these public checks; "
            f"hidden checks add {hidden:g} more point{'' if hidden == 1 else 's'}") in table


def test_nbgrader_validate_passes_on_the_source_notebooks(tmp_path):
    """Does `nbgrader validate` accept every source notebook?"""
    environment = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))
    completed = subprocess.run([sys.executable, "-m", "nbgrader", "validate", *map(str, SOURCE)], cwd=tmp_path,
                               capture_output=True, text=True, env=environment, timeout=600)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert completed.stdout.count("Success! Your notebook passes all the tests.") == len(SOURCE), completed.stdout


def test_validate_tells_what_the_check_cell_tells(tmp_path):
    """On a notebook with a known mistake, does `nbgrader validate` name each failing check, its message and its
    hint, as the check cell's table does?"""
    mistake, report = named_mistake(FIRST.id, public=True)
    answers = {name: without_markers(body) for name, body in definitions(mistake.source()).items()}
    path = tmp_path / FIRST.notebook
    nbformat.write(filled_notebook(ROOT / "release" / "attention" / FIRST.notebook, answers), path)
    environment = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))
    completed = subprocess.run([sys.executable, "-m", "nbgrader", "validate", str(path)], cwd=tmp_path,
                               capture_output=True, text=True, env=environment, timeout=600)
    said = " ".join(completed.stdout.split())
    public = [check for check in report.checks if check.status != "passed" and not check.id.endswith("_hidden")]
    assert public and "did not pass" in said
    for check in public:
        assert check.id.split(".", 1)[1] in said, (check.id, completed.stdout[-3000:])
        assert " ".join(check.hint.split()) in said, (check.id, completed.stdout[-3000:])


def test_warnings_and_stderr_from_student_code_cost_nothing_in_the_kernel(tmp_path):
    """Under nbgrader autograde, does a correct answer that warns and prints to stderr keep every point?"""
    answers = notebook_answers(f"{FIRST.id}_alt")
    part = FIRST.parts[-1]
    header = next(line for line in answers[part].splitlines(keepends=True) if line.lstrip().startswith("def forward("))
    noisy = (header + "        import sys, warnings, os\n"
             "        warnings.warn('a student warning')\n"
             "        print('debugging', file=sys.stderr)\n"
             "        os.write(2, b'raw bytes on fd 2\\n')\n")
    answers[part] = answers[part].replace(header, noisy)
    notebook = nbformat.read(ROOT / "source/attention" / FIRST.notebook, as_version=4)
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution") and grade_id in answers:
            cell.source = answers[grade_id]
    path = tmp_path / FIRST.notebook
    nbformat.write(notebook, path)
    notebook, error = execute(path, NBGRADER_EXECUTION="autograde")
    assert error is None, error
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade"):
            assert [o for o in outputs(cell, "stream") if o.name == "stderr"] == []
            assert float(outputs(cell, "execute_result")[-1]["data"]["text/plain"]) == cell.metadata["nbgrader"]["points"]
