"""``tf.TensorArray``: a list of same-shaped tensors that loops can grow and read, eagerly
and inside traced functions, with gradients.

The array is one dense buffer tensor of shape ``[size, *element_shape]``. Writes are
functional ops (``TensorArrayScatter``) that return a new buffer, so the array can be a
loop variable of ``while_loop`` (it is a ``nest.CompositeTensor`` whose one component is the
buffer) and gradients flow through writes, reads and ``stack``. As in TensorFlow 2, use
the array a write returns: ``ta = ta.write(i, x)`` (eagerly the array also changes in
place). An array whose element shape is not known yet starts as a buffer of ``size``
zeros that the first write of a non-scalar element widens.

Elements must all have the same shape (``concat``/``split`` of elements with different
first dimensions are refused with a clear error).
"""
from __future__ import annotations

import numpy as np

from ember.framework import dtypes
from ember.framework.context import context
from ember.framework.errors import InvalidArgumentError
from ember.framework.nest import CompositeTensor
from ember.framework.op import Op
from ember.engine.dispatch import execute
from ember.framework.tensor import EagerTensor, Tensor, convert_to_tensor
from ember.framework.tensor_shape import TensorShape

__all__ = ["TensorArray", "TensorArraySpec"]


def _static_int(x):
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, EagerTensor):
        return int(x._value)
    v = getattr(x, "_constant_value", None)
    return None if v is None else int(v)


class _Buffer(Op):
    """The initial buffer: ``size`` rows of zeros (or ``size`` scalars while the element
    shape is unknown). Its static shape lets the buffer change across loop iterations
    where the array may grow (first dimension unknown) or learn its element shape (rank
    unknown)."""

    name = "TensorArrayBuffer"
    strings = True
    differentiable = False
    stateful = True    # never folded into a constant: its static shape must stay relaxed
    relaxed_shape = True

    def infer(self, inputs, dtype, element_shape, dynamic_size):
        if element_shape is None:
            return TensorShape(None), dtype
        n = inputs[0].value
        rows = None if dynamic_size or n is None else int(n)
        return TensorShape([rows] + list(element_shape)), dtype

    def kernel(self, xp, size, dtype, element_shape, dynamic_size):
        shape = (int(size),) + (tuple(element_shape) if element_shape is not None else ())
        return np.zeros(shape, dtype=dtype.np)


class _Scatter(Op):
    """A new buffer with ``values[k]`` at row ``indices[k]`` (growing it when dynamic;
    widening a never-written buffer to the values' element shape)."""

    name = "TensorArrayScatter"
    strings = True
    data_dependent_shape = True     # a dynamic array grows to the largest index written

    def infer(self, inputs, dynamic_size):
        buf, _, vals = inputs
        elem = vals.shape[1:] if vals.shape.rank is not None else None
        if elem is None:
            return TensorShape(None), buf.dtype
        if buf.shape.rank is None:        # the element shape comes from the values
            return TensorShape([None]).concatenate(elem), buf.dtype
        if buf.shape.rank != vals.shape.rank:
            return TensorShape([buf.shape[0] if not dynamic_size else None] + list(elem)), \
                buf.dtype
        rows = None if dynamic_size else buf.shape[0]
        return TensorShape([rows]).concatenate(
            buf.shape[1:].merge_with(elem) if buf.shape[1:].is_compatible_with(elem)
            else elem), buf.dtype

    def kernel(self, xp, buf, indices, values, dynamic_size):
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        values = np.asarray(values)
        if values.shape[:1] != idx.shape:
            raise InvalidArgumentError(f"TensorArray scatter: {idx.size} indices but "
                                       f"{values.shape[0] if values.ndim else 0} values")
        if idx.size and idx.min() < 0:
            raise InvalidArgumentError(f"TensorArray: index {int(idx.min())} is negative")
        rows = buf.shape[0]
        need = int(idx.max()) + 1 if idx.size else 0
        if need > rows and not dynamic_size:
            raise InvalidArgumentError(
                f"Tried to write to index {need - 1} but array is not resizeable and size "
                f"is: {rows}")
        elem = values.shape[1:]
        if buf.ndim == 1 and elem != ():
            out = np.zeros((max(rows, need),) + elem, dtype=buf.dtype)   # first write
        elif buf.shape[1:] != elem:
            raise InvalidArgumentError(
                f"TensorArray: could not write an element of shape {list(elem)} into an "
                f"array of elements of shape {list(buf.shape[1:])}")
        else:
            out = np.zeros((max(rows, need),) + elem, dtype=buf.dtype)
            out[:rows] = buf
        out[idx] = values.astype(buf.dtype, copy=False)
        return out

    def grad(self, call, upstream):
        buf, indices, values = call.inputs
        d_buf, d_vals = execute(SCATTER_GRAD, [upstream, buf, indices, values])
        return d_buf, None, d_vals


