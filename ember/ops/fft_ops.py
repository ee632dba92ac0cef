"""Fast Fourier transforms over the innermost 1, 2 or 3 axes (``tf.signal.fft`` ...).

``FFT``/``IFFT`` take complex tensors; ``RFFT`` takes real ones and keeps the
non-negative frequencies (``fft_length // 2 + 1`` along the last axis), ``IRFFT`` is its
inverse. ``fft_length`` crops or zero-pads the transformed axes, as in TensorFlow. The
kernels use ``numpy.fft`` and keep the input's precision (complex64 in, complex64 out).

Gradients follow TensorFlow's convention for complex values (the gradient of a real loss
with respect to z is dL/dRe(z) + i dL/dIm(z)): the FFT's is ``n * ifft(g)``, the real
transforms' adjoints count the frequencies they fold together.
"""
from __future__ import annotations

import numpy as np

from ember.framework import dtypes
from ember.framework.op import Op
from ember.engine.dispatch import execute
from ember.framework.tensor import convert_to_tensor
from ember.framework.tensor_shape import TensorShape

__all__ = ["fft", "ifft", "fft2d", "ifft2d", "fft3d", "ifft3d", "rfft", "irfft", "rfft2d",
           "irfft2d", "rfft3d", "irfft3d", "fftnd", "ifftnd", "rfftnd", "irfftnd"]

_REAL_OF = {"complex64": dtypes.float32, "complex128": dtypes.float64}
_COMPLEX_OF = {"float32": dtypes.complex64, "float64": dtypes.complex128}


def _axes(rank):
    return tuple(range(-rank, 0))


def _check_rank(shape, rank, what):
    if shape.rank is not None and shape.rank < rank:
        raise ValueError(f"{what}: the input must have rank >= {rank}, got shape {shape}")


class _FFT(Op):
    """The complex FFT (or inverse) over the innermost ``rank`` axes."""

    name = "FFTN"

    def infer(self, inputs, rank, inverse):
        x = inputs[0]
        if not x.dtype.is_complex:
            raise TypeError(f"{'i' if inverse else ''}fft: the input must be complex64 or "
                            f"complex128, got {x.dtype.name} (use rfft for real signals)")
        _check_rank(x.shape, rank, "fft")
        return x.shape, x.dtype

    def kernel(self, xp, x, rank, inverse):
        if np.asarray(x).dtype.kind != "c":
            raise TypeError(f"{'i' if inverse else ''}fft: the input must be complex64 or "
                            f"complex128, got {np.asarray(x).dtype} (use rfft for real "
                            f"signals)")
        fn = np.fft.ifftn if inverse else np.fft.fftn
        return fn(x, axes=_axes(rank)).astype(x.dtype, copy=False)

    def grad(self, call, g):
        rank, inverse = call.attrs["rank"], call.attrs["inverse"]
        from ember.ops.array_ops import shape as shape_of
        from ember.ops.math_ops import cast
        from ember.ops.reduce_ops import reduce_prod
        n = reduce_prod(shape_of(call.inputs[0])[-rank:])
        back = execute(FFT, [g], {"rank": rank, "inverse": not inverse})
        scale = cast(n, g.dtype)
        return back / scale if inverse else back * scale


def _fit(a, shape, rank):
    """``a`` cropped or zero-padded on its innermost ``rank`` axes to ``shape``'s."""
    for ax, n in zip(_axes(rank), shape[-rank:]):
        have = a.shape[ax]
        if have > n:
            a = a[(Ellipsis, slice(0, n)) + (slice(None),) * (-ax - 1)]
        elif have < n:
            pad = [(0, 0)] * a.ndim
            pad[a.ndim + ax] = (0, n - have)
            a = np.pad(a, pad)
    return a


