"""RaggedTensor: rows of different lengths, as ``values`` plus ``row_splits``.

The start of ``tf.ragged``: enough for the ragged results of ``ember.strings`` (split,
ngrams, unicode_decode, ...) and for datasets of variable-length elements. A ragged tensor
of shape ``[nrows, None, ...]`` keeps its elements end to end in ``values`` (a Tensor, or
another RaggedTensor for more ragged dimensions) and where each row starts and ends in
``row_splits`` (int64, ``nrows + 1`` entries, starting at 0, non-decreasing). Methods use
ember's public ops, so they work eagerly and inside ``ember.function``.

>>> rt = ember.ragged.constant([[1, 2], [], [3]])
>>> rt.row_lengths().numpy().tolist()
[2, 0, 1]
>>> rt.to_tensor().numpy().tolist()
[[1, 2], [0, 0], [3, 0]]
"""
from __future__ import annotations

import numpy as np

from ember.framework import dtypes
from ember.framework.tensor import EagerTensor, Tensor, convert_to_tensor
from ember.framework.tensor_shape import TensorShape

__all__ = ["RaggedTensor", "constant"]


def _ops():
    import ember
    return ember


def _is_eager(*ts):
    return all(isinstance(t, EagerTensor) for t in ts)


def _splits(t, what):
    t = convert_to_tensor(t)
    if not t.dtype.is_integer:
        raise TypeError(f"RaggedTensor: {what} must be an integer tensor, got {t.dtype.name}")
    if t.shape.rank not in (None, 1):
        raise ValueError(f"RaggedTensor: {what} must be 1-D, got shape {t.shape}")
    return _ops().cast(t, dtypes.int64)


