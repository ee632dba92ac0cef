"""Random ops with TensorFlow's global and op seeds, random.Generator, stateless ops, dropout.

Every sampling op comes in up to three modes, sharing one sampler:

- seeded (``RandomUniform`` ...): attrs ``seed``, ``seed2``, ``key`` (see
  ember.framework.random_seed); the kernel draws from the advancing generator kept for them;
- generator (``StatefulUniform`` ...): attr ``generator``, the id of a ``random.Generator``
  whose state the kernel advances;
- stateless (``StatelessRandomUniform`` ...): a last input ``seed`` of shape [2]; the
  result is a pure function of it.

Stateless and Generator draws of normal, truncated normal, uniform and integer samples
use TensorFlow's Philox stream and distributions (ember/runtime/philox.py), so they give
TensorFlow's numbers for the same seed or state (floats to within an ulp or two of
TensorFlow's float32 sin/log). Stateless categorical, gamma, Poisson and binomial samples
draw from NumPy's Philox keyed by the same seed instead: pure functions of the seed, but
not TensorFlow's values.

Distribution parameters (mean, stddev, minval, maxval, beta) are applied with ordinary ops
after sampling, so gradients reach them.
"""
from __future__ import annotations

import enum
import itertools
import numbers
import sys
import weakref

import numpy as np

from ember.framework import dtypes
from ember.framework import random_seed
from ember.framework.errors import InvalidArgumentError
from ember.runtime import philox
from ember.runtime.memory import thread_cache
from ember.framework.op import Op
from ember.engine.dispatch import execute
from ember.framework.random_seed import get_seed, set_seed
from ember.framework.tensor import EagerTensor, Tensor
from ember.framework.tensor_shape import TensorShape
from ember.ops import array_ops, math_ops
from ember.ops._base import shape_arg, shape_from_spec, shape_value, tensor

__all__ = [
    "Algorithm",
    "Generator",
    "categorical",
    "create_rng_state",
    "dropout",
    "gamma",
    "get_global_generator",
    "get_seed",
    "normal",
    "poisson",
    "set_global_generator",
    "set_seed",
    "shuffle",
    "stateless_categorical",
    "stateless_fold_in",
    "stateless_normal",
    "stateless_split",
    "stateless_truncated_normal",
    "stateless_uniform",
    "truncated_normal",
    "uniform",
]

_MASK64 = (1 << 64) - 1
_FLOATS = (dtypes.float16, dtypes.bfloat16, dtypes.float32, dtypes.float64)
_UNIFORM_INTS = (dtypes.int32, dtypes.int64, dtypes.uint32, dtypes.uint64)
_INDEX = (dtypes.int32, dtypes.int64)
_RNG_ATTRS = ("seed", "seed2", "key", "generator")


def _names(ds):
    return ", ".join(d.name for d in ds)


def _check_dtype(op_name, dtype, allowed, what="dtype"):
    if dtype not in allowed:
        raise InvalidArgumentError(
            f"{op_name}: {what} must be one of {_names(allowed)}, got {dtype.name} "
            f"[Op:{op_name}]")


def _work_float(np_dtype):
    """The dtype NumPy samples in: float64 stays, everything narrower uses float32."""
    return np.float64 if np_dtype == np.float64 else np.float32


def _dims(shape, op_name):
    """The output dimensions from a shape array, with TensorFlow's checks."""
    if shape.ndim != 1:
        raise InvalidArgumentError(f"{op_name}: shape must be a vector of {{int32,int64}}, got "
                                   f"shape {list(shape.shape)} [Op:{op_name}]")
    dims = tuple(int(d) for d in shape)
    for d in dims:
        if d < 0:
            raise InvalidArgumentError(f"{op_name}: Dimension {d} must be >= 0 in shape "
                                       f"{list(dims)} [Op:{op_name}]")
    return dims


def _shape_spec(spec, op_name):
    if spec.dtype not in _INDEX:
        raise InvalidArgumentError(f"{op_name}: shape must be a vector of {{int32,int64}}, got "
                                   f"{spec.dtype.name} [Op:{op_name}]")
    if spec.shape.rank not in (None, 1):
        raise InvalidArgumentError(f"{op_name}: shape must be a vector of {{int32,int64}}, got "
                                   f"shape {spec.shape} [Op:{op_name}]")
    v = shape_value(spec)
    if v is not None:
        _dims(np.asarray(v, dtype=np.int64), op_name)
    return shape_from_spec(spec)


def _scalar_spec(spec, what, op_name):
    if spec.shape.rank not in (None, 0):
        raise InvalidArgumentError(f"{op_name}: {what} must be 0-D, got shape {spec.shape} "
                                   f"[Op:{op_name}]")


# ------------------------------------------------------------------------ samplers ---

def _standard_normal(rng, dims, np_dtype):
    out = rng.standard_normal(dims, dtype=_work_float(np_dtype))
    return out if out.dtype == np_dtype else out.astype(np_dtype)


def _truncated_normal(rng, dims, np_dtype):
    work = _work_float(np_dtype)
    out = rng.standard_normal(dims, dtype=work)
    bad = np.abs(out) > 2
    while bad.any():
        out[bad] = rng.standard_normal(int(bad.sum()), dtype=work)
        bad = np.abs(out) > 2
    return out if out.dtype == np_dtype else out.astype(np_dtype)


