"""Do the checks give full marks to every correct implementation and catch every known mistake?"""
import json
import re

import nbformat
import pytest

from autograder import checks, misconceptions
from autograder.build import definitions, notebook_name
from autograder.catalog import CATALOG
from autograder.loader import load
from autograder.probes import observer
from conftest import EXERCISES, ROOT
from students import grade_file, grade_variant, notebook_answers, source, write_module, write_notebook


in_process = observer


def test_points_add_up_to_ten_per_exercise(exercise):
    """Is every exercise worth 10 points, split over the parts the notebook grades?"""
    all_checks = checks.catalog(exercise)
    assert sum(check.points for check in all_checks) == 10
    assert [part for part in CATALOG[exercise]] == list(dict.fromkeys(check.part for check in all_checks))
    assert any(not check.public for check in all_checks) and any(check.public for check in all_checks)


@pytest.mark.parametrize("seed", [1, 2])
def test_reference_gets_full_marks(exercise, seed):
    """Does the reference itself pass every check, public and hidden, whatever the seed?"""
    report = checks.run(exercise, in_process(checks.reference_namespace(exercise)), seed=seed)
    assert [c.id for c in report.checks if c.status != "passed"] == []
    assert report.score == report.max_score == 10


def test_stubs_get_nothing_and_say_why(exercise):
    """Does the untouched exercises file score 0, each check saying the stub is not filled in?"""
    report = grade_file(ROOT / "exercises" / f"{exercise}.py", exercise)
    assert report.score == 0
    assert all(check.status == "error" and check.message.startswith("not implemented yet") for check in report.checks)
    assert all("YOUR CODE HERE" in check.hint for check in report.checks)


@pytest.mark.parametrize("form", ["py", "notebook"])
def test_alternative_correct_implementations_get_full_marks(tmp_path, exercise, form):
    """Do einsum, F.scaled_dot_product_attention, torch.where fills, renormalising, unflatten/permute and
    torch.stack implementations all get full marks, as files and as notebooks?"""
    for name in EXERCISES:  # exercise 4 imports exercise 2's head from the folder
        if form == "py":
            write_module(tmp_path, name, source(f"{name}_alt"))
        else:
            write_notebook(tmp_path, name, notebook_answers(f"{name}_alt"))
    path = tmp_path / (f"{exercise}.py" if form == "py" else notebook_name(exercise))
    report = grade_file(path, exercise)
    assert [(c.id, c.message) for c in report.checks if c.status != "passed"] == []


@pytest.mark.parametrize("form", ["py", "notebook"])
def test_every_known_mistake_loses_points_and_most_get_their_own_hint(tmp_path, form):
    """Submitted as a student would, does every variant in the catalog lose points, and do at least 90% see their hint?"""
    recognised, not_penalised = [], []
    for index, misconception in enumerate(misconceptions.CATALOG):
        folder = tmp_path / misconception.id
        folder.mkdir()
        report = grade_variant(folder, misconception, form, seed=100 + index)
        if report.score >= report.max_score:
            not_penalised.append(misconception.id)
        if any(check.hint == misconception.hint for check in report.checks if check.status != "passed"):
            recognised.append(misconception.id)
    assert not_penalised == []
    assert len(recognised) >= 0.9 * len(misconceptions.CATALOG), sorted(
        {m.id for m in misconceptions.CATALOG} - set(recognised))


def test_catalog_edits_apply_and_change_the_reference():
    """Does every misconception's edit find its text in the reference, and are all variants distinct?"""
    sources = [misconception.source() for misconception in misconceptions.CATALOG]
    references = {exercise: (ROOT / "solutions" / f"{exercise}.py").read_text() for exercise in EXERCISES}
    assert all(text != references[m.exercise] for text, m in zip(sources, misconceptions.CATALOG))
    assert len(set(sources)) == len(sources)
    for exercise in EXERCISES:  # the same mistake in two exercises may share a hint, but not two mistakes in one
        hints = [m.hint for m in misconceptions.for_exercise(exercise)]
        assert len(set(hints)) == len(hints)


def test_the_wrapper_is_graded_without_the_students_own_head(tmp_path):
    """With exercise 2 left as a stub, does a correct wrapper still earn all its points?"""
    write_module(tmp_path, "masked_self_attention", (ROOT / "exercises/masked_self_attention.py").read_text())
    path = write_module(tmp_path, "multi_head_attention", (ROOT / "solutions/multi_head_attention.py").read_text())
    report = grade_file(path, "multi_head_attention")
    wrapper = [c for c in report.checks if c.part == "MultiHeadAttentionWrapper"]
    assert [c.status for c in wrapper] == ["passed"] * len(wrapper) and report.score == 10


def test_hidden_checks_draw_fresh_inputs():
    """Do hidden checks get different inputs under different seeds, so hard-coded fixtures earn nothing?"""
    hidden = [check for check in checks.catalog("self_attention") if not check.public]
    first, second = checks.plan(hidden, "self_attention", 1), checks.plan(hidden, "self_attention", 2)
    shapes = lambda planned: [tuple(p["args"][0].shape) for probes in planned for p in probes]
    values = lambda planned: [p["args"][0].sum().item() for probes in planned for p in probes]
    assert shapes(first) != shapes(second) or values(first) != values(second)


def test_fixtures_hold_no_code():
    """Are the committed fixtures plain JSON data (no pickle, nothing that runs when loaded)?"""
    for exercise in EXERCISES:
        text = (ROOT / "autograder" / "fixtures" / f"{exercise}.json").read_text()
        data = json.loads(text)
        assert set(data) == {"dict"}
        assert all(check.split(".")[0] == exercise for check in data["dict"])


def test_failure_messages_give_shape_before_values(tmp_path):
    """Does a wrong shape read 'has shape (…), expected (…)', and wrong values 'k of n values differ; largest difference'?"""
    wrong_axis = next(m for m in misconceptions.CATALOG if m.id == "wrapper_wrong_axis")
    report = grade_variant(tmp_path, wrong_axis, "py", seed=1)
    shapes = next(c for c in report.checks if c.id.endswith("wrapper_shapes"))
    assert re.search(r"output has shape \(2, 12, 3\), expected \(2, 4, 9\)", shapes.message), shapes.message
    unscaled = next(m for m in misconceptions.CATALOG if m.id == "mha_no_out_proj")
    report = grade_variant(tmp_path, unscaled, "py", seed=1)
    values = next(c for c in report.checks if c.id.endswith("mha_values_fixture"))
    assert re.search(r"\d+ of \d+ values of output differ; largest difference [\d.e-]+ at \[\d+, \d+, \d+\]", values.message)


def test_a_part_scores_the_same_alone_as_in_the_whole_exercise():
    """Does the notebook's per-part score (nbgrader's path) add up to the whole-exercise score (grade's path)?"""
    for misconception in misconceptions.CATALOG[::4]:
        namespace = misconceptions.namespace(misconception.id)
        whole = checks.run(misconception.exercise, in_process(namespace)).score
        parts = sum(checks.run(misconception.exercise, in_process(namespace), parts=[part]).score
                    for part in CATALOG[misconception.exercise])
        assert parts == whole, misconception.id
