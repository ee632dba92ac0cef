"""tf.image quality metrics and derivatives: psnr, ssim, ssim_multiscale, sobel_edges,
image_gradients, total_variation. Composites of public ops, differentiable."""
from __future__ import annotations

import numpy as np

from ember.framework import dtypes
from ember.ops import array_ops, conv_ops, math_ops, nn_ops, pool_ops, reduce_ops
from ember.ops._base import tensor
from ember.ops.image_color import convert_image_dtype

__all__ = ["image_gradients", "psnr", "sobel_edges", "ssim", "ssim_multiscale",
           "total_variation"]

_MSSSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)


def _pair(op, a, b):
    a, b = tensor(a), tensor(b)
    if a.shape.rank is not None and b.shape.rank is not None and \
            not a.shape.is_compatible_with(b.shape):
        raise ValueError(f"{op}: the two images must have the same shape, got {a.shape} and "
                         f"{b.shape}")
    if a.dtype != b.dtype:
        raise TypeError(f"{op}: the two images must have the same dtype, got {a.dtype.name} "
                        f"and {b.dtype.name}")
    if a.shape.rank is not None and a.shape.rank < 3:
        raise ValueError(f"{op}: images must be at least 3-dimensional, got shape {a.shape}")
    return a, b


def _max_val(max_val, dtype):
    return convert_image_dtype(math_ops.cast(max_val, dtype), dtypes.float32)


def psnr(a, b, max_val, name=None):
    """Peak signal-to-noise ratio in dB of each image pair (over the last three axes)."""
    a, b = _pair("psnr", a, b)
    mv = _max_val(max_val, a.dtype)
    a, b = convert_image_dtype(a, dtypes.float32), convert_image_dtype(b, dtypes.float32)
    mse = reduce_ops.reduce_mean(math_ops.square(a - b), [-3, -2, -1])
    return 20.0 * math_ops.log(mv) / np.log(10.0) - (10.0 / np.log(10.0)) * math_ops.log(mse)


def _gauss(size, sigma):
    coords = np.arange(size, dtype=np.float32) - np.float32(size - 1) / 2
    g = np.square(coords) * np.float32(-0.5 / sigma ** 2)
    g = (g[None, :] + g[:, None]).reshape(-1)
    g = np.exp(g - g.max())
    return (g / g.sum()).astype(np.float32).reshape(size, size, 1, 1)


def _ssim_per_channel(x, y, max_val, filter_size, filter_sigma, k1, k2):
    h, w, c = x.shape[-3], x.shape[-2], x.shape[-1]
    if None in (h, w, c):
        raise ValueError(f"ssim: image height, width and channels must be known, got shape "
                         f"{x.shape}")
    if h < filter_size or w < filter_size:
        raise ValueError(f"ssim: images of size {h}x{w} are smaller than filter_size "
                         f"{filter_size}")
    kernel = tensor(np.tile(_gauss(filter_size, filter_sigma), [1, 1, c, 1]))

    def reducer(v):
        lead = array_ops.shape(v)[:-3]
        flat = array_ops.reshape(v, [-1, h, w, c])
        out = conv_ops.depthwise_conv2d(flat, kernel, [1, 1, 1, 1], "VALID")
        return array_ops.reshape(out, array_ops.concat(
            [lead, array_ops.shape(out)[1:]], 0))

    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    mean0, mean1 = reducer(x), reducer(y)
    num0 = mean0 * mean1 * 2.0
    den0 = math_ops.square(mean0) + math_ops.square(mean1)
    luminance = (num0 + c1) / (den0 + c1)
    num1 = reducer(x * y) * 2.0
    den1 = reducer(math_ops.square(x) + math_ops.square(y))
    cs = (num1 - num0 + c2) / (den1 - den0 + c2)
    return reduce_ops.reduce_mean(luminance * cs, [-3, -2]), reduce_ops.reduce_mean(cs, [-3, -2])


def _prepare(op, img1, img2, max_val):
    a, b = _pair(op, img1, img2)
    mv = _max_val(max_val, a.dtype)
    return convert_image_dtype(a, dtypes.float32), convert_image_dtype(b, dtypes.float32), mv


