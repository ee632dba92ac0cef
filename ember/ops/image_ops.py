"""Image ops: resize, depth_to_space, space_to_depth, extract_patches."""
from __future__ import annotations


import numpy as np

from ember.framework import dtypes
from ember.framework.errors import InvalidArgumentError
from ember.framework.op import Op
from ember.engine.dispatch import execute
from ember.framework.tensor_shape import TensorShape
from ember.ops import array_ops, math_ops
from ember.ops._base import FLOATS, REAL, check_dtype, shape_value, static_int, tensor
from ember.ops.conv_ops import (
    _ArraySpec, _check_rank, _dims, _shape_text, padding_arg, spatial_arg,
)
from ember.runtime.windows import (
    crop_spatial, pad_spatial, tap_slices, taps, window_geometry, windows,
)

__all__ = [
    "ResizeMethod",
    "depth_to_space",
    "extract_patches",
    "resize",
    "space_to_depth",
]


class ResizeMethod:
    BILINEAR = "bilinear"
    NEAREST_NEIGHBOR = "nearest"
    BICUBIC = "bicubic"
    AREA = "area"
    LANCZOS3 = "lanczos3"
    LANCZOS5 = "lanczos5"
    GAUSSIAN = "gaussian"
    MITCHELLCUBIC = "mitchellcubic"


# --------------------------------------------------------------------------- resize ---

_METHODS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian",
            "mitchellcubic")

def _nearest_index(n_in, n_out):
    scale = np.float32(n_in) / np.float32(n_out)
    return np.minimum(np.floor((np.arange(n_out) + 0.5) * scale).astype(np.int64), n_in - 1)


def _keys_table(a=-0.5, size=1024):
    """The sampled Keys cubic coefficients TensorFlow's bicubic resize reads (1/1024 steps)."""
    x = np.arange(size + 1, dtype=np.float64) / size
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    t = x + 1
    far = ((a * t - 5 * a) * t + 8 * a) * t - 4 * a
    return near.astype(np.float32).astype(np.float64), far.astype(np.float32).astype(np.float64)


def _bicubic_matrix(n_in, n_out):
    scale = np.float32(n_in) / np.float32(n_out)
    src = (np.arange(n_out) + 0.5) * scale - 0.5
    loc = np.floor(src).astype(np.int64)
    offset = np.rint((src - loc) * 1024).astype(np.int64)
    near, far = _keys_table()
    w = np.stack([far[offset], near[offset], near[1024 - offset], far[1024 - offset]], 1)
    idx = loc[:, None] + np.arange(-1, 3)[None, :]
    w = np.where((idx >= 0) & (idx < n_in), w, 0.0)
    w = w / w.sum(axis=1, keepdims=True)
    m = np.zeros((n_out, n_in))
    np.add.at(m, (np.repeat(np.arange(n_out), 4), np.clip(idx, 0, n_in - 1).ravel()), w.ravel())
    return m


def _area_matrix(n_in, n_out):
    scale = float(np.float32(n_in) / np.float32(n_out))
    starts = np.arange(n_out) * scale
    ends = starts + scale
    j = np.arange(n_in)[None, :]
    cover = np.minimum(j + 1, ends[:, None]) - np.maximum(j, starts[:, None])
    return np.maximum(cover, 0.0) / scale


def _lanczos(radius):
    def f(x):
        with np.errstate(divide="ignore", invalid="ignore"):
            v = radius * np.sin(np.pi * x) * np.sin(np.pi * x / radius) / (np.pi * np.pi * x * x)
        return np.where(x > radius, 0.0, np.where(x <= 1e-3, 1.0, v))
    return f, float(radius)


def _cubic(b, c):
    def f(x):
        inner = ((12 - 9 * b - 6 * c) * x ** 3 + (-18 + 12 * b + 6 * c) * x ** 2 + 6 - 2 * b) / 6
        outer = ((-b - 6 * c) * x ** 3 + (6 * b + 30 * c) * x ** 2 + (-12 * b - 48 * c) * x
                 + 8 * b + 24 * c) / 6
        return np.where(x >= 2, 0.0, np.where(x >= 1, outer, inner))
    return f, 2.0


