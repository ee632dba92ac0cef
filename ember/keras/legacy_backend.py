"""tf.keras's (Keras 2's) ``keras.backend`` functions on ember's ops: tensor math
(``sum``, ``batch_dot``, ``permute_dimensions`` ...), variables (``variable``,
``get_value``, ``set_value``, ``update_add`` ...), convolutions and poolings, losses,
CTC (``ctc_batch_cost``, ``ctc_decode``), ``rnn``, random tensors and the learning phase.

``keras.backend`` loads this module on first use of one of these names.
"""
from __future__ import annotations

import contextlib

import numpy as np

import ember
from ember.keras import backend as _backend

__all__ = [
    "abs", "all", "any", "arange", "argmax", "argmin", "batch_dot", "batch_flatten",
    "batch_get_value", "batch_normalization", "batch_set_value", "bias_add",
    "binary_crossentropy", "binary_focal_crossentropy", "cast", "cast_to_floatx",
    "categorical_crossentropy", "categorical_focal_crossentropy", "clip", "concatenate",
    "constant", "conv1d", "conv2d", "conv2d_transpose", "conv3d", "cos", "count_params",
    "ctc_batch_cost", "ctc_decode", "ctc_label_dense_to_sparse", "cumprod", "cumsum",
    "depthwise_conv2d", "dot", "dropout", "dtype", "elu", "equal", "eval", "exp",
    "expand_dims", "eye", "flatten", "foldl", "foldr", "function", "gather", "get_value",
    "gradients", "greater", "greater_equal", "hard_sigmoid", "in_test_phase", "in_top_k",
    "in_train_phase", "int_shape", "is_keras_tensor", "is_sparse", "l2_normalize",
    "learning_phase", "learning_phase_scope", "less", "less_equal", "local_conv1d",
    "local_conv2d", "log", "manual_variable_initialization", "map_fn", "max", "maximum",
    "mean", "min", "minimum", "moving_average_update", "name_scope", "ndim",
    "normalize_batch_in_training", "not_equal", "one_hot", "ones", "ones_like",
    "permute_dimensions", "placeholder", "pool2d", "pool3d", "pow", "print_tensor", "prod",
    "random_bernoulli", "random_binomial", "random_normal", "random_normal_variable",
    "random_uniform", "random_uniform_variable", "relu", "repeat", "repeat_elements",
    "reshape", "resize_images", "resize_volumes", "reverse", "rnn", "round",
    "separable_conv2d", "set_learning_phase", "set_value", "shape", "sigmoid", "sign", "sin",
    "softmax", "softplus", "softsign", "sparse_categorical_crossentropy",
    "spatial_2d_padding", "spatial_3d_padding", "sqrt", "square", "squeeze", "stack", "std",
    "stop_gradient", "sum", "switch", "tanh", "temporal_padding", "tile", "to_dense",
    "transpose", "truncated_normal", "update", "update_add", "update_sub", "var", "variable",
    "zeros", "zeros_like",
]

_py_abs, _py_all, _py_any, _py_max, _py_min, _py_sum = abs, all, any, max, min, sum
_LEARNING_PHASE = {"value": None}


def _t(x, dtype=None):
    return ember.convert_to_tensor(x, dtype=dtype) if not ember.is_tensor(x) else x


def _float(x):
    t = _t(x)
    return t if t.dtype.is_floating else ember.cast(t, _backend.floatx())


def _channels_first(data_format):
    fmt = data_format or _backend.image_data_format()
    if fmt not in ("channels_first", "channels_last"):
        raise ValueError(f"Unknown data_format: {data_format!r}")
    return fmt == "channels_first"


# ------------------------------------------------------------------ elementwise / reduce
def abs(x):  # noqa: A001
    return ember.abs(_t(x))


def sign(x):
    return ember.sign(_t(x))


def round(x):  # noqa: A001
    return ember.round(_t(x))


def square(x):
    return ember.square(_t(x))


def sqrt(x):
    """sqrt of max(x, 0) (Keras 2 clips negatives to zero)."""
    x = _float(x)
    return ember.sqrt(ember.maximum(x, ember.zeros_like(x)))


def exp(x):
    return ember.exp(_float(x))


def log(x):
    return ember.math.log(_float(x))


def sin(x):
    return ember.sin(_float(x))


def cos(x):
    return ember.cos(_float(x))


def pow(x, a):  # noqa: A001
    return ember.pow(_t(x), a)


def clip(x, min_value, max_value):
    """Clips x to [min_value, max_value] (None: unbounded; max below min raises min)."""
    if max_value is not None and min_value is not None and max_value < min_value:
        max_value = min_value
    if min_value is None:
        min_value = -np.inf
    if max_value is None:
        max_value = np.inf
    x = _t(x)
    return ember.clip_by_value(x, ember.cast(min_value, x.dtype), ember.cast(max_value,
                                                                          x.dtype))


def _reduce(fn, x, axis, keepdims):
    return fn(_t(x), axis=axis, keepdims=keepdims)


