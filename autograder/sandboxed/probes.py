"""The student side of a check: run student code on plain inputs, return plain outputs.

A probe is a dict of plain data (names, numbers, tensors); its observation is
another. Nothing here judges anything and nothing here imports the reference
solutions, so this module is all that ever needs to run next to student code.

Probes are protocol.py's dataclasses (Call, Forward, Describe, Decode), parsed from the plain dicts the checks
write; protocol.py says what each field asks for. A module built only to be described (Describe) is built with
zeros where its initialisation would draw random weights: a description never reads a weight's value.
With peak_memory, a call also returns, as three last int64 0-d outputs, the most bytes that tensors created by
the call held at once (memory.PeakMemory; the inputs are not counted), the multiply-adds of the matrix products
it ran, and the bytes of the largest single tensor storage it made.
"""
import difflib
import hashlib
import inspect
import traceback
from contextlib import contextmanager, nullcontext
from functools import cache

import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode

from .errors import ErrorKind, failure
from .protocol import Call, Decode, Describe, ProbeSpecError, parse
from .memory import PeakMemory
from .wire import _DTYPES


class StandInModule(nn.Module):
    """A module that stands in for a part a module builds (protocol.StandIn says which class, its signature and
    layers), so that the module is graded without the student's own part: it records what it was built with,
    has the layers the part documents (so that weights load by their names), and mixes each token with the ones
    before it by a running mean of one of them, which is enough to see order and causality."""

    spec = None  # the protocol.StandIn a subclass is made for (stand_in_class)

    def __init__(self, *args, **kwargs):
        super().__init__()
        bound = _signature(self.spec).bind(*args, **kwargs)
        bound.apply_defaults()
        self.built_with = dict(bound.arguments)
        width_in, width_out = (self.built_with[name] for name in self.spec.width)
        bias = bool(self.built_with.get(self.spec.bias, False)) if self.spec.bias else False
        for name in self.spec.layers:
            setattr(self, name, nn.Linear(width_in, width_out, bias=bias))

    def forward(self, x):
        projected = getattr(self, self.spec.mix or self.spec.layers[-1])(x)  # (..., n, width out)
        count = torch.arange(1, x.shape[-2] + 1, dtype=projected.dtype).unsqueeze(-1)  # (n, 1)
        return projected.cumsum(dim=-2) / count


def _signature(spec):
    parameters = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    for item in spec.signature:
        name, *default = (item,) if isinstance(item, str) else item
        parameters.append(inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                            default=default[0] if default else inspect.Parameter.empty))
    return inspect.Signature(parameters[1:])


@cache
def stand_in_class(spec):
    """The StandInModule subclass for one protocol.StandIn (one class per spec: a module may check its parts' type)."""
    return type(f"StandIn{spec.name}", (StandInModule,), {"spec": spec, "__module__": __name__})


class ProbeError(Exception):
    """Student code raised, or did not provide what the probe needs."""


def observer(namespace, kernel=False):
    """observe_all(probes) -> observations, for a namespace loaded in this process (kernel: a notebook kernel's
    globals, where a missing name usually means a cell not run yet)."""
    return lambda probes: [observe(namespace, probe, kernel) for probe in probes]


def observe(namespace, probe, kernel=False):
    """Run one probe (a protocol dataclass, or the dict it is parsed from) against a submission's namespace; never
    raises."""
    try:
        probe = parse(probe)
    except ProbeSpecError as error:  # the engine parses every probe first: only a probe sent by hand gets here
        return {"error": failure(ErrorKind.PROBE, str(error))}
    stage, call = f"looking up {probe.target}", None  # call: (what is called, args, kwargs, its name as shown)
    try:
        target = namespace.get(probe.target)
        if target is None:
            raise ProbeError(_missing(namespace, probe.target, kernel))
        if isinstance(probe, Call):
            stage = f"calling {probe.target}"
            call = (target, probe.args, probe.kwargs, probe.target)
            if not probe.peak_memory:
                result = target(*probe.args, **probe.kwargs)
                return {"outputs": [_number(result)] if probe.number else _outputs(result)}
            with PeakMemory(probe.args, probe.kwargs) as memory:  # only when asked: it sees every operation
                result = target(*probe.args, **probe.kwargs)
            return {"outputs": _outputs(result) + [torch.tensor(count) for count in memory.verified()]}
        built = _call_text(probe.target, probe.init)
        stage, call = f"building {built}", (target, [], probe.init, probe.target)
        module = _build(namespace, target, probe)
        if isinstance(probe, Describe):
            return {"info": describe(module)}
        stage = f"calling {probe.target}.forward"
        module.train(probe.train)
        forward = f"{built}.forward"

        def run(*args, **kwargs):  # the module called as the check calls it, remembered for the error report
            nonlocal call
            call = (module.forward, args, kwargs, forward)
            return module(*args, **kwargs)

        with torch.no_grad():
            if isinstance(probe, Decode):  # one module called again and again: what it keeps between calls matters
                return {"outputs": [_outputs(run(*step.get("args", []), **step.get("kwargs", {})))[0]
                                    for step in probe.steps]}
            outputs = _outputs(run(*probe.args, **probe.kwargs))
            for _ in range(probe.repeat - 1):  # the next layer reads what this one wrote
                outputs = _outputs(run(outputs[0], **probe.kwargs))
            result = {"outputs": outputs}
            if probe.each_output_of:  # the parts' own outputs on the same input, in order
                result["heads"] = []
                for index, part in enumerate(getattr(module, probe.each_output_of)):
                    call = (part.forward, probe.args, {}, f"{built}.{probe.each_output_of}[{index}].forward")
                    result["heads"].append(_outputs(part(*probe.args))[0])
        return result
    except Exception as error:  # student code may raise anything; report it, don't propagate
        return {"error": _error_report(error, stage, call)}


