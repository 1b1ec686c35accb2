"""Plain data in and out of student code: JSON with tensors spelled out as numbers.

Probes, observations and fixtures all travel in this form. Loading it can never
run code (unlike pickle or torch.load), and decoding always yields plain
torch.Tensor objects, never a subclass chosen by the sender.

What comes back from student code is checked against a strict schema before
anything is decoded (`observations`): a message that does not fit is refused
with a reason, and costs only the submission that sent it.
"""
import json
import math

import torch

from .errors import ErrorKind

_DTYPES = {str(dtype).removeprefix("torch."): dtype for dtype in (torch.float32, torch.float64, torch.int64, torch.bool)}

# What a plausible answer can hold: the largest probe output has a few hundred values.
MAX_ELEMENTS = 1 << 20  # values in one tensor
MAX_TOTAL = 1 << 22  # values in one message
MAX_DEPTH = 12  # nesting of lists and dicts
MAX_TEXT = 4000  # characters kept of any string
MAX_ITEMS = 4096  # entries of one list or dict
# call: the call that raised, naming the arguments the check passed; unbound: why those arguments do not fit the
# signature called ("" when they do, so an error raised inside a correct signature is never blamed on it)
ERROR_FIELDS = {"kind": str, "type": str, "message": str, "stage": str, "where": str, "code": str, "call": str,
                "unbound": str}


def text(value):
    """A string from the sandbox as the grader keeps it: cut to MAX_TEXT characters, and valid UTF-8 (a lone
    surrogate, which JSON can carry, would stop every file the grader writes it into)."""
    return value[:MAX_TEXT].encode("utf-8", "replace").decode("utf-8")


class Malformed(ValueError):
    """A message from the sandbox that does not fit the protocol; the text says where."""


def encode(value):
    """Nested dicts, lists, tuples, numbers, strings and tensors -> JSON-ready data."""
    if isinstance(value, torch.Tensor):
        tensor = value.detach().cpu()
        name = str(tensor.dtype).removeprefix("torch.")
        if name not in _DTYPES:
            tensor, name = tensor.double(), "float64"
        return {"tensor": name, "shape": list(tensor.shape), "data": tensor.flatten().tolist()}
    if isinstance(value, dict):
        return {"dict": {str(key): encode(item) for key, item in value.items()}}
    if isinstance(value, (list, tuple)):
        return [encode(item) for item in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot encode {type(value).__name__}")


def decode(data):
    """The inverse of encode: tensors come back as plain torch.Tensor. For trusted data (fixtures,
    probes); what student code sends goes through observations() first."""
    if isinstance(data, dict) and "tensor" in data:
        flat = torch.tensor(data["data"], dtype=_DTYPES[data["tensor"]])
        return flat.reshape(data["shape"])
    if isinstance(data, dict):
        return {key: decode(item) for key, item in data["dict"].items()}
    if isinstance(data, list):
        return [decode(item) for item in data]
    return data


def dumps(value):
    return json.dumps(encode(value))


def loads(text):
    return decode(json.loads(text))


# ---- checking what the sandbox sends ------------------------------------------------------

def observations(data, count):
    """count observations, checked and decoded: each {"outputs": [tensor…], "heads"?: [tensor…]},
    {"info": plain data} or {"error": {type, message, stage, where, code, stub}}. Raises Malformed."""
    if not isinstance(data, list) or len(data) != count:
        raise Malformed(f"expected a list of {count} observations")
    budget = [MAX_TOTAL]
    return [observation(item, budget) for item in data]


def observation(item, budget=None):
    """One observation, checked and decoded (see observations)."""
    budget = budget if budget is not None else [MAX_TOTAL]
    if not isinstance(item, dict) or "dict" not in item or not isinstance(item["dict"], dict):
        raise Malformed("an observation is not an object")
    fields = item["dict"]
    keys = set(fields)
    if keys == {"error"}:
        return {"error": _error(fields["error"])}
    if keys == {"info"}:
        return {"info": _plain(fields["info"], 0)}
    if keys in ({"outputs"}, {"outputs", "heads"}):
        return {key: _tensors(fields[key], budget) for key in keys}
    raise Malformed(f"an observation has the fields {sorted(keys)[:6]}")


def _error(data):
    if not isinstance(data, dict) or not isinstance(data.get("dict"), dict) or set(data["dict"]) != set(ERROR_FIELDS):
        raise Malformed("an error report does not have the expected fields")
    report = {}
    for key, kind in ERROR_FIELDS.items():
        value = data["dict"][key]
        if type(value) is not kind:
            raise Malformed(f"an error report's {key} is not a {kind.__name__}")
        report[key] = text(value) if kind is str else value
    if report["kind"] not in set(ErrorKind):
        raise Malformed(f"an error report's kind is {report['kind'][:40]!r}")
    return report


def _tensors(data, budget):
    if not isinstance(data, list) or len(data) > 64:
        raise Malformed("outputs are not a short list")
    return [_tensor(item, budget) for item in data]


def _tensor(data, budget):
    if not isinstance(data, dict) or set(data) != {"tensor", "shape", "data"}:
        raise Malformed("an output is not a tensor")
    name, shape, values = data["tensor"], data["shape"], data["data"]
    if name not in _DTYPES:
        raise Malformed(f"a tensor has the unknown dtype {str(name)[:40]!r}")
    if (not isinstance(shape, list) or len(shape) > 8
            or not all(type(size) is int and 0 <= size <= MAX_ELEMENTS for size in shape)):
        raise Malformed("a tensor's shape is not a short list of sizes")
    if not isinstance(values, list) or len(values) != math.prod(shape) or len(values) > MAX_ELEMENTS:
        raise Malformed(f"a tensor of shape {shape} does not hold {math.prod(shape)} values")
    budget[0] -= len(values)
    if budget[0] < 0:
        raise Malformed("the answer holds far more values than asked for")
    if name == "bool":
        if not all(type(value) is bool for value in values):
            raise Malformed("a bool tensor holds something other than true and false")
    elif name == "int64":
        if not all(type(value) is int and -(1 << 63) <= value < (1 << 63) for value in values):
            raise Malformed("an int64 tensor holds something other than 64-bit integers")
    elif not all(type(value) in (int, float) and (type(value) is float or abs(value) < 1 << 1023) for value in values):
        raise Malformed("a float tensor holds something other than numbers")
    return torch.tensor(values, dtype=_DTYPES[name]).reshape(shape)


def _plain(data, depth):
    """JSON data with strings cut short and bounded nesting (layer descriptions); dicts decoded."""
    if depth > MAX_DEPTH:
        raise Malformed("the answer is nested too deeply")
    if isinstance(data, dict):
        if set(data) != {"dict"} or not isinstance(data["dict"], dict) or len(data["dict"]) > MAX_ITEMS:
            raise Malformed("an object in the answer is not in the protocol's form")
        return {text(str(key)): _plain(value, depth + 1) for key, value in data["dict"].items()}
    if isinstance(data, list):
        if len(data) > MAX_ITEMS:
            raise Malformed("a list in the answer is too long")
        return [_plain(value, depth + 1) for value in data]
    if isinstance(data, str):
        return text(data)
    if data is None or isinstance(data, (bool, int, float)):
        return data
    raise Malformed("the answer holds a value JSON does not have")


# ---- lines from a pipe --------------------------------------------------------------------
