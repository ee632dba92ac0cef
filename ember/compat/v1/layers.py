"""compat.v1.layers: TF1's layer functions and classes (``tf.layers.dense``, ``conv2d``,
``max_pooling2d``, ``batch_normalization``, ``tf.layers.Dense``, ...).

Each function makes its variables with ``get_variable`` inside a variable scope named after
the layer (``conv2d/kernel``, ``conv2d_1/kernel``, ... or ``name``), so ``reuse`` and
``variable_scope`` share them as in TensorFlow 1. A class instance calls its function with
one fixed scope, creating the variables on the first call and reusing them after.
``batch_normalization(training=...)`` (a bool or a boolean tensor) normalizes with the
batch's moments while training; in a graph its moving-average updates are added to the
``UPDATE_OPS`` collection (run them with ``control_dependencies``), eagerly they apply at
once. Layouts are TensorFlow's: kernels ``(*window, in, out)``, ``data_format``
``channels_last`` by default.
"""
from __future__ import annotations

import ember as _tf

_eager_counts = {}


def _unique(base):
    """``base``, ``base_1``, ... counted per graph (per process eagerly), as TF1 names
    layers."""
    if _tf.executing_eagerly():
        counts = _eager_counts
    else:
        counts = _v1().get_default_graph().__dict__.setdefault("_v1_layer_counts", {})
    n = counts.get(base, 0)
    counts[base] = n + 1
    return base if n == 0 else f"{base}_{n}"


def _v1():
    import ember.compat.v1 as v1
    return v1


def _tuple(value, n, what):
    if isinstance(value, int):
        return (value,) * n
    value = tuple(int(v) for v in value)
    if len(value) != n:
        raise ValueError(f"{what} must be an int or {n} ints, got {value!r}")
    return value


def _activate(out, activation):
    return activation(out) if activation is not None else out


def dense(inputs, units, activation=None, use_bias=True, kernel_initializer=None,
          bias_initializer=None, kernel_regularizer=None, bias_regularizer=None,
          trainable=True, name=None, reuse=None, **kwargs):
    """``activation(inputs @ kernel + bias)`` with variables ``name/kernel``, ``name/bias``."""
    v1 = _v1()
    inputs = _tf.convert_to_tensor(inputs)
    in_dim = inputs.shape[-1]
    if in_dim is None:
        raise ValueError("dense: the last dimension of the inputs must be known")
    scope = name or _unique("dense")
    with v1.variable_scope(scope, reuse=reuse):
        kernel = v1.get_variable("kernel", [in_dim, units], dtype=inputs.dtype,
                                 initializer=kernel_initializer,
                                 regularizer=kernel_regularizer, trainable=trainable)
        out = _tf.tensordot(inputs, kernel, [[inputs.shape.rank - 1], [0]]) \
            if inputs.shape.rank > 2 else _tf.matmul(inputs, kernel)
        if use_bias:
            out = _tf.nn.bias_add(out, _bias(v1, units, inputs.dtype, bias_initializer,
                                             bias_regularizer, trainable))
    return _activate(out, activation)


def _bias(v1, units, dtype, initializer, regularizer, trainable):
    return v1.get_variable("bias", [units], dtype=dtype,
                           initializer=initializer or v1.zeros_initializer(),
                           regularizer=regularizer, trainable=trainable)


def dropout(inputs, rate=0.5, noise_shape=None, seed=None, training=False, name=None):
    """Dropout while ``training`` (a bool or a boolean tensor); identity otherwise."""
    if isinstance(training, bool):
        if not training:
            return inputs
        return _tf.nn.dropout(inputs, rate=rate, noise_shape=noise_shape, seed=seed)
    return _tf.cond(_tf.cast(training, _tf.bool),
                    lambda: _tf.nn.dropout(inputs, rate=rate, noise_shape=noise_shape,
                                           seed=seed),
                    lambda: _tf.identity(inputs))


