"""Are the reference's answers that the build computed used, only while they are current, and never shipped?"""
import json

import pytest
import torch

from autograder import registry
from autograder.instructor import bundle, precomputed, reference
from autograder.instructor.kit_settings import load
from autograder.sandboxed import wire
from autograder.sandboxed.probes import describe, observe


@pytest.fixture
def answers_in(tmp_path, monkeypatch):
    """precomputed.FOLDER moved to tmp_path, and every answer forgotten before and after."""
    monkeypatch.setattr(precomputed, "FOLDER", tmp_path)

    def forget():
        precomputed.forget()
        reference._ANSWERS.clear()

    forget()
    yield tmp_path
    forget()


def first_asked(exercise):
    return next(iter(reference.asked(exercise, load())))


def doubled(observations):
    return [{"outputs": [2 * tensor for tensor in observation["outputs"]]} if "outputs" in observation else observation
            for observation in observations]


def store(folder, exercise, probes, observations, made_from):
    answers = {precomputed.key(reference.probes_text(probes)): wire.encode(observations)}
    (folder / f"{exercise}.json").write_text(json.dumps({"made_from": made_from, "answers": answers}))


@pytest.mark.parametrize("exercise", registry.ids())
def test_a_current_file_is_what_grading_reads(answers_in, exercise):
    """Does the oracle answer from the build's file (here one whose answers were doubled) when it was made from
    the current code?"""
    probes = first_asked(exercise)
    computed = reference.computed(exercise, probes)
    store(answers_in, exercise, probes, doubled(computed), precomputed.made_from(exercise))
    answered = reference.observations(exercise, probes)
    pairs = [(got, want) for got, want in zip(answered, computed) if "outputs" in want]
    assert pairs, "the first probes the reference is asked about give outputs"
    for got, want in pairs:
        for tensor, expected in zip(got["outputs"], want["outputs"]):
            torch.testing.assert_close(tensor, 2 * expected)


@pytest.mark.parametrize("exercise", registry.ids())
def test_a_file_made_from_other_code_is_not_read(answers_in, exercise):
    """Is a file whose reference, probe runner or torch differ from today's ignored, the answers computed?"""
    probes = first_asked(exercise)
    computed = reference.computed(exercise, probes)
    store(answers_in, exercise, probes, doubled(computed), "0" * 64)
    answered = reference.observations(exercise, probes)
    assert wire.dumps(answered) == wire.dumps(computed)


def test_made_from_changes_with_the_reference(tmp_path, monkeypatch):
    """Does the digest a file is checked against change when the reference's source does?"""
    exercise = registry.ids()[0]
    before = precomputed.made_from(exercise)
    copy = tmp_path / "solutions"
    copy.mkdir()
    source = precomputed._reference_source(exercise)
    (copy / source.name).write_text(source.read_text() + "\n# edited\n")
    monkeypatch.setattr(precomputed, "_reference_source", lambda name: copy / source.name)
    assert precomputed.made_from(exercise) != before


def test_the_committed_files_answer_every_question_of_a_grade():
    """Does every probe a grade with the course's seed compares with the reference have a stored answer, so that
    grading a correct submission computes none?"""
    settings = load()
    for exercise in registry.ids():
        stored = json.loads(precomputed.path(exercise).read_text())
        assert stored["made_from"] == precomputed.made_from(exercise), f"run `python -m autograder build` ({exercise})"
        asked = {precomputed.key(reference.probes_text(probes)) for probes in reference.asked(exercise, settings)}
        assert asked and asked <= set(stored["answers"]), exercise


def test_students_never_receive_the_answers():
    """Does the student bundle leave the precomputed answers out?"""
    names = list(bundle.files())
    assert names and not [name for name in names if "precomputed" in name]


class RandomBuffer(torch.nn.Module):
    """Weights and a buffer drawn at random in __init__."""

    def __init__(self):
        super().__init__()
        self.layer = torch.nn.Linear(4, 3)
        self.register_buffer("noise", torch.empty(3, 3).uniform_())
        torch.nn.init.normal_(self.layer.weight)


def test_a_module_built_only_to_be_described_is_described_the_same():
    """Does a module built for a description (its random fills written as zeros) describe as one built normally,
    and is what the fills leave the same every time?"""
    namespace = {"RandomBuffer": RandomBuffer}
    probe = {"target": "RandomBuffer", "init": {}, "inspect": True}
    described = observe(namespace, probe)
    assert described["info"] == describe(RandomBuffer())
    assert described["info"]["buffers"]["noise"]["pattern"] == "other"
    from autograder.sandboxed.probes import _ZeroFill

    with _ZeroFill():
        built = RandomBuffer()
    assert not built.noise.any() and not built.layer.weight.any()
