"""keras.ops core: conversion, dtypes, control flow, slicing and scatter.

Everything here is built on ember's public ops, so it runs eagerly, inside
``ember.function``, compiled under ``fit`` and under a ``GradientTape``.
"""
from __future__ import annotations

import numpy as np

import ember
from ember.keras.ops._common import dtype_of, is_tensor, tensor
from ember.keras.ops._dtypes import standardize_dtype

__all__ = [
    "associative_scan", "cast", "cond", "convert_to_numpy", "convert_to_tensor",
    "custom_gradient", "dtype", "fori_loop", "is_tensor", "map", "saturate_cast", "scan",
    "scatter", "scatter_update", "shape", "slice", "slice_update", "stop_gradient", "switch",
    "unstack", "vectorized_map", "while_loop",
]


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """x as a tensor (Python floats become floatx, ints int32; arrays keep their dtype)."""
    if sparse or ragged:
        raise NotImplementedError("keras.ops.convert_to_tensor: sparse and ragged tensors "
                                  "are not supported by ember")
    return tensor(x, dtype)


def convert_to_numpy(x):
    """A NumPy array of an eager tensor's value."""
    if is_tensor(x):
        if not hasattr(x, "numpy"):
            raise ValueError("keras.ops.convert_to_numpy: a symbolic tensor has no value; "
                             f"received {x!r}")
        return np.asarray(x.numpy())
    return np.asarray(x)


def cast(x, dtype):
    """x converted to ``dtype``."""
    return ember.cast(tensor(x), standardize_dtype(dtype))


def saturate_cast(x, dtype):
    """x cast to ``dtype`` with values clipped to its range first."""
    return ember.saturate_cast(tensor(x), standardize_dtype(dtype))


def dtype(x):
    """The Keras name of x's dtype ("float32", ...)."""
    return dtype_of(x)


def shape(x):
    """x's shape as a tuple; unknown dims inside a trace are scalar int32 tensors."""
    x = x if is_tensor(x) or hasattr(x, "shape") else tensor(x)
    static = tuple(x.shape)
    if all(d is not None for d in static):
        return tuple(int(d) for d in static)
    dynamic = ember.shape(x)
    return tuple(d if d is not None else dynamic[i] for i, d in enumerate(static))


def stop_gradient(variable):
    """The same value with no gradient flowing back."""
    return ember.stop_gradient(tensor(variable))


def custom_gradient(f):
    """Decorator: ``f`` returns ``(output, grad_fn)``; grad_fn(upstream) gives the input
    gradients (``grad_fn(*args, upstream=None)`` as Keras documents also works)."""
    import functools

    @functools.wraps(f)
    def fresh_outputs(*args, **kwargs):
        out, grad_fn = f(*args, **kwargs)
        ids = {id(a) for a in args}
        out = ember.nest.map_structure(
            lambda o: ember.identity(o) if id(o) in ids else o, out)
        return out, grad_fn

    return ember.custom_gradient(fresh_outputs)


def cond(pred, true_fn, false_fn):
    """true_fn() if pred else false_fn(); traced as one conditional node."""
    return ember.cond(pred, true_fn, false_fn)


def _is_seq(x):
    return isinstance(x, (list, tuple))


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """Runs ``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)``.

    A single (non-tuple) loop_vars is passed and returned as itself.
    """
    single = not _is_seq(loop_vars)
    lv = (loop_vars,) if single else tuple(loop_vars)

    def _cond(*args):
        return cond(*args)

    def _body(*args):
        out = body(*args)
        out = (out,) if single or not _is_seq(out) else tuple(out)
        return out

    out = ember.while_loop(_cond, _body, lv, maximum_iterations=maximum_iterations)
    out = tuple(out) if _is_seq(out) else (out,)
    if single:
        return out[0]
    return type(loop_vars)(out) if isinstance(loop_vars, list) else out


def fori_loop(lower, upper, body_fun, init_val):
    """val = body_fun(i, val) for i in [lower, upper)."""
    if isinstance(lower, int) and isinstance(upper, int):
        val = init_val
        for i in range(lower, upper):
            val = body_fun(ember.constant(i, ember.int32), val)
        return val
    _, out = while_loop(lambda i, v: ember.less(i, upper),
                        lambda i, v: (i + 1, body_fun(i, v)),
                        (tensor(lower, "int32"), init_val))
    return out


