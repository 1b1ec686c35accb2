"""Whatever comes back from the sandbox (any JSON, any shapes and dtype names, deep nesting, huge
numbers, NaN), does the grader refuse it with a reason or judge it, and never raise?"""
import json
import math

import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograder import engine, registry
from autograder.instructor import sandbox
from autograder.instructor.reference import REFERENCE
from autograder.sandboxed import wire, worker
from autograder.sandboxed.errors import ErrorKind
from helpers import EXERCISES

numbers = st.one_of(st.integers(-(1 << 70), 1 << 70), st.floats(allow_nan=True, allow_infinity=True), st.booleans())
names = st.sampled_from(["float32", "float64", "int64", "bool", "complex64", "float16", "", "tensor", "x" * 50])
scalars = st.one_of(st.none(), numbers, st.text(max_size=20))
shapes = st.lists(st.integers(-2, 6), max_size=4)


@st.composite
def tensors(draw):
    """Encoded tensors, mostly consistent and sometimes not (shape, count or dtype off)."""
    shape = draw(shapes)
    count = math.prod(shape) if all(size >= 0 for size in shape) else 3
    if draw(st.booleans()):
        count += draw(st.integers(-2, 2))
    data = draw(st.lists(numbers, min_size=max(0, count), max_size=max(0, count)))
    return {"tensor": draw(names), "shape": shape, "data": data}


json_values = st.recursive(st.one_of(scalars, tensors()),
                           lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                   st.dictionaries(st.text(max_size=8), inner, max_size=4),
                                                   st.builds(lambda d: {"dict": d}, st.dictionaries(st.text(max_size=8), inner, max_size=4))),
                           max_leaves=20)
fields = st.sampled_from(["outputs", "heads", "info", "error", "dict", "x"])
observations = st.one_of(
    json_values,
    st.builds(lambda body: {"dict": body}, st.dictionaries(fields, json_values, max_size=3)),
    st.builds(lambda outputs: {"dict": {"outputs": outputs}}, st.lists(tensors(), max_size=3)),
    st.builds(lambda error: {"dict": {"error": {"dict": error}}},
              st.fixed_dictionaries({key: st.one_of(st.sampled_from(list(ErrorKind)), st.text(max_size=10),
                                                    st.booleans(), st.none())
                                     for key in wire.ERROR_FIELDS})),
)


def all_checks():
    return [(exercise, check) for exercise in EXERCISES for check in registry.checks(exercise)]


CHECKS = all_checks()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.lists(observations, min_size=1, max_size=4), which=st.integers(0, len(CHECKS) - 1))
def test_any_answer_is_refused_or_judged_never_raised(data, which):
    """Is an answer of any form checked by the schema and, if it passes, judged by any check without raising?"""
    exercise, check = CHECKS[which]
    line = json.dumps({"observations": data, "problems": [], "output": ""})
    try:
        decoded, _, _ = sandbox._response(line, len(data))
    except wire.Malformed:
        return
    for observation in decoded:
        for tensor in observation.get("outputs", []) + observation.get("heads", []):
            assert type(tensor) is torch.Tensor
    probes = check.probes(torch.Generator().manual_seed(0))[:len(decoded)]
    probes += [probes[-1]] * (len(decoded) - len(probes))
    result = engine.judge(check, exercise, probes, decoded, REFERENCE)
    assert result.status in ("passed", "failed", "error", "timeout")


@settings(max_examples=200, deadline=None)
@given(text=st.one_of(st.text(max_size=200), st.builds(json.dumps, json_values)))
def test_any_line_from_a_child_or_worker_is_refused_or_read(text):
    """Is any text, as a child's first line or a worker's answer, read or refused with ValueError, never another error?"""
    report = worker._load_report(text)
    assert report is None or set(report) in ({"problems"}, {"fatal"})
    try:
        sandbox._response(text, 2)
    except ValueError:
        pass
    try:
        wire.observation(json.loads(text))
    except ValueError:
        pass


def test_deep_nesting_and_huge_numbers_are_refused_with_a_reason():
    """Are a 10,000-deep nest, an integer too large for any dtype and a tensor claiming a billion values refused?"""
    nest = []
    for _ in range(10000):
        nest = [nest]
    deep = {"dict": {"info": nest}}
    for bad in (deep, {"dict": {"outputs": [{"tensor": "int64", "shape": [1], "data": [1 << 80]}]}},
                {"dict": {"outputs": [{"tensor": "float64", "shape": [1 << 30], "data": []}]}},
                {"dict": {"outputs": [{"tensor": "float64", "shape": [1], "data": [1 << 2000]}]}}):
        try:
            wire.observation(bad)
        except wire.Malformed as refused:
            assert str(refused)
        else:
            raise AssertionError(f"accepted {str(bad)[:80]}")


plain_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                          st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                            max_leaves=20)


@st.composite
def well_formed(draw):
    """Answers the schema accepts, with contents a judge does not expect: any dtype, shape and values."""
    kind = draw(st.sampled_from(["outputs", "heads", "info"]))
    if kind == "info":
        return {"dict": {"info": wire.encode(draw(plain_values))}}

    def tensor():
        dtype = draw(st.sampled_from(["float32", "float64", "int64", "bool"]))
        shape = draw(st.lists(st.integers(0, 5), max_size=4))
        value = {"bool": st.booleans(), "int64": st.integers(-5, 5)}.get(dtype, st.floats(allow_nan=True, width=32))
        return {"tensor": dtype, "shape": shape, "data": draw(st.lists(value, min_size=math.prod(shape), max_size=math.prod(shape)))}

    body = {"outputs": [tensor() for _ in range(draw(st.integers(0, 3)))]}
    if kind == "heads":
        body["heads"] = [tensor() for _ in range(draw(st.integers(0, 3)))]
    return {"dict": body}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.lists(well_formed(), min_size=1, max_size=4), which=st.integers(0, len(CHECKS) - 1))
def test_well_formed_answers_of_any_content_are_judged_without_raising(data, which):
    """Is an answer of the right form but any dtype (float32 where float64 is compared), shape or value judged,
    never raised, whichever check reads it?"""
    exercise, check = CHECKS[which]
    decoded, _, _ = sandbox._response(json.dumps({"observations": data, "problems": [], "output": ""}), len(data))
    probes = check.probes(torch.Generator().manual_seed(0))[:len(decoded)]
    probes += [probes[-1]] * (len(decoded) - len(probes))
    assert engine.judge(check, exercise, probes, decoded, REFERENCE).status in ("passed", "failed", "error")
