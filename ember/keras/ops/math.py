"""keras.ops math: segment reductions, top_k, logsumexp, erf family, sequences."""
from __future__ import annotations

import numpy as np

import ember
from ember.keras.ops._common import floating, tensor

__all__ = ["erf", "erfc", "erfinv", "extract_sequences", "in_top_k", "logdet", "logsumexp",
           "rsqrt", "segment_max", "segment_min", "segment_prod", "segment_sum", "top_k",
           "view_as_complex", "view_as_real", "fft", "fft2", "ifft2", "rfft", "irfft",
           "stft", "istft", "cdist"]


def _num_segments(segment_ids, num_segments):
    if num_segments is not None:
        return num_segments
    return ember.reduce_max(segment_ids) + 1


def segment_sum(data, segment_ids, num_segments=None, sorted=False):
    """Sums of data's rows per segment id (ids outside [0, num_segments) dropped)."""
    data = tensor(data)
    ids = ember.cast(tensor(segment_ids), "int32")
    return ember.math.unsorted_segment_sum(data, ids, _num_segments(ids, num_segments))


def _segment_reduce(data, segment_ids, num_segments, reduce, identity):
    data = tensor(data)
    ids = ember.cast(tensor(segment_ids), "int32")
    n = _num_segments(ids, num_segments)
    member = ember.equal(ember.expand_dims(ember.range(n), 1), ember.expand_dims(ids, 0))
    member = ember.reshape(member, ember.concat(
        [ember.shape(member), ember.ones([len(data.shape) - 1], "int32")], 0))
    fill = ember.cast(identity, data.dtype) * ember.ones_like(data)
    picked = ember.where(member, ember.expand_dims(data, 0), ember.expand_dims(fill, 0))
    return reduce(picked, axis=1)


def _lowest(data):
    dt = tensor(data).dtype
    return np.finfo(dt.as_numpy_dtype).min if dt.is_floating else \
        np.iinfo(dt.as_numpy_dtype).min


def _highest(data):
    dt = tensor(data).dtype
    return np.finfo(dt.as_numpy_dtype).max if dt.is_floating else \
        np.iinfo(dt.as_numpy_dtype).max


def segment_max(data, segment_ids, num_segments=None, sorted=False):
    """Per-segment maxima; an empty segment gives the dtype's lowest finite value."""
    return _segment_reduce(data, segment_ids, num_segments, ember.reduce_max, _lowest(data))


def segment_min(data, segment_ids, num_segments=None, sorted=False):
    return _segment_reduce(data, segment_ids, num_segments, ember.reduce_min, _highest(data))


def segment_prod(data, segment_ids, num_segments=None, sorted=False):
    return _segment_reduce(data, segment_ids, num_segments, ember.reduce_prod, 1)


def top_k(x, k, sorted=True):
    """(values, indices) of the k largest entries along the last axis."""
    vals, idx = ember.math.top_k(tensor(x), k=k, sorted=sorted)
    return vals, ember.cast(idx, "int32")


def in_top_k(targets, predictions, k):
    return ember.math.in_top_k(ember.cast(tensor(targets), "int32"), floating(predictions), k)


def logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x))) over axis, computed stably."""
    ax = list(axis) if isinstance(axis, (list, tuple)) else axis
    return ember.reduce_logsumexp(floating(x), axis=ax, keepdims=keepdims)


def rsqrt(x):
    return ember.math.rsqrt(floating(x))


def erf(x):
    return ember.math.erf(floating(x))


def erfc(x):
    return ember.math.erfc(floating(x))


def erfinv(x):
    """The inverse of erf on (-1, 1): a rational first guess polished by Newton steps."""
    x = floating(x)
    w = -ember.math.log((1.0 - x) * (1.0 + x))
    a = 0.147
    t = 2.0 / (np.pi * a) - 0.5 * w
    y = ember.sign(x) * ember.sqrt(ember.sqrt(t * t + w / a) - t)
    for _ in range(3):
        err = ember.math.erf(y) - x
        y = y - err / (2.0 / np.sqrt(np.pi) * ember.exp(-y * y))
    return y


def logdet(x):
    """log(det(x)) of symmetric positive definite (batched) matrices."""
    return ember.linalg.logdet(floating(x))


def extract_sequences(x, sequence_length, sequence_stride):
    """Frames of sequence_length along the last axis, every sequence_stride."""
    x = tensor(x)
    n = x.shape[-1]
    count = 1 + (n - sequence_length) // sequence_stride
    idx = np.arange(count)[:, None] * sequence_stride + np.arange(sequence_length)[None, :]
    return ember.gather(x, ember.constant(idx.astype("int32")), axis=-1)


def view_as_real(x):
    x = tensor(x)
    return ember.stack([ember.math.real(x), ember.math.imag(x)], axis=-1)


def view_as_complex(x):
    x = floating(x)
    return ember.complex(x[..., 0], x[..., 1])


def cdist(x1, x2, p=2.0):
    """Pairwise p-norm distances between the rows of x1 and x2 (batched)."""
    a, b = floating(x1), floating(x2)
    diff = ember.abs(ember.expand_dims(a, -2) - ember.expand_dims(b, -3))
    if p == 2.0:
        return ember.sqrt(ember.reduce_sum(ember.square(diff), axis=-1))
    if p == 1.0:
        return ember.reduce_sum(diff, axis=-1)
    if np.isinf(p):
        return ember.reduce_max(diff, axis=-1)
    return ember.pow(ember.reduce_sum(ember.pow(diff, p), axis=-1), 1.0 / p)


# ---------------------------------------------------------------- Fourier transforms
# ember has no FFT kernel: these are discrete Fourier transforms written as matrix
# products with cos/sin tables (O(n^2) per axis, exact up to float rounding), so they
# work traced and have gradients. Complex values are (real, imag) pairs, as in Keras.

def _tables(n_in, n_out, dtype, inverse=False):
    k = np.arange(n_out)[None, :]
    t = np.arange(n_in)[:, None]
    angle = 2.0 * np.pi * t * k / max(n_in if not inverse else n_out, 1)
    return (ember.constant(np.cos(angle), dtype), ember.constant(np.sin(angle), dtype))


def _pair(x, name):
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise ValueError(f"keras.ops.{name}: expected a (real, imag) tuple; received {x!r}")
    real, imag = floating(x[0]), floating(x[1])
    if not real.shape.is_compatible_with(imag.shape):
        raise ValueError(f"keras.ops.{name}: real and imag shapes differ: "
                         f"{tuple(real.shape)} and {tuple(imag.shape)}")
    return real, imag


def _dft_last(re, im, inverse=False):
    n = re.shape[-1]
    c, s = _tables(n, n, re.dtype)
    if inverse:
        return ((ember.matmul(re, c) - ember.matmul(im, s)) / n,
                (ember.matmul(im, c) + ember.matmul(re, s)) / n)
    return ember.matmul(re, c) + ember.matmul(im, s), ember.matmul(im, c) - ember.matmul(re, s)


def _swap_last_two(t):
    nd = len(t.shape)
    return ember.transpose(t, list(range(nd - 2)) + [nd - 1, nd - 2])


def fft(x):
    """The discrete Fourier transform along the last axis of (real, imag)."""
    return _dft_last(*_pair(x, "fft"))


def _dft2(x, name, inverse):
    re, im = _pair(x, name)
    re, im = _dft_last(re, im, inverse)
    re, im = _dft_last(_swap_last_two(re), _swap_last_two(im), inverse)
    return _swap_last_two(re), _swap_last_two(im)


def fft2(x):
    """The 2-D discrete Fourier transform over the last two axes of (real, imag)."""
    return _dft2(x, "fft2", False)


def ifft2(x):
    """The inverse of fft2."""
    return _dft2(x, "ifft2", True)


def _fit_length(x, n):
    m = x.shape[-1]
    if m > n:
        return x[..., :n]
    if m < n:
        pads = [[0, 0]] * (len(x.shape) - 1) + [[0, n - m]]
        return ember.pad(x, pads)
    return x


def rfft(x, fft_length=None):
    """(real, imag) of the first fft_length // 2 + 1 Fourier coefficients of the real x
    (cut or zero-padded to fft_length along the last axis)."""
    x = floating(x)
    n = x.shape[-1] if fft_length is None else int(fft_length)
    x = _fit_length(x, n)
    c, s = _tables(n, n // 2 + 1, x.dtype)
    return ember.matmul(x, c), -ember.matmul(x, s)


def irfft(x, fft_length=None):
    """The real signal of length fft_length (default 2 * (bins - 1)) whose rfft is x."""
    re, im = _pair(x, "irfft")
    bins = re.shape[-1]
    n = 2 * (bins - 1) if fft_length is None else int(fft_length)
    used = n // 2 + 1
    re, im = _fit_length(re, used), _fit_length(im, used)
    k = np.arange(used)
    weight = np.where((k == 0) | ((n % 2 == 0) & (k == n // 2)), 1.0, 2.0) / n
    t = np.arange(n)
    angle = 2.0 * np.pi * k[:, None] * t[None, :] / n
    c = ember.constant(weight[:, None] * np.cos(angle), re.dtype)
    s = ember.constant(weight[:, None] * np.sin(angle), re.dtype)
    return ember.matmul(re, c) - ember.matmul(im, s)


def _window_array(window, sequence_length):
    """A periodic 'hann' or 'hamming' window, or ``window``'s own (concrete) values, as a
    float64 array of sequence_length values."""
    if isinstance(window, str):
        n = np.arange(sequence_length)
        if window == "hann":
            return 0.5 - 0.5 * np.cos(2.0 * np.pi * n / sequence_length)
        if window == "hamming":
            return 0.54 - 0.46 * np.cos(2.0 * np.pi * n / sequence_length)
        raise ValueError(f"keras.ops.stft/istft: window must be 'hann', 'hamming', a tensor "
                         f"or None; received {window!r}")
    w = np.asarray(window.numpy() if hasattr(window, "numpy") else window, np.float64)
    if w.shape != (sequence_length,):
        raise ValueError(f"keras.ops.istft: the shape of `window` must be [sequence_length]"
                         f" = [{sequence_length}]; received {w.shape}")
    return w


def _window(window, sequence_length, dtype):
    if window is None:
        return None
    if isinstance(window, str):
        return ember.constant(_window_array(window, sequence_length), dtype)
    w = ember.cast(tensor(window), dtype)
    if w.shape[0] != sequence_length:
        raise ValueError(f"keras.ops.stft: the window has {w.shape[0]} values; expected "
                         f"sequence_length={sequence_length}")
    return w


def stft(x, sequence_length, sequence_stride, fft_length, window="hann", center=True):
    """The short-time Fourier transform of x's last axis: (real, imag) of shape
    (..., frames, fft_length // 2 + 1), frames of sequence_length every sequence_stride
    (x reflect-padded by fft_length // 2 on both sides when center), each windowed (a
    periodic window, centred in fft_length) and transformed by rfft."""
    x = floating(x)
    if center:
        pad = fft_length // 2
        x = ember.pad(x, [[0, 0]] * (len(x.shape) - 1) + [[pad, pad]], mode="REFLECT")
    frames = extract_sequences(x, fft_length, sequence_stride)
    w = _window(window, sequence_length, x.dtype)
    if w is not None:
        left = (fft_length - sequence_length) // 2
        w = ember.pad(w, [[left, fft_length - sequence_length - left]])
        frames = frames * w
    return rfft(frames, fft_length)


def istft(x, sequence_length, sequence_stride, fft_length, length=None, window="hann",
          center=True):
    """The signal whose ``stft`` is x = (real, imag): inverse rfft of each frame, the
    window's overlap undone, frames overlap-added; the ``center`` padding is cut off (or
    the first ``length`` samples kept)."""
    real, imag = _pair(x, "istft")
    frames = ember.complex(real, ember.cast(imag, real.dtype))
    dtype = real.dtype
    left = (fft_length - sequence_length) // 2
    right = fft_length - sequence_length - left
    window_fn = None
    if window is not None:
        w = _window_array(window, sequence_length)
        padded = np.pad(w, (left, right))
        overlaps = -(-fft_length // sequence_stride)
        sq = np.pad(padded ** 2, (0, overlaps * sequence_stride - fft_length))
        denom = np.tile(sq.reshape(overlaps, sequence_stride).sum(0), overlaps)[:fft_length]
        inverse = ember.constant(padded / denom, dtype)

        def window_fn(frame_length, dtype=None):
            return inverse
    out = ember.signal.inverse_stft(frames, frame_length=fft_length,
                                    frame_step=sequence_stride, fft_length=fft_length,
                                    window_fn=window_fn)
    start = fft_length // 2 if center else 0
    if length is not None:
        return out[..., start:start + length]
    if center:
        return out[..., start:-(fft_length // 2)] if fft_length // 2 else out[..., start:]
    n_frames = frames.shape[-2]
    return out[..., :fft_length + sequence_stride * (n_frames - 1)]

