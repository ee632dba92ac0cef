"""keras.ops.nn: activations, normalizations, losses, convolutions and poolings with
Keras 3's argument names and defaults (``softmax(x, axis=-1)``, ``gelu(x,
approximate=True)``, ``conv(inputs, kernel, strides=1, padding="valid", ...)``)."""
from __future__ import annotations

import numpy as np

import ember
from ember.keras.ops._common import floating, tensor
from ember.keras.ops._dtypes import standardize_dtype
from ember.keras.ops.numpy import _missing, _NOT_DONE  # noqa: F401


def _eps(epsilon=None):
    from ember.keras import backend
    return backend.epsilon() if epsilon is None else epsilon


# ---------------------------------------------------------------- activations
def relu(x):
    x = tensor(x)
    return ember.nn.relu(x if x.dtype.is_integer else floating(x))


def relu6(x):
    return ember.nn.relu6(floating(x))


def sigmoid(x):
    return ember.sigmoid(floating(x))


def sparse_sigmoid(x):
    x = floating(x)
    return ember.clip_by_value(0.5 * (x + 1.0), 0.0, 1.0)


def softplus(x):
    return ember.nn.softplus(floating(x))


def softsign(x):
    return ember.nn.softsign(floating(x))


def silu(x):
    return ember.nn.silu(floating(x))


swish = silu


def log_sigmoid(x):
    return ember.math.log_sigmoid(floating(x))


def leaky_relu(x, negative_slope=0.2):
    return ember.nn.leaky_relu(floating(x), alpha=negative_slope)


def hard_sigmoid(x):
    x = floating(x)
    return ember.nn.relu6(x + 3.0) / 6.0


def hard_silu(x):
    x = floating(x)
    return x * hard_sigmoid(x)


hard_swish = hard_silu


def elu(x, alpha=1.0):
    x = floating(x)
    out = ember.nn.elu(x)
    return out if alpha == 1.0 else ember.where(x > 0, x, alpha * out)


def selu(x):
    return ember.nn.selu(floating(x))


def gelu(x, approximate=True):
    return ember.nn.gelu(floating(x), approximate=approximate)


def celu(x, alpha=1.0):
    x = floating(x)
    return ember.maximum(x, 0.0) + alpha * ember.math.expm1(ember.minimum(x, 0.0) / alpha)


def glu(x, axis=-1):
    x = floating(x)
    if x.shape[axis] % 2:
        raise ValueError(f"keras.ops.glu: axis {axis} must have an even size; received "
                         f"shape {tuple(x.shape)}")
    a, b = ember.split(x, 2, axis=axis)
    return a * ember.sigmoid(b)


def hard_tanh(x):
    return ember.clip_by_value(floating(x), -1.0, 1.0)


def hard_shrink(x, threshold=0.5):
    x = floating(x)
    return ember.where(ember.abs(x) > threshold, x, ember.zeros_like(x))


def soft_shrink(x, threshold=0.5):
    x = floating(x)
    return ember.where(x > threshold, x - threshold,
                       ember.where(x < -threshold, x + threshold, ember.zeros_like(x)))


def tanh_shrink(x):
    x = floating(x)
    return x - ember.tanh(x)


def threshold(x, threshold, default_value):
    x = floating(x)
    return ember.where(x > threshold, x, ember.cast(default_value, x.dtype) * ember.ones_like(x))


def squareplus(x, b=4):
    x = floating(x)
    return (x + ember.sqrt(ember.square(x) + b)) * 0.5


def sparse_plus(x):
    x = floating(x)
    mid = ember.square(x + 1.0) * 0.25
    return ember.where(x <= -1.0, ember.zeros_like(x), ember.where(x >= 1.0, x, mid))


