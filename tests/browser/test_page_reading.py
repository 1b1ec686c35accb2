"""Can the browser suite fail? The page-reading helpers, on notebooks whose check cells lost their table or
their hints, must raise where a student would see nothing useful."""
import re

import nbformat
import pytest

from autograder import registry
from helpers import FIRST
from lab_driver import (PageError, cell, expect_failing, open_notebook, read_check_cell, run_all, save,
                        student_folder)

pytestmark = pytest.mark.browser


def test_a_check_cell_without_its_table_or_hints_fails_the_reading(page, lab, course, screenshot):
    """A notebook run and saved with its failing checks reads as failing with hints; do copies of it whose check
    cell lost its outputs, or only its hints, make the page reading raise?"""
    folder = student_folder(course, "tampered")
    notebook = nbformat.read(folder / FIRST.notebook, as_version=4)
    index = next(i for i, each in enumerate(notebook.cells)
                 if each.metadata.get("nbgrader", {}).get("grade_id") == f"test_{FIRST.parts[0]}")
    checks = [check.id for check in registry.checks(FIRST.id)
              if check.part == FIRST.parts[0] and check.public]
    open_notebook(page, lab, f"tampered/attention/{FIRST.notebook}")
    run_all(page)
    save(page)

    ran = nbformat.read(folder / FIRST.notebook, as_version=4)
    assert ran.cells[index].outputs, "the run left no outputs in the saved check cell"
    without_outputs = nbformat.from_dict(ran)
    without_outputs.cells[index].outputs = []
    without_hints = nbformat.from_dict(ran)
    for output in without_hints.cells[index].outputs:
        if "text/html" in output.get("data", {}):
            output["data"]["text/html"] = re.sub(r"<br><i>Hint:.*?</i>", "", output["data"]["text/html"])
    for name, tampered in (("without-outputs", without_outputs), ("without-hints", without_hints)):
        nbformat.write(tampered, folder / f"{name}.ipynb")

    open_notebook(page, lab, f"tampered/attention/{FIRST.notebook}")  # the saved run, as it is: it reads
    expect_failing(read_check_cell(cell(page, index)), checks)
    open_notebook(page, lab, "tampered/attention/without-outputs.ipynb")
    with pytest.raises(PageError, match="check tables"):
        read_check_cell(cell(page, index))
    open_notebook(page, lab, "tampered/attention/without-hints.ipynb")
    shown = read_check_cell(cell(page, index))
    screenshot("tampered-without-hints", cell(page, index))
    with pytest.raises(PageError, match="hint"):
        expect_failing(shown, checks)
