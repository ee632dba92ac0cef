"""Stateless gamma, Poisson, binomial and parameterized truncated normal samples,
stateless shuffles and ``index_shuffle``.

Each result is a pure function of its seed (shape [2] integers; [3] for index_shuffle):
NumPy's Philox keyed by the seed draws it. TensorFlow's own samplers for these
distributions are not reproduced, so the values differ from TensorFlow's (the normal,
uniform and integer stateless ops in random_ops give TensorFlow's values).
"""
from __future__ import annotations

import numpy as np

from ember.framework import dtypes, random_seed
from ember.framework.errors import InvalidArgumentError
from ember.framework.op import Op
from ember.engine.dispatch import execute
from ember.ops import math_ops
from ember.ops._base import shape_arg, tensor
from ember.ops.random_ops import _dims, _seed_values, _shape_spec

__all__ = ["general_dropout", "index_shuffle", "stateless_binomial", "stateless_dropout",
           "stateless_gamma",
           "stateless_parameterized_truncated_normal", "stateless_poisson",
           "stateless_shuffle"]

_INDEX = (dtypes.int32, dtypes.int64)
_FLOATS = (dtypes.float16, dtypes.float32, dtypes.float64)


def _rng(seed, op_name, stream):
    seed0, seed1 = _seed_values(seed, op_name)
    return random_seed.philox(seed0, seed1, stream=stream)


def _ndtr(x):
    from ember.ops.special_ops import scipy_special
    return scipy_special("ndtr", "stateless_parameterized_truncated_normal")(x)


def _ndtri(x):
    from ember.ops.special_ops import scipy_special
    return scipy_special("ndtri", "stateless_parameterized_truncated_normal")(x)


def _sample(kind, rng, dims, params, dtype):
    with np.errstate(all="ignore"):
        if kind == "gamma":
            (alpha,) = params
            a = np.broadcast_to(alpha.astype(np.float64), dims)
            ok = a > 0
            out = np.where(ok, rng.standard_gamma(np.where(ok, a, 1.0)), np.nan)
            return np.maximum(out, np.finfo(dtype.np).tiny).astype(dtype.np)
        if kind == "poisson":
            (lam,) = params
            lam = np.broadcast_to(lam.astype(np.float64), dims)
            ok = lam >= 0
            counts = rng.poisson(np.where(ok, lam, 0.0))
            if dtype.is_floating:
                return np.where(ok, counts, np.nan).astype(dtype.np)
            return counts.astype(dtype.np)
        if kind == "binomial":
            counts, probs = (np.broadcast_to(p.astype(np.float64), dims) for p in params)
            ok = (counts >= 0) & (probs >= 0) & (probs <= 1)
            n = np.where(ok, np.floor(counts), 0).astype(np.int64)
            out = rng.binomial(n, np.where(ok, probs, 0.0))
            if dtype.is_floating:
                return np.where(ok, out, np.nan).astype(dtype.np)
            return out.astype(dtype.np)
        # truncated normal on [minval, maxval] by the inverse CDF
        means, stddevs, lo, hi = (np.broadcast_to(p.astype(np.float64), dims) for p in params)
        a = (lo - means) / stddevs
        b = (hi - means) / stddevs
        # use the upper tail's mirror image where the window sits right of 0 (accuracy)
        flip = a > 0
        a, b = np.where(flip, -b, a), np.where(flip, -a, b)
        pa, pb = _ndtr(a), _ndtr(b)
        u = rng.random(dims)
        z = np.clip(_ndtri(pa + u * (pb - pa)), a, b)
        out = means + stddevs * np.where(flip, -z, z)
        bad = ~(stddevs > 0) | ~(lo < hi)
        return np.where(bad, np.nan, out).astype(dtype.np)


_KINDS = {"gamma": ("StatelessRandomGammaV2", 1), "poisson": ("StatelessRandomPoisson", 1),
          "binomial": ("StatelessRandomBinomial", 2),
          "truncated": ("StatelessParameterizedTruncatedNormal", 4)}


class _StatelessSample(Op):
    """``shape`` and ``seed`` in, then the distribution's parameters (broadcast to
    ``shape``); a sample of ``shape`` in attr ``dtype`` out."""

    name = "StatelessSample"
    differentiable = False

    def infer(self, inputs, kind, dtype):
        op_name = _KINDS[kind][0]
        shape, seed = inputs[:2]
        if seed.dtype not in _INDEX:
            raise InvalidArgumentError(f"{op_name}: seed must be int32 or int64, got "
                                       f"{seed.dtype.name}")
        return _shape_spec(shape, op_name), dtype

    def kernel(self, xp, shape, seed, *params, kind, dtype):
        op_name = _KINDS[kind][0]
        dims = _dims(shape, op_name)
        for p in params:
            try:
                np.broadcast_shapes(p.shape, dims)
            except ValueError:
                raise InvalidArgumentError(
                    f"{op_name}: a parameter of shape {list(p.shape)} does not broadcast to "
                    f"the output shape {list(dims)}") from None
        return _sample(kind, _rng(seed, op_name, stream=4), dims, params, dtype)


