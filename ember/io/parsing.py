"""Parsing serialized ``tf.train.Example``s: ``parse_single_example`` / ``parse_example``
with ``FixedLenFeature``, ``VarLenFeature`` and ``FixedLenSequenceFeature``.

A ``VarLenFeature`` parses to a ``tf.sparse.SparseTensor`` (indices [N, rank] int64,
values, dense_shape), as in TensorFlow. With only ``FixedLenFeature``s, parsing a
symbolic tensor (inside ``ember.function``) adds one ``ParseExampleDense`` op to the graph,
so exported signatures can take serialized Examples (TensorFlow Serving's classify and
regress); other features parse eagerly: inside a traced ``Dataset.map`` the function then
falls back to eager execution (see ember.data.tracing)."""
from __future__ import annotations

import collections

import numpy as np

from ember.engine.dispatch import execute
from ember.engine.graph import SymbolicTensor
from ember.framework import dtypes
from ember.framework.errors import InvalidArgumentError
from ember.framework.op import Op
from ember.framework.tensor_shape import TensorShape
from ember.io.example_proto import DecodeError, Example

__all__ = ["FixedLenFeature", "VarLenFeature", "FixedLenSequenceFeature",
           "parse_single_example", "parse_example"]


class FixedLenFeature(collections.namedtuple("FixedLenFeature",
                                             ["shape", "dtype", "default_value"])):
    """A feature with a fixed number of values, parsed to a dense tensor of ``shape``."""

    def __new__(cls, shape, dtype, default_value=None):
        return super().__new__(cls, shape, dtype, default_value)


class VarLenFeature(collections.namedtuple("VarLenFeature", ["dtype"])):
    """A feature with any number of values, parsed to a ``tf.sparse.SparseTensor``."""


class FixedLenSequenceFeature(collections.namedtuple(
        "FixedLenSequenceFeature", ["shape", "dtype", "allow_missing", "default_value"])):
    """Any number of values of ``shape`` each, parsed to a dense [n, *shape] tensor."""

    def __new__(cls, shape, dtype, allow_missing=False, default_value=None):
        return super().__new__(cls, shape, dtype, allow_missing, default_value)


_LISTS = {"float32": "float_list", "int64": "int64_list", "string": "bytes_list"}


def _kind_of(dtype, key):
    d = dtypes.as_dtype(dtype)
    if d.name not in _LISTS:
        raise ValueError(f"Feature {key!r}: dtype must be tf.float32, tf.int64 or "
                         f"tf.string, got {d.name}.")
    return d


def _np_dtype(d):
    return object if d is dtypes.string else d.as_numpy_dtype


def _values(feature, d, key):
    kind = feature.WhichOneof("kind")
    if kind is None:
        return np.zeros(0, dtype=_np_dtype(d))
    if kind != _LISTS[d.name]:
        have = {"float_list": "float", "int64_list": "int64", "bytes_list": "string"}[kind]
        raise InvalidArgumentError(f"Key: {key}. Data types don't match. Data type: {have} "
                                   f"but expected type: "
                                   f"{'float' if d is dtypes.float32 else d.name}")
    values = getattr(feature, kind).value
    if d is dtypes.string:
        arr = np.empty(len(values), dtype=object)
        arr[:] = list(values)
        return arr
    return np.asarray(values, dtype=d.as_numpy_dtype)


def _serialized_list(serialized):
    if hasattr(serialized, "numpy"):
        serialized = serialized.numpy()
    if isinstance(serialized, (bytes, str)):
        return [serialized], True
    arr = np.asarray(serialized, dtype=object)
    if arr.ndim == 0:
        return [arr[()]], True
    return list(arr.reshape(-1)), False


def _decode(s, index):
    if isinstance(s, str):
        s = s.encode()
    try:
        return Example.FromString(bytes(s))
    except DecodeError as e:
        raise InvalidArgumentError(f"Could not parse example input, value #{index}: {e}") \
            from None


