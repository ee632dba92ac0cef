"""Window maxima beyond plain pooling: max_pool_with_argmax, grayscale morphology
(dilation2d, erosion2d) and fractional max/average pooling. Composites over image
patches, pads and reductions, so gradients come with them."""
from __future__ import annotations

import numpy as np

from ember.framework import dtypes, random_seed
from ember.ops import array_ops, creation_ops, math_ops, reduce_ops
from ember.framework.tensor import constant
from ember.ops._base import tensor
from ember.ops.image_ops import extract_patches

__all__ = ["dilation2d", "erosion2d", "fractional_avg_pool", "fractional_max_pool",
           "max_pool_with_argmax"]


def _pair(v, what, fn):
    vals = [v] if isinstance(v, (int, np.integer)) else list(v)
    if len(vals) == 1:
        return int(vals[0]), int(vals[0])
    if len(vals) == 2:
        return int(vals[0]), int(vals[1])
    if len(vals) == 4:
        if vals[0] != 1 or vals[3] != 1:
            raise ValueError(f"{fn}: {what} must be 1 in the batch and channel dimensions, "
                             f"got {vals}")
        return int(vals[1]), int(vals[2])
    raise ValueError(f"{fn}: {what} must have 1, 2 or 4 elements, got {vals}")


def _same_pads(size, k, s):
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return [total // 2, total - total // 2]


def _windows(x, k, s, r, padding, fill, fn):
    """Patches [N, oh, ow, kh * kw, C] of x padded with ``fill`` for "SAME"."""
    n, h, w, c = x.shape.as_list()
    if h is None or w is None or c is None:
        raise ValueError(f"{fn}: the input's height, width and channels must be known, got "
                         f"{x.shape}")
    padding = str(padding).upper()
    if padding not in ("SAME", "VALID"):
        raise ValueError(f"{fn}: padding must be 'SAME' or 'VALID', got {padding!r}")
    eff = [(k[i] - 1) * r[i] + 1 for i in range(2)]
    if padding == "SAME":
        pads = [_same_pads(h, eff[0], s[0]), _same_pads(w, eff[1], s[1])]
        x = array_ops.pad(x, [[0, 0], pads[0], pads[1], [0, 0]], constant_values=fill)
    p = extract_patches(x, [1, k[0], k[1], 1], [1, s[0], s[1], 1], [1, r[0], r[1], 1],
                        "VALID")
    shape = array_ops.shape(p)
    return array_ops.reshape(p, array_ops.stack([shape[0], shape[1], shape[2],
                                                 k[0] * k[1], c]))


def _check_nhwc(data_format, fn):
    if data_format not in (None, "NHWC"):
        raise ValueError(f"{fn}: ember supports data_format 'NHWC' only, got {data_format!r}")


def max_pool_with_argmax(input, ksize, strides, padding, data_format="NHWC",  # noqa: A002
                         output_dtype=dtypes.int64, include_batch_in_index=False, name=None):
    """``(output, argmax)``: 2-D max pooling and, for each output, the flattened index of
    its maximum, ``(y * width + x) * channels + c`` (plus ``b * height * width * channels``
    with ``include_batch_in_index``); ties go to the first maximum of the window.

    >>> x = ember.reshape(ember.range(16.0), [1, 4, 4, 1])
    >>> v, i = ember.nn.max_pool_with_argmax(x, 2, 2, "VALID")
    >>> i.numpy()[0, :, :, 0]
    array([[ 5,  7],
           [13, 15]])
    """
    fn = "max_pool_with_argmax"
    _check_nhwc(data_format, fn)
    x = tensor(input)
    if not x.dtype.is_floating and not x.dtype.is_integer:
        raise TypeError(f"{fn}: input must be real, got {x.dtype.name}")
    k = _pair(ksize, "ksize", fn)
    s = _pair(strides, "strides", fn)
    from ember.ops.pool_ops import max_pool2d
    values = max_pool2d(x, [1, k[0], k[1], 1], [1, s[0], s[1], 1], padding, name=name)
    n, h, w, c = x.shape.as_list()
    index = array_ops.reshape(creation_ops.range(h * w * c, dtype=dtypes.int64), [1, h, w, c])
    if include_batch_in_index:
        batch = math_ops.cast(array_ops.shape(x)[0], dtypes.int64)
        index = index + array_ops.reshape(creation_ops.range(batch) * (h * w * c),
                                          [-1, 1, 1, 1])
    else:
        index = index + array_ops.zeros_like(x, dtype=dtypes.int64)
    low = x.dtype.min if x.dtype.is_floating else np.iinfo(x.dtype.np).min
    patches = _windows(array_ops.stop_gradient(x), k, s, (1, 1), padding,
                       -np.inf if x.dtype.is_floating else low, fn)
    where = reduce_ops.argmax(patches, axis=3, output_type=dtypes.int32)
    index_patches = _windows(index, k, s, (1, 1), padding, -1, fn)
    picked = reduce_ops.reduce_sum(index_patches * array_ops.one_hot(
        where, k[0] * k[1], axis=3, dtype=dtypes.int64), axis=3)
    return values, math_ops.cast(picked, dtypes.as_dtype(output_dtype))


def dilation2d(input, filters, strides, padding, data_format="NHWC", dilations=None,  # noqa
               name=None):
    """Grayscale dilation: out[b, y, x, c] = max over (dy, dx) of
    input[b, y * s + dy * r, x * s + dx * r, c] + filters[dy, dx, c].

    >>> ember.nn.dilation2d(ember.ones([1, 3, 3, 1]), ember.zeros([2, 2, 1]),
    ...                     [1, 1, 1, 1], "VALID", "NHWC", [1, 1, 1, 1]).shape
    TensorShape([1, 2, 2, 1])
    """
    fn = "dilation2d"
    _check_nhwc(data_format, fn)
    x = tensor(input)
    f = tensor(filters, dtype=x.dtype)
    if f.shape.rank != 3 or not f.shape.is_fully_defined():
        raise ValueError(f"{fn}: filters must have a known shape [height, width, depth], got "
                         f"{f.shape}")
    fh, fw, depth = f.shape.as_list()
    if x.shape[-1] is not None and x.shape[-1] != depth:
        raise ValueError(f"{fn}: input depth {x.shape[-1]} and filters depth {depth} differ")
    s = _pair(strides, "strides", fn)
    r = _pair(dilations if dilations is not None else 1, "dilations", fn)
    patches = _windows(x, (fh, fw), s, r, padding, x.dtype.min, fn)
    return reduce_ops.reduce_max(patches + array_ops.reshape(f, [fh * fw, depth]), axis=3,
                                 name=name)


def erosion2d(value, filters, strides, padding, data_format="NHWC", dilations=None,
              name=None):
    """Grayscale erosion: out = min over the window of value - filters (reflected); the
    negated dilation of -value by the reflected filters."""
    f = tensor(filters)
    out = dilation2d(math_ops.negative(tensor(value)), array_ops.reverse(f, [0, 1]), strides,
                     padding, data_format, dilations)
    return math_ops.negative(out, name=name)


def _pooling_sequence(size, out, rng, pseudo_random):
    """Region boundaries 0 = a_0 < a_1 < ... < a_out = size (TensorFlow's scheme)."""
    if pseudo_random:
        alpha = size / out
        u_max = min((alpha + 2) / alpha - 1, (size + 1) / alpha - out)
        u = rng.random() * u_max
        seq = np.ceil(alpha * (np.arange(out + 1) + u)).astype(np.int64) - 1
        seq[0] = 0
        seq[-1] = size
        return seq
    base = size // out
    diff = np.full(out, base, np.int64)
    extra = size % out
    if extra:
        diff[rng.permutation(out)[:extra]] += 1
    return np.concatenate([[0], np.cumsum(diff)])


def _fractional(kind, value, pooling_ratio, pseudo_random, overlapping, seed, name):
    fn = f"fractional_{kind}_pool"
    x = tensor(value)
    ratio = [float(r) for r in (pooling_ratio if isinstance(pooling_ratio, (list, tuple))
                                else [1.0, pooling_ratio, pooling_ratio, 1.0])]
    if len(ratio) != 4 or ratio[0] != 1.0 or ratio[3] != 1.0:
        raise ValueError(f"{fn}: pooling_ratio must be [1.0, rows, cols, 1.0], got {ratio}")
    if ratio[1] < 1.0 or ratio[2] < 1.0:
        raise ValueError(f"{fn}: pooling ratios must be >= 1, got {ratio}")
    n, h, w, c = x.shape.as_list()
    if h is None or w is None:
        raise ValueError(f"{fn}: the input's height and width must be known, got {x.shape}")
    oh, ow = int(h // ratio[1]), int(w // ratio[2])
    if oh < 1 or ow < 1:
        raise ValueError(f"{fn}: pooling_ratio {ratio} leaves no output for input {x.shape}")
    seed1, seed2 = random_seed.get_seed(seed or None)
    rng = np.random.default_rng([seed1 or 0, seed2 or 0]) if (seed1 or seed2) else \
        np.random.default_rng()
    rows = _pooling_sequence(h, oh, rng, pseudo_random)
    cols = _pooling_sequence(w, ow, rng, pseudo_random)
    reduce = reduce_ops.reduce_max if kind == "max" else reduce_ops.reduce_mean

    def pool(t, seq, axis, limit):
        parts = []
        for i in range(len(seq) - 1):
            end = min(seq[i + 1] + (1 if overlapping else 0), limit)
            index = [slice(None)] * 4
            index[axis] = slice(int(seq[i]), int(end))
            parts.append(reduce(t[tuple(index)], axis=axis, keepdims=True))
        return array_ops.concat(parts, axis)

    out = pool(pool(x, rows, 1, h), cols, 2, w)
    return (array_ops.identity(out, name=name), constant(rows, dtypes.int64),
            constant(cols, dtypes.int64))


def fractional_max_pool(value, pooling_ratio, pseudo_random=False, overlapping=False,
                        seed=0, name=None):
    """``(output, row_pooling_sequence, col_pooling_sequence)``: max pooling over
    regions of fractional average size ``pooling_ratio`` (NHWC), with randomly (or
    pseudo-randomly) placed region boundaries; ``overlapping`` regions share their
    boundary row/column. The sequences come from ember's generator, not TensorFlow's.

    >>> out, rows, cols = ember.nn.fractional_max_pool(ember.ones([1, 6, 6, 1]),
    ...                                                [1.0, 1.5, 1.5, 1.0], seed=1)
    >>> out.shape
    TensorShape([1, 4, 4, 1])
    """
    return _fractional("max", value, pooling_ratio, pseudo_random, overlapping, seed, name)


def fractional_avg_pool(value, pooling_ratio, pseudo_random=False, overlapping=False,
                        seed=0, name=None):
    """Like fractional_max_pool, averaging each region."""
    return _fractional("avg", value, pooling_ratio, pseudo_random, overlapping, seed, name)
