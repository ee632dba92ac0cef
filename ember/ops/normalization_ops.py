"""Normalization: batch_normalization, fused_batch_norm, local_response_normalization."""
from __future__ import annotations

from ember.framework import dtypes
from ember.framework.errors import InvalidArgumentError
from ember.framework.op import Op
from ember.engine.dispatch import execute
from ember.framework.tensor import convert_to_tensor
from ember.framework.tensor_shape import TensorShape
from ember.ops import array_ops, math_ops, reduce_ops
from ember.runtime.batch_norm_kernels import backward_kernel, forward_kernel
from ember.ops._base import FLOATS, check_dtype, tensor
from ember.ops.conv_ops import _ArraySpec, _shape_text

__all__ = [
    "batch_normalization",
    "fused_batch_norm",
    "local_response_normalization",
    "lrn",
]


def batch_normalization(x, mean, variance, offset, scale, variance_epsilon, name=None):
    """(x - mean) * scale / sqrt(variance + variance_epsilon) + offset, broadcasting;
    ``offset`` and ``scale`` may be None.

    >>> ember.nn.batch_normalization(ember.constant([1.0, 3.0]), 2.0, 1.0, None, None,
    ...                              0.0).numpy()
    array([-1.,  1.], dtype=float32)
    """
    x = tensor(x)
    mean = convert_to_tensor(mean, dtype_hint=x.dtype)
    variance = convert_to_tensor(variance, dtype_hint=x.dtype)
    inv = math_ops.rsqrt(variance + convert_to_tensor(variance_epsilon, dtype=variance.dtype))
    if scale is not None:
        inv = inv * convert_to_tensor(scale, dtype_hint=x.dtype)
    shift = -mean * inv
    if offset is not None:
        shift = shift + convert_to_tensor(offset, dtype_hint=x.dtype)
    return x * math_ops.cast(inv, x.dtype) + math_ops.cast(shift, x.dtype)


def _param_shape(rank, axis, c):
    shape = [1] * rank
    shape[axis] = c
    return shape


class _FusedBatchNorm(Op):
    """Training-mode batch norm over every axis but ``axis``: (y, mean, biased variance)."""

    name = "FusedBatchNormV3"
    num_outputs = 3
    uses_threads = True

    def infer(self, inputs, epsilon, axis):
        x, scale, offset = inputs
        check_dtype(self.name, x.dtype, FLOATS)
        check_dtype(self.name, scale.dtype, FLOATS, 1)
        if offset.dtype is not scale.dtype:
            raise InvalidArgumentError(
                f"{self.name}: scale and offset must have the same dtype, got "
                f"{scale.dtype.name} and {offset.dtype.name} [Op:{self.name}]")
        if x.shape.rank is not None and x.shape.rank < 2:
            raise InvalidArgumentError(f"{self.name}: input must be at least 2-dimensional, "
                                       f"got shape {_shape_text(x.shape)} [Op:{self.name}]")
        c = x.shape[axis] if x.shape.rank is not None else None
        for what, s in (("scale", scale), ("offset", offset)):
            if s.shape.rank is not None and s.shape.rank != 1:
                raise InvalidArgumentError(f"{self.name}: {what} must be 1-dimensional, got "
                                           f"shape {_shape_text(s.shape)} [Op:{self.name}]")
            n = s.shape[0] if s.shape.rank else None
            if c is not None and n is not None and c != n:
                raise InvalidArgumentError(
                    f"{self.name}: {what} must have as many elements as the input has "
                    f"channels: {what} shape {_shape_text(s.shape)} vs input shape "
                    f"{_shape_text(x.shape)} [Op:{self.name}]")
        stat = TensorShape([c])
        return [(x.shape, x.dtype), (stat, scale.dtype), (stat, scale.dtype)]

    def kernel(self, xp, x, scale, offset, epsilon, axis):
        self.infer([_ArraySpec(x), _ArraySpec(scale), _ArraySpec(offset)], epsilon, axis)
        return forward_kernel(x, scale, offset, epsilon, axis, relu=False)

    def grad(self, call, gy, gmean, gvar):
        x, scale, offset = call.inputs
        _, mean, var = call.outputs
        attrs = {"epsilon": call.attrs["epsilon"], "axis": call.attrs["axis"]}
        dx = dscale = doffset = None
        if gy is not None:
            dx, dscale, doffset = execute(FUSED_BATCH_NORM_GRAD, (gy, x, scale, mean, var),
                                          attrs)
        if gmean is not None or gvar is not None:
            pshape, wx, m = _stat_frame(x, mean, attrs["axis"])
            extra = None
            if gmean is not None:
                extra = array_ops.broadcast_to(
                    array_ops.reshape(math_ops.cast(gmean, wx.dtype), pshape) / m,
                    array_ops.shape(wx))
            if gvar is not None:
                mean_b = array_ops.reshape(math_ops.cast(mean, wx.dtype), pshape)
                t = array_ops.reshape(math_ops.cast(gvar, wx.dtype), pshape) * \
                    (2.0 * (wx - mean_b) / m)
                extra = t if extra is None else extra + t
            extra = math_ops.cast(extra, x.dtype)
            dx = extra if dx is None else dx + extra
        return dx, dscale, doffset

    grad_accepts_none = True


