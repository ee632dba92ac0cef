"""Normalization layers: BatchNormalization, LayerNormalization, GroupNormalization."""
from __future__ import annotations

import numbers

import ember
from ember.keras.trainers import distribution as _distribution
from ember.keras import backend, constraints, initializers, regularizers
from ember.keras.layers.convolutional import shape_text
from ember.keras.layers.layer import InputSpec, Layer

__all__ = ["BatchNormalization", "LayerNormalization", "GroupNormalization", "RMSNormalization",
           "UnitNormalization"]

_MIN_FUSED_EPSILON = 1.001e-5
_LOW_PRECISION = ("float16", "bfloat16")


def _axis_list(axis, cls_name):
    if isinstance(axis, numbers.Integral) and not isinstance(axis, bool):
        return [int(axis)]
    if isinstance(axis, (list, tuple)) and all(
            isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in axis):
        return [int(a) for a in axis]
    raise TypeError(f"Expected an int or a list/tuple of ints for the argument 'axis' of "
                    f"{cls_name}, but received: {axis}")


def _normalize_axes(axes, ndim, layer):
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"Layer {layer.name}: invalid axis {a} for an input of rank "
                             f"{ndim}")
        out.append(a % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"Layer {layer.name}: duplicate axis in {axes}")
    return sorted(out)


