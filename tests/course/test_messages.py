"""Do failure messages on this course's exercises give the shape before the values, in the student's terms?"""
import re

from autograder.instructor import mistakes
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
