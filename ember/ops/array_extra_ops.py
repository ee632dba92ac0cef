"""More of TensorFlow's top-level array functions: reverse_sequence, searchsorted,
sequence_mask, tensor_scatter_nd_max/min, unique_with_counts, unravel_index,
dynamic_partition/stitch, histograms, identity_n, shape_n, parallel_stack, bitcast,
broadcast shapes, extract_volume_patches, approx_top_k.

Primitives (with a NumPy kernel) only where a composite cannot do: reverse_sequence
(its own adjoint), searchsorted, bitcast, broadcast_dynamic_shape.
"""
from __future__ import annotations

import numpy as np

from ember.framework import dtypes
from ember.framework.errors import InvalidArgumentError
from ember.framework.op import Op
from ember.engine.dispatch import execute
from ember.framework.tensor_shape import TensorShape, as_shape, broadcast_static
from ember.ops import array_ops, creation_ops, math_ops, reduce_ops
from ember.ops._base import EMPTY, tensor

__all__ = [
    "approx_top_k", "bitcast", "broadcast_dynamic_shape", "broadcast_static_shape",
    "dynamic_partition", "dynamic_stitch", "extract_volume_patches", "guarantee_const",
    "histogram_fixed_width", "histogram_fixed_width_bins", "identity_n", "parallel_stack",
    "reverse_sequence", "searchsorted", "sequence_mask", "shape_n", "tensor_scatter_nd_max",
    "tensor_scatter_nd_min", "unique_with_counts", "unravel_index",
]


# ------------------------------------------------------------------ reverse_sequence ---
class _ReverseSequence(Op):
    """Reverses the first seq_lengths[b] entries along seq_axis of each batch entry b."""

    name = "ReverseSequence"

    def infer(self, inputs, seq_axis, batch_axis):
        x, lengths = inputs
        if not lengths.dtype.is_integer:
            raise InvalidArgumentError(f"{self.name}: seq_lengths must be integers, got "
                                       f"{lengths.dtype.name}")
        return x.shape, x.dtype

    def kernel(self, xp, x, lengths, seq_axis, batch_axis):
        if lengths.ndim != 1 or lengths.shape[0] != x.shape[batch_axis]:
            raise InvalidArgumentError(
                f"{self.name}: seq_lengths must be a vector of size input.shape[batch_axis] = "
                f"{x.shape[batch_axis]}, got shape {list(lengths.shape)}")
        n = x.shape[seq_axis]
        if lengths.size and (lengths.max() > n or lengths.min() < 0):
            raise InvalidArgumentError(f"{self.name}: seq_lengths must be in [0, {n}], got "
                                       f"{lengths.tolist()}")
        pos = np.arange(n)[None, :]
        length = lengths.astype(np.int64)[:, None]
        src = np.where(pos < length, length - 1 - pos, pos)            # [batch, n]
        moved = np.moveaxis(x, (batch_axis, seq_axis), (0, 1))
        index = src.reshape(src.shape + (1,) * (moved.ndim - 2))
        out = np.take_along_axis(moved, np.broadcast_to(index, moved.shape), axis=1)
        return np.moveaxis(out, (0, 1), (batch_axis, seq_axis))

    def grad(self, call, g):
        x, lengths = call.inputs
        return execute(self, (g, lengths), call.attrs), None


REVERSE_SEQUENCE = _ReverseSequence()


def reverse_sequence(input, seq_lengths, seq_axis=None, batch_axis=None,  # noqa: A002
                     name=None):
    """Reverses, for each index b along ``batch_axis``, the first ``seq_lengths[b]``
    entries along ``seq_axis``; the rest stay in place.

    >>> ember.reverse_sequence([[1, 2, 3], [4, 5, 6]], [2, 3], seq_axis=1,
    ...                        batch_axis=0).numpy()
    array([[2, 1, 3],
           [6, 5, 4]], dtype=int32)
    """
    x = tensor(input)
    rank = x.shape.rank
    if rank is None or rank < 2:
        raise ValueError(f"reverse_sequence: input must have a known rank >= 2, got "
                         f"{x.shape}")
    seq_axis = 1 if seq_axis is None else int(seq_axis) % rank
    batch_axis = 0 if batch_axis is None else int(batch_axis) % rank
    if seq_axis == batch_axis:
        raise ValueError(f"reverse_sequence: seq_axis and batch_axis must differ, both are "
                         f"{seq_axis}")
    return execute(REVERSE_SEQUENCE, (x, tensor(seq_lengths, dtype_hint=dtypes.int64)),
                   {"seq_axis": seq_axis, "batch_axis": batch_axis}, name)


