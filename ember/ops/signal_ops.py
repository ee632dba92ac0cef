"""Signal processing built on the FFT ops and public ops (``tf.signal``): framing,
overlap-add, windows, short-time Fourier transforms, mel filter banks, DCT, MFCCs.

Everything here is a composite of differentiable ops (gather, segment sums, products
with constant matrices, the FFT ops), so gradients come for free. Windows and mel
matrices are constants computed once from their (static) sizes.
"""
from __future__ import annotations

import numpy as np

from ember.framework import dtypes
from ember.framework.tensor import EagerTensor, convert_to_tensor

__all__ = ["frame", "overlap_and_add", "hann_window", "hamming_window", "kaiser_window",
           "kaiser_bessel_derived_window", "vorbis_window", "stft", "inverse_stft",
           "inverse_stft_window_fn", "linear_to_mel_weight_matrix",
           "mfccs_from_log_mel_spectrograms", "dct", "idct", "fftshift", "ifftshift", "mdct",
           "inverse_mdct"]


def _static(value, what):
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, EagerTensor):
        return int(value._value)
    v = getattr(value, "_constant_value", None)
    if v is None:
        raise NotImplementedError(f"{what} must be known when the graph is built")
    return int(v)


def _axis_length(x, axis):
    """The static length of ``axis``, or a scalar tensor when it is known only at run time."""
    from ember.ops.array_ops import shape as shape_of
    d = x.shape[axis] if x.shape.rank is not None else None
    return d if d is not None else shape_of(x)[axis]


# ------------------------------------------------------------------ frame, overlap ---

