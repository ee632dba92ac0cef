"""TensorFlow 2's top-level initializers (``tf.zeros_initializer`` ...): callables
``init(shape, dtype)`` with ``get_config``/``from_config``. A seeded random initializer
draws with the stateless ops from seed [seed, 0], as TensorFlow's do, so it gives
TensorFlow's values and the same values on every call."""
from __future__ import annotations

import numpy as np

from ember.framework import dtypes
from ember.ops import array_ops, random_ops
from ember.ops._base import tensor

__all__ = ["constant_initializer", "ones_initializer", "random_normal_initializer",
           "random_uniform_initializer", "zeros_initializer"]


class _Initializer:
    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class zeros_initializer(_Initializer):  # noqa: N801 - TensorFlow's public name
    """Makes tensors of zeros.

    >>> ember.zeros_initializer()([2], ember.int32).numpy()
    array([0, 0], dtype=int32)
    """

    def __call__(self, shape, dtype=dtypes.float32, **kwargs):
        return array_ops.zeros(shape, dtypes.as_dtype(dtype))


class ones_initializer(_Initializer):  # noqa: N801
    """Makes tensors of ones."""

    def __call__(self, shape, dtype=dtypes.float32, **kwargs):
        return array_ops.ones(shape, dtypes.as_dtype(dtype))


class constant_initializer(_Initializer):  # noqa: N801
    """Makes tensors filled with ``value`` (a scalar, broadcast, or a value of the
    requested shape / size, reshaped).

    >>> ember.constant_initializer([1, 2, 3, 4])([2, 2]).numpy()
    array([[1., 2.],
           [3., 4.]], dtype=float32)
    """

    def __init__(self, value=0, support_partition=False):
        self.value = value
        self.support_partition = support_partition

    def __call__(self, shape, dtype=dtypes.float32, **kwargs):
        dtype = dtypes.as_dtype(dtype)
        value = np.asarray(self.value)
        shape = [int(d) for d in shape]
        if value.size == 1:
            return array_ops.fill(shape, tensor(value.reshape(()), dtype=dtype))
        if value.size != int(np.prod(shape)):
            raise TypeError(f"constant_initializer: {value.size} values cannot fill shape "
                            f"{shape}")
        return tensor(value.reshape(shape), dtype=dtype)

    def get_config(self):
        value = self.value
        return {"value": value.tolist() if isinstance(value, np.ndarray) else value}


class random_normal_initializer(_Initializer):  # noqa: N801
    """Normal(mean, stddev) samples; with ``seed``, the same values on every call.

    >>> ember.random_normal_initializer(seed=1)([2]).shape
    TensorShape([2])
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def __call__(self, shape, dtype=dtypes.float32, **kwargs):
        dtype = dtypes.as_dtype(dtype)
        if not dtype.is_floating:
            raise ValueError(f"random_normal_initializer: dtype must be float, got "
                             f"{dtype.name}")
        if self.seed is not None:
            return random_ops.stateless_normal(shape, [int(self.seed), 0], self.mean,
                                               self.stddev, dtype)
        return random_ops.normal(shape, self.mean, self.stddev, dtype)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class random_uniform_initializer(_Initializer):  # noqa: N801
    """Uniform samples in [minval, maxval); with ``seed``, the same values on every
    call."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval, self.maxval, self.seed = minval, maxval, seed

    def __call__(self, shape, dtype=dtypes.float32, **kwargs):
        dtype = dtypes.as_dtype(dtype)
        if not (dtype.is_floating or dtype.is_integer):
            raise ValueError(f"random_uniform_initializer: dtype must be float or integer, "
                             f"got {dtype.name}")
        if self.seed is not None:
            return random_ops.stateless_uniform(shape, [int(self.seed), 0], self.minval,
                                                self.maxval, dtype)
        return random_ops.uniform(shape, self.minval, self.maxval, dtype)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}