# ------------------------------------------------------------------- searchsorted ---
class _SearchSorted(Op):
    name = "SearchSorted"
    differentiable = False

    def infer(self, inputs, side, out_type):
        seq, values = inputs
        if seq.dtype is not values.dtype:
            raise InvalidArgumentError(f"{self.name}: sorted_sequence and values must have "
                                       f"one dtype, got {seq.dtype.name} and "
                                       f"{values.dtype.name}")
        return values.shape, out_type

    def kernel(self, xp, seq, values, side, out_type):
        if seq.ndim != values.ndim or seq.shape[:-1] != values.shape[:-1]:
            raise InvalidArgumentError(
                f"{self.name}: sorted_sequence and values must have the same leading "
                f"dimensions, got {list(seq.shape)} and {list(values.shape)}")
        s = seq.reshape(-1, seq.shape[-1])
        v = values.reshape(-1, values.shape[-1])
        out = np.stack([np.searchsorted(s[i], v[i], side=side) for i in range(s.shape[0])]) \
            if s.shape[0] else np.zeros(v.shape, np.int64)
        return out.reshape(values.shape).astype(out_type.np)


SEARCH_SORTED = _SearchSorted()


def searchsorted(sorted_sequence, values, side="left", out_type=dtypes.int32, name=None):
    """For each value (rows of ``values`` against the matching rows of
    ``sorted_sequence``) the index where it would be inserted to keep the row sorted.

    >>> ember.searchsorted([[0., 3., 9.]], [[2., 9., 10.]], side="right").numpy()
    array([[1, 3, 3]], dtype=int32)
    """
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
    seq = tensor(sorted_sequence)
    vals = tensor(values, dtype=seq.dtype)
    if seq.shape.rank == 0 or vals.shape.rank == 0:
        raise ValueError("searchsorted: sorted_sequence and values must have rank >= 1")
    return execute(SEARCH_SORTED, (seq, vals), {"side": side,
                                                "out_type": dtypes.as_dtype(out_type)}, name)


def sequence_mask(lengths, maxlen=None, dtype=dtypes.bool, name=None):
    """A mask whose row i has ``lengths[i]`` leading True values, of width ``maxlen``
    (default: the largest length).

    >>> ember.sequence_mask([1, 3], 4).numpy()
    array([[ True, False, False, False],
           [ True,  True,  True, False]])
    """
    lengths = tensor(lengths)
    if not lengths.dtype.is_integer:
        raise TypeError(f"sequence_mask: lengths must be integers, got {lengths.dtype.name}")
    if maxlen is None:
        maxlen = math_ops.maximum(reduce_ops.reduce_max(lengths), 0)
    maxlen = math_ops.cast(tensor(maxlen), lengths.dtype)
    row = creation_ops.range(maxlen, dtype=lengths.dtype)
    mask = math_ops.less(row, array_ops.expand_dims(lengths, -1))
    dtype = dtypes.as_dtype(dtype)
    return mask if dtype is dtypes.bool else math_ops.cast(mask, dtype, name=name)


