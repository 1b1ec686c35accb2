"""The probe protocol: what the grader may ask of student code, one small dataclass per kind of question.

A check's probes are written as plain dicts (they travel as JSON, and judges read them back); `parse` turns one
into its kind, checking every field's name and type, and refuses anything else with a message that names the
probe and the field. The engine parses every probe before the sandbox sees it, and the worker parses what it
receives again: a mistake in a catalog is caught where it is made, and nothing but these fields reaches the code
that runs next to student code.

  Call       call a function: target(*args, **kwargs)
  Forward    build a module, target(**init), then call it (once, again on its own output, or its parts too)
  Describe   build a module and describe its layers, parameters and buffers, without calling it
  Decode     build a module and call it once per step, in order, on the same module (what it keeps matters)

Capabilities an exercise may ask for, named for what they do, not for the exercise:
  stand_in        StandIn: while the module is built, a class it builds its parts from is replaced by a simple
                  module of the same signature (so that another exercise's mistakes cost nothing here)
  each_output_of  the name of an attribute holding submodules: their outputs on the same input come back too
  peak_memory     count the memory and the matrix products of the call (memory.PeakMemory)
  number          the function returns a Python number (a count), not a tensor
`notes` holds what only the judge reads (how a decode was split, ...); the sandbox ignores it.
"""
from dataclasses import dataclass, field, fields

import torch

DTYPES = ("float32", "float64")


class ProbeSpecError(ValueError):
    """A probe that does not fit the protocol: a catalog mistake, never the student's."""


@dataclass(frozen=True)
class StandIn:
    """The class a module builds its parts from (name), replaced while it is built by a module that takes the same
    arguments (signature: names in order, each [name, default] where it has one), has the layers (`layers`, each an
    nn.Linear(init[width[0]], init[width[1]], bias=init[bias])) so that weights load by their names, records what it
    was built with, and mixes each token with the ones before it by a running mean of layer `mix`."""
    name: str
    signature: tuple
    layers: tuple
    width: tuple
    bias: str | None = None
    mix: str | None = None


@dataclass(frozen=True)
class Probe:
    target: str
    label: str = ""
    check: int | None = None  # the engine numbers the checks: a check's probes stop together
    notes: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Call(Probe):
    args: list = field(default_factory=list)
    kwargs: dict = field(default_factory=dict)
    number: bool = False
    peak_memory: bool = False


@dataclass(frozen=True)
class Build(Probe):
    init: dict = field(default_factory=dict)
    seed: int | None = None  # torch.manual_seed before building, so that the order layers are made in shows
    state: dict | None = None  # {documented parameter name: tensor} copied in after building
    dtype: str | None = None
    stand_in: StandIn | None = None


@dataclass(frozen=True)
class Describe(Build):
    pass


@dataclass(frozen=True)
class Forward(Build):
    args: list = field(default_factory=list)
    kwargs: dict = field(default_factory=dict)
    train: bool = False
    repeat: int = 1  # called again on its own output (stacked layers sharing weights)
    each_output_of: str | None = None


@dataclass(frozen=True)
class Decode(Build):
    steps: list = field(default_factory=list)  # [{"args": [...], "kwargs": {...}}], one call each
    train: bool = False


KINDS = (Call, Describe, Forward, Decode)


def kind_of(mapping):
    """The kind a probe's fields say it is."""
    if "init" not in mapping:
        return Call
    if mapping.get("inspect"):
        return Describe
    return Decode if "steps" in mapping else Forward


def parse(mapping):
    """The probe a dict describes, its fields checked; a ProbeSpecError names what does not fit."""
    if isinstance(mapping, Probe):
        return mapping
    if not isinstance(mapping, dict):
        raise ProbeSpecError(f"a probe is a dict, not a {type(mapping).__name__}")
    kind = kind_of(mapping)
    given = {key: value for key, value in mapping.items() if key != "inspect"}
    where = f"probe {mapping.get('label') or mapping.get('target')!r}"
    allowed = {item.name: item for item in fields(kind)}
    unknown = sorted(set(given) - set(allowed))
    if unknown:
        raise ProbeSpecError(f"{where}: {', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not a field of a "
                             f"{kind.__name__} probe; its fields are {', '.join(allowed)} (what only a judge reads goes "
                             "in notes)")
    for name, value in given.items():
        problem = _type_problem(name, value)
        if problem:
            raise ProbeSpecError(f"{where}: {name} {problem}")
    if isinstance(given.get("stand_in"), dict):
        given["stand_in"] = _stand_in(given["stand_in"], where)
    return kind(**given)


CHECKS = {
    "target": (str,), "label": (str,), "check": (int, type(None)), "notes": (dict,), "args": (list, tuple),
    "kwargs": (dict,), "number": (bool,), "peak_memory": (bool,), "init": (dict,), "seed": (int, type(None)),
    "state": (dict, type(None)), "dtype": (str, type(None)), "stand_in": (dict, StandIn, type(None)),
    "train": (bool,), "repeat": (int,), "each_output_of": (str, type(None)), "steps": (list, tuple),
}


def _type_problem(name, value):
    if not isinstance(value, CHECKS[name]) or (isinstance(value, bool) and bool not in CHECKS[name]):
        return f"is a {type(value).__name__}; expected {' or '.join(kind.__name__ for kind in CHECKS[name])}"
    if name == "dtype" and value is not None and value not in DTYPES:
        return f"is {value!r}; expected one of {', '.join(DTYPES)}"
    if name == "repeat" and value < 1:
        return "must be at least 1"
    if name in ("init", "kwargs", "state") and value is not None and not all(isinstance(key, str) for key in value):
        return "has a key that is not a name"
    if name == "state" and value is not None and not all(torch.is_tensor(item) for item in value.values()):
        return "holds something that is not a tensor"
    if name == "steps" and not all(isinstance(step, dict) and set(step) <= {"args", "kwargs"} for step in value):
        return "must be a list of {args, kwargs}"
    return None


def _stand_in(spec, where):
    try:
        return StandIn(**{key: tuple(tuple(item) if isinstance(item, list) else item for item in value)
                          if isinstance(value, list) else value for key, value in spec.items()})
    except TypeError as error:
        raise ProbeSpecError(f"{where}: stand_in {error}") from None