_KERNELS = {
    "lanczos3": _lanczos(3), "lanczos5": _lanczos(5),
    "gaussian": (lambda x: np.where(x < 1.5, np.exp(-2.0 * x * x), 0.0), 1.5),
    "mitchellcubic": _cubic(1 / 3, 1 / 3),
    "keyscubic": _cubic(0.0, 0.5),
    "triangle": (lambda x: np.maximum(1.0 - x, 0.0), 1.0),
}


def _kernel_matrix(n_in, n_out, kernel, antialias):
    """Scale-and-translate weights: the kernel centred on each output's sample point,
    widened by the scale when downsampling with ``antialias``, taps outside the image
    dropped and the rest renormalised (as TensorFlow's ScaleAndTranslate)."""
    fn, radius = _KERNELS[kernel]
    inv_scale = float(np.float32(1.0) / (np.float32(n_out) / np.float32(n_in)))
    kscale = max(inv_scale, 1.0) if antialias else 1.0
    sample = (np.arange(n_out) + 0.5) * inv_scale
    src = np.arange(n_in)[None, :]
    start = np.clip(np.ceil(sample - radius * kscale - 0.5), 0, n_in - 1)[:, None]
    stop = np.clip(np.floor(sample + radius * kscale - 0.5), 0, n_in - 1)[:, None] + 1
    w = fn(np.abs((src + 0.5 - sample[:, None]) / kscale))
    w = np.where((src >= start) & (src < stop), w, 0.0)
    total = w.sum(axis=1, keepdims=True)
    return np.where(np.abs(total) >= 1000 * np.finfo(np.float32).eps,
                    w / np.where(total == 0, 1.0, total), w)


def _bilinear_matrix(n_in, n_out):
    scale = np.float32(n_in) / np.float32(n_out)
    src = (np.arange(n_out) + 0.5) * scale - 0.5
    lower = np.floor(src)
    frac = src - lower
    lo = np.clip(lower.astype(np.int64), 0, n_in - 1)
    hi = np.clip(lower.astype(np.int64) + 1, 0, n_in - 1)
    m = np.zeros((n_out, n_in))
    rows = np.arange(n_out)
    np.add.at(m, (rows, lo), 1.0 - frac)
    np.add.at(m, (rows, hi), frac)
    return m


def _resize_matrix(n_in, n_out, method, antialias):
    """(n_out, n_in) float64 matrix of one axis's interpolation weights (half-pixel)."""
    if method == "nearest":
        m = np.zeros((n_out, n_in))
        m[np.arange(n_out), _nearest_index(n_in, n_out)] = 1.0
        return m
    if method == "area":
        return _area_matrix(n_in, n_out)
    if method == "bilinear" and not antialias:
        return _bilinear_matrix(n_in, n_out)
    if method == "bicubic" and not antialias:
        return _bicubic_matrix(n_in, n_out)
    kernel = {"bilinear": "triangle", "bicubic": "keyscubic"}.get(method, method)
    return _kernel_matrix(n_in, n_out, kernel, antialias)


def _apply(x, mh, mw):
    """x (N, H, W, C) -> (N, OH, OW, C) with y = mh @ x @ mw^T on the spatial axes."""
    n, h, w, c = x.shape
    y = np.matmul(mh, x.reshape(n, h, w * c))
    y = np.matmul(mw, y.reshape(n * mh.shape[0], w, c))
    return y.reshape(n, mh.shape[0], mw.shape[0], c)


class _Resize(Op):
    name = "ResizeBilinear"

    def infer(self, inputs, size, method, antialias):
        x = inputs[0]
        check_dtype(self.name, x.dtype, REAL)
        _check_rank(self.name, x, 4, "images")
        n, c = (x.shape[0], x.shape[3]) if x.shape.rank else (None, None)
        return TensorShape([n, size[0], size[1], c]), \
            (x.dtype if method == "nearest" else dtypes.float32)

    def kernel(self, xp, x, size, method, antialias):
        self.infer([_ArraySpec(x)], size, method, antialias)
        h, w = x.shape[1:3]
        oh, ow = size
        if method == "nearest":
            return np.ascontiguousarray(x[:, _nearest_index(h, oh)][:, :, _nearest_index(w, ow)])
        mh = _resize_matrix(h, oh, method, antialias).astype(np.float32)
        mw = _resize_matrix(w, ow, method, antialias).astype(np.float32)
        return _apply(x.astype(np.float32, copy=False), mh, mw)

    def grad(self, call, g):
        x = call.inputs[0]
        if not x.dtype.is_floating:
            return (None,)
        dx = execute(RESIZE_GRAD, (g, array_ops.shape(x)), call.attrs)
        return (math_ops.cast(dx, x.dtype),)