# -------------------------------------------------------------- scatter max and min ---
def _scatter_extreme(kind, tensor_, indices, updates, name):
    x = tensor(tensor_)
    idx = tensor(indices)
    upd = tensor(updates, dtype=x.dtype)
    picked = array_ops.gather_nd(x, idx)
    better = math_ops.maximum(picked, upd) if kind == "max" else math_ops.minimum(picked, upd)
    # duplicates: reduce the updates of each index first (segment max/min over the index)
    from ember.ops.segment_ops import unsorted_segment_max, unsorted_segment_min
    shape = array_ops.shape(x, out_type=idx.dtype)
    depth = idx.shape[-1]
    strides = math_ops.cumprod(shape[:depth], exclusive=True, reverse=True)
    flat = reduce_ops.reduce_sum(idx * strides, axis=-1)
    flat = array_ops.reshape(flat, [-1])
    count = reduce_ops.reduce_prod(shape[:depth])
    rest = array_ops.shape(x)[depth:]
    upd_rows = array_ops.reshape(better, array_ops.concat([[-1], rest], 0))
    reducer = unsorted_segment_max if kind == "max" else unsorted_segment_min
    reduced = reducer(upd_rows, flat, count)
    x_rows = array_ops.reshape(x, array_ops.concat([[-1], rest], 0))
    touched = math_ops.unsorted_segment_sum(array_ops.ones_like(flat, dtype=dtypes.int32),
                                            flat, count)
    touched = array_ops.reshape(math_ops.greater(touched, 0), array_ops.concat(
        [[-1], array_ops.ones_like(rest)], 0))
    merged = array_ops.where(touched, reduced, x_rows)
    return array_ops.reshape(merged, array_ops.shape(x), name=name)


def tensor_scatter_nd_max(tensor, indices, updates, name=None):  # noqa: F811
    """A copy of ``tensor`` where each indexed entry is the maximum of itself and its
    updates.

    >>> ember.tensor_scatter_nd_max([1, 5, 3], [[0], [1], [0]], [4, 2, 2]).numpy()
    array([4, 5, 3], dtype=int32)
    """
    return _scatter_extreme("max", tensor, indices, updates, name)


def tensor_scatter_nd_min(tensor, indices, updates, name=None):  # noqa: F811
    """A copy of ``tensor`` where each indexed entry is the minimum of itself and its
    updates."""
    return _scatter_extreme("min", tensor, indices, updates, name)


# ------------------------------------------------------------------ small functions ---
def unique_with_counts(x, out_idx=dtypes.int32, name=None):
    """``(y, idx, count)``: unique's values and positions, and how often each value
    occurs.

    >>> y, idx, count = ember.unique_with_counts([1, 1, 2, 4, 4, 4])
    >>> count.numpy()
    array([2, 1, 3], dtype=int32)
    """
    y, idx = array_ops.unique(x, out_idx=out_idx)
    count = math_ops.unsorted_segment_sum(array_ops.ones_like(idx), idx, array_ops.size(
        y, out_type=idx.dtype))
    return y, idx, count


def unravel_index(indices, dims, name=None):
    """The coordinates of flat ``indices`` in an array of shape ``dims``: shape
    [len(dims)] + indices.shape.

    >>> ember.unravel_index([1, 5], [2, 3]).numpy()
    array([[0, 1],
           [1, 2]], dtype=int32)
    """
    idx = tensor(indices)
    d = tensor(dims, dtype=idx.dtype)
    if idx.dtype not in (dtypes.int32, dtypes.int64):
        raise TypeError(f"unravel_index: indices must be int32 or int64, got {idx.dtype.name}")
    strides = math_ops.cumprod(d, exclusive=True, reverse=True)
    rank = idx.shape.rank
    shape = [-1] + [1] * (rank or 0)
    coords = math_ops.floormod(math_ops.floordiv(array_ops.expand_dims(idx, 0),
                                                 array_ops.reshape(strides, shape)),
                               array_ops.reshape(d, shape))
    return array_ops.identity(coords, name=name)


