"""Do the checks give full marks to every correct implementation and catch every known mistake?"""
import json

import pytest

from autograder import engine, registry
from autograder.instructor import known_mistakes as mistakes, reference
from autograder.instructor.grading import run_checks
from autograder.instructor.kit_settings import KitSettings
from autograder.sandboxed.probes import observer as in_process
from autograder.sandboxed.errors import ErrorKind
from helpers import (EXERCISES, FIRST, ROOT, grade_file, grade_variant, notebook_answers, source, write_module,
                     write_notebook)


def test_points_add_up_to_ten_per_exercise(exercise):
    """Is every exercise worth 10 points, split over the parts the notebook grades, with checks of both kinds?"""
    all_checks = registry.checks(exercise)
    assert sum(check.points for check in all_checks) == 10
    assert list(registry.get(exercise).parts) == list(dict.fromkeys(check.part for check in all_checks))
    assert any(not check.public for check in all_checks) and any(check.public for check in all_checks)
    assert all(check.id.startswith(f"{exercise}.") for check in all_checks)
    assert len({check.id for check in all_checks}) == len(all_checks)


@pytest.mark.parametrize("seed", [1, 2])
def test_reference_gets_full_marks(exercise, seed):
    """Does the reference itself pass every check, public and hidden, whatever the seed?"""
    report = run_checks(exercise, in_process(reference.namespace(exercise)), KitSettings(), seed=seed)
    assert [c.id for c in report.checks if c.status != "passed"] == []
    assert report.score == report.max_score == 10


def test_stubs_get_nothing_and_say_why(exercise):
    """Does the untouched exercises file score 0, each check saying the stub is not filled in?"""
    report = grade_file(ROOT / "exercises" / f"{exercise}.py", exercise)
    assert report.score == 0
    assert all(check.status == "error" and check.cause == ErrorKind.STUB for check in report.checks)
    assert all(check.message.startswith("not implemented yet") for check in report.checks)
    assert all("YOUR CODE HERE" in check.hint for check in report.checks)


@pytest.mark.parametrize("form", ["py", "notebook"])
def test_alternative_correct_implementations_get_full_marks(tmp_path, exercise, form):
    """Do einsum, F.scaled_dot_product_attention, torch.where fills, renormalising, unflatten/permute and
    torch.stack implementations all get full marks, as files and as notebooks?"""
    for name in EXERCISES:  # a notebook may import another's names from the folder
        if form == "py":
            write_module(tmp_path, name, source(f"{name}_alt"))
        else:
            write_notebook(tmp_path, name, notebook_answers(f"{name}_alt"))
    path = tmp_path / (f"{exercise}.py" if form == "py" else registry.get(exercise).notebook)
    report = grade_file(path, exercise)
    assert [(c.id, c.message) for c in report.checks if c.status != "passed"] == []


@pytest.mark.parametrize("form", ["py", "notebook"])
def test_every_known_mistake_loses_points_and_most_get_their_own_hint(tmp_path, form):
    """Submitted as a student would, does every variant in the catalog lose points, and do at least 90% see their hint?"""
    recognised, not_penalised = [], []
    for index, misconception in enumerate(mistakes.every()):
        folder = tmp_path / misconception.id
        folder.mkdir()
        report = grade_variant(folder, misconception, form, seed=100 + index)
        if report.score >= report.max_score:
            not_penalised.append(misconception.id)
        if any(check.hint == misconception.hint for check in report.checks if check.status != "passed"):
            recognised.append(misconception.id)
    assert not_penalised == []
    assert len(recognised) >= 0.9 * len(mistakes.every()), sorted({m.id for m in mistakes.every()} - set(recognised))