class _ResizeGrad(Op):
    """(dy, original shape) -> dx: the transposed interpolation, in dy's dtype."""

    name = "ResizeBilinearGrad"

    def infer(self, inputs, size, method, antialias):
        g, sizes = inputs
        check_dtype(self.name, g.dtype, FLOATS)
        v = shape_value(sizes)
        if v is None:
            return TensorShape([g.shape[0] if g.shape.rank else None, None, None,
                                g.shape[3] if g.shape.rank else None]), g.dtype
        return TensorShape(v), g.dtype

    def kernel(self, xp, g, sizes, size, method, antialias):
        h, w = int(sizes[1]), int(sizes[2])
        mh = _resize_matrix(h, size[0], method, antialias).T.astype(g.dtype)
        mw = _resize_matrix(w, size[1], method, antialias).T.astype(g.dtype)
        return _apply(g, np.ascontiguousarray(mh), np.ascontiguousarray(mw))

    def grad(self, call, gg):
        return execute(RESIZE_LINEAR, (gg,), call.attrs), None


class _ResizeLinear(_Resize):
    """Resize as the interpolation matrices in the input's own float dtype (for gradients)."""

    name = "ResizeLinear"

    def infer(self, inputs, size, method, antialias):
        x = inputs[0]
        check_dtype(self.name, x.dtype, FLOATS)
        return TensorShape([x.shape[0], size[0], size[1], x.shape[3]]), x.dtype

    def kernel(self, xp, x, size, method, antialias):
        mh = _resize_matrix(x.shape[1], size[0], method, antialias).astype(x.dtype)
        mw = _resize_matrix(x.shape[2], size[1], method, antialias).astype(x.dtype)
        return _apply(x, mh, mw)

    def grad(self, call, g):
        return (execute(RESIZE_GRAD, (g, array_ops.shape(call.inputs[0])), call.attrs),)


RESIZE = _Resize()
RESIZE_GRAD = _ResizeGrad()
RESIZE_LINEAR = _ResizeLinear()


def resize(images, size, method=ResizeMethod.BILINEAR, preserve_aspect_ratio=False,
           antialias=False, name=None):
    """Resizes ``images`` (N, H, W, C) or (H, W, C) to ``size`` = (new_height, new_width).

    Every ``ResizeMethod`` with half-pixel centers, as TensorFlow 2: 'bilinear', 'bicubic'
    (Keys, a=-0.5), 'area', 'lanczos3', 'lanczos5', 'gaussian', 'mitchellcubic' give float32;
    'nearest' keeps the input's dtype. ``antialias`` widens the filter when downsampling.
    ``preserve_aspect_ratio`` fits the image inside ``size``. Each method is a pair of
    separable weight matrices, so every float result has a gradient.

    >>> ember.image.resize(ember.constant([[[1.0], [3.0]]]), [1, 4]).numpy()[0, :, 0]
    array([1. , 1.5, 2.5, 3. ], dtype=float32)
    """
    x = tensor(images)
    r = x.shape.rank
    if r not in (3, 4):
        raise InvalidArgumentError(f"resize: images must be 3- or 4-dimensional, got shape "
                                   f"{_shape_text(x.shape)}")
    m = str(method).lower()
    if m in ("nearest_neighbor",):
        m = "nearest"
    if m not in _METHODS:
        raise ValueError(f"resize: method must be one of {sorted(_METHODS)}, got {method!r}")
    if isinstance(size, (list, tuple)) or hasattr(size, "shape"):
        vals = np.asarray(size).reshape(-1).tolist() if not isinstance(size, (list, tuple)) \
            else list(size)
    else:
        raise TypeError(f"resize: size must be a pair of ints, got {size!r}")
    if len(vals) != 2:
        raise ValueError(f"resize: size must have two elements, got {size!r}")
    oh, ow = (static_int(v, "size", "resize") for v in vals)
    if oh <= 0 or ow <= 0:
        raise InvalidArgumentError(f"resize: size must be positive, got {[oh, ow]}")
    if preserve_aspect_ratio:
        h, w = x.shape[r - 3], x.shape[r - 2]
        f = min(oh / h, ow / w)
        oh, ow = max(int(np.rint(h * f)), 1), max(int(np.rint(w * f)), 1)
    x4 = array_ops.expand_dims(x, 0) if r == 3 else x
    y = execute(RESIZE, (x4,), {"size": (oh, ow), "method": m,
                               "antialias": bool(antialias) and m not in ("nearest", "area")}, name)
    return array_ops.squeeze(y, [0]) if r == 3 else y