def dynamic_partition(data, partitions, num_partitions, name=None):
    """Splits ``data`` into ``num_partitions`` tensors: entry i of ``data`` (leading
    dimensions = partitions.shape) goes to output ``partitions[i]``.

    >>> [p.numpy().tolist() for p in ember.dynamic_partition([10, 20, 30], [1, 0, 1], 2)]
    [[20], [10, 30]]
    """
    data = tensor(data)
    parts = tensor(partitions)
    if parts.dtype is not dtypes.int32:
        parts = math_ops.cast(parts, dtypes.int32)
    from ember.ops.check_ops import assert_less
    from ember.ops.control_flow_ops import control_dependencies
    check = assert_less(parts, int(num_partitions),
                        message="dynamic_partition: partitions must be < num_partitions")
    with control_dependencies([check] if check is not None else []):
        return [array_ops.boolean_mask(data, math_ops.equal(parts, i))
                for i in range(int(num_partitions))]


def dynamic_stitch(indices, data, name=None):
    """Interleaves ``data`` tensors into one: merged[indices[m][i]] = data[m][i] (a later
    entry wins for a repeated index).

    >>> ember.dynamic_stitch([[0, 2], [1]], [[10, 30], [20]]).numpy()
    array([10, 20, 30], dtype=int32)
    """
    if len(indices) != len(data):
        raise ValueError(f"dynamic_stitch: got {len(indices)} index tensors and {len(data)} "
                         f"data tensors")
    idx = [math_ops.cast(tensor(i), dtypes.int32) for i in indices]
    dat = [tensor(d) for d in data]
    flat_idx = array_ops.concat([array_ops.reshape(i, [-1]) for i in idx], 0)
    tail = array_ops.shape(dat[0])[idx[0].shape.rank:]
    flat = array_ops.concat([array_ops.reshape(d, array_ops.concat([[-1], tail], 0))
                             for d in dat], 0)
    size = reduce_ops.reduce_max(flat_idx) + 1
    # the last occurrence of each index wins
    position = creation_ops.range(array_ops.size(flat_idx))
    from ember.ops.segment_ops import unsorted_segment_max
    last = unsorted_segment_max(position, flat_idx, size)
    rows = array_ops.gather(flat, math_ops.maximum(last, 0))
    present = math_ops.greater_equal(last, 0)
    present = array_ops.reshape(present, array_ops.concat(
        [[-1], array_ops.ones_like(tail)], 0))
    return array_ops.where(present, rows, array_ops.zeros_like(rows), name=name)


def histogram_fixed_width_bins(values, value_range, nbins=100, dtype=dtypes.int32, name=None):
    """The bin (0..nbins-1) of each value among ``nbins`` equal bins over ``value_range``;
    values outside go to the first or last bin.

    >>> ember.histogram_fixed_width_bins([-1.0, 0.0, 1.5, 2.0, 5.0], [0.0, 5.0], 5).numpy()
    array([0, 0, 1, 2, 4], dtype=int32)
    """
    v = tensor(values)
    rng = tensor(value_range, dtype=v.dtype)
    work = dtypes.float64 if v.dtype in (dtypes.float64, dtypes.int64) else dtypes.float32
    vf, lo, hi = (math_ops.cast(t, work) for t in (v, rng[0], rng[1]))
    scaled = (vf - lo) / (hi - lo)
    bins = math_ops.cast(math_ops.floor(scaled * int(nbins)), dtypes.int64)
    bins = math_ops.minimum(math_ops.maximum(bins, 0), int(nbins) - 1)
    return math_ops.cast(bins, dtypes.as_dtype(dtype), name=name)


def histogram_fixed_width(values, value_range, nbins=100, dtype=dtypes.int32, name=None):
    """Counts of ``values`` in ``nbins`` equal bins over ``value_range`` (values outside
    count in the first or last bin).

    >>> ember.histogram_fixed_width([-1.0, 0.0, 1.5, 2.0, 5.0], [0.0, 5.0], 5).numpy()
    array([2, 1, 1, 0, 1], dtype=int32)
    """
    bins = array_ops.reshape(histogram_fixed_width_bins(values, value_range, nbins), [-1])
    return math_ops.unsorted_segment_sum(array_ops.ones_like(bins, dtype=dtypes.as_dtype(dtype)),
                                         bins, int(nbins), name=name)


def identity_n(input, name=None):  # noqa: A002
    """Each tensor of a list, unchanged."""
    return [array_ops.identity(t) for t in input]


