"""Neural-network ops: activations, softmax, cross-entropies, normalization helpers."""
from __future__ import annotations

import math

import numpy as np

from ember.framework import dtypes
from ember.framework.errors import InvalidArgumentError
from ember.framework.op import Op
from ember.engine.dispatch import execute
from ember.framework.tensor import EagerTensor, Tensor, convert_to_tensor
from ember.framework.tensor_shape import TensorShape, broadcast_static
from ember.ops import array_ops, math_ops, reduce_ops
from ember.ops._base import (
    EMPTY, FLOATS, NUMERIC, REAL, UnaryOp, check_dtype, dtype_error, normalize_axis,
    static_axes, static_int, tensor,
)

__all__ = [
    "bias_add",
    "crelu",
    "elu",
    "embedding_lookup",
    "gelu",
    "l2_normalize",
    "leaky_relu",
    "log_poisson_loss",
    "log_softmax",
    "moments",
    "relu",
    "relu6",
    "selu",
    "sigmoid_cross_entropy_with_logits",
    "silu",
    "softmax",
    "softmax_cross_entropy_with_logits",
    "softplus",
    "softsign",
    "sparse_softmax_cross_entropy_with_logits",
    "swish",
    "weighted_cross_entropy_with_logits",
]

_INDEX = frozenset([np.dtype(np.int32), np.dtype(np.int64)])


def _work(a):
    """float16/bfloat16 arrays are computed in float32; wider floats as they are."""
    return a.astype(np.float32) if a.dtype.itemsize < 4 else a


def _is_nonzero(t):
    """False only for an eager tensor known to be all zeros (a gradient nobody sent)."""
    if t is None:
        return False
    if type(t) is EagerTensor:
        return bool(np.any(t._value))
    return True


# ------------------------------------------------------------- piecewise-linear family ---

class _MaskedGrad(Op):
    """``g`` scaled by the slope of a piecewise-linear activation at ``x``; linear in ``g``."""

    fresh_output = True      # always a new array (the compiler may write over it)

    def __init__(self, name, slope):
        super().__init__(name)
        self.slope = slope

    def infer(self, inputs, **attrs):
        g, x = inputs
        return g.shape, g.dtype

    def kernel(self, xp, g, x, **attrs):
        return self.slope(g, x, **attrs)

    def grad(self, call, gg):
        return execute(self, (gg, call.inputs[1]), call.attrs), None


class _PiecewiseLinear(Op):
    def __init__(self, name, fn, grad_op, allowed):
        super().__init__(name)
        self.fn = fn
        self.grad_op = grad_op
        self.allowed = allowed

    def infer(self, inputs, **attrs):
        x = inputs[0]
        check_dtype(self.name, x.dtype, self.allowed)
        return x.shape, x.dtype

    def kernel(self, xp, a, **attrs):
        if a.dtype not in self.allowed:
            raise dtype_error(self.name, a.dtype, self.allowed)
        return self.fn(a, **attrs)

    def grad(self, call, g):
        return (execute(self.grad_op, (g, call.inputs[0]), call.attrs),)


def _relu_slope(g, x):
    return np.multiply(g, x > 0, dtype=g.dtype)


def _relu6_slope(g, x):
    return np.where((x > 0) & (x < 6), g, np.zeros((), g.dtype))


def _leaky_slope(g, x, alpha):
    return np.where(x > 0, g, g * g.dtype.type(alpha))


RELU_GRAD = _MaskedGrad("ReluGrad", _relu_slope)
RELU6_GRAD = _MaskedGrad("Relu6Grad", _relu6_slope)
LEAKY_RELU_GRAD = _MaskedGrad("LeakyReluGrad", _leaky_slope)

RELU = _PiecewiseLinear("Relu", lambda a: np.maximum(a, a.dtype.type(0)), RELU_GRAD, REAL)
RELU6 = _PiecewiseLinear("Relu6", lambda a: np.clip(a, np.zeros((), a.dtype),
                                                    np.full((), 6, a.dtype)), RELU6_GRAD, REAL)
LEAKY_RELU = _PiecewiseLinear(
    "LeakyRelu", lambda a, alpha: np.where(a > 0, a, a * a.dtype.type(alpha)),
    LEAKY_RELU_GRAD, FLOATS)