def _leading(xs, name):
    leaves = ember.nest.flatten(xs)
    n = leaves[0].shape[0] if leaves else None
    if n is None:
        raise NotImplementedError(f"keras.ops.{name}: ember needs a static length of the "
                                  f"leading axis; received a tensor of shape "
                                  f"{leaves[0].shape}")
    return int(n)


def _index_tree(xs, i):
    return ember.nest.map_structure(lambda v: v[i], xs)


def _stack_tree(items):
    return ember.nest.map_structure(lambda *vs: ember.stack(list(vs)), *items)


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """carry, y = f(carry, x) over xs's leading axis; returns (carry, stacked ys)."""
    if xs is not None:
        xs = ember.nest.map_structure(tensor, xs)
        n = _leading(xs, "scan")
    elif length is None:
        raise ValueError("keras.ops.scan: pass xs or length")
    else:
        n = int(length)
    carry, ys = init, []
    order = range(n - 1, -1, -1) if reverse else range(n)
    for i in order:
        carry, y = f(carry, None if xs is None else _index_tree(xs, i))
        ys.append(y)
    if reverse:
        ys.reverse()
    if not ys:
        return carry, None
    return carry, (None if ys[0] is None else _stack_tree(ys))


def associative_scan(f, elems, reverse=False, axis=0):
    """Inclusive scan of the associative ``f`` along ``axis`` (prefix results)."""
    elems = ember.nest.map_structure(tensor, elems)
    leaves = ember.nest.flatten(elems)
    nd = len(leaves[0].shape)
    ax = axis % nd
    moved = ember.nest.map_structure(
        lambda v: ember.transpose(v, [ax] + [d for d in range(nd) if d != ax]), elems)
    n = _leading(moved, "associative_scan")
    order = list(range(n - 1, -1, -1)) if reverse else list(range(n))
    acc, out = None, [None] * n
    for i in order:
        cur = _index_tree(moved, i)
        acc = cur if acc is None else (f(cur, acc) if reverse else f(acc, cur))
        out[i] = acc
    stacked = _stack_tree(out)
    inv = list(range(1, ax + 1)) + [0] + list(range(ax + 1, nd))
    return ember.nest.map_structure(lambda v: ember.transpose(v, inv), stacked)


def map(f, xs):
    """Stacks f(x) over xs's leading axis."""
    xs = ember.nest.map_structure(tensor, xs)
    n = _leading(xs, "map")
    return _stack_tree([f(_index_tree(xs, i)) for i in range(n)])


def vectorized_map(function, elements):
    """function applied to each slice of elements' leading axis, results stacked."""
    return map(function, elements)


def switch(index, branches, *operands):
    """branches[index](*operands); index is clamped to [0, len(branches) - 1]."""
    idx = ember.clip_by_value(tensor(index, "int32"), 0, len(branches) - 1)
    fns = [(lambda b=b: b(*operands)) for b in branches]
    return ember.switch_case(idx, fns)


def slice(inputs, start_indices, shape):
    """inputs[start : start + shape] along every axis."""
    return ember.slice(tensor(inputs), start_indices, shape)


def slice_update(inputs, start_indices, updates):
    """inputs with the block at start_indices replaced by updates."""
    inputs = tensor(inputs)
    updates = ember.cast(tensor(updates), inputs.dtype)
    nd = len(inputs.shape)
    start = ember.cast(tensor(start_indices), "int32")
    upd_shape = ember.shape(updates)
    grids = ember.meshgrid(*[ember.range(upd_shape[d]) + start[d] for d in range(nd)],
                           indexing="ij")
    idx = ember.stack(grids, axis=-1)
    return ember.tensor_scatter_nd_update(inputs, idx, updates)


def scatter(indices, values, shape):
    """A zeros tensor of ``shape`` with values added at indices (duplicates summed)."""
    values = tensor(values)
    return ember.scatter_nd(tensor(indices, "int32"), values, shape)


def scatter_update(inputs, indices, updates):
    """inputs with the entries at indices set to updates."""
    inputs = tensor(inputs)
    return ember.tensor_scatter_nd_update(inputs, tensor(indices, "int32"),
                                          ember.cast(tensor(updates), inputs.dtype))


def unstack(x, num=None, axis=0):
    """The slices of x along axis, as a list."""
    return ember.unstack(tensor(x), num=num, axis=axis)
