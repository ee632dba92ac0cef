"""keras.initializers: the starting values of layer weights, as Keras 3.

An initializer is called as ``init(shape, dtype=None)`` and returns a tensor of that shape
(``dtype`` defaults to ``keras.backend.floatx()``, i.e. float32):

>>> init = ember.keras.initializers.GlorotUniform(seed=1)
>>> init((3, 4)).shape
TensorShape([3, 4])

Seeds follow Keras 3: an initializer built with an integer ``seed`` is a pure function of it
(the same instance called twice gives the same values); one built without a seed draws from
ember's global random state, so ``keras.utils.set_random_seed(s)`` (or
``ember.random.set_seed(s)``) makes a whole model's initial weights reproducible.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

import ember
from ember.keras import backend
from ember.keras.saving import serialization as _ser

__all__ = [
    "Initializer", "Zeros", "Ones", "Constant", "RandomNormal", "RandomUniform",
    "TruncatedNormal", "VarianceScaling", "GlorotUniform", "GlorotNormal", "HeNormal",
    "HeUniform", "LecunNormal", "LecunUniform", "Orthogonal", "OrthogonalInitializer",
    "Identity", "IdentityInitializer", "STFT", "STFTInitializer", "compute_fans",
    "zeros", "ones", "constant", "random_normal", "random_uniform", "truncated_normal",
    "variance_scaling", "glorot_uniform", "glorot_normal", "he_normal", "he_uniform",
    "lecun_normal", "lecun_uniform", "orthogonal", "identity",
    "get", "serialize", "deserialize",
]

# Standard deviation of a unit normal truncated to [-2, 2].
_TRUNCATED_STDDEV = 0.87962566103423978


def _as_shape(shape, who):
    if isinstance(shape, ember.TensorShape):
        if shape.rank is None:
            raise ValueError(f"{who}: the shape to initialize must be fully known, got {shape}")
        shape = shape.as_list()
    elif isinstance(shape, (numbers.Integral, np.integer)):
        shape = [shape]
    elif ember.is_tensor(shape) or isinstance(shape, np.ndarray):
        shape = np.asarray(shape).reshape(-1).tolist()
    try:
        dims = tuple(shape)
    except TypeError:
        raise TypeError(f"{who}: shape must be a tuple of integers, got {shape!r}") from None
    out = []
    for d in dims:
        if d is None or not isinstance(d, (numbers.Integral, np.integer)) or \
                isinstance(d, bool) or d < 0:
            raise ValueError(f"{who}: shape must be a tuple of non-negative integers, "
                             f"got {tuple(dims)!r}")
        out.append(int(d))
    return tuple(out)


def _as_dtype(dtype):
    return ember.as_dtype(backend.floatx() if dtype is None else dtype)


def _float_dtype(dtype, who):
    dtype = _as_dtype(dtype)
    if not dtype.is_floating:
        raise ValueError(f"{who}: expected a floating point dtype (float16, bfloat16, "
                         f"float32, float64), got {dtype.name}")
    return dtype


def compute_fans(shape):
    """``(fan_in, fan_out)`` of a weight shape, as Keras computes them.

    Dense kernels ``(in, out)`` give ``(in, out)``; convolution kernels
    ``(*spatial, in_channels, out_channels)`` multiply both by the receptive field size.

    >>> compute_fans((3, 3, 16, 32))
    (144, 288)
    """
    shape = tuple(int(d) for d in shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = int(np.prod(shape[:-2], dtype=np.int64))
    return shape[-2] * receptive, shape[-1] * receptive


class Initializer:
    """Base class: subclasses implement ``__call__(shape, dtype=None)``.

    >>> class Fives(Initializer):
    ...     def __call__(self, shape, dtype=None):
    ...         return ember.fill(shape, ember.constant(5.0, dtype or "float32"))
    >>> Fives()((2,)).numpy().tolist()
    [5.0, 5.0]
    """

    def __call__(self, shape, dtype=None):
        raise NotImplementedError(f"Initializer subclass {type(self).__name__} must implement "
                                  f"__call__(shape, dtype=None)")

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        from ember.keras.layers.layer import _accepted_config
        return cls(**_accepted_config(cls, config))

    def clone(self):
        return self.__class__.from_config(self.get_config())

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class Zeros(Initializer):
    """All zeros (any numeric or bool dtype).

    >>> float(Zeros()((2, 2)).numpy().sum())
    0.0
    """

    def __call__(self, shape, dtype=None):
        return ember.zeros(_as_shape(shape, "Zeros"), dtype=_as_dtype(dtype))


class Ones(Initializer):
    """All ones (any numeric or bool dtype).

    >>> float(Ones()((2, 2)).numpy().sum())
    4.0
    """

    def __call__(self, shape, dtype=None):
        return ember.ones(_as_shape(shape, "Ones"), dtype=_as_dtype(dtype))


def _plain_value(value):
    if ember.is_tensor(value) or isinstance(value, ember.Variable):
        value = value.numpy()
    if isinstance(value, np.ndarray):
        return value.tolist() if value.ndim else value.item()
    if isinstance(value, np.generic):
        return value.item()
    return value


class Constant(Initializer):
    """Every element equal to ``value`` (a scalar, or an array broadcast to the shape).

    >>> Constant(3.0)((2,)).numpy().tolist()
    [3.0, 3.0]
    """

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        shape = _as_shape(shape, "Constant")
        dtype = _as_dtype(dtype)
        value = ember.cast(ember.convert_to_tensor(_plain_value(self.value)), dtype)
        vshape = tuple(value.shape.as_list())
        try:
            np.broadcast_shapes(vshape, shape)
        except ValueError:
            if int(np.prod(vshape, dtype=np.int64)) == int(np.prod(shape, dtype=np.int64)):
                return ember.reshape(value, shape)
            raise ValueError(f"Constant: the value of shape {vshape} can neither be broadcast "
                             f"nor reshaped to the requested shape {shape}") from None
        return ember.broadcast_to(value, shape)

    def get_config(self):
        return {"value": _plain_value(self.value)}


def _check_seed(seed, who):
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, (numbers.Integral, np.integer)):
        raise ValueError(f"{who}: `seed` must be an integer or None, got seed={seed!r}")
    return int(seed)


class _RandomInitializer(Initializer):
    """Shared seed handling: an integer seed makes every call give the same values."""

    def __init__(self, seed=None):
        self.seed = _check_seed(seed, type(self).__name__)

    def _stateless_seed(self):
        s = self.seed
        return ember.constant([s & 0x7FFFFFFF, (s >> 31) & 0x7FFFFFFF], dtype=ember.int64)

    def _normal(self, shape, mean, stddev, dtype):
        if self.seed is None:
            return ember.random.normal(shape, mean=mean, stddev=stddev, dtype=dtype)
        return ember.random.stateless_normal(shape, self._stateless_seed(), mean=mean,
                                             stddev=stddev, dtype=dtype)

    def _truncated_normal(self, shape, mean, stddev, dtype):
        if self.seed is None:
            return ember.random.truncated_normal(shape, mean=mean, stddev=stddev, dtype=dtype)
        return ember.random.stateless_truncated_normal(shape, self._stateless_seed(), mean=mean,
                                                       stddev=stddev, dtype=dtype)

    def _uniform(self, shape, minval, maxval, dtype):
        if self.seed is None:
            return ember.random.uniform(shape, minval=minval, maxval=maxval, dtype=dtype)
        return ember.random.stateless_uniform(shape, self._stateless_seed(), minval=minval,
                                              maxval=maxval, dtype=dtype)

    def get_config(self):
        return {"seed": self.seed}


class RandomNormal(_RandomInitializer):
    """Normal samples with ``mean`` and ``stddev``.

    >>> RandomNormal(stddev=1.0, seed=3)((1000,)).shape
    TensorShape([1000])
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        return self._normal(_as_shape(shape, "RandomNormal"), self.mean, self.stddev,
                            _float_dtype(dtype, "RandomNormal"))

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class TruncatedNormal(_RandomInitializer):
    """Normal samples with ``mean`` and ``stddev``, re-drawn outside two standard deviations.

    >>> float(ember.reduce_max(ember.abs(TruncatedNormal(stddev=1.0, seed=1)((500,))))) <= 2
    True
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        return self._truncated_normal(_as_shape(shape, "TruncatedNormal"), self.mean,
                                      self.stddev, _float_dtype(dtype, "TruncatedNormal"))

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class RandomUniform(_RandomInitializer):
    """Uniform samples in ``[minval, maxval)``.

    >>> RandomUniform(-1.0, 1.0, seed=0)((2, 2)).dtype
    ember.float32
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval = minval
        self.maxval = maxval
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        shape = _as_shape(shape, "RandomUniform")
        dtype = _as_dtype(dtype)
        if not (dtype.is_floating or dtype.is_integer):
            raise ValueError(f"RandomUniform: expected a floating point or integer dtype, got "
                             f"{dtype.name}")
        return self._uniform(shape, self.minval, self.maxval, dtype)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")