class RaggedTensor:
    """A tensor whose dimension 1 (and possibly more) has rows of different lengths.

    Build one with ``from_row_splits``, ``from_row_lengths``, ``from_value_rowids``,
    ``from_tensor`` or ``ember.ragged.constant``.
    """

    _is_ragged = True

    def __init__(self, values, row_splits, _internal=False):
        if not _internal:
            raise ValueError("RaggedTensor is made with RaggedTensor.from_row_splits (or "
                             "from_row_lengths, from_tensor, ember.ragged.constant)")
        self._values = values
        self._row_splits = row_splits

    # ------------------------------------------------------------------ constructors ---
    @classmethod
    def from_row_splits(cls, values, row_splits, name=None, validate=True):
        """Rows ``values[row_splits[i]:row_splits[i + 1]]``.

        >>> ember.RaggedTensor.from_row_splits([1, 2, 3], [0, 2, 3]).to_list()
        [[1, 2], [3]]
        """
        if not isinstance(values, RaggedTensor):
            values = convert_to_tensor(values)
        splits = _splits(row_splits, "row_splits")
        if validate and _is_eager(splits) and (not isinstance(values, RaggedTensor)
                                               and isinstance(values, EagerTensor)
                                               or isinstance(values, RaggedTensor)):
            s = splits.numpy()
            n = _nrows_static(values)
            if s.size == 0 or s[0] != 0 or np.any(np.diff(s) < 0) or \
                    (n is not None and s[-1] != n):
                raise ValueError(f"RaggedTensor.from_row_splits: row_splits must start at 0, "
                                 f"not decrease and end at the number of values ({n}); got "
                                 f"{s.tolist()}")
        return cls(values, splits, _internal=True)

    @classmethod
    def from_row_lengths(cls, values, row_lengths, name=None, validate=True):
        """Rows of the given lengths, taken from ``values`` in order.

        >>> ember.RaggedTensor.from_row_lengths([1, 2, 3], [1, 0, 2]).to_list()
        [[1], [], [2, 3]]
        """
        tf = _ops()
        lengths = _splits(row_lengths, "row_lengths")
        if validate and _is_eager(lengths) and np.any(lengths.numpy() < 0):
            raise ValueError(f"RaggedTensor.from_row_lengths: row_lengths must be "
                             f"non-negative, got {lengths.numpy().tolist()}")
        splits = tf.concat([tf.zeros([1], tf.int64), tf.cumsum(lengths)], 0)
        return cls.from_row_splits(values, splits, validate=validate)

    @classmethod
    def from_row_starts(cls, values, row_starts, name=None, validate=True):
        tf = _ops()
        starts = _splits(row_starts, "row_starts")
        n = tf.cast(tf.reshape(_nrows(values), [1]), tf.int64)
        return cls.from_row_splits(values, tf.concat([starts, n], 0), validate=validate)

    @classmethod
    def from_row_limits(cls, values, row_limits, name=None, validate=True):
        tf = _ops()
        limits = _splits(row_limits, "row_limits")
        return cls.from_row_splits(values, tf.concat([tf.zeros([1], tf.int64), limits], 0),
                                   validate=validate)

    @classmethod
    def from_value_rowids(cls, values, value_rowids, nrows=None, name=None, validate=True):
        """Value ``i`` goes to row ``value_rowids[i]`` (sorted ascending)."""
        tf = _ops()
        ids = _splits(value_rowids, "value_rowids")
        if nrows is None:
            nrows = tf.cond(tf.size(ids) > 0, lambda: tf.reduce_max(ids) + 1,
                            lambda: tf.constant(0, tf.int64)) if not _is_eager(ids) else \
                (int(ids.numpy().max()) + 1 if ids.numpy().size else 0)
        counts = tf.math.bincount(tf.cast(ids, tf.int32), minlength=nrows, maxlength=nrows)
        return cls.from_row_lengths(values, counts, validate=validate)

    @classmethod
    def from_uniform_row_length(cls, values, uniform_row_length, nrows=None, validate=True,
                                name=None):
        """Rows of one length ``uniform_row_length`` (a dimension that is not ragged)."""
        tf = _ops()
        length = tf.cast(convert_to_tensor(uniform_row_length), tf.int64)
        if nrows is None:
            nrows = tf.cast(_nrows(values), tf.int64) // tf.maximum(length, 1)
        nrows = tf.cast(convert_to_tensor(nrows), tf.int64)
        splits = tf.range(nrows + 1, dtype=tf.int64) * length
        return cls.from_row_splits(values, splits, validate=validate)

    @classmethod
    def from_nested_row_splits(cls, flat_values, nested_row_splits, name=None, validate=True):
        out = flat_values
        for splits in reversed(list(nested_row_splits)):
            out = cls.from_row_splits(out, splits, validate=validate)
        return out

    @classmethod
    def from_nested_row_lengths(cls, flat_values, nested_row_lengths, name=None,
                                validate=True):
        out = flat_values
        for lengths in reversed(list(nested_row_lengths)):
            out = cls.from_row_lengths(out, lengths, validate=validate)
        return out

    @classmethod
    def from_tensor(cls, tensor, lengths=None, padding=None, ragged_rank=1, name=None,
                    row_splits_dtype=dtypes.int64):
        """Rows of a dense tensor, cut to ``lengths`` or before trailing ``padding``.

        >>> ember.RaggedTensor.from_tensor([[1, 0], [2, 3]], padding=0).to_list()
        [[1], [2, 3]]
        """
        tf = _ops()
        if ragged_rank != 1:
            raise NotImplementedError("RaggedTensor.from_tensor: only ragged_rank=1 is "
                                      "supported so far")
        t = convert_to_tensor(tensor)
        if t.shape.rank is not None and t.shape.rank < 2:
            raise ValueError(f"RaggedTensor.from_tensor: tensor must have rank >= 2, got "
                             f"shape {t.shape}")
        shape = tf.shape(t, out_type=tf.int64)
        nrows, ncols = shape[0], shape[1]
        if lengths is not None and padding is not None:
            raise ValueError("RaggedTensor.from_tensor: give lengths or padding, not both")
        if padding is not None:
            pad = tf.equal(t, tf.cast(padding, t.dtype) if t.dtype is not tf.string else
                           padding)
            if t.shape.rank > 2:
                pad = tf.reduce_all(tf.reshape(pad, tf.stack([nrows, ncols, -1])), -1)
            keep = tf.logical_not(pad)
            idx = tf.range(1, ncols + 1, dtype=tf.int64)
            lengths = tf.reduce_max(tf.where(keep, idx, tf.zeros_like(idx)), axis=1)
        elif lengths is None:
            lengths = tf.fill(tf.reshape(nrows, [1]), ncols)
        lengths = tf.cast(convert_to_tensor(lengths), tf.int64)
        mask = tf.range(ncols, dtype=tf.int64)[None, :] < lengths[:, None]
        return cls.from_row_lengths(tf.boolean_mask(t, mask), lengths, validate=False)

    # ---------------------------------------------------------------------- accessors ---
    @property
    def values(self):
        """The elements of all rows end to end (a Tensor or a RaggedTensor)."""
        return self._values

    @property
    def row_splits(self):
        return self._row_splits

    @property
    def flat_values(self):
        v = self._values
        while isinstance(v, RaggedTensor):
            v = v._values
        return v

    @property
    def nested_row_splits(self):
        out, v = [self._row_splits], self._values
        while isinstance(v, RaggedTensor):
            out.append(v._row_splits)
            v = v._values
        return tuple(out)

    def nested_row_lengths(self, name=None):
        out, v = [self.row_lengths()], self._values
        while isinstance(v, RaggedTensor):
            out.append(v.row_lengths())
            v = v._values
        return tuple(out)

    @property
    def ragged_rank(self):
        return 1 + (self._values.ragged_rank if isinstance(self._values, RaggedTensor) else 0)

    @property
    def dtype(self):
        return self.flat_values.dtype

    @property
    def row_splits_dtype(self):
        return dtypes.int64

    @property
    def shape(self):
        """``[nrows, None, ...]``: ragged dimensions are None."""
        n = self._row_splits.shape[0]
        inner = self._values.shape
        rest = inner[1:] if inner.rank is not None else None
        if rest is None:
            return TensorShape(None)
        return TensorShape([None if n is None else n - 1, None] + rest.as_list())

    def get_shape(self):
        return self.shape

    @property
    def ndim(self):
        return self.shape.rank

    def nrows(self, out_type=dtypes.int64, name=None):
        tf = _ops()
        return tf.cast(tf.size(self._row_splits) - 1, out_type)

    def row_lengths(self, axis=1, name=None):
        """Length of each row (int64)."""
        if axis != 1:
            raise NotImplementedError("RaggedTensor.row_lengths: only axis=1 is supported")
        return self._row_splits[1:] - self._row_splits[:-1]

    def row_starts(self, name=None):
        return self._row_splits[:-1]

    def row_limits(self, name=None):
        return self._row_splits[1:]

    def value_rowids(self, name=None):
        """The row of each value (int64)."""
        tf = _ops()
        return tf.repeat(tf.range(self.nrows(), dtype=tf.int64), self.row_lengths())

    def bounding_shape(self, axis=None, name=None, out_type=dtypes.int64):
        tf = _ops()
        lengths = self.row_lengths()
        width = tf.cond(tf.size(lengths) > 0, lambda: tf.reduce_max(lengths),
                        lambda: tf.constant(0, tf.int64)) if not _is_eager(lengths) else \
            tf.constant(int(lengths.numpy().max()) if lengths.numpy().size else 0, tf.int64)
        if isinstance(self._values, RaggedTensor):
            inner = self._values.bounding_shape()[1:]
        else:
            inner = tf.shape(self._values, out_type=tf.int64)[1:]
        out = tf.cast(tf.concat([tf.reshape(self.nrows(), [1]), tf.reshape(width, [1]),
                                 inner], 0), out_type)
        return out if axis is None else out[axis]

    def _components(self):
        """The tensors it is made of: flat values, then the row splits outermost first (how
        ember.function passes a RaggedTensor out of a trace)."""
        return [self.flat_values] + list(self.nested_row_splits)

    def _from_components(self, parts):
        """A RaggedTensor shaped like this one from ``_components()``-ordered tensors."""
        out = parts[0]
        for splits in reversed(parts[1:]):
            out = RaggedTensor(out, splits, _internal=True)
        return out

    def with_values(self, new_values):
        return RaggedTensor(new_values, self._row_splits, _internal=True)

    def with_flat_values(self, new_values):
        """The same rows over new flat values (a RaggedTensor adds ragged dimensions)."""
        if isinstance(self._values, RaggedTensor):
            return self.with_values(self._values.with_flat_values(new_values))
        return self.with_values(new_values if isinstance(new_values, RaggedTensor) else
                                convert_to_tensor(new_values))

    def with_row_splits_dtype(self, dtype):
        if dtypes.as_dtype(dtype) is not dtypes.int64:
            raise NotImplementedError("ember's RaggedTensor keeps int64 row_splits")
        return self

    def merge_dims(self, outer_axis, inner_axis):
        """Joins dimensions outer_axis..inner_axis; (0, 1) gives the values, (0, -1) the
        flat values."""
        if outer_axis != 0:
            raise NotImplementedError("RaggedTensor.merge_dims: only outer_axis=0 is "
                                      "supported so far")
        if inner_axis in (-1, self.shape.rank - 1 if self.shape.rank else -1):
            tf = _ops()
            return tf.reshape(self.flat_values, [-1])
        out = self
        for _ in range(inner_axis):
            out = out._values
        return out

    # ------------------------------------------------------------------- conversions ---
    def to_tensor(self, default_value=None, name=None, shape=None):
        """A dense tensor, short rows padded with ``default_value`` (zero or b"")."""
        tf = _ops()
        values = self._values
        if isinstance(values, RaggedTensor):
            values = values.to_tensor(default_value)
        lengths = self.row_lengths()
        nrows = self.nrows()
        width = self.bounding_shape(axis=1)
        if shape is not None:
            dims = TensorShape(shape).as_list()
            if len(dims) > 1 and dims[1] is not None:
                width = tf.constant(dims[1], tf.int64)
        inner = tf.shape(values, out_type=tf.int64)[1:]
        if default_value is None:
            default_value = b"" if values.dtype is tf.string else tf.zeros([], values.dtype)
        dense = tf.fill(tf.concat([tf.stack([nrows, width]), inner], 0),
                        tf.cast(default_value, values.dtype) if values.dtype is not tf.string
                        else default_value)
        rows = self.value_rowids()
        cols = tf.range(tf.size(rows, out_type=tf.int64), dtype=tf.int64) - \
            tf.gather(self._row_splits, rows)
        keep = cols < width
        idx = tf.stack([tf.boolean_mask(rows, keep), tf.boolean_mask(cols, keep)], 1)
        del lengths
        out = tf.tensor_scatter_nd_update(dense, idx, tf.boolean_mask(values, keep))
        if shape is not None and dims and dims[0] is not None:
            out = tf.reshape(out, [dims[0]] + [-1 if d is None else d for d in dims[1:]])
        return out

    def to_list(self):
        """The rows as nested Python lists (eager only)."""
        vals = self._values.to_list() if isinstance(self._values, RaggedTensor) else \
            _eager(self._values, "to_list").tolist()
        s = _eager(self._row_splits, "to_list").tolist()
        return [vals[a:b] for a, b in zip(s[:-1], s[1:])]

    def numpy(self):
        """An object array holding each row's NumPy array (eager only)."""
        s = _eager(self._row_splits, "numpy").tolist()
        rows = [self._values[a:b] for a, b in zip(s[:-1], s[1:])]
        out = np.empty(len(rows), dtype=object)
        for i, r in enumerate(rows):
            out[i] = r.numpy()
        return out

    def to_sparse(self, name=None):
        raise NotImplementedError("RaggedTensor.to_sparse: ember has no SparseTensor yet")

    # ---------------------------------------------------------------------- indexing ---
    def __getitem__(self, key):
        """``rt[i]`` is row i (a Tensor, or a RaggedTensor with more ragged dimensions);
        ``rt[a:b]`` keeps rows a..b-1 (step 1). Only the first dimension is indexed."""
        if isinstance(key, tuple):
            if len(key) == 1:
                key = key[0]
            else:
                raise NotImplementedError("RaggedTensor indexing: only the first dimension "
                                          "can be indexed so far")
        if isinstance(key, slice):
            if key.step not in (None, 1):
                raise NotImplementedError("RaggedTensor slicing: only step 1 is supported")
            n = self._row_splits.shape[0]
            if n is None:
                raise NotImplementedError("RaggedTensor slicing needs a known number of rows")
            start, stop, _ = key.indices(n - 1)
            splits = self._row_splits[start:max(stop, start) + 1]
            vals = _slice_rows(self._values, splits[0], splits[-1])
            return RaggedTensor(vals, splits - splits[0], _internal=True)
        i = key
        n = self._row_splits.shape[0]
        if isinstance(i, (int, np.integer)) and n is not None:
            if not -(n - 1) <= i < n - 1:
                raise IndexError(f"RaggedTensor index {i} is out of range for {n - 1} rows")
            i = i % (n - 1)
        return _slice_rows(self._values, self._row_splits[i], self._row_splits[i + 1])

    def __len__(self):
        n = self._row_splits.shape[0]
        if n is None:
            raise TypeError("len() of a RaggedTensor with an unknown number of rows")
        return n - 1

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __repr__(self):
        if _is_eager(self.flat_values, *self.nested_row_splits):
            return f"<ember.RaggedTensor {self.to_list()!r}>"
        return (f"ember.RaggedTensor(values={self._values!r}, "
                f"row_splits={self._row_splits!r})")

    def _elementwise(self, fn, other, reverse=False):
        """``fn`` over the flat values with a scalar, or with a RaggedTensor of the same
        rows (TensorFlow's ragged elementwise dispatch, for those two cases)."""
        if isinstance(other, RaggedTensor):
            other = other.flat_values
        else:
            other = convert_to_tensor(other, dtype_hint=self.dtype)
            if other.shape.rank != 0:
                raise NotImplementedError("RaggedTensor arithmetic: the other operand must "
                                          "be a scalar or a RaggedTensor with the same rows")
        a, b = (other, self.flat_values) if reverse else (self.flat_values, other)
        return self.with_flat_values(fn(a, b))

    def __eq__(self, other):
        if isinstance(other, RaggedTensor):
            return self._elementwise(_ops().equal, other)
        return NotImplemented

    __hash__ = None

    def __neg__(self):
        return self.with_flat_values(-self.flat_values)

    def __abs__(self):
        return self.with_flat_values(abs(self.flat_values))


