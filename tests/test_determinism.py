"""One grade per submission: nothing but the submission, the course and the seed decides it.

The grader's threads share one process. What the reference and the known mistakes answer is computed
there, on torch's one global generator for seeded construction; these tests hold that computation to
depend on the probe alone, whichever threads ask at once and in whatever order.
"""
import ast
import json
import random
import re
import shutil
import subprocess
import sys
import threading

import pytest
import torch

from autograder import engine
from autograder.diagnosis import same_observations
from autograder.sandboxed import protocol
from autograder.instructor import known_mistakes as mistakes, reference
from helpers import EXERCISES, FIRST, ROOT, run_kit


def _seeded_probes(exercise, seed=1729):
    """Every probe of the exercise's checks that builds a module from a seed or with a stand-in, hidden ones too:
    the ones whose answers the global generator and module globals decide."""
    checks = engine.select(exercise)
    chosen = []
    for check, probes in zip(checks, engine.plan(checks, exercise, seed)):
        chosen += [probe for probe in probes or [] if probe.get("seed") is not None or probe.get("stand_in")]
    return chosen


def _asked():
    """(whose, probes) for the reference and two known mistakes of every exercise, one probe at a time."""
    asked = []
    for exercise in EXERCISES:
        probes = _seeded_probes(exercise)
        for found in [None, *mistakes.for_exercise(exercise)[:2]]:
            asked += [(exercise, found, [probe]) for probe in probes]
    return asked


def _answer(exercise, found, probes):
    return reference.observations(exercise, probes) if found is None else reference.mistake_observations(found, probes)


def test_the_oracle_answers_the_same_whichever_threads_ask_at_once(monkeypatch):
    """Do eight threads asking for the reference's and known mistakes' answers at once, in different orders and
    with the interpreter switching threads every microsecond, get what one thread gets alone?"""
    asked = _asked()
    assert len({exercise for exercise, _, _ in asked}) == len(EXERCISES) and len(asked) > 40
    reference._ANSWERS.clear()
    alone = [_answer(*question) for question in asked]

    reference._ANSWERS.clear()
    together, failures = [None] * len(asked), []

    def ask(order):
        try:
            for index in order:
                together[index] = _answer(*asked[index])
        except Exception as error:  # noqa: BLE001  (reported below, with the others)
            failures.append(error)

    orders = [random.Random(thread).sample(range(len(asked)), len(asked)) for thread in range(8)]
    threads = [threading.Thread(target=ask, args=(order,)) for order in orders]
    monkeypatch.setattr(sys, "getswitchinterval", sys.getswitchinterval)  # restored below whatever happens
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert not failures
    # a race builds other weights and moves outputs by O(1); the tolerance only forgives last bits
    differ = [question for question, one, other in zip(asked, alone, together) if not same_observations(one, other)]
    assert not differ, f"{len(differ)} of {len(asked)} answers changed with threads, e.g. {differ[0][0]}"


def test_an_answer_does_not_depend_on_what_was_computed_before():
    """Is the reference's answer to a probe the same asked first, asked after everything else, and asked after the
    global generator was drawn from (each probe starting from a generator state of its own)?"""
    exercise = EXERCISES[0]
    probes = _seeded_probes(exercise)
    unseeded = [dict(probe, seed=None) for probe in probes]  # built from whatever state the generator is in
    reference._ANSWERS.clear()
    first = reference.alone(lambda stand_in: reference.namespace(exercise), unseeded)
    torch.manual_seed(12345)
    torch.rand(1000)
    for other in EXERCISES[1:]:
        reference.observations(other, _seeded_probes(other))
    again = reference.alone(lambda stand_in: reference.namespace(exercise), list(reversed(unseeded)))
    assert all(same_observations([one], [other]) for one, other in zip(first, reversed(again)))


def test_no_module_globals_are_swapped_while_grading():
    """Does building the reference with a stand-in leave every module's globals as they were, written neither
    in the reference module nor in the private copy it builds from, so a thread reading them sees the real class?"""
    with_stand_in = [(exercise, probe) for exercise in EXERCISES for probe in _seeded_probes(exercise)
                     if probe.get("stand_in")]
    assert with_stand_in, "no probe builds with a stand-in: this test has nothing to look at"
    seen = []
    original = {exercise: dict(reference.namespace(exercise)) for exercise, _ in with_stand_in}

    class Watching(dict):
        def __setitem__(self, key, value):
            seen.append(key)
            super().__setitem__(key, value)

    reference._ANSWERS.clear()
    for exercise, probe in with_stand_in:
        namespace = reference.namespace(exercise)
        reference.observations(exercise, [probe])
        assert {key: namespace.get(key) for key in original[exercise]} == original[exercise]
    spec = protocol.parse(with_stand_in[0][1]).stand_in
    private = reference._private(reference.reference_variant(with_stand_in[0][0]), spec)
    watched = Watching(private)
    reference.alone(lambda stand_in: watched, [with_stand_in[0][1]])
    assert seen == []  # the private copy already holds the stand-in: nothing is written while building