def test_catalog_edits_apply_and_change_the_reference():
    """Does every known mistake's edit find its text in the reference, and are all of them distinct, by id too?"""
    every = mistakes.every()
    sources = [mistake.source() for mistake in every]
    references = {exercise: (ROOT / "solutions" / f"{exercise}.py").read_text() for exercise in EXERCISES}
    assert all(text != references[m.exercise] for text, m in zip(sources, every))
    assert len(set(sources)) == len(sources)
    assert len({mistake.id for mistake in every}) == len(every)
    for exercise in EXERCISES:  # the same mistake in two exercises may share a hint, but not two mistakes in one
        hints = [m.hint for m in mistakes.for_exercise(exercise)]
        assert len(set(hints)) == len(hints)


# What an earlier exercise's file may hold after its stub: nothing, an error, exit(), a demo that runs on and on
SIBLING_ENDINGS = {"stubs": "", "broken": "\nimport no_such_module\ndef (\n", "exits": "\nraise SystemExit(3)\n",
                   "slow": "\nwhile True:\n    pass\n"}


@pytest.mark.parametrize("others", ["stubs", "missing", "latin1", *list(SIBLING_ENDINGS)[1:]])
@pytest.mark.parametrize("exercise", [exercise.id for exercise in registry.exercises() if exercise.stand_in])
def test_an_exercise_that_builds_on_another_is_graded_without_it(tmp_path, exercise, others, monkeypatch):
    """With every other exercise left as a stub (its stand_in class among them), missing, not UTF-8, or a file
    that stops at a syntax error or a failed import, calls exit() or runs on at its top level, does the reference
    still earn every point: nothing wrong in an earlier exercise's file costs anything here?"""
    from autograder.sandboxed import loader

    monkeypatch.setattr(loader, "SIBLING_SECONDS", 0.5)
    for other in EXERCISES:
        text = (ROOT / "exercises" / f"{other}.py").read_text()
        if others == "latin1":
            (tmp_path / f"{other}.py").write_bytes((text + "\n# résumé\n").encode("latin-1", errors="replace"))
        elif others != "missing":
            write_module(tmp_path, other, text + SIBLING_ENDINGS[others])
    path = write_module(tmp_path, exercise, (ROOT / "solutions" / f"{exercise}.py").read_text())
    report = grade_file(path, exercise)
    assert [c.id for c in report.checks if c.status != "passed"] == [] and report.score == 10
    if others in ("missing", "broken", "latin1"):  # the others define the stand-in class before they stop
        problems = loader.load(path, exercise).problems
        assert any(f"{registry.get(exercise).stand_in}" in problem and "only what uses it fails" in problem
                   for problem in problems), problems


def test_hidden_checks_draw_fresh_inputs():
    """Do hidden checks get different inputs under different seeds, so hard-coded fixtures earn nothing?"""
    hidden = [check for check in registry.checks(FIRST.id) if not check.public]
    first, second = engine.plan(hidden, FIRST.id, 1), engine.plan(hidden, FIRST.id, 2)
    shapes = lambda planned: [tuple(p["args"][0].shape) for probes in planned for p in probes]
    values = lambda planned: [p["args"][0].sum().item() for probes in planned for p in probes]
    assert shapes(first) != shapes(second) or values(first) != values(second)


def test_fixtures_hold_no_code():
    """Are the committed fixtures plain JSON data (no pickle, nothing that runs when loaded)?"""
    for exercise in EXERCISES:
        text = (ROOT / "autograder" / "fixtures" / f"{exercise}.json").read_text()
        data = json.loads(text)
        assert set(data) == {"dict"}
        assert all(check.split(".")[0] == exercise for check in data["dict"]["checks"]["dict"])


def test_a_part_scores_the_same_alone_as_in_the_whole_exercise():
    """Does the notebook's per-part score (nbgrader's path) add up to the whole-exercise score (grade's path)?"""
    for misconception in mistakes.every()[::4]:
        namespace = mistakes.namespace(misconception.id)
        whole = run_checks(misconception.exercise, in_process(namespace), KitSettings()).score
        parts = sum(run_checks(misconception.exercise, in_process(namespace), KitSettings(), parts=[part]).score
                    for part in registry.get(misconception.exercise).parts)
        assert parts == whole, misconception.id


