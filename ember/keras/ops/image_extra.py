"""keras.ops.image's transforms, filters and measures with Keras 3's definitions:
affine_transform, perspective_transform, map_coordinates, elastic_transform,
scale_and_translate, gaussian_blur, sobel_edges, ssim and extract_patches_3d — all
composites of ember's public ops (so they run eagerly, traced and under a tape)."""
from __future__ import annotations

import itertools

import numpy as np

import ember
from ember.keras.ops._common import tensor

__all__ = ["affine_transform", "perspective_transform", "map_coordinates",
           "elastic_transform", "scale_and_translate", "gaussian_blur", "sobel_edges", "ssim",
           "extract_patches_3d"]

_INTERPOLATIONS = ("nearest", "bilinear")
_FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")
_AFFINE_FILL_MODES = ("constant", "nearest", "wrap", "reflect")     # Keras's own list


def _channels_first(data_format):
    from ember.keras import backend
    return (data_format or backend.image_data_format()) == "channels_first"


def _batched(images, name):
    """(4-D channels-last images, was it one image, was it channels-first) helper."""
    x = tensor(images)
    if len(x.shape) not in (3, 4):
        raise ValueError(f"keras.ops.image.{name}: invalid images rank: expected rank 3 "
                         f"(single image) or rank 4 (batch of images). Received input with "
                         f"shape: images.shape={tuple(x.shape)}")
    single = len(x.shape) == 3
    return (ember.expand_dims(x, 0) if single else x), single


def _in(x, cf):
    return ember.transpose(x, [0, 2, 3, 1]) if cf else x


def _out(x, cf, single):
    if cf:
        x = ember.transpose(x, [0, 3, 1, 2])
    return ember.squeeze(x, 0) if single else x


def _check(name, value, allowed, what):
    if value not in allowed:
        raise ValueError(f"keras.ops.image.{name}: invalid value for argument `{what}`. "
                         f"Expected one of {allowed}. Received: {what}={value!r}")


def _projective(images, transforms, interpolation, fill_mode, fill_value):
    from ember.ops.image_transform import affine_transform as project
    return project(images, ember.cast(transforms, "float32"), interpolation, fill_mode,
                   fill_value)


def affine_transform(images, transform, interpolation="bilinear", fill_mode="constant",
                     fill_value=0, data_format=None):
    """Each output pixel (x, y) reads the input at ((a0 x + a1 y + a2) / k, (b0 x + b1 y +
    b2) / k), k = c0 x + c1 y + 1, from ``transform`` [a0, a1, a2, b0, b1, b2, c0, c1]
    (one, or one per image)."""
    _check("affine_transform", interpolation, _INTERPOLATIONS, "interpolation")
    _check("affine_transform", fill_mode, _AFFINE_FILL_MODES, "fill_mode")
    cf = _channels_first(data_format)
    x, single = _batched(images, "affine_transform")
    t = tensor(transform)
    if len(t.shape) not in (1, 2):
        raise ValueError(f"keras.ops.image.affine_transform: invalid transform rank: "
                         f"expected rank 1 or 2. Received: transform.shape={tuple(t.shape)}")
    if len(t.shape) == 1:
        t = ember.expand_dims(t, 0)
    out = _projective(_in(x, cf), t, interpolation, fill_mode, fill_value)
    return _out(out, cf, single)


def _homography(start, end):
    """The 8 projective parameters mapping each ``end`` quadrilateral [N, 4, 2] onto its
    ``start`` one (solving the 8 x 8 system of the four point pairs)."""
    rows, target = [], []
    zero = ember.zeros_like(end[:, 0, 0])
    one = ember.ones_like(zero)
    for i in range(4):
        ex, ey = end[:, i, 0], end[:, i, 1]
        sx, sy = start[:, i, 0], start[:, i, 1]
        rows.append(ember.stack([ex, ey, one, zero, zero, zero, -sx * ex, -sx * ey], -1))
        rows.append(ember.stack([zero, zero, zero, ex, ey, one, -sy * ex, -sy * ey], -1))
        target += [sx, sy]
    a = ember.stack(rows, axis=1)
    b = ember.expand_dims(ember.stack(target, -1), -1)
    return ember.reshape(ember.linalg.solve(a, b), [-1, 8])


