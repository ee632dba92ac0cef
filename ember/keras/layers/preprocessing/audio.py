"""Audio preprocessing layers (Keras 3): MelSpectrogram (audio (samples) or batches
(N, samples) to mel-scale power spectrograms (N, num_mel_bins, frames), in decibels with
``power_to_db``) and STFTSpectrogram (a strided convolution with windowed DFT kernels)."""
from __future__ import annotations

import numpy as np

import ember
from ember.keras.layers.layer import Layer

__all__ = ["MelSpectrogram", "STFTSpectrogram"]

_MEL_BREAK_FREQUENCY_HERTZ = 700.0
_MEL_HIGH_FREQUENCY_Q = 1127.0


def _hertz_to_mel(f):
    return _MEL_HIGH_FREQUENCY_Q * np.log(1.0 + f / _MEL_BREAK_FREQUENCY_HERTZ)


def mel_weight_matrix(num_mel_bins, num_spectrogram_bins, sampling_rate, lower_edge_hertz,
                      upper_edge_hertz):
    """The (num_spectrogram_bins, num_mel_bins) matrix of HTK triangular mel filters
    (peaks of 1, the DC bin zero) over linear bins spanning [0, sampling_rate / 2]."""
    freqs = np.linspace(0.0, sampling_rate / 2.0, num_spectrogram_bins, dtype=np.float32)[1:]
    bins_mel = _hertz_to_mel(freqs.astype(np.float64))[:, None]
    edges = np.linspace(_hertz_to_mel(float(lower_edge_hertz)),
                        _hertz_to_mel(float(upper_edge_hertz)), num_mel_bins + 2)
    lower, center, upper = edges[:-2][None], edges[1:-1][None], edges[2:][None]
    weights = np.maximum(0.0, np.minimum((bins_mel - lower) / (center - lower),
                                         (upper - bins_mel) / (upper - center)))
    return np.pad(weights, [[1, 0], [0, 0]]).astype(np.float32)


