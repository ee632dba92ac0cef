"""Clipping by norm: ``clip_by_norm``, ``global_norm``, ``clip_by_global_norm``
(``clip_by_value`` is an op of its own in math_ops). Composites of public ops: their
gradients come from the ops they use. As in TensorFlow, an ``IndexedSlices`` is clipped
through its values (its norm is that of its values) and stays an IndexedSlices."""
from __future__ import annotations

from ember.framework.tensor import Tensor, convert_to_tensor

__all__ = ["clip_by_norm", "global_norm", "clip_by_global_norm"]


def clip_by_norm(t, clip_norm, axes=None, name=None):
    """``t`` scaled so that its L2 norm (over ``axes``, all by default) is at most
    ``clip_norm``: ``t * clip_norm / max(norm(t), clip_norm)``.

    >>> tf.clip_by_norm(tf.constant([3.0, 4.0]), 1.0).numpy()
    array([0.6, 0.8], dtype=float32)
    """
    from ember.ops import array_ops, math_ops, reduce_ops
    if _is_slices(t):
        return _with_values(t, clip_by_norm(t.values, clip_norm, axes))
    t = convert_to_tensor(t)
    clip_norm = convert_to_tensor(clip_norm, dtype_hint=t.dtype)
    if clip_norm.dtype is not t.dtype:
        clip_norm = math_ops.cast(clip_norm, t.dtype)
    l2sum = reduce_ops.reduce_sum(t * t, axes, keepdims=True)
    positive = l2sum > 0
    safe = array_ops.where(positive, l2sum, array_ops.ones_like(l2sum))
    l2norm = array_ops.where(positive, math_ops.sqrt(safe), l2sum)
    return (t * clip_norm) / math_ops.maximum(l2norm, clip_norm)


def global_norm(t_list, name=None):
    """``sqrt(sum(sum(t ** 2) for t in t_list))`` over the tensors that are not None.

    >>> tf.global_norm([tf.constant([3.0]), tf.constant([4.0])]).numpy()
    5.0
    """
    from ember.ops import math_ops, reduce_ops
    if isinstance(t_list, (str, bytes, Tensor)) or not hasattr(t_list, "__iter__"):
        raise TypeError(f"global_norm: t_list must be a sequence of tensors, got "
                        f"{type(t_list).__name__}")
    tensors = [t.values if _is_slices(t) else convert_to_tensor(t)
               for t in t_list if t is not None]
    if not tensors:
        raise ValueError("global_norm: t_list holds no tensor")
    squares = [reduce_ops.reduce_sum(t * t) for t in tensors]
    total = squares[0] if len(squares) == 1 else math_ops.add_n(squares)
    return math_ops.sqrt(total)


def clip_by_global_norm(t_list, clip_norm, use_norm=None, name=None):
    """Scales every tensor by ``clip_norm / max(global_norm, clip_norm)``; returns
    ``(clipped list, global norm)``. A non-finite norm makes every entry NaN.

    >>> clipped, norm = tf.clip_by_global_norm([tf.constant([3.0]), tf.constant([4.0])], 1.0)
    """
    from ember.ops import math_ops
    if isinstance(t_list, (str, bytes, Tensor)) or not hasattr(t_list, "__iter__"):
        raise TypeError(f"clip_by_global_norm: t_list must be a sequence, got "
                        f"{type(t_list).__name__}")
    t_list = list(t_list)
    use_norm = global_norm(t_list) if use_norm is None else convert_to_tensor(use_norm)
    clip_norm = convert_to_tensor(clip_norm, dtype_hint=use_norm.dtype)
    if clip_norm.dtype is not use_norm.dtype:
        clip_norm = math_ops.cast(clip_norm, use_norm.dtype)
    scale = clip_norm * math_ops.minimum(1.0 / use_norm, 1.0 / clip_norm)
    scale = scale + (use_norm - use_norm)      # NaN when the norm is inf or NaN
    def clip(t):
        if _is_slices(t):
            return _with_values(t, clip(t.values))
        t = convert_to_tensor(t)
        return t * math_ops.cast(scale, t.dtype)
    return [None if t is None else clip(t) for t in t_list], use_norm


def _is_slices(t):
    return getattr(t, "_ember_indexed_slices", False)


def _with_values(slices, values):
    return type(slices)(values, slices.indices, slices.dense_shape)