def sum(x, axis=None, keepdims=False):  # noqa: A001
    return _reduce(ember.reduce_sum, x, axis, keepdims)


def prod(x, axis=None, keepdims=False):
    return _reduce(ember.reduce_prod, x, axis, keepdims)


def max(x, axis=None, keepdims=False):  # noqa: A001
    return _reduce(ember.reduce_max, x, axis, keepdims)


def min(x, axis=None, keepdims=False):  # noqa: A001
    return _reduce(ember.reduce_min, x, axis, keepdims)


def mean(x, axis=None, keepdims=False):
    x = _t(x)
    if x.dtype.is_bool:
        x = ember.cast(x, _backend.floatx())
    return ember.reduce_mean(x, axis=axis, keepdims=keepdims)


def var(x, axis=None, keepdims=False):
    x = _t(x)
    if x.dtype.is_bool:
        x = ember.cast(x, _backend.floatx())
    return ember.math.reduce_variance(x, axis=axis, keepdims=keepdims)


def std(x, axis=None, keepdims=False):
    x = _t(x)
    if x.dtype.is_bool:
        x = ember.cast(x, _backend.floatx())
    return ember.math.reduce_std(x, axis=axis, keepdims=keepdims)


def all(x, axis=None, keepdims=False):  # noqa: A001
    return ember.reduce_all(ember.cast(_t(x), "bool"), axis=axis, keepdims=keepdims)


def any(x, axis=None, keepdims=False):  # noqa: A001
    return ember.reduce_any(ember.cast(_t(x), "bool"), axis=axis, keepdims=keepdims)


def argmax(x, axis=-1):
    return ember.argmax(_t(x), axis=axis)


def argmin(x, axis=-1):
    return ember.argmin(_t(x), axis=axis)


def cumsum(x, axis=0):
    return ember.cumsum(_t(x), axis=axis)


def cumprod(x, axis=0):
    return ember.math.cumprod(_t(x), axis=axis)


def equal(x, y):
    return ember.equal(x, y)


def not_equal(x, y):
    return ember.not_equal(x, y)


def greater(x, y):
    return ember.greater(x, y)


def greater_equal(x, y):
    return ember.greater_equal(x, y)


def less(x, y):
    return ember.less(x, y)


def less_equal(x, y):
    return ember.less_equal(x, y)


def maximum(x, y):
    return ember.maximum(x, y)


def minimum(x, y):
    return ember.minimum(x, y)


# ----------------------------------------------------------------------------- shapes ---
def cast(x, dtype):
    return ember.cast(_t(x), dtype)


def cast_to_floatx(x):
    """x as a NumPy array of floatx (a tensor is cast as a tensor)."""
    if ember.is_tensor(x):
        return ember.cast(x, _backend.floatx())
    return np.asarray(x, dtype=ember.as_dtype(_backend.floatx()).np)


def dtype(x):
    """The dtype's name ('float32')."""
    return _t(x).dtype.name if not hasattr(x, "dtype") or not hasattr(x.dtype, "name") \
        else ember.as_dtype(x.dtype).name


def int_shape(x):
    """The static shape as a tuple (None for unknown dimensions)."""
    shape = x.shape
    if isinstance(shape, ember.TensorShape):
        return tuple(shape.as_list()) if shape.rank is not None else None
    return tuple(shape)


def ndim(x):
    return len(x.shape)


def shape(x):
    return ember.shape(_t(x))


def count_params(x):
    return int(np.prod(int_shape(x)))


def reshape(x, shape):
    return ember.reshape(_t(x), shape)


def flatten(x):
    return ember.reshape(_t(x), [-1])


def batch_flatten(x):
    x = _t(x)
    return ember.reshape(x, ember.stack([ember.shape(x)[0], -1]))


def expand_dims(x, axis=-1):
    return ember.expand_dims(_t(x), axis)


def squeeze(x, axis):
    return ember.squeeze(_t(x), [axis])


def permute_dimensions(x, pattern):
    return ember.transpose(_t(x), list(pattern))


def transpose(x):
    return ember.transpose(_t(x))


def concatenate(tensors, axis=-1):
    if _py_all(isinstance(t, ember.sparse.SparseTensor) for t in tensors):
        return ember.sparse.concat(axis, list(tensors))
    tensors = [to_dense(t) if isinstance(t, ember.sparse.SparseTensor) else _t(t)
               for t in tensors]
    return ember.concat(tensors, axis=axis)


def stack(x, axis=0):
    return ember.stack(list(x), axis=axis)


def tile(x, n):
    n = [n] if isinstance(n, int) else list(n)
    return ember.tile(_t(x), n)


def repeat(x, n):
    """A 2-D x (batch, dim) repeated n times along a new axis 1: (batch, n, dim)."""
    x = _t(x)
    if len(x.shape) != 2:
        raise ValueError(f"repeat: x must be 2-D (batch, dim); received shape "
                         f"{int_shape(x)}")
    return ember.tile(ember.expand_dims(x, 1), [1, n, 1])