def relu(features, name=None):
    """max(features, 0) elementwise.

    >>> ember.nn.relu([-1.0, 2.0]).numpy()
    array([0., 2.], dtype=float32)
    """
    return execute(RELU, (tensor(features),), EMPTY, name)


def relu6(features, name=None):
    """min(max(features, 0), 6) elementwise.

    >>> ember.nn.relu6([-1.0, 3.0, 9.0]).numpy()
    array([0., 3., 6.], dtype=float32)
    """
    return execute(RELU6, (tensor(features),), EMPTY, name)


def leaky_relu(features, alpha=0.2, name=None):
    """features where positive, alpha * features elsewhere (integers are cast to float32).

    >>> ember.nn.leaky_relu([-1.0, 2.0], alpha=0.1).numpy()
    array([-0.1,  2. ], dtype=float32)
    """
    x = tensor(features)
    if x.dtype.is_integer:
        x = math_ops.cast(x, dtypes.float32)
    return execute(LEAKY_RELU, (x,), {"alpha": float(alpha)}, name)


# ------------------------------------------------------------------- smooth activations ---

def _elu_kernel(a):
    w = _work(a)
    with np.errstate(over="ignore"):
        out = np.where(w > 0, w, np.expm1(np.minimum(w, 0)))
    return out.astype(a.dtype, copy=False)


def _softplus_kernel(a):
    w = _work(a)
    return np.logaddexp(np.zeros((), w.dtype), w).astype(a.dtype, copy=False)


ELU = UnaryOp("Elu", _elu_kernel,
              lambda x, y, g: array_ops.where(math_ops.greater(x, array_ops.zeros_like(x)),
                                              g, g * (y + 1.0)), FLOATS)
SOFTPLUS = UnaryOp("Softplus", _softplus_kernel, lambda x, y, g: g * math_ops.sigmoid(x), FLOATS)

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def elu(features, name=None):
    """features where positive, exp(features) - 1 elsewhere.

    >>> ember.nn.elu([-1.0, 2.0]).numpy()
    array([-0.63212055,  2.        ], dtype=float32)
    """
    return execute(ELU, (tensor(features),), EMPTY, name)


def selu(features, name=None):
    """Scaled ELU: scale * (features if > 0 else alpha * (exp(features) - 1)).

    >>> ember.nn.selu([0.0, 1.0]).numpy()
    array([0.      , 1.050701], dtype=float32)
    """
    x = tensor(features)
    positive = math_ops.greater(x, array_ops.zeros_like(x))
    return _SELU_SCALE * array_ops.where(positive, x, _SELU_ALPHA * elu(x))


def softplus(features, name=None):
    """log(exp(features) + 1), without overflow for large inputs.

    >>> ember.nn.softplus([0.0]).numpy()
    array([0.6931472], dtype=float32)
    """
    return execute(SOFTPLUS, (tensor(features),), EMPTY, name)


def softsign(features, name=None):
    """features / (abs(features) + 1).

    >>> ember.nn.softsign([-3.0, 1.0]).numpy()
    array([-0.75,  0.5 ], dtype=float32)
    """
    x = tensor(features)
    return x / (math_ops.abs(x) + 1.0)


def silu(features, beta=1.0, name=None):
    """features * sigmoid(beta * features) (the SiLU, also called swish).

    >>> ember.nn.silu([0.0, 1.0]).numpy()
    array([0.       , 0.7310586], dtype=float32)
    """
    x = tensor(features)
    if not isinstance(beta, (Tensor, np.ndarray)) and float(beta) == 1.0:
        return x * math_ops.sigmoid(x)
    return x * math_ops.sigmoid(math_ops.cast(beta, x.dtype) * x)


def swish(features, beta=1.0, name=None):
    """The same as ``silu``: features * sigmoid(beta * features)."""
    return silu(features, beta=beta, name=name)


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)