class VarianceScaling(_RandomInitializer):
    """Samples scaled to the weight's fan: variance ``scale / n`` where ``n`` is fan_in,
    fan_out or their average (``mode``).

    ``distribution="truncated_normal"`` divides the stddev by 0.8796... so the truncated
    samples keep variance ``scale / n``; ``"uniform"`` uses limits ``±sqrt(3 * scale / n)``.

    >>> VarianceScaling(2.0, "fan_in", "uniform", seed=1)((64, 10)).shape
    TensorShape([64, 10])
    """

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        if not isinstance(scale, numbers.Real) or isinstance(scale, bool) or scale <= 0.0:
            raise ValueError(f"VarianceScaling: argument `scale` must be a positive float. "
                             f"Received: scale={scale!r}")
        mode = str(mode).lower() if isinstance(mode, str) else mode
        if mode not in _MODES:
            raise ValueError(f"VarianceScaling: invalid `mode` argument: expected one of "
                             f"{list(_MODES)}. Received: mode={mode!r}")
        dist = str(distribution).lower() if isinstance(distribution, str) else distribution
        if dist == "normal":
            dist = "truncated_normal"
        if dist not in _DISTRIBUTIONS:
            raise ValueError(f"VarianceScaling: invalid `distribution` argument: expected one "
                             f"of {list(_DISTRIBUTIONS)}. Received: distribution="
                             f"{distribution!r}")
        self.scale = float(scale)
        self.mode = mode
        self.distribution = dist
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        who = type(self).__name__
        shape = _as_shape(shape, who)
        dtype = _float_dtype(dtype, who)
        fan_in, fan_out = compute_fans(shape)
        fan = {"fan_in": fan_in, "fan_out": fan_out,
               "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        scale = self.scale / max(1.0, fan)
        if self.distribution == "truncated_normal":
            return self._truncated_normal(shape, 0.0, math.sqrt(scale) / _TRUNCATED_STDDEV,
                                          dtype)
        if self.distribution == "untruncated_normal":
            return self._normal(shape, 0.0, math.sqrt(scale), dtype)
        limit = math.sqrt(3.0 * scale)
        return self._uniform(shape, -limit, limit, dtype)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "seed": self.seed}


