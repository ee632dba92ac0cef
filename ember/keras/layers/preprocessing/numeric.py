"""Numeric preprocessing layers (Keras 3): Normalization, Discretization,
CategoryEncoding."""
from __future__ import annotations

import numpy as np

import ember
from ember.framework.tensor import EagerTensor
from ember.keras.layers.layer import Layer
from ember.keras.layers.preprocessing.adapt import batches

__all__ = ["CategoryEncoding", "Discretization", "Normalization"]

_EPSILON = 1e-7


class Normalization(Layer):
    """Shifts and scales features to mean 0 and variance 1 along ``axis`` (kept axes get
    their own statistics): ``(x - mean) / max(sqrt(variance), 1e-7)``, or the inverse with
    ``invert``. Statistics come from ``mean``/``variance`` or from ``adapt(data)``.

    >>> layer = Normalization(axis=None)
    >>> layer.adapt(np.array([1.0, 3.0]))
    >>> layer(np.array([2.0, 3.0])).numpy()
    array([0., 1.], dtype=float32)
    """

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        elif isinstance(axis, int):
            axis = (axis,)
        self.axis = tuple(axis)
        if (mean is None) != (variance is None):
            raise ValueError(f"Normalization: when setting values directly, both `mean` and "
                             f"`variance` must be set. Received: mean={mean} and "
                             f"variance={variance}")
        self.input_mean, self.input_variance = mean, variance
        self.invert = bool(invert)
        self.supports_masking = True
        self._stat_shape = None

    def _shapes(self, input_shape):
        rank = len(input_shape)
        axes = tuple(a % rank for a in self.axis)
        for a in axes:
            if input_shape[a] is None:
                raise ValueError(f"Normalization: all `axis` values to be kept must have a "
                                 f"known shape. Received axis={self.axis}, inputs.shape="
                                 f"{tuple(input_shape)}, with unknown axis at index {a}")
        reduce_axes = tuple(i for i in range(rank) if i not in axes)
        broadcast = [input_shape[i] if i in axes else 1 for i in range(rank)]
        return axes, reduce_axes, [input_shape[a] for a in axes], broadcast

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        self._axes, self._reduce_axes, weight_shape, self._broadcast = \
            self._shapes(input_shape)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(name="mean", shape=weight_shape,
                                              initializer="zeros", trainable=False)
            self.adapt_variance = self.add_weight(name="variance", shape=weight_shape,
                                                  initializer="ones", trainable=False)
            self.count = self.add_weight(name="count", shape=(), dtype="int64",
                                         initializer="zeros", trainable=False)
        self.built = True

    def adapt(self, data, steps=None):
        """Computes the mean and variance of ``data`` (array, tensor or batches)."""
        if self.input_mean is not None:
            raise ValueError("Normalization: cannot adapt a layer given `mean` and "
                             "`variance`.")
        total, mean, m2 = 0, None, None
        for batch in batches(data, steps, "Normalization"):
            batch = batch.astype(np.float64)
            if batch.ndim == 1 and self.axis == (-1,):
                batch = batch[:, None]
            if not self.built:
                self.build(batch.shape[:0] + (None,) + batch.shape[1:]
                           if batch.ndim > 1 else batch.shape)
            axes = tuple(self._reduce_axes)
            n = int(np.prod([batch.shape[a] for a in axes])) if axes else 1
            b_mean = batch.mean(axis=axes, keepdims=True)
            b_m2 = ((batch - b_mean) ** 2).sum(axis=axes, keepdims=True)
            if mean is None:
                total, mean, m2 = n, b_mean, b_m2
            else:
                delta = b_mean - mean
                new = total + n
                mean = mean + delta * n / new
                m2 = m2 + b_m2 + delta ** 2 * total * n / new
                total = new
        if mean is None:
            raise ValueError("Normalization.adapt: the data is empty.")
        shape = self.adapt_mean.shape
        self.adapt_mean.assign(mean.reshape(shape).astype(np.float32))
        self.adapt_variance.assign((m2 / total).reshape(shape).astype(np.float32))
        self.count.assign(total)

    def _stats(self, dtype):
        if self.input_mean is not None:
            mean = np.broadcast_to(np.asarray(self.input_mean, np.float32), self._broadcast) \
                if self._axes else np.asarray(self.input_mean, np.float32)
            var = np.broadcast_to(np.asarray(self.input_variance, np.float32),
                                  self._broadcast) if self._axes else \
                np.asarray(self.input_variance, np.float32)
            return ember.constant(mean, dtype), ember.constant(var, dtype)
        return (ember.reshape(ember.cast(self.adapt_mean, dtype), self._broadcast),
                ember.reshape(ember.cast(self.adapt_variance, dtype), self._broadcast))

    def call(self, inputs):
        x = ember.convert_to_tensor(inputs)
        dtype = self.compute_dtype
        if x.dtype.name != dtype:
            x = ember.cast(x, dtype)
        mean, var = self._stats(dtype)
        scale = ember.maximum(ember.sqrt(var), _EPSILON)
        return mean + x * scale if self.invert else (x - mean) / scale

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"axis": self.axis if len(self.axis) != 1 else self.axis[0],
                       "invert": self.invert,
                       "mean": _plain(self.input_mean), "variance": _plain(self.input_variance)})
        if not self.axis:
            config["axis"] = None
        return config