STATELESS_SAMPLE = _StatelessSample()


def _run(kind, shape, seed, params, dtype, fn_name, name):
    if seed is None:
        raise ValueError(f"{fn_name}: seed is required (shape [2] integers)")
    seed = tensor(seed)
    if seed.dtype not in _INDEX or (seed.shape.rank is not None and
                                    seed.shape.as_list() not in ([2], [None])):
        raise ValueError(f"{fn_name}: seed must be an int32/int64 tensor of shape [2], got "
                         f"{seed.dtype.name} of shape {seed.shape}")
    return execute(STATELESS_SAMPLE, (shape_arg(shape, fn_name), seed) + tuple(params),
                   {"kind": kind, "dtype": dtype}, name)


def stateless_gamma(shape, seed, alpha, beta=None, dtype=dtypes.float32, name=None):
    """Gamma(alpha, beta) samples of ``shape`` (alpha and beta broadcast to it), a pure
    function of ``seed``.

    >>> ember.random.stateless_gamma([2, 3], seed=[1, 2], alpha=[0.5, 1.0, 2.0]).shape
    TensorShape([2, 3])
    """
    dtype = dtypes.as_dtype(dtype)
    if dtype not in _FLOATS:
        raise ValueError(f"random.stateless_gamma: dtype must be float16, float32 or "
                         f"float64, got {dtype.name}")
    out = _run("gamma", shape, seed, (tensor(alpha, dtype=dtype),), dtype,
               "random.stateless_gamma", name)
    if beta is not None:
        out = math_ops.divide(out, tensor(beta, dtype=dtype))
    return out


def stateless_poisson(shape, seed, lam, dtype=dtypes.int32, name=None):
    """Poisson(lam) samples of ``shape`` (lam broadcast to it), a pure function of
    ``seed``."""
    dtype = dtypes.as_dtype(dtype)
    if dtype not in _FLOATS + _INDEX:
        raise ValueError(f"random.stateless_poisson: dtype must be a float or int32/int64, "
                         f"got {dtype.name}")
    return _run("poisson", shape, seed, (tensor(lam, dtype_hint=dtypes.float32),), dtype,
                "random.stateless_poisson", name)


def stateless_binomial(shape, seed, counts, probs, output_dtype=dtypes.int32, name=None):
    """Binomial(counts, probs) samples of ``shape`` (parameters broadcast to it), a pure
    function of ``seed``.

    >>> ember.random.stateless_binomial([4], seed=[1, 2], counts=10., probs=0.5).dtype
    ember.int32
    """
    dtype = dtypes.as_dtype(output_dtype)
    if dtype not in _FLOATS + _INDEX:
        raise ValueError(f"random.stateless_binomial: output_dtype must be a float or "
                         f"int32/int64, got {dtype.name}")
    counts = tensor(counts, dtype_hint=dtypes.float32)
    probs = tensor(probs, dtype_hint=counts.dtype)
    return _run("binomial", shape, seed, (counts, probs), dtype, "random.stateless_binomial",
                name)


def stateless_parameterized_truncated_normal(shape, seed, means=0.0, stddevs=1.0,
                                             minvals=-2.0, maxvals=2.0, name=None):
    """Normal(means, stddevs) samples restricted to [minvals, maxvals], of ``shape``, a
    pure function of ``seed`` (drawn by the inverse CDF; needs SciPy).

    >>> x = ember.random.stateless_parameterized_truncated_normal([100], [1, 2], 0., 1., 0.5, 1.)
    >>> bool(ember.reduce_all((x >= 0.5) & (x <= 1.0)))
    True
    """
    means = tensor(means, dtype_hint=dtypes.float32)
    dtype = means.dtype
    if dtype not in _FLOATS:
        raise ValueError(f"random.stateless_parameterized_truncated_normal: means must be "
                         f"float, got {dtype.name}")
    params = (means,) + tuple(tensor(p, dtype=dtype) for p in (stddevs, minvals, maxvals))
    return _run("truncated", shape, seed, params, dtype,
                "random.stateless_parameterized_truncated_normal", name)


class _StatelessShuffle(Op):
    name = "StatelessShuffle"
    differentiable = False
    strings = True

    def infer(self, inputs):
        value, seed = inputs
        if seed.dtype not in _INDEX:
            raise InvalidArgumentError(f"{self.name}: seed must be int32 or int64, got "
                                       f"{seed.dtype.name}")
        return value.shape, value.dtype

    def kernel(self, xp, value, seed):
        if value.ndim == 0:
            return value.copy()
        rng = _rng(seed, self.name, stream=5)
        return value[rng.permutation(value.shape[0])]


STATELESS_SHUFFLE = _StatelessShuffle()