def flatten(inputs, name=None, data_format="channels_last"):
    inputs = _tf.convert_to_tensor(inputs)
    if data_format == "channels_first" and inputs.shape.rank and inputs.shape.rank > 2:
        inputs = _tf.transpose(inputs, [0] + list(range(2, inputs.shape.rank)) + [1])
    n = inputs.shape[1:].num_elements()
    if n is None:
        return _tf.reshape(inputs, _tf.stack([_tf.shape(inputs)[0], -1]))
    return _tf.reshape(inputs, [-1, n])


# -- convolutions -----------------------------------------------------------------------
def _to_last(x, data_format):
    if data_format == "channels_first":
        n = x.shape.rank
        return _tf.transpose(x, [0] + list(range(2, n)) + [1])
    if data_format != "channels_last":
        raise ValueError(f"data_format must be 'channels_last' or 'channels_first', got "
                         f"{data_format!r}")
    return x


def _from_last(x, data_format):
    if data_format == "channels_first":
        n = x.shape.rank
        return _tf.transpose(x, [0, n - 1] + list(range(1, n - 1)))
    return x


def _conv(rank, base, inputs, filters, kernel_size, strides, padding, data_format,
          dilation_rate, activation, use_bias, kernel_initializer, bias_initializer,
          kernel_regularizer, bias_regularizer, trainable, name, reuse):
    v1 = _v1()
    x = _to_last(_tf.convert_to_tensor(inputs), data_format)
    if x.shape.rank != rank + 2:
        raise ValueError(f"{base}: expected inputs of rank {rank + 2} (batch, {rank} spatial "
                         f"axes, channels), got shape {x.shape}")
    channels = x.shape[-1]
    if channels is None:
        raise ValueError(f"{base}: the channel dimension of the inputs must be known")
    window = _tuple(kernel_size, rank, f"{base}: kernel_size")
    strides = _tuple(strides, rank, f"{base}: strides")
    dilations = _tuple(dilation_rate, rank, f"{base}: dilation_rate")
    with v1.variable_scope(name or _unique(base), reuse=reuse):
        kernel = v1.get_variable("kernel", list(window) + [channels, filters], dtype=x.dtype,
                                 initializer=kernel_initializer,
                                 regularizer=kernel_regularizer, trainable=trainable)
        out = _tf.nn.convolution(x, kernel, strides=list(strides),
                                 padding=str(padding).upper(), dilations=list(dilations))
        if use_bias:
            out = _tf.nn.bias_add(out, _bias(v1, filters, x.dtype, bias_initializer,
                                             bias_regularizer, trainable))
    return _from_last(_activate(out, activation), data_format)


def conv1d(inputs, filters, kernel_size, strides=1, padding="valid",
           data_format="channels_last", dilation_rate=1, activation=None, use_bias=True,
           kernel_initializer=None, bias_initializer=None, kernel_regularizer=None,
           bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
           bias_constraint=None, trainable=True, name=None, reuse=None):
    return _conv(1, "conv1d", inputs, filters, kernel_size, strides, padding, data_format,
                 dilation_rate, activation, use_bias, kernel_initializer, bias_initializer,
                 kernel_regularizer, bias_regularizer, trainable, name, reuse)


def conv2d(inputs, filters, kernel_size, strides=(1, 1), padding="valid",
           data_format="channels_last", dilation_rate=(1, 1), activation=None, use_bias=True,
           kernel_initializer=None, bias_initializer=None, kernel_regularizer=None,
           bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
           bias_constraint=None, trainable=True, name=None, reuse=None):
    return _conv(2, "conv2d", inputs, filters, kernel_size, strides, padding, data_format,
                 dilation_rate, activation, use_bias, kernel_initializer, bias_initializer,
                 kernel_regularizer, bias_regularizer, trainable, name, reuse)