def shape_n(input, out_type=dtypes.int32, name=None):  # noqa: A002
    """The shape of each tensor of a list."""
    return [array_ops.shape(t, out_type=out_type) for t in input]


def parallel_stack(values, name="parallel_stack"):
    """Stacks tensors of one known shape along a new first axis (as ``stack``)."""
    return array_ops.stack(values, axis=0, name=name)


def guarantee_const(input, name=None):  # noqa: A002
    """``input`` itself: a promise to the optimizer that it is constant."""
    return array_ops.identity(input, name=name)


def broadcast_static_shape(shape_x, shape_y):
    """The TensorShape two static shapes broadcast to; a ValueError if they cannot.

    >>> ember.broadcast_static_shape(ember.TensorShape([1, 3]), ember.TensorShape([2, 1]))
    TensorShape([2, 3])
    """
    try:
        return broadcast_static(as_shape(shape_x), as_shape(shape_y), "broadcast_static_shape")
    except Exception as e:
        raise ValueError(f"broadcast_static_shape: incompatible shapes {shape_x} and "
                         f"{shape_y}") from e


class _BroadcastArgs(Op):
    name = "BroadcastArgs"
    differentiable = False

    def infer(self, inputs):
        a, b = inputs
        if a.dtype is not b.dtype or not a.dtype.is_integer:
            raise InvalidArgumentError(f"{self.name}: shapes must be integer vectors of one "
                                       f"dtype, got {a.dtype.name} and {b.dtype.name}")
        if a.value is not None and b.value is not None:
            n = len(np.broadcast_shapes(tuple(a.value), tuple(b.value)))
            return TensorShape([n]), a.dtype
        return TensorShape([None]), a.dtype

    def kernel(self, xp, a, b):
        try:
            return np.asarray(np.broadcast_shapes(tuple(int(v) for v in a),
                                                  tuple(int(v) for v in b)), dtype=a.dtype)
        except ValueError:
            raise InvalidArgumentError(f"{self.name}: incompatible shapes {a.tolist()} and "
                                       f"{b.tolist()}") from None


BROADCAST_ARGS = _BroadcastArgs()


def broadcast_dynamic_shape(shape_x, shape_y):
    """The shape (a vector) that two shape vectors broadcast to.

    >>> ember.broadcast_dynamic_shape([1, 3], [2, 1]).numpy()
    array([2, 3], dtype=int32)
    """
    a = tensor(shape_x, dtype_hint=dtypes.int32)
    return execute(BROADCAST_ARGS, (a, tensor(shape_y, dtype=a.dtype)), EMPTY)