def _fixed(examples, key, spec):
    d = _kind_of(spec.dtype, key)
    shape = [int(x) for x in (spec.shape if spec.shape is not None else [])]
    size = int(np.prod(shape, dtype=np.int64))
    default = None
    if spec.default_value is not None:
        default = np.asarray(spec.default_value if d is not dtypes.string else
                             np.asarray(spec.default_value, dtype=object),
                             dtype=_np_dtype(d))
        if d is dtypes.string:
            default = np.vectorize(lambda v: v.encode() if isinstance(v, str) else v,
                                   otypes=[object])(default)
        default = np.broadcast_to(default, shape) if default.size in (1, size) else default
    rows = []
    for ex in examples:
        feats = ex.features.feature
        if key not in feats:
            if default is None:
                name = "float" if d is dtypes.float32 else d.name
                raise InvalidArgumentError(f"Feature: {key} (data type: {name}) is required "
                                           f"but could not be found.")
            rows.append(np.array(default, dtype=_np_dtype(d)).reshape(shape))
            continue
        v = _values(feats[key], d, key)
        if v.size != size:
            raise InvalidArgumentError(f"Key: {key}.  Can't parse serialized Example: "
                                       f"Number of {'float' if d is dtypes.float32 else d.name}"
                                       f" values != expected.  Values size: {v.size} but "
                                       f"output shape: {shape}")
        rows.append(v.reshape(shape))
    return rows


def _sequence(examples, key, spec):
    d = _kind_of(spec.dtype, key)
    shape = [int(x) for x in (spec.shape or [])]
    size = int(np.prod(shape, dtype=np.int64))
    rows = []
    for ex in examples:
        feats = ex.features.feature
        if key not in feats:
            if not spec.allow_missing:
                raise InvalidArgumentError(f"Feature: {key} is required but could not be "
                                           f"found (FixedLenSequenceFeature with "
                                           f"allow_missing=False).")
            rows.append(np.zeros([0] + shape, dtype=_np_dtype(d)))
            continue
        v = _values(feats[key], d, key)
        if size and v.size % size:
            raise InvalidArgumentError(f"Key: {key}. Number of values {v.size} is not a "
                                       f"multiple of the element size {size} of shape "
                                       f"{shape}.")
        rows.append(v.reshape([-1] + shape) if size else v.reshape([0] + shape))
    return rows


def _to_tensor(arr):
    from ember.framework.tensor import EagerTensor
    return EagerTensor(arr)


class _ParseExampleDense(Op):
    """Serialized Examples (a string scalar or vector) -> one dense tensor per
    FixedLenFeature: the graph form of ``parse_example`` (no gradient)."""

    name = "ParseExampleDense"
    strings = True
    differentiable = False

    def output_count(self, attrs):
        return len(attrs["keys"])

    def infer(self, inputs, keys, dtypes_, shapes, defaults):
        (serialized,) = inputs
        if serialized.dtype is not dtypes.string:
            raise InvalidArgumentError(f"ParseExampleDense: serialized must be a string "
                                       f"tensor, got {serialized.dtype.name}")
        if serialized.shape.rank not in (None, 0, 1):
            raise InvalidArgumentError(f"ParseExampleDense: serialized must be a scalar or "
                                       f"a vector, got shape {serialized.shape}")
        batch = [] if serialized.shape.rank == 0 else \
            [serialized.shape[0] if serialized.shape.rank == 1 else None]
        return [(TensorShape(batch + list(shape)), d) for shape, d in zip(shapes, dtypes_)]

    def kernel(self, xp, serialized, keys, dtypes_, shapes, defaults):
        items, single = _serialized_list(serialized)
        examples = [_decode(s, i) for i, s in enumerate(items)]
        out = []
        for key, d, shape, default in zip(keys, dtypes_, shapes, defaults):
            if default is not None and d is dtypes.string:
                default = tuple(v.encode("latin-1") for v in default)
            spec = FixedLenFeature(list(shape), d, None if default is None else
                                   np.asarray(default, dtype=_np_dtype(d)).reshape(shape))
            rows = _fixed(examples, key, spec)
            out.append(rows[0] if single else np.stack(rows) if rows else
                       np.zeros([0] + list(shape), _np_dtype(d)))
        return tuple(out)


PARSE_EXAMPLE_DENSE = _ParseExampleDense()