def conv3d(inputs, filters, kernel_size, strides=(1, 1, 1), padding="valid",
           data_format="channels_last", dilation_rate=(1, 1, 1), activation=None,
           use_bias=True, kernel_initializer=None, bias_initializer=None,
           kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
           kernel_constraint=None, bias_constraint=None, trainable=True, name=None,
           reuse=None):
    return _conv(3, "conv3d", inputs, filters, kernel_size, strides, padding, data_format,
                 dilation_rate, activation, use_bias, kernel_initializer, bias_initializer,
                 kernel_regularizer, bias_regularizer, trainable, name, reuse)


def _transposed_size(size, window, stride, padding):
    if size is None:
        return None
    if padding == "valid":
        return size * stride + max(window - stride, 0)
    return size * stride


def conv2d_transpose(inputs, filters, kernel_size, strides=(1, 1), padding="valid",
                     data_format="channels_last", activation=None, use_bias=True,
                     kernel_initializer=None, bias_initializer=None, kernel_regularizer=None,
                     bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                     bias_constraint=None, trainable=True, name=None, reuse=None):
    """The transposed convolution; kernel ``(kh, kw, filters, in_channels)``."""
    v1 = _v1()
    x = _to_last(_tf.convert_to_tensor(inputs), data_format)
    window = _tuple(kernel_size, 2, "conv2d_transpose: kernel_size")
    strides = _tuple(strides, 2, "conv2d_transpose: strides")
    padding = str(padding).lower()
    channels = x.shape[-1]
    with v1.variable_scope(name or _unique("conv2d_transpose"), reuse=reuse):
        kernel = v1.get_variable("kernel", list(window) + [filters, channels], dtype=x.dtype,
                                 initializer=kernel_initializer,
                                 regularizer=kernel_regularizer, trainable=trainable)
        dyn = _tf.shape(x)
        sizes = [_transposed_size(x.shape[i + 1], window[i], strides[i], padding)
                 for i in range(2)]
        out_shape = _tf.stack([dyn[0]] + [s if s is not None else dyn[i + 1] * strides[i]
                                          for i, s in enumerate(sizes)] + [filters])
        out = _tf.nn.conv2d_transpose(x, kernel, out_shape, strides=list(strides),
                                      padding=padding.upper())
        if use_bias:
            out = _tf.nn.bias_add(out, _bias(v1, filters, x.dtype, bias_initializer,
                                             bias_regularizer, trainable))
    return _from_last(_activate(out, activation), data_format)


def separable_conv2d(inputs, filters, kernel_size, strides=(1, 1), padding="valid",
                     data_format="channels_last", dilation_rate=(1, 1), depth_multiplier=1,
                     activation=None, use_bias=True, depthwise_initializer=None,
                     pointwise_initializer=None, bias_initializer=None,
                     depthwise_regularizer=None, pointwise_regularizer=None,
                     bias_regularizer=None, activity_regularizer=None, trainable=True,
                     name=None, reuse=None, **kwargs):
    v1 = _v1()
    x = _to_last(_tf.convert_to_tensor(inputs), data_format)
    window = _tuple(kernel_size, 2, "separable_conv2d: kernel_size")
    strides = _tuple(strides, 2, "separable_conv2d: strides")
    channels = x.shape[-1]
    with v1.variable_scope(name or _unique("separable_conv2d"), reuse=reuse):
        depthwise = v1.get_variable("depthwise_kernel", list(window) +
                                    [channels, depth_multiplier], dtype=x.dtype,
                                    initializer=depthwise_initializer,
                                    regularizer=depthwise_regularizer, trainable=trainable)
        pointwise = v1.get_variable("pointwise_kernel", [1, 1, channels * depth_multiplier,
                                                         filters], dtype=x.dtype,
                                    initializer=pointwise_initializer,
                                    regularizer=pointwise_regularizer, trainable=trainable)
        out = _tf.nn.separable_conv2d(x, depthwise, pointwise,
                                      strides=[1] + list(strides) + [1],
                                      padding=str(padding).upper(),
                                      dilations=list(_tuple(dilation_rate, 2, "dilation_rate")))
        if use_bias:
            out = _tf.nn.bias_add(out, _bias(v1, filters, x.dtype, bias_initializer,
                                             bias_regularizer, trainable))
    return _from_last(_activate(out, activation), data_format)


