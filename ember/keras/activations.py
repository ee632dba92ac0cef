"""keras.activations: elementwise activation functions, by object or by name.

    import ember as tf
    tf.keras.activations.get("relu")([-1.0, 2.0])     # [0., 2.]

All are written with ember's public ops (eager, traced and differentiable).
"""
from __future__ import annotations


import ember
from ember.keras.saving import serialization as _serialization

__all__ = [
    "relu", "relu6", "leaky_relu", "elu", "selu", "celu", "gelu", "glu", "softplus", "softsign",
    "silu", "swish", "hard_silu", "hard_swish", "sigmoid", "hard_sigmoid", "log_sigmoid",
    "sparse_sigmoid", "tanh", "hard_tanh", "tanh_shrink", "soft_shrink", "hard_shrink",
    "squareplus", "sparse_plus", "threshold", "exponential", "mish", "linear", "softmax",
    "log_softmax", "sparsemax", "get", "serialize", "deserialize",
]


def _t(x):
    return ember.convert_to_tensor(x)


def _const(value, dtype):
    """``value`` as a tensor of ``dtype`` (Python numbers without a float32 detour)."""
    if not ember.is_tensor(value):
        try:
            return ember.convert_to_tensor(value, dtype=dtype)
        except (TypeError, ValueError):
            value = ember.convert_to_tensor(value)
    return ember.cast(value, dtype)


def _float(x):
    t = ember.convert_to_tensor(x)
    if not t.dtype.is_floating:
        t = ember.cast(t, ember.float32)
    return t


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0, alpha=None):
    """Rectified linear unit: max(x, 0), with optional leak, ceiling and threshold.

    Below ``threshold`` the output is ``negative_slope * (x - threshold)``; ``max_value``
    caps the result. (``alpha`` is the Keras 2 name of ``negative_slope``.)

    >>> ember.keras.activations.relu([-2.0, 1.0, 8.0], negative_slope=0.5, max_value=6.0).numpy()
    array([-1.,  1.,  6.], dtype=float32)
    """
    if alpha is not None:
        negative_slope = alpha
    x = _t(x)
    if negative_slope != 0.0:
        if max_value is None and threshold == 0:
            return ember.nn.leaky_relu(x, alpha=negative_slope)
        negative_part = ember.nn.relu(-x + threshold) if threshold != 0 else ember.nn.relu(-x)
    clip_max = max_value is not None
    if threshold != 0:
        x = x * ember.cast(ember.greater(x, _const(threshold, x.dtype)), x.dtype)
    elif max_value == 6:
        x = ember.nn.relu6(x)
        clip_max = False
    else:
        x = ember.nn.relu(x)
    if clip_max:
        x = ember.clip_by_value(x, _const(0, x.dtype), _const(max_value, x.dtype))
    if negative_slope != 0.0:
        x = x - _const(negative_slope, x.dtype) * negative_part
    return x


def relu6(x):
    """min(max(x, 0), 6).

    >>> ember.keras.activations.relu6([-1.0, 3.0, 9.0]).numpy()
    array([0., 3., 6.], dtype=float32)
    """
    return ember.nn.relu6(_t(x))


def leaky_relu(x, negative_slope=0.2, alpha=None):
    """x where positive, negative_slope * x elsewhere.

    >>> ember.keras.activations.leaky_relu([-1.0, 2.0]).numpy()
    array([-0.2,  2. ], dtype=float32)
    """
    if alpha is not None:
        negative_slope = alpha
    return ember.nn.leaky_relu(_t(x), alpha=negative_slope)


def elu(x, alpha=1.0):
    """x where positive, alpha * (exp(x) - 1) elsewhere.

    >>> ember.keras.activations.elu([-1.0, 2.0], alpha=2.0).numpy()
    array([-1.2642411,  2.       ], dtype=float32)
    """
    x = _float(x)
    if alpha == 1.0:
        return ember.nn.elu(x)
    return ember.where(x > 0, x, _const(alpha, x.dtype) * ember.nn.elu(x))