# ------------------------------------------------------------- depth_to_space & inverse ---

def _d2s_dims(op_name, x, block_size, data_format):
    b = static_int(block_size, "block_size", op_name)
    if b < 2:
        raise InvalidArgumentError(f"{op_name}: block_size must be at least 2, got {b} "
                                   f"[Op:{op_name}]")
    _check_rank(op_name, x, 4, "input")
    fmt = str(data_format).upper()
    if fmt not in ("NHWC", "NCHW"):
        raise ValueError(f"{op_name}: data_format must be NHWC or NCHW, got {data_format!r}")
    dims = _dims(x, 4)
    n, h, w, c = (dims[0], dims[2], dims[3], dims[1]) if fmt == "NCHW" else dims
    if None in (h, w, c):
        raise ValueError(f"{op_name}: the height, width and depth of the input must be known, "
                         f"got shape {_shape_text(dims)}")
    return b, fmt == "NCHW", (-1 if n is None else n), h, w, c


def depth_to_space(input, block_size, data_format="NHWC", name=None):  # noqa: A002
    """Moves blocks of depth into spatial blocks: (N, H, W, C) -> (N, H*b, W*b, C/b²).

    >>> x = ember.reshape(ember.range(4.0), [1, 1, 1, 4])
    >>> ember.nn.depth_to_space(x, 2).numpy()[0, :, :, 0]
    array([[0., 1.],
           [2., 3.]], dtype=float32)
    """
    x = tensor(input)
    b, cf, n, h, w, c = _d2s_dims("DepthToSpace", x, block_size, data_format)
    if c % (b * b):
        raise InvalidArgumentError(
            f"DepthToSpace: input depth {c} must be divisible by block_size * block_size = "
            f"{b * b} (input shape {_shape_text(x.shape)}) [Op:DepthToSpace]")
    co = c // (b * b)
    if cf:
        y = array_ops.reshape(x, [n, b, b, co, h, w])
        y = array_ops.transpose(y, [0, 3, 4, 1, 5, 2])
        return array_ops.reshape(y, [n, co, h * b, w * b])
    y = array_ops.reshape(x, [n, h, w, b, b, co])
    y = array_ops.transpose(y, [0, 1, 3, 2, 4, 5])
    return array_ops.reshape(y, [n, h * b, w * b, co])