GRADER_SIDE = [path for path in (ROOT / "autograder").rglob("*.py")
               if "sandboxed" not in path.parts and path.name not in {"toy.py", "plots.py"}]
ALLOWED = {ROOT / "autograder" / "instructor" / "reference.py"}  # the oracle, under its lock
GLOBAL_STATE = {"manual_seed", "seed", "set_rng_state", "get_rng_state", "fork_rng", "initial_seed"}
DRAWS = {"rand", "randn", "randint", "randperm", "rand_like", "randn_like", "randint_like", "normal", "bernoulli",
         "multinomial", "poisson"}


def _global_generator_uses(path):
    """Calls in a module that use torch's global generator: torch.manual_seed & co., or a draw with no generator=."""
    uses = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        owner = ast.unparse(node.func.value)
        name = node.func.attr
        if owner in {"torch", "torch.random"} and name in GLOBAL_STATE:
            uses.append(f"{path.relative_to(ROOT)}:{node.lineno} {owner}.{name}")
        elif owner == "torch" and name in DRAWS and not any(word.arg == "generator" for word in node.keywords):
            uses.append(f"{path.relative_to(ROOT)}:{node.lineno} {owner}.{name} without generator=")
    return uses


def test_only_the_oracle_uses_torchs_global_generator_in_the_grader():
    """Does only the oracle, under its lock, seed or draw from torch's global generator in the grader's process,
    every other draw naming a generator of its own (the scan finds the oracle's own uses, so it can fail)?"""
    assert _global_generator_uses(ROOT / "autograder" / "instructor" / "reference.py")
    assert _global_generator_uses(ROOT / "autograder" / "toy.py")  # the notebooks' demo, which seeds on purpose
    found = [use for path in GRADER_SIDE if path not in ALLOWED for use in _global_generator_uses(path)]
    assert not found, found


def _batch(folder, copies):
    """copies of the sample class, student by student, so that consecutive submissions are different exercises."""
    for copy in range(copies):
        for student in sorted((ROOT / "samples" / "submitted").iterdir()):
            shutil.copytree(student, folder / f"{student.name}{copy}", symlinks=True)
    return folder


def _reports(folder, jobs):
    result = run_kit("grade", folder, "--jobs", jobs, "--json", "-")
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)["results"]


@pytest.mark.slow
def test_a_batch_gets_the_same_reports_with_one_two_and_four_threads(tmp_path):
    """Do fifty-odd notebooks, exercises interleaved, graded with --jobs 1, 2 and 4 (and 4 again), get the same
    score, status, message and hint for every check?"""
    folder = _batch(tmp_path / "submitted", copies=4)
    runs = {jobs: _reports(folder, jobs) for jobs in (1, 2, 4)}
    runs["4 again"] = _reports(folder, 4)
    first = runs[1]
    assert len(first) > 48 and len({result["exercise"] for result in first}) == len(EXERCISES)
    assert {result["score"] for result in first} != {10.0}, "the batch must hold mistakes as well as full marks"
    for jobs, results in runs.items():
        assert results == first, f"--jobs {jobs} graded differently"


def test_a_set_of_names_iterates_in_one_order_in_every_grading_run(tmp_path):
    """Does a submission see the same string hashes in every grading run, the fixed seed's, so that one whose
    layers are made by iterating a set of names (an order the hash seed decides) gets one grade, not one of two?"""
    first = FIRST.id
    source = (ROOT / "exercises" / f"{first}.py").read_text()
    (tmp_path / f"{first}.py").write_text(f"raise RuntimeError('hashes ' + repr(hash('W_query')))\n{source}")
    expected = subprocess.run([sys.executable, "-c", "print(repr(hash('W_query')))"], capture_output=True, text=True,
                              env={"PYTHONHASHSEED": "0"}, check=True).stdout.strip()
    seen = set()
    for _ in range(2):  # two runs, two workers, each with the seed it would have drawn
        completed = run_kit("grade", tmp_path / f"{first}.py", "--json", "-")
        assert completed.returncode == 0, completed.stderr
        messages = " ".join(check["message"] for check in json.loads(completed.stdout)["results"][0]["checks"])
        seen |= set(re.findall(r"hashes (-?\d+)", messages))
    assert seen == {expected}