class MelSpectrogram(Layer):
    """Short-time Fourier transform (``fft_length``, hop ``sequence_stride``, window
    ``sequence_length``, centred), magnitudes to the power ``mag_exp``, HTK mel filters
    between ``min_freq`` and ``max_freq``, then with ``power_to_db`` 10·log10 relative to
    ``ref_power`` floored at ``min_power`` and clipped ``top_db`` below the batch maximum.

    >>> MelSpectrogram(fft_length=64, sequence_stride=16, num_mel_bins=8)(
    ...     ember.zeros([2, 128])).shape
    TensorShape([2, 8, 9])
    """

    def __init__(self, fft_length=2048, sequence_stride=512, sequence_length=None,
                 window="hann", sampling_rate=16000, num_mel_bins=128, min_freq=20.0,
                 max_freq=None, power_to_db=True, top_db=80.0, mag_exp=2.0, min_power=1e-10,
                 ref_power=1.0, **kwargs):
        super().__init__(**kwargs)
        self.fft_length, self.sequence_stride = int(fft_length), int(sequence_stride)
        self.sequence_length = int(sequence_length or fft_length)
        if self.fft_length < self.sequence_length:
            raise ValueError(f"MelSpectrogram: `fft_length` must be greater than or equal to "
                             f"`sequence_length`. Received: sequence_length="
                             f"{self.sequence_length}, fft_length={self.fft_length}.")
        self.window, self.sampling_rate = window, sampling_rate
        self.num_mel_bins, self.min_freq = int(num_mel_bins), min_freq
        self.max_freq = max_freq or int(sampling_rate / 2)
        self.power_to_db, self.top_db, self.mag_exp = power_to_db, top_db, mag_exp
        self.min_power, self.ref_power = min_power, ref_power

    def call(self, inputs):
        from ember.keras import ops
        dtype = self.compute_dtype if self.compute_dtype in ("float32", "float64") \
            else "float32"
        x = ember.cast(ember.convert_to_tensor(inputs), dtype)
        real, imag = ops.stft(x, self.sequence_length, self.sequence_stride, self.fft_length,
                              window=self.window, center=True)
        spec = ember.pow(ember.sqrt(ember.square(real) + ember.square(imag)),
                         ember.cast(self.mag_exp, dtype))
        matrix = mel_weight_matrix(self.num_mel_bins, self.fft_length // 2 + 1,
                                   self.sampling_rate, self.min_freq, self.max_freq)
        out = ember.tensordot(spec, ember.constant(matrix.astype(dtype)), axes=1)
        if self.power_to_db:
            floor = ember.cast(self.min_power, dtype)
            db = 10.0 * ember.math.log(ember.maximum(out, floor)) / np.log(10.0)
            ref = max(abs(float(self.ref_power)), float(self.min_power))
            db = db - 10.0 * float(np.log10(ref))
            out = ember.maximum(db, ember.reduce_max(db) - float(self.top_db))
        out = ember.linalg.matrix_transpose(out)
        return ember.cast(out, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        s = tuple(input_shape)
        frames = None if s[-1] is None else (s[-1] + self.sequence_stride + 1) // \
            self.sequence_stride
        return s[:-1] + (self.num_mel_bins, frames)

    def get_config(self):
        config = super().get_config()
        config.update({"fft_length": self.fft_length, "sequence_stride": self.sequence_stride,
                       "sequence_length": self.sequence_length, "window": self.window,
                       "sampling_rate": self.sampling_rate, "num_mel_bins": self.num_mel_bins,
                       "min_freq": self.min_freq, "max_freq": self.max_freq,
                       "power_to_db": self.power_to_db, "top_db": self.top_db,
                       "mag_exp": self.mag_exp, "min_power": self.min_power,
                       "ref_power": self.ref_power})
        return config


_STFT_MODES = ("log", "magnitude", "psd", "real", "imag", "angle", "stft")


class STFTSpectrogram(Layer):
    """Spectrogram of (N, time, channels) signals (channels_last) by a convolution with
    windowed cosine and sine kernels (``keras.initializers.STFT``, trainable weights as in
    Keras): ``mode`` 'log', 'magnitude', 'psd', 'real', 'imag', 'angle' or 'stft' (real
    and imaginary parts concatenated); frames of ``frame_length`` every ``frame_step``
    (default half a frame), ``fft_length`` bins (default the next power of two).

    >>> STFTSpectrogram(frame_length=8, frame_step=4)(ember.zeros([1, 32, 1])).shape
    TensorShape([1, 7, 5])
    """

    def __init__(self, mode="log", frame_length=256, frame_step=None, fft_length=None,
                 window="hann", periodic=False, scaling="density", padding="valid",
                 expand_dims=False, data_format=None, **kwargs):
        from ember.keras.initializers import window_array
        from ember.keras.layers.convolutional import standardize_data_format
        if frame_step is not None and (frame_step > frame_length or frame_step < 1):
            raise ValueError(f"STFTSpectrogram: `frame_step` should be a positive integer not "
                             f"greater than `frame_length`. Received frame_step={frame_step}, "
                             f"frame_length={frame_length}")
        if fft_length is not None and fft_length < frame_length:
            raise ValueError(f"STFTSpectrogram: `fft_length` should be not less than "
                             f"`frame_length`. Received fft_length={fft_length}, "
                             f"frame_length={frame_length}")
        if mode not in _STFT_MODES:
            raise ValueError(f"STFTSpectrogram: output mode is invalid, it must be one of "
                             f"{', '.join(_STFT_MODES)}. Received: mode={mode}")
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError(f"STFTSpectrogram: scaling is invalid, it must be None, "
                             f"'density' or 'spectrum'. Received scaling={scaling}")
        if padding not in ("valid", "same"):
            raise ValueError(f"STFTSpectrogram: padding is invalid, it should be 'valid', "
                             f"'same'. Received: padding={padding}")
        if isinstance(window, str):
            window_array(window, 1)
        super().__init__(**kwargs)
        self.mode, self.frame_length, self.frame_step = mode, int(frame_length), frame_step
        self._frame_step = int(frame_step or self.frame_length // 2)
        self.fft_length = fft_length
        self._fft_length = int(fft_length or 2 ** int(np.ceil(np.log2(frame_length))))
        self.window, self.periodic, self.scaling = window, periodic, scaling
        self.padding, self.expand_dims = padding, expand_dims
        self.data_format = standardize_data_format(data_format)

    def build(self, input_shape):
        from ember.keras.initializers import STFT
        shape = (self.frame_length, 1, self._fft_length // 2 + 1)
        if self.mode != "imag":
            self.real_kernel = self.add_weight(
                name="real_kernel", shape=shape,
                initializer=STFT("real", self.window, self.scaling, self.periodic))
        if self.mode != "real":
            self.imag_kernel = self.add_weight(
                name="imag_kernel", shape=shape,
                initializer=STFT("imag", self.window, self.scaling, self.periodic))
        self.built = True

    def _conv(self, x, kernel):
        """(N, channels, bins, frames) from (N, time, channels) or (N, channels, time)."""
        if x.shape.rank != 3:
            raise ValueError(f"STFTSpectrogram: expected inputs of rank 3, got shape "
                             f"{x.shape}")
        if self.data_format == "channels_first":
            x = ember.transpose(x, [0, 2, 1])
        channels = x.shape[-1]
        signals = ember.reshape(ember.transpose(x, [0, 2, 1]),
                                ember.stack([-1, ember.shape(x)[1], 1]))
        y = ember.nn.conv1d(signals, ember.cast(kernel, x.dtype), self._frame_step,
                            self.padding.upper())           # (N * C, frames, bins)
        y = ember.transpose(y, [0, 2, 1])
        return ember.reshape(y, ember.stack([-1, channels, ember.shape(y)[1],
                                             ember.shape(y)[2]]))

    def _adjust(self, y):
        shape = ember.shape(y)
        if self.data_format == "channels_last":
            if self.expand_dims:
                return ember.transpose(y, [0, 3, 2, 1])
            y = ember.reshape(y, ember.stack([-1, shape[1] * shape[2], shape[3]]))
            return ember.transpose(y, [0, 2, 1])
        if self.expand_dims:
            return ember.transpose(y, [0, 1, 3, 2])
        return ember.reshape(y, ember.stack([-1, shape[1] * shape[2], shape[3]]))

    def call(self, inputs):
        x = ember.convert_to_tensor(inputs)
        if x.dtype.name not in ("float16", "float32", "float64"):
            raise TypeError(f"STFTSpectrogram: invalid input type. Expected float16, "
                            f"float32 or float64. Received: input type={x.dtype.name}")
        real = self._conv(x, self.real_kernel) if self.mode != "imag" else None
        imag = self._conv(x, self.imag_kernel) if self.mode != "real" else None
        if self.mode == "real":
            return self._adjust(real)
        if self.mode == "imag":
            return self._adjust(imag)
        if self.mode == "angle":
            return self._adjust(ember.math.atan2(imag, real))
        if self.mode == "stft":
            return self._adjust(ember.concat([real, imag], 2))
        power = ember.square(real) + ember.square(imag)
        if self.mode == "psd":
            return self._adjust(power + ember.pad(power[:, :, 1:-1, :],
                                                  [[0, 0], [0, 0], [1, 1], [0, 0]]))
        eps = 1e-7
        magnitude = self._adjust(ember.sqrt(ember.maximum(power, eps)))
        if self.mode == "magnitude":
            return magnitude
        return ember.math.log(ember.maximum(magnitude, eps))

    def get_config(self):
        config = super().get_config()
        config.update({"mode": self.mode, "frame_length": self.frame_length,
                       "frame_step": self.frame_step, "fft_length": self.fft_length,
                       "window": self.window, "periodic": self.periodic,
                       "scaling": self.scaling, "padding": self.padding,
                       "data_format": self.data_format, "expand_dims": self.expand_dims})
        return config