def selu(x):
    """Scaled ELU with the self-normalizing constants.

    >>> ember.keras.activations.selu([1.0]).numpy()
    array([1.050701], dtype=float32)
    """
    return ember.nn.selu(_float(x))


def celu(x, alpha=1.0):
    """max(x, 0) + min(0, alpha * (exp(x / alpha) - 1)).

    >>> ember.keras.activations.celu([-1.0, 2.0]).numpy()
    array([-0.63212055,  2.        ], dtype=float32)
    """
    x = _float(x)
    a = _const(alpha, x.dtype)
    zero = ember.zeros_like(x)
    return ember.maximum(x, zero) + ember.minimum(zero, a * ember.math.expm1(
        ember.minimum(x, zero) / a))


def gelu(x, approximate=False):
    """Gaussian error linear unit (exact with erf, or the tanh approximation).

    >>> ember.keras.activations.gelu([1.0]).numpy()
    array([0.8413447], dtype=float32)
    """
    return ember.nn.gelu(_float(x), approximate=approximate)


def glu(x, axis=-1):
    """Gated linear unit: a * sigmoid(b) for the two halves a, b of x along ``axis``.

    >>> ember.keras.activations.glu([[1.0, 0.0]]).numpy()
    array([[0.5]], dtype=float32)
    """
    x = _float(x)
    size = x.shape.as_list()[axis] if x.shape.rank is not None else None
    if size is not None and size % 2:
        raise ValueError(f"glu: axis {axis} of x must have an even size to split in two. "
                         f"Received: x.shape={tuple(x.shape.as_list())}, axis={axis}")
    a, b = ember.split(x, 2, axis=axis)
    return a * ember.sigmoid(b)


def softplus(x):
    """log(exp(x) + 1), without overflow.

    >>> ember.keras.activations.softplus([0.0]).numpy()
    array([0.6931472], dtype=float32)
    """
    return ember.nn.softplus(_float(x))


def softsign(x):
    """x / (|x| + 1).

    >>> ember.keras.activations.softsign([-3.0, 1.0]).numpy()
    array([-0.75,  0.5 ], dtype=float32)
    """
    return ember.nn.softsign(_float(x))


def silu(x):
    """x * sigmoid(x) (also called swish).

    >>> ember.keras.activations.silu([0.0, 1.0]).numpy()
    array([0.       , 0.7310586], dtype=float32)
    """
    return ember.nn.silu(_float(x))


swish = silu


def sigmoid(x):
    """1 / (1 + exp(-x)).

    >>> ember.keras.activations.sigmoid([0.0]).numpy()
    array([0.5], dtype=float32)
    """
    return ember.sigmoid(_float(x))


def hard_sigmoid(x):
    """The piecewise-linear sigmoid relu6(x + 3) / 6 (Keras 3).

    >>> ember.keras.activations.hard_sigmoid([-4.0, 0.0, 4.0]).numpy()
    array([0. , 0.5, 1. ], dtype=float32)
    """
    x = _float(x)
    return ember.nn.relu6(x + 3.0) / 6.0


def hard_silu(x):
    """x * hard_sigmoid(x) (also called hard_swish).

    >>> ember.keras.activations.hard_silu([-4.0, 0.0, 4.0]).numpy()
    array([-0.,  0.,  4.], dtype=float32)
    """
    x = _float(x)
    return x * hard_sigmoid(x)


hard_swish = hard_silu


def log_sigmoid(x):
    """log(sigmoid(x)) = -softplus(-x), computed stably.

    >>> ember.keras.activations.log_sigmoid([0.0]).numpy()
    array([-0.6931472], dtype=float32)
    """
    return -ember.nn.softplus(-_float(x))


