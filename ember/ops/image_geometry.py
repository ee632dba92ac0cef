"""tf.image geometry: flips, rot90, transpose, crops, pads, crop_and_resize, glimpses.

Images are (H, W, C) or batches (N, H, W, C); every function keeps the rank it was given.
All are composites of public ops, so their gradients come from those ops.
"""
from __future__ import annotations

import numpy as np

from ember.framework import dtypes
from ember.ops import array_ops, creation_ops, math_ops, random_ops, reduce_ops
from ember.ops._base import static_int, tensor
from ember.ops.image_ops import resize

__all__ = [
    "central_crop", "crop_and_resize", "crop_to_bounding_box", "extract_glimpse",
    "flip_left_right", "flip_up_down", "pad_to_bounding_box", "random_crop",
    "random_flip_left_right", "random_flip_up_down", "resize_with_crop_or_pad",
    "resize_with_pad", "rot90", "stateless_random_crop", "stateless_random_flip_left_right",
    "stateless_random_flip_up_down", "transpose",
]


def image_tensor(op_name, image, ranks=(3, 4)):
    """``image`` as a tensor whose rank is one of ``ranks``, else a clear error."""
    x = tensor(image)
    if x.shape.rank not in ranks:
        want = " or ".join(str(r) for r in ranks)
        raise ValueError(f"{op_name}: image must be {want}-dimensional (H, W, C) or "
                         f"(N, H, W, C), got shape {x.shape}")
    return x


def _hw(op_name, x):
    h, w = x.shape[-3], x.shape[-2]
    if h is None or w is None:
        raise ValueError(f"{op_name}: the image height and width must be known, got shape "
                         f"{x.shape}")
    return h, w


def _as4(x):
    return (array_ops.expand_dims(x, 0), True) if x.shape.rank == 3 else (x, False)


def flip_left_right(image):
    """Mirrors each image horizontally (reverses the width axis)."""
    return array_ops.reverse(image_tensor("flip_left_right", image), [-2])


def flip_up_down(image):
    """Mirrors each image vertically (reverses the height axis)."""
    return array_ops.reverse(image_tensor("flip_up_down", image), [-3])


def transpose(image, name=None):
    """Swaps height and width of each image."""
    x = image_tensor("transpose", image)
    perm = [1, 0, 2] if x.shape.rank == 3 else [0, 2, 1, 3]
    return array_ops.transpose(x, perm)


def rot90(image, k=1, name=None):
    """Rotates each image by ``k`` quarter turns counter-clockwise."""
    x = image_tensor("rot90", image)
    k = static_int(k, "k", "rot90") % 4
    if k == 0:
        return array_ops.identity(x)
    if k == 2:
        return array_ops.reverse(x, [-3, -2])
    if k == 1:
        return transpose(array_ops.reverse(x, [-2]))
    return array_ops.reverse(transpose(x), [-2])


def _random_flip(op_name, image, flip, axis, uniform):
    x = image_tensor(op_name, image)
    if x.shape.rank == 3:
        u = uniform([])
        return array_ops.where(math_ops.less(u, 0.5), flip(x), x)
    n = array_ops.shape(x)[0]
    u = uniform(array_ops.reshape(n, [1]))
    mask = math_ops.less(array_ops.reshape(u, [-1, 1, 1, 1]), 0.5)
    return array_ops.where(mask, flip(x), x)


def random_flip_left_right(image, seed=None):
    """Mirrors each image horizontally with probability 1/2."""
    return _random_flip("random_flip_left_right", image, flip_left_right, -2,
                        lambda s: random_ops.uniform(s, seed=seed))


def random_flip_up_down(image, seed=None):
    """Mirrors each image vertically with probability 1/2."""
    return _random_flip("random_flip_up_down", image, flip_up_down, -3,
                        lambda s: random_ops.uniform(s, seed=seed))


def stateless_random_flip_left_right(image, seed):
    """As random_flip_left_right, a pure function of ``seed`` (shape [2])."""
    return _random_flip("stateless_random_flip_left_right", image, flip_left_right, -2,
                        lambda s: random_ops.stateless_uniform(s, seed=seed))


def stateless_random_flip_up_down(image, seed):
    """As random_flip_up_down, a pure function of ``seed`` (shape [2])."""
    return _random_flip("stateless_random_flip_up_down", image, flip_up_down, -3,
                        lambda s: random_ops.stateless_uniform(s, seed=seed))