class _FixedVarianceScaling(VarianceScaling):
    _args = (1.0, "fan_in", "truncated_normal")

    def __init__(self, seed=None):
        super().__init__(*self._args, seed=seed)

    def get_config(self):
        return {"seed": self.seed}


class GlorotUniform(_FixedVarianceScaling):
    """Uniform in ``±sqrt(6 / (fan_in + fan_out))`` (Xavier uniform).

    >>> GlorotUniform(seed=0)((4, 4)).shape
    TensorShape([4, 4])
    """
    _args = (1.0, "fan_avg", "uniform")


class GlorotNormal(_FixedVarianceScaling):
    """Truncated normal with stddev ``sqrt(2 / (fan_in + fan_out))`` (Xavier normal).

    >>> GlorotNormal(seed=0)((4, 4)).shape
    TensorShape([4, 4])
    """
    _args = (1.0, "fan_avg", "truncated_normal")


class LecunNormal(_FixedVarianceScaling):
    """Truncated normal with stddev ``sqrt(1 / fan_in)``.

    >>> LecunNormal(seed=0)((4, 4)).shape
    TensorShape([4, 4])
    """
    _args = (1.0, "fan_in", "truncated_normal")


class LecunUniform(_FixedVarianceScaling):
    """Uniform in ``±sqrt(3 / fan_in)``.

    >>> LecunUniform(seed=0)((4, 4)).shape
    TensorShape([4, 4])
    """
    _args = (1.0, "fan_in", "uniform")


class HeNormal(_FixedVarianceScaling):
    """Truncated normal with stddev ``sqrt(2 / fan_in)``.

    >>> HeNormal(seed=0)((4, 4)).shape
    TensorShape([4, 4])
    """
    _args = (2.0, "fan_in", "truncated_normal")


class HeUniform(_FixedVarianceScaling):
    """Uniform in ``±sqrt(6 / fan_in)``.

    >>> HeUniform(seed=0)((4, 4)).shape
    TensorShape([4, 4])
    """
    _args = (2.0, "fan_in", "uniform")