def perspective_transform(images, start_points, end_points, interpolation="bilinear",
                          fill_value=0, data_format=None):
    """Warps the images so the quadrilateral ``start_points`` (4 x (x, y), or N of them)
    lands on ``end_points``."""
    _check("perspective_transform", interpolation, _INTERPOLATIONS, "interpolation")
    start = ember.cast(tensor(start_points), "float32")
    end = ember.cast(tensor(end_points), "float32")
    for what, p in (("start_points", start), ("end_points", end)):
        if len(p.shape) not in (2, 3) or tuple(p.shape[-2:]) != (4, 2):
            raise ValueError(f"keras.ops.image.perspective_transform: invalid {what} "
                             f"shape: expected (4, 2) for a single image or (N, 4, 2) for a "
                             f"batch. Received shape: {tuple(p.shape)}")
    if tuple(start.shape) != tuple(end.shape):
        raise ValueError(f"keras.ops.image.perspective_transform: start_points and "
                         f"end_points must have the same shape. Received "
                         f"{tuple(start.shape)} and {tuple(end.shape)}")
    cf = _channels_first(data_format)
    x, single = _batched(images, "perspective_transform")
    if len(start.shape) == 2:
        start, end = ember.expand_dims(start, 0), ember.expand_dims(end, 0)
    out = _projective(_in(x, cf), _homography(start, end), interpolation, "constant",
                      fill_value)
    return _out(out, cf, single)


def _fix_index(index, size, mode):
    """(index brought inside [0, size) by ``mode``, valid-mask for 'constant')."""
    if mode == "constant":
        valid = ember.logical_and(index >= 0, index < size)
        return ember.clip_by_value(index, 0, size - 1), valid
    if mode == "nearest":
        return ember.clip_by_value(index, 0, size - 1), None
    if mode == "wrap":
        return ember.math.floormod(index, size), None
    a = ember.abs(index)
    m = ember.math.floormod(a, 2 * size)
    under = m < size
    out = ember.where(under, m, 2 * size - m)
    if mode == "reflect":
        out = ember.where(under, out, out - 1)
    return ember.clip_by_value(out, 0, size - 1), None


def map_coordinates(inputs, coordinates, order, fill_mode="constant", fill_value=0.0):
    """``inputs`` read at ``coordinates`` (one array of positions per input axis) by
    nearest (order 0) or linear (order 1) interpolation; outside the input ``fill_mode``
    decides (constant: ``fill_value``)."""
    x = tensor(inputs)
    coords = tensor(coordinates)
    if len(coords.shape) < 2:
        raise ValueError(f"keras.ops.image.map_coordinates: invalid coordinates rank: "
                         f"expected at least rank 2. Received input with shape: "
                         f"{tuple(coords.shape)}")
    if coords.shape[0] != len(x.shape):
        raise ValueError(f"keras.ops.image.map_coordinates: first dim of `coordinates` must "
                         f"be the same as the rank of `inputs`. Received inputs with shape: "
                         f"{tuple(x.shape)} and coordinate leading dim of {coords.shape[0]}")
    _check("map_coordinates", fill_mode, _FILL_MODES, "fill_mode")
    if order not in (0, 1):
        raise NotImplementedError("keras.ops.image.map_coordinates: order must be 0 or 1 "
                                  f"(as in Keras); received order={order}")
    wdtype = coords.dtype if coords.dtype.is_floating else ember.float32
    nodes_per_axis = []
    for k, size in enumerate(x.shape.as_list()):
        c = coords[k]
        if order == 0:
            c = c if c.dtype.is_integer else ember.round(c)
            nodes = [(ember.cast(c, "int32"), None)]
        else:
            c = ember.cast(c, wdtype)
            lower = ember.floor(c)
            upper_w = c - lower
            idx = ember.cast(lower, "int32")
            nodes = [(idx, 1.0 - upper_w), (idx + 1, upper_w)]
        nodes_per_axis.append([(*_fix_index(i, size, fill_mode), w) for i, w in nodes])
    result = None
    fill = ember.cast(fill_value, wdtype)
    for combo in itertools.product(*nodes_per_axis):
        idx = ember.stack([c[0] for c in combo], axis=-1)
        value = ember.cast(ember.gather_nd(x, idx), wdtype)
        if fill_mode == "constant":
            valid = combo[0][1]
            for c in combo[1:]:
                valid = ember.logical_and(valid, c[1])
            value = ember.where(valid, value, fill)
        for c in combo:
            if c[2] is not None:
                value = value * c[2]
        result = value if result is None else result + value
    if x.dtype.is_integer:
        result = ember.round(result)
    return ember.cast(result, x.dtype)


