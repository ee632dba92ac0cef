"""Spatial reshaping layers: ZeroPadding1D/2D/3D, Cropping1D/2D/3D, UpSampling1D/2D/3D."""
from __future__ import annotations

import numbers

import ember
from ember.keras.layers.convolutional import (
    shape_text, standardize_data_format, standardize_tuple,
)
from ember.keras.layers.layer import InputSpec, Layer

__all__ = [
    "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D",
    "Cropping1D", "Cropping2D", "Cropping3D",
    "UpSampling1D", "UpSampling2D", "UpSampling3D",
]


def _pairs(value, rank, name, cls_name):
    """An int, ``rank`` ints (symmetric) or ``rank`` (lo, hi) pairs as a tuple of pairs."""
    def bad():
        return ValueError(f"`{name}` of {cls_name} should be an int, a tuple of {rank} ints "
                          f"or a tuple of {rank} tuples of 2 non-negative ints. Received: "
                          f"{name}={value}")
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        pairs = ((int(value), int(value)),) * rank
    else:
        try:
            items = tuple(value)
        except TypeError:
            raise bad() from None
        if rank == 1 and len(items) == 2 and all(isinstance(v, numbers.Integral)
                                                 for v in items):
            pairs = ((int(items[0]), int(items[1])),)
        elif len(items) != rank:
            raise bad()
        else:
            out = []
            for v in items:
                if isinstance(v, numbers.Integral) and not isinstance(v, bool):
                    out.append((int(v), int(v)))
                else:
                    try:
                        lo, hi = v
                    except (TypeError, ValueError):
                        raise bad() from None
                    if not all(isinstance(d, numbers.Integral) for d in (lo, hi)):
                        raise bad()
                    out.append((int(lo), int(hi)))
            pairs = tuple(out)
    if any(d < 0 for p in pairs for d in p):
        raise bad()
    return pairs


class _Spatial(Layer):
    rank = 2

    def _init_format(self, data_format):
        self.data_format = standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    @property
    def _first(self):
        return 2 if self.data_format == "channels_first" else 1

    def _check_rank(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) != self.rank + 2:
            raise ValueError(f'Input 0 of layer "{self.name}" is incompatible with the '
                             f"layer: expected ndim={self.rank + 2}, found "
                             f"ndim={len(input_shape)}. Full shape received: "
                             f"{shape_text(input_shape)}")
        return input_shape

    def _with_spatial(self, input_shape, fn):
        input_shape = list(self._check_rank(input_shape))
        for i in range(self.rank):
            d = input_shape[self._first + i]
            input_shape[self._first + i] = None if d is None else fn(i, d)
        return tuple(input_shape)


# ---------------------------------------------------------------------- zero padding ---

