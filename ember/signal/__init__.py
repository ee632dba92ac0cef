"""``ember.signal`` (``tf.signal``): FFTs, framing, windows, STFT, mel filters, DCT, MFCCs."""
from ember.ops.fft_ops import (  # noqa: F401
    fft, fft2d, fft3d, fftnd, ifft, ifft2d, ifft3d, ifftnd, irfft, irfft2d, irfft3d, irfftnd,
    rfft, rfft2d, rfft3d, rfftnd,
)
from ember.ops.signal_ops import (  # noqa: F401
    dct, fftshift, frame, hamming_window, hann_window, idct, ifftshift, inverse_stft,
    inverse_stft_window_fn, kaiser_bessel_derived_window, kaiser_window,
    linear_to_mel_weight_matrix, mdct, inverse_mdct, mfccs_from_log_mel_spectrograms,
    overlap_and_add, stft,
    vorbis_window,
)