class _FusedBatchNormGrad(Op):
    """Gradients (dx, dscale, doffset) of training-mode batch norm, given dy, x, scale and the
    batch mean and biased variance the forward pass returned."""

    name = "FusedBatchNormGradV3"
    num_outputs = 3
    uses_threads = True
    donatable = (0,)         # dx may take dy's buffer (compiler.reuse_buffers)

    def infer(self, inputs, epsilon, axis):
        gy, x, scale = inputs[:3]
        return [(x.shape, x.dtype), (scale.shape, scale.dtype), (scale.shape, scale.dtype)]

    def kernel(self, xp, gy, x, scale, mean, var, epsilon, axis, into=None):
        return backward_kernel(gy, x, scale, mean, var, None, epsilon, axis, False,
                                into is not None)

    def grad(self, call, gdx, gdscale, gdoffset):
        # second order: differentiate the same formula written in ops
        from ember.engine.tape import GradientTape
        inputs = list(call.inputs)
        with GradientTape(persistent=False, watch_accessed_variables=False) as tape:
            for t in inputs:
                tape.watch(t)
            outs = _bn_grad_in_ops(*inputs, **call.attrs)
        pairs = [(o, g) for o, g in zip(outs, (gdx, gdscale, gdoffset)) if g is not None]
        if not pairs:
            return [None] * len(inputs)
        return tape.gradient([o for o, _ in pairs], inputs,
                             output_gradients=[g for _, g in pairs])

    grad_accepts_none = True


