"""Reshaping layers: Reshape, Permute, RepeatVector."""
from __future__ import annotations

import numbers

import numpy as np

import ember
from ember.keras.layers.layer import InputSpec, Layer

__all__ = ["Reshape", "Permute", "RepeatVector"]


def _reshape_output_shape(input_shape, new_shape, arg_name):
    """The shape ``input_shape`` (no batch axis) takes when reshaped to ``new_shape`` (which
    may hold one -1); None where the input leaves it unknown."""
    unknown = [i for i, d in enumerate(new_shape) if d == -1]
    if len(unknown) > 1:
        raise ValueError(f"There must be at most one unknown dimension (-1) in {arg_name}. "
                         f"Received: {arg_name}={tuple(new_shape)}.")
    input_known = all(d is not None for d in input_shape)
    if not unknown:
        if input_known and int(np.prod(input_shape, dtype=np.int64)) != \
                int(np.prod(new_shape, dtype=np.int64)):
            raise ValueError(f"The total size of the tensor must be unchanged. Received: "
                             f"input_shape={tuple(input_shape)}, "
                             f"{arg_name}={tuple(new_shape)}")
        return tuple(new_shape)
    out = list(new_shape)
    if not input_known:
        out[unknown[0]] = None
        return tuple(out)
    total = int(np.prod(input_shape, dtype=np.int64))
    known = int(np.prod([d for d in new_shape if d != -1], dtype=np.int64))
    if known == 0 or total % known != 0:
        raise ValueError(f"The total size of the tensor must be unchanged. Received: "
                         f"input_shape={tuple(input_shape)}, {arg_name}={tuple(new_shape)}")
    out[unknown[0]] = total // known
    return tuple(out)


class Reshape(Layer):
    """Reshapes each sample to ``target_shape`` (the batch axis is kept); one entry may be
    -1 and is inferred.

    >>> Reshape((3, 4))(ember.ones([2, 12])).shape
    TensorShape([2, 3, 4])
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        if isinstance(target_shape, numbers.Integral):
            target_shape = (target_shape,)
        try:
            target_shape = tuple(int(d) for d in target_shape)
        except TypeError:
            raise TypeError(f"Reshape: `target_shape` must be a tuple of integers. Received: "
                            f"target_shape={target_shape!r}") from None
        if any(d < -1 for d in target_shape) or sum(d == -1 for d in target_shape) > 1:
            raise ValueError(f"Reshape: `target_shape` must hold non-negative sizes and at "
                             f"most one -1. Received: target_shape={target_shape}")
        self.target_shape = target_shape
        self._resolved = None

    def build(self, input_shape):
        sample = _reshape_output_shape(tuple(input_shape[1:]), self.target_shape,
                                       "target_shape")
        self._resolved = tuple(-1 if d is None else d for d in sample)
        self.built = True

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + _reshape_output_shape(tuple(input_shape[1:]),
                                                         self.target_shape, "target_shape")

    def call(self, inputs):
        target = self._resolved if self._resolved is not None else self.target_shape
        if -1 not in target and int(np.prod(target, dtype=np.int64)) > 0:
            return ember.reshape(inputs, [-1, *target])
        batch = ember.shape(inputs)[:1]
        out = ember.reshape(inputs, ember.concat(
            [batch, ember.constant(list(target), dtype=batch.dtype)], 0))
        if hasattr(out, "set_shape"):
            out.set_shape([inputs.shape[0]] + [None if d == -1 else d for d in target])
        return out

    def get_config(self):
        config = super().get_config()
        config["target_shape"] = self.target_shape
        return config


class Permute(Layer):
    """Permutes the non-batch axes: ``dims`` is a permutation of 1..rank-1 (1-indexed).

    >>> Permute((2, 1))(ember.ones([2, 3, 4])).shape
    TensorShape([2, 4, 3])
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        try:
            dims = tuple(dims)
        except TypeError:
            raise TypeError(f"Permute: `dims` must be a tuple of integers. Received: "
                            f"dims={dims!r}") from None
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError(f"Invalid permutation argument `dims` for Permute Layer. The "
                             f"set of indices in `dims` must be consecutive and start from 1. "
                             f"Received dims={dims}")
        self.dims = tuple(int(d) for d in dims)
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def call(self, inputs):
        return ember.transpose(inputs, (0,) + self.dims)

    def get_config(self):
        config = super().get_config()
        config["dims"] = self.dims
        return config


class RepeatVector(Layer):
    """Repeats a ``(batch, features)`` input ``n`` times: ``(batch, n, features)``.

    >>> RepeatVector(3)(ember.ones([2, 5])).shape
    TensorShape([2, 3, 5])
    """

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if isinstance(n, bool) or not isinstance(n, numbers.Integral):
            raise TypeError(f"Expected an integer value for `n`, got {type(n)}.")
        if n < 0:
            raise ValueError(f"RepeatVector: `n` must be non-negative. Received: n={n}")
        self.n = int(n)
        self.input_spec = InputSpec(ndim=2)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def call(self, inputs):
        return ember.tile(ember.expand_dims(inputs, 1), [1, self.n, 1])

    def get_config(self):
        config = super().get_config()
        config["n"] = self.n
        return config