def sparse_sigmoid(x):
    """0 below -1, 1 above 1 and (x + 1) / 2 between.

    >>> ember.keras.activations.sparse_sigmoid([-2.0, 0.0, 2.0]).numpy()
    array([0. , 0.5, 1. ], dtype=float32)
    """
    x = _float(x)
    return ember.clip_by_value(0.5 * (x + 1.0), _const(0, x.dtype), _const(1, x.dtype))


def tanh(x):
    """Hyperbolic tangent.

    >>> ember.keras.activations.tanh([0.0]).numpy()
    array([0.], dtype=float32)
    """
    return ember.tanh(_float(x))


def hard_tanh(x):
    """clip(x, -1, 1).

    >>> ember.keras.activations.hard_tanh([-2.0, 0.5, 2.0]).numpy()
    array([-1. ,  0.5,  1. ], dtype=float32)
    """
    x = _float(x)
    return ember.clip_by_value(x, _const(-1, x.dtype), _const(1, x.dtype))


def tanh_shrink(x):
    """x - tanh(x).

    >>> ember.keras.activations.tanh_shrink([0.0]).numpy()
    array([0.], dtype=float32)
    """
    x = _float(x)
    return x - ember.tanh(x)


def soft_shrink(x, threshold=0.5):
    """x - threshold above threshold, x + threshold below -threshold, 0 between.

    >>> ember.keras.activations.soft_shrink([-1.0, 0.2, 1.0]).numpy()
    array([-0.5,  0. ,  0.5], dtype=float32)
    """
    x = _float(x)
    t = _const(threshold, x.dtype)
    return ember.where(x > t, x - t, ember.where(x < -t, x + t, ember.zeros_like(x)))


def hard_shrink(x, threshold=0.5):
    """x where |x| > threshold, 0 elsewhere.

    >>> ember.keras.activations.hard_shrink([-1.0, 0.2, 1.0]).numpy()
    array([-1.,  0.,  1.], dtype=float32)
    """
    x = _float(x)
    return ember.where(ember.abs(x) > _const(threshold, x.dtype), x, ember.zeros_like(x))


def squareplus(x, b=4):
    """(x + sqrt(x**2 + b)) / 2, a smooth relu.

    >>> ember.keras.activations.squareplus([0.0]).numpy()
    array([1.], dtype=float32)
    """
    x = _float(x)
    return (x + ember.sqrt(ember.square(x) + _const(b, x.dtype))) / 2.0


def sparse_plus(x):
    """0 for x <= -1, x for x >= 1 and (x + 1)**2 / 4 between.

    >>> ember.keras.activations.sparse_plus([-2.0, 0.0, 2.0]).numpy()
    array([0.  , 0.25, 2.  ], dtype=float32)
    """
    x = _float(x)
    one = ember.ones_like(x)
    middle = ember.square(x + 1.0) / 4.0
    return ember.where(x <= -one, ember.zeros_like(x), ember.where(x >= one, x, middle))


def threshold(x, threshold, default_value):
    """x where x > threshold, default_value elsewhere.

    >>> ember.keras.activations.threshold([0.5, 2.0], 1.0, -1.0).numpy()
    array([-1.,  2.], dtype=float32)
    """
    x = _float(x)
    return ember.where(x > _const(threshold, x.dtype), x,
                       ember.fill(ember.shape(x), _const(default_value, x.dtype)))


def exponential(x):
    """exp(x).

    >>> ember.keras.activations.exponential([0.0]).numpy()
    array([1.], dtype=float32)
    """
    return ember.exp(_float(x))


def mish(x):
    """x * tanh(softplus(x)).

    >>> ember.keras.activations.mish([0.0]).numpy()
    array([0.], dtype=float32)
    """
    x = _float(x)
    return x * ember.tanh(ember.nn.softplus(x))


def linear(x):
    """The identity: returns ``x`` unchanged.

    >>> ember.keras.activations.linear(3.0)
    3.0
    """
    return x


