"""Smaller tf.math functions written over public ops: angle, approximate top-k,
invert_permutation, monotonicity tests, zero_fraction."""
from __future__ import annotations

import math

import numpy as np

from ember.framework import dtypes
from ember.framework.errors import InvalidArgumentError, UnimplementedError
from ember.framework.op import Op
from ember.engine.dispatch import execute
from ember.framework.tensor_shape import TensorShape
from ember.ops import array_ops, math_ops, reduce_ops
from ember.ops._base import EMPTY, INTS, check_dtype, tensor

__all__ = ["angle", "approx_max_k", "approx_min_k", "invert_permutation",
           "is_non_decreasing", "is_strictly_increasing", "sobol_sample", "zero_fraction"]


def angle(input, name=None):  # noqa: A002
    """The argument of complex numbers (atan2(imag, real)); for real input, pi where it is
    negative and 0 elsewhere.

    >>> ember.math.angle([1 + 1j]).numpy()
    array([0.78539816])
    """
    x = tensor(input)
    if x.dtype.is_complex:
        return math_ops.atan2(math_ops.imag(x), math_ops.real(x), name=name)
    negative = math_ops.less(x, array_ops.zeros_like(x))
    return array_ops.where(negative, array_ops.fill(array_ops.shape(x),
                                                    math_ops.cast(math.pi, x.dtype)),
                           array_ops.zeros_like(x), name=name)


def _approx_k(fn_name, operand, k, reduction_dimension, largest):
    x = tensor(operand)
    rank = x.shape.rank
    if rank is None:
        raise ValueError(f"{fn_name}: the operand's rank must be known")
    axis = reduction_dimension % rank if rank else 0
    perm = None
    if axis != rank - 1:
        perm = list(range(rank))
        perm[axis], perm[-1] = perm[-1], perm[axis]
        x = array_ops.transpose(x, perm)
    values, indices = reduce_ops.top_k(x if largest else -x, k=k)
    if not largest:
        values = -values
    if perm is not None:
        values = array_ops.transpose(values, perm)
        indices = array_ops.transpose(indices, perm)
    return values, indices


def approx_max_k(operand, k, reduction_dimension=-1, recall_target=0.95,
                 reduction_input_size_override=-1, aggregate_to_topk=True, name=None):
    """The ``k`` largest values along ``reduction_dimension`` and their indices. ember
    computes them exactly (recall 1, which meets every ``recall_target``).

    >>> v, i = ember.math.approx_max_k([[1., 5., 3.]], 2)
    >>> v.numpy(), i.numpy()
    (array([[5., 3.]], dtype=float32), array([[1, 2]], dtype=int32))
    """
    return _approx_k("approx_max_k", operand, k, reduction_dimension, True)


def approx_min_k(operand, k, reduction_dimension=-1, recall_target=0.95,
                 reduction_input_size_override=-1, aggregate_to_topk=True, name=None):
    """The ``k`` smallest values along ``reduction_dimension`` and their indices (exact)."""
    return _approx_k("approx_min_k", operand, k, reduction_dimension, False)


class _InvertPermutation(Op):
    name = "InvertPermutation"
    differentiable = False

    def infer(self, inputs):
        (x,) = inputs
        check_dtype(self.name, x.dtype, INTS)
        if x.shape.rank not in (None, 1):
            raise InvalidArgumentError(f"{self.name}: x must be a vector, got shape {x.shape}")
        return x.shape, x.dtype

    def kernel(self, xp, x):
        n = x.shape[0]
        if x.ndim != 1 or not np.array_equal(np.sort(x), np.arange(n)):
            raise InvalidArgumentError(f"{self.name}: x must be a permutation of 0..{n - 1}, "
                                       f"got {x.tolist()}")
        out = np.empty_like(x)
        out[x] = np.arange(n, dtype=x.dtype)
        return out


INVERT_PERMUTATION = _InvertPermutation()


def invert_permutation(x, name=None):
    """The inverse permutation: y[x[i]] = i.

    >>> ember.math.invert_permutation([3, 4, 0, 2, 1]).numpy()
    array([2, 4, 3, 0, 1], dtype=int32)
    """
    return execute(INVERT_PERMUTATION, (tensor(x),), EMPTY, name)


def _pairs(fn_name, x):
    x = tensor(x)
    if x.dtype.is_complex or x.dtype == dtypes.string or x.dtype == dtypes.bool:
        raise TypeError(f"{fn_name}: x must be a real numeric tensor, got {x.dtype.name}")
    flat = array_ops.reshape(x, [-1])
    return flat[:-1], flat[1:]


def is_non_decreasing(x, name=None):
    """True when every entry (in row-major order) is >= the one before.

    >>> bool(ember.math.is_non_decreasing([1, 1, 2]))
    True
    """
    before, after = _pairs("is_non_decreasing", x)
    return reduce_ops.reduce_all(math_ops.less_equal(before, after), name=name)


def is_strictly_increasing(x, name=None):
    """True when every entry (in row-major order) is > the one before."""
    before, after = _pairs("is_strictly_increasing", x)
    return reduce_ops.reduce_all(math_ops.less(before, after), name=name)


def zero_fraction(value, name=None):
    """The fraction of entries equal to zero, as a float32 scalar.

    >>> float(ember.math.zero_fraction([0., 1., 0., 3.]))
    0.5
    """
    x = tensor(value)
    zero = math_ops.equal(x, array_ops.zeros_like(x))
    return reduce_ops.reduce_mean(math_ops.cast(zero, dtypes.float32), name=name)


class _SobolSample(Op):
    """Points of the unscrambled Sobol sequence (Joe-Kuo direction numbers), after its
    first (all-zero) point and ``skip`` more, by SciPy."""

    name = "SobolSample"
    differentiable = False

    def infer(self, inputs, dtype):
        dim, num, skip = inputs
        d = int(dim.value) if dim.value is not None else None
        n = int(num.value) if num.value is not None else None
        return TensorShape([n, d]), dtype

    def kernel(self, xp, dim, num, skip, dtype):
        d, n, k = int(dim), int(num), int(skip)
        if d < 1 or n < 0 or k < 0:
            raise InvalidArgumentError(f"{self.name}: dim must be >= 1, num_results and skip "
                                       f">= 0, got {d}, {n}, {k}")
        import warnings
        try:
            from scipy.stats import qmc
        except ImportError:
            raise UnimplementedError("sobol_sample needs SciPy (pip install scipy, or "
                                     "ember[scipy])") from None
        engine = qmc.Sobol(d, scramble=False)
        engine.fast_forward(1 + k)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return engine.random(n).astype(dtype.np)


SOBOL_SAMPLE = _SobolSample()


def sobol_sample(dim, num_results, skip=0, dtype=dtypes.float32, name=None):
    """``num_results`` points of the ``dim``-dimensional Sobol sequence, after skipping
    ``skip`` points (TensorFlow's values: the unscrambled sequence without its first,
    all-zero point; needs SciPy).

    >>> ember.math.sobol_sample(2, 3).numpy()
    array([[0.5 , 0.5 ],
           [0.75, 0.25],
           [0.25, 0.75]], dtype=float32)
    """
    dtype = dtypes.as_dtype(dtype)
    if dtype not in (dtypes.float32, dtypes.float64):
        raise ValueError(f"sobol_sample: dtype must be float32 or float64, got {dtype.name}")
    args = tuple(tensor(v, dtype=dtypes.int32) for v in (dim, num_results, skip))
    return execute(SOBOL_SAMPLE, args, {"dtype": dtype}, name)