class _ZeroPadding(_Spatial):
    def __init__(self, padding, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.padding = _pairs(padding, self.rank, "padding", type(self).__name__)
        self._init_format(data_format)

    def compute_output_shape(self, input_shape):
        return self._with_spatial(input_shape, lambda i, d: d + sum(self.padding[i]))

    def call(self, inputs):
        pads = [[0, 0]] * (self.rank + 2)
        for i, p in enumerate(self.padding):
            pads[self._first + i] = list(p)
        return ember.pad(inputs, pads)

    def get_config(self):
        config = super().get_config()
        config.update({"padding": self.padding[0] if self.rank == 1 else self.padding,
                       "data_format": self.data_format})
        return config


class ZeroPadding1D(_ZeroPadding):
    """Pads the steps axis with zeros: ``padding`` is an int or (left, right).

    >>> ZeroPadding1D(2)(ember.ones([1, 3, 1])).shape
    TensorShape([1, 7, 1])
    """

    rank = 1

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding2D(_ZeroPadding):
    """Pads height and width with zeros: an int, (pad_h, pad_w) or
    ((top, bottom), (left, right)).

    >>> ZeroPadding2D(((1, 0), (2, 1)))(ember.ones([1, 3, 3, 1])).shape
    TensorShape([1, 4, 6, 1])
    """

    rank = 2

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding3D(_ZeroPadding):
    """Pads the three spatial axes with zeros.

    >>> ZeroPadding3D(1)(ember.ones([1, 2, 2, 2, 1])).shape
    TensorShape([1, 4, 4, 4, 1])
    """

    rank = 3

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


# -------------------------------------------------------------------------- cropping ---

class _Cropping(_Spatial):
    def __init__(self, cropping, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.cropping = _pairs(cropping, self.rank, "cropping", type(self).__name__)
        self._init_format(data_format)

    def compute_output_shape(self, input_shape):
        def crop(i, d):
            out = d - sum(self.cropping[i])
            if out <= 0:
                raise ValueError(f"Layer {self.name}: values in `cropping` argument should "
                                 f"be smaller than the corresponding spatial dimension of "
                                 f"the input. Received: input_shape="
                                 f"{shape_text(input_shape)}, cropping={self.cropping}")
            return out
        return self._with_spatial(input_shape, crop)

    def build(self, input_shape):
        self.compute_output_shape(input_shape)
        self.built = True

    def call(self, inputs):
        index = [slice(None)] * (self.rank + 2)
        for i, (lo, hi) in enumerate(self.cropping):
            index[self._first + i] = slice(lo, -hi if hi else None)
        return inputs[tuple(index)]

    def get_config(self):
        config = super().get_config()
        config.update({"cropping": self.cropping[0] if self.rank == 1 else self.cropping,
                       "data_format": self.data_format})
        return config


class Cropping1D(_Cropping):
    """Crops the steps axis: ``cropping`` is an int or (start, end).

    >>> Cropping1D((1, 2))(ember.ones([1, 6, 1])).shape
    TensorShape([1, 3, 1])
    """

    rank = 1

    def __init__(self, cropping=(1, 1), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


class Cropping2D(_Cropping):
    """Crops height and width: an int, (crop_h, crop_w) or ((top, bottom), (left, right)).

    >>> Cropping2D(((1, 0), (0, 2)))(ember.ones([1, 4, 4, 1])).shape
    TensorShape([1, 3, 2, 1])
    """

    rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


class Cropping3D(_Cropping):
    """Crops the three spatial axes.

    >>> Cropping3D(1)(ember.ones([1, 4, 4, 4, 1])).shape
    TensorShape([1, 2, 2, 2, 1])
    """

    rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


# ------------------------------------------------------------------------ upsampling ---

_INTERPOLATIONS = ("nearest", "bilinear")


class _UpSampling(_Spatial):
    def __init__(self, size, data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self.size = standardize_tuple(size, self.rank, "size")
        self._init_format(data_format)
        interpolation = str(interpolation).lower()
        if interpolation not in _INTERPOLATIONS or (interpolation != "nearest" and
                                                    self.rank != 2):
            allowed = _INTERPOLATIONS if self.rank == 2 else ("nearest",)
            raise ValueError(f"`interpolation` argument should be one of {list(allowed)}. "
                             f"Received: interpolation={interpolation!r}")
        self.interpolation = interpolation

    def compute_output_shape(self, input_shape):
        return self._with_spatial(input_shape, lambda i, d: d * self.size[i])

    def call(self, inputs):
        if self.interpolation == "nearest":
            y = inputs
            for i, s in enumerate(self.size):
                if s != 1:
                    y = ember.repeat(y, s, axis=self._first + i)
            return y
        cf = self.data_format == "channels_first"
        x = ember.transpose(inputs, [0, 2, 3, 1]) if cf else inputs
        static = x.shape.as_list()
        if static[1] is not None and static[2] is not None:
            new = [static[1] * self.size[0], static[2] * self.size[1]]
        else:
            raise ValueError(f"Layer {self.name}: interpolation='{self.interpolation}' needs "
                             f"known spatial sizes (ember.image.resize takes a static size), "
                             f"got input shape {shape_text(inputs.shape.as_list())}")
        y = ember.image.resize(x, new, method=self.interpolation)
        y = ember.cast(y, inputs.dtype) if y.dtype != inputs.dtype else y
        return ember.transpose(y, [0, 3, 1, 2]) if cf else y

    def get_config(self):
        config = super().get_config()
        config.update({"size": self.size[0] if self.rank == 1 else self.size,
                       "data_format": self.data_format})
        if self.rank == 2:
            config["interpolation"] = self.interpolation
        return config


class UpSampling1D(_UpSampling):
    """Repeats each step ``size`` times.

    >>> UpSampling1D(3)(ember.ones([1, 2, 4])).shape
    TensorShape([1, 6, 4])
    """

    rank = 1

    def __init__(self, size=2, data_format=None, **kwargs):
        super().__init__(size, data_format, "nearest", **kwargs)

    def get_config(self):
        config = super().get_config()
        config.pop("data_format")
        return config


class UpSampling2D(_UpSampling):
    """Scales height and width by ``size``: repeats rows and columns (``"nearest"``) or
    interpolates (``"bilinear"``, half-pixel centers as ``tf.image.resize``).

    >>> UpSampling2D((2, 3))(ember.ones([1, 2, 2, 1])).shape
    TensorShape([1, 4, 6, 1])
    """

    rank = 2

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(size, data_format, interpolation, **kwargs)


class UpSampling3D(_UpSampling):
    """Repeats along the three spatial axes by ``size``.

    >>> UpSampling3D(2)(ember.ones([1, 1, 2, 2, 1])).shape
    TensorShape([1, 2, 4, 4, 1])
    """

    rank = 3

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(size, data_format, "nearest", **kwargs)
