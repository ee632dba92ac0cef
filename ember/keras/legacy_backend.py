"""tf.keras's backend functions (``from tensorflow.keras import backend as K``; ``K.mean``,
``K.batch_dot``, ``K.rnn``, ...), which Keras 3 keeps for programs written against
tf.keras 2. ``keras.backend`` serves them next to Keras 3's own names.

They follow TensorFlow's semantics (they were TensorFlow calls), on ember's ops: an image
function's ``data_format`` defaults to ``keras.config.image_data_format()``, ``zeros``,
``ones``, ``eye`` and ``variable`` return variables, ``cast_to_floatx`` keeps a NumPy array
a NumPy array, and ``gradients`` works only while a v1 graph is being built (eagerly it
raises, as in TensorFlow: use a GradientTape).
"""
from __future__ import annotations

import numpy as np

import ember
from ember.keras import backend as _config

_builtin_abs, _builtin_max, _builtin_min, _builtin_sum = abs, max, min, sum


def _floatx():
    return _config.floatx()


def _t(x, dtype=None):
    return ember.convert_to_tensor(x, dtype=dtype)


def _axis_list(axis):
    return list(axis) if isinstance(axis, (list, tuple)) else axis


def _data_format(data_format, where):
    data_format = data_format or _config.image_data_format()
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError(f"{where}: unknown data_format {data_format!r}; expected "
                         f"'channels_first' or 'channels_last'")
    return data_format


def _channels_last(x, data_format):
    """x in channels-last layout (a transpose when it is channels-first)."""
    if data_format == "channels_first":
        n = len(x.shape)
        return ember.transpose(x, [0] + list(range(2, n)) + [1])
    return x


def _back(x, data_format):
    if data_format == "channels_first":
        n = len(x.shape)
        return ember.transpose(x, [0, n - 1] + list(range(1, n - 1)))
    return x


def _padding(padding, where):
    padding = str(padding).lower()
    if padding not in ("same", "valid"):
        raise ValueError(f"{where}: unknown padding {padding!r}; expected 'same' or 'valid'")
    return padding.upper()


# -- variables and values ---------------------------------------------------------------
def variable(value, dtype=None, name=None, constraint=None):
    """A variable holding ``value`` (dtype: ``floatx()`` unless given)."""
    v = ember.Variable(_t(value, dtype or _floatx()) if not hasattr(value, "tocoo") else
                       _t(value.toarray(), dtype or _floatx()), name=name,
                       constraint=constraint)
    return v


def constant(value, dtype=None, shape=None, name=None):
    return ember.constant(value, dtype=dtype or _floatx(), shape=shape, name=name)


def _variable_of(tensor, dtype, name):
    return ember.Variable(tensor, dtype=dtype, name=name)


def zeros(shape, dtype=None, name=None):
    """A variable of zeros (a tensor when the shape is not fully known)."""
    dtype = dtype or _floatx()
    return _variable_of(ember.zeros(shape, dtype=dtype), dtype, name)


def ones(shape, dtype=None, name=None):
    """A variable of ones."""
    dtype = dtype or _floatx()
    return _variable_of(ember.ones(shape, dtype=dtype), dtype, name)


def eye(size, dtype=None, name=None):
    """A variable holding the identity matrix (``size`` an int or ``(rows, cols)``)."""
    dtype = dtype or _floatx()
    rows, cols = (size, size) if isinstance(size, int) else size
    return _variable_of(ember.eye(rows, cols, dtype=dtype), dtype, name)


def zeros_like(x, dtype=None, name=None):
    return ember.zeros_like(x, dtype=dtype, name=name)


def ones_like(x, dtype=None, name=None):
    return ember.ones_like(x, dtype=dtype, name=name)


def get_value(x):
    """x's value as a NumPy array."""
    if isinstance(x, np.ndarray):
        return x
    return np.asarray(x.numpy())


eval = get_value  # noqa: A001 - tf.keras's name


def batch_get_value(tensors):
    return [get_value(x) for x in tensors]


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
    """``x = momentum * x + (1 - momentum) * value``."""
    return x.assign(x * momentum + _t(value, x.dtype) * (1.0 - momentum))


def count_params(x):
    return int(np.prod(int_shape(x)))


def int_shape(x):
    """The static shape as a tuple of ints and None (None when the rank is unknown)."""
    shape = x.shape
    if isinstance(shape, tuple):
        return shape
    if getattr(shape, "rank", 0) is None:
        return None
    return tuple(shape.as_list())


def shape(x):
    """The dynamic shape, a tensor."""
    return ember.shape(x)


def ndim(x):
    return len(x.shape)


def dtype(x):
    return _config.standardize_dtype(x.dtype)


def cast(x, dtype):  # noqa: F811 - tf.keras's name
    return ember.cast(x, dtype)


def cast_to_floatx(x):
    """x as ``floatx()``; a NumPy array stays a NumPy array."""
    if isinstance(x, (np.ndarray, float, int, list, tuple)):
        return np.asarray(x, dtype=_floatx())
    return ember.cast(x, _floatx())


def is_sparse(tensor):
    return isinstance(tensor, ember.SparseTensor)