def _plain(v):
    return np.asarray(v).tolist() if v is not None else None


def encode(indices, depth, output_mode, dtype, count_weights=None, name="CategoryEncoding"):
    """Indices (any int tensor) as one_hot (a new last axis, or replacing a last axis of 1),
    multi_hot or count over the last axis; indices outside [0, depth) raise."""
    x = ember.cast(indices, "int64")
    if output_mode == "int":
        return x
    if isinstance(x, EagerTensor):
        v = x.numpy()
        if v.size and (v.min() < 0 or v.max() >= depth):
            raise ValueError(f"{name}: inputs must be in the range [0, {depth}) "
                             f"(num_tokens={depth}); received values from {v.min()} "
                             f"to {v.max()}")
    if output_mode == "one_hot":
        if x.shape.rank and x.shape[-1] == 1 and x.shape.rank > 1:
            x = ember.squeeze(x, [-1])
        return ember.one_hot(x, depth, dtype=dtype)
    if x.shape.rank == 0 or x.shape.rank is None:
        raise ValueError(f"{name}: inputs must have rank >= 1, got shape {x.shape}")
    if x.shape.rank == 1:
        x = ember.expand_dims(x, -1)
    hot = ember.one_hot(x, depth, dtype=dtype)
    if output_mode == "multi_hot":
        return ember.reduce_max(hot, -2)
    if count_weights is not None:
        hot = hot * ember.cast(count_weights, dtype)[..., None]
    return ember.reduce_sum(hot, -2)


class CategoryEncoding(Layer):
    """Encodes integer indices in [0, ``num_tokens``) as 'one_hot', 'multi_hot' or
    'count' vectors (float32).

    >>> CategoryEncoding(4)([[0, 1], [3, 3]]).numpy()
    array([[1., 1., 0., 0.],
           [0., 0., 0., 1.]], dtype=float32)
    """

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        if num_tokens is None or int(num_tokens) < 1:
            raise ValueError(f"CategoryEncoding: `num_tokens` must be >= 1. Received: "
                             f"num_tokens={num_tokens}")
        if output_mode not in ("one_hot", "multi_hot", "count"):
            raise ValueError(f"CategoryEncoding: unknown `output_mode` {output_mode!r}; "
                             f"expected one of 'one_hot', 'multi_hot', 'count'")
        self.num_tokens, self.output_mode = int(num_tokens), output_mode
        self.sparse = bool(sparse)

    def call(self, inputs, count_weights=None):
        out = encode(ember.convert_to_tensor(inputs), self.num_tokens, self.output_mode,
                     self.compute_dtype, count_weights)
        return ember.sparse.from_dense(out) if self.sparse else out

    def compute_output_shape(self, input_shape):
        return output_shape(input_shape, self.num_tokens, self.output_mode)

    def get_config(self):
        config = super().get_config()
        config.update({"num_tokens": self.num_tokens, "output_mode": self.output_mode,
                       "sparse": self.sparse})
        return config


def output_shape(input_shape, depth, output_mode):
    s = tuple(input_shape)
    if output_mode == "int":
        return s
    if output_mode == "one_hot":
        return (s[:-1] if len(s) > 1 and s[-1] == 1 else s) + (depth,)
    return (s[:-1] if len(s) > 1 else s) + (depth,)