def repeat_elements(x, rep, axis):
    return ember.repeat(_t(x), rep, axis=axis)


def reverse(x, axes):
    axes = [axes] if isinstance(axes, int) else list(axes)
    return ember.reverse(_t(x), axes)


def gather(reference, indices):
    return ember.gather(_t(reference), indices)


def arange(start, stop=None, step=1, dtype="int32"):
    if stop is None and start < 0:
        start = 0
    out = ember.range(start, stop, step, dtype=dtype)
    return out


def one_hot(indices, num_classes):
    return ember.one_hot(_t(indices), num_classes)


def switch(condition, then_expression, else_expression):
    """then/else by a boolean condition (a scalar picks a whole branch; a tensor picks
    elementwise, broadcast from the left); callables are called."""
    cond = _t(condition)
    if cond.dtype != ember.bool:
        cond = ember.cast(cond, "bool")
    then_v = then_expression() if callable(then_expression) else then_expression
    else_v = else_expression() if callable(else_expression) else else_expression
    if len(cond.shape) == 0:
        return ember.cond(cond, lambda: _t(then_v), lambda: _t(else_v))
    then_v, else_v = _t(then_v), _t(else_v)
    extra = len(then_v.shape) - len(cond.shape)
    for _ in range(extra):
        cond = ember.expand_dims(cond, -1)
    cond = ember.logical_and(cond, ember.ones_like(then_v, dtype="bool"))
    return ember.where(cond, then_v, else_v)


def stop_gradient(variables):
    if isinstance(variables, (list, tuple)):
        return [ember.stop_gradient(v) for v in variables]
    return ember.stop_gradient(variables)


def to_dense(tensor):
    if isinstance(tensor, ember.sparse.SparseTensor):
        return ember.sparse.to_dense(tensor)
    return tensor


def is_sparse(tensor):
    return isinstance(tensor, ember.sparse.SparseTensor)


def is_keras_tensor(x):
    from ember.keras.keras_tensor import KerasTensor
    return isinstance(x, KerasTensor)


def dot(x, y):
    """Keras 2's dot: a matrix product over x's last and y's second-to-last axis (the
    result has x's leading axes, then y's other axes)."""
    x, y = _t(x), _t(y)
    if len(x.shape) <= 2 and len(y.shape) <= 2:
        return ember.matmul(x, y)
    y_axis = len(y.shape) - 2 if len(y.shape) >= 2 else 0
    return ember.tensordot(x, y, axes=[[len(x.shape) - 1], [y_axis]])


def batch_dot(x, y, axes=None):
    """Per-sample dot products: for each batch item b, x[b] and y[b] contracted over
    ``axes`` (default: x's last, y's second-to-last or last for a 2-D y); a 1-D result is
    given a last axis of 1."""
    x, y = _t(x), _t(y)
    xn, yn = len(x.shape), len(y.shape)
    if xn < 2 or yn < 2:
        raise ValueError(f"batch_dot requires inputs of rank 2 or more; received shapes "
                         f"{int_shape(x)} and {int_shape(y)}")
    if axes is None:
        axes = (xn - 1, yn - 1 if yn == 2 else yn - 2)
    if isinstance(axes, int):
        axes = (axes, axes)
    a0, a1 = (axes[0] % xn, axes[1] % yn)
    if a0 == 0 or a1 == 0:
        raise ValueError("batch_dot cannot contract over the batch axis")
    xs, ys = int_shape(x), int_shape(y)
    if xs[a0] is not None and ys[a1] is not None and xs[a0] != ys[a1]:
        raise ValueError(f"batch_dot: cannot contract axis {a0} of x (size {xs[a0]}) with "
                         f"axis {a1} of y (size {ys[a1]})")
    x = ember.transpose(x, [i for i in range(xn) if i != a0] + [a0])
    y = ember.transpose(y, [0, a1] + [i for i in range(1, yn) if i != a1])
    x_mid = [xs[i] for i in range(1, xn) if i != a0]
    y_rest = [ys[i] for i in range(1, yn) if i != a1]
    k = xs[a0]
    x3 = ember.reshape(x, [-1, int(np.prod(x_mid)) if x_mid else 1, k])
    y3 = ember.reshape(y, [-1, k, int(np.prod(y_rest)) if y_rest else 1])
    out = ember.matmul(x3, y3)
    out = ember.reshape(out, [-1] + x_mid + y_rest)
    if len(out.shape) == 1:
        out = ember.expand_dims(out, 1)
    return out


# ------------------------------------------------------------------------- variables ---
def variable(value, dtype=None, name=None, constraint=None):
    """A Variable holding value (floatx unless dtype is given)."""
    if isinstance(value, ember.sparse.SparseTensor):
        raise NotImplementedError("keras.backend.variable: sparse values are not supported "
                                  "by ember")
    dtype = dtype or _backend.floatx()
    v = ember.Variable(np.asarray(value, dtype=ember.as_dtype(dtype).np), name=name or
                       "variable", dtype=dtype)
    v.constraint_fn = constraint
    return v