def stateless_shuffle(value, seed, alg="auto_select", name=None):
    """``value`` permuted along its first axis, a pure function of ``seed``.

    >>> sorted(ember.random.experimental.stateless_shuffle([1, 2, 3], [1, 2]).numpy())
    [1, 2, 3]
    """
    seed = tensor(seed)
    if seed.dtype not in _INDEX:
        raise ValueError(f"random.experimental.stateless_shuffle: seed must be int32/int64, "
                         f"got {seed.dtype.name}")
    return execute(STATELESS_SHUFFLE, (tensor(value), seed), {}, name)


class _IndexShuffle(Op):
    """Position ``index`` of a random permutation of [0, max_index] chosen by ``seed``."""

    name = "RandomIndexShuffle"
    differentiable = False

    def infer(self, inputs, rounds):
        index, seed, max_index = inputs
        if index.dtype not in (dtypes.int32, dtypes.int64, dtypes.uint32, dtypes.uint64):
            raise InvalidArgumentError(f"{self.name}: index must be a 32/64-bit integer, got "
                                       f"{index.dtype.name}")
        if seed.shape.rank is not None and seed.shape.as_list() not in ([3], [None]):
            raise InvalidArgumentError(f"{self.name}: seed must have shape [3], got "
                                       f"{seed.shape}")
        return index.shape, index.dtype

    def kernel(self, xp, index, seed, max_index, rounds):
        flat = np.asarray(seed).reshape(-1)
        if flat.shape != (3,):
            raise InvalidArgumentError(f"{self.name}: seed must have shape [3], got "
                                       f"{list(np.shape(seed))}")
        top = int(max_index)
        if top < 0 or np.any(index < 0) or np.any(index > top):
            raise InvalidArgumentError(f"{self.name}: index must lie in [0, max_index = "
                                       f"{top}]")
        if top >= 1 << 26:
            raise InvalidArgumentError(f"{self.name}: ember's index_shuffle supports "
                                       f"max_index < 2**26, got {top}")
        key = (int(flat[2]) & 0xFFFFFFFF) << 32 | (int(rounds) & 0xFFFF)
        rng = random_seed.philox(int(flat[0]), int(flat[1]) ^ key, stream=6)
        return rng.permutation(top + 1)[index.astype(np.int64)].astype(index.dtype)


INDEX_SHUFFLE = _IndexShuffle()


def index_shuffle(index, seed, max_index, rounds=4, name=None):
    """Where ``index`` goes under a random permutation of [0, max_index] that ``seed``
    (shape [3]) picks: a bijection, the same for the same seed. ember's permutation is
    not TensorFlow's.

    >>> sorted(int(ember.random.experimental.index_shuffle(i, [1, 2, 3], 4))
    ...        for i in range(5))
    [0, 1, 2, 3, 4]
    """
    index = tensor(index, dtype_hint=dtypes.int64)
    seed = tensor(seed, dtype_hint=dtypes.int64)
    max_index = tensor(max_index, dtype=index.dtype)
    return execute(INDEX_SHUFFLE, (index, seed, max_index), {"rounds": int(rounds)}, name)



def general_dropout(x, rate, uniform_sampler, noise_shape=None, name=None):
    """Dropout with uniforms from ``uniform_sampler(shape=..., dtype=...)``: entries
    whose uniform is below ``rate`` become 0, the rest are scaled by 1 / (1 - rate)."""
    from ember.ops import array_ops as _array_ops, math_ops as _math_ops
    from ember.ops.random_ops import _noise_shape
    x = tensor(x)
    if not x.dtype.is_floating:
        raise ValueError(f"general_dropout: x must be a float tensor, got {x.dtype.name}")
    rate = float(rate) if not hasattr(rate, "dtype") else rate
    if isinstance(rate, float) and not 0 <= rate < 1:
        raise ValueError(f"general_dropout: rate must be in [0, 1), got {rate}")
    rate_t = tensor(rate, dtype=x.dtype)
    scale = _math_ops.divide(tensor(1.0, dtype=x.dtype), 1.0 - rate_t)
    noise = uniform_sampler(shape=_noise_shape(x, noise_shape), dtype=x.dtype)
    keep = _math_ops.cast(_math_ops.greater_equal(noise, rate_t), x.dtype)
    return _array_ops.identity(_math_ops.multiply(_math_ops.multiply(x, scale), keep),
                               name=name)


def stateless_dropout(x, rate, seed, rng_alg=None, noise_shape=None, name=None):
    """Dropout whose mask is a pure function of ``seed`` (shape [2]); with TensorFlow's
    stateless uniforms, the mask TensorFlow makes.

    >>> ember.nn.experimental.stateless_dropout(ember.ones([4]), 0.5, seed=[1, 2]).numpy()
    array([2., 0., 2., 0.], dtype=float32)
    """
    from ember.ops.random_ops import stateless_uniform

    def sampler(shape, dtype):
        return stateless_uniform(shape, seed, dtype=dtype, alg=rng_alg or "auto_select")
    return general_dropout(x, rate, sampler, noise_shape, name)