def to_dense(tensor):
    return ember.sparse.to_dense(tensor) if is_sparse(tensor) else tensor


def name_scope(name):
    return ember.name_scope(name)


def is_keras_tensor(x):
    from ember.keras.keras_tensor import KerasTensor
    return isinstance(x, KerasTensor)


def is_float_dtype(dtype):
    return _config.standardize_dtype(dtype).startswith(("float", "bfloat"))


def is_int_dtype(dtype):
    return _config.standardize_dtype(dtype).startswith(("int", "uint"))


def result_type(*dtypes):
    from ember.keras.ops._dtypes import result_type as keras_result_type
    return keras_result_type(*dtypes)


# -- elementwise, reductions, comparisons -----------------------------------------------
def abs(x):  # noqa: A001
    return ember.abs(x)


def exp(x):
    return ember.exp(x)


def log(x):
    return ember.math.log(x)


def sqrt(x):
    """The square root of ``max(x, 0)``."""
    x = _t(x)
    return ember.sqrt(ember.maximum(x, ember.zeros_like(x)))


def square(x):
    return ember.square(x)


def round(x):  # noqa: A001
    return ember.round(x)


def sign(x):
    return ember.sign(x)


def pow(x, a):  # noqa: A001
    return ember.pow(x, a)


def sin(x):
    return ember.sin(x)


def cos(x):
    return ember.cos(x)


def clip(x, min_value, max_value):
    """x clipped to [min_value, max_value] (a max below the min is raised to it; None is
    unbounded)."""
    if isinstance(min_value, (int, float)) and isinstance(max_value, (int, float)) and \
            max_value < min_value:
        max_value = min_value
    if min_value is None:
        min_value = -np.inf
    if max_value is None:
        max_value = np.inf
    return ember.clip_by_value(x, min_value, max_value)


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


def _numeric(x):
    x = _t(x)
    return ember.cast(x, _floatx()) if x.dtype == ember.bool else x


def max(x, axis=None, keepdims=False):  # noqa: A001
    return ember.reduce_max(x, _axis_list(axis), keepdims)


def min(x, axis=None, keepdims=False):  # noqa: A001
    return ember.reduce_min(x, _axis_list(axis), keepdims)


def sum(x, axis=None, keepdims=False):  # noqa: A001
    return ember.reduce_sum(x, _axis_list(axis), keepdims)


def prod(x, axis=None, keepdims=False):
    return ember.reduce_prod(x, _axis_list(axis), keepdims)


def mean(x, axis=None, keepdims=False):
    return ember.reduce_mean(_numeric(x), _axis_list(axis), keepdims)


def var(x, axis=None, keepdims=False):
    return ember.math.reduce_variance(_numeric(x), _axis_list(axis), keepdims)


def std(x, axis=None, keepdims=False):
    return ember.math.reduce_std(_numeric(x), _axis_list(axis), keepdims)


def any(x, axis=None, keepdims=False):  # noqa: A001
    return ember.reduce_any(ember.cast(x, ember.bool), _axis_list(axis), keepdims)


def all(x, axis=None, keepdims=False):  # noqa: A001
    return ember.reduce_all(ember.cast(x, ember.bool), _axis_list(axis), keepdims)


def argmax(x, axis=-1):
    return ember.argmax(x, axis)


def argmin(x, axis=-1):
    return ember.argmin(x, axis)


def cumsum(x, axis=0):
    return ember.cumsum(x, axis=axis)


def cumprod(x, axis=0):
    return ember.math.cumprod(x, axis=axis)


# -- shapes -----------------------------------------------------------------------------
def reshape(x, shape):
    return ember.reshape(x, shape)


def permute_dimensions(x, pattern):
    return ember.transpose(x, perm=list(pattern))


def transpose(x):
    return ember.transpose(x)


def flatten(x):
    return ember.reshape(x, [-1])


def batch_flatten(x):
    """(batch, ...) to (batch, product of the rest)."""
    return ember.reshape(x, ember.stack([ember.shape(x)[0], -1]))


def expand_dims(x, axis=-1):
    return ember.expand_dims(x, axis)


def squeeze(x, axis):
    return ember.squeeze(x, [axis])


def stack(x, axis=0):
    return ember.stack(x, axis=axis)


def concatenate(tensors, axis=-1):
    """Concatenation along ``axis``; sparse inputs are made dense first unless all are
    sparse."""
    if axis < 0:
        rank = ndim(tensors[0])
        axis = axis % rank if rank else 0
    if tensors and _builtin_sum(is_sparse(t) for t in tensors) == len(tensors):
        return ember.sparse.concat(axis, list(tensors))
    return ember.concat([to_dense(t) for t in tensors], axis)


def gather(reference, indices):
    return ember.gather(reference, indices)


def one_hot(indices, num_classes):
    return ember.one_hot(indices, depth=num_classes, axis=-1)


def arange(start, stop=None, step=1, dtype="int32"):
    """``range`` as a tensor; a negative start with no stop gives an empty range."""
    if stop is None and isinstance(start, (int, float)) and start < 0:
        start = 0
    result = ember.range(start, limit=stop, delta=step, name="arange")
    return ember.cast(result, dtype) if dtype != "int32" else result