def constant(value, dtype=None, shape=None, name=None):
    return ember.constant(value, dtype=dtype or _backend.floatx(), shape=shape, name=name)


def zeros(shape, dtype=None, name=None):
    return variable(np.zeros(shape), dtype, name)


def ones(shape, dtype=None, name=None):
    return variable(np.ones(shape), dtype, name)


def eye(size, dtype=None, name=None):
    size = (size, size) if isinstance(size, int) else tuple(size)
    return variable(np.eye(*size), dtype, name)


def zeros_like(x, dtype=None, name=None):
    return ember.zeros_like(_t(x), dtype=dtype)


def ones_like(x, dtype=None, name=None):
    return ember.ones_like(_t(x), dtype=dtype)


def eval(x):  # noqa: A001
    return get_value(x)


def get_value(x):
    """x's value as a NumPy array."""
    if ember.is_tensor(x) or getattr(x, "_is_ember_variable", False):
        return np.asarray(x.numpy())
    return np.asarray(x)


def batch_get_value(tensors):
    return [get_value(t) for t in tensors]


def set_value(x, value):
    x.assign(np.asarray(value, dtype=x.dtype.np))


def batch_set_value(tuples):
    for x, value in tuples:
        set_value(x, value)


def update(x, new_x):
    return x.assign(new_x)


def update_add(x, increment):
    return x.assign_add(increment)


def update_sub(x, decrement):
    return x.assign_sub(decrement)


def moving_average_update(x, value, momentum):
    """x = x * momentum + value * (1 - momentum)."""
    return x.assign(x * momentum + _t(value, x.dtype) * (1.0 - momentum))


def manual_variable_initialization(value):
    """Keras 2's switch for TF1 sessions; ember variables are initialized when made."""
    _LEARNING_PHASE["manual_init"] = bool(value)


def placeholder(shape=None, ndim=None, dtype=None, sparse=False, name=None, ragged=False):
    """A symbolic input (``keras.Input``) of the given full shape (batch included)."""
    from ember.keras.layers import Input
    if sparse or ragged:
        raise NotImplementedError("keras.backend.placeholder: sparse and ragged "
                                  "placeholders are not supported by ember")
    if shape is None:
        if ndim is None:
            raise ValueError("keras.backend.placeholder: give `shape` or `ndim`")
        shape = (None,) * ndim
    return Input(batch_shape=tuple(shape), dtype=dtype or _backend.floatx(), name=name)


def function(inputs, outputs, updates=None, name=None, **kwargs):
    """A callable from a list of input arrays to the list of output arrays, for
    KerasTensor inputs and outputs (a functional model underneath)."""
    from ember.keras.models import Model
    if updates:
        raise ValueError("keras.backend.function: `updates` are not supported in eager "
                         "Keras; use a training step instead")
    single = not isinstance(outputs, (list, tuple))
    model = Model(inputs=inputs, outputs=outputs)

    def run(values):
        out = model(values if isinstance(inputs, (list, tuple)) else
                    (values[0] if isinstance(values, (list, tuple)) else values))
        outs = out if isinstance(out, (list, tuple)) else [out]
        result = [np.asarray(o.numpy()) for o in outs]
        return result[0] if single else result
    return run


def gradients(loss, variables):
    raise NotImplementedError("keras.backend.gradients needs a TF1 graph; in eager code use "
                              "ember.GradientTape (tape.gradient(loss, variables))")


name_scope = ember.name_scope


def print_tensor(x, message="", summarize=3):
    """Prints message and x's value; returns x."""
    ember.print(message, x, summarize=summarize)
    return x


# -------------------------------------------------------------------- learning phase ---
def learning_phase():
    """0 (test) or 1 (train), as set by set_learning_phase (0 when never set)."""
    value = _LEARNING_PHASE["value"]
    return 0 if value is None else value


def set_learning_phase(value):
    if value not in (0, 1):
        raise ValueError(f"Expected learning phase to be 0 or 1; received {value!r}")
    _LEARNING_PHASE["value"] = value


@contextlib.contextmanager
def learning_phase_scope(value):
    if value not in (0, 1):
        raise ValueError(f"Expected learning phase to be 0 or 1; received {value!r}")
    saved = _LEARNING_PHASE["value"]
    _LEARNING_PHASE["value"] = value
    try:
        yield
    finally:
        _LEARNING_PHASE["value"] = saved


def in_train_phase(x, alt, training=None):
    """x in training (``training`` or the learning phase), alt otherwise (callables are
    called)."""
    if training is None:
        training = learning_phase()
    if ember.is_tensor(training) and len(training.shape) == 0 and \
            not hasattr(training, "numpy"):
        return switch(training, x, alt)
    chosen = x if bool(training) else alt
    return chosen() if callable(chosen) else chosen


def in_test_phase(x, alt, training=None):
    return in_train_phase(alt, x, training=training)