def frame(signal, frame_length, frame_step, pad_end=False, pad_value=0, axis=-1, name=None):
    """Overlapping frames of ``frame_length`` samples every ``frame_step`` along ``axis``:
    that axis becomes ``[num_frames, frame_length]``.

    >>> tf.signal.frame(tf.range(6), 3, 2).numpy()
    array([[0, 1, 2], [2, 3, 4]], dtype=int32)
    """
    from ember.ops import array_ops, math_ops
    from ember.ops.creation_ops import range as range_
    signal = convert_to_tensor(signal)
    frame_length = _static(frame_length, "frame: frame_length")
    frame_step = _static(frame_step, "frame: frame_step")
    if frame_length <= 0 or frame_step <= 0:
        raise ValueError(f"frame: frame_length and frame_step must be positive, got "
                         f"{frame_length} and {frame_step}")
    if signal.shape.rank == 0:
        raise ValueError("frame: the signal must have rank >= 1")
    rank = signal.shape.rank
    axis = axis + rank if axis < 0 and rank is not None else axis
    n = _axis_length(signal, axis)
    if pad_end:
        if isinstance(n, int):
            num_frames = -(-n // frame_step)
            need = max(0, (num_frames - 1) * frame_step + frame_length - n)
        else:
            num_frames = (n + frame_step - 1) // frame_step
            need = math_ops.maximum(0, (num_frames - 1) * frame_step + frame_length - n)
        if isinstance(need, int):
            paddings = [[0, 0]] * rank
            paddings[axis] = [0, need]
        else:
            flat = [convert_to_tensor(0)] * (2 * rank)
            flat[2 * axis + 1] = math_ops.cast(need, dtypes.int32)
            paddings = array_ops.reshape(array_ops.stack(flat), [rank, 2])
        signal = array_ops.pad(signal, paddings, constant_values=convert_to_tensor(
            pad_value, dtype=signal.dtype))
    elif isinstance(n, int):
        num_frames = max(0, 1 + (n - frame_length) // frame_step) if n >= frame_length else 0
    else:
        num_frames = math_ops.maximum(0, 1 + (n - frame_length) // frame_step)
    if isinstance(num_frames, int):
        idx = (np.arange(num_frames)[:, None] * frame_step +
               np.arange(frame_length)[None, :]).astype(np.int32)
        idx = convert_to_tensor(idx.reshape(num_frames, frame_length))
    else:
        idx = array_ops.expand_dims(range_(num_frames) * frame_step, 1) + \
            array_ops.expand_dims(range_(frame_length), 0)
    return array_ops.gather(signal, idx, axis=axis)


def overlap_and_add(signal, frame_step, name=None):
    """Adds frames ``[..., frames, frame_length]`` that start ``frame_step`` apart into one
    signal of ``(frames - 1) * frame_step + frame_length`` samples.

    >>> tf.signal.overlap_and_add(tf.ones([3, 4]), 2).numpy()
    array([1., 1., 2., 2., 2., 2., 1., 1.], dtype=float32)
    """
    from ember.ops import array_ops, math_ops
    signal = convert_to_tensor(signal)
    frame_step = _static(frame_step, "overlap_and_add: frame_step")
    rank = signal.shape.rank
    if rank is None or rank < 2:
        raise ValueError(f"overlap_and_add: the signal must have rank >= 2, got shape "
                         f"{signal.shape}")
    frames, length = signal.shape[-2], signal.shape[-1]
    if frames is None or length is None:
        raise NotImplementedError("overlap_and_add: the number and length of frames must be "
                                  "known when the graph is built")
    if frame_step <= 0:
        raise ValueError(f"overlap_and_add: frame_step must be positive, got {frame_step}")
    out_len = (frames - 1) * frame_step + length
    ids = (np.arange(frames)[:, None] * frame_step + np.arange(length)[None, :]).reshape(-1)
    batch = rank - 2
    perm = [batch, batch + 1] + list(range(batch))
    data = array_ops.reshape(array_ops.transpose(signal, perm),
                             array_ops.concat([[frames * length],
                                               array_ops.shape(signal)[:batch]], 0))
    summed = math_ops.unsorted_segment_sum(data, convert_to_tensor(ids.astype(np.int32)),
                                           out_len)
    return array_ops.transpose(summed, list(range(1, batch + 1)) + [0])


# ------------------------------------------------------------------------ windows ---

def _window(values, dtype):
    dtype = dtypes.as_dtype(dtype)
    if not dtype.is_floating:
        raise ValueError(f"window: dtype must be floating, got {dtype.name}")
    return convert_to_tensor(np.asarray(values).astype(dtype.np))


def _raised_cosine(window_length, periodic, dtype, a, b):
    n = _static(window_length, "window_length")
    if n == 1:
        return _window(np.ones(1), dtype)
    even = periodic is True or (not isinstance(periodic, bool) and bool(
        _static(periodic, "periodic")))
    denom = n - 1 + (1 if even and n % 2 == 0 else 0)   # TensorFlow's rule
    return _window(a - b * np.cos(2.0 * np.pi * np.arange(n) / denom), dtype)


def hann_window(window_length, periodic=True, dtype=dtypes.float32, name=None):
    """``0.5 - 0.5 cos(2 pi n / N)``: ``N`` is length - 1, or the length for a periodic
    window of even length (TensorFlow's rule)."""
    return _raised_cosine(window_length, periodic, dtype, 0.5, 0.5)


def hamming_window(window_length, periodic=True, dtype=dtypes.float32, name=None):
    """``0.54 - 0.46 cos(2 pi n / N)``."""
    return _raised_cosine(window_length, periodic, dtype, 0.54, 0.46)


def _kaiser(n, beta):
    if n == 1:
        return np.ones(1)
    t = 2.0 * np.arange(n) / (n - 1) - 1.0
    return np.i0(beta * np.sqrt(np.clip(1.0 - t * t, 0.0, None))) / np.i0(beta)


def kaiser_window(window_length, beta=12.0, dtype=dtypes.float32, name=None):
    """The (symmetric) Kaiser window ``I0(beta sqrt(1 - t^2)) / I0(beta)``."""
    return _window(_kaiser(_static(window_length, "window_length"), float(beta)), dtype)


def kaiser_bessel_derived_window(window_length, beta=12.0, dtype=dtypes.float32, name=None):
    """The Kaiser-Bessel-derived window (square roots of a Kaiser window's running sums)."""
    n = _static(window_length, "window_length")
    k = _kaiser(n // 2 + 1, float(beta))
    csum = np.cumsum(k)
    half = np.sqrt(csum[:-1] / csum[-1])
    return _window(np.concatenate([half, half[::-1]]), dtype)


def vorbis_window(window_length, dtype=dtypes.float32, name=None):
    """``sin(pi/2 sin^2(pi (n + 1/2) / N))``."""
    n = _static(window_length, "window_length")
    return _window(np.sin(np.pi / 2 * np.sin(np.pi * (np.arange(n) + 0.5) / n) ** 2), dtype)


# --------------------------------------------------------------------------- STFT ---

def _next_pow2(n):
    return 1 << (int(n) - 1).bit_length()


def stft(signals, frame_length, frame_step, fft_length=None, window_fn=hann_window,
         pad_end=False, name=None):
    """Short-time Fourier transform: windowed frames, each ``rfft``-ed
    (``[..., frames, fft_length // 2 + 1]``, complex).

    >>> tf.signal.stft(tf.random.normal([16000]), 256, 128).shape   # (124, 129)
    """
    from ember.ops.fft_ops import rfft
    signals = convert_to_tensor(signals)
    if not signals.dtype.is_floating:
        raise ValueError(f"stft: signals must be float32 or float64, got {signals.dtype.name}")
    frame_length = _static(frame_length, "stft: frame_length")
    fft_length = _next_pow2(frame_length) if fft_length is None else _static(
        fft_length, "stft: fft_length")
    framed = frame(signals, frame_length, frame_step, pad_end=pad_end)
    if window_fn is not None:
        framed = framed * window_fn(frame_length, dtype=signals.dtype)
    return rfft(framed, [fft_length])


def inverse_stft(stfts, frame_length, frame_step, fft_length=None, window_fn=hann_window,
                 name=None):
    """The signal whose ``stft`` is ``stfts`` (use ``inverse_stft_window_fn`` as
    ``window_fn`` for an exact inverse)."""
    from ember.ops import array_ops
    from ember.ops.fft_ops import irfft
    stfts = convert_to_tensor(stfts)
    frame_length = _static(frame_length, "inverse_stft: frame_length")
    fft_length = _next_pow2(frame_length) if fft_length is None else _static(
        fft_length, "inverse_stft: fft_length")
    frames = irfft(stfts, [fft_length])
    if frame_length <= fft_length:
        frames = frames[..., :frame_length]
    else:
        rank = frames.shape.rank
        frames = array_ops.pad(frames, [[0, 0]] * (rank - 1) + [[0, frame_length -
                                                                  fft_length]])
    if window_fn is not None:
        frames = frames * window_fn(frame_length, dtype=frames.dtype)
    return overlap_and_add(frames, frame_step)


def inverse_stft_window_fn(frame_step, forward_window_fn=hann_window, name=None):
    """A ``window_fn`` for ``inverse_stft`` that undoes ``forward_window_fn``'s overlap
    (the window divided by the overlapping sum of its squares)."""
    frame_step = _static(frame_step, "inverse_stft_window_fn: frame_step")

    def inverse_window(frame_length, dtype=dtypes.float32):
        forward = np.asarray(forward_window_fn(frame_length, dtype=dtype)).astype(np.float64)
        overlaps = -(-frame_length // frame_step)
        denom = np.pad(forward ** 2, (0, overlaps * frame_step - frame_length))
        denom = np.tile(denom.reshape(overlaps, frame_step).sum(0), overlaps)
        return _window(forward / denom[:frame_length], dtype)
    return inverse_window


# ------------------------------------------------------------------------- mel, DCT ---

def _hertz_to_mel(f):
    return 1127.0 * np.log1p(np.asarray(f, np.float64) / 700.0)


def linear_to_mel_weight_matrix(num_mel_bins=20, num_spectrogram_bins=129, sample_rate=8000,
                                lower_edge_hertz=125.0, upper_edge_hertz=3800.0,
                                dtype=dtypes.float32, name=None):
    """A ``[num_spectrogram_bins, num_mel_bins]`` matrix of triangular mel filters (HTK
    mel scale) that maps a linear spectrogram to a mel spectrogram.

    >>> m = tf.signal.linear_to_mel_weight_matrix(40, 257, 16000, 20.0, 8000.0)
    """
    num_mel_bins = _static(num_mel_bins, "num_mel_bins")
    bins = _static(num_spectrogram_bins, "num_spectrogram_bins")
    sample_rate = float(sample_rate)
    lo, hi = float(lower_edge_hertz), float(upper_edge_hertz)
    if num_mel_bins <= 0:
        raise ValueError(f"num_mel_bins must be positive, got {num_mel_bins}")
    if sample_rate <= 0.0:
        raise ValueError(f"sample_rate must be positive, got {sample_rate}")
    if lo < 0.0:
        raise ValueError(f"lower_edge_hertz must be non-negative, got {lo}")
    if lo >= hi:
        raise ValueError(f"lower_edge_hertz {lo} >= upper_edge_hertz {hi}")
    if hi > sample_rate / 2:
        raise ValueError(f"upper_edge_hertz must not be larger than the Nyquist frequency "
                         f"(sample_rate / 2), got {hi} for sample_rate: {sample_rate}")
    linear = np.linspace(0.0, sample_rate / 2.0, bins)[1:]
    spec_mel = _hertz_to_mel(linear)[:, None]
    edges = np.linspace(_hertz_to_mel(lo), _hertz_to_mel(hi), num_mel_bins + 2)
    lower, center, upper = edges[:-2][None, :], edges[1:-1][None, :], edges[2:][None, :]
    lower_slopes = (spec_mel - lower) / (center - lower)
    upper_slopes = (upper - spec_mel) / (upper - center)
    weights = np.maximum(0.0, np.minimum(lower_slopes, upper_slopes))
    return _window(np.pad(weights, [[1, 0], [0, 0]]), dtype)


def _dct_matrix(n, dct_type, norm):
    k = np.arange(n)[None, :]
    j = np.arange(n)[:, None]
    if dct_type == 1:
        if n < 2:
            raise ValueError("dct: type 1 needs at least 2 samples")
        m = 2.0 * np.cos(np.pi * j * k / (n - 1))
        m[0, :] = 1.0
        m[-1, :] = (-1.0) ** np.arange(n)
        return m
    if dct_type == 2:
        m = 2.0 * np.cos(np.pi * k * (2 * j + 1) / (2.0 * n))
        if norm == "ortho":
            m[:, 0] *= np.sqrt(1.0 / (4 * n))
            m[:, 1:] *= np.sqrt(1.0 / (2 * n))
        return m
    if dct_type == 3:
        m = 2.0 * np.cos(np.pi * j * (2 * k + 1) / (2.0 * n))
        m[0, :] = 1.0
        if norm == "ortho":
            m[0, :] *= np.sqrt(1.0 / n)
            m[1:, :] *= np.sqrt(1.0 / (2 * n))
        return m
    m = 2.0 * np.cos(np.pi * (2 * j + 1) * (2 * k + 1) / (4.0 * n))
    if norm == "ortho":
        m *= np.sqrt(1.0 / (2 * n))
    return m


def dct(input, type=2, n=None, axis=-1, norm=None, name=None):  # noqa: A002
    """The discrete cosine transform (types I-IV, as scipy.fftpack defines them) over
    the last axis; ``norm='ortho'`` makes types II-IV orthonormal; ``n`` crops or
    zero-pads the axis first."""
    from ember.ops import array_ops
    x = convert_to_tensor(input)
    if type not in (1, 2, 3, 4):
        raise ValueError(f"dct: type must be 1, 2, 3 or 4, got {type}")
    if axis != -1:
        raise NotImplementedError("dct: only axis=-1 is supported (as in TensorFlow)")
    if norm not in (None, "ortho"):
        raise ValueError(f"dct: norm must be None or 'ortho', got {norm!r}")
    if norm == "ortho" and type == 1:
        raise ValueError("dct: normalization is not supported for the type-I DCT")
    if not x.dtype.is_floating:
        raise ValueError(f"dct: the input must be float32 or float64, got {x.dtype.name}")
    length = x.shape[-1] if x.shape.rank else None
    if length is None:
        raise NotImplementedError("dct: the length of the last axis must be known")
    if n is not None:
        n = int(n)
        if n < 1:
            raise ValueError(f"dct: n must be positive, got {n}")
        if n < length:
            x = x[..., :n]
        elif n > length:
            x = array_ops.pad(x, [[0, 0]] * (x.shape.rank - 1) + [[0, n - length]])
        length = n
    from ember.ops.linalg_ops import tensordot
    m = convert_to_tensor(_dct_matrix(length, type, norm).astype(x.dtype.np))
    return tensordot(x, m, 1) if x.shape.rank != 2 else x @ m


def idct(input, type=2, n=None, axis=-1, norm=None, name=None):  # noqa: A002
    """The inverse DCT: the DCT of the inverse type (II <-> III); with ``norm=None`` it
    inverts ``dct`` up to a factor ``2 * n`` (``2 * (n - 1)`` for type I)."""
    inverse_type = {1: 1, 2: 3, 3: 2, 4: 4}.get(type)
    if inverse_type is None:
        raise ValueError(f"idct: type must be 1, 2, 3 or 4, got {type}")
    return dct(input, type=inverse_type, n=n, axis=axis, norm=norm, name=name)


def mfccs_from_log_mel_spectrograms(log_mel_spectrograms, name=None):
    """Mel-frequency cepstral coefficients: the orthonormal type-II DCT of log-mel
    spectrograms (``[..., num_mel_bins]``)."""
    x = convert_to_tensor(log_mel_spectrograms)
    bins = x.shape[-1] if x.shape.rank else None
    if bins is None:
        raise ValueError("mfccs_from_log_mel_spectrograms: the number of mel bins (last "
                         "dimension) must be known")
    from ember.ops import math_ops
    return dct(x, type=2) * math_ops.rsqrt(convert_to_tensor(bins * 2.0, dtype=x.dtype))


def mdct(signals, frame_length, window_fn=vorbis_window, pad_end=False, norm=None,
         name=None):
    """The modified DCT of frames of ``frame_length`` samples (a multiple of 4) every
    ``frame_length // 2``: ``[..., frames, frame_length // 2]``."""
    from ember.ops import array_ops
    signals = convert_to_tensor(signals)
    frame_length = _static(frame_length, "mdct: frame_length")
    if frame_length % 4:
        raise ValueError(f"mdct: frame_length must be a multiple of 4, got {frame_length}")
    framed = frame(signals, frame_length, frame_length // 2, pad_end=pad_end)
    if window_fn is not None:
        framed = framed * window_fn(frame_length, dtype=signals.dtype)
    else:
        framed = framed * np.asarray(1.0 / np.sqrt(2), signals.dtype.np)
    q = frame_length // 4
    a, b, c, d = (framed[..., k * q:(k + 1) * q] for k in range(4))
    first = -array_ops.reverse(c, [-1]) - d
    second = a - array_ops.reverse(b, [-1])
    return dct(array_ops.concat([first, second], -1), type=4, norm=norm)


def inverse_mdct(mdcts, window_fn=vorbis_window, norm=None, name=None):
    """The signal whose ``mdct`` (with the same window and norm) is ``mdcts``."""
    from ember.ops import array_ops
    mdcts = convert_to_tensor(mdcts)
    half = mdcts.shape[-1] if mdcts.shape.rank else None
    if half is None:
        raise ValueError("inverse_mdct: the last dimension must be known")
    if norm is None:
        y = dct(mdcts, type=4) * np.asarray(0.5 / half, mdcts.dtype.np)
    elif norm == "ortho":
        y = dct(mdcts, type=4, norm="ortho")
    else:
        raise ValueError(f"inverse_mdct: norm must be None or 'ortho', got {norm!r}")
    h = half // 2
    lo, hi = y[..., :h], y[..., h:]
    frames = array_ops.concat([hi, -array_ops.reverse(hi, [-1]), -array_ops.reverse(lo, [-1]),
                               -lo], -1)
    if window_fn is not None:
        frames = frames * window_fn(2 * half, dtype=mdcts.dtype)
    else:
        frames = frames * np.asarray(1.0 / np.sqrt(2), mdcts.dtype.np)
    return overlap_and_add(frames, half)


# ------------------------------------------------------------------------- shifts ---

def _shift(x, axes, inverse):
    from ember.ops import array_ops
    x = convert_to_tensor(x)
    rank = x.shape.rank
    if axes is None:
        axes = list(range(rank))
    elif isinstance(axes, int):
        axes = [axes]
    shifts = []
    for a in axes:
        d = x.shape[a]
        if d is None:
            raise NotImplementedError("fftshift: the shifted axes' sizes must be known")
        shifts.append(-(d // 2) if inverse else d // 2)
    return array_ops.roll(x, shifts, list(axes))


def fftshift(x, axes=None, name=None):
    """Moves the zero frequency to the middle of the given axes (all by default)."""
    return _shift(x, axes, False)


def ifftshift(x, axes=None, name=None):
    """The inverse of ``fftshift``."""
    return _shift(x, axes, True)