def tile(x, n):
    if isinstance(n, int):
        n = [n]
    return ember.tile(x, n)


def repeat(x, n):
    """(batch, dim) to (batch, n, dim)."""
    if ndim(x) != 2:
        raise ValueError(f"repeat: x must be 2-D (batch, dim), got shape {int_shape(x)}")
    return ember.tile(ember.expand_dims(x, 1), [1, n, 1])


def repeat_elements(x, rep, axis):
    """Each slice along ``axis`` repeated ``rep`` times, as ``np.repeat``."""
    return ember.repeat(x, rep, axis=axis)


def reverse(x, axes):
    if isinstance(axes, int):
        axes = [axes]
    return ember.reverse(x, axes)


def temporal_padding(x, padding=(1, 1)):
    """Zero padding of a 3-D tensor's middle (time) axis."""
    if len(padding) != 2:
        raise ValueError(f"temporal_padding: padding must be a pair, got {padding!r}")
    return ember.pad(x, [[0, 0], list(padding), [0, 0]])


def _spatial_padding(x, padding, data_format, rank, where):
    data_format = _data_format(data_format, where)
    if len(padding) != rank or not _builtin_sum(len(p) == 2 for p in padding) == rank:
        raise ValueError(f"{where}: padding must be {rank} pairs, got {padding!r}")
    spatial = [list(p) for p in padding]
    if data_format == "channels_first":
        pattern = [[0, 0], [0, 0]] + spatial
    else:
        pattern = [[0, 0]] + spatial + [[0, 0]]
    return ember.pad(x, pattern)


def spatial_2d_padding(x, padding=((1, 1), (1, 1)), data_format=None):
    return _spatial_padding(x, padding, data_format, 2, "spatial_2d_padding")


def spatial_3d_padding(x, padding=((1, 1), (1, 1), (1, 1)), data_format=None):
    return _spatial_padding(x, padding, data_format, 3, "spatial_3d_padding")


def resize_images(x, height_factor, width_factor, data_format, interpolation="nearest"):
    """Images scaled by integer factors (``interpolation``: any ``image.resize`` method)."""
    data_format = _data_format(data_format, "resize_images")
    x = _channels_last(_t(x), data_format)
    h, w = int(x.shape[1]), int(x.shape[2])
    methods = {"nearest": "nearest", "bilinear": "bilinear", "bicubic": "bicubic",
               "lanczos3": "lanczos3", "lanczos5": "lanczos5", "gaussian": "gaussian",
               "area": "area", "mitchellcubic": "mitchellcubic"}
    if interpolation not in methods:
        raise ValueError(f"resize_images: interpolation should be one of {sorted(methods)}, "
                         f"got {interpolation!r}")
    out = ember.image.resize(x, [h * height_factor, w * width_factor],
                             method=methods[interpolation])
    if interpolation == "nearest":
        out = ember.cast(out, x.dtype)
    return _back(out, data_format)


def resize_volumes(x, depth_factor, height_factor, width_factor, data_format):
    """Volumes scaled by repeating each element along depth, height and width."""
    data_format = _data_format(data_format, "resize_volumes")
    first = 2 if data_format == "channels_first" else 1
    for axis, factor in zip(range(first, first + 3), (depth_factor, height_factor,
                                                       width_factor)):
        x = repeat_elements(x, factor, axis)
    return x


# -- products ---------------------------------------------------------------------------
def dot(x, y):
    """The matrix product, Theano-style for N-D: x's last axis against y's next-to-last
    (result shape ``x.shape[:-1] + y.shape[:-2] + y.shape[-1:]``)."""
    x, y = _t(x), _t(y)
    if ndim(x) > 2 or ndim(y) > 2:
        y_axis = ndim(y) - 2 if ndim(y) >= 2 else 0
        return ember.tensordot(x, y, [[ndim(x) - 1], [y_axis]])
    return ember.matmul(x, y)


def batch_dot(x, y, axes=None):
    """For each sample of the batch, the dot product of x's ``axes[0]`` with y's
    ``axes[1]``; the result has x's remaining axes then y's (a 1-D result gets a trailing
    axis of 1)."""
    x, y = _t(x), _t(y)
    nx, ny = ndim(x), ndim(y)
    if nx < 2 or ny < 2:
        raise ValueError(f"batch_dot: both inputs need at least rank 2, got shapes "
                         f"{int_shape(x)} and {int_shape(y)}")
    if axes is None:
        axes = [nx - 1, ny - 2] if ny > 2 else [nx - 1, ny - 1]
    if isinstance(axes, int):
        axes = [axes, axes]
    a0, a1 = (a + n if a < 0 else a for a, n in zip(axes, (nx, ny)))
    if a0 == 0 or a1 == 0:
        raise ValueError(f"batch_dot: cannot contract over axis 0 (the batch axis); got "
                         f"axes {axes}")
    if x.shape[a0] is not None and y.shape[a1] is not None and x.shape[a0] != y.shape[a1]:
        raise ValueError(f"batch_dot: x's axis {a0} has size {x.shape[a0]} but y's axis "
                         f"{a1} has size {y.shape[a1]}; they must be equal")
    x = ember.transpose(x, [i for i in range(nx) if i != a0] + [a0])
    y = ember.transpose(y, [0, a1] + [i for i in range(1, ny) if i != a1])
    x_rest = [int(d) for d in x.shape[1:-1]]
    y_rest = [int(d) for d in y.shape[2:]]
    k = int(x.shape[-1])
    batch = ember.shape(x)[0]
    x3 = ember.reshape(x, ember.stack([batch, int(np.prod(x_rest)) if x_rest else 1, k]))
    y3 = ember.reshape(y, ember.stack([batch, k, int(np.prod(y_rest)) if y_rest else 1]))
    out = ember.matmul(x3, y3)
    result = ember.reshape(out, ember.concat([[batch], ember.constant(x_rest + y_rest,
                                                                      "int32")], 0)
                           if x_rest + y_rest else ember.stack([batch]))
    if not x_rest + y_rest:
        result = ember.expand_dims(result, 1)
    return result