def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along axis (a tuple of axes allowed)."""
    x = floating(x)
    if isinstance(axis, (list, tuple)):
        m = ember.reduce_max(x, axis=list(axis), keepdims=True)
        e = ember.exp(x - ember.stop_gradient(m))
        return e / ember.reduce_sum(e, axis=list(axis), keepdims=True)
    return ember.nn.softmax(x, axis=axis)


def log_softmax(x, axis=-1):
    x = floating(x)
    if isinstance(axis, (list, tuple)):
        return x - ember.reduce_logsumexp(x, axis=list(axis), keepdims=True)
    return ember.nn.log_softmax(x, axis=axis)


def sparsemax(x, axis=-1):
    """Euclidean projection of x onto the simplex along axis (Martins & Astudillo)."""
    x = floating(x)
    nd = len(x.shape)
    ax = axis % nd
    perm = [d for d in range(nd) if d != ax] + [ax]
    xt = ember.transpose(x, perm)
    n = xt.shape[-1]
    z = ember.sort(xt, axis=-1, direction="DESCENDING")
    k = ember.cast(ember.range(1, n + 1), x.dtype)
    cums = ember.cumsum(z, axis=-1)
    support = ember.cast(1.0 + k * z > cums, x.dtype)
    k_z = ember.reduce_sum(support, axis=-1, keepdims=True)
    tau = (ember.reduce_sum(support * z, axis=-1, keepdims=True) - 1.0) / k_z
    out = ember.maximum(xt - tau, 0.0)
    return ember.transpose(out, np.argsort(perm).tolist())


# ---------------------------------------------------------------- encodings
def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """num_classes-long one-hot vectors of the integer x (out-of-range rows are zeros)."""
    if sparse:
        raise NotImplementedError("keras.ops.one_hot: sparse=True is not supported by ember")
    from ember.keras import backend
    dt = standardize_dtype(dtype) if dtype is not None else backend.floatx()
    return ember.one_hot(ember.cast(tensor(x), "int32"), num_classes, axis=axis, dtype=dt)


def multi_hot(inputs, num_classes=None, axis=-1, dtype=None, sparse=False, **kwargs):
    num_classes = kwargs.pop("num_tokens", num_classes)
    x = tensor(inputs)
    squeeze = len(x.shape) == 1
    if squeeze:
        x = ember.expand_dims(x, 0)
    oh = one_hot(x, num_classes, axis=-1, dtype=dtype, sparse=sparse)
    out = ember.reduce_max(oh, axis=-2)
    if axis != -1 and axis != len(out.shape) - 1:
        out = ember.transpose(out, _moved_last(len(out.shape), axis))
    return out[0] if squeeze else out


def _moved_last(nd, axis):
    ax = axis % nd
    perm = list(range(nd - 1))
    perm.insert(ax, nd - 1)
    return perm


# ---------------------------------------------------------------- losses
def binary_crossentropy(target, output, from_logits=False):
    """Elementwise binary cross-entropy (output clipped to [eps, 1 - eps])."""
    output = floating(output)
    target = ember.cast(tensor(target), output.dtype)
    if from_logits:
        return ember.nn.sigmoid_cross_entropy_with_logits(labels=target, logits=output)
    eps = _eps()
    output = ember.clip_by_value(output, eps, 1.0 - eps)
    return -(target * ember.math.log(output) + (1.0 - target) * ember.math.log(1.0 - output))


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy of one-hot (or soft) targets along axis."""
    output = floating(output)
    target = ember.cast(tensor(target), output.dtype)
    if tuple(target.shape) != tuple(output.shape) and None not in target.shape:
        raise ValueError("keras.ops.categorical_crossentropy: target and output must have "
                         f"the same shape; received {tuple(target.shape)} and "
                         f"{tuple(output.shape)}")
    if from_logits:
        return -ember.reduce_sum(target * log_softmax(output, axis=axis), axis=axis)
    output = output / ember.reduce_sum(output, axis=axis, keepdims=True)
    eps = _eps()
    output = ember.clip_by_value(output, eps, 1.0 - eps)
    return -ember.reduce_sum(target * ember.math.log(output), axis=axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy of integer targets against the class axis of output."""
    output = floating(output)
    target = ember.cast(tensor(target), "int32")
    if len(target.shape) == len(output.shape) and target.shape[-1] == 1:
        target = ember.squeeze(target, axis=[-1])
    if axis != -1 and axis != len(output.shape) - 1:
        nd = len(output.shape)
        perm = [d for d in range(nd) if d != axis % nd] + [axis % nd]
        output = ember.transpose(output, perm)
    if not from_logits:
        output = output / ember.reduce_sum(output, axis=-1, keepdims=True)
        eps = _eps()
        output = ember.math.log(ember.clip_by_value(output, eps, 1.0 - eps))
    return ember.nn.sparse_softmax_cross_entropy_with_logits(labels=target, logits=output)


# ---------------------------------------------------------------- normalization
def moments(x, axes, keepdims=False, synchronized=False):
    x = floating(x)
    return ember.nn.moments(x, axes=list(axes), keepdims=keepdims)


def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    x = floating(x)
    nd = len(x.shape)
    shape = [1] * nd
    shape[axis % nd] = x.shape[axis]

    def b(v):
        return None if v is None else ember.reshape(ember.cast(tensor(v), x.dtype), shape)
    return ember.nn.batch_normalization(x, b(mean), b(variance), b(offset), b(scale), epsilon)


def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, **kwargs):
    x = floating(x)
    eps = _eps(epsilon)
    axes = list(axis) if isinstance(axis, (list, tuple)) else [axis]
    mean_, var_ = ember.nn.moments(x, axes=axes, keepdims=True)
    out = (x - mean_) * ember.math.rsqrt(var_ + eps)
    if gamma is not None:
        out = out * ember.cast(tensor(gamma), x.dtype)
    if beta is not None:
        out = out + ember.cast(tensor(beta), x.dtype)
    return out


def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    x = floating(x)
    eps = _eps(epsilon)
    out = x * ember.math.rsqrt(ember.reduce_mean(ember.square(x), axis=axis, keepdims=True)
                               + eps)
    return out if scale is None else out * ember.cast(tensor(scale), x.dtype)


def normalize(x, axis=-1, order=2, epsilon=None):
    """x divided by its order-norm along axis (the norm at least epsilon)."""
    x = floating(x)
    eps = _eps(epsilon)
    if order == 2:
        sq = ember.reduce_sum(ember.square(x), axis=axis, keepdims=True)
        return x * ember.math.rsqrt(ember.maximum(sq, eps * eps))
    n = ember.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    return x / ember.maximum(n, eps)


def psnr(x1, x2, max_val):
    x1, x2 = floating(x1), floating(x2)
    mse = ember.reduce_mean(ember.square(x1 - x2))
    return 20.0 * ember.math.log(float(max_val)) / np.log(10.0) - \
        10.0 * ember.math.log(mse) / np.log(10.0)


def polar(abs_, angle):
    abs_, angle = floating(abs_), floating(angle)
    return ember.complex(abs_ * ember.cos(angle), abs_ * ember.sin(angle))


# ---------------------------------------------------------------- convolution and pooling
def _fmt(data_format, nd):
    from ember.keras import backend
    df = data_format or backend.image_data_format()
    spatial = "DHW"[3 - nd:] if nd <= 3 else None
    if nd == 1:
        return "NWC" if df == "channels_last" else "NCW"
    return ("N" + spatial + "C") if df == "channels_last" else ("NC" + spatial)


def _tuple(v, nd):
    return list(v) if isinstance(v, (list, tuple)) else [v] * nd


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """N-D convolution; kernel is (spatial..., in_channels, out_channels)."""
    x = floating(inputs)
    nd = len(x.shape) - 2
    return ember.nn.convolution(x, ember.cast(tensor(kernel), x.dtype),
                                strides=_tuple(strides, nd), padding=padding.upper(),
                                data_format=_fmt(data_format, nd),
                                dilations=_tuple(dilation_rate, nd))


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None,
                   dilation_rate=1):
    x = floating(inputs)
    nd = len(x.shape) - 2
    k = ember.cast(tensor(kernel), x.dtype)
    if nd == 1:
        x1 = ember.expand_dims(x, 1 if _fmt(data_format, 1) == "NWC" else 2)
        out = depthwise_conv(x1, ember.expand_dims(k, 0), (1,) + tuple(_tuple(strides, 1)),
                             padding, data_format, (1,) + tuple(_tuple(dilation_rate, 1)))
        return ember.squeeze(out, axis=[1 if _fmt(data_format, 1) == "NWC" else 2])
    if nd != 2:
        raise NotImplementedError("keras.ops.depthwise_conv: ember supports 1-D and 2-D")
    fmt = _fmt(data_format, 2)
    s = _tuple(strides, 2)
    s4 = [1] + s + [1] if fmt == "NHWC" else [1, 1] + s
    return ember.nn.depthwise_conv2d(x, k, s4, padding.upper(), data_format=fmt,
                                     dilations=_tuple(dilation_rate, 2))


def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid",
                   data_format=None, dilation_rate=1):
    y = depthwise_conv(inputs, depthwise_kernel, strides, padding, data_format, dilation_rate)
    return conv(y, pointwise_kernel, 1, "valid", data_format)


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None,
                   data_format=None, dilation_rate=1):
    """The gradient of conv with respect to its input; kernel (spatial..., out, in)."""
    x = floating(inputs)
    nd = len(x.shape) - 2
    fmt = _fmt(data_format, nd)
    k = ember.cast(tensor(kernel), x.dtype)
    s = _tuple(strides, nd)
    d = _tuple(dilation_rate, nd)
    op = _tuple(output_padding, nd) if output_padding is not None else [None] * nd
    cl = fmt.endswith("C")
    spatial = list(x.shape[1:-1]) if cl else list(x.shape[2:])
    out_sp = []
    for i in range(nd):
        ks = (k.shape[i] - 1) * d[i] + 1
        if op[i] is None:
            n = spatial[i] * s[i] if padding == "same" else spatial[i] * s[i] + \
                max(ks - s[i], 0)
        else:
            pad = (ks // 2) if padding == "same" else 0
            n = (spatial[i] - 1) * s[i] + ks - 2 * pad + op[i]
        out_sp.append(n)
    cout = k.shape[-2]
    out_shape = [x.shape[0]] + out_sp + [cout] if cl else [x.shape[0], cout] + out_sp
    if out_shape[0] is None:
        out_shape[0] = ember.shape(x)[0]
        out_shape = ember.stack([ember.cast(v, "int32") for v in out_shape])
    return ember.nn.conv_transpose(x, k, out_shape, s, padding=padding.upper(),
                                   data_format=fmt, dilations=d)


def _pool(kind, inputs, pool_size, strides, padding, data_format):
    x = floating(inputs)
    nd = len(x.shape) - 2
    ps = _tuple(pool_size, nd)
    st = ps if strides is None else _tuple(strides, nd)
    return ember.nn.pool(x, ps, kind, strides=st, padding=padding.upper(),
                         data_format=_fmt(data_format, nd))


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    return _pool("MAX", inputs, pool_size, strides, padding, data_format)


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    return _pool("AVG", inputs, pool_size, strides, padding, data_format)


def _adaptive_pool(inputs, output_size, data_format, reduce):
    x = floating(inputs)
    nd = len(x.shape) - 2
    sizes = _tuple(output_size, nd)
    cl = _fmt(data_format, nd).endswith("C")
    for i, out_n in enumerate(sizes):
        axis = 1 + i if cl else 2 + i
        n = x.shape[axis]
        if n is None:
            raise ValueError("keras.ops.adaptive pooling: ember needs static spatial sizes; "
                             f"received shape {tuple(x.shape)}")
        pieces = []
        for j in range(out_n):
            start, end = (j * n) // out_n, -((-(j + 1) * n) // out_n)
            part = ember.gather(x, ember.range(start, end), axis=axis)
            pieces.append(reduce(part, axis=axis, keepdims=True))
        x = ember.concat(pieces, axis=axis)
    return x


def adaptive_average_pool(inputs, output_size, data_format=None):
    """Average pooling to a fixed output_size: output j of an axis of length n averages
    inputs floor(j n / out) .. ceil((j + 1) n / out) - 1."""
    return _adaptive_pool(inputs, output_size, data_format, ember.reduce_mean)


def adaptive_max_pool(inputs, output_size, data_format=None):
    """Max pooling to a fixed output_size (the bins of adaptive_average_pool)."""
    return _adaptive_pool(inputs, output_size, data_format, ember.reduce_max)


def depth_to_space(x, block_size, data_format="channels_last"):
    return ember.nn.depth_to_space(tensor(x), block_size,
                                   "NHWC" if data_format == "channels_last" else "NCHW")


def space_to_depth(x, block_size, data_format="channels_last"):
    return ember.nn.space_to_depth(tensor(x), block_size,
                                   "NHWC" if data_format == "channels_last" else "NCHW")


def dot_product_attention(query, key, value, bias=None, mask=None, scale=None,
                          is_causal=False, flash_attention=None, attn_logits_soft_cap=None):
    """softmax(q k^T * scale + bias, masked) v over (batch, seq, heads, dim) inputs."""
    if flash_attention:
        raise NotImplementedError("keras.ops.dot_product_attention: flash_attention is not "
                                  "supported by ember")
    q, k, v = floating(query), floating(key), floating(value)
    d = q.shape[-1]
    scale = 1.0 / np.sqrt(d) if scale is None else scale
    logits = ember.einsum("bqhd,bkhd->bhqk", q, k) * scale
    if attn_logits_soft_cap is not None:
        logits = ember.tanh(logits / attn_logits_soft_cap) * attn_logits_soft_cap
    if bias is not None:
        logits = logits + ember.cast(tensor(bias), logits.dtype)
    big = -1e9 if q.dtype == ember.float32 else -3e4
    if mask is not None:
        logits = ember.where(ember.cast(tensor(mask), "bool"), logits,
                             ember.cast(big, logits.dtype) * ember.ones_like(logits))
    if is_causal:
        nq, nk = logits.shape[-2], logits.shape[-1]
        causal = ember.constant(np.tril(np.ones((nq, nk), bool)))
        logits = ember.where(causal, logits, ember.cast(big, logits.dtype) *
                             ember.ones_like(logits))
    probs = ember.nn.softmax(logits, axis=-1)
    return ember.einsum("bhqk,bkhd->bqhd", probs, v)


def _ctc_dtype(x):
    """(compute dtype, result dtype): Keras's result_type(x, float32), computed in float32
    unless it is float64."""
    from ember.keras.ops._dtypes import result_type
    out = result_type(x.dtype.name, "float32")
    return ("float64" if out == "float64" else "float32"), out


def ctc_loss(target, output, target_length, output_length, mask_index=0):
    """CTC loss per batch item of ``output`` logits [batch, frames, classes] for integer
    ``target`` [batch, max_length] (``mask_index`` is the blank class)."""
    output = tensor(output)
    compute, result = _ctc_dtype(output)
    target = ember.cast(tensor(target), "int32")
    loss = ember.nn.ctc_loss(target, ember.cast(output, compute),
                             ember.cast(tensor(target_length), "int32"),
                             ember.cast(tensor(output_length), "int32"),
                             logits_time_major=False, blank_index=mask_index)
    return ember.cast(loss, result) if loss.dtype.name != result else loss


def ctc_decode(inputs, sequence_lengths, strategy="greedy", beam_width=100, top_paths=1,
               merge_repeated=True, mask_index=0):
    """Decodes [batch, frames, classes] scores: ``(decoded, scores)`` with ``decoded`` int32
    [top_paths, batch, frames] padded with -1. ``strategy="greedy"`` gives the best path
    (scores [batch, 1], minus the summed best logits); ``"beam_search"`` the
    ``top_paths`` best label sequences (scores [batch, top_paths], log probabilities)."""
    inputs = tensor(inputs)
    compute, _ = _ctc_dtype(inputs)
    shape = ember.shape(inputs)
    x = ember.cast(ember.transpose(inputs, [1, 0, 2]), compute)
    seq = ember.cast(tensor(sequence_lengths), "int32")
    if strategy == "greedy":
        decoded, scores = ember.nn.ctc_greedy_decoder(x, seq, merge_repeated=merge_repeated,
                                                      blank_index=mask_index)
    elif strategy == "beam_search":
        if mask_index is not None:
            # the beam-search decoder's blank is the last class: move mask_index there
            x = ember.concat([x[..., :mask_index], x[..., mask_index + 1:],
                              x[..., mask_index:mask_index + 1]], axis=-1) \
                if mask_index != -1 else x
        decoded, scores = ember.nn.ctc_beam_search_decoder(x, seq, beam_width=beam_width,
                                                           top_paths=top_paths)
    else:
        raise ValueError(f"Invalid strategy {strategy}. Supported values are 'greedy' and "
                         f"'beam_search'.")
    dense_shape = ember.cast(shape[:2], "int64")
    out = ember.stack([ember.sparse.to_dense(
        ember.sparse.SparseTensor(d.indices, d.values, dense_shape), default_value=-1)
        for d in decoded], axis=0)
    out = ember.cast(out, "int32")
    if strategy == "beam_search" and mask_index is not None:
        m = mask_index + inputs.shape[-1] if mask_index < 0 else mask_index
        out = ember.where(out >= m, out + 1, out)
    return out, scores
def _pair2(v):
    return tuple(v) if isinstance(v, (list, tuple)) else (v, v)


def _block_index(hp, wp, kernel_size, dilation, stride):
    """Flat positions in an (hp, wp) image of every kernel tap of every block:
    (kh * kw, blocks), blocks row-major."""
    (kh, kw), (dh, dw), (sh, sw) = _pair2(kernel_size), _pair2(dilation), _pair2(stride)
    oh = (hp - (kh - 1) * dh - 1) // sh + 1
    ow = (wp - (kw - 1) * dw - 1) // sw + 1
    rows = (np.arange(oh)[None, None, :, None] * sh + np.arange(kh)[:, None, None, None] * dh)
    cols = (np.arange(ow)[None, None, None, :] * sw + np.arange(kw)[None, :, None, None] * dw)
    return (rows * wp + cols).reshape(kh * kw, oh * ow).astype("int32")


def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """im2col of a channels-first (N, C, H, W) image: (N, C * kH * kW, blocks)."""
    x = tensor(x)
    n, c, h, w = x.shape
    ph, pw = _pair2(padding)
    x = ember.pad(x, [[0, 0], [0, 0], [ph, ph], [pw, pw]])
    hp, wp = h + 2 * ph, w + 2 * pw
    idx = _block_index(hp, wp, kernel_size, dilation, stride)
    flat = ember.reshape(x, [-1 if n is None else n, c, hp * wp])
    cols = ember.gather(flat, ember.constant(idx), axis=2)
    return ember.reshape(cols, [-1 if n is None else n, c * idx.shape[0], idx.shape[1]])


def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """col2im, the adjoint of unfold: blocks summed back into an (N, C, oH, oW) image."""
    x = tensor(x)
    n, ckk, blocks = x.shape
    (oh, ow), (ph, pw) = _pair2(output_size), _pair2(padding)
    hp, wp = oh + 2 * ph, ow + 2 * pw
    idx = _block_index(hp, wp, kernel_size, dilation, stride)
    taps = idx.shape[0]
    if ckk % taps or idx.shape[1] != blocks:
        raise ValueError(f"keras.ops.fold: expected (N, C * {taps}, {idx.shape[1]}) blocks; "
                         f"received shape {tuple(x.shape)}")
    c = ckk // taps
    vals = ember.transpose(ember.reshape(x, [-1 if n is None else n, c, taps * blocks]),
                           [2, 0, 1])
    img = ember.math.unsorted_segment_sum(vals, ember.constant(idx.reshape(-1)), hp * wp)
    img = ember.reshape(ember.transpose(img, [1, 2, 0]), [-1 if n is None else n, c, hp, wp])
    return img[:, :, ph:ph + oh, pw:pw + ow]

__all__ = [n for n, v in list(globals().items())
           if not n.startswith("_") and callable(v) and getattr(v, "__module__", "") in
           (__name__, "ember.keras.ops.numpy") and n not in ("tensor", "floating")]
