"""compat.v1.layers: the functional TF1 layers (dense, dropout, flatten)."""
from __future__ import annotations

import ember as _tf

_counts = {}


def _unique(base):
    n = _counts.get(base, 0)
    _counts[base] = n + 1
    return base if n == 0 else f"{base}_{n}"


def dense(inputs, units, activation=None, use_bias=True, kernel_initializer=None,
          bias_initializer=None, kernel_regularizer=None, bias_regularizer=None,
          trainable=True, name=None, reuse=None, **kwargs):
    """``activation(inputs @ kernel + bias)`` with variables ``name/kernel``, ``name/bias``."""
    from ember.compat.v1 import get_variable, variable_scope, zeros_initializer
    inputs = _tf.convert_to_tensor(inputs)
    in_dim = inputs.shape[-1]
    if in_dim is None:
        raise ValueError("dense: the last dimension of the inputs must be known")
    scope = name or _unique("dense")
    with variable_scope(scope, reuse=reuse):
        kernel = get_variable("kernel", [in_dim, units], dtype=inputs.dtype,
                              initializer=kernel_initializer, regularizer=kernel_regularizer,
                              trainable=trainable)
        out = _tf.tensordot(inputs, kernel, [[inputs.shape.rank - 1], [0]]) \
            if inputs.shape.rank > 2 else _tf.matmul(inputs, kernel)
        if use_bias:
            bias = get_variable("bias", [units], dtype=inputs.dtype,
                                initializer=bias_initializer or zeros_initializer(),
                                regularizer=bias_regularizer, trainable=trainable)
            out = _tf.nn.bias_add(out, bias)
    if activation is not None:
        out = activation(out)
    return out


def dropout(inputs, rate=0.5, noise_shape=None, seed=None, training=False, name=None):
    if isinstance(training, bool) and not training:
        return inputs
    return _tf.nn.dropout(inputs, rate=rate, noise_shape=noise_shape, seed=seed)


def flatten(inputs, name=None, data_format="channels_last"):
    inputs = _tf.convert_to_tensor(inputs)
    n = inputs.shape[1:].num_elements()
    if n is None:
        return _tf.reshape(inputs, _tf.stack([_tf.shape(inputs)[0], -1]))
    return _tf.reshape(inputs, [-1, n])