def _gaussian_kernel_1d(size, sigma):
    x = np.arange(size, dtype=np.float64) - (size - 1) / 2
    k = np.exp(-0.5 * (x / sigma) ** 2)
    return k / k.sum()


def gaussian_blur(images, kernel_size=(3, 3), sigma=(1.0, 1.0), data_format=None):
    """Each channel convolved ('SAME') with a normalized Gaussian of ``kernel_size``
    (height, width) and standard deviations ``sigma``."""
    cf = _channels_first(data_format)
    x, single = _batched(images, "gaussian_blur")
    x = _in(x, cf)
    size = [int(s) for s in np.broadcast_to(np.asarray(kernel_size), (2,))]
    sig = [float(s) for s in np.broadcast_to(np.asarray(sigma, np.float64), (2,))]
    kx = _gaussian_kernel_1d(size[0], sig[0])
    ky = _gaussian_kernel_1d(size[1], sig[1])
    kernel = np.outer(ky, kx).reshape(size[0], size[1], 1, 1)
    c = x.shape[-1]
    kernel = ember.constant(np.tile(kernel, (1, 1, c, 1)), dtype=x.dtype)
    out = ember.nn.depthwise_conv2d(x, kernel, strides=[1, 1, 1, 1], padding="SAME")
    return _out(out, cf, single)


def elastic_transform(images, alpha=20.0, sigma=5.0, interpolation="bilinear",
                      fill_mode="reflect", fill_value=0.0, seed=None, data_format=None):
    """Displaces every pixel by ``alpha`` times Gaussian noise smoothed by a Gaussian of
    ``sigma`` (kernel 6 sigma + 1) and resamples (as Keras's TensorFlow backend does, the
    same noise field moves both axes). The noise comes from ember's random stream."""
    _check("elastic_transform", interpolation, _INTERPOLATIONS, "interpolation")
    _check("elastic_transform", fill_mode, _AFFINE_FILL_MODES, "fill_mode")
    from ember.keras import random as krandom
    cf = _channels_first(data_format)
    x, single = _batched(images, "elastic_transform")
    x = _in(x, cf)
    n, h, w, c = x.shape.as_list()
    n = 1 if n is None else n
    dtype = x.dtype if x.dtype.is_floating else ember.float32
    k = (6 * int(sigma)) | 1
    noise = krandom.normal((n, h, w, 1), dtype=dtype.name, seed=seed) * sigma
    d = ember.squeeze(gaussian_blur(noise, (k, k), (sigma, sigma), "channels_last"), -1)
    gx, gy = np.meshgrid(np.arange(w), np.arange(h), indexing="xy")
    ys = ember.constant(gy[None], dtype=dtype) + alpha * d
    xs = ember.constant(gx[None], dtype=dtype) + alpha * d
    order = _INTERPOLATIONS.index(interpolation)
    per_image = []
    for b in range(n):
        chans = [map_coordinates(x[b, ..., i], ember.stack([ys[b], xs[b]]), order,
                                 fill_mode, fill_value) for i in range(c)]
        per_image.append(ember.stack(chans, axis=-1))
    out = ember.cast(ember.stack(per_image, axis=0), x.dtype)
    return _out(out, cf, single)


def _triangle(x):
    return ember.maximum(ember.zeros_like(x), 1.0 - ember.abs(x))