def gelu(features, approximate=False, name=None):
    """Gaussian error linear unit: x * P(X <= x) for X ~ N(0, 1).

    Exact (with erf) by default; ``approximate=True`` uses the tanh approximation.

    >>> ember.nn.gelu([1.0]).numpy()
    array([0.8413447], dtype=float32)
    """
    x = tensor(features)
    if approximate:
        inner = _SQRT_2_OVER_PI * (x + 0.044715 * (x * x * x))
        return 0.5 * x * (1.0 + math_ops.tanh(inner))
    return 0.5 * x * (1.0 + math_ops.erf(x * _INV_SQRT_2))


def crelu(features, axis=-1, name=None):
    """Concatenates relu(features) and relu(-features) along ``axis`` (doubling its size).

    >>> ember.nn.crelu([-1.0, 2.0]).numpy()
    array([0., 2., 1., 0.], dtype=float32)
    """
    x = tensor(features)
    return array_ops.concat([relu(x), relu(-x)], axis)


# ---------------------------------------------------------------------------- softmax ---

def _check_class_axis(op_name, x, axis):
    check_dtype(op_name, x.dtype, FLOATS)
    r = x.shape.rank
    if r == 0:
        raise InvalidArgumentError(f"{op_name}: logits must have at least one dimension, "
                                   f"got a scalar [Op:{op_name}]")
    normalize_axis(axis, r, op_name)


class _SoftmaxBase(Op):
    def infer(self, inputs, axis):
        x = inputs[0]
        _check_class_axis(self.name, x, axis)
        return x.shape, x.dtype

    def kernel(self, xp, a, axis):
        if a.dtype not in FLOATS:
            raise dtype_error(self.name, a.dtype, FLOATS)
        if a.ndim == 0:
            raise InvalidArgumentError(f"{self.name}: logits must have at least one "
                                       f"dimension, got a scalar [Op:{self.name}]")
        axis = normalize_axis(axis, a.ndim, self.name)
        if a.size == 0:
            return a.copy()
        w = _work(a)
        shifted = np.subtract(w, np.maximum.reduce(w, axis=axis, keepdims=True))
        return self.finish(shifted, axis).astype(a.dtype, copy=False)


class _Softmax(_SoftmaxBase):
    name = "Softmax"

    def finish(self, shifted, axis):
        e = np.exp(shifted, out=shifted)
        e /= np.add.reduce(e, axis=axis, keepdims=True)
        return e

    def grad(self, call, g):
        y = call.outputs[0]
        axis = call.attrs["axis"]
        return (y * (g - reduce_ops.reduce_sum(g * y, axis, keepdims=True)),)


class _LogSoftmax(_SoftmaxBase):
    name = "LogSoftmax"

    def finish(self, shifted, axis):
        shifted -= np.log(np.add.reduce(np.exp(shifted), axis=axis, keepdims=True))
        return shifted

    def grad(self, call, g):
        y = call.outputs[0]
        axis = call.attrs["axis"]
        return (g - math_ops.exp(y) * reduce_ops.reduce_sum(g, axis, keepdims=True),)


SOFTMAX = _Softmax()
LOG_SOFTMAX = _LogSoftmax()


def _axis_attr(axis, op_name):
    return -1 if axis is None else static_int(axis, "axis", op_name)


def softmax(logits, axis=None, name=None):
    """exp(logits) / reduce_sum(exp(logits), axis), computed stably (axis defaults to -1).

    >>> ember.nn.softmax([1000.0, 1000.0]).numpy()
    array([0.5, 0.5], dtype=float32)
    """
    return execute(SOFTMAX, (tensor(logits),), {"axis": _axis_attr(axis, "Softmax")}, name)


def log_softmax(logits, axis=None, name=None):
    """logits - log(reduce_sum(exp(logits), axis)), computed stably (axis defaults to -1).

    >>> ember.nn.log_softmax([0.0, 0.0]).numpy()
    array([-0.6931472, -0.6931472], dtype=float32)
    """
    return execute(LOG_SOFTMAX, (tensor(logits),), {"axis": _axis_attr(axis, "LogSoftmax")},
                   name)


# ---------------------------------------------------------------------- cross-entropies ---

def _shape_text(shape):
    return "?" if shape.rank is None else str([d if d is not None else -1
                                               for d in shape.as_list()])


