"""Adaptive pooling (Keras 3): AdaptiveAveragePooling1D/2D/3D and AdaptiveMaxPooling1D/2D/3D
pool each spatial axis of length L into ``output_size`` windows, window i covering
[floor(i L / O), ceil((i + 1) L / O)). Box averages and maxima are separable, so each axis
is pooled in turn: averages as a product with an (O, L) window-mean matrix, maxima as a
reduction over the gathered windows (shorter windows repeat their last index)."""
from __future__ import annotations

import numpy as np

import ember
from ember.keras.layers.convolutional import standardize_data_format
from ember.keras.layers.layer import Layer

__all__ = ["AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D", "AdaptiveAveragePooling3D",
           "AdaptiveMaxPooling1D", "AdaptiveMaxPooling2D", "AdaptiveMaxPooling3D"]


def _windows(length, out):
    starts = np.minimum(np.floor(np.arange(out) * length / out).astype(np.int64), length - 1)
    ends = np.minimum(np.ceil(np.arange(1, out + 1) * length / out).astype(np.int64), length)
    return starts, ends


class _AdaptivePooling(Layer):
    rank = 1
    reduction = "avg"

    def __init__(self, output_size, data_format=None, **kwargs):
        name = type(self).__name__
        if isinstance(output_size, int) and not isinstance(output_size, bool):
            output_size = (output_size,) * self.rank
        elif isinstance(output_size, (tuple, list)) and len(output_size) == self.rank:
            output_size = tuple(int(s) for s in output_size)
        else:
            raise TypeError(f"{name}: `output_size` must be an integer or a tuple of "
                            f"{self.rank} integers. Received: {output_size} of type "
                            f"{type(output_size)}")
        if min(output_size) < 1:
            raise ValueError(f"{name}: `output_size` must be positive. Received: "
                             f"{output_size}")
        super().__init__(**kwargs)
        self.output_size = output_size
        self.data_format = standardize_data_format(data_format)

    def _pool_axis(self, x, axis):
        length, out = x.shape[axis], self.output_size[axis - 1]
        if length is None:
            raise ValueError(f"{type(self).__name__}: input length must be statically known "
                             f"for adaptive pooling, got shape {x.shape}")
        starts, ends = _windows(length, out)
        if self.reduction == "avg":
            weights = np.zeros((out, length), np.float64)
            for i, (s, e) in enumerate(zip(starts, ends)):
                weights[i, s:e] = 1.0 / (e - s)
            w = ember.constant(weights.astype(x.dtype.np))
            y = ember.tensordot(x, w, [[axis], [1]])            # axis moves to the end
            perm = list(range(axis)) + [x.shape.rank - 1] + list(range(axis, x.shape.rank - 1))
            return ember.transpose(y, perm)
        width = int((ends - starts).max())
        index = np.minimum(starts[:, None] + np.arange(width)[None], ends[:, None] - 1)
        gathered = ember.gather(x, ember.constant(index.astype(np.int32)), axis=axis)
        return ember.reduce_max(gathered, axis + 1)

    def call(self, inputs):
        x = ember.convert_to_tensor(inputs)
        if x.shape.rank != self.rank + 2:
            raise ValueError(f"{type(self).__name__}: expected inputs of rank "
                             f"{self.rank + 2}, got shape {x.shape}")
        if not x.dtype.is_floating and self.reduction == "avg":
            x = ember.cast(x, self.compute_dtype)
        if self.data_format == "channels_first":
            x = ember.transpose(x, [0] + list(range(2, self.rank + 2)) + [1])
        for axis in range(1, self.rank + 1):
            x = self._pool_axis(x, axis)
        if self.data_format == "channels_first":
            x = ember.transpose(x, [0, self.rank + 1] + list(range(1, self.rank + 1)))
        return x

    def compute_output_shape(self, input_shape):
        s = tuple(input_shape)
        if self.data_format == "channels_last":
            return (s[0], *self.output_size, s[-1])
        return (s[0], s[1], *self.output_size)

    def get_config(self):
        config = super().get_config()
        config.update({"output_size": self.output_size, "data_format": self.data_format})
        return config


class AdaptiveAveragePooling1D(_AdaptivePooling):
    """Averages (N, L, C) sequences into ``output_size`` steps."""
    rank, reduction = 1, "avg"


class AdaptiveAveragePooling2D(_AdaptivePooling):
    """Averages (N, H, W, C) images into ``output_size`` (an int or (height, width)).

    >>> AdaptiveAveragePooling2D((2, 3))(ember.ones([1, 5, 7, 2])).shape
    TensorShape([1, 2, 3, 2])
    """
    rank, reduction = 2, "avg"


class AdaptiveAveragePooling3D(_AdaptivePooling):
    """Averages (N, D, H, W, C) volumes into ``output_size``."""
    rank, reduction = 3, "avg"


class AdaptiveMaxPooling1D(_AdaptivePooling):
    """Maxima of (N, L, C) sequences over ``output_size`` windows."""
    rank, reduction = 1, "max"


class AdaptiveMaxPooling2D(_AdaptivePooling):
    """Maxima of (N, H, W, C) images over ``output_size`` windows."""
    rank, reduction = 2, "max"


class AdaptiveMaxPooling3D(_AdaptivePooling):
    """Maxima of (N, D, H, W, C) volumes over ``output_size`` windows."""
    rank, reduction = 3, "max"
