"""MelSpectrogram and STFTSpectrogram against real Keras (tests/fixtures/keras_audio/make_audio_fixtures.py)."""
import os
import sys

import numpy as np
import pytest

import ember
from ember import keras

HERE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "keras_audio")
sys.path.insert(0, HERE)
from make_audio_fixtures import CASES, STFT_CASES, stft_input  # noqa: E402

FIX = np.load(os.path.join(HERE, "audio.npz"))


@pytest.mark.parametrize("name", sorted(CASES))
def test_mel_spectrogram_matches_keras(name):
    got = keras.layers.MelSpectrogram(**CASES[name])(FIX["signal"]).numpy()
    want = FIX[name]
    assert got.shape == want.shape
    if CASES[name].get("power_to_db", True):
        np.testing.assert_allclose(got, want, atol=2e-3)       # decibels
    else:
        np.testing.assert_allclose(got, want, rtol=2e-4, atol=1e-5 * np.abs(want).max())


def test_single_signal_traced_config_and_model():
    layer = keras.layers.MelSpectrogram(**CASES["mel_db"])
    np.testing.assert_allclose(layer(FIX["signal"][0]).numpy(), FIX["mel_single"], atol=2e-3)
    traced = ember.function(lambda t: layer(t))
    np.testing.assert_allclose(traced(ember.constant(FIX["signal"])).numpy(), FIX["mel_db"],
                               atol=2e-3)
    clone = keras.layers.MelSpectrogram.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    assert layer.compute_output_shape((None, 400)) == (None, 16, FIX["mel_db"].shape[-1])
    with pytest.raises(ValueError, match="fft_length"):
        keras.layers.MelSpectrogram(fft_length=32, sequence_length=64)


@pytest.mark.parametrize("name", sorted(STFT_CASES))
def test_stft_spectrogram_matches_keras(name):
    layer = keras.layers.STFTSpectrogram(**STFT_CASES[name])
    got = layer(stft_input(name)).numpy()
    want = FIX[name]
    assert got.shape == want.shape
    if "angle" in name:     # angles of near-zero bins are noise: compare as unit vectors
        np.testing.assert_allclose(np.cos(got), np.cos(want), atol=2e-3)
        np.testing.assert_allclose(np.sin(got), np.sin(want), atol=2e-3)
    elif "log" in name:     # logs of tiny magnitudes magnify float32 rounding
        np.testing.assert_allclose(np.exp(got), np.exp(want), rtol=1e-3, atol=1e-5)
    else:
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    clone = keras.layers.STFTSpectrogram.from_config(layer.get_config())
    np.testing.assert_allclose(clone(stft_input(name)).numpy(), got, rtol=1e-6)


def test_stft_initializer_and_errors():
    init = keras.initializers.get({"class_name": "STFT", "config": {"side": "imag"}})
    kernel = init((8, 1, 5)).numpy()
    assert kernel.shape == (8, 1, 5) and np.allclose(kernel[:, 0, 0], 0.0)
    with pytest.raises(ValueError, match="frame_step"):
        keras.layers.STFTSpectrogram(frame_length=8, frame_step=9)
    with pytest.raises(ValueError, match="mode"):
        keras.layers.STFTSpectrogram(mode="power")
    with pytest.raises(TypeError, match="input type"):
        keras.layers.STFTSpectrogram(frame_length=8)(np.ones((1, 16, 1), np.int32))
