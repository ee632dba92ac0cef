"""tf.signal: FFTs against numpy.fft, the rest against TensorFlow 2.21 fixtures
(tests/fixtures/signal/make_signal.py), gradients checked numerically."""
import os

import numpy as np
import pytest

import ember as tf
from tests.ops.optest import check_gradient

REF = np.load(os.path.join(os.path.dirname(__file__), "..", "fixtures", "signal",
                           "signal.npz"))
X = REF["x"]
RNG = np.random.default_rng(3)
Z = (RNG.standard_normal((2, 4, 6)) + 1j * RNG.standard_normal((2, 4, 6))).astype(np.complex64)
S = tf.signal


@pytest.mark.parametrize("fn,np_fn", [
    (S.fft, np.fft.fft), (S.ifft, np.fft.ifft),
    (S.fft2d, np.fft.fft2), (S.ifft2d, np.fft.ifft2),
    (S.fft3d, np.fft.fftn), (S.ifft3d, np.fft.ifftn),
])
def test_complex_ffts_against_numpy(fn, np_fn):
    got = fn(tf.constant(Z))
    assert got.dtype == tf.complex64
    np.testing.assert_allclose(got, np_fn(Z), rtol=1e-4, atol=1e-5)


def test_real_ffts_against_numpy_and_tensorflow():
    got = S.rfft(tf.constant(X))
    assert got.dtype == tf.complex64 and got.shape == (2, 21)
    np.testing.assert_allclose(got, np.fft.rfft(X), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(S.rfft(X, [25]), REF["rfft_n"], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(S.irfft(S.rfft(X), [30]), REF["irfft_n"], rtol=1e-4,
                               atol=1e-5)
    np.testing.assert_allclose(S.irfft(S.rfft(X)), X, rtol=1e-4, atol=1e-5)
    x3 = X.reshape(2, 5, 8)
    np.testing.assert_allclose(S.rfft2d(x3, [4, 6]), REF["rfft2d"], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(S.irfft2d(S.rfft2d(x3), [5, 7]), REF["irfft2d"], rtol=1e-4,
                               atol=1e-5)
    np.testing.assert_allclose(S.irfft3d(S.rfft3d(x3)), x3, rtol=1e-4, atol=1e-5)
    with pytest.raises((TypeError, tf.errors.InvalidArgumentError), match="complex"):
        S.fft(tf.constant(X))


@pytest.mark.parametrize("fn", [
    lambda v: tf.math.real(S.rfft(v, [6])) + 2.0 * tf.math.imag(S.rfft(v, [6])),
    lambda v: tf.math.real(S.rfft(v, [9]))[..., :3] - tf.math.imag(S.rfft(v, [4])),
    lambda v: S.irfft(tf.complex(v, 0.5 * v), [7]),
    lambda v: S.irfft(tf.complex(v, -v), [4]),
    lambda v: tf.math.real(S.rfft2d(v, [2, 5])) + tf.math.imag(S.rfft2d(v))[:, :2],
    lambda v: S.irfft2d(tf.complex(v, v * v), [3, 4]),
    lambda v: tf.math.imag(S.fft(tf.complex(v, v * v))) + tf.math.real(S.ifft2d(
        tf.complex(-v, v))),
], ids=["rfft", "rfft_crop_pad", "irfft_odd", "irfft_even", "rfft2d", "irfft2d", "fft"])
def test_fft_gradients(fn):
    check_gradient(fn, [RNG.standard_normal((2, 3, 5))], rtol=1e-5, atol=1e-7)


def test_frame_overlap_add_stft_against_tensorflow():
    np.testing.assert_allclose(S.frame(X, 7, 3, pad_end=True, pad_value=9.0), REF["frame"])
    np.testing.assert_array_equal(S.frame(tf.range(6), 3, 2), [[0, 1, 2], [2, 3, 4]])
    assert S.frame(tf.range(2), 3, 1).shape == (0, 3)
    np.testing.assert_allclose(S.overlap_and_add(X.reshape(2, 5, 8), 3), REF["ola"],
                               rtol=1e-6)
    np.testing.assert_allclose(S.stft(X, 16, 6, fft_length=16), REF["stft"], rtol=1e-4,
                               atol=1e-4)
    np.testing.assert_allclose(S.stft(X, 12, 5, pad_end=True), REF["stft_pad"], rtol=1e-4,
                               atol=1e-4)
    inv = S.inverse_stft(S.stft(X, 16, 4), 16, 4, window_fn=S.inverse_stft_window_fn(4))
    np.testing.assert_allclose(inv, REF["istft"], rtol=1e-4, atol=1e-5)
    traced = tf.function(lambda s: S.stft(s, 16, 6, fft_length=16))(tf.constant(X))
    np.testing.assert_allclose(traced, REF["stft"], rtol=1e-4, atol=1e-4)
    unknown = tf.function(lambda s: S.frame(s, 7, 3),
                          input_signature=[tf.TensorSpec([2, None], tf.float32)])
    np.testing.assert_allclose(unknown(tf.constant(X)), REF["frame"][:, :12])


def test_windows_mel_dct_mfcc_against_tensorflow():
    for name in ("hann_window", "hamming_window"):
        np.testing.assert_allclose(getattr(S, name)(11), REF[name], rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(getattr(S, name)(11, periodic=False), REF[name + "_sym"],
                                   rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(S.kaiser_window(9, beta=5.0), REF["kaiser_window"], rtol=1e-5)
    np.testing.assert_allclose(S.kaiser_bessel_derived_window(10, beta=4.0), REF["kbd_window"],
                               rtol=1e-5)
    np.testing.assert_allclose(S.vorbis_window(8), REF["vorbis_window"], rtol=1e-6)
    np.testing.assert_allclose(S.linear_to_mel_weight_matrix(10, 33, 16000, 60.0, 7000.0),
                               REF["mel"], rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError, match="Nyquist"):
        S.linear_to_mel_weight_matrix(10, 33, 8000, 60.0, 7000.0)
    for t in (1, 2, 3, 4):
        np.testing.assert_allclose(S.dct(X[:, :9], type=t), REF[f"dct{t}"], rtol=1e-4,
                                   atol=1e-5)
        if t != 1:
            np.testing.assert_allclose(S.dct(X[:, :9], type=t, norm="ortho"),
                                       REF[f"dct{t}_ortho"], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(S.dct(X[:, :9], n=12), REF["dct2_n12"], rtol=1e-4, atol=1e-5)
    x = X[:, :9].astype(np.float64)
    np.testing.assert_allclose(S.idct(S.dct(x, norm="ortho"), norm="ortho"), x, atol=1e-10)
    np.testing.assert_allclose(S.idct(S.dct(x)), 2 * 9 * x, atol=1e-9)
    np.testing.assert_allclose(S.mfccs_from_log_mel_spectrograms(REF["logmel"]), REF["mfcc"],
                               rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(S.fftshift(tf.range(5)), np.fft.fftshift(np.arange(5)))
    np.testing.assert_allclose(S.ifftshift(tf.reshape(tf.range(12), [3, 4])),
                               np.fft.ifftshift(np.arange(12).reshape(3, 4)))


def test_mdct_against_tensorflow():
    np.testing.assert_allclose(S.mdct(X, 8), REF["mdct"], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(S.mdct(X, 12, pad_end=True, norm="ortho"), REF["mdct_ortho_pad"],
                               rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(S.inverse_mdct(S.mdct(X, 8)), REF["imdct"], rtol=1e-4,
                               atol=1e-5)
    np.testing.assert_allclose(S.inverse_mdct(S.mdct(X, 8, norm="ortho"), norm="ortho"),
                               REF["imdct_ortho"], rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="multiple of 4"):
        S.mdct(X, 10)


@pytest.mark.parametrize("fn", [
    lambda v: S.mdct(v, 4),
    lambda v: S.frame(v, 3, 2, pad_end=True),
    lambda v: S.overlap_and_add(tf.reshape(v, [2, 3, 4]), 2),
    lambda v: tf.abs(S.stft(v, 8, 4, fft_length=8)),
    lambda v: S.dct(v, type=3, norm="ortho"),
    lambda v: S.mfccs_from_log_mel_spectrograms(v),
], ids=["mdct", "frame", "overlap_and_add", "stft", "dct", "mfcc"])
def test_signal_gradients(fn):
    check_gradient(fn, [RNG.standard_normal((2, 12))], rtol=1e-5, atol=1e-7)


def test_dct_of_higher_rank_inputs():
    x3 = X.reshape(2, 5, 8).astype(np.float64)
    want = np.stack([np.asarray(S.dct(x3[k], type=2)) for k in range(2)])
    np.testing.assert_allclose(S.dct(x3, type=2), want, rtol=1e-10)


def test_nd_transforms_against_numpy():
    # TensorFlow 2.21 has no CPU kernel for these; numpy.fft defines the same transforms
    x = RNG.standard_normal((2, 3, 4))
    z = x + 1j * RNG.standard_normal((2, 3, 4))
    np.testing.assert_allclose(S.fftnd(z), np.fft.fftn(z), atol=1e-10)
    np.testing.assert_allclose(S.fftnd(z, axes=[0, 2]), np.fft.fftn(z, axes=[0, 2]), atol=1e-10)
    np.testing.assert_allclose(S.fftnd(z, fft_length=[5, 2], axes=[2, 1]),
                               np.fft.fftn(z, s=[5, 2], axes=[2, 1]), atol=1e-10)
    np.testing.assert_allclose(S.ifftnd(z, norm="ortho"), np.fft.ifftn(z, norm="ortho"),
                               atol=1e-10)
    np.testing.assert_allclose(S.rfftnd(x, fft_length=[4, 6], axes=[0, 2]),
                               np.fft.rfftn(x, s=[4, 6], axes=[0, 2]), atol=1e-10)
    np.testing.assert_allclose(S.irfftnd(S.rfftnd(x, axes=[1, 2]), fft_length=[3, 4],
                                         axes=[1, 2]), x, atol=1e-10)
    np.testing.assert_allclose(S.rfftnd(x, norm="forward"), np.fft.rfftn(x, norm="forward"),
                               atol=1e-10)
    check_gradient(lambda v: tf.math.real(S.rfftnd(v, fft_length=[3, 4], axes=[0, 2])),
                   [RNG.standard_normal((2, 3, 5))], rtol=1e-5, atol=1e-7)