# ------------------------------------------------------------------------------ nn ---
def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    """max(x, threshold) above the threshold, alpha * (x - threshold) below, capped at
    max_value."""
    x = _float(x)
    if alpha == 0 and threshold == 0 and max_value is None:
        return ember.nn.relu(x)
    below = alpha * (x - threshold) if alpha else ember.zeros_like(x)
    out = ember.where(x > threshold, x, below)
    if max_value is not None:
        out = ember.minimum(out, ember.cast(max_value, x.dtype))
    return out


def elu(x, alpha=1.0):
    x = _float(x)
    out = ember.nn.elu(x)
    return out if alpha == 1 else ember.where(x > 0, out, alpha * out)


def softmax(x, axis=-1):
    return ember.nn.softmax(_float(x), axis=axis)


def softplus(x):
    return ember.nn.softplus(_float(x))


def softsign(x):
    return ember.nn.softsign(_float(x))


def sigmoid(x):
    return ember.sigmoid(_float(x))


def tanh(x):
    return ember.tanh(_float(x))


def hard_sigmoid(x):
    """clip(0.2 x + 0.5, 0, 1) (Keras 2's piecewise-linear sigmoid)."""
    x = _float(x)
    return ember.clip_by_value(0.2 * x + 0.5, 0.0, 1.0)


def dropout(x, level, noise_shape=None, seed=None):
    return ember.nn.dropout(_float(x), rate=level, noise_shape=noise_shape, seed=seed)


def l2_normalize(x, axis=None):
    return ember.nn.l2_normalize(_float(x), axis=axis)


def in_top_k(predictions, targets, k):
    return ember.math.in_top_k(targets, predictions, k)


def bias_add(x, bias, data_format=None):
    x, bias = _t(x), _t(bias)
    cf = _channels_first(data_format)
    if len(bias.shape) == 1:
        return ember.nn.bias_add(x, bias, data_format="NCHW" if cf and len(x.shape) > 2
                                 else None)
    b = bias
    if cf:
        b = ember.transpose(b, [len(b.shape) - 1] + list(range(len(b.shape) - 1)))
    return x + ember.reshape(b, [1] + list(int_shape(b)))


def batch_normalization(x, mean, var, beta, gamma, axis=-1, epsilon=1e-3):
    return ember.nn.batch_normalization(x, mean, var, beta, gamma, epsilon)


def normalize_batch_in_training(x, gamma, beta, reduction_axes, epsilon=1e-3):
    """(normalized x, batch mean, batch variance) over reduction_axes."""
    x = _float(x)
    m, v = ember.nn.moments(x, list(reduction_axes), keepdims=False)
    keep = [1 if i in reduction_axes else d for i, d in enumerate(int_shape(x))]
    mb, vb = ember.reshape(m, keep), ember.reshape(v, keep)
    g = None if gamma is None else ember.reshape(gamma, keep)
    b = None if beta is None else ember.reshape(beta, keep)
    return ember.nn.batch_normalization(x, mb, vb, b, g, epsilon), m, v


def _crossentropy(name):
    def fn(target, output, from_logits=False, axis=-1):
        from ember.keras.ops import nn as ops_nn
        return getattr(ops_nn, name)(target, output, from_logits=from_logits, axis=axis)
    fn.__name__ = name
    return fn


def binary_crossentropy(target, output, from_logits=False):
    """Elementwise binary cross-entropy (output clipped to [epsilon, 1 - epsilon])."""
    from ember.keras.ops import nn as ops_nn
    return ops_nn.binary_crossentropy(target, output, from_logits=from_logits)


categorical_crossentropy = _crossentropy("categorical_crossentropy")
sparse_categorical_crossentropy = _crossentropy("sparse_categorical_crossentropy")


def binary_focal_crossentropy(target, output, apply_class_balancing=False, alpha=0.25,
                              gamma=2.0, from_logits=False):
    """Elementwise focal cross-entropy: (1 - p_t) ** gamma times the binary
    cross-entropy (times alpha / 1 - alpha with apply_class_balancing)."""
    output, target = _float(output), _float(target)
    target = ember.cast(target, output.dtype)
    bce = binary_crossentropy(target, output, from_logits=from_logits)
    prob = ember.sigmoid(output) if from_logits else output
    p_t = target * prob + (1.0 - target) * (1.0 - prob)
    out = ember.pow(1.0 - p_t, gamma) * bce
    if apply_class_balancing:
        out = (target * alpha + (1.0 - target) * (1.0 - alpha)) * out
    return out


def categorical_focal_crossentropy(target, output, alpha=0.25, gamma=2.0, from_logits=False,
                                   axis=-1):
    """sum over classes of alpha (1 - p) ** gamma * (-target log p)."""
    output, target = _float(output), _float(target)
    target = ember.cast(target, output.dtype)
    if from_logits:
        output = ember.nn.softmax(output, axis=axis)
    output = output / ember.reduce_sum(output, axis=axis, keepdims=True)
    eps = _backend.epsilon()
    output = ember.clip_by_value(output, eps, 1.0 - eps)
    ce = -target * ember.math.log(output)
    return ember.reduce_sum(alpha * ember.pow(1.0 - output, gamma) * ce, axis=axis)