class _ScatterGrad(Op):
    name = "TensorArrayScatterGrad"
    num_outputs = 2
    differentiable = False

    def infer(self, inputs):
        _, buf, _, vals = inputs
        return [(buf.shape, buf.dtype), (vals.shape, vals.dtype)]

    def kernel(self, xp, upstream, buf, indices, values):
        up = np.asarray(upstream)
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        d_vals = up[idx].reshape(np.shape(values)).astype(np.asarray(values).dtype,
                                                           copy=False)
        if np.ndim(buf) != up.ndim:
            d_buf = np.zeros(np.shape(buf), dtype=up.dtype)
        else:
            d_buf = up[:np.shape(buf)[0]].copy()
            keep = idx[idx < d_buf.shape[0]]
            d_buf[keep] = 0
        return d_buf, d_vals


BUFFER = _Buffer()
SCATTER = _Scatter()
SCATTER_GRAD = _ScatterGrad()


class TensorArray(CompositeTensor):
    """A list of tensors of one dtype and shape, written and read by index.

    >>> ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
    >>> for i in tf.range(3):
    ...     ta = ta.write(i, tf.cast(i, tf.float32) * 2.0)
    >>> ta.stack()
    <tf.Tensor: shape=(3,), dtype=float32, numpy=array([0., 2., 4.], dtype=float32)>
    """

    def __init__(self, dtype, size=None, dynamic_size=None, clear_after_read=None,
                 tensor_array_name=None, handle=None, flow=None, infer_shape=True,
                 element_shape=None, colocate_with_first_write_call=True, name=None):
        self._dtype = dtypes.as_dtype(dtype)
        self._dynamic_size = bool(dynamic_size)
        self._clear_after_read = True if clear_after_read is None else bool(clear_after_read)
        self._infer_shape = infer_shape
        self._name = name or tensor_array_name or "TensorArray"
        shape = TensorShape(element_shape) if element_shape is not None else TensorShape(None)
        # one cell shared by every array made from this one (as loops and writes make them),
        # so the element shape a write inside a loop body learns is known after the loop
        self._shape_cell = [shape]
        if flow is not None:
            self._buffer = convert_to_tensor(flow)
            return
        if size is None:
            raise ValueError("TensorArray: size must be given (use size=0 with "
                             "dynamic_size=True for an array that grows)")
        size = convert_to_tensor(size, dtype=dtypes.int32)
        known = tuple(shape.as_list()) if shape.is_fully_defined() else None
        attrs = {"dtype": self._dtype, "element_shape": known,
                 "dynamic_size": self._dynamic_size}
        if isinstance(size, EagerTensor) and context.graph is None:
            self._buffer = EagerTensor(BUFFER.kernel(np, size._value, **attrs))
        else:
            self._buffer = execute(BUFFER, [size], attrs)

    # -- composite -----------------------------------------------------------------------
    def _ember_components(self):
        return [self._buffer]

    def _ember_rebuild(self, components):
        return self._with_buffer(components[0])

    def _with_buffer(self, buffer, element_shape=None):
        new = TensorArray.__new__(TensorArray)
        new.__dict__.update(self.__dict__)
        new._buffer = buffer
        if element_shape is not None:
            new._shape_cell[0] = element_shape
        return new

    def _updated(self, buffer, element_shape=None):
        """Eagerly the array changes in place (and is returned); in a graph a new array."""
        if context.graph is None:
            self._buffer = buffer
            if element_shape is not None:
                self._shape_cell[0] = element_shape
            return self
        return self._with_buffer(buffer, element_shape)

    # -- properties ------------------------------------------------------------------
    @property
    def dtype(self):
        return self._dtype

    @property
    def dynamic_size(self):
        return self._dynamic_size

    @property
    def element_shape(self) -> TensorShape:
        return self._shape_cell[0]

    @property
    def _element_shape(self):
        return self._shape_cell[0]

    def _shaped(self):
        """The buffer with the static shape the writes showed (after a loop, the buffer's
        own static shape is the loop's relaxed invariant)."""
        b = self._buffer
        elem = self._shape_cell[0]
        if isinstance(b, EagerTensor) or elem.rank is None or (
                b.shape.rank is not None and b.shape[1:].is_fully_defined()):
            return b
        if elem.is_fully_defined():
            from ember.ops.array_ops import reshape
            return reshape(b, [-1] + elem.as_list())
        from ember.ops.check_ops import ensure_shape
        return ensure_shape(b, [None] + elem.as_list())

    @property
    def flow(self):
        """The buffer tensor (what carries the array through loops)."""
        return self._buffer

    @property
    def handle(self):
        return self._buffer

    def size(self, name=None):
        """The number of elements (an int32 scalar tensor)."""
        from ember.ops.array_ops import shape as shape_of
        b = self._buffer
        if isinstance(b, EagerTensor):
            return convert_to_tensor(np.int32(b._value.shape[0]))
        if b.shape.rank is not None and b.shape[0] is not None:
            return convert_to_tensor(np.int32(b.shape[0]))
        return shape_of(b)[0]

    # -- writing ------------------------------------------------------------------------
    def _check_element(self, value, what):
        value = convert_to_tensor(value, dtype_hint=self._dtype)
        if value.dtype is not self._dtype:
            raise TypeError(f"TensorArray {what}: the array holds {self._dtype.name}, got a "
                            f"{value.dtype.name} value")
        return value

    def _merge_shape(self, elem, what):
        if not self._infer_shape:
            return None
        if not self._element_shape.is_compatible_with(elem):
            raise ValueError(f"TensorArray {what}: element shape {elem} is incompatible with "
                             f"the array's element shape {self._element_shape}")
        return self._element_shape.merge_with(elem)

    def write(self, index, value, name=None):
        """The array with ``value`` at ``index`` (use the returned array)."""
        value = self._check_element(value, "write")
        shape = self._merge_shape(value.shape, "write")
        from ember.ops.array_ops import expand_dims, reshape
        index = convert_to_tensor(index, dtype=dtypes.int32)
        buf = execute(SCATTER, [self._buffer, reshape(index, [1]), expand_dims(value, 0)],
                      {"dynamic_size": self._dynamic_size})
        return self._updated(buf, shape)

    def scatter(self, indices, value, name=None):
        """The array with ``value[k]`` at ``indices[k]``."""
        value = self._check_element(value, "scatter")
        shape = self._merge_shape(value.shape[1:], "scatter")
        indices = convert_to_tensor(indices, dtype=dtypes.int32)
        buf = execute(SCATTER, [self._buffer, indices, value],
                      {"dynamic_size": self._dynamic_size})
        return self._updated(buf, shape)

    def unstack(self, value, name=None):
        """The array whose elements are the rows of ``value``."""
        value = self._check_element(value, "unstack")
        if value.shape.rank == 0:
            raise ValueError("TensorArray unstack: the value must have rank >= 1, got a scalar")
        shape = self._merge_shape(value.shape[1:], "unstack")
        if not self._dynamic_size:
            size = _static_int(self.size())
            rows = value.shape[0]
            if size is not None and rows is not None and rows > size:
                raise InvalidArgumentError(f"TensorArray unstack: {rows} rows do not fit an "
                                           f"array of size {size} that is not resizeable")
        from ember.ops.creation_ops import range as range_
        from ember.ops.array_ops import shape as shape_of
        n = value.shape[0] if value.shape[0] is not None else shape_of(value)[0]
        buf = execute(SCATTER, [self._buffer, range_(n), value],
                      {"dynamic_size": self._dynamic_size})
        return self._updated(buf, shape)

    def split(self, value, lengths, name=None):
        """The array whose elements are consecutive pieces of ``value`` of ``lengths``
        rows (all lengths must be equal: elements share one shape)."""
        value = self._check_element(value, "split")
        lengths = np.asarray(lengths if not isinstance(lengths, Tensor) else
                             _known_array(lengths, "split lengths"))
        if lengths.size and np.any(lengths != lengths.flat[0]):
            raise NotImplementedError(
                "TensorArray split: elements of different lengths "
                f"({lengths.tolist()}) are not supported; ember's TensorArray holds elements "
                "of one shape")
        from ember.ops.array_ops import reshape, shape as shape_of
        n, piece = int(lengths.size), int(lengths.flat[0]) if lengths.size else 0
        rest = value.shape[1:].as_list() if value.shape[1:].is_fully_defined() else None
        new_shape = [n, piece] + rest if rest is not None else \
            ember_concat([[n, piece], shape_of(value)[1:]])
        return self.unstack(reshape(value, new_shape))

    # -- reading ------------------------------------------------------------------------
    def read(self, index, name=None):
        """The element at ``index``."""
        from ember.ops.array_ops import gather
        i = _static_int(index)
        b = self._shaped()
        if i is not None and isinstance(b, EagerTensor) and not 0 <= i < b._value.shape[0]:
            raise InvalidArgumentError(f"Tried to read from index {i} but array size is: "
                                       f"{b._value.shape[0]}")
        return gather(b, convert_to_tensor(index, dtype=dtypes.int32))

    def gather(self, indices, name=None):
        """The elements at ``indices``, stacked."""
        from ember.ops.array_ops import gather
        return gather(self._shaped(), convert_to_tensor(indices, dtype=dtypes.int32))

    def stack(self, name=None):
        """All elements stacked along a new first axis."""
        from ember.ops.array_ops import identity
        return identity(self._shaped())

    def concat(self, name=None):
        """All elements joined along their first axis."""
        from ember.ops.array_ops import reshape, shape as shape_of
        b = self._shaped()
        if b.shape.rank is not None and b.shape.rank < 2:
            raise ValueError("TensorArray concat: elements must have rank >= 1, the array "
                             "holds scalars")
        if b.shape.rank is not None and b.shape[2:].is_fully_defined():
            return reshape(b, [-1] + b.shape[2:].as_list())
        return reshape(b, ember_concat([[-1], shape_of(b)[2:]]))

    # -- misc ---------------------------------------------------------------------------
    def identity(self):
        return self._with_buffer(self._buffer)

    def grad(self, source, flow=None, name=None):
        raise NotImplementedError("TensorArray.grad: take gradients of the tensors read or "
                                  "stacked from the array with GradientTape instead")

    def close(self, name=None):
        return None

    def __repr__(self):
        return (f"<ember.TensorArray dtype={self._dtype.name} element_shape="
                f"{self._element_shape} dynamic_size={self._dynamic_size}>")


