"""Is the bundled sample class what nbgrader would collect from students: locked cells untouched, as released?"""
import nbformat
import pytest
from nbgrader.utils import compute_checksum

from helpers import ROOT

SAMPLES = sorted((ROOT / "samples" / "submitted").glob("*/*/*.ipynb"))


@pytest.mark.parametrize("path", SAMPLES, ids=lambda path: "/".join(path.parts[-3:]))
def test_every_locked_cell_of_a_sample_matches_its_checksum(path):
    """Does every locked cell of a sample notebook hash to the checksum it carries, so that nbgrader's Validate and
    autograde see no changed cell (a sample made from an older release did: its setup cell's checksum was stale)?"""
    notebook = nbformat.read(path, as_version=4)
    locked = [cell for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("locked")]
    assert locked
    stale = [cell.metadata["nbgrader"]["grade_id"] for cell in locked
             if compute_checksum(cell) != cell.metadata["nbgrader"].get("checksum")]
    assert stale == []