def _summarize(values, epsilon):
    """Sorted values thinned to about 1/epsilon of them, each weighted by the stride."""
    values = np.sort(values.reshape(-1))
    stride = max(values.size * epsilon, 1)
    picked = values[int(stride - 1)::int(stride)]
    return np.stack([picked, np.full(picked.shape, stride, picked.dtype)])


def _compress(summary, epsilon):
    """Re-bins a weighted summary at cumulative-weight fractions epsilon, 2 epsilon, ..."""
    if summary.shape[1] * epsilon < 1:
        return summary
    fractions = epsilon + np.arange(0.0, 1.0, epsilon)
    cum = summary[1].cumsum()
    where = cum / cum[-1]
    points = np.interp(fractions, where, summary[0])
    cum_new = np.interp(fractions, where, cum)
    return np.stack([points, np.diff(cum_new, prepend=0.0)]).astype(np.float32)


class Discretization(Layer):
    """Buckets values by ``bin_boundaries`` (bucket i holds boundaries[i-1] <= x <
    boundaries[i]), or by ``num_bins`` quantile boundaries learned with ``adapt`` (with
    Keras's approximate quantile summary of precision ``epsilon``); ``output_mode`` 'int',
    'one_hot', 'multi_hot' or 'count'."""

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int",
                 sparse=False, dtype=None, name=None, **kwargs):
        if dtype is None:
            dtype = "int64" if output_mode == "int" else "float32"
        super().__init__(name=name, dtype=dtype, **kwargs)
        if (bin_boundaries is None) == (num_bins is None):
            raise ValueError(f"Discretization: exactly one of `bin_boundaries` and "
                             f"`num_bins` must be set. Received: bin_boundaries="
                             f"{bin_boundaries} and num_bins={num_bins}")
        if output_mode not in ("int", "one_hot", "multi_hot", "count"):
            raise ValueError(f"Discretization: unknown `output_mode` {output_mode!r}")
        if sparse and output_mode == "int":
            raise ValueError("Discretization: `sparse` may only be True with output_mode "
                             "'one_hot', 'multi_hot' or 'count'. Received: sparse=True and "
                             "output_mode='int'")
        self.bin_boundaries = None if bin_boundaries is None else \
            [float(b) for b in bin_boundaries]
        self.num_bins, self.epsilon = num_bins, float(epsilon)
        self.output_mode, self.sparse = output_mode, sparse
        self.summary = np.zeros((2, 0), np.float32)

    def adapt(self, data, steps=None):
        """Learns ``num_bins`` - 1 quantile boundaries from ``data``."""
        if self.num_bins is None:
            raise ValueError("Discretization: adapt needs `num_bins` (this layer was given "
                             "`bin_boundaries`).")
        self.summary = np.zeros((2, 0), np.float32)
        for batch in batches(data, steps, "Discretization"):
            part = _summarize(batch.astype(np.float32), self.epsilon)
            merged = np.concatenate([part, self.summary], axis=1)
            merged = merged[:, np.argsort(merged[0], kind="stable")]
            self.summary = _compress(merged, self.epsilon)
        self.bin_boundaries = _compress(self.summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ValueError("Discretization: call `adapt` (or pass `bin_boundaries`) first.")
        x = ember.convert_to_tensor(inputs)
        b = ember.constant(np.asarray(self.bin_boundaries, np.float32))
        xf = ember.cast(x, "float32")
        idx = ember.reduce_sum(ember.cast(ember.greater_equal(xf[..., None], b), "int64"), -1)
        if self.output_mode == "int":
            return ember.cast(idx, self.compute_dtype)
        out = encode(idx, len(self.bin_boundaries) + 1, self.output_mode, self.compute_dtype,
                     name="Discretization")
        return ember.sparse.from_dense(out) if self.sparse else out

    def compute_output_shape(self, input_shape):
        depth = len(self.bin_boundaries) + 1 if self.bin_boundaries is not None \
            else self.num_bins
        return output_shape(input_shape, depth, self.output_mode)

    def get_config(self):
        config = super().get_config()
        config.update({"bin_boundaries": self.bin_boundaries, "num_bins": self.num_bins,
                       "epsilon": self.epsilon, "output_mode": self.output_mode,
                       "sparse": self.sparse})
        return config
