"""Pooling layers: max and average pooling in 1, 2 and 3 dimensions, and global pooling."""
from __future__ import annotations

import ember
from ember.keras.layers.convolutional import (
    conv_output_length, op_data_format, shape_text, standardize_data_format,
    standardize_padding, standardize_tuple,
)
from ember.keras.layers.layer import InputSpec, Layer

__all__ = [
    "MaxPooling1D", "MaxPooling2D", "MaxPooling3D",
    "AveragePooling1D", "AveragePooling2D", "AveragePooling3D",
    "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
    "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
    "MaxPool1D", "MaxPool2D", "MaxPool3D",
    "AvgPool1D", "AvgPool2D", "AvgPool3D",
    "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D",
    "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalAvgPool3D",
]


class _Pooling(Layer):
    """Windowed pooling; ``strides`` defaults to ``pool_size``."""

    rank = 2
    kind = "max"

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None,
                 name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        r = self.rank
        self.pool_size = standardize_tuple(pool_size, r, "pool_size")
        self.strides = self.pool_size if strides is None else \
            standardize_tuple(strides, r, "strides")
        self.padding = standardize_padding(padding)
        if not isinstance(self.padding, str):
            raise ValueError(f"{type(self).__name__}: `padding` must be 'valid' or 'same', "
                             f"got {padding!r}")
        self.data_format = standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=r + 2)

    def _spatial(self, shape):
        return tuple(shape[2:]) if self.data_format == "channels_first" else \
            tuple(shape[1:-1])

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) != self.rank + 2:
            raise ValueError(f'Input 0 of layer "{self.name}" is incompatible with the '
                             f"layer: expected ndim={self.rank + 2}, found "
                             f"ndim={len(input_shape)}. Full shape received: "
                             f"{shape_text(input_shape)}")
        out = [conv_output_length(n, k, self.padding, s, 1) for n, k, s in
               zip(self._spatial(input_shape), self.pool_size, self.strides)]
        if any(o is not None and o <= 0 for o in out):
            raise ValueError(f"Layer {self.name}: the pool window {self.pool_size} does not "
                             f"fit the input shape {shape_text(input_shape)} with padding "
                             f"'{self.padding}' (computed output size {tuple(out)})")
        if self.data_format == "channels_first":
            return tuple(input_shape[:2]) + tuple(out)
        return (input_shape[0],) + tuple(out) + (input_shape[-1],)

    def build(self, input_shape):
        self.compute_output_shape(input_shape)
        self.built = True

    def call(self, inputs):
        fmt = op_data_format(self.data_format, self.rank)
        fn = ember.nn.max_pool if self.kind == "max" else ember.nn.avg_pool
        return fn(inputs, self.pool_size, self.strides, self.padding.upper(), data_format=fmt)

    def get_config(self):
        config = super().get_config()
        config.update({"pool_size": self.pool_size, "padding": self.padding,
                       "strides": self.strides, "data_format": self.data_format})
        return config


class MaxPooling1D(_Pooling):
    """Max over windows of ``pool_size`` steps (batch, steps, features).

    >>> MaxPooling1D()(ember.ones([1, 6, 2])).shape
    TensorShape([1, 3, 2])
    """

    rank = 1

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None,
                 name=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)


class MaxPooling2D(_Pooling):
    """Max over ``pool_size`` windows of images (batch, height, width, channels).

    >>> MaxPooling2D()(ember.ones([1, 4, 4, 3])).shape
    TensorShape([1, 2, 2, 3])
    """

    rank = 2

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 name=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)


class MaxPooling3D(_Pooling):
    """Max over ``pool_size`` windows of volumes (batch, depth, height, width, channels).

    >>> MaxPooling3D()(ember.ones([1, 4, 4, 4, 1])).shape
    TensorShape([1, 2, 2, 2, 1])
    """

    rank = 3

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None,
                 name=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)


class AveragePooling1D(_Pooling):
    """Mean over windows of ``pool_size`` steps; 'same' padding is not counted.

    >>> AveragePooling1D()(ember.ones([1, 6, 2])).shape
    TensorShape([1, 3, 2])
    """

    rank = 1
    kind = "avg"

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None,
                 name=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)


class AveragePooling2D(_Pooling):
    """Mean over ``pool_size`` windows of images; 'same' padding is not counted.

    >>> AveragePooling2D()(ember.ones([1, 4, 4, 3])).shape
    TensorShape([1, 2, 2, 3])
    """

    rank = 2
    kind = "avg"

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 name=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)