def _keys_cubic(x):
    out = ((1.5 * x - 2.5) * x) * x + 1.0
    out = ember.where(x >= 1.0, ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0, out)
    return ember.where(x >= 2.0, ember.zeros_like(x), out)


def _lanczos(radius):
    def kernel(x):
        y = radius * ember.sin(np.pi * x) * ember.sin(np.pi * x / radius)
        safe = ember.where(ember.not_equal(x, 0.0), np.pi ** 2 * x * x, ember.ones_like(x))
        out = ember.where(x > 1e-3, y / safe, ember.ones_like(x))
        return ember.where(x > radius, ember.zeros_like(x), out)
    return kernel


_KERNELS = {"linear": _triangle, "cubic": _keys_cubic, "lanczos3": _lanczos(3.0),
            "lanczos5": _lanczos(5.0)}
_METHODS = {"linear": "linear", "bilinear": "linear", "trilinear": "linear",
            "triangle": "linear", "cubic": "cubic", "bicubic": "cubic", "tricubic": "cubic",
            "lanczos3": "lanczos3", "lanczos5": "lanczos5"}


def _weights(in_size, out_size, scale, translation, kernel, antialias, dtype):
    """[in_size, out_size] resampling weights along one axis."""
    inv = 1.0 / scale
    kscale = ember.maximum(inv, ember.ones_like(inv)) if antialias else 1.0
    sample = (ember.range(out_size, dtype=dtype) + 0.5) * inv - translation * inv - 0.5
    dist = ember.abs(ember.expand_dims(sample, 0) -
                     ember.expand_dims(ember.range(in_size, dtype=dtype), 1)) / kscale
    w = kernel(dist)
    total = ember.reduce_sum(w, axis=0, keepdims=True)
    ok = ember.abs(total) > 1000.0 * float(np.finfo(np.float32).eps)
    w = ember.where(ok, w / ember.where(ember.not_equal(total, 0.0), total,
                                        ember.ones_like(total)), ember.zeros_like(w))
    inside = ember.logical_and(sample >= -0.5, sample <= in_size - 0.5)
    return ember.where(ember.expand_dims(inside, 0), w, ember.zeros_like(w))


def scale_and_translate(images, output_shape, scale, translation, spatial_dims, method,
                        antialias=True):
    """Resamples ``images`` along ``spatial_dims`` to ``output_shape``: output position o
    reads input position (o + 0.5 - translation) / scale - 0.5 through ``method``'s kernel
    (widened by 1 / scale when downscaling with ``antialias``)."""
    if method not in _METHODS:
        raise ValueError(f"keras.ops.image.scale_and_translate: invalid value for argument "
                         f"`method`. Expected one of {tuple(_METHODS)}. Received: "
                         f"method={method!r}")
    kernel = _KERNELS[_METHODS[method]]
    x = tensor(images)
    scale, translation = tensor(scale), tensor(translation)
    from ember.keras.ops._dtypes import result_type
    dtype = result_type(scale.dtype.name, translation.dtype.name)
    scale, translation = ember.cast(scale, dtype), ember.cast(translation, dtype)
    integer = x.dtype.is_integer
    out = ember.cast(x, "float32") if integer else x
    rank = len(x.shape)
    for i, d in enumerate(spatial_dims):
        d = d % rank
        w = ember.cast(_weights(x.shape[d], int(output_shape[d]), scale[i], translation[i],
                                kernel, antialias, dtype), out.dtype)
        out = ember.tensordot(out, w, axes=[[d], [0]])
        perm = list(range(rank - 1))
        perm.insert(d, rank - 1)
        out = ember.transpose(out, perm)
    if integer:
        out = ember.clip_by_value(ember.round(out), ember.cast(ember.reduce_min(x), out.dtype),
                                  ember.cast(ember.reduce_max(x), out.dtype))
        out = ember.cast(out, x.dtype)
    return out


def sobel_edges(images, data_format=None):
    """Sobel gradients per channel: [..., 2] with (dy, dx) last."""
    cf = _channels_first(data_format)
    x = tensor(images)
    if cf:
        x = ember.transpose(x, [0, 2, 3, 1])
    edges = ember.image.sobel_edges(x)
    return ember.transpose(edges, [0, 3, 1, 2, 4]) if cf else edges