def _box_args(op, image, offset_height, offset_width, target_height, target_width):
    x = image_tensor(op, image)
    vals = dict(offset_height=offset_height, offset_width=offset_width,
                target_height=target_height, target_width=target_width)
    oh, ow, th, tw = (static_int(v, k, op) for k, v in vals.items())
    if oh < 0 or ow < 0:
        raise ValueError(f"{op}: offsets must be >= 0, got ({oh}, {ow})")
    return (x,) + _hw(op, x) + (oh, ow, th, tw)


def crop_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    """The ``target_height`` x ``target_width`` window whose top-left corner is at
    (``offset_height``, ``offset_width``)."""
    op = "crop_to_bounding_box"
    x, h, w, oh, ow, th, tw = _box_args(op, image, offset_height, offset_width,
                                        target_height, target_width)
    if th <= 0 or tw <= 0:
        raise ValueError(f"{op}: target size must be > 0, got ({th}, {tw})")
    if oh + th > h or ow + tw > w:
        raise ValueError(f"{op}: the box ({oh}, {ow}) + ({th}, {tw}) does not fit the "
                         f"image of height {h} and width {w}")
    return x[..., oh:oh + th, ow:ow + tw, :]


def pad_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    """Places the image at (``offset_height``, ``offset_width``) in a zero canvas of
    ``target_height`` x ``target_width``."""
    op = "pad_to_bounding_box"
    x, h, w, oh, ow, th, tw = _box_args(op, image, offset_height, offset_width,
                                        target_height, target_width)
    if th < h + oh or tw < w + ow:
        raise ValueError(f"{op}: the target ({th}, {tw}) is smaller than the image "
                         f"({h}, {w}) plus the offsets ({oh}, {ow})")
    pads = [[oh, th - h - oh], [ow, tw - w - ow], [0, 0]]
    return array_ops.pad(x, ([[0, 0]] if x.shape.rank == 4 else []) + pads)


def _target(op, image, target_height, target_width):
    x = image_tensor(op, image)
    th, tw = static_int(target_height, "target_height", op), \
        static_int(target_width, "target_width", op)
    if th <= 0 or tw <= 0:
        raise ValueError(f"{op}: target size must be > 0, got ({th}, {tw})")
    return (x,) + _hw(op, x) + (th, tw)