class Orthogonal(_RandomInitializer):
    """An orthogonal matrix (times ``gain``) from the QR decomposition of normal samples;
    shapes of rank > 2 are flattened to ``(prod(shape[:-1]), shape[-1])``.

    >>> w = Orthogonal(seed=1)((4, 4)).numpy()
    >>> bool(abs(w @ w.T - np.eye(4)).max() < 1e-5)
    True
    """

    def __init__(self, gain=1.0, seed=None):
        self.gain = gain
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        shape = _as_shape(shape, "Orthogonal")
        dtype = _float_dtype(dtype, "Orthogonal")
        if len(shape) < 2:
            raise ValueError(f"Orthogonal: the tensor to initialize must be at least "
                             f"two-dimensional. Received: shape={shape} of rank {len(shape)}.")
        rows = int(np.prod(shape[:-1], dtype=np.int64))
        cols = shape[-1]
        work = ember.float64 if dtype == ember.float64 else ember.float32
        a = self._normal((max(rows, cols), min(rows, cols)), 0.0, 1.0, work)
        q, r = ember.linalg.qr(a)
        q = q * ember.sign(ember.linalg.diag_part(r))
        if rows < cols:
            q = ember.transpose(q)
        q = ember.reshape(q, shape)
        if self.gain != 1:
            q = q * ember.constant(self.gain, dtype=work)
        return ember.cast(q, dtype)

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


class Identity(Initializer):
    """``gain`` times the identity matrix (2-D shapes only; non-square gives ones on the
    main diagonal).

    >>> Identity(gain=2.0)((2, 2)).numpy().tolist()
    [[2.0, 0.0], [0.0, 2.0]]
    """

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        shape = _as_shape(shape, "Identity")
        dtype = _as_dtype(dtype)
        if len(shape) != 2:
            raise ValueError(f"Identity: the identity matrix initializer can only be used for "
                             f"2D matrices. Received: shape={shape} of rank {len(shape)}.")
        eye = ember.eye(shape[0], shape[1], dtype=dtype)
        if self.gain == 1:
            return eye
        return eye * ember.constant(self.gain, dtype=dtype)

    def get_config(self):
        return {"gain": self.gain}


def window_array(window, length, periodic=False):
    """A named window ('hann', 'hamming', 'boxcar'/'rectangular', 'blackman'; others
    through SciPy when it is installed) of ``length`` samples, as
    ``scipy.signal.get_window(window, length, fftbins=periodic)``; arrays pass through."""
    if not isinstance(window, str):
        return np.asarray(window.numpy() if hasattr(window, "numpy") else window, np.float64)
    n = length + 1 if periodic and length > 1 else length
    k = np.arange(n, dtype=np.float64)
    denominator = max(n - 1, 1)
    cosines = {"hann": (0.5, 0.5, 0.0), "hamming": (0.54, 0.46, 0.0),
               "blackman": (0.42, 0.5, 0.08)}
    if window in cosines:
        a0, a1, a2 = cosines[window]
        w = a0 - a1 * np.cos(2 * np.pi * k / denominator) + a2 * np.cos(4 * np.pi * k /
                                                                       denominator)
        w = w if n > 1 else np.ones(n)
    elif window in ("boxcar", "rectangular", "box", "ones"):
        w = np.ones(n)
    else:
        try:
            from scipy.signal import get_window
        except ImportError:
            raise NotImplementedError(f"window {window!r} needs SciPy (pip install scipy); "
                                      f"without it ember knows 'hann', 'hamming', "
                                      f"'blackman' and 'boxcar'.") from None
        return np.asarray(get_window(window, length, fftbins=periodic), np.float64)
    return w[:length]


