"""Creation ops: range, linspace, eye, meshgrid (kept apart so array_ops may use Python's range)."""
from __future__ import annotations

import numpy as np

from ember.framework import dtypes
from ember.framework.errors import InvalidArgumentError
from ember.framework.op import Op
from ember.engine.dispatch import execute
from ember.framework.tensor import EagerTensor, Tensor
from ember.framework.tensor_shape import TensorShape, broadcast_static
from ember.ops import array_ops, math_ops
from ember.ops._base import EMPTY, _np_set, static_int, tensor

__all__ = [
    "eye",
    "linspace",
    "meshgrid",
    "range",
]

_RANGE_TYPES = (dtypes.int32, dtypes.int64, dtypes.float32, dtypes.float64)
_RANGE_ALLOWED = _np_set(*_RANGE_TYPES, dtypes.bfloat16, dtypes.float16, dtypes.int8,
                         dtypes.int16)


def _range_length(start, limit, delta, np_dtype):
    """Number of elements, computed in the output dtype as TensorFlow does."""
    if delta == 0:
        raise InvalidArgumentError(f"Requires delta != 0: {delta} [Op:Range]")
    if delta > 0 and start > limit:
        raise InvalidArgumentError(f"Requires start <= limit when delta > 0: {start}/{limit} "
                                   f"[Op:Range]")
    if delta < 0 and start < limit:
        raise InvalidArgumentError(f"Requires start >= limit when delta < 0: {start}/{limit} "
                                   f"[Op:Range]")
    if np.dtype(np_dtype).kind in "iu":
        return int(-(-abs(int(limit) - int(start)) // abs(int(delta))))
    s, l_, d = (np.asarray(v, dtype=np_dtype) for v in (start, limit, delta))
    return int(np.ceil(np.abs((l_ - s) / d)))


class _Range(Op):
    name = "Range"
    differentiable = False

    def infer(self, inputs):
        s, l_, d = inputs
        for what, sp in (("start", s), ("limit", l_), ("delta", d)):
            if sp.shape.rank not in (None, 0):
                raise InvalidArgumentError(f"{what} must be a scalar, not shape {sp.shape} "
                                           f"[Op:Range]")
            if sp.dtype is not s.dtype:
                raise InvalidArgumentError(f"range: {what} has dtype {sp.dtype.name} but start "
                                           f"has {s.dtype.name} [Op:Range]")
        if s.dtype._np not in _RANGE_ALLOWED:
            raise InvalidArgumentError(f"range: dtype {s.dtype.name} is not supported; use "
                                       f"an integer or floating type [Op:Range]")
        if s.value is None or l_.value is None or d.value is None:
            return TensorShape([None]), s.dtype
        return TensorShape([_range_length(s.value[()], l_.value[()], d.value[()],
                                          s.dtype.np)]), s.dtype

    def kernel(self, xp, s, l_, d):
        n = self.infer([_spec(s), _spec(l_), _spec(d)])[0][0]
        return (s + np.arange(n, dtype=s.dtype) * d).astype(s.dtype, copy=False)


RANGE = _Range()


def _spec(a):
    from ember.framework.op import Spec
    return Spec(TensorShape(np.shape(a)), dtypes.from_numpy(a.dtype), a)


def _inferred_dtype(v):
    if isinstance(v, Tensor) or getattr(v, "_is_ember_variable", False):
        return tensor(v).dtype
    if isinstance(v, (np.ndarray, np.generic)):
        return dtypes.from_numpy(np.asarray(v).dtype)
    if isinstance(v, float):
        return dtypes.float32
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return dtypes.int32 if -2 ** 31 <= v < 2 ** 31 else dtypes.int64
    raise TypeError(f"range: expected a number or a scalar tensor, got {v!r}")


def range(start, limit=None, delta=1, dtype=None, name="range"):  # noqa: A001
    """A 1-D sequence from ``start`` up to (not including) ``limit`` in steps of ``delta``.

    With one argument it counts from 0. Without ``dtype`` the widest argument type wins
    (Python ints give int32, Python floats float32).

    >>> ember.range(3, 18, 3).numpy()
    array([ 3,  6,  9, 12, 15], dtype=int32)
    """
    if limit is None:
        start, limit = 0, start
    if dtype is not None:
        dt = dtypes.as_dtype(dtype)
    else:
        order = {d: i for i, d in enumerate(_RANGE_TYPES)}
        found = [_inferred_dtype(v) for v in (start, limit, delta)]
        dt = max(found, key=lambda d: order.get(d, -1))
    args = []
    for v in (start, limit, delta):
        if isinstance(v, Tensor) or getattr(v, "_is_ember_variable", False):
            args.append(math_ops.cast(tensor(v), dt))
        else:
            args.append(EagerTensor(np.asarray(v).astype(dt.np)))
    return execute(RANGE, tuple(args), EMPTY, name)


def linspace(start, stop, num, name=None, axis=0):
    """``num`` evenly spaced values from ``start`` to ``stop`` (both included) along ``axis``;
    ``start`` and ``stop`` may be tensors of one shape.

    >>> ember.linspace(10.0, 12.0, 3).numpy()
    array([10., 11., 12.], dtype=float32)
    """
    s = tensor(start, dtype_hint=dtypes.float32)
    e = tensor(stop, dtype_hint=s.dtype)
    if not s.dtype.is_floating:
        raise TypeError(f"linspace: start must be bfloat16, float16, float32 or float64, got "
                        f"{s.dtype.name}")
    if e.dtype is not s.dtype:
        raise TypeError(f"linspace: stop has dtype {e.dtype.name} but start has "
                        f"{s.dtype.name}")
    n = static_int(num, "num", "LinSpace")
    if n < 0:
        raise InvalidArgumentError(f"linspace: num must be non-negative, got {n} "
                                   f"[Op:LinSpace]")
    shape_ = s.shape.as_list()
    if shape_ != e.shape.as_list():
        shape_ = broadcast_static(s.shape, e.shape, "LinSpace").as_list()
        s, e = array_ops.broadcast_to(s, shape_), array_ops.broadcast_to(e, shape_)
    r = len(shape_)
    ax = static_int(axis, "axis", "LinSpace")
    if not -r - 1 <= ax <= r:
        raise InvalidArgumentError(f"linspace: axis {ax} is out of range for start of rank {r} "
                                   f"[Op:LinSpace]")
    ax = ax % (r + 1)
    s_e = array_ops.expand_dims(s, ax)
    e_e = array_ops.expand_dims(e, ax)
    pos_shape = [1] * (r + 1)
    pos_shape[ax] = n
    if n <= 1:
        steps = EagerTensor(np.zeros(pos_shape, dtype=s.dtype.np))
        return math_ops.add(s_e, math_ops.multiply(steps, e_e - s_e))
    frac = EagerTensor((np.arange(n, dtype=np.float64) / (n - 1))
                       .astype(s.dtype.np).reshape(pos_shape))
    inner = s_e + frac * (e_e - s_e)
    last = EagerTensor(np.arange(n).reshape(pos_shape) == n - 1)
    return array_ops.where(last, e_e, inner)


class _Eye(Op):
    name = "Eye"
    differentiable = False

    def infer(self, inputs, num_rows, num_columns, batch_shape, dtype):
        return TensorShape(list(batch_shape) + [num_rows, num_columns]), dtype

    def kernel(self, xp, num_rows, num_columns, batch_shape, dtype):
        m = np.eye(num_rows, num_columns, dtype=dtype.np)
        return np.array(np.broadcast_to(m, tuple(batch_shape) + m.shape))


EYE = _Eye()


def eye(num_rows, num_columns=None, batch_shape=None, dtype=dtypes.float32, name=None):
    """An identity matrix (or a batch of them), ones on the main diagonal.

    >>> ember.eye(2, 3).numpy()
    array([[1., 0., 0.],
           [0., 1., 0.]], dtype=float32)
    """
    rows = static_int(num_rows, "num_rows", "Eye")
    cols = rows if num_columns is None else static_int(num_columns, "num_columns", "Eye")
    batch = () if batch_shape is None else tuple(
        static_int(b, "batch_shape", "Eye") for b in (
            batch_shape.as_list() if isinstance(batch_shape, TensorShape) else
            np.asarray(batch_shape).reshape(-1).tolist()))
    for what, v in (("num_rows", rows), ("num_columns", cols)):
        if v < 0:
            raise InvalidArgumentError(f"eye: {what} must be non-negative, got {v} [Op:Eye]")
    if any(b < 0 for b in batch):
        raise InvalidArgumentError(f"eye: batch_shape must be non-negative, got {list(batch)} "
                                   f"[Op:Eye]")
    return execute(EYE, (), {"num_rows": rows, "num_columns": cols, "batch_shape": batch,
                             "dtype": dtypes.as_dtype(dtype)}, name)


def meshgrid(*args, **kwargs):
    """Coordinate grids from 1-D coordinate vectors; ``indexing`` is "xy" (default,
    Cartesian: the first two outputs are transposed) or "ij" (matrix).

    >>> x, y = ember.meshgrid([1, 2, 3], [4, 5])
    >>> x.numpy()
    array([[1, 2, 3],
           [1, 2, 3]], dtype=int32)
    """
    indexing = kwargs.pop("indexing", "xy")
    kwargs.pop("name", None)
    if kwargs:
        raise TypeError(f"meshgrid: unexpected keyword arguments {sorted(kwargs)}")
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij', got {indexing!r}")
    vecs = [array_ops.reshape(tensor(a), [-1]) for a in args]
    if not vecs:
        return []
    n = len(vecs)
    sizes = [v.shape[0] for v in vecs]
    if indexing == "xy" and n >= 2:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    out = []
    for i, v in enumerate(vecs):
        pos = i
        if indexing == "xy" and n >= 2 and i < 2:
            pos = 1 - i
        view = [1] * n
        view[pos] = -1
        out.append(array_ops.broadcast_to(array_ops.reshape(v, view), sizes))
    return out