def _stat_frame(x, mean, axis):
    """For op-level batch-norm formulas: the shape per-channel statistics broadcast in, x in
    its working float dtype, and the number of values per channel in that dtype."""
    c = x.shape[axis]
    pshape = _param_shape(x.shape.rank, axis, -1 if c is None else c)
    wx = math_ops.cast(x, dtypes.float32) if x.dtype.size < 4 else x
    return pshape, wx, math_ops.cast(array_ops.size(wx) // array_ops.size(mean), wx.dtype)


def _bn_grad_in_ops(gy, x, scale, mean, var, epsilon, axis):
    """FusedBatchNormGradV3's outputs from differentiable ops (for its own gradient)."""
    r = x.shape.rank
    axes = [i for i in range(r) if i != axis % r]
    pshape, wx, m = _stat_frame(x, mean, axis)
    mean_b = array_ops.reshape(math_ops.cast(mean, wx.dtype), pshape)
    inv = math_ops.rsqrt(array_ops.reshape(math_ops.cast(var, wx.dtype), pshape) +
                         convert_to_tensor(epsilon, dtype=wx.dtype))
    xhat = (wx - mean_b) * inv
    g = math_ops.cast(gy, wx.dtype)
    sum_g = reduce_ops.reduce_sum(g, axes, keepdims=True)
    sum_gx = reduce_ops.reduce_sum(g * xhat, axes, keepdims=True)
    sc = array_ops.reshape(math_ops.cast(scale, wx.dtype), pshape)
    dx = (sc * inv) * (g - (sum_g + xhat * sum_gx) / m)
    return (math_ops.cast(dx, x.dtype),
            math_ops.cast(array_ops.reshape(sum_gx, [-1]), scale.dtype),
            math_ops.cast(array_ops.reshape(sum_g, [-1]), scale.dtype))


class _FusedBatchNormRelu(Op):
    """FusedBatchNormV3 followed by a ReLU of its y, as one kernel; made only by the
    compiler (ember.engine.fusion). Outputs (relu(y), mean, biased variance)."""

    name = "_FusedBatchNormRelu"
    num_outputs = 3
    uses_threads = True
    fresh_output = True
    plan_only = True

    def infer(self, inputs, epsilon, axis):
        return FUSED_BATCH_NORM.infer(inputs, epsilon, axis)

    def kernel(self, xp, x, scale, offset, epsilon, axis):
        return forward_kernel(x, scale, offset, epsilon, axis, relu=True)


class _FusedBatchNormGradEx(Op):
    """FusedBatchNormGradV3 with what surrounds it in a conv block, as one kernel; made only
    by the compiler (ember.engine.fusion).

    Inputs (dy, x, scale, mean, var[, features]): with ``relu``, dy is first masked where
    ``features`` (the ReLU's output) is not positive (the ReluGrad before the batch norm's
    gradient). With ``with_sum`` a fourth output is dx summed to one value per channel
    (the gradient of a bias added before the batch norm)."""

    name = "_FusedBatchNormGradEx"
    uses_threads = True
    fresh_output = True
    donatable = (0,)         # dx may take dy's buffer (compiler.reuse_buffers)
    plan_only = True

    def output_count(self, attrs):
        return 4 if attrs.get("with_sum") else 3

    def infer(self, inputs, epsilon, axis, relu=False, with_sum=False):
        out = FUSED_BATCH_NORM_GRAD.infer(inputs[:5], epsilon, axis)
        if with_sum:
            out = list(out) + [out[1]]
        return out

    def kernel(self, xp, gy, x, scale, mean, var, *features, epsilon, axis, relu=False,
               with_sum=False, into=None):
        return backward_kernel(gy, x, scale, mean, var, features[0] if relu else None,
                                epsilon, axis, with_sum, into is not None)


FUSED_BATCH_NORM = _FusedBatchNorm()
FUSED_BATCH_NORM_GRAD = _FusedBatchNormGrad()
FUSED_BATCH_NORM_RELU = _FusedBatchNormRelu()
FUSED_BATCH_NORM_GRAD_EX = _FusedBatchNormGradEx()


def fused_batch_norm(x, scale, offset, mean=None, variance=None, epsilon=0.001,
                     data_format="NHWC", is_training=True, name=None,
                     exponential_avg_factor=1.0):
    """Batch normalization over every axis but the channel axis; returns
    ``(y, mean, variance)``.

    Training uses the batch's statistics and returns its mean and unbiased variance
    (blended with the given ``mean``/``variance`` when ``exponential_avg_factor`` < 1);
    inference normalizes with ``mean`` and ``variance`` and returns them.

    >>> y, m, v = ember.nn.fused_batch_norm(
    ...     ember.reshape(ember.range(4.0), [4, 1, 1, 1]), [1.0], [0.0])
    >>> float(m[0]), float(v[0])
    (1.5, 1.6666667461395264)
    """
    x = tensor(x)
    fmt = "NHWC" if data_format is None else str(data_format).upper()
    if fmt not in ("NHWC", "NCHW", "NDHWC", "NCDHW", "NC", "NWC", "NCW"):
        raise ValueError(f"fused_batch_norm: data_format must be NHWC or NCHW (or their 3-D "
                         f"forms), got {data_format!r}")
    axis = 1 if fmt.startswith("NC") else -1
    pdtype = dtypes.float32 if x.dtype.size < 4 else x.dtype
    scale = convert_to_tensor(scale, dtype_hint=pdtype)
    offset = convert_to_tensor(offset, dtype_hint=scale.dtype)
    epsilon = max(float(epsilon), 1.001e-5)
    if not is_training:
        if mean is None or variance is None:
            raise ValueError("fused_batch_norm: mean and variance are required when "
                             "is_training is False")
        mean = convert_to_tensor(mean, dtype_hint=scale.dtype)
        variance = convert_to_tensor(variance, dtype_hint=scale.dtype)
        r = x.shape.rank
        pshape = _param_shape(r, axis, -1)
        wx = math_ops.cast(x, scale.dtype) if x.dtype is not scale.dtype else x
        y = batch_normalization(wx, array_ops.reshape(mean, pshape),
                                array_ops.reshape(variance, pshape),
                                array_ops.reshape(offset, pshape),
                                array_ops.reshape(scale, pshape), epsilon)
        return math_ops.cast(y, x.dtype), mean, variance
    y, bmean, bvar = execute(FUSED_BATCH_NORM, (x, scale, offset),
                             {"epsilon": epsilon, "axis": axis}, name)
    m = array_ops.size(x) // array_ops.size(bmean)
    m = math_ops.cast(m, bvar.dtype)
    bvar = bvar * (m / math_ops.maximum(m - 1.0, 1.0))
    f = float(exponential_avg_factor)
    if f != 1.0:
        if mean is None or variance is None:
            raise ValueError("fused_batch_norm: mean and variance are required when "
                             "exponential_avg_factor is not 1")
        mean = convert_to_tensor(mean, dtype_hint=scale.dtype)
        variance = convert_to_tensor(variance, dtype_hint=scale.dtype)
        bmean = (1.0 - f) * mean + f * bmean
        bvar = (1.0 - f) * variance + f * bvar
    return y, bmean, bvar


def local_response_normalization(input, depth_radius=5, bias=1.0, alpha=1.0, beta=0.5,
                                 name=None):  # noqa: A002
    """input / (bias + alpha * sqr_sum) ** beta, where sqr_sum sums input ** 2 over the
    ``depth_radius`` neighbouring channels on each side (last axis).

    >>> ember.nn.local_response_normalization(ember.ones([1, 1, 1, 3]), depth_radius=1,
    ...                                       bias=0.0, alpha=1.0, beta=1.0).numpy()[0, 0, 0]
    array([0.5       , 0.33333334, 0.5       ], dtype=float32)
    """
    x = tensor(input)
    if x.shape.rank is not None and x.shape.rank != 4:
        raise InvalidArgumentError(f"LRN: input must be 4-dimensional, got shape "
                                   f"{_shape_text(x.shape)} [Op:LRN]")
    check_dtype("LRN", x.dtype, FLOATS)
    r = int(depth_radius)
    c = x.shape[-1]
    if c is None:
        raise ValueError("local_response_normalization: the channel dimension must be known")
    sq = math_ops.square(x)
    padded = array_ops.pad(sq, [[0, 0], [0, 0], [0, 0], [r, r]])
    total = None
    for i in range(2 * r + 1):
        part = padded[..., i:i + c]
        total = part if total is None else total + part
    return x * math_ops.pow(bias + alpha * total, -beta)


lrn = local_response_normalization
