"""Input makers and judges that the exercises share."""
import math

import torch

from ..behaviour import outputs_differ
from ..checks import Against, Check
from ..compare import PRINTED, mismatch, shape_text
from ..sandboxed.errors import ErrorKind

PROJECTIONS = ("W_query", "W_key", "W_value")


# ---- inputs -------------------------------------------------------------------------------

def randn(generator, *shape, dtype=torch.float64):
    # drawn in float64 and rounded: torch draws float32 normals by another, vectorised path whose
    # last bits depend on the CPU, and fixtures must come out the same on every machine
    return torch.randn(*shape, generator=generator, dtype=torch.float64).to(dtype)


def between(generator, low, high):
    """A random int in [low, high]."""
    return int(torch.randint(low, high + 1, (), generator=generator))


def linear_state(generator, name, d_in, d_out, bias, dtype=torch.float64):
    """Weights for nn.Linear(d_in, d_out) stored under the documented name, scaled like PyTorch's init."""
    state = {f"{name}.weight": randn(generator, d_out, d_in, dtype=dtype) / math.sqrt(d_in)}
    if bias:
        state[f"{name}.bias"] = randn(generator, d_out, dtype=dtype) / math.sqrt(d_in)
    return state


def projection_state(generator, d_q, d_kv, d_out, bias, prefix="", dtype=torch.float64):
    state = linear_state(generator, f"{prefix}W_query", d_q, d_out, bias, dtype)
    state |= linear_state(generator, f"{prefix}W_key", d_kv, d_out, bias, dtype)
    state |= linear_state(generator, f"{prefix}W_value", d_kv, d_out, bias, dtype)
    return state


def left_padding(generator, b, n):
    """(b, n) bool with one or more leading padding tokens per row, at least two tokens kept (n >= 3)."""
    lengths = torch.randint(2, n, (b,), generator=generator)
    return torch.arange(n).unsqueeze(0) < (n - lengths).unsqueeze(1)


def key_mask(generator, *shape, rate=0.3):
    """Random bool mask over (..., n_q, n_k) that never blocks key 0, so every row keeps one key."""
    mask = torch.rand(*shape, generator=generator, dtype=torch.float64) < rate
    mask[..., 0] = False
    return mask


def forward_probe(target, init, args, *, label, **extra):
    """A probe that builds target(**init) and calls forward(*args); seeded, so a rerun builds the same weights."""
    return {"target": target, "init": init, "args": list(args), "label": label, "seed": 0, **extra}


# ---- judges -------------------------------------------------------------------------------

def _labelled(probe, message):
    return f"{probe['label']}: {message}" if probe.get("label") else message


def matches_expected(*names, ungraded=None):
    """Judge: each output equals the expected one. Positions the reference leaves NaN, and those
    ungraded(probe) marks (a bool tensor broadcastable to the output), are never graded."""

    def judge(probes, observed, expected):
        for probe, got, want in zip(probes, observed, expected):
            if len(got["outputs"]) != len(want["outputs"]):
                return _labelled(probe, f"returned {len(got['outputs'])} tensor(s), expected {len(want['outputs'])}")
            for name, tensor, reference in zip(names, got["outputs"], want["outputs"]):
                ignore = reference.isnan()
                if ungraded is not None:
                    ignore = ignore | ungraded(probe)
                message = mismatch(name, tensor, reference, ignore=ignore)
                if message:
                    return _labelled(probe, message)
        return None

    return judge


def has_shapes(*names, shapes):
    """Judge: output i has shape shapes(probe)[i] for every probe."""

    def judge(probes, observed, expected):
        for probe, got in zip(probes, observed):
            wanted = shapes(probe)
            if len(got["outputs"]) != len(wanted):
                return _labelled(probe, f"returned {len(got['outputs'])} tensor(s), expected {len(wanted)}")
            for name, tensor, shape in zip(names, got["outputs"], wanted):
                if tuple(tensor.shape) != tuple(shape):
                    return _labelled(probe, f"{name} has shape {shape_text(tensor.shape)}, expected {shape_text(shape)}")
        return None

    return judge