# -- activations and losses -------------------------------------------------------------
def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    """ReLU with a leak ``alpha`` below ``threshold`` and an optional cap ``max_value``
    (``keras.activations.relu``)."""
    from ember.keras import activations
    return activations.relu(x, negative_slope=alpha, max_value=max_value, threshold=threshold)


def elu(x, alpha=1.0):
    res = ember.nn.elu(x)
    if alpha == 1:
        return res
    return ember.where(ember.greater(x, 0), res, alpha * res)


def softmax(x, axis=-1):
    return ember.nn.softmax(x, axis=axis)


def softplus(x):
    return ember.nn.softplus(x)


def softsign(x):
    return ember.nn.softsign(x)


def sigmoid(x):
    return ember.sigmoid(x)


def hard_sigmoid(x):
    """``clip(0.2 * x + 0.5, 0, 1)``."""
    x = _t(x)
    return ember.clip_by_value(x * 0.2 + 0.5, 0.0, 1.0)


def tanh(x):
    return ember.tanh(x)


def l2_normalize(x, axis=None):
    return ember.nn.l2_normalize(x, axis=axis)


def in_top_k(predictions, targets, k):
    return ember.math.in_top_k(targets, predictions, k)


def bias_add(x, bias, data_format=None):
    """x + bias along the channel axis given by ``data_format``."""
    data_format = _data_format(data_format, "bias_add")
    x, bias = _t(x), _t(bias)
    if ndim(bias) != 1 and ndim(bias) != ndim(x) - 1:
        raise ValueError(f"bias_add: bias must be 1-D or of rank ndim(x) - 1 = "
                         f"{ndim(x) - 1}, got shape {int_shape(bias)}")
    if ndim(bias) == 1:
        if data_format == "channels_first" and ndim(x) > 2:
            return x + ember.reshape(bias, [1, -1] + [1] * (ndim(x) - 2))
        return ember.nn.bias_add(x, bias)
    if data_format == "channels_first" and ndim(x) > 2:
        n = ndim(bias)
        bias = ember.transpose(bias, [n - 1] + list(range(n - 1)))
    return x + ember.expand_dims(bias, 0)


def batch_normalization(x, mean, var, beta, gamma, axis=-1, epsilon=1e-3):
    """``(x - mean) / sqrt(var + epsilon) * gamma + beta``, the 1-D statistics laid along
    ``axis``."""
    x = _t(x)
    n = ndim(x)
    axis = axis % n

    def along(v):
        if v is None:
            return None
        v = _t(v, x.dtype)
        if ndim(v) == 1 and n > 1:
            return ember.reshape(v, [1] * axis + [-1] + [1] * (n - axis - 1))
        return v

    return ember.nn.batch_normalization(x, along(mean), along(var), along(beta), along(gamma),
                                        epsilon)


def _epsilon(dtype):
    return ember.constant(_config.epsilon(), dtype=dtype)


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    target, output = _t(target), _t(output)
    if from_logits:
        return ember.nn.softmax_cross_entropy_with_logits(labels=target, logits=output,
                                                          axis=axis)
    output = output / ember.reduce_sum(output, axis, keepdims=True)
    eps = _epsilon(output.dtype)
    output = ember.clip_by_value(output, eps, 1.0 - eps)
    return -ember.reduce_sum(target * ember.math.log(output), axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1,
                                    ignore_class=None):
    target, output = _t(target), _t(output)
    if not from_logits:
        eps = _epsilon(output.dtype)
        output = ember.math.log(ember.clip_by_value(output, eps, 1.0 - eps))
    n = ndim(output)
    if axis != -1 and axis != n - 1:
        output = ember.transpose(output, [i for i in range(n) if i != axis % n] + [axis % n])
    target = ember.cast(target, "int64")
    if ndim(target) == n:
        target = ember.squeeze(target, [-1])
    if ignore_class is not None:
        valid = ember.not_equal(target, ignore_class)
        safe = ember.where(valid, target, ember.zeros_like(target))
        res = ember.nn.sparse_softmax_cross_entropy_with_logits(labels=safe, logits=output)
        return ember.where(valid, res, ember.zeros_like(res))
    return ember.nn.sparse_softmax_cross_entropy_with_logits(labels=target, logits=output)