class AveragePooling3D(_Pooling):
    """Mean over ``pool_size`` windows of volumes.

    >>> AveragePooling3D()(ember.ones([1, 4, 4, 4, 1])).shape
    TensorShape([1, 2, 2, 2, 1])
    """

    rank = 3
    kind = "avg"

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None,
                 name=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)


class _GlobalPooling(Layer):
    """Max or mean over every spatial axis; ``keepdims`` keeps them with size 1."""

    rank = 2
    kind = "max"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self.supports_masking = self.kind == "avg" and self.rank == 1

    def _axes(self):
        first = 2 if self.data_format == "channels_first" else 1
        return list(range(first, first + self.rank))

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) != self.rank + 2:
            raise ValueError(f'Input 0 of layer "{self.name}" is incompatible with the '
                             f"layer: expected ndim={self.rank + 2}, found "
                             f"ndim={len(input_shape)}. Full shape received: "
                             f"{shape_text(input_shape)}")
        axes = self._axes()
        if self.keepdims:
            return tuple(1 if i in axes else d for i, d in enumerate(input_shape))
        return tuple(d for i, d in enumerate(input_shape) if i not in axes)

    def call(self, inputs):
        if self.kind == "max":
            return ember.reduce_max(inputs, self._axes(), keepdims=self.keepdims)
        return ember.reduce_mean(inputs, self._axes(), keepdims=self.keepdims)

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        config = super().get_config()
        config.update({"data_format": self.data_format, "keepdims": self.keepdims})
        return config


class GlobalMaxPooling1D(_GlobalPooling):
    """Max over the steps axis: (batch, steps, features) -> (batch, features); a ``mask``
    (batch, steps) excludes masked steps.

    >>> GlobalMaxPooling1D()(ember.ones([2, 5, 3])).shape
    TensorShape([2, 3])
    """

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(data_format=data_format, keepdims=keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        m = ember.expand_dims(ember.cast(mask, "bool"),
                              1 if self.data_format == "channels_first" else 2)
        low = ember.fill(ember.shape(inputs), ember.constant(inputs.dtype.min, inputs.dtype))
        return ember.reduce_max(ember.where(m, inputs, low), self._axes(),
                                keepdims=self.keepdims)

    rank = 1


class GlobalMaxPooling2D(_GlobalPooling):
    """Max over height and width: (batch, h, w, channels) -> (batch, channels).

    >>> GlobalMaxPooling2D(keepdims=True)(ember.ones([2, 4, 4, 3])).shape
    TensorShape([2, 1, 1, 3])
    """

    rank = 2


class GlobalMaxPooling3D(_GlobalPooling):
    """Max over the three spatial axes.

    >>> GlobalMaxPooling3D()(ember.ones([2, 2, 2, 2, 3])).shape
    TensorShape([2, 3])
    """

    rank = 3


class GlobalAveragePooling1D(_GlobalPooling):
    """Mean over the steps axis; a ``mask`` (batch, steps) excludes masked steps.

    >>> GlobalAveragePooling1D()(ember.ones([2, 5, 3])).shape
    TensorShape([2, 3])
    """

    rank = 1
    kind = "avg"

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        axis = self._axes()[0]
        m = ember.cast(mask, inputs.dtype)
        m = ember.expand_dims(m, 1 if self.data_format == "channels_first" else 2)
        total = ember.reduce_sum(inputs * m, axis, keepdims=self.keepdims)
        count = ember.reduce_sum(m, axis, keepdims=self.keepdims)
        return total / count


class GlobalAveragePooling2D(_GlobalPooling):
    """Mean over height and width: (batch, h, w, channels) -> (batch, channels).

    >>> GlobalAveragePooling2D()(ember.ones([2, 4, 4, 3])).shape
    TensorShape([2, 3])
    """

    rank = 2
    kind = "avg"


class GlobalAveragePooling3D(_GlobalPooling):
    """Mean over the three spatial axes.

    >>> GlobalAveragePooling3D()(ember.ones([2, 2, 2, 2, 3])).shape
    TensorShape([2, 3])
    """

    rank = 3
    kind = "avg"


MaxPool1D = MaxPooling1D
MaxPool2D = MaxPooling2D
MaxPool3D = MaxPooling3D
AvgPool1D = AveragePooling1D
AvgPool2D = AveragePooling2D
AvgPool3D = AveragePooling3D
GlobalMaxPool1D = GlobalMaxPooling1D
GlobalMaxPool2D = GlobalMaxPooling2D
GlobalMaxPool3D = GlobalMaxPooling3D
GlobalAvgPool1D = GlobalAveragePooling1D
GlobalAvgPool2D = GlobalAveragePooling2D
GlobalAvgPool3D = GlobalAveragePooling3D
