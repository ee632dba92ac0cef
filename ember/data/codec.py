"""Elements as bytes, for cache files and saved datasets: for each leaf its dtype, shape
and data (strings as lengths then bytes). No pickle."""
from __future__ import annotations

import json
import struct

import numpy as np

from ember.data import structure
from ember.framework import dtypes
from ember.engine.function import TensorSpec
from ember.framework.tensor_shape import TensorShape

__all__ = ["encode_element", "decode_element", "spec_to_json", "spec_from_json"]


def encode_element(element) -> bytes:
    parts = []
    for a in structure.flatten(element):
        name = dtypes.from_numpy(a.dtype).name.encode()
        parts.append(struct.pack("<B", len(name)) + name)
        parts.append(struct.pack("<B", a.ndim) + struct.pack(f"<{a.ndim}q", *a.shape))
        if a.dtype == object:
            items = [bytes(v) for v in a.reshape(-1)]
            parts.append(struct.pack(f"<{len(items)}q", *[len(v) for v in items]))
            parts.extend(items)
        else:
            parts.append(np.ascontiguousarray(a).tobytes())
    return b"".join(parts)


def decode_element(data: bytes, like):
    pos, leaves = 0, []
    view = memoryview(data)
    for _ in structure.flatten(like):
        n = data[pos]
        name = bytes(view[pos + 1:pos + 1 + n]).decode()
        pos += 1 + n
        ndim = data[pos]
        shape = struct.unpack_from(f"<{ndim}q", data, pos + 1)
        pos += 1 + 8 * ndim
        count = int(np.prod(shape, dtype=np.int64))
        dtype = dtypes.as_dtype(name)
        if dtype is dtypes.string:
            lengths = struct.unpack_from(f"<{count}q", data, pos)
            pos += 8 * count
            items = np.empty(count, dtype=object)
            for i, k in enumerate(lengths):
                items[i] = bytes(view[pos:pos + k])
                pos += k
            leaves.append(items.reshape(shape))
        else:
            np_dtype = np.dtype(dtype.as_numpy_dtype)
            size = count * np_dtype.itemsize
            leaves.append(np.frombuffer(data, np_dtype, count, pos).reshape(shape).copy())
            pos += size
    return structure.pack(like, leaves)


def _spec_obj(spec):
    if isinstance(spec, dict):
        return {"dict": {k: _spec_obj(v) for k, v in spec.items()}}
    if isinstance(spec, tuple):
        return {"tuple": [_spec_obj(v) for v in spec]}
    return {"spec": [spec.shape.as_list() if spec.shape.rank is not None else None,
                     spec.dtype.name]}


def _spec_from(obj):
    if "dict" in obj:
        return {k: _spec_from(v) for k, v in obj["dict"].items()}
    if "tuple" in obj:
        return tuple(_spec_from(v) for v in obj["tuple"])
    shape, dtype = obj["spec"]
    return TensorSpec(TensorShape(shape), dtypes.as_dtype(dtype))


def spec_to_json(spec) -> str:
    """Namedtuples are stored as plain tuples."""
    return json.dumps(_spec_obj(spec))


def spec_from_json(text):
    return _spec_from(json.loads(text))