def warm():
    """Run once what every probe's first use of torch pays for (dispatch through a Python mode, a layer's
    construction, attention's operations), so that processes forked afterwards start with it done: in a
    child forked per submission it cost about 20 ms on each, every time. Touches no student code."""
    x = torch.ones(1, 3, 4)
    with _ZeroFill():
        layer = nn.Linear(4, 4)
    with PeakMemory(x) as memory:
        scores = (layer(x) @ x.transpose(-2, -1)).masked_fill(torch.ones(3, 3, dtype=torch.bool).triu(1), float("-inf"))
        torch.softmax(scores / 2.0, dim=-1)
    memory.verified()


def _missing(namespace, name, kernel=False):
    """Why name is not there: a cell or file that failed, a cell not run yet, or a renamed definition."""
    problems = namespace.get("__kit_load_problems__") or []
    if problems:
        return f"{name} is not defined, because " + "; ".join(problems)
    defined = [key for key, value in namespace.items() if isinstance(value, type) or callable(value)]
    close = difflib.get_close_matches(name, defined, n=1, cutoff=0.5)
    renamed = f" (there is a {close[0]}: was it renamed?)" if close else ""
    if kernel:
        return (f"{name} is not defined in this kernel{renamed}: run the cell that defines it, then this one "
                "(an error above can stop Run All before it); keep the name the exercise gives")
    return f"{name} is not defined{renamed}; keep the name the exercise gives"


def _build(namespace, cls, probe):
    with _stand_in(namespace, probe.stand_in), (_ZeroFill() if isinstance(probe, Describe) else nullcontext()):
        if probe.seed is not None:
            torch.manual_seed(probe.seed)
        module = cls(**probe.init)
    if not isinstance(module, nn.Module):
        raise ProbeError(f"{probe.target} is not an nn.Module subclass")
    if probe.dtype:
        module = module.to(_DTYPES[probe.dtype])
    for name, value in (probe.state or {}).items():
        _assign(module, name, value)
    return module


class _ZeroFill(TorchDispatchMode):
    """While a module is built only to be described, its random weight fills write zeros instead.

    A description reads shapes, counts, layers and buffers, never a weight's value; drawing the random
    weights of a layer 2048 wide took about 10 ms each, most of the time a described module's check
    took, while zeros take well under one. Zeros, not the memory as it was: the same every time."""

    RANDOM_FILLS = {torch.ops.aten.uniform_.default, torch.ops.aten.normal_.default}

    @classmethod
    def _should_skip_dynamo(cls):
        return False  # as in memory.PeakMemory: the default imports dynamo (seconds) on the first operation

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if func in self.RANDOM_FILLS:
            return args[0].zero_()
        return func(*args, **(kwargs or {}))


@contextmanager
def _stand_in(namespace, spec):
    """While building, the name spec.name means its stand-in class (the module looks it up in its globals). A child
    process is single-threaded and builds one probe at a time; the grader's oracle hands in a private copy of the
    module in which the name already is the stand-in, and nothing is swapped."""
    if spec is None or namespace.get(spec.name) is stand_in_class(spec):
        yield
        return
    missing = object()
    saved = namespace.get(spec.name, missing)
    namespace[spec.name] = stand_in_class(spec)
    try:
        yield
    finally:
        if saved is missing:
            del namespace[spec.name]
        else:
            namespace[spec.name] = saved


def _assign(module, name, value):
    """Copy value into the parameter or buffer called name, or say which documented name is missing."""
    try:
        current = module.get_parameter(name) if name in dict(module.named_parameters()) else module.get_buffer(name)
    except AttributeError:
        owner = name.rsplit(".", 1)[0]
        raise ProbeError(f"{type(module).__name__} has no {name}: the exercise names this layer {owner}") from None
    if tuple(current.shape) != tuple(value.shape):
        raise ProbeError(f"{name} has shape {tuple(current.shape)}, expected {tuple(value.shape)}")
    with torch.no_grad():
        current.copy_(value)