def ember_concat(values):
    from ember.ops.array_ops import concat
    return concat([convert_to_tensor(v, dtype=dtypes.int32) for v in values], 0)


def _known_array(t, what):
    if isinstance(t, EagerTensor):
        return t._value
    v = getattr(t, "_constant_value", None)
    if v is None:
        raise NotImplementedError(f"TensorArray: {what} must be known when the graph is built")
    return v


class TensorArraySpec(CompositeTensor):
    """Describes a TensorArray argument (``input_signature``): element shape and dtype."""

    def __init__(self, element_shape=None, dtype=dtypes.float32, dynamic_size=False,
                 infer_shape=True):
        self._element_shape = TensorShape(element_shape)
        self._dtype = dtypes.as_dtype(dtype)
        self._dynamic_size = bool(dynamic_size)
        self._infer_shape = infer_shape

    @property
    def element_shape(self) -> TensorShape:
        return self._element_shape

    @property
    def dtype(self):
        return self._dtype

    @classmethod
    def from_value(cls, value):
        if not isinstance(value, TensorArray):
            raise TypeError(f"TensorArraySpec.from_value: expected a TensorArray, got "
                            f"{type(value).__name__}")
        return cls(value.element_shape, value.dtype, value.dynamic_size)

    def _ember_components(self):
        from ember.engine.function import TensorSpec
        shape = None if self._element_shape.rank is None else \
            [None] + self._element_shape.as_list()
        return [TensorSpec(shape, self._dtype)]

    def _ember_rebuild(self, components):
        if type(components[0]).__name__ == "TensorSpec":
            return TensorArraySpec(self._element_shape, self._dtype, self._dynamic_size,
                                   self._infer_shape)
        return TensorArray(self._dtype, dynamic_size=self._dynamic_size,
                           element_shape=self._element_shape if
                           self._element_shape.rank is not None else None,
                           infer_shape=self._infer_shape, flow=components[0])

    def __eq__(self, other):
        return isinstance(other, TensorArraySpec) and \
            (self._element_shape, self._dtype, self._dynamic_size) == \
            (other._element_shape, other._dtype, other._dynamic_size)

    def __hash__(self):
        return hash((self._element_shape, self._dtype.name, self._dynamic_size))

    def __repr__(self):
        return (f"TensorArraySpec(element_shape={self._element_shape}, dtype={self._dtype!r}, "
                f"dynamic_size={self._dynamic_size})")