# -- pooling ----------------------------------------------------------------------------
def _pool(rank, kind, inputs, pool_size, strides, padding, data_format):
    x = _to_last(_tf.convert_to_tensor(inputs), data_format)
    out = _tf.nn.pool(x, list(_tuple(pool_size, rank, "pool_size")), kind,
                      strides=list(_tuple(strides, rank, "strides")),
                      padding=str(padding).upper())
    return _from_last(out, data_format)


def max_pooling1d(inputs, pool_size, strides, padding="valid", data_format="channels_last",
                  name=None):
    return _pool(1, "MAX", inputs, pool_size, strides, padding, data_format)


def max_pooling2d(inputs, pool_size, strides, padding="valid", data_format="channels_last",
                  name=None):
    return _pool(2, "MAX", inputs, pool_size, strides, padding, data_format)


def max_pooling3d(inputs, pool_size, strides, padding="valid", data_format="channels_last",
                  name=None):
    return _pool(3, "MAX", inputs, pool_size, strides, padding, data_format)


def average_pooling1d(inputs, pool_size, strides, padding="valid",
                      data_format="channels_last", name=None):
    return _pool(1, "AVG", inputs, pool_size, strides, padding, data_format)


def average_pooling2d(inputs, pool_size, strides, padding="valid",
                      data_format="channels_last", name=None):
    return _pool(2, "AVG", inputs, pool_size, strides, padding, data_format)


def average_pooling3d(inputs, pool_size, strides, padding="valid",
                      data_format="channels_last", name=None):
    return _pool(3, "AVG", inputs, pool_size, strides, padding, data_format)


# -- batch normalization ----------------------------------------------------------------
def batch_normalization(inputs, axis=-1, momentum=0.99, epsilon=1e-3, center=True,
                        scale=True, beta_initializer=None, gamma_initializer=None,
                        moving_mean_initializer=None, moving_variance_initializer=None,
                        beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                        gamma_constraint=None, training=False, trainable=True, name=None,
                        reuse=None, renorm=False, renorm_clipping=None, renorm_momentum=0.99,
                        fused=None, virtual_batch_size=None, adjustment=None):
    """Batch normalization over every axis but ``axis``; see the module docstring for
    ``training`` and the moving-average updates."""
    if renorm or virtual_batch_size is not None or adjustment is not None:
        raise NotImplementedError("batch_normalization: renorm, virtual_batch_size and "
                                  "adjustment are not supported by ember")
    v1 = _v1()
    x = _tf.convert_to_tensor(inputs)
    rank = x.shape.rank
    axis = axis % rank
    size = x.shape[axis]
    if size is None:
        raise ValueError(f"batch_normalization: axis {axis} of the inputs must be known")
    reduce_axes = [i for i in range(rank) if i != axis]
    shape = [1] * rank
    shape[axis] = size
    with v1.variable_scope(name or _unique("batch_normalization"), reuse=reuse):
        gamma = v1.get_variable("gamma", [size], dtype=x.dtype,
                                initializer=gamma_initializer or v1.ones_initializer(),
                                regularizer=gamma_regularizer, trainable=trainable) \
            if scale else None
        beta = v1.get_variable("beta", [size], dtype=x.dtype,
                               initializer=beta_initializer or v1.zeros_initializer(),
                               regularizer=beta_regularizer, trainable=trainable) \
            if center else None
        moving_mean = v1.get_variable("moving_mean", [size], dtype=x.dtype,
                                      initializer=moving_mean_initializer or
                                      v1.zeros_initializer(), trainable=False)
        moving_var = v1.get_variable("moving_variance", [size], dtype=x.dtype,
                                     initializer=moving_variance_initializer or
                                     v1.ones_initializer(), trainable=False)

    def normalize(mean, variance):
        return _tf.nn.batch_normalization(
            x, _tf.reshape(mean, shape), _tf.reshape(variance, shape),
            None if beta is None else _tf.reshape(beta, shape),
            None if gamma is None else _tf.reshape(gamma, shape), epsilon)

    if isinstance(training, bool) and not training:
        return normalize(moving_mean, moving_var)
    batch_mean, batch_var = _tf.nn.moments(x, reduce_axes)
    if isinstance(training, bool):
        out = normalize(batch_mean, batch_var)
        new_mean, new_var = batch_mean, batch_var
    else:
        flag = _tf.cast(training, _tf.bool)
        out = _tf.cond(flag, lambda: normalize(batch_mean, batch_var),
                       lambda: normalize(moving_mean, moving_var))
        new_mean = _tf.where(flag, batch_mean, moving_mean)
        new_var = _tf.where(flag, batch_var, moving_var)
    updates = [moving_mean.assign_sub((moving_mean - new_mean) * (1.0 - momentum)),
               moving_var.assign_sub((moving_var - new_var) * (1.0 - momentum))]
    if not _tf.executing_eagerly():
        for u in updates:
            v1.add_to_collection(v1.GraphKeys.UPDATE_OPS, u)
    return out