def _binary(name, reverse=False):
    import operator

    fn = getattr(operator, name)

    def method(self, other):
        return self._elementwise(fn, other, reverse)
    method.__name__ = f"__{'r' if reverse else ''}{name}__"
    return method


for _name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "lt", "le", "gt",
              "ge", "and_", "or_"):
    _dunder = _name.rstrip("_")
    setattr(RaggedTensor, f"__{_dunder}__", _binary(_name))
    if _name not in ("lt", "le", "gt", "ge"):
        setattr(RaggedTensor, f"__r{_dunder}__", _binary(_name, reverse=True))


def _eager(t, what):
    if not isinstance(t, EagerTensor):
        raise ValueError(f"RaggedTensor.{what}() needs an eager ragged tensor, not one being "
                         f"traced inside a graph")
    return t.numpy()


def _nrows(values):
    if isinstance(values, RaggedTensor):
        return values.nrows()
    return _ops().shape(values, out_type=dtypes.int64)[0]


def _nrows_static(values):
    if isinstance(values, RaggedTensor):
        n = values._row_splits.shape[0]
        return None if n is None else n - 1
    return values.shape[0] if values.shape.rank else None


def _slice_rows(values, begin, end):
    if isinstance(values, RaggedTensor):
        splits = values._row_splits[begin:end + 1]
        inner = _slice_rows(values._values, splits[0], splits[-1])
        return RaggedTensor(inner, splits - splits[0], _internal=True)
    return values[begin:end]


