"""to_categorical and normalize, as keras.utils."""
from __future__ import annotations

import numpy as np

__all__ = ["to_categorical", "normalize"]


def _is_tensor(x):
    import ember
    return ember.is_tensor(x) or isinstance(x, ember.Variable)


def to_categorical(x, num_classes=None, dtype="float32"):
    """One-hot encodes integer class labels; a trailing axis of size 1 is dropped first,
    so ``(N,)`` and ``(N, 1)`` labels both give ``(N, num_classes)``.

    NumPy-like input gives a NumPy array (float32 by default); a tensor gives a tensor.

    >>> to_categorical([0, 2, 1], num_classes=3).tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
    """
    if _is_tensor(x):
        return _to_categorical_tensor(x, num_classes, dtype)
    labels = np.asarray(x)
    if labels.dtype.kind == "f":
        if labels.size and not np.all(np.isfinite(labels) & (labels == np.floor(labels))):
            raise ValueError(f"to_categorical: class labels must be integers, got "
                             f"non-integer values in {labels.dtype} input")
    elif labels.dtype.kind not in "iub":
        raise ValueError(f"to_categorical: class labels must be integers, got dtype "
                         f"{labels.dtype}")
    labels = labels.astype(np.int64)
    shape = labels.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    flat = labels.reshape(-1)
    if num_classes is None:
        num_classes = int(flat.max()) + 1 if flat.size else 0
    num_classes = int(num_classes)
    if flat.size and (flat.min() < 0 or flat.max() >= num_classes):
        raise ValueError(f"to_categorical: class labels must be in [0, {num_classes}), got "
                         f"values in [{int(flat.min())}, {int(flat.max())}]")
    out = np.zeros((flat.size, num_classes), dtype=np.dtype(dtype))
    out[np.arange(flat.size), flat] = 1
    return out.reshape(shape + (num_classes,))


def _to_categorical_tensor(x, num_classes, dtype):
    import ember
    x = ember.convert_to_tensor(x) if not isinstance(x, ember.Variable) else x
    shape = x.shape
    if shape.rank is not None and shape.rank > 1 and shape[-1] == 1:
        x = ember.squeeze(x, axis=-1)
    if not x.dtype.is_integer:
        x = ember.cast(x, ember.int64)
    if num_classes is None:
        if not ember.executing_eagerly():
            raise ValueError("to_categorical: num_classes is required for symbolic tensors")
        num_classes = int(ember.reduce_max(x).numpy()) + 1 if x.shape.num_elements() else 0
    return ember.one_hot(x, int(num_classes), dtype=ember.as_dtype(dtype))


def normalize(x, axis=-1, order=2):
    """Scales ``x`` to unit ``order``-norm along ``axis``.

    A NumPy array gives a NumPy array (zero-norm slices are left unchanged); a tensor gives a
    tensor computed with ember ops (norms below ``backend.epsilon()`` are treated as epsilon).

    >>> normalize(np.array([[3.0, 4.0]], dtype="float32")).tolist()
    [[0.6000000238418579, 0.800000011920929]]
    """
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order < 1:
        raise ValueError(f"normalize: argument `order` must be an int >= 1. Received: "
                         f"order={order!r}")
    if _is_tensor(x):
        return _normalize_tensor(x, axis, int(order))
    x = np.asarray(x)
    norm = np.atleast_1d(np.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    return x / np.expand_dims(norm, axis if axis is not None else -1)


def _normalize_tensor(x, axis, order):
    import ember
    from ember.keras import backend
    x = ember.convert_to_tensor(x) if not isinstance(x, ember.Variable) else x
    if x.shape.rank == 0:
        x = ember.expand_dims(x, 0)
    eps = ember.constant(backend.epsilon(), dtype=x.dtype)
    if order == 2:
        inv = ember.math.rsqrt(ember.reduce_sum(ember.square(x), axis=axis, keepdims=True))
        return x * ember.minimum(inv, 1.0 / eps)
    norm = ember.reduce_sum(ember.abs(x) ** order, axis=axis, keepdims=True) ** (1.0 / order)
    return x / ember.maximum(norm, eps)
