"""Is every probe a check writes one of the protocol's kinds, with fields of the right names and types, and is a
probe that is not refused before the sandbox sees it, naming the probe and the field?"""
import pytest
import torch

from autograder import engine, registry
from autograder.instructor import SOLUTIONS
from autograder.instructor.reference import REFERENCE
from autograder.sandboxed import protocol
from autograder.sandboxed.probes import observe, stand_in_class

SEED = 1729


def every_probe():
    for exercise in registry.ids():
        checks = registry.checks(exercise)
        for probes, again in zip(engine.plan(checks, exercise, SEED), engine.redrawn(checks, SEED, REFERENCE)):
            yield from (probes or []) + (again or [])


def test_every_probe_of_every_check_parses_into_its_kind():
    """Does every probe the checks draw (hidden and redrawn ones too) parse, and do they use every kind?"""
    kinds = {type(protocol.parse(probe)) for probe in every_probe()}
    assert kinds == set(protocol.KINDS)


@pytest.mark.parametrize("change, words", [
    ({"args": [], "stnad_in": None}, "stnad_in is not a field of a Call probe"),
    ({"args": "x"}, "args is a str; expected list or tuple"),
    ({"init": {"d": 1}, "steps": [{"argz": []}]}, "steps must be a list of {args, kwargs}"),
    ({"init": {"d": 1}, "dtype": "float16"}, "dtype is 'float16'"),
    ({"init": {"d": 1}, "repeat": 0}, "repeat must be at least 1"),
    ({"args": [], "number": 1}, "number is a int; expected bool"),
])
def test_a_probe_that_does_not_fit_is_refused_naming_the_probe_and_the_field(change, words):
    """Is a misspelt field, a wrong type or an impossible value refused with a message that names the probe (its
    label) and says what is wrong?"""
    probe = dict({"target": "f", "label": "the probe under test"}, **change)
    with pytest.raises(protocol.ProbeSpecError) as refused:
        protocol.parse(probe)
    assert "the probe under test" in str(refused.value) and words in str(refused.value)


def test_the_engine_refuses_a_bad_probe_before_running_anything():
    """Does a check whose probe does not fit stop the run with the protocol's message, before any student code is
    run (observe_all is never called)?"""
    from dataclasses import replace

    exercise = registry.ids()[0]
    check = next(check for check in registry.checks(exercise) if not check.public)
    broken = replace(check, probes=lambda generator: [{"target": "x", "label": "broken", "argz": []}])
    called = []
    with pytest.raises(protocol.ProbeSpecError, match="argz"):
        engine.run(exercise, lambda probes: called.append(probes), [broken], seed=SEED, oracle=REFERENCE)
    assert called == []


def test_a_dict_and_its_parsed_probe_observe_alike():
    """Does observe give the same observation for a probe and for the dataclass it parses into?"""
    exercise = registry.ids()[0]
    import importlib

    namespace = vars(importlib.import_module(f"{SOLUTIONS}.{exercise}"))
    probes = [probe for probe in every_probe() if probe["target"] in namespace][:6]
    assert probes
    for probe in probes:
        torch.manual_seed(0)
        first = observe(namespace, probe)
        torch.manual_seed(0)
        second = observe(namespace, protocol.parse(probe))
        assert first.keys() == second.keys()
        for a, b in zip(first.get("outputs", []), second.get("outputs", [])):
            assert torch.equal(a, b)


def test_a_stand_in_takes_the_arguments_its_spec_declares():
    """Does a stand-in bind positional and keyword arguments by its declared signature, record them with their
    defaults, and have the declared layers at the declared widths?"""
    spec = protocol.parse({"target": "W", "init": {}, "stand_in": {
        "name": "Part", "signature": ["a", "b", ["p", 0.5], ["bias", False]], "layers": ["L1", "L2"],
        "width": ["a", "b"], "bias": "bias", "mix": "L2"}}).stand_in
    part = stand_in_class(spec)(3, b=4)
    assert part.built_with == {"a": 3, "b": 4, "p": 0.5, "bias": False}
    assert part.L1.weight.shape == (4, 3) and part.L2.bias is None
    assert stand_in_class(spec) is stand_in_class(spec)
    with pytest.raises(TypeError):
        stand_in_class(spec)(3, 4, 0.1, True, "one too many")
    assert part(torch.ones(2, 5, 3)).shape == (2, 5, 4)