class _Bitcast(Op):
    name = "Bitcast"
    differentiable = False

    def infer(self, inputs, type):  # noqa: A002
        (x,) = inputs
        a, b = x.dtype.np.itemsize, type.np.itemsize
        shape = x.shape
        if a == b or shape.rank is None:
            return shape, type
        if a > b:
            return shape.concatenate([a // b]), type
        if shape[-1] is not None and shape[-1] != b // a:
            raise InvalidArgumentError(f"{self.name}: the last dimension must be {b // a} to "
                                       f"bitcast {x.dtype.name} to {type.name}, got "
                                       f"{shape[-1]}")
        return shape[:-1], type

    def kernel(self, xp, x, type):  # noqa: A002
        a, b = x.dtype.itemsize, type.np.itemsize
        arr = np.ascontiguousarray(x)
        if a == b:
            return arr.view(type.np)
        if a > b:
            return arr.reshape(x.shape + (1,)).view(type.np)
        if x.ndim == 0 or x.shape[-1] != b // a:
            raise InvalidArgumentError(f"{self.name}: the last dimension must be {b // a}, got "
                                       f"shape {list(x.shape)}")
        return arr.view(type.np).reshape(x.shape[:-1])


BITCAST = _Bitcast()


def bitcast(input, type, name=None):  # noqa: A002
    """The bytes of ``input`` read as ``type``: a wider type consumes the last dimension
    (which must be the width ratio), a narrower type adds one.

    >>> ember.bitcast(ember.constant(1.0), ember.int32).numpy()
    1065353216
    """
    x = tensor(input)
    type = dtypes.as_dtype(type)  # noqa: A001
    if type in (dtypes.string, dtypes.bool) or x.dtype in (dtypes.string, dtypes.bool):
        raise TypeError(f"bitcast: cannot bitcast {x.dtype.name} to {type.name}")
    return execute(BITCAST, (x,), {"type": type}, name)


def extract_volume_patches(input, ksizes, strides, padding, name=None):  # noqa: A002
    """Every ``ksizes`` window of ``input`` (N, D, H, W, C) flattened into depth:
    (N, od, oh, ow, kd * kh * kw * C), in (plane, row, column, channel) order.

    >>> ember.extract_volume_patches(ember.ones([1, 4, 4, 4, 1]), [1, 2, 2, 2, 1],
    ...                              [1, 2, 2, 2, 1], "VALID").shape
    TensorShape([1, 2, 2, 2, 8])
    """
    x = tensor(input)
    shape = x.shape.as_list() if x.shape.rank is not None else None
    if shape is None or len(shape) != 5 or None in shape[1:]:
        raise ValueError(f"extract_volume_patches: input must be 5-D with known D, H, W, C, "
                         f"got {x.shape}")
    k = list(ksizes)
    s = list(strides)
    if len(k) != 5 or len(s) != 5 or k[0] != 1 or k[4] != 1 or s[0] != 1 or s[4] != 1:
        raise ValueError(f"extract_volume_patches: ksizes and strides must be [1, d, h, w, 1], "
                         f"got {k} and {s}")
    padding = str(padding).upper()
    _, d, h, w, c = shape
    size = (d, h, w)
    ks, ss = k[1:4], s[1:4]
    if padding == "VALID":
        out = [(size[i] - ks[i]) // ss[i] + 1 for i in range(3)]
        before = [0, 0, 0]
    elif padding == "SAME":
        out = [-(-size[i] // ss[i]) for i in range(3)]
        before = [max((out[i] - 1) * ss[i] + ks[i] - size[i], 0) // 2 for i in range(3)]
    else:
        raise ValueError(f"extract_volume_patches: padding must be 'SAME' or 'VALID', got "
                         f"{padding!r}")
    if min(out) <= 0:
        raise ValueError(f"extract_volume_patches: windows {ks} do not fit input {shape}")
    grids = []
    for i in range(3):
        start = np.arange(out[i]) * ss[i] - before[i]
        grids.append(start[:, None] + np.arange(ks[i])[None, :])     # [out_i, k_i]
    zd, zh, zw = grids
    pd = zd[:, None, None, :, None, None]
    ph = zh[None, :, None, None, :, None]
    pw = zw[None, None, :, None, None, :]
    valid = (pd >= 0) & (pd < d) & (ph >= 0) & (ph < h) & (pw >= 0) & (pw < w)
    flat = (pd * h + ph) * w + pw
    flat = np.where(valid, flat, d * h * w)                       # the padding row
    rows = array_ops.reshape(x, [-1, d * h * w, c])
    rows = array_ops.concat([rows, array_ops.zeros_like(rows[:, :1])], 1)
    picked = array_ops.gather(rows, flat.reshape(out + [-1]).astype(np.int32), axis=1)
    return array_ops.reshape(picked, [-1] + out + [int(np.prod(ks)) * c], name=name)


def approx_top_k(input, k, reduction_dimension=-1, recall_target=0.95,  # noqa: A002
                 is_max_k=True, reduction_input_size_override=-1, aggregate_to_topk=True,
                 name=None):
    """``(values, indices)`` of the k largest (``is_max_k``) or smallest entries along
    ``reduction_dimension``; ember computes them exactly."""
    from ember.ops.math_extra_ops import approx_max_k, approx_min_k
    fn = approx_max_k if is_max_k else approx_min_k
    return fn(input, k, reduction_dimension, recall_target)