def ssim(image1, image2, max_val=1.0, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03,
         data_format=None):
    """Keras 3's structural similarity: per channel, Gaussian-weighted ('valid') local
    means, variances and covariance give the SSIM map, averaged over the map and the
    channels; one value per image."""
    from ember.keras.ops._dtypes import result_type
    a, b = tensor(image1), tensor(image2)
    original = a.dtype
    compute = result_type(a.dtype.name, "float")
    a, b = ember.cast(a, compute), ember.cast(b, compute)
    for name, im in (("image1", a), ("image2", b)):
        if len(im.shape) not in (3, 4):
            raise ValueError(f"keras.ops.image.ssim: invalid {name} rank: expected rank 3 "
                             f"(single image) or rank 4 (batch of images). Received input "
                             f"with shape: {name}.shape={tuple(im.shape)}")
    single = len(a.shape) == 3
    if single:
        a, b = ember.expand_dims(a, 0), ember.expand_dims(b, 0)
    if _channels_first(data_format):
        a, b = ember.transpose(a, [0, 2, 3, 1]), ember.transpose(b, [0, 2, 3, 1])
    shape = ember.shape(a)
    h, w, c = a.shape[1], a.shape[2], a.shape[3]
    g = _gaussian_kernel_1d(filter_size, filter_sigma)
    kernel = ember.constant(np.outer(g, g).reshape(filter_size, filter_size, 1, 1),
                            dtype=compute)
    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    a = ember.reshape(ember.transpose(a, [0, 3, 1, 2]), [-1, h, w, 1])
    b = ember.reshape(ember.transpose(b, [0, 3, 1, 2]), [-1, h, w, 1])

    def blur(t):
        return ember.nn.conv2d(t, kernel, strides=1, padding="VALID")

    mu1, mu2 = blur(a), blur(b)
    s11 = blur(a * a) - mu1 * mu1
    s22 = blur(b * b) - mu2 * mu2
    s12 = blur(a * b) - mu1 * mu2
    num = (2.0 * mu1 * mu2 + c1) * (2.0 * s12 + c2)
    den = (mu1 * mu1 + mu2 * mu2 + c1) * (s11 + s22 + c2)
    per = ember.reduce_mean(num / den, axis=[1, 2, 3])
    out = ember.reduce_mean(ember.reshape(per, ember.stack([shape[0], c])), axis=-1)
    if single:
        out = ember.squeeze(out, 0)
    return ember.cast(out, original)


def extract_patches_3d(volumes, size, strides=None, dilation_rate=1, padding="valid",
                       data_format=None):
    """Non-overlapping (or ``strides``-spaced) 3-D patches of ``volumes`` [N, D, H, W, C]
    flattened into the channel axis (patch_d * patch_h * patch_w * C values)."""
    if isinstance(size, int):
        size = (size, size, size)
    if len(size) != 3:
        raise TypeError(f"keras.ops.image.extract_patches_3d: invalid `size` argument. "
                        f"Expected an int or a tuple of length 3. Received: size={size}")
    strides = size if strides is None else strides
    if isinstance(strides, int):
        strides = (strides,) * 3
    if len(strides) != 3:
        raise ValueError(f"keras.ops.image.extract_patches_3d: invalid `strides` argument. "
                         f"Got: {strides}")
    from ember.keras.ops.nn import conv
    x = tensor(volumes)
    cf = _channels_first(data_format)
    single = len(x.shape) == 4
    if single:
        x = ember.expand_dims(x, 0)
    channels = x.shape[1] if cf else x.shape[-1]
    out_dim = int(np.prod(size)) * channels
    kernel = ember.constant(np.eye(out_dim).reshape(tuple(size) + (channels, out_dim)),
                            dtype=x.dtype)
    patches = conv(x, kernel, strides=tuple(strides), padding=padding,
                   data_format="channels_first" if cf else "channels_last",
                   dilation_rate=dilation_rate)
    return ember.squeeze(patches, 0) if single else patches