# --------------------------------------------------------------- convolution, pooling ---
def _conv_format(data_format, rank):
    cf = _channels_first(data_format)
    return {1: "NCW" if cf else "NWC", 2: "NCHW" if cf else "NHWC",
            3: "NCDHW" if cf else "NDHWC"}[rank]


def _pad(padding):
    padding = padding.upper()
    if padding not in ("SAME", "VALID", "CAUSAL"):
        raise ValueError(f"Unknown padding: {padding.lower()!r}")
    return padding


def conv1d(x, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    x = _t(x)
    pad = _pad(padding)
    if pad == "CAUSAL":
        left = dilation_rate * (int(kernel.shape[0]) - 1)
        pads = [[0, 0], [0, 0], [left, 0]] if _channels_first(data_format) else \
            [[0, 0], [left, 0], [0, 0]]
        x = ember.pad(x, pads)
        pad = "VALID"
    return ember.nn.conv1d(x, kernel, stride=strides, padding=pad,
                           data_format=_conv_format(data_format, 1), dilations=dilation_rate)


def conv2d(x, kernel, strides=(1, 1), padding="valid", data_format=None,
           dilation_rate=(1, 1)):
    return ember.nn.conv2d(_t(x), kernel, strides=list(strides), padding=_pad(padding),
                           data_format=_conv_format(data_format, 2),
                           dilations=list(dilation_rate))


def conv3d(x, kernel, strides=(1, 1, 1), padding="valid", data_format=None,
           dilation_rate=(1, 1, 1)):
    cf = _channels_first(data_format)
    x = _t(x)
    if cf:
        x = ember.transpose(x, [0, 2, 3, 4, 1])
    out = ember.nn.conv3d(x, kernel, strides=[1] + list(strides) + [1], padding=_pad(padding),
                          dilations=[1] + list(dilation_rate) + [1])
    return ember.transpose(out, [0, 4, 1, 2, 3]) if cf else out


def conv2d_transpose(x, kernel, output_shape, strides=(1, 1), padding="valid",
                     data_format=None, dilation_rate=(1, 1)):
    cf = _channels_first(data_format)
    x = _t(x)
    shape = list(output_shape)
    if cf:
        x = ember.transpose(x, [0, 2, 3, 1])
        shape = [shape[0], shape[2], shape[3], shape[1]]
    out = ember.nn.conv2d_transpose(x, kernel, shape, strides=[1] + list(strides) + [1],
                                    padding=_pad(padding),
                                    dilations=[1] + list(dilation_rate) + [1])
    return ember.transpose(out, [0, 3, 1, 2]) if cf else out


def depthwise_conv2d(x, depthwise_kernel, strides=(1, 1), padding="valid", data_format=None,
                     dilation_rate=(1, 1)):
    cf = _channels_first(data_format)
    x = _t(x)
    if cf:
        x = ember.transpose(x, [0, 2, 3, 1])
    out = ember.nn.depthwise_conv2d(x, depthwise_kernel, strides=[1] + list(strides) + [1],
                                    padding=_pad(padding), dilations=list(dilation_rate))
    return ember.transpose(out, [0, 3, 1, 2]) if cf else out


def separable_conv2d(x, depthwise_kernel, pointwise_kernel, strides=(1, 1), padding="valid",
                     data_format=None, dilation_rate=(1, 1)):
    cf = _channels_first(data_format)
    x = _t(x)
    if cf:
        x = ember.transpose(x, [0, 2, 3, 1])
    out = ember.nn.separable_conv2d(x, depthwise_kernel, pointwise_kernel,
                                    strides=[1] + list(strides) + [1], padding=_pad(padding),
                                    dilations=list(dilation_rate))
    return ember.transpose(out, [0, 3, 1, 2]) if cf else out


def _pool(x, pool_size, strides, padding, data_format, pool_mode, rank):
    if pool_mode not in ("max", "avg"):
        raise ValueError(f"Invalid pool_mode: {pool_mode!r}")
    strides = strides if strides is not None else pool_size
    return ember.nn.pool(_t(x), list(pool_size), "MAX" if pool_mode == "max" else "AVG",
                         strides=list(strides), padding=_pad(padding),
                         data_format=_conv_format(data_format, rank))


def pool2d(x, pool_size, strides=(1, 1), padding="valid", data_format=None, pool_mode="max"):
    return _pool(x, pool_size, strides, padding, data_format, pool_mode, 2)


def pool3d(x, pool_size, strides=(1, 1, 1), padding="valid", data_format=None,
           pool_mode="max"):
    return _pool(x, pool_size, strides, padding, data_format, pool_mode, 3)


def _local_patches(inputs, kernel_size, strides, out_dims, cf):
    """[batch, positions, prod(kernel_size) * channels] patches of channels-last inputs,
    each patch flattened in (taps..., channels) order."""
    x = ember.transpose(inputs, [0] + list(range(2, len(inputs.shape))) + [1]) if cf else \
        inputs
    spatial = int_shape(x)[1:-1]
    c = int_shape(x)[-1]
    grids = np.meshgrid(*[np.arange(n) for n in out_dims], indexing="ij")
    taps = np.meshgrid(*[np.arange(k) for k in kernel_size], indexing="ij")
    flat = 0
    for d in range(len(spatial)):
        pos = grids[d].reshape(-1, 1) * strides[d] + taps[d].reshape(1, -1)
        flat = flat * spatial[d] + pos
    x_flat = ember.reshape(x, [-1, int(np.prod(spatial)), c])
    patches = ember.gather(x_flat, ember.constant(flat.astype(np.int32)), axis=1)
    return ember.reshape(patches, [-1, flat.shape[0], flat.shape[1] * c])


def local_conv1d(inputs, kernel, kernel_size, strides, data_format=None):
    """A locally connected 1-D layer's product: kernel [out_steps, k * channels, filters]
    (its own weights at each output step)."""
    cf = _channels_first(data_format)
    inputs = _t(inputs)
    out_steps = int(kernel.shape[0])
    patches = _local_patches(inputs, tuple(kernel_size), tuple(strides), (out_steps,), cf)
    out = ember.einsum("bpk,pkf->bpf", patches, kernel)
    return ember.transpose(out, [0, 2, 1]) if cf else out


def local_conv2d(inputs, kernel, kernel_size, strides, output_shape, data_format=None):
    """A locally connected 2-D layer's product: kernel [out_h * out_w, kh * kw * channels,
    filters]."""
    cf = _channels_first(data_format)
    inputs = _t(inputs)
    oh, ow = output_shape
    patches = _local_patches(inputs, tuple(kernel_size), tuple(strides), (oh, ow), cf)
    out = ember.einsum("bpk,pkf->bpf", patches, kernel)
    out = ember.reshape(out, [-1, oh, ow, int(kernel.shape[-1])])
    return ember.transpose(out, [0, 3, 1, 2]) if cf else out


# ---------------------------------------------------------------- padding and resizing ---
def temporal_padding(x, padding=(1, 1)):
    return ember.pad(_t(x), [[0, 0], list(padding), [0, 0]])


def spatial_2d_padding(x, padding=((1, 1), (1, 1)), data_format=None):
    pads = [list(p) for p in padding]
    if _channels_first(data_format):
        return ember.pad(_t(x), [[0, 0], [0, 0]] + pads)
    return ember.pad(_t(x), [[0, 0]] + pads + [[0, 0]])


def spatial_3d_padding(x, padding=((1, 1), (1, 1), (1, 1)), data_format=None):
    pads = [list(p) for p in padding]
    if _channels_first(data_format):
        return ember.pad(_t(x), [[0, 0], [0, 0]] + pads)
    return ember.pad(_t(x), [[0, 0]] + pads + [[0, 0]])


def resize_images(x, height_factor, width_factor, data_format, interpolation="nearest"):
    """x upsampled by integer factors ('nearest' or 'bilinear', ... as tf.image.resize)."""
    cf = _channels_first(data_format)
    x = _t(x)
    if cf:
        x = ember.transpose(x, [0, 2, 3, 1])
    h, w = int_shape(x)[1:3]
    if interpolation == "nearest":
        out = ember.repeat(ember.repeat(x, height_factor, axis=1), width_factor, axis=2)
    else:
        out = ember.image.resize(x, [h * height_factor, w * width_factor],
                                 method=interpolation)
    return ember.transpose(out, [0, 3, 1, 2]) if cf else out


def resize_volumes(x, depth_factor, height_factor, width_factor, data_format):
    axes = (2, 3, 4) if _channels_first(data_format) else (1, 2, 3)
    out = _t(x)
    for axis, factor in zip(axes, (depth_factor, height_factor, width_factor)):
        out = ember.repeat(out, factor, axis=axis)
    return out


# ------------------------------------------------------------------------------ random ---
def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    return ember.random.normal(shape, mean, stddev, dtype=dtype or _backend.floatx(),
                               seed=seed)


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    return ember.random.uniform(shape, minval, maxval, dtype=dtype or _backend.floatx(),
                                seed=seed)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    return ember.random.truncated_normal(shape, mean, stddev,
                                         dtype=dtype or _backend.floatx(), seed=seed)


def random_bernoulli(shape, p=0.0, dtype=None, seed=None):
    """1 with probability p, else 0."""
    u = ember.random.uniform(shape, dtype="float32", seed=seed)
    return ember.cast(u < p, dtype or _backend.floatx())


random_binomial = random_bernoulli


def random_normal_variable(shape, mean, scale, dtype=None, name=None, seed=None):
    return variable(random_normal(shape, mean, scale, dtype, seed).numpy(), dtype, name)


def random_uniform_variable(shape, low, high, dtype=None, name=None, seed=None):
    return variable(random_uniform(shape, low, high, dtype, seed).numpy(), dtype, name)


# ----------------------------------------------------------------------- control flow ---
def map_fn(fn, elems, name=None, dtype=None):
    return ember.map_fn(fn, elems, fn_output_signature=dtype)


def foldl(fn, elems, initializer=None, name=None):
    return ember.foldl(fn, elems, initializer=initializer)


def foldr(fn, elems, initializer=None, name=None):
    return ember.foldr(fn, elems, initializer=initializer)


def rnn(step_function, inputs, initial_states, go_backwards=False, mask=None, constants=None,
        unroll=False, input_length=None, time_major=False, zero_output_for_mask=False,
        return_all_outputs=True):
    """Runs ``step_function(input_t, states) -> (output_t, new_states)`` over the time axis:
    (last output, all outputs [batch, time, ...], final states). A masked step keeps the
    previous states (and output, or zeros with ``zero_output_for_mask``)."""
    x = _t(inputs)
    if not time_major:
        x = ember.transpose(x, [1, 0] + list(range(2, len(x.shape))))
    steps = int_shape(x)[0]
    if steps is None:
        raise ValueError("keras.backend.rnn: the number of time steps must be known")
    m = None
    if mask is not None:
        m = ember.cast(_t(mask), "bool")
        if not time_major:
            m = ember.transpose(m, [1, 0] + list(range(2, len(m.shape))))
    order = range(steps - 1, -1, -1) if go_backwards else range(steps)
    states = list(initial_states)
    outputs, last = [], None
    extra = list(constants or [])
    for t in order:
        out, new_states = step_function(x[t], states + extra)
        new_states = list(new_states) if isinstance(new_states, (list, tuple)) else \
            [new_states]
        if m is not None:
            keep = m[t]

            def pick(new, old, keep=keep):
                k = keep
                while len(k.shape) < len(new.shape):
                    k = ember.expand_dims(k, -1)
                return ember.where(ember.logical_and(k, ember.ones_like(new, "bool")), new,
                                   old)
            prev = last if last is not None else ember.zeros_like(out)
            out = pick(out, ember.zeros_like(out) if zero_output_for_mask else prev)
            new_states = [pick(n, o) for n, o in zip(new_states, states)]
        states = new_states
        last = out
        outputs.append(out)
    stacked = ember.stack(outputs, axis=0 if time_major else 1) if return_all_outputs else \
        ember.expand_dims(last, 0 if time_major else 1)
    return last, stacked, states


# --------------------------------------------------------------------------------- CTC ---
def ctc_label_dense_to_sparse(labels, label_lengths):
    """The SparseTensor of each row's first label_lengths[b] labels."""
    labels = _t(labels)
    lengths = ember.reshape(ember.cast(_t(label_lengths), "int32"), [-1, 1])
    width = ember.shape(labels)[1]
    inside = ember.range(width)[None, :] < lengths
    idx = ember.where(inside)
    return ember.sparse.SparseTensor(idx, ember.gather_nd(ember.cast(labels, "int32"), idx),
                                     ember.cast(ember.shape(labels), "int64"))


def ctc_batch_cost(y_true, y_pred, input_length, label_length):
    """CTC loss [batch, 1] of softmax outputs y_pred [batch, time, classes] (the last
    class is the blank) for labels y_true [batch, max_len] with their lengths [batch, 1]."""
    label_length = ember.reshape(ember.cast(_t(label_length), "int32"), [-1])
    input_length = ember.reshape(ember.cast(_t(input_length), "int32"), [-1])
    y_pred = _float(y_pred)
    logits = ember.math.log(ember.transpose(y_pred, [1, 0, 2]) + _backend.epsilon())
    loss = ember.nn.ctc_loss(ember.cast(_t(y_true), "int32"), logits, label_length,
                             input_length, blank_index=-1)
    return ember.expand_dims(loss, 1)


def ctc_decode(y_pred, input_length, greedy=True, beam_width=100, top_paths=1):
    """([decoded [batch, longest] padded with -1, ...], log probabilities) of softmax
    outputs y_pred [batch, time, classes] (the last class is the blank)."""
    y_pred = _float(y_pred)
    logits = ember.math.log(ember.transpose(y_pred, [1, 0, 2]) + _backend.epsilon())
    input_length = ember.cast(_t(input_length), "int32")
    if greedy:
        decoded, log_prob = ember.nn.ctc_greedy_decoder(logits, input_length)
    else:
        decoded, log_prob = ember.nn.ctc_beam_search_decoder_v2(
            logits, input_length, beam_width=beam_width, top_paths=top_paths,
            merge_repeated=False)
    shape = ember.cast(ember.shape(y_pred)[:2], "int64")      # (batch, time)
    return [ember.sparse.to_dense(ember.sparse.SparseTensor(d.indices, d.values, shape),
                                  default_value=-1) for d in decoded], log_prob