def resize_with_crop_or_pad(image, target_height, target_width):
    """Crops the centre or pads evenly with zeros to ``target_height`` x ``target_width``."""
    op = "resize_with_crop_or_pad"
    x, h, w, th, tw = _target(op, image, target_height, target_width)
    dh, dw = th - h, tw - w
    cropped = crop_to_bounding_box(x, max(-dh // 2, 0), max(-dw // 2, 0), min(th, h),
                                   min(tw, w))
    return pad_to_bounding_box(cropped, max(dh // 2, 0), max(dw // 2, 0), th, tw)


def resize_with_pad(image, target_height, target_width, method="bilinear", antialias=False):
    """Resizes keeping the aspect ratio, then pads with zeros to the target size."""
    op = "resize_with_pad"
    x, h, w, th, tw = _target(op, image, target_height, target_width)
    f32 = np.float32
    ratio = max(f32(w) / f32(tw), f32(h) / f32(th))
    rh, rw = f32(h) / ratio, f32(w) / ratio
    ph = max(0, int(np.floor((f32(th) - rh) / f32(2))))
    pw = max(0, int(np.floor((f32(tw) - rw) / f32(2))))
    resized = resize(x, [int(np.floor(rh)), int(np.floor(rw))], method=method,
                     antialias=antialias)
    return pad_to_bounding_box(resized, ph, pw, th, tw)


def central_crop(image, central_fraction):
    """The centre ``central_fraction`` (0, 1] of each image's height and width."""
    op = "central_crop"
    x = image_tensor(op, image)
    f = float(central_fraction)
    if not 0.0 < f <= 1.0:
        raise ValueError(f"{op}: central_fraction must be within (0, 1], got {f}")
    if f == 1.0:
        return x
    h, w = _hw(op, x)
    top, left = int((h - h * f) / 2), int((w - w * f) / 2)
    return x[..., top:h - top, left:w - left, :]


def _box_samples(lo, hi, size, n_out):
    """Sample coordinates (boxes, n_out) in pixels, as TensorFlow's CropAndResize."""
    if n_out > 1:
        steps = math_ops.cast(array_ops.reshape(
            tensor(np.arange(n_out, dtype=np.float32)), [1, -1]), lo.dtype)
        scale = (hi - lo) * (size - 1) / (n_out - 1)
        return lo[:, None] * (size - 1) + steps * scale[:, None]
    return (0.5 * (lo + hi) * (size - 1))[:, None]


def _sample(image, box_indices, ys, xs, method, extrapolation_value):
    """image[box_indices[b], ys[b, i], xs[b, j], :] interpolated, out-of-range filled."""
    h, w = image.shape[1], image.shape[2]
    nb = array_ops.shape(ys)[0]
    inside = math_ops.logical_and(
        math_ops.logical_and(math_ops.greater_equal(ys, 0.0), math_ops.less_equal(ys, h - 1.0))
        [:, :, None], math_ops.logical_and(math_ops.greater_equal(xs, 0.0),
                                           math_ops.less_equal(xs, w - 1.0))[:, None, :])

    def gather(yi, xi):
        yi = math_ops.cast(math_ops.clip_by_value(yi, 0.0, h - 1.0), dtypes.int32)
        xi = math_ops.cast(math_ops.clip_by_value(xi, 0.0, w - 1.0), dtypes.int32)
        ny, nx = yi.shape[1], xi.shape[1]
        b = array_ops.broadcast_to(box_indices[:, None, None], array_ops.stack([nb, ny, nx]))
        yy = array_ops.broadcast_to(yi[:, :, None], array_ops.stack([nb, ny, nx]))
        xx = array_ops.broadcast_to(xi[:, None, :], array_ops.stack([nb, ny, nx]))
        return array_ops.gather_nd(image, array_ops.stack([b, yy, xx], -1))

    if method == "nearest":
        out = gather(_round_half_away(ys), _round_half_away(xs))
    else:
        y0, x0 = math_ops.floor(ys), math_ops.floor(xs)
        y1, x1 = math_ops.ceil(ys), math_ops.ceil(xs)
        fy = (ys - y0)[:, :, None, None]
        fx = (xs - x0)[:, None, :, None]
        top = gather(y0, x0) + (gather(y0, x1) - gather(y0, x0)) * fx
        bottom = gather(y1, x0) + (gather(y1, x1) - gather(y1, x0)) * fx
        out = top + (bottom - top) * fy
    fill = array_ops.fill(array_ops.shape(out), math_ops.cast(extrapolation_value, out.dtype))
    return array_ops.where(inside[:, :, :, None], out, fill)


def _round_half_away(v):
    return math_ops.sign(v) * math_ops.floor(math_ops.abs(v) + 0.5)


def crop_and_resize(image, boxes, box_indices, crop_size, method="bilinear",
                    extrapolation_value=0.0, name=None):
    """Crops ``boxes`` (normalised [y1, x1, y2, x2]) from ``image[box_indices]`` and
    resamples each to ``crop_size``; samples outside the image get ``extrapolation_value``.
    Returns float32 (num_boxes, crop_h, crop_w, C)."""
    op = "crop_and_resize"
    x = math_ops.cast(image_tensor(op, image, (4,)), dtypes.float32)
    b = math_ops.cast(tensor(boxes), dtypes.float32)
    if b.shape.rank != 2 or b.shape[1] != 4:
        raise ValueError(f"{op}: boxes must have shape (num_boxes, 4), got {b.shape}")
    if method not in ("bilinear", "nearest"):
        raise ValueError(f"{op}: method must be 'bilinear' or 'nearest', got {method!r}")
    ch, cw = (static_int(v, "crop_size", op) for v in np.asarray(crop_size).reshape(-1))
    if ch <= 0 or cw <= 0:
        raise ValueError(f"{op}: crop_size must be positive, got {[ch, cw]}")
    h, w = _hw(op, x)
    ys = _box_samples(b[:, 0], b[:, 2], h, ch)
    xs = _box_samples(b[:, 1], b[:, 3], w, cw)
    return _sample(x, math_ops.cast(tensor(box_indices), dtypes.int32), ys, xs, method,
                   extrapolation_value)


def extract_glimpse(input, size, offsets, centered=True, normalized=True,  # noqa: A002
                    noise="uniform", name=None):
    """A ``size`` window of each image (N, H, W, C) placed by ``offsets`` (N, 2) as (y, x).

    As TensorFlow 2: with ``normalized`` and ``centered`` the offsets are the window's
    centre in [-1, 1] of the image; ``normalized`` alone, its top-left corner as a fraction
    of the image; ``centered`` alone, the top-left corner in pixels from the image centre;
    neither, the top-left corner in pixels. Positions truncate toward zero. Pixels outside
    the image are ``noise``: 'zero', 'uniform' (within the image's range) or 'gaussian'
    (with the image's mean and deviation)."""
    op = "extract_glimpse"
    x = image_tensor(op, input, (4,))
    gh, gw = (static_int(v, "size", op) for v in np.asarray(size).reshape(-1))
    if noise not in ("uniform", "gaussian", "zero"):
        raise ValueError(f"{op}: noise must be 'uniform', 'gaussian' or 'zero', got {noise!r}")
    h, w = _hw(op, x)
    off = math_ops.cast(tensor(offsets), dtypes.float32)
    y, xo = off[:, 0], off[:, 1]
    if normalized:
        y, xo = y * h, xo * w
        if centered:
            y, xo = y / 2.0 + (h / 2.0 - gh / 2.0), xo / 2.0 + (w / 2.0 - gw / 2.0)
    elif centered:
        y, xo = y + h / 2.0, xo + w / 2.0
    top, left = _truncate(y), _truncate(xo)
    ys = top[:, None] + tensor(np.arange(gh, dtype=np.float32))[None, :]
    xs = left[:, None] + tensor(np.arange(gw, dtype=np.float32))[None, :]
    idx = math_ops.cast(creation_ops.range(array_ops.shape(x)[0]), dtypes.int32)
    xf = math_ops.cast(x, dtypes.float32)
    out = _sample(xf, idx, ys, xs, "nearest", 0.0)
    if noise != "zero":
        shape = array_ops.shape(out)
        if noise == "uniform":
            lo = reduce_ops.reduce_min(xf, [1, 2], keepdims=True)
            hi = reduce_ops.reduce_max(xf, [1, 2], keepdims=True)
            fill = lo + (hi - lo) * random_ops.uniform(shape)
        else:
            fill = (reduce_ops.reduce_mean(xf, [1, 2], keepdims=True)
                    + reduce_ops.reduce_std(xf, [1, 2], keepdims=True) * random_ops.normal(shape))
        inside = math_ops.logical_and(
            math_ops.logical_and(math_ops.greater_equal(ys, 0.0), math_ops.less(ys, float(h)))
            [:, :, None, None],
            math_ops.logical_and(math_ops.greater_equal(xs, 0.0), math_ops.less(xs, float(w)))
            [:, None, :, None])
        out = array_ops.where(inside, out, fill)
    return math_ops.cast(out, x.dtype)


def _truncate(v):
    return math_ops.sign(v) * math_ops.floor(math_ops.abs(v))


def random_crop(value, size, seed=None, name=None):
    """A random ``size`` slice of ``value`` (any rank), uniformly placed."""
    return _random_crop("random_crop", value, size,
                        lambda limits: random_ops.uniform([len(limits)], seed=seed))


def stateless_random_crop(value, size, seed, name=None):
    """As random_crop, a pure function of ``seed`` (shape [2])."""
    return _random_crop("stateless_random_crop", value, size,
                        lambda limits: random_ops.stateless_uniform([len(limits)], seed=seed))


def _random_crop(op, value, size, uniform):
    x = tensor(value)
    size = [static_int(v, "size", op) for v in np.asarray(size).reshape(-1)]
    shape = x.shape.as_list() if x.shape.rank is not None else None
    if shape is None or len(size) != len(shape) or None in shape:
        raise ValueError(f"{op}: size {size} must give one length per dimension of a value "
                         f"of known shape, got shape {x.shape}")
    if any(s > d or s < 0 for s, d in zip(size, shape)):
        raise ValueError(f"{op}: size {size} must fit inside the value's shape {shape}")
    limits = [d - s + 1 for s, d in zip(size, shape)]
    u = uniform(limits)
    offsets = math_ops.cast(math_ops.floor(u * np.array(limits, np.float32)), dtypes.int32)
    offsets = math_ops.minimum(offsets, np.array(limits, np.int32) - 1)
    return array_ops.slice(x, offsets, size)