def _depth(x):
    if isinstance(x, (list, tuple)):
        return 1 + max((_depth(v) for v in x), default=0)
    if isinstance(x, np.ndarray):
        return x.ndim
    return 0


def constant(pylist, dtype=None, ragged_rank=None, inner_shape=None, name=None,
             row_splits_dtype=dtypes.int64):
    """A RaggedTensor from nested Python lists (every level but the innermost values is
    ragged unless ``ragged_rank`` says fewer).

    >>> ember.ragged.constant([["a", "b"], ["c"]]).to_list()
    [[b'a', b'b'], [b'c']]
    """
    depth = _depth(pylist)
    if inner_shape is not None:
        inner_rank = len(inner_shape)
    elif ragged_rank is not None:
        inner_rank = depth - 1 - ragged_rank
    else:
        inner_rank = 0
    if ragged_rank is None:
        ragged_rank = depth - 1 - inner_rank
    if ragged_rank < 1:
        raise ValueError(f"ragged.constant: ragged_rank must be at least 1 for a value of "
                         f"depth {depth}, got {ragged_rank}")
    if not isinstance(pylist, (list, tuple, np.ndarray)):
        raise TypeError(f"ragged.constant expects nested lists, got {type(pylist).__name__}")
    lengths = [[] for _ in range(ragged_rank)]
    leaves = []

    def walk(x, depth):
        if not isinstance(x, (list, tuple, np.ndarray)):
            raise ValueError(f"ragged.constant: all values must be nested {ragged_rank + 1} "
                             f"deep, found the scalar {x!r} at depth {depth}")
        lengths[depth - 1].append(len(x))
        if depth == ragged_rank:
            leaves.extend(x)
        else:
            for v in x:
                walk(v, depth + 1)

    for row in pylist:
        walk(row, 1)
    if leaves:
        values = convert_to_tensor(leaves, dtype=dtype)
    else:
        d = dtypes.as_dtype(dtype) if dtype is not None else dtypes.float32
        shape = [0] + ([0] * inner_rank if inner_shape is None else list(inner_shape))
        values = EagerTensor(np.zeros(shape, dtype=d.np) if d is not dtypes.string
                             else np.empty(shape, dtype=object))
    out = values
    splits = [np.cumsum([0] + [len(r) for r in pylist]).astype(np.int64)]
    splits += [np.cumsum([0] + lv).astype(np.int64) for lv in lengths[1:]]
    for s in reversed(splits):
        out = RaggedTensor(out, EagerTensor(s), _internal=True)
    return out
