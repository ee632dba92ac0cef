"""keras.ops math: segment reductions, top_k, logsumexp, erf family, sequences."""
from __future__ import annotations

import numpy as np

import ember
from ember.keras.ops._common import floating, tensor
from ember.keras.ops.numpy import _missing

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
    return -np.inf if dt.is_floating else np.iinfo(dt.as_numpy_dtype).min


def _highest(data):
    dt = tensor(data).dtype
    return np.inf if dt.is_floating else np.iinfo(dt.as_numpy_dtype).max


def segment_max(data, segment_ids, num_segments=None, sorted=False):
    """Per-segment maxima; an empty segment gives the dtype's lowest value."""
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


_FFT = "ember has no FFT ops"
fft = _missing("fft", _FFT)
fft2 = _missing("fft2", _FFT)
ifft2 = _missing("ifft2", _FFT)
rfft = _missing("rfft", _FFT)
irfft = _missing("irfft", _FFT)
stft = _missing("stft", _FFT)
istft = _missing("istft", _FFT)