# Keys a call by its arguments (tensors by their bytes), in the test and in the submission alike.
LOOKUP_KEY = '''
def _lookup_key(args, kwargs):
    import hashlib, torch
    parts = []
    for value in [*args, *sorted(kwargs.items())]:
        value = value[1] if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str) else value
        if isinstance(value, torch.nn.Module):
            continue
        parts.append(value.detach().contiguous().numpy().tobytes() if isinstance(value, torch.Tensor) else repr(value))
    return hashlib.sha256(repr(parts).encode()).hexdigest()
'''

# The reference's answers on the published inputs, and wrong ones on any other: what a submission that keeps the
# fixture's answers earns, written for any exercise by wrapping each graded name's outermost call.
LOOKUP_WRAPPER = '''

_PUBLISHED = {published!r}
_depth = [0]


def _published_only(call):
    def wrapped(*args, **kwargs):
        _depth[0] += 1
        try:
            result = call(*args, **kwargs)
        finally:
            _depth[0] -= 1
        if _depth[0] or _lookup_key(args, kwargs) in _PUBLISHED:
            return result
        return tuple(map(_wrong, result)) if isinstance(result, tuple) else _wrong(result)
    return wrapped


def _wrong(value):
    return value + 1 if hasattr(value, "shape") else 2 * value + 1  # a count: beyond any relative tolerance


for _name in {parts!r}:
    if isinstance(globals()[_name], type):
        globals()[_name].forward = _published_only(globals()[_name].forward)
    else:
        globals()[_name] = _published_only(globals()[_name])
'''


def test_published_answers_kept_earn_nothing_at_grading(tmp_path, exercise):
    """A submission that gives the reference's outputs on the published inputs (the fixture's, a course's printed
    example) and wrong ones elsewhere passes those checks in the student's self-check: does grading, which also
    draws fresh inputs of the same kind for them, fail every one of them and say why?"""
    import torch

    from autograder import fixture_reader
    from autograder.sandboxed import wire
    from autograder.selfcheck import check_namespace
    from autograder.sandboxed.loader import load

    namespace = {}
    exec(LOOKUP_KEY, namespace)
    fixtures = fixture_reader.fixtures(exercise)
    kept = {check.id for check in registry.checks(exercise) if check.redrawn}
    assert {check.id for check in registry.checks(exercise) if check.against == "fixture"} <= kept
    for check in registry.checks(exercise):  # a redraw changes nothing for probes the generator does not reach
        if check.id in kept:
            drawn = [json.dumps(wire.encode((check.redraw or check.probes)(torch.Generator().manual_seed(s))))
                     for s in (1, 2)]
            assert drawn[0] != drawn[1], f"{check.id} draws nothing from its generator: a stored answer would pass it"
    published, targets = set(), set()
    for check_id in kept:
        for probe in fixtures[check_id]["probes"]:
            targets.add(probe["target"])
            for call in probe.get("steps", [probe]):
                published.add(namespace["_lookup_key"](call.get("args", []), call.get("kwargs", {})))
    text = (source_of_reference(exercise) + LOOKUP_KEY
            + LOOKUP_WRAPPER.format(published=sorted(published), parts=sorted(targets)))
    path = write_module(tmp_path, exercise, text)

    submission = load(path, exercise, registry.get(exercise).parts)
    self_check = check_namespace(submission.namespace, exercise)
    assert {c.id for c in self_check.checks if c.id in kept and c.status == "passed"} == kept
    graded = {c.id: c for c in grade_file(path, exercise).checks}
    for check_id in kept:
        assert graded[check_id].status == "failed" and graded[check_id].points == 0, check_id
        assert "right on the published inputs, but on inputs the grader drew the same way" in graded[check_id].message
        assert graded[check_id].hint == engine.REDRAWN_HINT


def source_of_reference(exercise):
    from helpers import reference as reference_text, without_markers

    return without_markers(reference_text(exercise)).replace("from .", "from autograder.instructor.solutions.")