class _RFFT(Op):
    """The FFT of a real signal, non-negative frequencies only."""

    name = "RFFTN"

    def infer(self, inputs, rank, fft_length):
        x = inputs[0]
        if x.dtype.name not in _COMPLEX_OF:
            raise TypeError(f"rfft: the input must be float32 or float64, got {x.dtype.name}")
        _check_rank(x.shape, rank, "rfft")
        if x.shape.rank is None:
            return TensorShape(None), _COMPLEX_OF[x.dtype.name]
        dims = x.shape.as_list()[:-rank] + list(fft_length[:-1]) + [fft_length[-1] // 2 + 1]
        return TensorShape(dims), _COMPLEX_OF[x.dtype.name]

    def kernel(self, xp, x, rank, fft_length):
        if np.asarray(x).dtype.name not in _COMPLEX_OF:
            raise TypeError(f"rfft: the input must be float32 or float64, got "
                            f"{np.asarray(x).dtype}")
        out = np.fft.rfftn(x, s=fft_length, axes=_axes(rank))
        return out.astype(_COMPLEX_OF[x.dtype.name].np, copy=False)

    def grad(self, call, g):
        return execute(RFFT_GRAD, [g, call.inputs[0]], call.attrs)


def _fold_mask(m, length, inner):
    """Weights of the ``m`` kept frequencies: ``inner`` for those that stand for a
    frequency and its mirror image, 1 for zero and (even lengths) the Nyquist frequency."""
    mask = np.full(m, inner)
    mask[0] = 1.0
    if length % 2 == 0:
        mask[-1] = 1.0
    return mask


class _RFFTGrad(Op):
    """The adjoint of RFFTN (real part): inner frequencies count twice in a real signal."""

    name = "RFFTNGrad"
    differentiable = False

    def infer(self, inputs, rank, fft_length):
        return inputs[1].shape, inputs[1].dtype

    def kernel(self, xp, g, x, rank, fft_length):
        axes = _axes(rank)
        length = fft_length[-1]
        if rank > 1:
            g = np.fft.ifftn(g, axes=axes[:-1]) * float(np.prod(fft_length[:-1]))
        dx = np.fft.irfft(g * _fold_mask(g.shape[-1], length, 0.5), n=length, axis=-1) * length
        return _fit(dx, x.shape, rank).astype(x.dtype, copy=False)


class _IRFFT(Op):
    """The real signal whose non-negative frequencies are the input (inverse of RFFTN)."""

    name = "IRFFTN"

    def infer(self, inputs, rank, fft_length):
        y = inputs[0]
        if y.dtype.name not in _REAL_OF:
            raise TypeError(f"irfft: the input must be complex64 or complex128, got "
                            f"{y.dtype.name}")
        _check_rank(y.shape, rank, "irfft")
        if y.shape.rank is None:
            return TensorShape(None), _REAL_OF[y.dtype.name]
        return TensorShape(y.shape.as_list()[:-rank] + list(fft_length)), \
            _REAL_OF[y.dtype.name]

    def kernel(self, xp, y, rank, fft_length):
        if np.asarray(y).dtype.name not in _REAL_OF:
            raise TypeError(f"irfft: the input must be complex64 or complex128, got "
                            f"{np.asarray(y).dtype}")
        out = np.fft.irfftn(y, s=fft_length, axes=_axes(rank))
        return out.astype(_REAL_OF[y.dtype.name].np, copy=False)

    def grad(self, call, g):
        return execute(IRFFT_GRAD, [g, call.inputs[0]], call.attrs)


class _IRFFTGrad(Op):
    name = "IRFFTNGrad"
    differentiable = False

    def infer(self, inputs, rank, fft_length):
        return inputs[1].shape, inputs[1].dtype

    def kernel(self, xp, g, y, rank, fft_length):
        axes = _axes(rank)
        length = fft_length[-1]
        dz = np.fft.rfft(g, n=length, axis=-1)
        dz = dz * _fold_mask(dz.shape[-1], length, 2.0) / length
        if rank > 1:
            dz = np.fft.fftn(dz, axes=axes[:-1]) / float(np.prod(fft_length[:-1]))
        return _fit(dz, y.shape, rank).astype(y.dtype, copy=False)


FFT = _FFT()
RFFT = _RFFT()
RFFT_GRAD = _RFFTGrad()
IRFFT = _IRFFT()
IRFFT_GRAD = _IRFFTGrad()


def _complex_fft(x, rank, inverse, name):
    return execute(FFT, [convert_to_tensor(x)], {"rank": rank, "inverse": inverse}, name)


def fft(input, name=None):  # noqa: A002
    """The discrete Fourier transform over the innermost axis of a complex tensor."""
    return _complex_fft(input, 1, False, name)


def ifft(input, name=None):  # noqa: A002
    """The inverse discrete Fourier transform over the innermost axis."""
    return _complex_fft(input, 1, True, name)


def fft2d(input, name=None):  # noqa: A002
    return _complex_fft(input, 2, False, name)


def ifft2d(input, name=None):  # noqa: A002
    return _complex_fft(input, 2, True, name)


def fft3d(input, name=None):  # noqa: A002
    return _complex_fft(input, 3, False, name)


def ifft3d(input, name=None):  # noqa: A002
    return _complex_fft(input, 3, True, name)


def _lengths(x, fft_length, rank, inverse, what):
    if fft_length is None:
        if x.shape.rank is None or not x.shape[-rank:].is_fully_defined():
            raise ValueError(f"{what}: fft_length is needed when the innermost {rank} "
                             f"dimensions are not known (shape {x.shape})")
        dims = x.shape.as_list()[-rank:]
        if inverse:
            dims[-1] = 2 * (dims[-1] - 1)
        return tuple(int(d) for d in dims)
    value = getattr(fft_length, "_value", None)
    if value is None:
        value = getattr(fft_length, "_constant_value", None)
    if value is None and not hasattr(fft_length, "dtype"):
        value = fft_length
    if value is None:
        raise NotImplementedError(f"{what}: fft_length must be known when the graph is built")
    dims = tuple(int(d) for d in np.atleast_1d(np.asarray(value)))
    if len(dims) != rank:
        raise ValueError(f"{what}: fft_length must have {rank} entries, got {list(dims)}")
    if any(d < 0 for d in dims):
        raise ValueError(f"{what}: fft_length must be non-negative, got {list(dims)}")
    return dims


def _real_fft(op, x, fft_length, rank, inverse, what, name):
    x = convert_to_tensor(x)
    if not inverse and x.dtype.is_integer:
        raise TypeError(f"{what}: the input must be float32 or float64, got {x.dtype.name}")
    return execute(op, [x], {"rank": rank, "fft_length": _lengths(x, fft_length, rank,
                                                                 inverse, what)}, name)


def rfft(input_tensor, fft_length=None, name=None):
    """The FFT of a real signal over its innermost axis: ``fft_length // 2 + 1``
    non-negative frequencies.

    >>> tf.signal.rfft(tf.constant([1.0, 0.0, -1.0, 0.0]))   # [0, 2, 0]
    """
    return _real_fft(RFFT, input_tensor, fft_length, 1, False, "rfft", name)


def irfft(input_tensor, fft_length=None, name=None):
    """The real signal of length ``fft_length`` (default ``2 * (n - 1)``) whose
    non-negative frequencies are ``input_tensor``."""
    return _real_fft(IRFFT, input_tensor, fft_length, 1, True, "irfft", name)


def rfft2d(input_tensor, fft_length=None, name=None):
    return _real_fft(RFFT, input_tensor, fft_length, 2, False, "rfft2d", name)


def irfft2d(input_tensor, fft_length=None, name=None):
    return _real_fft(IRFFT, input_tensor, fft_length, 2, True, "irfft2d", name)


def rfft3d(input_tensor, fft_length=None, name=None):
    return _real_fft(RFFT, input_tensor, fft_length, 3, False, "rfft3d", name)


def irfft3d(input_tensor, fft_length=None, name=None):
    return _real_fft(IRFFT, input_tensor, fft_length, 3, True, "irfft3d", name)


# --------------------------------------------------------- transforms over any axes ---

def _nd_plan(x, fft_length, axes, what):
    """(axes, lengths or None, perm, inverse perm) for a transform over ``axes``."""
    rank = x.shape.rank
    if rank is None:
        raise ValueError(f"{what}: the input's rank must be known")
    lengths = None
    if fft_length is not None:
        lengths = [int(d) for d in np.atleast_1d(np.asarray(
            getattr(fft_length, "_value", fft_length)))]
    if axes is None:
        axes = list(range(rank - len(lengths), rank)) if lengths is not None else \
            list(range(rank))
    axes = [int(a) % rank for a in np.atleast_1d(np.asarray(axes))]
    if len(set(axes)) != len(axes):
        raise ValueError(f"{what}: axes must be distinct, got {axes}")
    if lengths is not None and len(lengths) != len(axes):
        raise ValueError(f"{what}: fft_length has {len(lengths)} entries but there are "
                         f"{len(axes)} axes")
    perm = [i for i in range(rank) if i not in axes] + axes
    return axes, lengths, perm, list(np.argsort(perm))


def _norm_scale(norm, n, inverse, what):
    if norm in (None, "backward"):
        return None
    if norm == "ortho":
        return (float(n) ** 0.5) if inverse else 1.0 / float(n) ** 0.5
    if norm == "forward":
        return float(n) if inverse else 1.0 / float(n)
    raise ValueError(f"{what}: norm must be None, 'backward', 'ortho' or 'forward', got "
                     f"{norm!r}")


def _scaled(y, scale):
    if scale is None:
        return y
    from ember.ops.math_ops import cast
    return y * cast(convert_to_tensor(scale), y.dtype)


def _complex_nd(x, fft_length, axes, norm, inverse, what):
    from ember.ops.array_ops import pad, transpose
    x = convert_to_tensor(x)
    axes, lengths, perm, back = _nd_plan(x, fft_length, axes, what)
    if lengths is not None:
        for ax, n in zip(axes, lengths):
            have = x.shape[ax]
            if have is None:
                raise NotImplementedError(f"{what}: the transformed axes' sizes must be known "
                                          f"to crop or pad them")
            if have > n:
                x = x[(slice(None),) * ax + (slice(0, n),)]
            elif have < n:
                paddings = [[0, 0]] * x.shape.rank
                paddings[ax] = [0, n - have]
                x = pad(x, paddings)
    size = int(np.prod([x.shape[a] for a in axes])) if all(
        x.shape[a] is not None for a in axes) else None
    y = execute(FFT, [transpose(x, perm)], {"rank": len(axes), "inverse": inverse})
    y = transpose(y, back)
    if norm not in (None, "backward") and size is None:
        raise NotImplementedError(f"{what}: norm needs the transformed axes' sizes")
    return _scaled(y, _norm_scale(norm, size, inverse, what))


def fftnd(input_tensor, fft_length=None, axes=None, norm=None, name=None):
    """The FFT over ``axes`` (the last ``len(fft_length)``, or all, by default), each
    cropped or zero-padded to ``fft_length``."""
    return _complex_nd(input_tensor, fft_length, axes, norm, False, "fftnd")


def ifftnd(input_tensor, fft_length=None, axes=None, norm=None, name=None):
    """The inverse FFT over ``axes``."""
    return _complex_nd(input_tensor, fft_length, axes, norm, True, "ifftnd")


def _real_nd(op, x, fft_length, axes, norm, inverse, what):
    from ember.ops.array_ops import transpose
    x = convert_to_tensor(x)
    axes, lengths, perm, back = _nd_plan(x, fft_length, axes, what)
    moved = transpose(x, perm)
    lengths = _lengths(moved, lengths, len(axes), inverse, what)
    y = transpose(execute(op, [moved], {"rank": len(axes), "fft_length": tuple(lengths)}),
                  back)
    return _scaled(y, _norm_scale(norm, int(np.prod(lengths)), inverse, what))


def rfftnd(input_tensor, fft_length=None, axes=None, norm=None, name=None):
    """The FFT of a real signal over ``axes`` (non-negative frequencies on the last one)."""
    return _real_nd(RFFT, input_tensor, fft_length, axes, norm, False, "rfftnd")


def irfftnd(input_tensor, fft_length=None, axes=None, norm=None, name=None):
    """The inverse of ``rfftnd``."""
    return _real_nd(IRFFT, input_tensor, fft_length, axes, norm, True, "irfftnd")