def matches_printed(name, printed):
    """Judge: the single probe's first output equals numbers a course printed (four decimals)."""

    def judge(probes, observed, expected):
        return mismatch(name, observed[0]["outputs"][0], torch.tensor(printed), tolerance=PRINTED)

    return judge


def unchanged_where(name, positions):
    """Judge for pairs of probes (original, altered): outputs agree at positions(probe) (a bool index over tokens)."""

    def judge(probes, observed, expected):
        for index in range(0, len(probes), 2):
            keep = positions(probes[index])
            before, after = observed[index]["outputs"][0], observed[index + 1]["outputs"][0]
            if before.shape != after.shape:
                return _labelled(probes[index], f"{name} changed shape from {shape_text(before.shape)} to {shape_text(after.shape)}")
            message = mismatch(name, after[keep], before[keep])
            if message:
                return _labelled(probes[index + 1], message)
        return None

    return judge


def raises(error_type):
    """Judge: every probe raised error_type."""

    def judge(probes, observed, expected):
        for probe, got in zip(probes, observed):
            error = got.get("error")
            if error is None:
                return _labelled(probe, f"no {error_type} was raised")
            if error["kind"] != ErrorKind.RAISED or error["type"] != error_type:
                return _labelled(probe, f"raised {error['type']} ({error['message']}), expected {error_type}: "
                                        "the sizes are not checked before they are used")
        return None

    return judge


def layers_are(expected):
    """Judge for inspect probes: expected(probe) gives {"parameters": {name: shape}, "absent": [names],
    "causal_buffers": {name: context_length}, "layers": {name: {property: value}}, "parameter_count": n}.

    What the exercise fixes is checked (names, shapes, bias or not); what it leaves free is not: extra
    parameters, layers and attributes, and a causal buffer's dtype (bool, uint8, float 0/1), convention
    (True above the diagonal, or 1 on and below it) and leading size-1 axes.
    """

    def judge(probes, observed, expected_unused):
        for probe, got in zip(probes, observed):
            info, wanted = got["info"], expected(probe)
            for name, shape in wanted.get("parameters", {}).items():
                if name not in info["parameters"]:
                    return _labelled(probe, f"there is no parameter {name}")
                if info["parameters"][name] != list(shape):
                    return _labelled(probe, f"{name} has shape {shape_text(info['parameters'][name])}, expected {shape_text(shape)}")
            for name in wanted.get("absent", []):
                if name in info["parameters"]:
                    return _labelled(probe, f"{name} exists, but qkv_bias is False")
            for name, context_length in wanted.get("causal_buffers", {}).items():
                message = _causal_buffer_problem(info, name, context_length)
                if message:
                    return _labelled(probe, message)
            for name, properties in wanted.get("layers", {}).items():
                layer = info["layers"].get(name)
                if layer is None:
                    return _labelled(probe, f"there is no layer {name}")
                for key, value in properties.items():
                    if layer.get(key) != value:
                        return _labelled(probe, f"{name} has {key} {layer.get(key)!r}, expected {value!r}")
            count = wanted.get("parameter_count")
            if count is not None and info["parameter_count"] != count:
                return _labelled(probe, f"{info['parameter_count']:,} parameters, expected {count:,}")
        return None

    return judge


def _causal_buffer_problem(info, name, context_length):
    if name not in info["buffers"]:
        where = " (it is a parameter; register it as a buffer)" if name in info["parameters"] else ""
        return f"there is no buffer {name}{where}"
    buffer = info["buffers"][name]
    square = buffer["shape"][-2:]
    if square != [context_length, context_length] or any(size != 1 for size in buffer["shape"][:-2]):
        return (f"buffer {name} has shape {shape_text(buffer['shape'])}, expected "
                f"({context_length}, {context_length}): one row and one column per position up to context_length")
    if buffer["pattern"] == "other":
        return (f"buffer {name} does not hold the causal pattern: True (or 1) exactly above the diagonal, "
                "where a key comes after its query (or 1 exactly on and below it, marking what may be seen)")
    return None