def _drop_axis(shape, axis):
    if shape.rank is None:
        return TensorShape(None)
    dims = shape.as_list()
    a = axis % len(dims)
    return TensorShape(dims[:a] + dims[a + 1:])


def _log_softmax_rows(w, axis):
    shifted = w - np.max(w, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


class _SoftmaxXent(Op):
    """Outputs (loss, log_softmax(logits)); the second feeds the gradients:
    (softmax - labels) * g for logits and -log_softmax * g for labels."""

    name = "SoftmaxCrossEntropyWithLogits"
    num_outputs = 2

    def infer(self, inputs, axis):
        logits, labels = inputs
        _check_class_axis(self.name, logits, axis)
        if labels.dtype is not logits.dtype:
            raise InvalidArgumentError(
                f"{self.name}: labels must have the dtype of logits ({logits.dtype.name}), "
                f"got {labels.dtype.name} [Op:{self.name}]")
        if labels.shape.rank is not None and logits.shape.rank is not None and \
                labels.shape.rank != logits.shape.rank:
            raise InvalidArgumentError(
                f"{self.name}: logits and labels must have the same rank: logits_size="
                f"{_shape_text(logits.shape)} labels_size={_shape_text(labels.shape)} "
                f"[Op:{self.name}]")
        if labels.shape.rank is None and logits.shape.rank is not None:
            full = TensorShape([None if d in (1, None) else d for d in logits.shape.as_list()])
            return [(_drop_axis(full, axis), logits.dtype), (logits.shape, logits.dtype)]
        try:
            full = broadcast_static(logits.shape, labels.shape, self.name)
        except InvalidArgumentError:
            raise InvalidArgumentError(
                f"{self.name}: logits and labels must be broadcastable: logits_size="
                f"{_shape_text(logits.shape)} labels_size={_shape_text(labels.shape)} "
                f"[Op:{self.name}]") from None
        return [(_drop_axis(full, axis), logits.dtype), (logits.shape, logits.dtype)]

    grad_accepts_none = True

    def kernel(self, xp, logits, labels, axis):
        if logits.ndim != labels.ndim or logits.dtype != labels.dtype:
            self.infer([_ArraySpec(logits), _ArraySpec(labels)], axis)
        axis = axis % logits.ndim
        w, z = _work(logits), _work(labels)
        if w.size == 0 or z.size == 0:
            full = np.broadcast_shapes(w.shape, z.shape)
            loss = np.zeros(full[:axis] + full[axis + 1:], logits.dtype)
            return loss, np.zeros(logits.shape, logits.dtype)
        log_sm = _log_softmax_rows(w, axis)
        loss = -np.sum(z * log_sm, axis=axis)
        return loss.astype(logits.dtype, copy=False), log_sm.astype(logits.dtype, copy=False)

    def grad(self, call, g_loss, g_log_sm):
        labels = call.inputs[1]
        axis = call.attrs["axis"]
        log_sm = call.outputs[1]
        sm = math_ops.exp(log_sm)
        if g_loss is not None:
            ge = array_ops.expand_dims(g_loss, axis)
            d_logits = ge * (sm - labels)
            d_labels = -ge * log_sm
        else:
            d_logits = d_labels = None
        if _is_nonzero(g_log_sm):
            extra = g_log_sm - sm * reduce_ops.reduce_sum(g_log_sm, axis, keepdims=True)
            d_logits = extra if d_logits is None else d_logits + extra
        return d_logits, d_labels


class _ArraySpec:
    """What infer sees of a kernel's own array (for validating in the kernel)."""

    __slots__ = ("shape", "dtype", "value")

    def __init__(self, a):
        self.shape = TensorShape(a.shape)
        self.dtype = dtypes.from_numpy(a.dtype)
        self.value = None


class _SparseSoftmaxXent(Op):
    """Outputs (loss, backprop) with backprop = softmax(logits) - one_hot(labels)."""

    name = "SparseSoftmaxCrossEntropyWithLogits"
    num_outputs = 2

    def infer(self, inputs):
        logits, labels = inputs
        check_dtype(self.name, logits.dtype, FLOATS)
        if labels.dtype._np not in _INDEX:
            raise InvalidArgumentError(
                f"{self.name}: labels must be int32 or int64, got {labels.dtype.name} "
                f"[Op:{self.name}]")
        lr, kr = logits.shape.rank, labels.shape.rank
        if lr == 0:
            raise InvalidArgumentError(f"{self.name}: logits must have at least one "
                                       f"dimension, got a scalar [Op:{self.name}]")
        if lr is not None and kr is not None and kr != lr - 1:
            raise InvalidArgumentError(
                f"Rank mismatch: Rank of labels (received {kr}) should equal rank of logits "
                f"minus 1 (received {lr}). [Op:{self.name}]")
        batch = logits.shape.as_list()[:-1] if lr is not None else None
        if batch is not None and kr is not None and \
                not TensorShape(batch).is_compatible_with(labels.shape):
            raise InvalidArgumentError(
                f"{self.name}: labels shape {_shape_text(labels.shape)} must equal the shape "
                f"of logits {_shape_text(logits.shape)} without its last dimension "
                f"[Op:{self.name}]")
        if batch is None:
            loss_shape = labels.shape
        else:
            loss_shape = TensorShape(batch).merge_with(labels.shape) if kr is not None \
                else TensorShape(batch)
        return [(loss_shape, logits.dtype), (logits.shape, logits.dtype)]

    grad_accepts_none = True

    def kernel(self, xp, logits, labels):
        if labels.ndim != logits.ndim - 1 or labels.dtype not in _INDEX or \
                labels.shape != logits.shape[:-1]:
            self.infer([_ArraySpec(logits), _ArraySpec(labels)])
        n = logits.shape[-1]
        if labels.size:
            bad = (labels < 0) | (labels >= n)
            if np.any(bad):
                first = labels[bad].reshape(-1)[0]
                shown = " ".join(str(v) for v in labels.reshape(-1)[:64])
                raise InvalidArgumentError(
                    f"Received a label value of {first} which is outside the valid range of "
                    f"[0, {n}).  Label values: {shown} [Op:{self.name}]")
        if logits.size == 0:
            return np.zeros(labels.shape, logits.dtype), np.zeros(logits.shape, logits.dtype)
        log_sm = _log_softmax_rows(_work(logits), -1)
        idx = labels[..., None].astype(np.intp)
        loss = -np.take_along_axis(log_sm, idx, axis=-1)[..., 0]
        backprop = np.exp(log_sm)
        np.put_along_axis(backprop, idx, np.take_along_axis(backprop, idx, axis=-1) - 1.0,
                          axis=-1)
        return loss.astype(logits.dtype, copy=False), backprop.astype(logits.dtype, copy=False)

    def grad(self, call, g_loss, g_backprop):
        logits = call.inputs[0]
        d_logits = None if g_loss is None else \
            array_ops.expand_dims(g_loss, -1) * call.outputs[1]
        if _is_nonzero(g_backprop):
            sm = softmax(logits, -1)
            extra = sm * (g_backprop - reduce_ops.reduce_sum(g_backprop * sm, -1,
                                                             keepdims=True))
            d_logits = extra if d_logits is None else d_logits + extra
        return d_logits, None


class _SigmoidXent(Op):
    """max(x, 0) - x * z + log(1 + exp(-|x|)) for logits x and labels z."""

    name = "SigmoidCrossEntropyWithLogits"

    def infer(self, inputs):
        logits, labels = inputs
        check_dtype(self.name, logits.dtype, FLOATS)
        if labels.dtype is not logits.dtype:
            raise InvalidArgumentError(
                f"{self.name}: labels must have the dtype of logits ({logits.dtype.name}), "
                f"got {labels.dtype.name} [Op:{self.name}]")
        if not logits.shape.is_compatible_with(labels.shape):
            raise InvalidArgumentError(
                f"logits and labels must have the same shape ({_shape_text(logits.shape)} vs "
                f"{_shape_text(labels.shape)}) [Op:{self.name}]")
        return logits.shape.merge_with(labels.shape), logits.dtype

    def kernel(self, xp, logits, labels):
        self.infer([_ArraySpec(logits), _ArraySpec(labels)])
        x, z = _work(logits), _work(labels)
        out = np.maximum(x, 0) - x * z + np.log1p(np.exp(-np.abs(x)))
        return out.astype(logits.dtype, copy=False)

    def grad(self, call, g):
        x, z = call.inputs
        return g * (math_ops.sigmoid(x) - z), -g * x


SOFTMAX_XENT = _SoftmaxXent()
SPARSE_SOFTMAX_XENT = _SparseSoftmaxXent()
SIGMOID_XENT = _SigmoidXent()


def _labels_like(labels, logits):
    """labels as a tensor of logits' dtype (TensorFlow casts them)."""
    t = convert_to_tensor(labels, dtype_hint=logits.dtype)
    if t.dtype is not logits.dtype:
        t = math_ops.cast(t, logits.dtype)
    return t


def _check_same_shape(a, b, a_name, b_name):
    if not a.shape.is_compatible_with(b.shape):
        raise ValueError(f"{a_name} and {b_name} must have the same shape "
                         f"({_shape_text(a.shape)} vs {_shape_text(b.shape)})")


def softmax_cross_entropy_with_logits(labels, logits, axis=-1, name=None):
    """-reduce_sum(labels * log_softmax(logits), axis): one stable fused op.

    ``labels`` is a probability distribution along ``axis`` (it is differentiable too).

    >>> ember.nn.softmax_cross_entropy_with_logits([[0.0, 1.0]], [[1000.0, -1000.0]]).numpy()
    array([2000.], dtype=float32)
    """
    logits = tensor(logits)
    labels = _labels_like(labels, logits)
    attrs = {"axis": static_int(axis, "axis", "SoftmaxCrossEntropyWithLogits")}
    return execute(SOFTMAX_XENT, (logits, labels), attrs, name)[0]


def sparse_softmax_cross_entropy_with_logits(labels=None, logits=None, name=None):
    """Softmax cross-entropy with integer class ``labels`` (rank of logits minus one).

    A label outside [0, num_classes) raises InvalidArgumentError.

    >>> ember.nn.sparse_softmax_cross_entropy_with_logits([1], [[0.0, 0.0]]).numpy()
    array([0.6931472], dtype=float32)
    """
    if labels is None or logits is None:
        raise ValueError("sparse_softmax_cross_entropy_with_logits needs both labels and "
                         "logits")
    logits = tensor(logits)
    labels = tensor(labels)
    return execute(SPARSE_SOFTMAX_XENT, (logits, labels), EMPTY, name)[0]


def sigmoid_cross_entropy_with_logits(labels=None, logits=None, name=None):
    """Elementwise -z * log(sigmoid(x)) - (1 - z) * log(1 - sigmoid(x)), computed stably.

    >>> ember.nn.sigmoid_cross_entropy_with_logits([1.0], [0.0]).numpy()
    array([0.6931472], dtype=float32)
    """
    if labels is None or logits is None:
        raise ValueError("sigmoid_cross_entropy_with_logits needs both labels and logits")
    logits = tensor(logits)
    labels = _labels_like(labels, logits)
    _check_same_shape(logits, labels, "logits", "labels")
    return execute(SIGMOID_XENT, (logits, labels), EMPTY, name)


def weighted_cross_entropy_with_logits(labels, logits, pos_weight, name=None):
    """Sigmoid cross-entropy with the positive term scaled by ``pos_weight``:
    -pos_weight * z * log(sigmoid(x)) - (1 - z) * log(1 - sigmoid(x)).

    >>> ember.nn.weighted_cross_entropy_with_logits([1.0], [0.0], 2.0).numpy()
    array([1.3862944], dtype=float32)
    """
    logits = tensor(logits)
    labels = _labels_like(labels, logits)
    _check_same_shape(logits, labels, "logits", "labels")
    q = _labels_like(pos_weight, logits)
    return (1.0 - labels) * logits + (1.0 + (q - 1.0) * labels) * softplus(-logits)


def log_poisson_loss(targets, log_input, compute_full_loss=False, name=None):
    """exp(log_input) - targets * log_input; with ``compute_full_loss`` adds the Stirling
    term targets * log(targets) - targets + 0.5 * log(2 * pi * targets) (0 for targets <= 1).

    >>> ember.nn.log_poisson_loss([1.0], [0.0]).numpy()
    array([1.], dtype=float32)
    """
    log_input = tensor(log_input)
    targets = _labels_like(targets, log_input)
    _check_same_shape(log_input, targets, "log_input", "targets")
    result = math_ops.exp(log_input) - log_input * targets
    if compute_full_loss:
        small = math_ops.logical_and(
            math_ops.greater_equal(targets, array_ops.zeros_like(targets)),
            math_ops.less_equal(targets, array_ops.ones_like(targets)))
        safe = array_ops.where(small, array_ops.ones_like(targets), targets)
        stirling = safe * math_ops.log(safe) - safe + 0.5 * math_ops.log(
            (2.0 * math.pi) * safe)
        result = result + array_ops.where(small, array_ops.zeros_like(targets), stirling)
    return result


# ---------------------------------------------------------------------------- bias_add ---

def _channel_axis(data_format):
    if data_format is None:
        return -1
    if not isinstance(data_format, str):
        raise ValueError(f"bias_add: data_format must be a string, got {data_format!r}")
    fmt = data_format.upper()
    if fmt.startswith("NC"):
        return 1
    if fmt.startswith("N") and fmt.endswith("C"):
        return -1
    raise ValueError(f"bias_add: data_format must be of the form 'N...C' or 'NC...', "
                     f"got {data_format!r}")


class _BiasAdd(Op):
    name = "BiasAdd"

    def infer(self, inputs, axis):
        value, bias = inputs
        check_dtype(self.name, value.dtype, NUMERIC)
        if bias.dtype is not value.dtype:
            raise InvalidArgumentError(
                f"cannot compute BiasAdd as input #1(zero-based) was expected to be a "
                f"{value.dtype.name} tensor but is a {bias.dtype.name} tensor [Op:BiasAdd]")
        if bias.shape.rank is not None and bias.shape.rank != 1:
            raise InvalidArgumentError(f"Biases must be 1D: {_shape_text(bias.shape)} "
                                       f"[Op:BiasAdd]")
        r = value.shape.rank
        if r is not None and r < 2:
            raise InvalidArgumentError(f"Input tensor must be at least 2D: "
                                       f"{_shape_text(value.shape)} [Op:BiasAdd]")
        if r is not None and bias.shape.rank is not None:
            c = value.shape[axis]
            n = bias.shape[0]
            if c is not None and n is not None and c != n:
                where = "last" if axis == -1 else "channel"
                raise InvalidArgumentError(
                    f"Must provide as many biases as the {where} dimension of the input "
                    f"tensor: {_shape_text(bias.shape)} vs. {_shape_text(value.shape)} "
                    f"[Op:BiasAdd]")
        return value.shape, value.dtype

    def kernel(self, xp, value, bias, axis):
        self.infer([_ArraySpec(value), _ArraySpec(bias)], axis)
        if axis == 1:
            bias = bias.reshape((-1,) + (1,) * (value.ndim - 2))
        return value + bias

    def grad(self, call, g):
        value = call.inputs[0]
        axis = call.attrs["axis"]
        r = value.shape.rank
        if r is None and axis == -1:
            return g, g
        if r is None:
            raise ValueError("BiasAdd gradient: the rank of value must be known for "
                             "data_format 'NC...'")
        c = axis % r
        return g, reduce_ops.reduce_sum(g, [i for i in range(r) if i != c])


BIAS_ADD = _BiasAdd()


def bias_add(value, bias, data_format=None, name=None):
    """Adds the 1-D ``bias`` along the channel axis: the last one (NHWC, default) or
    axis 1 (data_format 'NCHW' or any 'NC...').

    >>> ember.nn.bias_add([[1.0, 2.0]], [10.0, 20.0]).numpy()
    array([[11., 22.]], dtype=float32)
    """
    value = tensor(value)
    bias = convert_to_tensor(bias, dtype_hint=value.dtype)
    return execute(BIAS_ADD, (value, bias), {"axis": _channel_axis(data_format)}, name)


# --------------------------------------------------------------- normalization helpers ---

def l2_normalize(x, axis=None, epsilon=1e-12, name=None, dim=None):
    """x / sqrt(max(reduce_sum(x ** 2, axis), epsilon)) (all axes when axis is None).

    >>> ember.nn.l2_normalize([3.0, 4.0]).numpy()
    array([0.6, 0.8], dtype=float32)
    """
    if axis is None and dim is not None:
        axis = dim
    x = tensor(x)
    axes = static_axes(axis, "axis", "l2_normalize")
    if x.dtype.is_complex:
        sq = math_ops.square(math_ops.real(x)) + math_ops.square(math_ops.imag(x))
        inv = math_ops.rsqrt(math_ops.maximum(reduce_ops.reduce_sum(sq, axes, keepdims=True),
                                              epsilon))
        return x * math_ops.cast(inv, x.dtype)
    square_sum = reduce_ops.reduce_sum(math_ops.square(x), axes, keepdims=True)
    return x * math_ops.rsqrt(math_ops.maximum(square_sum, epsilon))


def moments(x, axes, shift=None, keepdims=False, name=None):
    """Mean and variance of ``x`` over ``axes``; ``shift`` is accepted and unused, as in
    TensorFlow 2. float16 input is accumulated in float32.

    >>> m, v = ember.nn.moments(ember.constant([1.0, 2.0, 3.0, 4.0]), axes=[0])
    >>> float(m), float(v)
    (2.5, 1.25)
    """
    x = tensor(x)
    axes = static_axes(axes, "axes", "moments")
    if axes is None:
        raise ValueError("moments: axes must be given (a list of axes to reduce)")
    y = math_ops.cast(x, dtypes.float32) if x.dtype is dtypes.float16 else x
    mean = reduce_ops.reduce_mean(y, axes, keepdims=True)
    variance = reduce_ops.reduce_mean(math_ops.squared_difference(y, mean), axes, keepdims=True)
    if not keepdims:
        mean = array_ops.squeeze(mean, list(axes)) if axes else mean
        variance = array_ops.squeeze(variance, list(axes)) if axes else variance
    if x.dtype is dtypes.float16:
        mean = math_ops.cast(mean, dtypes.float16)
        variance = math_ops.cast(variance, dtypes.float16)
    return mean, variance


# --------------------------------------------------------------------- embedding_lookup ---

def _clip_rows(x, ids_rank, max_norm):
    r = x.shape.rank
    axes = list(range(ids_rank, r))
    if not axes:
        return x
    sq = reduce_ops.reduce_sum(x * x, axes, keepdims=True)
    positive = math_ops.greater(sq, array_ops.zeros_like(sq))
    norm = array_ops.where(positive, math_ops.sqrt(
        array_ops.where(positive, sq, array_ops.ones_like(sq))), sq)
    clip = math_ops.cast(max_norm, x.dtype)
    return x * clip / math_ops.maximum(norm, clip)


def embedding_lookup(params, ids, max_norm=None, name=None):
    """Rows of ``params`` (a tensor, or a list of shards split along axis 0) at ``ids``;
    the result has shape ids.shape + params.shape[1:]. With ``max_norm``, each looked-up
    embedding whose L2 norm exceeds it is scaled down to that norm.

    >>> ember.nn.embedding_lookup([[1.0, 2.0], [3.0, 4.0]], [1, 1, 0]).numpy()
    array([[3., 4.],
           [3., 4.],
           [1., 2.]], dtype=float32)
    """
    if isinstance(params, (list, tuple)) and params and (
            isinstance(params[0], Tensor) or getattr(params[0], "_is_ember_variable", False)):
        shards = [tensor(p) for p in params]
        params = shards[0] if len(shards) == 1 else array_ops.concat(shards, 0)
    else:
        params = tensor(params)
    out = array_ops.gather(params, ids, name=name)
    if max_norm is not None:
        ids_rank = out.shape.rank - params.shape.rank + 1 \
            if out.shape.rank is not None and params.shape.rank is not None else None
        if ids_rank is None:
            raise ValueError("embedding_lookup: max_norm needs params and ids of known rank")
        out = _clip_rows(out, ids_rank, max_norm)
    return out
