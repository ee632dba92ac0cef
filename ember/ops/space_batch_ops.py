"""space_to_batch / batch_to_space (N-D), required_space_to_batch_paddings and
with_space_to_batch: moving spatial blocks into the batch dimension and back, as
reshapes and transposes over public ops (gradients come with them)."""
from __future__ import annotations

import numpy as np

from ember.framework import dtypes
from ember.ops import array_ops, math_ops
from ember.ops._base import tensor

__all__ = ["batch_to_space", "batch_to_space_nd", "required_space_to_batch_paddings",
           "space_to_batch", "space_to_batch_nd", "with_space_to_batch"]


def _static(value, what, fn_name, shape=None):
    try:
        arr = np.asarray(value.numpy() if hasattr(value, "numpy") else value, dtype=np.int64)
    except Exception:
        raise ValueError(f"{fn_name}: {what} must be known when the op is built, got "
                         f"{value!r}") from None
    if shape is not None and arr.shape != shape:
        raise ValueError(f"{fn_name}: {what} must have shape {list(shape)}, got "
                         f"{list(arr.shape)}")
    return arr


def space_to_batch_nd(input, block_shape, paddings, name=None):  # noqa: A002
    """Zero-pads the M spatial dimensions after the batch by ``paddings`` ([M, 2]) and
    moves each ``block_shape`` block into the batch: [B, s1..sM, rest] ->
    [B * prod(block), (s1 + pad) / b1, ..., rest].

    >>> ember.space_to_batch_nd(ember.ones([1, 4, 4, 1]), [2, 2], [[0, 0], [0, 0]]).shape
    TensorShape([4, 2, 2, 1])
    """
    fn = "space_to_batch_nd"
    x = tensor(input)
    block = _static(block_shape, "block_shape", fn).reshape(-1)
    m = block.size
    pads = _static(paddings, "paddings", fn, (m, 2))
    if np.any(block < 1) or np.any(pads < 0):
        raise ValueError(f"{fn}: block_shape must be >= 1 and paddings >= 0, got "
                         f"{block.tolist()} and {pads.tolist()}")
    rank = x.shape.rank
    if rank is None or rank < m + 1:
        raise ValueError(f"{fn}: input must have rank >= {m + 1}, got shape {x.shape}")
    rest = rank - 1 - m
    x = array_ops.pad(x, [[0, 0]] + pads.tolist() + [[0, 0]] * rest)
    shape = array_ops.shape(x)
    spatial = [shape[1 + i] for i in range(m)]
    for i, size in enumerate(x.shape.as_list()[1:1 + m]):
        if size is not None and size % block[i]:
            raise ValueError(f"{fn}: padded spatial dimension {i} ({size}) is not divisible "
                             f"by block size {block[i]}")
    split = [shape[0]]
    for i in range(m):
        split += [spatial[i] // int(block[i]), int(block[i])]
    split += [shape[1 + m + j] for j in range(rest)]
    x = array_ops.reshape(x, array_ops.stack(split))
    perm = [2 + 2 * i for i in range(m)] + [0] + [1 + 2 * i for i in range(m)] + \
        [1 + 2 * m + j for j in range(rest)]
    x = array_ops.transpose(x, perm)
    out = [shape[0] * int(np.prod(block))] + [spatial[i] // int(block[i]) for i in range(m)] \
        + [shape[1 + m + j] for j in range(rest)]
    return array_ops.reshape(x, array_ops.stack(out), name=name)


def batch_to_space_nd(input, block_shape, crops, name=None):  # noqa: A002
    """The inverse of space_to_batch_nd: [B * prod(block), s1..sM, rest] ->
    [B, s1 * b1 - crop, ..., rest], cropping ``crops`` ([M, 2]).

    >>> ember.batch_to_space(ember.ones([4, 2, 2, 1]), [2, 2], [[0, 0], [0, 0]]).shape
    TensorShape([1, 4, 4, 1])
    """
    fn = "batch_to_space"
    x = tensor(input)
    block = _static(block_shape, "block_shape", fn).reshape(-1)
    m = block.size
    crop = _static(crops, "crops", fn, (m, 2))
    rank = x.shape.rank
    if rank is None or rank < m + 1:
        raise ValueError(f"{fn}: input must have rank >= {m + 1}, got shape {x.shape}")
    n_blocks = int(np.prod(block))
    if x.shape[0] is not None and x.shape[0] % n_blocks:
        raise ValueError(f"{fn}: the batch ({x.shape[0]}) must be divisible by "
                         f"prod(block_shape) = {n_blocks}")
    rest = rank - 1 - m
    shape = array_ops.shape(x)
    batch = shape[0] // n_blocks
    split = [int(b) for b in block] + [batch] + [shape[1 + i] for i in range(m)] + \
        [shape[1 + m + j] for j in range(rest)]
    x = array_ops.reshape(x, array_ops.stack(split))
    perm = [m]
    for i in range(m):
        perm += [m + 1 + i, i]
    perm += [2 * m + 1 + j for j in range(rest)]
    x = array_ops.transpose(x, perm)
    merged = [batch] + [shape[1 + i] * int(block[i]) for i in range(m)] + \
        [shape[1 + m + j] for j in range(rest)]
    x = array_ops.reshape(x, array_ops.stack(merged))
    if np.any(crop):
        begin = [0] + crop[:, 0].tolist() + [0] * rest
        size = [-1] + [merged[1 + i] - int(crop[i, 0]) - int(crop[i, 1]) for i in range(m)] + \
            [-1] * rest
        x = array_ops.slice(x, begin, array_ops.stack(size))
    return array_ops.identity(x, name=name)


def space_to_batch(input, block_shape, paddings, name=None):  # noqa: A002
    """tf.space_to_batch (TF2): the same as space_to_batch_nd."""
    return space_to_batch_nd(input, block_shape, paddings, name)


def batch_to_space(input, block_shape, crops, name=None):  # noqa: A002
    """tf.batch_to_space (TF2): the same as batch_to_space_nd."""
    return batch_to_space_nd(input, block_shape, crops, name)


def required_space_to_batch_paddings(input_shape, block_shape, base_paddings=None,
                                     name=None):
    """``(paddings, crops)`` that make ``input_shape`` (the M spatial sizes) plus
    ``base_paddings`` divisible by ``block_shape``; crops undo the extra end padding.

    >>> p, c = ember.required_space_to_batch_paddings([5, 4], [2, 2])
    >>> p.numpy().tolist(), c.numpy().tolist()
    ([[0, 1], [0, 0]], [[0, 1], [0, 0]])
    """
    shape = math_ops.cast(tensor(input_shape), dtypes.int32)
    block = math_ops.cast(tensor(block_shape), dtypes.int32)
    m = block.shape[0]
    base = math_ops.cast(tensor(base_paddings), dtypes.int32) if base_paddings is not None \
        else array_ops.zeros(array_ops.stack([m, 2]), dtypes.int32)
    start, end = base[:, 0], base[:, 1]
    full = shape + start + end
    extra = (block - full % block) % block
    paddings = array_ops.stack([start, end + extra], axis=1)
    crops = array_ops.stack([array_ops.zeros_like(extra), extra], axis=1)
    return paddings, crops


def with_space_to_batch(input, dilation_rate, padding, op, filter_shape=None,  # noqa: A002
                        spatial_dims=None, data_format=None):
    """Runs ``op(x, num_spatial_dims, padding)`` on ``input`` with its spatial dimensions
    dilated by ``dilation_rate``: space_to_batch, ``op`` with "VALID", batch_to_space.
    ``padding`` "SAME" needs ``filter_shape``."""
    x = tensor(input)
    rate = np.asarray(dilation_rate, dtype=np.int64).reshape(-1)
    m = rate.size
    if spatial_dims is not None and list(spatial_dims) != list(range(1, m + 1)):
        raise ValueError(f"with_space_to_batch: ember supports spatial_dims 1..{m} (channels "
                         f"last), got {list(spatial_dims)}")
    if data_format is not None and str(data_format).startswith("NC"):
        raise ValueError("with_space_to_batch: ember supports channels-last data_format only")
    padding = str(padding).upper()
    if np.all(rate == 1):
        return op(x, m, padding)
    if padding == "SAME":
        if filter_shape is None:
            raise ValueError("with_space_to_batch: padding 'SAME' needs filter_shape")
        k = np.asarray(filter_shape, dtype=np.int64).reshape(-1)[:m]
        total = (k - 1) * rate
        base = np.stack([total // 2, total - total // 2], axis=1)
    elif padding == "VALID":
        base = np.zeros((m, 2), np.int64)
    else:
        raise ValueError(f"with_space_to_batch: padding must be 'SAME' or 'VALID', got "
                         f"{padding!r}")
    spatial = x.shape.as_list()[1:1 + m]
    if any(s is None for s in spatial):
        raise ValueError("with_space_to_batch: the spatial sizes must be known")
    full = np.asarray(spatial) + base.sum(axis=1)
    extra = (rate - full % rate) % rate
    pads = np.stack([base[:, 0], base[:, 1] + extra], axis=1)
    crops = np.stack([np.zeros_like(extra), extra], axis=1)
    y = op(space_to_batch_nd(x, rate, pads), m, "VALID")
    return batch_to_space_nd(y, rate, crops)