def uniform_float32(bit_generator, n, skip_half=False):
    """n float32 uniforms in [0, 1), ember's float32 stream: each 64-bit word of the bit
    generator (``random_raw``) gives two values, its low 32 bits first, a value being the
    top 24 bits of its half times 2**-24. A draw of n takes ceil(n / 2) words, so any
    block [s, e) of one draw can be made on its own: a copy of the generator advanced
    s // 2 words (``advance``), skipping the first half when s is odd (``skip_half``);
    ``UniformBlocks`` does that. Uses only the bit generator's public interface."""
    first = 1 if skip_half else 0
    words = bit_generator.random_raw((n + first + 1) // 2)
    if _LITTLE_ENDIAN:
        halves = words.view(np.uint32)
    else:
        halves = np.empty(2 * words.size, np.uint32)
        halves[0::2] = words & np.uint64(0xFFFFFFFF)
        halves[1::2] = words >> np.uint64(32)
    halves = halves[first:first + n]
    halves >>= np.uint32(8)
    out = halves.astype(np.float32)
    out *= np.float32(2.0 ** -24)
    return out


_LITTLE_ENDIAN = sys.byteorder == "little"


def _unit_uniform(rng, dims, np_dtype):
    """Uniform in [0, 1); narrow floats use exactly representable steps, so never 1."""
    if np_dtype == np.float32:
        n = int(np.prod(dims, dtype=np.int64))
        return uniform_float32(rng.bit_generator, n).reshape(dims)
    if np_dtype == np.float64:
        return rng.random(dims, dtype=np_dtype)
    bits = 11 if np_dtype == np.float16 else 8
    k = rng.integers(0, 1 << bits, size=dims, dtype=np.uint16)
    return (k.astype(np.float32) * np.float32(2.0 ** -bits)).astype(np_dtype)


def _full_int(rng, dims, np_dtype):
    info = np.iinfo(np_dtype)
    return rng.integers(info.min, info.max, size=dims, dtype=np_dtype, endpoint=True)


def _categorical(rng, logits, n, np_dtype):
    """Inverse-CDF sampling of every row at once: one searchsorted over row-offset CDFs."""
    batch, classes = logits.shape
    if batch == 0 or n == 0:
        return np.zeros((batch, n), dtype=np_dtype)
    lg = logits.astype(np.float64)
    p = np.exp(lg - lg.max(axis=1, keepdims=True))
    cdf = np.cumsum(p, axis=1)
    total = cdf[:, -1:]
    bad = ~(np.isfinite(total) & (total > 0)).reshape(batch)
    if bad.any():
        cdf[bad] = np.arange(1, classes + 1, dtype=np.float64)
        total = cdf[:, -1:]
    cdf /= total
    rows = np.arange(batch, dtype=np.float64)[:, None]
    u = rng.integers(0, 1 << 30, size=(batch, n)).astype(np.float64) * 2.0 ** -30
    flat = np.searchsorted((cdf + rows).reshape(-1), (u + rows).reshape(-1), side="right")
    idx = flat.reshape(batch, n) - np.arange(batch)[:, None] * classes
    return np.clip(idx, 0, classes - 1).astype(np_dtype)


# ------------------------------------------------------------------------- op base ---

_generators: "weakref.WeakValueDictionary[int, Generator]" = weakref.WeakValueDictionary()
_generator_ids = itertools.count(1)


def _seed_values(seed, op_name):
    flat = np.asarray(seed).reshape(-1)
    if flat.shape != (2,):
        raise InvalidArgumentError(f"{op_name}: seed must have shape [2], not "
                                   f"{list(np.shape(seed))} [Op:{op_name}]")
    return int(flat[0]), int(flat[1])


def _stateless_rng(seed, op_name):
    seed0, seed1 = _seed_values(seed, op_name)
    return random_seed.philox(seed0, seed1, stream=1)


class _RandomOp(Op):
    """A sampling op in one of three modes (see the module docstring).

    Subclasses give ``infer_sample(inputs, **attrs)`` and ``sample(rng, *arrays, **attrs)``.
    """

    differentiable = False

    def __init__(self, name, mode):
        self.mode = mode
        self.stateful = mode != "stateless"
        super().__init__(name)

    def infer(self, inputs, **attrs):
        if self.mode == "stateless":
            seed = inputs[-1]
            if seed.dtype not in _INDEX:
                raise InvalidArgumentError(f"{self.name}: seed must be int32 or int64, got "
                                           f"{seed.dtype.name} [Op:{self.name}]")
            if seed.shape.rank is not None and seed.shape.as_list() not in ([2], [None]):
                raise InvalidArgumentError(f"{self.name}: seed must have shape [2], not "
                                           f"{seed.shape.as_list()} [Op:{self.name}]")
            inputs = inputs[:-1]
        return self.infer_sample(inputs, **{k: v for k, v in attrs.items()
                                            if k not in _RNG_ATTRS})

    philox_draw = None      # (key, counter, size, np_dtype) -> TensorFlow's samples

    def kernel(self, xp, *arrays, **attrs):
        params = {k: v for k, v in attrs.items() if k not in _RNG_ATTRS}
        if self.mode == "stateless":
            if self.philox_draw is not None:
                key, counter = philox.seed_key_counter(*_seed_values(arrays[-1], self.name))
                return self.philox_sample(key, counter, *arrays[:-1], **params)
            return self.sample(_stateless_rng(arrays[-1], self.name), *arrays[:-1], **params)
        if self.mode == "generator":
            gen = _generators.get(attrs["generator"])
            if gen is None:
                raise InvalidArgumentError(f"{self.name}: the random.Generator this op draws "
                                           f"from no longer exists [Op:{self.name}]")
            out = self.philox_sample(gen._key, gen._counter, *arrays, **params)
            gen._advance(out.size)
            return out
        dtype = params.get("dtype", params.get("output_dtype"))
        rng = random_seed.kernel_generator(self.name, dtype, attrs["seed"],
                                           attrs["seed2"], attrs["key"])
        return self.sample(rng, *arrays, **params)


class _Shaped(_RandomOp):
    """``shape`` in, a tensor of that shape and attr ``dtype`` out."""

    allowed = _FLOATS
    draw = None

    def infer_sample(self, inputs, dtype):
        _check_dtype(self.name, dtype, self.allowed)
        return _shape_spec(inputs[0], self.name), dtype

    def sample(self, rng, shape, dtype):
        _check_dtype(self.name, dtype, self.allowed)
        return type(self).draw(rng, _dims(shape, self.name), dtype.np)

    def philox_sample(self, key, counter, shape, dtype):
        _check_dtype(self.name, dtype, self.allowed)
        dims = _dims(shape, self.name)
        size = int(np.prod(dims, dtype=np.int64))
        return type(self).philox_draw(key, counter, size, dtype.np).reshape(dims)


class _Normal(_Shaped):
    draw = _standard_normal
    philox_draw = philox.normal


class _Truncated(_Shaped):
    draw = _truncated_normal
    philox_draw = philox.truncated_normal


class _Uniform(_Shaped):
    draw = _unit_uniform
    philox_draw = philox.uniform


class _FullInt(_Shaped):
    allowed = _UNIFORM_INTS
    draw = _full_int
    philox_draw = philox.full_int


class _UniformInt(_RandomOp):
    """Integers in [minval, maxval) (two scalar inputs of the output dtype)."""

    def infer_sample(self, inputs, dtype):
        _check_dtype(self.name, dtype, _UNIFORM_INTS)
        shape, lo, hi = inputs
        for spec, what in ((lo, "minval"), (hi, "maxval")):
            _scalar_spec(spec, what, self.name)
            if spec.dtype is not dtype:
                raise InvalidArgumentError(f"{self.name}: {what} must be {dtype.name}, got "
                                           f"{spec.dtype.name} [Op:{self.name}]")
        if lo.value is not None and hi.value is not None and lo.value >= hi.value:
            raise InvalidArgumentError(f"{self.name}: Need minval < maxval: {lo.value} >= "
                                       f"{hi.value} [Op:{self.name}]")
        return _shape_spec(shape, self.name), dtype

    philox_draw = philox.uniform_int

    def _check(self, shape, lo, hi):
        dims = _dims(shape, self.name)
        for v, what in ((lo, "minval"), (hi, "maxval")):
            if np.ndim(v):
                raise InvalidArgumentError(f"{self.name}: {what} must be 0-D, got shape "
                                           f"{list(np.shape(v))} [Op:{self.name}]")
        if lo >= hi:
            raise InvalidArgumentError(f"{self.name}: Need minval < maxval: {lo} >= {hi} "
                                       f"[Op:{self.name}]")
        return dims

    def sample(self, rng, shape, lo, hi, dtype):
        dims = self._check(shape, lo, hi)
        return rng.integers(lo, hi, size=dims, dtype=dtype.np)

    def philox_sample(self, key, counter, shape, lo, hi, dtype):
        dims = self._check(shape, lo, hi)
        size = int(np.prod(dims, dtype=np.int64))
        return philox.uniform_int(key, counter, size, int(lo), int(hi), dtype.np).reshape(dims)


class _Categorical(_RandomOp):
    """logits [batch, classes] and num_samples in, class indices [batch, num_samples] out."""

    def infer_sample(self, inputs, output_dtype):
        logits, num = inputs
        _check_dtype(self.name, output_dtype, _INDEX, "output_dtype")
        if not (logits.dtype.is_floating or logits.dtype.is_integer):
            raise InvalidArgumentError(f"{self.name}: logits must be real numbers, got "
                                       f"{logits.dtype.name} [Op:{self.name}]")
        if logits.shape.rank not in (None, 2):
            raise InvalidArgumentError(f"{self.name}: logits should be a matrix, got shape "
                                       f"{logits.shape} [Op:{self.name}]")
        _scalar_spec(num, "num_samples", self.name)
        n = int(num.value) if num.value is not None else None
        if n is not None and n < 0:
            raise InvalidArgumentError(f"{self.name}: num_samples should be nonnegative, got "
                                       f"{n} [Op:{self.name}]")
        batch = logits.shape[0] if logits.shape.rank else None
        classes = logits.shape[1] if logits.shape.rank else None
        if classes == 0 and batch != 0 and n:
            raise InvalidArgumentError(f"{self.name}: num_classes should be positive, got 0 "
                                       f"[Op:{self.name}]")
        return TensorShape([batch, n]), output_dtype

    def sample(self, rng, logits, num, output_dtype):
        if logits.ndim != 2:
            raise InvalidArgumentError(f"{self.name}: logits should be a matrix, got shape "
                                       f"{list(logits.shape)} [Op:{self.name}]")
        n = int(num)
        if n < 0:
            raise InvalidArgumentError(f"{self.name}: num_samples should be nonnegative, got "
                                       f"{n} [Op:{self.name}]")
        if logits.shape[1] == 0 and logits.shape[0] and n:
            raise InvalidArgumentError(f"{self.name}: num_classes should be positive, got 0 "
                                       f"[Op:{self.name}]")
        return _categorical(rng, logits, n, output_dtype.np)


class _Shuffle(_RandomOp):
    strings = True
    def infer_sample(self, inputs):
        return inputs[0].shape, inputs[0].dtype

    def sample(self, rng, value):
        if value.ndim == 0:
            return value.copy()
        return value[rng.permutation(value.shape[0])]


class _Gamma(_RandomOp):
    """Gamma(alpha, 1) samples of shape ``shape + alpha.shape``."""

    def infer_sample(self, inputs):
        shape, alpha = inputs
        _check_dtype(self.name, alpha.dtype, (dtypes.float16, dtypes.float32, dtypes.float64),
                     "alpha")
        return _shape_spec(shape, self.name).concatenate(alpha.shape), alpha.dtype

    def sample(self, rng, shape, alpha):
        dims = _dims(shape, self.name) + alpha.shape
        work = _work_float(alpha.dtype)
        a = np.broadcast_to(alpha.astype(work), dims)
        ok = a > 0
        out = rng.standard_gamma(np.where(ok, a, work(1)), dtype=work)
        out = np.where(ok, out, work(np.nan))
        return out.astype(alpha.dtype, copy=False)


class _Poisson(_RandomOp):
    """Poisson(rate) samples of shape ``shape + rate.shape`` in attr ``dtype``."""

    allowed = (dtypes.float16, dtypes.float32, dtypes.float64, dtypes.int32, dtypes.int64)

    def infer_sample(self, inputs, dtype):
        shape, rate = inputs
        _check_dtype(self.name, rate.dtype, self.allowed, "lam")
        _check_dtype(self.name, dtype, self.allowed)
        return _shape_spec(shape, self.name).concatenate(rate.shape), dtype

    def sample(self, rng, shape, rate, dtype):
        dims = _dims(shape, self.name) + rate.shape
        lam = np.broadcast_to(rate.astype(np.float64), dims)
        ok = lam >= 0
        counts = rng.poisson(np.where(ok, lam, 0.0))
        if dtype.is_floating:
            return np.where(ok, counts, np.nan).astype(dtype.np)
        return counts.astype(dtype.np)


RANDOM_STANDARD_NORMAL = _Normal("RandomStandardNormal", "seeded")
RANDOM_UNIFORM = _Uniform("RandomUniform", "seeded")
RANDOM_UNIFORM_INT = _UniformInt("RandomUniformInt", "seeded")
TRUNCATED_NORMAL = _Truncated("TruncatedNormal", "seeded")
MULTINOMIAL = _Categorical("Multinomial", "seeded")
RANDOM_SHUFFLE = _Shuffle("RandomShuffle", "seeded")
RANDOM_GAMMA = _Gamma("RandomGamma", "seeded")
RANDOM_POISSON = _Poisson("RandomPoissonV2", "seeded")

STATEFUL_NORMAL = _Normal("StatefulStandardNormalV2", "generator")
STATEFUL_UNIFORM = _Uniform("StatefulUniform", "generator")
STATEFUL_UNIFORM_INT = _UniformInt("StatefulUniformInt", "generator")
STATEFUL_UNIFORM_FULL_INT = _FullInt("StatefulUniformFullInt", "generator")
STATEFUL_TRUNCATED_NORMAL = _Truncated("StatefulTruncatedNormal", "generator")

STATELESS_NORMAL = _Normal("StatelessRandomNormal", "stateless")
STATELESS_UNIFORM = _Uniform("StatelessRandomUniform", "stateless")
STATELESS_UNIFORM_INT = _UniformInt("StatelessRandomUniformInt", "stateless")
STATELESS_UNIFORM_FULL_INT = _FullInt("StatelessRandomUniformFullInt", "stateless")
STATELESS_TRUNCATED_NORMAL = _Truncated("StatelessTruncatedNormal", "stateless")
STATELESS_MULTINOMIAL = _Categorical("StatelessMultinomial", "stateless")

_SEEDED = {"normal": RANDOM_STANDARD_NORMAL, "uniform": RANDOM_UNIFORM,
           "uniform_int": RANDOM_UNIFORM_INT, "truncated_normal": TRUNCATED_NORMAL}
_STATEFUL = {"normal": STATEFUL_NORMAL, "uniform": STATEFUL_UNIFORM,
             "uniform_int": STATEFUL_UNIFORM_INT, "full_int": STATEFUL_UNIFORM_FULL_INT,
             "truncated_normal": STATEFUL_TRUNCATED_NORMAL}
_STATELESS = {"normal": STATELESS_NORMAL, "uniform": STATELESS_UNIFORM,
              "uniform_int": STATELESS_UNIFORM_INT, "full_int": STATELESS_UNIFORM_FULL_INT,
              "truncated_normal": STATELESS_TRUNCATED_NORMAL}


class UniformBlocks:
    """A seeded float32 RandomUniform node's draw of ``shape`` made block by block by
    another kernel (ember/ops/fusions.py folds a dropout's mask into a max pooling):
    ``block(s, e)`` gives the uniforms of items s:e, the very numbers one draw of the
    whole shape gives (``uniform_float32``), whichever thread asks for which block first;
    ``finish()`` (once every block was drawn) leaves the node's generator where that one
    draw would. Each block draws from a per-thread copy of the bit generator advanced to
    the block's first word; a bit generator that cannot advance (``advance`` is PCG64's
    and Philox's) makes the whole draw up front instead."""

    def __init__(self, attrs, shape):
        self.shape = tuple(shape)
        self.rng = random_seed.kernel_generator(RANDOM_UNIFORM.name, attrs["dtype"],
                                                attrs["seed"], attrs["seed2"], attrs["key"])
        self.per = int(np.prod(self.shape[1:], dtype=np.int64))
        self.n = self.shape[0] * self.per
        bits = self.rng.bit_generator
        self.whole = None
        if not hasattr(bits, "advance"):
            self.whole = uniform_float32(bits, self.n).reshape(self.shape)
        self.state = bits.state

    def block(self, s, e):
        if self.whole is not None:
            return self.whole[s:e]
        cache = thread_cache("random.uniform_blocks")
        bits = cache.get(type(self.rng.bit_generator))
        if bits is None:
            bits = cache[type(self.rng.bit_generator)] = type(self.rng.bit_generator)()
        bits.state = self.state
        start = s * self.per
        bits.advance(start // 2)
        return uniform_float32(bits, (e - s) * self.per,
                               skip_half=start % 2 == 1).reshape((e - s,) + self.shape[1:])

    def finish(self):
        if self.whole is None:
            self.rng.bit_generator.advance((self.n + 1) // 2)


# ------------------------------------------------------------- shared front ends ---

class _Source:
    """Where samples come from: op table, attrs and trailing inputs for one mode."""

    __slots__ = ("ops", "attrs", "inputs")

    def __init__(self, ops, attrs, inputs=()):
        self.ops = ops
        self.attrs = attrs
        self.inputs = inputs


def _seeded(seed):
    return _Source(_SEEDED, random_seed.seed_attrs(seed))


def _stateless(seed, fn_name):
    if seed is None:
        raise ValueError(f"{fn_name}: seed is required: a shape [2] integer tensor such as "
                         f"[1, 2]")
    seed = tensor(seed)
    if seed.dtype not in _INDEX:
        raise TypeError(f"{fn_name}: seed must be an int32 or int64 tensor of shape [2], got "
                        f"{seed.dtype.name}")
    if seed.shape.rank is not None and seed.shape.as_list() not in ([2], [None]):
        raise ValueError(f"{fn_name}: seed must have shape [2], got {seed.shape}")
    return _Source(_STATELESS, {}, (seed,))


def _float_dtype(dtype, fn_name):
    dtype = dtypes.as_dtype(dtype)
    if dtype not in _FLOATS:
        raise ValueError(f"{fn_name}: dtype must be a floating point type ({_names(_FLOATS)}), "
                         f"got {dtype.name}")
    return dtype


def _static_shape(shape):
    """The requested shape as a TensorShape when it is known without running anything."""
    if isinstance(shape, TensorShape):
        return shape
    if isinstance(shape, (list, tuple)) and all(isinstance(d, (int, np.integer)) for d in shape):
        return TensorShape(list(shape))
    return None


def _is_python_value(v, target):
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) \
        and v == target


def _scale_shift(rnd, scale, shift, dtype):
    """rnd * scale + shift, skipping the identity steps for literal 1 and 0."""
    if not _is_python_value(scale, 1):
        rnd = math_ops.multiply(rnd, tensor(scale, dtype=dtype))
    if not _is_python_value(shift, 0):
        rnd = math_ops.add(rnd, tensor(shift, dtype=dtype))
    return rnd


def _draw(src, kind, shape, dtype, name, extra=()):
    op = src.ops[kind]
    inputs = (shape_arg(shape, op.name),) + tuple(extra) + src.inputs
    return execute(op, inputs, {"dtype": dtype, **src.attrs}, name)


def _normal(src, kind, shape, mean, stddev, dtype, fn_name, name):
    dtype = _float_dtype(dtype, fn_name)
    rnd = _draw(src, kind, shape, dtype, name)
    return _scale_shift(rnd, stddev, mean, dtype)


def _uniform(src, shape, minval, maxval, dtype, fn_name, name, full_range_ok=False):
    dtype = dtypes.as_dtype(dtype)
    if dtype not in _FLOATS + _UNIFORM_INTS:
        raise ValueError(f"{fn_name}: dtype got invalid value {dtype.name}; accepted dtypes "
                         f"are {_names(_FLOATS + _UNIFORM_INTS)}")
    if dtype.is_integer:
        if full_range_ok and minval is None and maxval is None:
            return _draw(src, "full_int", shape, dtype, name)
        if full_range_ok and (minval is None or maxval is None):
            raise ValueError(f"{fn_name}: for integer dtype {dtype.name}, minval and maxval "
                             f"must be both None (full range) or both set, got "
                             f"minval={minval!r}, maxval={maxval!r}")
        if maxval is None:
            raise ValueError(f"{fn_name}: Must specify maxval for integer dtype {dtype.name}")
        lo, hi = tensor(minval, dtype=dtype), tensor(maxval, dtype=dtype)
        return _draw(src, "uniform_int", shape, dtype, name, (lo, hi))
    if minval is None:
        minval = 0
    if maxval is None:
        maxval = 1
    rnd = _draw(src, "uniform", shape, dtype, name)
    if _is_python_value(minval, 0):
        return _scale_shift(rnd, maxval, 0, dtype)
    lo = tensor(minval, dtype=dtype)
    return math_ops.add(math_ops.multiply(rnd, math_ops.subtract(tensor(maxval, dtype=dtype),
                                                                 lo)), lo)


# ------------------------------------------------------------------ seeded functions ---

def normal(shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, seed=None, name=None):
    """Samples from a normal distribution.

    >>> ember.random.normal([2, 3], mean=1.0, stddev=0.5, seed=1).shape
    TensorShape([2, 3])
    """
    return _normal(_seeded(seed), "normal", shape, mean, stddev, dtype, "random.normal", name)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, seed=None, name=None):
    """Normal samples, re-drawn until within two standard deviations of the mean.

    >>> bool(ember.reduce_all(ember.abs(ember.random.truncated_normal([100])) <= 2.0))
    True
    """
    return _normal(_seeded(seed), "truncated_normal", shape, mean, stddev, dtype,
                   "random.truncated_normal", name)


def uniform(shape, minval=0, maxval=None, dtype=dtypes.float32, seed=None, name=None):
    """Uniform samples in [minval, maxval); ``maxval`` defaults to 1 for floats and is
    required for integer dtypes.

    >>> ember.random.uniform([3], minval=0, maxval=10, dtype=ember.int32, seed=1).dtype
    ember.int32
    """
    return _uniform(_seeded(seed), shape, minval, maxval, dtype, "random.uniform", name)


def categorical(logits, num_samples, dtype=None, seed=None, name=None):
    """Draws class indices from unnormalized log-probabilities ``logits`` [batch, classes].

    >>> ember.random.categorical([[0.0, 0.0]], 5, seed=1).shape
    TensorShape([1, 5])
    """
    return _categorical_call(_Source({"categorical": MULTINOMIAL},
                                     random_seed.seed_attrs(seed)),
                             logits, num_samples, dtype, name)


def _categorical_call(src, logits, num_samples, dtype, name):
    dtype = dtypes.as_dtype(dtype) if dtype is not None else dtypes.int64
    if dtype not in _INDEX:
        raise ValueError(f"random.categorical: dtype must be int32 or int64, got {dtype.name}")
    logits = tensor(logits)
    num = num_samples if isinstance(num_samples, Tensor) else \
        tensor(num_samples, dtype=dtypes.int32)
    return execute(src.ops["categorical"], (logits, num) + src.inputs,
                   {"output_dtype": dtype, **src.attrs}, name)


def shuffle(value, seed=None, name=None):
    """Randomly permutes ``value`` along its first dimension.

    >>> sorted(ember.random.shuffle([1, 2, 3], seed=1).numpy().tolist())
    [1, 2, 3]
    """
    return execute(RANDOM_SHUFFLE, (tensor(value),), random_seed.seed_attrs(seed), name)


def gamma(shape, alpha, beta=None, dtype=dtypes.float32, seed=None, name=None):
    """Gamma(alpha, beta) samples of shape ``shape + broadcast(alpha, beta).shape``.

    >>> ember.random.gamma([10], alpha=[0.5, 1.5], seed=1).shape
    TensorShape([10, 2])
    """
    dtype = dtypes.as_dtype(dtype)
    if dtype not in (dtypes.float16, dtypes.float32, dtypes.float64):
        raise ValueError(f"random.gamma: dtype must be float16, float32 or float64, got "
                         f"{dtype.name}")
    alpha = tensor(alpha, dtype=dtype)
    if beta is not None:
        beta = tensor(beta, dtype=dtype)
        alpha = math_ops.add(alpha, array_ops.zeros_like(beta))
    out = execute(RANDOM_GAMMA, (shape_arg(shape, "RandomGamma"), alpha),
                  random_seed.seed_attrs(seed), name)
    if beta is not None:
        out = math_ops.divide(out, beta)
    tiny = np.finfo(dtype.np).tiny
    return math_ops.maximum(out, tensor(tiny, dtype=dtype))


def poisson(shape, lam, dtype=dtypes.float32, seed=None, name=None):
    """Poisson(lam) samples of shape ``shape + lam.shape``, in ``dtype``.

    >>> ember.random.poisson([4], lam=[1.0, 5.0], seed=1).shape
    TensorShape([4, 2])
    """
    dtype = dtypes.as_dtype(dtype)
    lam = tensor(lam, dtype_hint=dtypes.float32)
    return execute(RANDOM_POISSON, (shape_arg(shape, "RandomPoissonV2"), lam),
                   {"dtype": dtype, **random_seed.seed_attrs(seed)}, name)


# ---------------------------------------------------------------- stateless functions ---

def stateless_normal(shape, seed, mean=0.0, stddev=1.0, dtype=dtypes.float32, name=None,
                     alg="auto_select"):
    """Normal samples that are a pure function of ``seed`` (shape [2] integers).

    >>> a = ember.random.stateless_normal([3], seed=[1, 2])
    >>> bool(ember.reduce_all(a == ember.random.stateless_normal([3], seed=[1, 2])))
    True
    """
    _check_alg(alg)
    return _normal(_stateless(seed, "random.stateless_normal"), "normal", shape, mean, stddev,
                   dtype, "random.stateless_normal", name)


def stateless_truncated_normal(shape, seed, mean=0.0, stddev=1.0, dtype=dtypes.float32,
                               name=None, alg="auto_select"):
    """Truncated normal samples that are a pure function of ``seed``.

    >>> ember.random.stateless_truncated_normal([2], seed=[3, 4]).shape
    TensorShape([2])
    """
    _check_alg(alg)
    return _normal(_stateless(seed, "random.stateless_truncated_normal"), "truncated_normal",
                   shape, mean, stddev, dtype, "random.stateless_truncated_normal", name)


def stateless_uniform(shape, seed, minval=0, maxval=None, dtype=dtypes.float32, name=None,
                      alg="auto_select"):
    """Uniform samples that are a pure function of ``seed``; for integer dtypes pass both
    bounds, or neither for the full range.

    >>> ember.random.stateless_uniform([2], seed=[1, 2], maxval=5, dtype=ember.int32).dtype
    ember.int32
    """
    _check_alg(alg)
    return _uniform(_stateless(seed, "random.stateless_uniform"), shape, minval, maxval, dtype,
                    "random.stateless_uniform", name, full_range_ok=True)


def stateless_categorical(logits, num_samples, seed, dtype=dtypes.int64, name=None):
    """Class indices drawn from ``logits``, as a pure function of ``seed``.

    >>> ember.random.stateless_categorical([[0.0, 1.0]], 3, seed=[1, 2]).shape
    TensorShape([1, 3])
    """
    src = _stateless(seed, "random.stateless_categorical")
    return _categorical_call(_Source({"categorical": STATELESS_MULTINOMIAL}, {}, src.inputs),
                             logits, num_samples, dtype, name)


def _seed_pair(seed, fn_name):
    arr = np.asarray(seed)
    if arr.shape != (2,) or arr.dtype.kind not in "iu":
        raise ValueError(f"{fn_name}: seed must be an integer tensor of shape [2], got "
                         f"{arr.tolist()!r}")
    return arr.astype(np.int64)


def stateless_split(seed, num=2, alg="auto_select"):
    """``num`` new stateless seeds (shape [num, 2], the seed's dtype) derived from
    ``seed``: full-range integers drawn statelessly from it, as TensorFlow does.

    >>> ember.random.split([1, 2], num=3).numpy()[0]
    array([1105988140, 1738052849], dtype=int32)
    """
    _check_alg(alg)
    seed = tensor(seed)
    if seed.dtype not in _INDEX:
        raise TypeError(f"random.split: seed must be int32 or int64, got {seed.dtype.name}")
    return stateless_uniform([int(num), 2], seed, minval=None, maxval=None, dtype=seed.dtype)


def stateless_fold_in(seed, data, alg="auto_select"):
    """A new stateless seed from ``seed`` and the integer ``data``: ``[r, data]`` with
    ``r`` a full-range integer drawn statelessly from ``seed``, as TensorFlow does.

    >>> ember.random.fold_in([1, 2], 7).numpy()
    array([1105988140,          7], dtype=int32)
    """
    _check_alg(alg)
    data = tensor(data)
    if data.dtype not in _INDEX:
        raise TypeError(f"random.fold_in: data must be int32 or int64, got {data.dtype.name}")
    first = stateless_uniform([], seed, minval=None, maxval=None, dtype=data.dtype)
    return array_ops.stack([first, data])


# ------------------------------------------------------------------------ Generator ---

class Algorithm(enum.Enum):
    """Random-number algorithms; every ember Generator uses Philox."""

    PHILOX = 1
    THREEFRY = 2
    AUTO_SELECT = 3


def _check_alg(alg):
    if alg is None:
        return Algorithm.PHILOX
    if isinstance(alg, str):
        key = alg.lower()
        if key in ("philox", "auto_select"):
            return Algorithm.PHILOX
    elif alg in (Algorithm.PHILOX, Algorithm.AUTO_SELECT, 1, 3):
        return Algorithm.PHILOX
    raise ValueError(f"random: unsupported algorithm {alg!r}; ember implements 'philox' "
                     f"(and 'auto_select', which picks it)")


def _seed_words(seed):
    """An int, or a list of ints, as 64-bit words."""
    if isinstance(seed, (Tensor, np.ndarray, list, tuple)):
        arr = np.asarray(seed).reshape(-1)
        if arr.dtype.kind not in "iu":
            raise TypeError(f"random.Generator: seed must be integers, got {arr.dtype}")
        return [int(v) & _MASK64 for v in arr]
    if isinstance(seed, (numbers.Integral, np.integer)) and not isinstance(seed, bool):
        return [int(seed) & _MASK64]
    raise TypeError(f"random.Generator: seed must be an int or a list of ints, got {seed!r}")


def create_rng_state(seed, alg):
    """The Philox state ``[counter_low, counter_high, key]`` (int64) that ``seed`` gives,
    as TensorFlow makes it: an int is cut into 64-bit words, lowest first; a list is
    left-padded with zeros (or cut) to three words.

    >>> ember.random.create_rng_state(1234, "philox")
    array([1234,    0,    0])
    """
    _check_alg(alg)
    if isinstance(seed, (numbers.Integral, np.integer)) and not isinstance(seed, bool):
        value = int(seed)
        words = []
        for _ in range(3):
            words.append(value & _MASK64)
            value >>= 64
    else:
        words = _seed_words(seed)
        words = ([0] * (3 - len(words)) + words) if len(words) < 3 else words[:3]
    return np.array(words, dtype=np.uint64).view(np.int64)


class Generator:
    """A random-number generator with its own state (Philox), as ``tf.random.Generator``.

    >>> g = ember.random.Generator.from_seed(1)
    >>> g.normal([2, 3]).shape
    TensorShape([2, 3])
    """

    def __init__(self, copy_from=None, state=None, alg=None):
        if copy_from is not None:
            if state is not None or alg is not None:
                raise ValueError("random.Generator: give either copy_from, or state and alg")
            state = copy_from.state.numpy()
        elif state is None:
            raise ValueError("random.Generator: state is required (or use from_seed / "
                             "from_non_deterministic_state)")
        self._alg = _check_alg(alg)
        self._set_state(state)
        self._id = next(_generator_ids)
        _generators[self._id] = self

    # -- construction
    @classmethod
    def from_seed(cls, seed, alg=None) -> "Generator":
        """A generator whose numbers are a fixed function of ``seed``."""
        return cls(state=create_rng_state(seed, alg), alg=alg)

    @classmethod
    def from_non_deterministic_state(cls, alg=None) -> "Generator":
        """A generator seeded from operating-system entropy."""
        key = np.random.SeedSequence().generate_state(1, np.uint64)[0]
        return cls.from_key_counter(int(key), [0, 0], alg)

    @classmethod
    def from_state(cls, state, alg) -> "Generator":
        return cls(state=state, alg=alg)

    @classmethod
    def from_key_counter(cls, key, counter, alg) -> "Generator":
        """A generator from a Philox key (an int) and counter (two ints)."""
        counter = np.asarray(counter).reshape(-1)
        if counter.shape != (2,):
            raise ValueError(f"random.Generator.from_key_counter: counter must have 2 "
                             f"elements, got {counter.tolist()!r}")
        words = [int(counter[0]), int(counter[1]), int(np.asarray(key).reshape(-1)[0])]
        return cls(state=np.array([w & _MASK64 for w in words], np.uint64).view(np.int64),
                   alg=alg)

    def _set_state(self, state):
        s = np.asarray(state)
        if s.dtype.kind not in "iu" or s.size != 3:
            raise ValueError(f"random.Generator: a Philox state is 3 integers "
                             f"[counter_low, counter_high, key], got {s.tolist()!r}")
        u = [int(w) & _MASK64 for w in s.reshape(3).tolist()]
        self._counter = u[0] | (u[1] << 64)
        self._key = u[2]

    def _advance(self, samples):
        """Moves the counter past a draw of ``samples`` values, as TensorFlow does."""
        self._counter = (self._counter + int(samples) * philox.RESERVED_BLOCKS_PER_SAMPLE) \
            % (1 << 128)

    # -- state
    @property
    def state(self):
        """The current state ``[counter_low, counter_high, key]`` as an int64 tensor."""
        words = np.array([self._counter & _MASK64, self._counter >> 64, self._key],
                         dtype=np.uint64)
        return EagerTensor(words.view(np.int64))

    @property
    def algorithm(self):
        return self._alg.value

    @property
    def key(self):
        """The Philox key (int64 scalar tensor)."""
        return EagerTensor(np.array(self._key, dtype=np.uint64).view(np.int64))

    def reset(self, state):
        """Replaces the state."""
        self._set_state(np.asarray(state))

    def reset_from_seed(self, seed):
        self._set_state(create_rng_state(seed, self._alg))

    def reset_from_key_counter(self, key, counter):
        self._set_state(Generator.from_key_counter(key, counter, self._alg).state.numpy())

    def skip(self, delta):
        """Advances the state as a draw of ``delta`` values would."""
        self._advance(int(delta))

    # -- sampling
    def _src(self):
        return _Source(_STATEFUL, {"generator": self._id})

    def normal(self, shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, name=None):
        """Normal samples; each call advances the state."""
        return _normal(self._src(), "normal", shape, mean, stddev, dtype, "Generator.normal",
                       name)

    def truncated_normal(self, shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, name=None):
        """Normal samples within two standard deviations of the mean."""
        return _normal(self._src(), "truncated_normal", shape, mean, stddev, dtype,
                       "Generator.truncated_normal", name)

    def uniform(self, shape, minval=0, maxval=None, dtype=dtypes.float32, name=None):
        """Uniform samples in [minval, maxval); for integer dtypes give both bounds, or
        ``minval=None, maxval=None`` for the full range."""
        return _uniform(self._src(), shape, minval, maxval, dtype, "Generator.uniform", name,
                        full_range_ok=True)

    def uniform_full_int(self, shape, dtype=dtypes.uint64, name=None):
        """Integers over the whole range of ``dtype``."""
        dtype = dtypes.as_dtype(dtype)
        if dtype not in _UNIFORM_INTS:
            raise ValueError(f"Generator.uniform_full_int: dtype must be one of "
                             f"{_names(_UNIFORM_INTS)}, got {dtype.name}")
        return _draw(self._src(), "full_int", shape, dtype, name)

    def binomial(self, shape, counts, probs, dtype=dtypes.int32, name=None):
        """Binomial(counts, probs) samples of ``shape``; advances the state (the draw is a
        stateless one from a seed this generator makes, not TensorFlow's stream).

        >>> ember.random.Generator.from_seed(1).binomial([3], 10.0, 0.5).shape
        TensorShape([3])
        """
        from ember.ops.stateless_random_ops import stateless_binomial
        seed = self.make_seeds(1)[:, 0]
        return stateless_binomial(shape, seed, counts, probs, output_dtype=dtype, name=name)

    def make_seeds(self, count=1):
        """``count`` seeds for stateless ops, as an int64 tensor of shape [2, count]: a row
        of drawn keys over a row of zeros, as TensorFlow makes them."""
        keys = self.uniform_full_int([int(count)], dtype=dtypes.int64)
        return array_ops.stack([keys, array_ops.zeros_like(keys)])

    def split(self, count=1):
        """``count`` new independent generators; advances this one.

        >>> a, b = ember.random.Generator.from_seed(1).split(2)
        >>> bool(ember.reduce_all(a.normal([3]) == b.normal([3])))
        False
        """
        keys = self.uniform_full_int([int(count)], dtype=dtypes.int64).numpy()
        return [Generator.from_key_counter(int(k), [0, 0], self._alg) for k in keys]

    def __repr__(self):
        return f"<ember.random.Generator state={self.state.numpy().tolist()}>"


_global_generator = None


def get_global_generator() -> Generator:
    """The global Generator, created from non-deterministic state on first use."""
    global _global_generator
    if _global_generator is None:
        _global_generator = Generator.from_non_deterministic_state()
    return _global_generator


def set_global_generator(generator: Generator) -> None:
    """Replaces the global Generator."""
    global _global_generator
    if not isinstance(generator, Generator):
        raise TypeError(f"set_global_generator: expected a random.Generator, got "
                        f"{type(generator).__name__}")
    _global_generator = generator


# -------------------------------------------------------------------------- dropout ---

def _noise_shape(x, noise_shape):
    if noise_shape is None:
        return x.shape.as_list() if x.shape.is_fully_defined() else array_ops.shape(x)
    if isinstance(noise_shape, TensorShape):
        noise_shape = noise_shape.as_list()
    if not isinstance(noise_shape, (list, tuple)):
        return noise_shape
    if x.shape.rank is not None and len(noise_shape) == x.shape.rank:
        dims = list(noise_shape)
        dynamic = None
        for i, d in enumerate(dims):
            if d is None:
                if x.shape[i] is not None:
                    dims[i] = x.shape[i]
                else:
                    if dynamic is None:
                        dynamic = array_ops.unstack(array_ops.shape(x), num=x.shape.rank)
                    dims[i] = dynamic[i]
        noise_shape = dims
    static = _static_shape(noise_shape)
    if static is not None and x.shape.rank is not None:
        ok = static.rank == x.shape.rank and all(
            n in (1, d) or d is None for n, d in zip(static.as_list(), x.shape.as_list()))
        if not ok:
            raise ValueError(f"dropout: noise_shape {static.as_list()} is not broadcastable to "
                             f"the shape of x {x.shape.as_list()}")
    return noise_shape


def dropout(x, rate, noise_shape=None, seed=None, name=None):
    """Zeroes elements with probability ``rate`` and scales the rest by ``1 / (1 - rate)``.

    ``noise_shape`` gives the shape of the keep/drop mask, broadcast against ``x``
    (a ``None`` entry takes x's size there).

    >>> y = ember.nn.dropout(ember.ones([1000]), rate=0.5, seed=1)
    >>> sorted(set(y.numpy().tolist()))
    [0.0, 2.0]
    """
    x = x.value() if getattr(x, "_is_ember_variable", False) else tensor(x)
    if not x.dtype.is_floating:
        raise ValueError(f"dropout: x has to be a floating point tensor since it's going to be "
                         f"scaled. Got a {x.dtype.name} tensor instead.")
    if isinstance(rate, (numbers.Real, np.floating, np.integer)) and not isinstance(rate, bool):
        rate = float(rate)
        if not 0 <= rate < 1:
            raise ValueError(f"dropout: rate must be a scalar tensor or a float in the range "
                             f"[0, 1), got {rate:g}")
        if rate == 0:
            return x
        rate_t = tensor(rate, dtype=x.dtype)
        scale = tensor(1.0 / (1.0 - rate), dtype=x.dtype)
    else:
        rate_t = tensor(rate, dtype=x.dtype) if not isinstance(rate, Tensor) else rate
        if rate_t.dtype is not x.dtype:
            raise ValueError(f"dropout: rate must have x's dtype {x.dtype.name}, got "
                             f"{rate_t.dtype.name}")
        if rate_t.shape.rank not in (None, 0):
            raise ValueError(f"dropout: rate must be a scalar tensor or a float in the range "
                             f"[0, 1), got a tensor of shape {rate_t.shape}")
        if rate_t.shape.rank is None:       # a placeholder of unknown shape: a scalar, so
            rate_t = array_ops.reshape(rate_t, [])   # the output keeps x's static shape
        if isinstance(rate_t, EagerTensor) and not 0 <= float(rate_t) < 1:
            raise ValueError(f"dropout: rate must be a scalar tensor or a float in the range "
                             f"[0, 1), got {float(rate_t):g}")
        scale = math_ops.divide(tensor(1.0, dtype=x.dtype),
                                math_ops.subtract(tensor(1.0, dtype=x.dtype), rate_t))
    mask_shape = _noise_shape(x, noise_shape)
    noise = uniform(mask_shape, dtype=x.dtype, seed=seed)
    keep = math_ops.cast(math_ops.greater_equal(noise, rate_t), x.dtype)
    return math_ops.multiply(math_ops.multiply(x, scale), keep, name=name)
