"""``tf.compat.v1.initializers``: TF1's initializer factories (``zeros``, ``glorot_uniform``,
``variance_scaling``, ...) — each returns a function ``init(shape, dtype=None,
partition_info=None)`` that ``get_variable`` calls — and the variable initializers
(``global_variables``, ``local_variables``, ``variables``, ``tables_initializer``)."""
from __future__ import annotations

import math

import numpy as np

import ember.compat.v1 as _v1


def variance_scaling(scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None,
                     dtype=None):
    """Random values of variance ``scale / n`` (n: fan in, fan out or their mean):
    truncated normal (TF1's "normal"), untruncated normal or uniform."""
    if mode not in ("fan_in", "fan_out", "fan_avg"):
        raise ValueError(f"variance_scaling: mode must be fan_in, fan_out or fan_avg, got "
                         f"{mode!r}")
    if distribution not in ("normal", "truncated_normal", "untruncated_normal", "uniform"):
        raise ValueError(f"variance_scaling: unknown distribution {distribution!r}")

    def init(shape, dtype=dtype, partition_info=None, **kwargs):
        dtype = _v1.as_dtype(dtype or "float32")
        fan_in, fan_out = _v1._fans(list(shape))
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[mode]
        variance = scale / max(1.0, n)
        if distribution in ("normal", "truncated_normal"):
            std = math.sqrt(variance) / 0.87962566103423978
            return _v1.random.truncated_normal(shape, 0.0, std, dtype=dtype, seed=seed)
        if distribution == "untruncated_normal":
            return _v1.random.normal(shape, 0.0, math.sqrt(variance), dtype=dtype, seed=seed)
        limit = math.sqrt(3.0 * variance)
        return _v1.random.uniform(shape, -limit, limit, dtype=dtype, seed=seed)
    return init


def orthogonal(gain=1.0, seed=None, dtype=None):
    """A (semi-)orthogonal matrix, times ``gain``, reshaped to ``shape`` (QR of a normal
    matrix, the signs fixed by R's diagonal)."""
    def init(shape, dtype=dtype, partition_info=None, **kwargs):
        shape = list(shape)
        if len(shape) < 2:
            raise ValueError(f"orthogonal initializer: the shape must have rank >= 2, got "
                             f"{shape}")
        rows = int(np.prod(shape[:-1]))
        cols = shape[-1]
        a = _v1.random.normal([max(rows, cols), min(rows, cols)], dtype="float32", seed=seed)
        q, r = _v1.linalg.qr(a)
        q = q * _v1.sign(_v1.linalg.diag_part(r))
        if rows < cols:
            q = _v1.transpose(q)
        return _v1.cast(gain * _v1.reshape(q, shape), dtype or "float32")
    return init


def identity(gain=1.0, dtype=None):
    def init(shape, dtype=dtype, partition_info=None, **kwargs):
        if len(shape) != 2:
            raise ValueError(f"identity initializer: the shape must be 2-D, got {shape}")
        return gain * _v1.eye(shape[0], shape[1], dtype=dtype or "float32")
    return init


def he_normal(seed=None):
    return variance_scaling(2.0, "fan_in", "truncated_normal", seed)


def he_uniform(seed=None):
    return variance_scaling(2.0, "fan_in", "uniform", seed)


def lecun_normal(seed=None):
    return variance_scaling(1.0, "fan_in", "truncated_normal", seed)


def lecun_uniform(seed=None):
    return variance_scaling(1.0, "fan_in", "uniform", seed)


def uniform_unit_scaling(factor=1.0, seed=None, dtype=None):
    """Uniform in ``±sqrt(3 / fan_in) * factor``."""
    return variance_scaling(factor ** 2, "fan_in", "uniform", seed, dtype)


zeros = _v1.zeros_initializer
ones = _v1.ones_initializer
constant = _v1.constant_initializer
random_normal = _v1.random_normal_initializer
random_uniform = _v1.random_uniform_initializer
truncated_normal = _v1.truncated_normal_initializer
glorot_uniform = _v1.glorot_uniform_initializer
glorot_normal = _v1.glorot_normal_initializer
global_variables = _v1.global_variables_initializer
local_variables = _v1.local_variables_initializer
variables = _v1.variables_initializer


def tables_initializer(name="init_all_tables"):
    """ember's lookup tables are ready when made: an op that does nothing."""
    return _v1.no_op(name=name)