def describe(module):
    """Layers, parameter shapes and buffers of a module, as plain data."""
    parameters = {name: list(p.shape) for name, p in module.named_parameters()}
    buffers = {name: {"shape": list(b.shape), "dtype": str(b.dtype), "pattern": _mask_pattern(b)}
               for name, b in module.named_buffers()}
    layers = {}
    for name, child in module.named_modules():
        if name:
            layers[name] = {"class": type(child).__name__, "p": getattr(child, "p", None)}
            if isinstance(child, StandInModule):
                layers[name]["built_with"] = child.built_with
    heads = getattr(module, "heads", None)
    distinct = len({id(head) for head in heads}) if isinstance(heads, nn.Module) else None
    return {
        "class": type(module).__name__,
        "parameters": parameters,
        "buffers": buffers,
        "layers": layers,
        "parameter_count": sum(p.numel() for p in module.parameters()),
        "distinct_heads": distinct,
    }


def _mask_pattern(buffer):
    """Which causal convention a square buffer holds, whatever its dtype and leading size-1 axes.

    "blocked above": nonzero exactly where a key comes after its query: True or 1 (triu(…, diagonal=1)),
    or an additive mask of -inf or a large negative number there and 0 elsewhere;
    "allowed on and below": nonzero exactly where a query may look (tril(…)); "other" for anything else.
    """
    if buffer.dim() < 2 or buffer.shape[-1] != buffer.shape[-2] or any(size != 1 for size in buffer.shape[:-2]):
        return "other"
    square = buffer.detach().reshape(buffer.shape[-2:])
    if square.is_complex() or square.isnan().any():
        return "other"
    ones = square != 0
    if ones.any():  # every nonzero the same value (a quarter of the time torch.unique took on a 1024 × 1024 mask)
        first = square.flatten()[ones.flatten().to(torch.uint8).argmax()]
        if ((square != first) & ones).any():
            return "other"
    above = torch.ones_like(ones).triu(diagonal=1)
    if torch.equal(ones, above):
        return "blocked above"
    if torch.equal(ones, ~above):
        return "allowed on and below"
    return "other"


def _outputs(result):
    """A tensor or a tuple of tensors -> list of plain tensors."""
    items = result if isinstance(result, (tuple, list)) else [result]
    outputs = []
    for item in items:
        if not isinstance(item, torch.Tensor):
            raise ProbeError(f"returned a {type(item).__name__} where a tensor was expected")
        outputs.append(item.detach().as_subclass(torch.Tensor).clone())
    return outputs


def _number(result):
    """A count returned as a Python int or float (not a bool), as a float64 0-d tensor."""
    if isinstance(result, torch.Tensor) and result.numel() == 1:
        result = result.item()
    if isinstance(result, bool) or not isinstance(result, (int, float)):
        raise ProbeError(f"returned a {type(result).__name__} where a number was expected")
    return torch.tensor(float(result), dtype=torch.float64)


def _call_text(name, kwargs, args=()):
    shown = [_shown(value) for value in args] + [f"{key}={_shown(value)}" for key, value in kwargs.items()]
    return f"{name}(" + ", ".join(shown) + ")"


def _shown(value):
    """An argument as an error message names it: a tensor by its dtype and shape, anything else by its repr."""
    if isinstance(value, torch.Tensor):
        return f"<{str(value.dtype).removeprefix('torch.')} tensor {tuple(value.shape)}>"
    if isinstance(value, (list, tuple)) and any(isinstance(item, torch.Tensor) for item in value):
        return "[" + ", ".join(map(_shown, value)) + "]"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _call(call):
    """(the call as the check made it, naming every argument; why it does not fit the callee's signature, or "")."""
    if call is None:
        return "", ""
    function, args, kwargs, name = call
    shown = _call_text(name, kwargs, args)
    try:
        inspect.signature(function).bind(*args, **kwargs)
    except TypeError as mismatch:  # the arguments do not fit: the signature is the cause
        return shown, str(mismatch) or "the arguments do not fit the signature"
    except Exception:  # noqa: BLE001  (no signature to read, or one the student's code made raise): nothing known
        return shown, ""
    return shown, ""


def _error_report(error, stage, call=None):
    """Where the student's code raised (the last frame outside the kit and torch), the call that led there with
    every argument the check passed, and whether those arguments fit the signature that was called."""
    frames = [frame for frame in traceback.extract_tb(error.__traceback__) if _is_student_frame(frame.filename)]
    where = code = ""
    if frames:
        frame = frames[-1]
        # a digest: enough to tell two mistakes apart by the line that raised, without quoting it
        code = hashlib.sha256((frame.line or "").split("#")[0].strip().encode()).hexdigest()[:16]
        where = f"{frame.filename}, line {frame.lineno}" + (f": {frame.line.strip()}" if frame.line else "")
    kind = ErrorKind.PROBE if type(error) is ProbeError else \
        ErrorKind.STUB if isinstance(error, NotImplementedError) else ErrorKind.RAISED
    shown, unbound = _call(call) if kind == ErrorKind.RAISED else ("", "")
    return {
        "kind": kind,
        "type": type(error).__name__,
        "message": str(error),
        "stage": stage,
        "where": where,
        "code": code,
        "call": f"{stage.split()[0]} {shown}" if shown else "",  # "building Name(…)" or "calling Name(…).forward(…)"
        "unbound": unbound,
    }


def _is_student_frame(filename):
    return not any(part in filename for part in ("/autograder/", "/torch/", "/site-packages/", "<frozen"))

