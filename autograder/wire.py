"""Plain data in and out of student code: JSON with tensors spelled out as numbers.

Probes, observations and fixtures all travel in this form. Loading it can never
run code (unlike pickle or torch.load), and decoding always yields plain
torch.Tensor objects, never a subclass chosen by the sender.
"""
import json

import torch

_DTYPES = {str(dtype).removeprefix("torch."): dtype for dtype in (torch.float32, torch.float64, torch.int64, torch.bool)}


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
    """The inverse of encode: tensors come back as plain torch.Tensor."""
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