def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along ``axis``, computed stably.

    >>> ember.keras.activations.softmax([[0.0, 0.0]]).numpy()
    array([[0.5, 0.5]], dtype=float32)
    """
    return _over_axes(ember.nn.softmax, _float(x), axis)


def log_softmax(x, axis=-1):
    """log(softmax(x)) along ``axis``, computed stably.

    >>> ember.keras.activations.log_softmax([[0.0, 0.0]]).numpy()
    array([[-0.6931472, -0.6931472]], dtype=float32)
    """
    return _over_axes(ember.nn.log_softmax, _float(x), axis)


def _over_axes(fn, x, axis):
    if not isinstance(axis, (tuple, list)):
        return fn(x, axis=axis)
    if len(axis) == 1:
        return fn(x, axis=axis[0])
    # Several axes: move them last, flatten them into one, apply, and undo.
    rank = x.shape.rank
    if rank is None:
        raise ValueError(f"{fn.__name__} over several axes needs a known rank")
    axes = sorted(a % rank for a in axis)
    keep = [a for a in range(rank) if a not in axes]
    perm = keep + axes
    moved = ember.transpose(x, perm)
    shape = ember.shape(moved)
    flat = ember.reshape(moved, ember.concat([shape[:len(keep)], [-1]], 0))
    out = ember.reshape(fn(flat, axis=-1), shape)
    inverse = [perm.index(i) for i in range(rank)]
    return ember.transpose(out, inverse)


def sparsemax(x, axis=-1):
    """The Euclidean projection of x onto the probability simplex along axis: like softmax
    but with exact zeros (Martins & Astudillo, 2016).

    >>> sparsemax([[1.0, 2.0, 5.0]]).numpy()
    array([[0., 0., 1.]], dtype=float32)
    """
    from ember.keras.ops.nn import sparsemax as _sparsemax
    return _sparsemax(x, axis=axis)


# ----------------------------------------------------------------------- (de)serialize ---

ALL_OBJECTS = (
    relu, leaky_relu, relu6, softmax, celu, elu, selu, softplus, softsign, squareplus,
    soft_shrink, sparse_plus, silu, gelu, glu, tanh, tanh_shrink, threshold, sigmoid,
    sparse_sigmoid, exponential, hard_sigmoid, hard_silu, hard_tanh, hard_shrink, linear,
    mish, log_softmax, log_sigmoid, sparsemax,
)
ALL_OBJECTS_DICT = {fn.__name__: fn for fn in ALL_OBJECTS}
ALL_OBJECTS_DICT["swish"] = silu
ALL_OBJECTS_DICT["hard_swish"] = hard_silu


def serialize(activation):
    """The name of a built-in activation (a config dict for custom ones).

    >>> ember.keras.activations.serialize(ember.keras.activations.relu)
    'relu'
    """
    if activation is None:
        return "linear"
    name = getattr(activation, "__name__", None)
    if name is not None and ALL_OBJECTS_DICT.get(name) is activation:
        return name
    config = _serialization.serialize_keras_object(activation)
    if not isinstance(config, dict):
        raise ValueError(f"Cannot serialize activation {activation!r}: expected a function "
                         f"or an object with get_config()")
    return config


def deserialize(config, custom_objects=None):
    """The activation function named (or described) by ``config``.

    >>> ember.keras.activations.deserialize("gelu").__name__
    'gelu'
    """
    return _serialization.deserialize_keras_object(
        config, module_objects=ALL_OBJECTS_DICT, custom_objects=custom_objects,
        printable_module_name="activation function")


def get(identifier):
    """An activation function from None (linear), a name, a config dict or a callable.

    >>> ember.keras.activations.get(None) is ember.keras.activations.linear
    True
    """
    if identifier is None:
        return linear
    return _serialization.get_object(identifier, deserialize, "activation function",
                                     names=ALL_OBJECTS_DICT, instantiate=False,
                                     unknown_name="Unknown activation function")