def _default_attr(spec, d):
    """A FixedLenFeature's default as a flat tuple (strings as latin-1 text), or None."""
    if spec.default_value is None:
        return None
    shape = [int(x) for x in (spec.shape or [])]
    values = np.broadcast_to(np.asarray(spec.default_value, dtype=object), shape).reshape(-1)
    if d is dtypes.string:
        return tuple((v if isinstance(v, bytes) else str(v).encode()).decode("latin-1")
                     for v in values)
    return tuple(d.as_numpy_dtype(v).item() for v in values)


def _parse_in_graph(serialized, features, name=None):
    keys = tuple(features)
    kinds = tuple(_kind_of(features[k].dtype, k) for k in keys)
    shapes = tuple(tuple(int(x) for x in (features[k].shape or [])) for k in keys)
    defaults = tuple(_default_attr(features[k], d) for k, d in zip(keys, kinds))
    out = execute(PARSE_EXAMPLE_DENSE, [serialized],
                  {"keys": keys, "dtypes_": kinds, "shapes": shapes, "defaults": defaults},
                  name)
    return dict(zip(keys, out if isinstance(out, (list, tuple)) else [out]))


def _parse(serialized, features, single):
    if not isinstance(features, dict):
        raise TypeError("parse_example: `features` must be a dict of feature name to "
                        "FixedLenFeature/VarLenFeature/FixedLenSequenceFeature.")
    if isinstance(serialized, SymbolicTensor) and features and \
            all(type(f) is FixedLenFeature for f in features.values()):
        if single and serialized.shape.rank not in (None, 0):
            raise ValueError("parse_single_example: `serialized` must be a scalar string.")
        return _parse_in_graph(serialized, features)
    items, scalar = _serialized_list(serialized)
    if single and not scalar:
        raise ValueError("parse_single_example: `serialized` must be a scalar string.")
    examples = [_decode(s, i) for i, s in enumerate(items)]
    out = {}
    for key, spec in features.items():
        if isinstance(spec, FixedLenFeature):
            rows = _fixed(examples, key, spec)
            arr = rows[0] if single else np.stack(rows) if rows else \
                np.zeros([0] + list(spec.shape or []), _np_dtype(_kind_of(spec.dtype, key)))
            out[key] = _to_tensor(arr)
        elif isinstance(spec, FixedLenSequenceFeature):
            rows = _sequence(examples, key, spec)
            if single:
                out[key] = _to_tensor(rows[0])
            else:
                d = _kind_of(spec.dtype, key)
                longest = max((len(r) for r in rows), default=0)
                fill = spec.default_value if spec.default_value is not None else \
                    (b"" if d is dtypes.string else 0)
                arr = np.full([len(rows), longest] + list(spec.shape or []), fill,
                              dtype=_np_dtype(d))
                for i, r in enumerate(rows):
                    arr[i, :len(r)] = r
                out[key] = _to_tensor(arr)
        elif isinstance(spec, VarLenFeature):
            d = _kind_of(spec.dtype, key)
            rows = [(_values(ex.features.feature[key], d, key) if key in ex.features.feature
                     else np.zeros(0, _np_dtype(d))) for ex in examples]
            values = np.concatenate(rows) if rows else np.zeros(0, _np_dtype(d))
            if d is dtypes.string:
                values = values.astype(object)
            if single:
                indices = np.arange(len(values), dtype=np.int64).reshape(-1, 1)
                shape = [len(values)]
            else:
                indices = np.array([[i, j] for i, r in enumerate(rows) for j in range(len(r))],
                                   dtype=np.int64).reshape(-1, 2)
                shape = [len(rows), max((len(r) for r in rows), default=0)]
            from ember.ops.sparse_ops import SparseTensor
            out[key] = SparseTensor(_to_tensor(indices), _to_tensor(values),
                                    _to_tensor(np.asarray(shape, np.int64)))
        else:
            raise TypeError(f"parse_example: feature {key!r} has an unsupported "
                            f"configuration {spec!r}.")
    return out


def parse_single_example(serialized, features, example_names=None, name=None):
    """One serialized Example -> dict of tensors (and ``SparseTensor``s)."""
    return _parse(serialized, features, True)


def parse_example(serialized, features, example_names=None, name=None):
    """A vector of serialized Examples -> dict of batched tensors."""
    return _parse(serialized, features, False)
