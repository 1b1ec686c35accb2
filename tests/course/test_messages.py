"""Do failure messages on this course's exercises give the shape before the values, in the student's terms?"""
import re

from autograder.instructor import known_mistakes as mistakes
from helpers import grade_variant


def test_failure_messages_give_shape_before_values(tmp_path):
    """Does a wrong shape read 'has shape (…), expected (…)', and wrong values 'k of n values differ; largest difference'?"""
    wrong_axis = next(m for m in mistakes.every() if m.id == "wrapper_wrong_axis")
    report = grade_variant(tmp_path, wrong_axis, "py", seed=1)
    shapes = next(c for c in report.checks if c.id.endswith("wrapper_shapes"))
    assert re.search(r"output has shape \(2, 12, 3\), expected \(2, 4, 9\)", shapes.message), shapes.message
    unscaled = next(m for m in mistakes.every() if m.id == "mha_no_out_proj")
    report = grade_variant(tmp_path, unscaled, "py", seed=1)
    values = next(c for c in report.checks if c.id.endswith("mha_values_fixture"))
    assert re.search(r"\d+ of \d+ values of output differ; largest difference [\d.e-]+ at \[\d+, \d+, \d+\]", values.message)


def test_a_name_missing_from_the_kernel_says_to_run_its_cell(capsys):
    """In a notebook's kernel a part's name is missing mostly because its cell has not run (Run All can go on past an
    error): does the check cell say to run that cell, where a graded file's message says only to keep the name?"""
    import pytest

    from autograder import notebook, registry
    from autograder.sandboxed.probes import observer
    from autograder.selfcheck import check_namespace

    exercise = registry.exercises()[-1]
    part = exercise.parts[-1]
    with pytest.raises(notebook.ChecksFailed) as raised:
        notebook.check(exercise.id, part, {"__name__": "__main__"})
    assert f"{part} is not defined in this kernel: run the cell that defines it" in " ".join(str(raised.value).split())
    graded = check_namespace({}, exercise.id, parts=[part], observe=observer({}))
    messages = {check.message for check in graded.checks if check.status != "passed"}
    assert messages and all("keep the name" in m and "run the cell" not in m for m in messages), messages