class BatchNormalization(Layer):
    """Normalizes each channel (``axis``) with the batch's mean and biased variance in
    training and with moving averages at inference:
    ``gamma * (x - mean) / sqrt(var + epsilon) + beta``.

    In training (``training=True`` and the layer trainable) the moving statistics are
    updated as ``moving = moving * momentum + batch * (1 - momentum)``. A layer with
    ``trainable=False`` always runs in inference mode, as in Keras 3.

    >>> bn = BatchNormalization()
    >>> y = bn(ember.constant([[0.0], [2.0]]), training=True)
    >>> [w.name for w in bn.weights]
    ['gamma', 'beta', 'moving_mean', 'moving_variance']
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, synchronized=False, **kwargs):
        kwargs.pop("fused", None)
        for arg, default in (("renorm", False), ("virtual_batch_size", None),
                             ("adjustment", None), ("renorm_clipping", None),
                             ("renorm_momentum", 0.99)):
            if arg in kwargs:
                if kwargs.pop(arg) != default:
                    raise NotImplementedError(f"BatchNormalization: `{arg}` is not supported "
                                              f"(Keras 3 removed it)")
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)) and len(axis) == 1:
            axis = axis[0]          # tf.keras 2 configs store the axis as a list
        if not isinstance(axis, numbers.Integral) or isinstance(axis, bool):
            raise TypeError(f"Expected an int for the argument 'axis' of "
                            f"BatchNormalization, but received: {axis}")
        self.axis = int(axis)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.synchronized = bool(synchronized)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True
        self.gamma = self.beta = None

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        ndim = len(input_shape)
        if not -ndim <= self.axis < ndim:
            raise ValueError(f"Layer {self.name}: invalid axis {self.axis} for an input of "
                             f"shape {shape_text(input_shape)}")
        axis = self.axis % ndim
        dim = input_shape[axis]
        if dim is None:
            raise ValueError(f"Layer {self.name}: axis {self.axis} of the input must have a "
                             f"known size, got input shape {shape_text(input_shape)}")
        shape = (dim,)
        if self.scale:
            self.gamma = self.add_weight(name="gamma", shape=shape,
                                         initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer,
                                         constraint=self.gamma_constraint, autocast=False)
        if self.center:
            self.beta = self.add_weight(name="beta", shape=shape,
                                        initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint, autocast=False)
        self.moving_mean = self.add_weight(name="moving_mean", shape=shape,
                                           initializer=self.moving_mean_initializer,
                                           trainable=False, autocast=False)
        self.moving_variance = self.add_weight(name="moving_variance", shape=shape,
                                               initializer=self.moving_variance_initializer,
                                               trainable=False, autocast=False)
        self.input_spec = InputSpec(ndim=ndim, axes={axis: dim})
        self._reduction_axes = [i for i in range(ndim) if i != axis]
        self._norm_axis = axis
        self.built = True

    def _broadcast(self, v, ndim):
        if v is None or self._norm_axis == ndim - 1:
            return v
        shape = [1] * ndim
        shape[self._norm_axis] = -1
        return ember.reshape(v, shape)

    def _fused_ok(self, inputs, mask):
        ndim = inputs.shape.rank
        return (mask is None and self.epsilon >= _MIN_FUSED_EPSILON and ndim >= 2 and
                self._norm_axis in (1, ndim - 1) and inputs.dtype.name in
                ("float32", "float64"))

    def _train_fused(self, inputs):
        ndim = inputs.shape.rank
        c = inputs.shape[self._norm_axis]
        gamma = self.gamma if self.gamma is not None else ember.ones([c], inputs.dtype)
        beta = self.beta if self.beta is not None else ember.zeros([c], inputs.dtype)
        fmt = "NHWC" if self._norm_axis == ndim - 1 else "NCHW"
        y, mean, unbiased = ember.nn.fused_batch_norm(
            inputs, ember.cast(gamma, inputs.dtype), ember.cast(beta, inputs.dtype),
            epsilon=self.epsilon, data_format=fmt)
        n = inputs.shape.num_elements()
        if n is not None:
            m = n // c
            variance = unbiased * ((m - 1) / m) if m > 1 else unbiased
        else:
            m = ember.cast(ember.size(inputs) // c, unbiased.dtype)
            variance = unbiased * (ember.maximum(m - 1.0, 1.0) / m)
        return y, mean, variance

    def _moments(self, inputs, mask):
        if mask is None:
            return ember.nn.moments(inputs, self._reduction_axes)
        ndim = inputs.shape.rank
        w = ember.cast(mask, inputs.dtype)
        while w.shape.rank < ndim:
            w = ember.expand_dims(w, -1)
        eps = backend.epsilon()
        count = ember.reduce_sum(w * ember.ones_like(inputs), self._reduction_axes,
                                 keepdims=True) + eps
        mean = ember.reduce_sum(w * inputs, self._reduction_axes, keepdims=True) / count
        var = ember.reduce_sum(w * ember.square(inputs - mean), self._reduction_axes,
                               keepdims=True) / count
        return ember.reshape(mean, [-1]), ember.reshape(var, [-1])

    def call(self, inputs, training=None, mask=None):
        input_dtype = inputs.dtype
        if input_dtype.name in _LOW_PRECISION:
            inputs = ember.cast(inputs, "float32")
        ndim = inputs.shape.rank
        if training and self.trainable:
            if self.synchronized and _distribution.num_replicas_in_sync() > 1:
                raise NotImplementedError(
                    f"BatchNormalization {self.name!r}: synchronized=True (batch statistics "
                    f"over all replicas of a tf.distribute strategy) is not supported in "
                    f"ember; use synchronized=False (each replica normalizes with its own "
                    f"batch statistics)")
            if self._fused_ok(inputs, mask):
                y, mean, variance = self._train_fused(inputs)
            else:
                mean, variance = self._moments(inputs, mask)
                y = None
            self._update_moving(mean, variance)
            if y is not None:
                return ember.cast(y, input_dtype) if y.dtype != input_dtype else y
        else:
            mean = ember.cast(self.moving_mean, inputs.dtype)
            variance = ember.cast(self.moving_variance, inputs.dtype)
        gamma = None if self.gamma is None else ember.cast(self.gamma, inputs.dtype)
        beta = None if self.beta is None else ember.cast(self.beta, inputs.dtype)
        y = ember.nn.batch_normalization(
            inputs, self._broadcast(mean, ndim), self._broadcast(variance, ndim),
            self._broadcast(beta, ndim), self._broadcast(gamma, ndim), self.epsilon)
        return ember.cast(y, input_dtype) if y.dtype != input_dtype else y

    def _update_moving(self, mean, variance):
        momentum = self.momentum
        for var, batch in ((self.moving_mean, mean), (self.moving_variance, variance)):
            batch = ember.cast(batch, var.dtype)
            var.assign(var * momentum + batch * (1.0 - momentum))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer":
                initializers.serialize(self.moving_variance_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
            "synchronized": self.synchronized,
        })
        return config


class LayerNormalization(Layer):
    """Normalizes each sample over ``axis`` (the last by default):
    ``gamma * (x - mean) / sqrt(var + epsilon) + beta``; with ``rms_scaling``,
    ``gamma * x / sqrt(mean(x ** 2) + epsilon)``.

    >>> y = LayerNormalization()(ember.constant([[1.0, 3.0]]))
    >>> [round(float(v), 3) for v in y[0]]
    [-0.999, 0.999]
    """

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, rms_scaling=False,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.axis = _axis_list(axis, "LayerNormalization")
        self._axis_arg = axis if isinstance(axis, numbers.Integral) else list(self.axis)
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.rms_scaling = bool(rms_scaling)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True
        self.gamma = self.beta = None

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        ndim = len(input_shape)
        self._axes = _normalize_axes(self.axis, ndim, self)
        shape = tuple(input_shape[a] for a in self._axes)
        if any(d is None for d in shape):
            raise ValueError(f"Layer {self.name}: the normalized axes {self.axis} must have "
                             f"known sizes, got input shape {shape_text(input_shape)}")
        if self.scale or self.rms_scaling:
            self.gamma = self.add_weight(name="gamma", shape=shape,
                                         initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer,
                                         constraint=self.gamma_constraint, autocast=False)
        if self.center and not self.rms_scaling:
            self.beta = self.add_weight(name="beta", shape=shape,
                                        initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint, autocast=False)
        self._bshape = [input_shape[i] if i in self._axes else 1 for i in range(ndim)]
        self._trailing = self._axes == list(range(ndim - len(self._axes), ndim))
        self.input_spec = InputSpec(ndim=ndim, axes={a: input_shape[a] for a in self._axes})
        self.built = True

    def _param(self, v, dtype):
        if v is None:
            return None
        v = ember.cast(v, dtype)
        return v if self._trailing else ember.reshape(v, self._bshape)

    def call(self, inputs):
        input_dtype = inputs.dtype
        if input_dtype.name in _LOW_PRECISION:
            inputs = ember.cast(inputs, "float32")
        gamma = self._param(self.gamma, inputs.dtype)
        beta = self._param(self.beta, inputs.dtype)
        if self.rms_scaling:
            ms = ember.reduce_mean(ember.square(inputs), self._axes, keepdims=True)
            y = inputs * ember.math.rsqrt(ms + self.epsilon)
            if gamma is not None:
                y = y * gamma
        else:
            mean, variance = ember.nn.moments(inputs, self._axes, keepdims=True)
            inv = ember.math.rsqrt(variance + self.epsilon)
            if gamma is not None:
                inv = inv * gamma
            shift = -mean * inv
            if beta is not None:
                shift = shift + beta
            y = inputs * inv + shift
        return ember.cast(y, input_dtype) if y.dtype != input_dtype else y

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({
            "axis": self._axis_arg,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "rms_scaling": self.rms_scaling,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        })
        return config


class GroupNormalization(Layer):
    """Splits the channels (``axis``) into ``groups`` and normalizes each group of each
    sample over its channels and spatial positions; ``groups=-1`` is instance
    normalization, ``groups=1`` layer normalization over all but the batch axis.

    >>> GroupNormalization(groups=2)(ember.ones([2, 3, 4])).shape
    TensorShape([2, 3, 4])
    """

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 **kwargs):
        super().__init__(**kwargs)
        if not isinstance(groups, numbers.Integral) or isinstance(groups, bool) or \
                (groups <= 0 and groups != -1):
            raise ValueError(f"GroupNormalization: `groups` must be a positive integer or "
                             f"-1, got groups={groups}")
        if not isinstance(axis, numbers.Integral) or isinstance(axis, bool):
            raise TypeError(f"Expected an int for the argument 'axis' of GroupNormalization, "
                            f"but received: {axis}")
        self.groups = int(groups)
        self.axis = int(axis)
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True
        self.gamma = self.beta = None

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        ndim = len(input_shape)
        if ndim < 2 or not -ndim <= self.axis < ndim or self.axis % ndim == 0:
            raise ValueError(f"Layer {self.name}: invalid axis {self.axis} for an input of "
                             f"shape {shape_text(input_shape)} (the batch axis cannot be "
                             f"normalized)")
        axis = self.axis % ndim
        dim = input_shape[axis]
        if dim is None:
            raise ValueError(f"Axis {self.axis} of input tensor should have a defined "
                             f"dimension but the layer received an input with shape "
                             f"{shape_text(input_shape)}.")
        groups = dim if self.groups == -1 else self.groups
        if dim < groups:
            raise ValueError(f"Number of groups ({groups}) cannot be more than the number "
                             f"of channels ({dim}).")
        if dim % groups:
            raise ValueError(f"Number of groups ({groups}) must be a multiple of the number "
                             f"of channels ({dim}).")
        self._groups = groups
        self._norm_axis = axis
        if self.scale:
            self.gamma = self.add_weight(name="gamma", shape=(dim,),
                                         initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer,
                                         constraint=self.gamma_constraint, autocast=False)
        if self.center:
            self.beta = self.add_weight(name="beta", shape=(dim,),
                                        initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint, autocast=False)
        self.input_spec = InputSpec(ndim=ndim, axes={axis: dim})
        self.built = True

    def call(self, inputs):
        input_dtype = inputs.dtype
        if input_dtype.name in _LOW_PRECISION:
            inputs = ember.cast(inputs, "float32")
        ndim = inputs.shape.rank
        axis = self._norm_axis
        dim = inputs.shape[axis]
        g = self._groups
        static = inputs.shape.as_list()
        # (..., C, ...) -> (..., G, C // G, ...)
        if all(d is not None for d in static[1:]):
            rest = [-1] + static[1:]
            gshape = rest[:axis] + [g, dim // g] + rest[axis + 1:]
            out_shape = rest
        else:
            dyn = ember.shape(inputs)
            gshape = ember.concat([dyn[:axis], [g, dim // g], dyn[axis + 1:]], 0)
            out_shape = dyn
        grouped = ember.reshape(inputs, gshape)
        reduce_axes = [i for i in range(1, ndim + 1) if i != axis]
        mean, variance = ember.nn.moments(grouped, reduce_axes, keepdims=True)
        inv = ember.math.rsqrt(variance + self.epsilon)
        y = ember.reshape((grouped - mean) * inv, out_shape)
        pshape = [1] * ndim
        pshape[axis] = dim
        if self.gamma is not None:
            y = y * ember.reshape(ember.cast(self.gamma, y.dtype), pshape)
        if self.beta is not None:
            y = y + ember.reshape(ember.cast(self.beta, y.dtype), pshape)
        return ember.cast(y, input_dtype) if y.dtype != input_dtype else y

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({
            "groups": self.groups,
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        })
        return config


def _norm_axes(layer, axis, rank):
    axes = [axis] if isinstance(axis, int) else list(axis)
    out = []
    for a in axes:
        if not -rank <= a < rank:
            raise ValueError(f"Layer {layer}: axis {a} is out of range for inputs of rank "
                             f"{rank}")
        out.append(a % rank)
    return out


class RMSNormalization(Layer):
    """Root-mean-square normalization (Zhang & Sennrich 2019):
    ``x / sqrt(mean(x**2, axis) + epsilon) * scale``, ``scale`` one weight per feature.

    >>> keras.layers.RMSNormalization()(ember.constant([[3.0, 4.0]])).numpy().round(3)
    array([[0.849, 1.131]], dtype=float32)
    """

    def __init__(self, axis=-1, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis
        self.epsilon = float(epsilon)
        self.supports_masking = True

    def build(self, input_shape):
        axes = _norm_axes(self.name, self.axis, len(input_shape))
        shape = tuple(input_shape[a] for a in axes)
        if any(d is None for d in shape):
            raise ValueError(f"Layer {self.name}: the normalized axes must have known sizes, "
                             f"got input shape {tuple(input_shape)}")
        self.scale = self.add_weight(name="scale", shape=shape, initializer="ones")
        self.built = True

    def call(self, x):
        rank = x.shape.rank
        axes = _norm_axes(self.name, self.axis, rank)
        ms = ember.reduce_mean(ember.square(x), axis=axes, keepdims=True)
        scale = self.scale
        if axes != list(range(rank - len(axes), rank)):
            shape = [x.shape[a] if a in axes else 1 for a in range(rank)]
            scale = ember.reshape(scale, shape)
        return x * ember.math.rsqrt(ms + self.epsilon) * ember.cast(scale, x.dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"axis": self.axis, "epsilon": self.epsilon})
        return config


class UnitNormalization(Layer):
    """Scales each sample to unit L2 norm over ``axis``: ``x / max(||x||, 1e-12)``.

    >>> keras.layers.UnitNormalization()(ember.constant([[3.0, 4.0]])).numpy()
    array([[0.6, 0.8]], dtype=float32)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis
        self.supports_masking = True

    def call(self, x):
        axes = _norm_axes(self.name, self.axis, x.shape.rank)
        sq = ember.reduce_sum(ember.square(x), axis=axes, keepdims=True)
        return x * ember.math.rsqrt(ember.maximum(sq, ember.cast(1e-12, x.dtype)))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config