def binary_crossentropy(target, output, from_logits=False):
    target, output = _t(target), _t(output)
    if from_logits:
        return ember.nn.sigmoid_cross_entropy_with_logits(labels=target, logits=output)
    eps = _epsilon(output.dtype)
    output = ember.clip_by_value(output, eps, 1.0 - eps)
    bce = target * ember.math.log(output + eps)
    bce = bce + (1.0 - target) * ember.math.log(1.0 - output + eps)
    return -bce


def binary_focal_crossentropy(target, output, apply_class_balancing=False, alpha=0.25,
                              gamma=2.0, from_logits=False):
    target, output = _t(target), _t(output)
    probs = ember.sigmoid(output) if from_logits else output
    p_t = target * probs + (1.0 - target) * (1.0 - probs)
    focal = ember.pow(1.0 - p_t, gamma)
    result = focal * binary_crossentropy(target, output, from_logits)
    if apply_class_balancing:
        result = (target * alpha + (1.0 - target) * (1.0 - alpha)) * result
    return result


def categorical_focal_crossentropy(target, output, alpha=0.25, gamma=2.0, from_logits=False,
                                   axis=-1):
    target, output = _t(target), _t(output)
    if from_logits:
        output = ember.nn.softmax(output, axis=axis)
    output = output / ember.reduce_sum(output, axis, keepdims=True)
    eps = _epsilon(output.dtype)
    output = ember.clip_by_value(output, eps, 1.0 - eps)
    cce = -target * ember.math.log(output)
    weight = ember.pow(1.0 - output, gamma) * alpha
    return ember.reduce_sum(weight * cce, axis)


def dropout(x, level, noise_shape=None, seed=None):
    return ember.nn.dropout(x, rate=level, noise_shape=noise_shape, seed=seed)


# -- convolution and pooling ------------------------------------------------------------
def _conv(x, data_format, where, run):
    data_format = _data_format(data_format, where)
    return _back(run(_channels_last(_t(x), data_format)), data_format)