class STFT(Initializer):
    """The real (cosine) or imaginary (sine) part of a windowed DFT kernel of shape
    (frame_length, 1, fft_length // 2 + 1), scaled by the window's norm ('density') or
    sum ('spectrum'): STFTSpectrogram's convolution kernels.

    >>> STFT("real", window=None)((4, 1, 3)).numpy()[:, 0, 0].tolist()
    [1.0, 1.0, 1.0, 1.0]
    """

    def __init__(self, side="real", window="hann", scaling="density", periodic=False):
        if side not in ("real", "imag"):
            raise ValueError(f"STFT: side should be 'real' or 'imag', not {side}")
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError(f"STFT: scaling is invalid, it must be None, 'density' or "
                             f"'spectrum'. Received scaling={scaling}")
        if isinstance(window, str):
            window_array(window, 1)
        self.side, self.window, self.scaling, self.periodic = side, window, scaling, periodic

    def __call__(self, shape, dtype=None):
        frame_length, _, bins = _as_shape(shape, "STFT")
        dtype = _float_dtype(dtype, "STFT")
        fft_length = (bins - 1) * 2
        t = np.arange(frame_length, dtype=np.float64).reshape(-1, 1, 1)
        f = np.arange(bins, dtype=np.float64).reshape(1, 1, -1) / fft_length
        angle = -2.0 * t * f * np.pi
        kernel = np.cos(angle) if self.side == "real" else np.sin(angle)
        if self.window is not None:
            win = window_array(self.window, frame_length, self.periodic)
            if win.shape != (frame_length,):
                raise ValueError(f"STFT: the shape of `window` must be equal to "
                                 f"[frame_length]. Received: window shape={win.shape}")
            scale = 1.0
            if self.scaling == "density":
                scale = np.sqrt(np.sum(win ** 2))
            elif self.scaling == "spectrum":
                scale = np.sum(np.abs(win))
            kernel = kernel * win.reshape(-1, 1, 1) / scale
        return ember.constant(kernel.astype(dtype.as_numpy_dtype))

    def get_config(self):
        window = self.window
        if window is not None and not isinstance(window, str):
            window = _plain_value(window)
        return {"side": self.side, "window": window, "periodic": self.periodic,
                "scaling": self.scaling}


OrthogonalInitializer = Orthogonal
IdentityInitializer = Identity
STFTInitializer = STFT

zeros = Zeros
ones = Ones
constant = Constant
random_normal = RandomNormal
random_uniform = RandomUniform
truncated_normal = TruncatedNormal
variance_scaling = VarianceScaling
glorot_uniform = GlorotUniform
glorot_normal = GlorotNormal
he_normal = HeNormal
he_uniform = HeUniform
lecun_normal = LecunNormal
lecun_uniform = LecunUniform
orthogonal = Orthogonal
identity = Identity

_CLASSES = (Initializer, Zeros, Ones, Constant, RandomNormal, RandomUniform, TruncatedNormal,
            VarianceScaling, GlorotUniform, GlorotNormal, HeNormal, HeUniform, LecunNormal,
            LecunUniform, Orthogonal, Identity, STFT)
_SNAKE = {
    "Initializer": "initializer", "Zeros": "zeros", "Ones": "ones", "Constant": "constant",
    "RandomNormal": "random_normal", "RandomUniform": "random_uniform",
    "TruncatedNormal": "truncated_normal", "VarianceScaling": "variance_scaling",
    "GlorotUniform": "glorot_uniform", "GlorotNormal": "glorot_normal",
    "HeNormal": "he_normal", "HeUniform": "he_uniform", "LecunNormal": "lecun_normal",
    "LecunUniform": "lecun_uniform", "Orthogonal": "orthogonal", "Identity": "identity",
    "STFT": "stft",
}
ALL_OBJECTS_DICT = {c.__name__: c for c in _CLASSES}
ALL_OBJECTS_DICT.update({_SNAKE[c.__name__]: c for c in _CLASSES})
ALL_OBJECTS_DICT.update({
    "OrthogonalInitializer": Orthogonal, "IdentityInitializer": Identity,
    "STFTInitializer": STFT,
    "normal": RandomNormal, "uniform": RandomUniform, "one": Ones, "zero": Zeros,
})


def serialize(initializer):
    """The Keras 3 config dict of an initializer.

    >>> serialize(Zeros())["class_name"]
    'Zeros'
    """
    return _ser.serialize_keras_object(initializer)


def deserialize(config, custom_objects=None):
    """Rebuilds an initializer from ``serialize`` output (or the class from a name).

    >>> deserialize(serialize(HeNormal(seed=3))).seed
    3
    """
    return _ser.deserialize_keras_object(config, module_objects=ALL_OBJECTS_DICT,
                                         custom_objects=custom_objects,
                                         printable_module_name="initializer")


def get(identifier):
    """An initializer instance from a name (``"glorot_uniform"``), a config dict, a class, an
    instance or any callable ``f(shape, dtype)``; ``None`` gives ``None``.

    >>> type(get("he_normal")).__name__
    'HeNormal'
    """
    return _ser.get_object(identifier, deserialize, "initializer")