# -- classes ----------------------------------------------------------------------------
class Layer:
    """A TF1 layer object: ``layer(inputs)`` applies its function with one variable scope,
    creating the variables on the first call and reusing them on later calls."""

    _function = None
    _base = "layer"

    def __init__(self, *args, name=None, **kwargs):
        self._args = args
        self._kwargs = kwargs
        self.name = name or _unique(self._base)
        self._called = False
        self.built = False

    def __call__(self, inputs, *args, **kwargs):
        v1 = _v1()
        call_kwargs = dict(self._kwargs)
        call_kwargs.update(kwargs)
        function = type(self)._function
        if "reuse" in function.__code__.co_varnames:
            call_kwargs["reuse"] = True if self._called else None
        if self._called:
            return function(inputs, *self._args, *args, name=self.name, **call_kwargs)
        before = set(id(v) for v in v1.global_variables())
        out = function(inputs, *self._args, *args, name=self.name, **call_kwargs)
        self._variables = [v for v in v1.global_variables() if id(v) not in before]
        self._called = self.built = True
        return out

    apply = __call__

    @property
    def variables(self):
        return list(getattr(self, "_variables", []))

    weights = variables

    @property
    def trainable_variables(self):
        return [v for v in self.variables if v.trainable]

    trainable_weights = trainable_variables


def _layer_class(class_name, function, base):
    return type(class_name, (Layer,), {"_function": staticmethod(function), "_base": base,
                                       "__doc__": f"TF1's ``{class_name}``: the object form of "
                                                  f"``{function.__name__}``."})


Dense = _layer_class("Dense", dense, "dense")
Dropout = _layer_class("Dropout", dropout, "dropout")
Flatten = _layer_class("Flatten", flatten, "flatten")
Conv1D = _layer_class("Conv1D", conv1d, "conv1d")
Conv2D = _layer_class("Conv2D", conv2d, "conv2d")
Conv3D = _layer_class("Conv3D", conv3d, "conv3d")
Conv2DTranspose = _layer_class("Conv2DTranspose", conv2d_transpose, "conv2d_transpose")
SeparableConv2D = _layer_class("SeparableConv2D", separable_conv2d, "separable_conv2d")
MaxPooling1D = _layer_class("MaxPooling1D", max_pooling1d, "max_pooling1d")
MaxPooling2D = _layer_class("MaxPooling2D", max_pooling2d, "max_pooling2d")
MaxPooling3D = _layer_class("MaxPooling3D", max_pooling3d, "max_pooling3d")
AveragePooling1D = _layer_class("AveragePooling1D", average_pooling1d, "average_pooling1d")
AveragePooling2D = _layer_class("AveragePooling2D", average_pooling2d, "average_pooling2d")
AveragePooling3D = _layer_class("AveragePooling3D", average_pooling3d, "average_pooling3d")
BatchNormalization = _layer_class("BatchNormalization", batch_normalization,
                                  "batch_normalization")