def ssim(img1, img2, max_val, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03,
         return_index_map=False):
    """Structural similarity of each image pair (Gaussian window ``filter_size``,
    ``filter_sigma``), averaged over channels; ``return_index_map`` keeps the map."""
    a, b, mv = _prepare("ssim", img1, img2, max_val)
    if return_index_map:
        raise NotImplementedError("ssim: return_index_map=True is not supported")
    per_channel, _ = _ssim_per_channel(a, b, mv, int(filter_size), float(filter_sigma),
                                       k1, k2)
    return reduce_ops.reduce_mean(per_channel, [-1])


def _halve(v):
    h, w = v.shape[-3], v.shape[-2]
    lead = v.shape.rank - 3
    pad = [[0, 0]] * lead + [[0, h % 2], [0, w % 2], [0, 0]]
    v = array_ops.pad(v, pad, mode="SYMMETRIC")
    flat = array_ops.reshape(v, [-1, v.shape[-3], v.shape[-2], v.shape[-1]])
    out = pool_ops.avg_pool2d(flat, [1, 2, 2, 1], [1, 2, 2, 1], "VALID")
    return array_ops.reshape(out, array_ops.concat([array_ops.shape(v)[:-3],
                                                    array_ops.shape(out)[1:]], 0))


def ssim_multiscale(img1, img2, max_val, power_factors=_MSSSIM_WEIGHTS, filter_size=11,
                    filter_sigma=1.5, k1=0.01, k2=0.03):
    """Multi-scale SSIM: contrast-structure at each of ``len(power_factors)`` halvings and
    SSIM at the last, combined with those powers."""
    a, b, mv = _prepare("ssim_multiscale", img1, img2, max_val)
    mcs = []
    for k in range(len(power_factors)):
        if k:
            a, b = _halve(a), _halve(b)
        val, cs = _ssim_per_channel(a, b, mv, int(filter_size), float(filter_sigma), k1, k2)
        mcs.append(nn_ops.relu(cs))
    mcs[-1] = nn_ops.relu(val)
    stacked = array_ops.stack(mcs, -1)
    weights = tensor(np.asarray(power_factors, np.float32))
    return reduce_ops.reduce_mean(reduce_ops.reduce_prod(math_ops.pow(stacked, weights), [-1]),
                                  [-1])


def sobel_edges(image):
    """Sobel derivatives (N, H, W, C, 2): [..., 0] vertical (dy), [..., 1] horizontal
    (dx), with reflected borders."""
    x = tensor(image)
    if x.shape.rank != 4 or x.shape[-1] is None:
        raise ValueError(f"sobel_edges: image must be 4-dimensional (N, H, W, C) with known "
                         f"channels, got shape {x.shape}")
    c = x.shape[-1]
    k = np.array([[[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
                  [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]], np.float32)
    k = np.tile(np.transpose(k, [1, 2, 0])[:, :, None, :], [1, 1, c, 1])
    padded = array_ops.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="REFLECT")
    out = conv_ops.depthwise_conv2d(padded, math_ops.cast(tensor(k), x.dtype), [1, 1, 1, 1],
                                    "VALID")
    shape = array_ops.concat([array_ops.shape(x), [2]], 0)
    return array_ops.reshape(out, shape)


def image_gradients(image):
    """(dy, dx): forward differences of (N, H, W, C) images, zero in the last row/column."""
    x = tensor(image)
    if x.shape.rank != 4:
        raise ValueError(f"image_gradients: image must be 4-dimensional (N, H, W, C), got "
                         f"shape {x.shape}")
    dy = x[:, 1:] - x[:, :-1]
    dx = x[:, :, 1:] - x[:, :, :-1]
    dy = array_ops.pad(dy, [[0, 0], [0, 1], [0, 0], [0, 0]])
    dx = array_ops.pad(dx, [[0, 0], [0, 0], [0, 1], [0, 0]])
    return dy, dx


def total_variation(images, name=None):
    """Sum of absolute differences of neighbouring pixels: a scalar for one image, one per
    image for a batch."""
    x = tensor(images)
    if x.shape.rank == 3:
        axes = None
        dh, dw = x[1:] - x[:-1], x[:, 1:] - x[:, :-1]
    elif x.shape.rank == 4:
        axes = [1, 2, 3]
        dh, dw = x[:, 1:] - x[:, :-1], x[:, :, 1:] - x[:, :, :-1]
    else:
        raise ValueError(f"total_variation: images must be 3- or 4-dimensional, got shape "
                         f"{x.shape}")
    return reduce_ops.reduce_sum(math_ops.abs(dh), axes) + \
        reduce_ops.reduce_sum(math_ops.abs(dw), axes)