def space_to_depth(input, block_size, data_format="NHWC", name=None):  # noqa: A002
    """Moves spatial blocks into depth: (N, H, W, C) -> (N, H/b, W/b, C*b²).

    >>> ember.nn.space_to_depth(ember.reshape(ember.range(4.0), [1, 2, 2, 1]), 2).numpy()
    array([[[[0., 1., 2., 3.]]]], dtype=float32)
    """
    x = tensor(input)
    b, cf, n, h, w, c = _d2s_dims("SpaceToDepth", x, block_size, data_format)
    if h % b or w % b:
        raise InvalidArgumentError(
            f"SpaceToDepth: image height {h} and width {w} must be divisible by block_size "
            f"{b} (input shape {_shape_text(x.shape)}) [Op:SpaceToDepth]")
    if cf:
        y = array_ops.reshape(x, [n, c, h // b, b, w // b, b])
        y = array_ops.transpose(y, [0, 3, 5, 1, 2, 4])
        return array_ops.reshape(y, [n, c * b * b, h // b, w // b])
    y = array_ops.reshape(x, [n, h // b, b, w // b, b, c])
    y = array_ops.transpose(y, [0, 1, 3, 2, 4, 5])
    return array_ops.reshape(y, [n, h // b, w // b, c * b * b])


# ------------------------------------------------------------------- extract_patches ---

def _patch_geometry(op_name, shape, attrs):
    n, h, w, c = shape
    outs, pads = window_geometry(op_name, [h, w], attrs["ksizes"], attrs["strides"],
                                 attrs["rates"], attrs["padding"])
    kh, kw = attrs["ksizes"]
    depth = None if c is None else kh * kw * c
    return [n] + outs + [depth], outs, pads


class _ExtractPatches(Op):
    name = "ExtractImagePatches"

    def infer(self, inputs, **attrs):
        x = inputs[0]
        check_dtype(self.name, x.dtype, REAL)
        _check_rank(self.name, x, 4, "images")
        try:
            shape, _, _ = _patch_geometry(self.name, _dims(x, 4), attrs)
        except InvalidArgumentError as e:
            raise InvalidArgumentError(f"{str(e)[:-len(' [Op:ExtractImagePatches]')]} (images "
                                       f"shape {_shape_text(x.shape)}, sizes "
                                       f"{list(attrs['ksizes'])}) [Op:{self.name}]") from None
        return TensorShape(shape), x.dtype

    def kernel(self, xp, x, **attrs):
        self.infer([_ArraySpec(x)], **attrs)
        shape, outs, pads = _patch_geometry(self.name, list(x.shape), attrs)
        xpad = pad_spatial(np.ascontiguousarray(x), pads)
        win = windows(xpad, attrs["ksizes"], attrs["strides"], attrs["rates"], outs)
        return win.reshape(shape)

    def grad(self, call, g):
        x = call.inputs[0]
        return (execute(EXTRACT_PATCHES_GRAD, (array_ops.shape(x), g), call.attrs),)


class _ExtractPatchesGrad(Op):
    """(image sizes, d patches) -> d images: each patch entry added back to its pixel."""

    name = "ExtractImagePatchesGrad"

    def infer(self, inputs, **attrs):
        sizes, g = inputs
        v = shape_value(sizes)
        return (TensorShape(v) if v is not None else TensorShape([None] * 4)), g.dtype

    def kernel(self, xp, sizes, g, **attrs):
        shape = [int(v) for v in sizes]
        _, outs, pads = _patch_geometry(self.name, shape, attrs)
        n, h, w, c = shape
        kh, kw = attrs["ksizes"]
        gp = g.reshape(n, outs[0], outs[1], kh, kw, c)
        dx = np.zeros((n, h + sum(pads[0]), w + sum(pads[1]), c), dtype=g.dtype)
        for tap in taps((kh, kw)):
            dx[(slice(None),) + tap_slices(tap, attrs["strides"], attrs["rates"], outs)] += \
                gp[:, :, :, tap[0], tap[1]]
        return np.ascontiguousarray(crop_spatial(dx, pads, (h, w)))

    def grad(self, call, gg):
        return None, execute(EXTRACT_PATCHES, (gg,), call.attrs)


EXTRACT_PATCHES = _ExtractPatches()
EXTRACT_PATCHES_GRAD = _ExtractPatchesGrad()


def extract_patches(images, sizes, strides, rates, padding, name=None):
    """Every ``sizes`` window of ``images`` (N, H, W, C) flattened into depth:
    (N, out_rows, out_cols, kh * kw * C), ordered (row, column, channel).

    >>> x = ember.reshape(ember.range(16.0), [1, 4, 4, 1])
    >>> ember.image.extract_patches(x, [1, 2, 2, 1], [1, 2, 2, 1], [1, 1, 1, 1],
    ...                             "VALID").numpy()[0, 0, 0]
    array([0., 1., 4., 5.], dtype=float32)
    """
    attrs = {"ksizes": spatial_arg(sizes, 2, "sizes", "ExtractImagePatches"),
             "strides": spatial_arg(strides, 2, "strides", "ExtractImagePatches"),
             "rates": spatial_arg(rates, 2, "rates", "ExtractImagePatches"),
             "padding": padding_arg(padding, 2, "ExtractImagePatches", explicit=False)}
    return execute(EXTRACT_PATCHES, (tensor(images),), attrs, name)
