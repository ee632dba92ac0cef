"""MelSpectrogram (Keras 3): audio (samples) or batches (N, samples) to mel-scale
power spectrograms (N, num_mel_bins, frames), in decibels with ``power_to_db``."""
from __future__ import annotations

import numpy as np

import ember
from ember.keras.layers.layer import Layer

__all__ = ["MelSpectrogram"]

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
