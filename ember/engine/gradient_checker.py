"""Theoretical vs numerical Jacobians: ``ember.test.compute_gradient``."""
from __future__ import annotations

import numpy as np

from ember.engine.tape import GradientTape
from ember.framework.tensor import EagerTensor, convert_to_tensor

__all__ = ["compute_gradient", "max_error"]


def _flat_outputs(y):
    if isinstance(y, (list, tuple)):
        if len(y) != 1:
            raise ValueError("compute_gradient: f must return a single tensor")
        y = y[0]
    return convert_to_tensor(y)


def compute_gradient(f, x, delta=None):
    """Jacobians of ``f`` at ``x`` (a list of tensors or arrays), two ways.

    Returns ``(theoretical, numerical)``: tuples with one 2-D array per argument, of shape
    ``(y_size, x_size)``; theoretical from GradientTape, numerical by central differences.

    >>> t, n = ember.test.compute_gradient(lambda v: v * v, [ember.constant([1., 2.], ember.float64)])
    >>> np.allclose(t[0], n[0])
    True
    """
    if not isinstance(x, (list, tuple)):
        raise TypeError("compute_gradient: x must be a list of tensors")
    xs = [np.array(np.asarray(v), copy=True) for v in x]
    if delta is None:
        delta = 1e-3 if all(v.dtype == np.float64 for v in xs) else 1e-2
    theoretical = _theoretical(f, xs)
    numerical = _numerical(f, xs, delta)
    return tuple(theoretical), tuple(numerical)


def _theoretical(f, xs):
    ts = [EagerTensor(v) for v in xs]
    with GradientTape(persistent=True) as tape:
        for t in ts:
            tape.watch(t)
        y = _flat_outputs(f(*ts))
    y_size = int(np.prod(y.shape.as_list()))
    out = [np.zeros((y_size, v.size), dtype=v.dtype) for v in xs]
    for i in range(y_size):
        seed = np.zeros(y_size, dtype=np.asarray(y).dtype)
        seed[i] = 1
        grads = tape.gradient(y, ts, output_gradients=EagerTensor(seed.reshape(y.shape.as_list())))
        for k, g in enumerate(grads):
            if g is not None:
                out[k][i] = np.asarray(convert_to_tensor(g)).reshape(-1)
    return out


def _numerical(f, xs, delta):
    def value(args):
        return np.asarray(_flat_outputs(f(*[EagerTensor(a) for a in args]))).astype(np.float64)

    y0 = value(xs)
    out = []
    for k, v in enumerate(xs):
        jac = np.zeros((y0.size, v.size), dtype=v.dtype)
        for j in range(v.size):
            plus = [a.copy() for a in xs]
            minus = [a.copy() for a in xs]
            plus[k].reshape(-1)[j] += delta
            minus[k].reshape(-1)[j] -= delta
            jac[:, j] = ((value(plus) - value(minus)) / (2 * delta)).reshape(-1)
        out.append(jac)
    return out


def max_error(grad1, grad2):
    """The largest elementwise difference between two lists of Jacobians."""
    err = 0.0
    for a, b in zip(grad1, grad2):
        if a.size:
            err = max(err, float(np.max(np.abs(np.asarray(a) - np.asarray(b)))))
    return err