def conv1d(x, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """1-D convolution (``padding`` also ``'causal'``: left padding only)."""
    if str(padding).lower() == "causal":
        left = dilation_rate * (int(kernel.shape[0]) - 1)
        data_format = _data_format(data_format, "conv1d")
        x = ember.pad(x, [[0, 0], [0, 0], [left, 0]] if data_format == "channels_first"
                      else [[0, 0], [left, 0], [0, 0]])
        padding = "valid"
    padding = _padding(padding, "conv1d")
    return _conv(x, data_format, "conv1d", lambda y: ember.nn.conv1d(
        y, kernel, stride=strides, padding=padding, dilations=dilation_rate))


def conv2d(x, kernel, strides=(1, 1), padding="valid", data_format=None,
           dilation_rate=(1, 1)):
    padding = _padding(padding, "conv2d")
    return _conv(x, data_format, "conv2d", lambda y: ember.nn.conv2d(
        y, kernel, strides=list(strides), padding=padding, dilations=list(dilation_rate)))


def conv3d(x, kernel, strides=(1, 1, 1), padding="valid", data_format=None,
           dilation_rate=(1, 1, 1)):
    padding = _padding(padding, "conv3d")
    return _conv(x, data_format, "conv3d", lambda y: ember.nn.conv3d(
        y, kernel, strides=[1] + list(strides) + [1], padding=padding,
        dilations=[1] + list(dilation_rate) + [1]))


def conv2d_transpose(x, kernel, output_shape, strides=(1, 1), padding="valid",
                     data_format=None, dilation_rate=(1, 1)):
    """The transposed 2-D convolution to ``output_shape`` (given in ``data_format``'s
    layout)."""
    data_format = _data_format(data_format, "conv2d_transpose")
    padding = _padding(padding, "conv2d_transpose")
    output_shape = list(output_shape)
    if data_format == "channels_first":
        output_shape = [output_shape[0], output_shape[2], output_shape[3], output_shape[1]]
    return _conv(x, data_format, "conv2d_transpose", lambda y: ember.nn.conv2d_transpose(
        y, kernel, output_shape, strides=list(strides), padding=padding,
        dilations=list(dilation_rate)))


def depthwise_conv2d(x, depthwise_kernel, strides=(1, 1), padding="valid", data_format=None,
                     dilation_rate=(1, 1)):
    padding = _padding(padding, "depthwise_conv2d")
    return _conv(x, data_format, "depthwise_conv2d", lambda y: ember.nn.depthwise_conv2d(
        y, depthwise_kernel, strides=[1] + list(strides) + [1], padding=padding,
        dilations=list(dilation_rate)))


def separable_conv2d(x, depthwise_kernel, pointwise_kernel, strides=(1, 1), padding="valid",
                     data_format=None, dilation_rate=(1, 1)):
    padding = _padding(padding, "separable_conv2d")
    return _conv(x, data_format, "separable_conv2d", lambda y: ember.nn.separable_conv2d(
        y, depthwise_kernel, pointwise_kernel, strides=[1] + list(strides) + [1],
        padding=padding, dilations=list(dilation_rate)))


def _pool(x, pool_size, strides, padding, data_format, pool_mode, where, rank):
    padding = _padding(padding, where)
    if pool_mode not in ("max", "avg"):
        raise ValueError(f"{where}: pool_mode must be 'max' or 'avg', got {pool_mode!r}")
    return _conv(x, data_format, where, lambda y: ember.nn.pool(
        y, list(pool_size), "MAX" if pool_mode == "max" else "AVG", padding=padding,
        strides=list(strides)))


def pool2d(x, pool_size, strides=(1, 1), padding="valid", data_format=None, pool_mode="max"):
    return _pool(x, pool_size, strides, padding, data_format, pool_mode, "pool2d", 2)


def pool3d(x, pool_size, strides=(1, 1, 1), padding="valid", data_format=None,
           pool_mode="max"):
    return _pool(x, pool_size, strides, padding, data_format, pool_mode, "pool3d", 3)


# -- control flow, gradients, randomness ------------------------------------------------
def switch(condition, then_expression, else_expression):
    """``then_expression`` where ``condition`` holds, else ``else_expression``: a scalar
    condition picks one (the expressions may be callables), a tensor condition selects
    elementwise (broadcast over the expressions' trailing axes)."""
    condition = _t(condition)
    if condition.dtype != ember.bool:
        condition = ember.cast(condition, ember.bool)
    cond_ndim = ndim(condition)
    if not cond_ndim:
        then_fn = then_expression if callable(then_expression) else (lambda: then_expression)
        else_fn = else_expression if callable(else_expression) else (lambda: else_expression)
        return ember.cond(condition, then_fn, else_fn)
    if callable(then_expression):
        then_expression = then_expression()
    if callable(else_expression):
        else_expression = else_expression()
    then_expression, else_expression = _t(then_expression), _t(else_expression)
    expr_ndim = ndim(then_expression)
    if cond_ndim > expr_ndim:
        raise ValueError(f"switch: the rank of condition ({cond_ndim}) must not exceed the "
                         f"rank of then_expression ({expr_ndim})")
    if cond_ndim > 1:
        # a condition of rank >= 2 covers the expressions' leading axes; a 1-D one
        # broadcasts against their last axis (TensorFlow's rule for this function)
        cond_shape = ember.concat([ember.shape(condition),
                                   ember.ones([expr_ndim - cond_ndim], "int32")], 0)
        condition = ember.reshape(condition, cond_shape)
        expr_shape = ember.shape(then_expression)
        condition = ember.tile(condition, ember.where(ember.greater(expr_shape - cond_shape, 0),
                                                      expr_shape, ember.ones_like(expr_shape)))
    return ember.where(condition, then_expression, else_expression)


def stop_gradient(variables):
    if isinstance(variables, (list, tuple)):
        return [ember.stop_gradient(v) for v in variables]
    return ember.stop_gradient(variables)


def gradients(loss, variables):
    """Symbolic gradients while a v1 graph is being built (``tf.compat.v1.gradients``);
    eagerly it raises, as in TensorFlow."""
    if ember.executing_eagerly():
        raise RuntimeError("keras.backend.gradients is not supported when eager execution "
                           "is enabled: use a GradientTape instead")
    return ember.compat.v1.gradients(loss, variables)


def map_fn(fn, elems, name=None, dtype=None):
    return ember.map_fn(fn, elems, name=name, fn_output_signature=dtype)


def foldl(fn, elems, initializer=None, name=None):
    return ember.foldl(fn, elems, initializer=initializer, name=name)


def foldr(fn, elems, initializer=None, name=None):
    return ember.foldr(fn, elems, initializer=initializer, name=name)


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    return ember.random.normal(shape, mean, stddev, dtype=dtype or _floatx(), seed=seed)


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    return ember.random.uniform(shape, minval, maxval, dtype=dtype or _floatx(),
                                seed=seed)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    return ember.random.truncated_normal(shape, mean, stddev, dtype=dtype or _floatx(),
                                         seed=seed)


def random_bernoulli(shape, p=0.0, dtype=None, seed=None):
    dtype = dtype or _floatx()
    draws = ember.random.uniform(shape, dtype=dtype, seed=seed)
    return ember.where(ember.less(draws, p), ember.ones(shape, dtype), ember.zeros(shape, dtype))


def random_normal_variable(shape, mean, scale, dtype=None, name=None, seed=None):
    return variable(random_normal(shape, mean, scale, dtype, seed), dtype=dtype, name=name)


def random_uniform_variable(shape, low, high, dtype=None, name=None, seed=None):
    return variable(random_uniform(shape, low, high, dtype, seed), dtype=dtype, name=name)


# -- recurrence -------------------------------------------------------------------------
def rnn(step_function, inputs, initial_states, go_backwards=False, mask=None,
        constants=None, unroll=False, input_length=None, time_major=False,
        zero_output_for_mask=False, return_all_outputs=True):
    """Runs ``step_function(input_t, states + constants) -> (output_t, new_states)`` over
    the time axis; returns ``(last_output, outputs, new_states)``. Where ``mask`` is False
    a step keeps the previous states, and its output is the previous output (or zeros
    with ``zero_output_for_mask``)."""
    inputs = ember.nest.map_structure(_t, inputs)
    flat = ember.nest.flatten(inputs)
    if not time_major:
        flat = [ember.transpose(t, [1, 0] + list(range(2, ndim(t)))) for t in flat]
    steps = flat[0].shape[0]
    if steps is None:
        raise ValueError("rnn: the number of time steps must be known (a static time axis)")
    if mask is not None:
        mask = _t(mask)
        if mask.dtype != ember.bool:
            mask = ember.cast(mask, ember.bool)
        if ndim(mask) == 2 and not time_major:
            mask = ember.transpose(mask)
        elif ndim(mask) != 2:
            raise ValueError(f"rnn: mask must be 2-D (batch, time), got shape "
                             f"{int_shape(mask)}")
    states = list(initial_states)
    constants = list(constants or [])
    order = range(steps - 1, -1, -1) if go_backwards else range(steps)
    outputs = []
    last = None
    for t in order:
        x_t = ember.nest.pack_sequence_as(inputs, [f[t] for f in flat])
        out, new_states = step_function(x_t, states + constants)
        new_states = list(new_states) if isinstance(new_states, (list, tuple)) else \
            [new_states]
        if mask is not None:
            m = mask[t]

            def keep(new, old):
                cond = ember.reshape(m, [-1] + [1] * (ndim(new) - 1))
                return ember.where(ember.broadcast_to(cond, ember.shape(new)), new, old)

            previous = last if last is not None and not zero_output_for_mask else \
                ember.zeros_like(out)
            out = keep(out, previous)
            new_states = [keep(n, o) for n, o in zip(new_states, states)]
        states = new_states
        last = out
        outputs.append(out)
    if not return_all_outputs:
        outputs = outputs[-1:]
    stacked = ember.stack(outputs, axis=0)
    if not time_major:
        stacked = ember.transpose(stacked, [1, 0] + list(range(2, ndim(stacked))))
    return last, stacked, states


# -- CTC --------------------------------------------------------------------------------
def ctc_label_dense_to_sparse(labels, label_lengths):
    """The first ``label_lengths[i]`` labels of each row of ``labels`` as a SparseTensor."""
    labels = np.asarray(get_value(labels) if not isinstance(labels, np.ndarray) else labels)
    lengths = np.asarray(get_value(label_lengths) if not isinstance(label_lengths, np.ndarray)
                         else label_lengths).reshape(-1)
    indices = [(i, j) for i in range(labels.shape[0]) for j in range(int(lengths[i]))]
    values = [labels[i, j] for i, j in indices]
    return ember.SparseTensor(np.asarray(indices, "int64").reshape(-1, 2),
                              np.asarray(values, labels.dtype), labels.shape)


def _ctc_op(name):
    fn = getattr(ember.nn, name, None)
    if fn is None:
        raise NotImplementedError(f"keras.backend: ember.nn.{name} is not available")
    return fn


def ctc_batch_cost(y_true, y_pred, input_length, label_length):
    """The CTC loss of each sample, shape (batch, 1), from softmax outputs ``y_pred``
    (batch, time, classes; the last class is the blank)."""
    label_length = ember.cast(ember.squeeze(_t(label_length), [-1]), "int32")
    input_length = ember.cast(ember.squeeze(_t(input_length), [-1]), "int32")
    y_pred = _t(y_pred)
    logits = ember.math.log(ember.transpose(y_pred, [1, 0, 2]) + _epsilon(y_pred.dtype))
    loss = _ctc_op("ctc_loss")(labels=ember.cast(y_true, "int32"), logits=logits,
                               label_length=label_length, logit_length=input_length,
                               logits_time_major=True, blank_index=-1)
    return ember.expand_dims(loss, 1)


def ctc_decode(y_pred, input_length, greedy=True, beam_width=100, top_paths=1):
    """Decodes softmax outputs: ``([dense decoded paths, -1 padded], log probabilities)``."""
    y_pred = _t(y_pred)
    logits = ember.math.log(ember.transpose(y_pred, [1, 0, 2]) + _epsilon(y_pred.dtype))
    input_length = ember.cast(_t(input_length), "int32")
    if greedy:
        decoded, log_prob = _ctc_op("ctc_greedy_decoder")(logits, input_length)
    else:
        decoded, log_prob = _ctc_op("ctc_beam_search_decoder")(
            logits, input_length, beam_width=beam_width, top_paths=top_paths)
    # padded to (batch, time) as tf.keras does
    shape = ember.cast(ember.shape(y_pred)[:2], "int64")
    dense = [ember.sparse.to_dense(ember.sparse.SparseTensor(d.indices, d.values, shape),
                                   default_value=-1) for d in decoded]
    return dense, log_prob


# -- learning phase ---------------------------------------------------------------------
_LEARNING_PHASE = {"value": None}


def learning_phase():
    """0 (test) or 1 (train), as set by set_learning_phase (0 when never set)."""
    value = _LEARNING_PHASE["value"]
    return 0 if value is None else value


def set_learning_phase(value):
    """Sets the process-wide learning phase (0 or 1) that in_train_phase reads."""
    if value not in (0, 1):
        raise ValueError(f"Expected learning phase to be 0 or 1; received {value!r}")
    _LEARNING_PHASE["value"] = value


class learning_phase_scope:  # noqa: N801
    """``with learning_phase_scope(1): ...`` sets the learning phase inside the block."""

    def __init__(self, value):
        if value not in (0, 1):
            raise ValueError(f"Expected learning phase to be 0 or 1; received {value!r}")
        self.value = value

    def __enter__(self):
        self.saved = _LEARNING_PHASE["value"]
        _LEARNING_PHASE["value"] = self.value

    def __exit__(self, *exc):
        _LEARNING_PHASE["value"] = self.saved


def in_train_phase(x, alt, training=None):
    """x when training (``training``, else the learning phase), alt otherwise; callables
    are called. A symbolic scalar ``training`` selects with switch."""
    if training is None:
        training = learning_phase()
    if ember.is_tensor(training) and not hasattr(training, "numpy"):
        return switch(training, x, alt)
    chosen = x if bool(training) else alt
    return chosen() if callable(chosen) else chosen


def in_test_phase(x, alt, training=None):
    return in_train_phase(alt, x, training=training)


def manual_variable_initialization(value):
    """tf.keras's switch for TF1 sessions; ember variables hold values when made."""
    _LEARNING_PHASE["manual_init"] = bool(value)


# -- graph-style helpers ----------------------------------------------------------------
def placeholder(shape=None, ndim=None, dtype=None, sparse=False, name=None, ragged=False):
    """A symbolic input (``keras.Input``) of the given full shape (batch axis included)."""
    from ember.keras.layers import Input
    if sparse or ragged:
        raise NotImplementedError("keras.backend.placeholder: sparse and ragged "
                                  "placeholders are not supported by ember")
    if shape is None:
        if ndim is None:
            raise ValueError("keras.backend.placeholder: give `shape` or `ndim`")
        shape = (None,) * ndim
    return Input(batch_shape=tuple(shape), dtype=dtype or _floatx(), name=name)


def function(inputs, outputs, updates=None, name=None, **kwargs):
    """A callable from the list of input arrays to the output arrays (NumPy), for
    KerasTensor inputs and outputs (a functional model underneath)."""
    from ember.keras.models import Model
    if updates:
        raise ValueError("keras.backend.function: `updates` are not supported in eager "
                         "Keras; write a training step instead")
    single = not isinstance(outputs, (list, tuple))
    several = isinstance(inputs, (list, tuple))
    model = Model(inputs=inputs, outputs=outputs)

    def run(values):
        if not several and isinstance(values, (list, tuple)):
            values = values[0]
        out = model(values)
        result = [np.asarray(o.numpy()) for o in (out if isinstance(out, (list, tuple))
                                                  else [out])]
        return result[0] if single else result
    return run


def print_tensor(x, message="", summarize=3):
    """Prints message and x's value; returns x."""
    ember.print(message, x, summarize=summarize)
    return x


random_binomial = random_bernoulli


def normalize_batch_in_training(x, gamma, beta, reduction_axes, epsilon=1e-3):
    """(x normalized by its batch statistics over reduction_axes, mean, variance)."""
    x = _t(x)
    mean, var = ember.nn.moments(x, list(reduction_axes), keepdims=False)
    keep = [1 if i in reduction_axes else d for i, d in enumerate(x.shape.as_list())]

    def shaped(v):
        return None if v is None else ember.reshape(v, keep)
    out = ember.nn.batch_normalization(x, shaped(mean), shaped(var), shaped(beta),
                                       shaped(gamma), epsilon)
    return out, mean, var


# -- locally connected ------------------------------------------------------------------
def _local_patches(x, kernel_size, strides, out_dims):
    """[batch, positions, prod(kernel_size) * channels] patches of channels-last x, each
    flattened in (taps..., channels) order, gathered in one op."""
    spatial = x.shape.as_list()[1:-1]
    c = x.shape.as_list()[-1]
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
    """A locally connected 1-D product: kernel [out_steps, k * channels, filters], its own
    weights at each output step."""
    data_format = _data_format(data_format, "local_conv1d")
    x = _channels_last(_t(inputs), data_format)
    patches = _local_patches(x, tuple(kernel_size), tuple(strides), (int(kernel.shape[0]),))
    return _back(ember.einsum("bpk,pkf->bpf", patches, kernel), data_format)


def local_conv2d(inputs, kernel, kernel_size, strides, output_shape, data_format=None):
    """A locally connected 2-D product: kernel [out_h * out_w, kh * kw * channels,
    filters]."""
    data_format = _data_format(data_format, "local_conv2d")
    x = _channels_last(_t(inputs), data_format)
    oh, ow = output_shape
    patches = _local_patches(x, tuple(kernel_size), tuple(strides), (oh, ow))
    out = ember.einsum("bpk,pkf->bpf", patches, kernel)
    return _back(ember.reshape(out, [-1, oh, ow, int(kernel.shape[-1])]), data_format)


__all__ = sorted(name for name, value in list(globals().items())
                 if not name.startswith("_") and callable(value) and
                 getattr(value, "__module__", None) == __name__)