def projections_of(d_q, d_kv, d_out, bias, prefix=""):
    """Expected parameters of W_query (d_q -> d_out) and W_key, W_value (d_kv -> d_out)."""
    parameters, absent = {}, []
    for name, d_in in zip(PROJECTIONS, (d_q, d_kv, d_kv)):
        parameters[f"{prefix}{name}.weight"] = (d_out, d_in)
        if bias:
            parameters[f"{prefix}{name}.bias"] = (d_out,)
        else:
            absent.append(f"{prefix}{name}.bias")
    return parameters, absent


def fixture_check(check_id, part, probes, output_names, *, title, points, ungraded=None):
    """Outputs on fixed random inputs against the committed fixture (public). check_id: written out whole where
    the check is declared ("<exercise>.<name>_fixture"), so that a search for the id finds it."""
    if not check_id.endswith("_fixture"):
        raise ValueError(f"a fixture check's id ends in _fixture: {check_id}")
    return Check(check_id, part, points, f"{title}, on fixed inputs",
                 probes, matches_expected(*output_names, ungraded=ungraded), against=Against.FIXTURE,
                 diagnose=outputs_differ(output_names), shown=tuple(output_names))


def fully_blocked_rows(probe):
    """(..., n, 1) bool: the queries that may see no key at all (every token up to them is padding).

    What such a row holds is the implementation's choice, as long as it is finite (see padding_changes_nothing):
    it is never compared with the reference.
    """
    padding = probe.get("kwargs", {}).get("padding_mask")
    n = probe["args"][0].shape[-2]
    if padding is None:
        return torch.zeros(n, 1, dtype=torch.bool)
    return (padding.long().cumsum(dim=-1) == torch.arange(1, n + 1)).unsqueeze(-1)


def padding_changes_nothing(probes, observed, expected):
    """Pairs of probes: padded input, then the same with the padding tokens' contents changed. The real tokens'
    outputs must be finite (a query that sees no key leaves no NaN for the next layer) and unchanged."""
    for index in range(0, len(probes), 2):
        keep = ~probes[index]["kwargs"]["padding_mask"]
        for probe, got in zip(probes[index:index + 2], observed[index:index + 2]):
            output = got["outputs"][0]
            if output.shape[:-1] == keep.shape and not output[keep].isfinite().all():
                return (f"{probe['label']}: the output at real tokens holds NaN or infinity; a query that sees "
                        "no key must not leave NaN behind for the next layer")
    return unchanged_where("output", lambda probe: ~probe["kwargs"]["padding_mask"])(probes, observed, expected)


LEFT_PADDING = torch.tensor([[True, True, False, False, False, False], [False, True, False, True, False, False]])


def padding_pairs(generator, d_out, build):
    """Probes for padding_changes_nothing: left-padded x, then the same with the padding tokens' contents
    changed; batched, unbatched, and through two stacked layers (d_in = d_out, so one feeds the next), as
    every real model runs: a query that can see no key must not leave NaN for the next layer.
    build(d_in) -> (target, init, state) of the layer."""
    probes = []
    for lead, layers in (((2,), 1), ((), 1), ((2,), 2)):
        d_in = 4 if layers == 1 else d_out
        target, init, state = build(d_in)
        x = randn(generator, *lead, 6, d_in)
        mask = LEFT_PADDING if lead else LEFT_PADDING[1]
        altered = torch.where(mask.unsqueeze(-1), randn(generator, *x.shape), x)
        stacked = " through two stacked layers" if layers == 2 else ""
        for inputs, label in ((x, f"x {tuple(x.shape)} with left padding{stacked}"),
                              (altered, f"the padding tokens changed{stacked}")):
            probes.append(forward_probe(target, init, [inputs], kwargs={"padding_mask": mask},
                                        state=state, dtype="float64", label=label, repeat=layers))
    return probes
