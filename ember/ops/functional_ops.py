"""Higher-order functions over the first axis: ``map_fn``, ``scan``, ``foldl``, ``foldr``,
``vectorized_map``.

Eagerly they loop in Python and stack the results; inside a traced function they become
one ``while_loop`` whose results are collected in ``TensorArray``s, so the number of
elements may be known only when the graph runs. Gradients flow through both.
"""
from __future__ import annotations

from ember.framework import dtypes, nest
from ember.framework.context import context
from ember.framework.tensor import convert_to_tensor

__all__ = ["map_fn", "scan", "foldl", "foldr", "vectorized_map"]


def _converted(fn):
    """``fn`` as AutoGraph converts it while a graph is traced (as TensorFlow converts the
    functions given to map_fn and friends); itself otherwise."""
    if context.graph is None:
        return fn
    from ember.engine import function as function_module
    hook = function_module.autograph_hook
    return hook(fn) if hook is not None else fn


def _leading(flat, what):
    """The common first dimension of the element tensors (an int, or a tensor)."""
    from ember.ops.array_ops import shape as shape_of
    if not flat:
        raise ValueError(f"{what}: elems must contain at least one tensor")
    static = None
    for t in flat:
        if t.shape.rank == 0:
            raise ValueError(f"{what}: elements must have rank >= 1 (they are unstacked along "
                             f"the first axis), got a scalar")
        d = t.shape[0] if t.shape.rank is not None else None
        if d is not None:
            if static is not None and d != static:
                raise ValueError(f"{what}: all elems must have the same first dimension, got "
                                 f"{static} and {d}")
            static = d
    return static if static is not None else shape_of(flat[0])[0]


def _spec_dtypes(signature, like):
    """Output dtypes per leaf from ``fn_output_signature``/``dtype`` (None: like elems)."""
    if signature is None:
        return [t.dtype for t in nest.flatten(like)], like
    leaves = nest.flatten(signature)
    out = []
    for s in leaves:
        if hasattr(s, "dtype") and not isinstance(s, dtypes.DType):
            out.append(dtypes.as_dtype(s.dtype))
        else:
            out.append(dtypes.as_dtype(s))
    return out, signature


def _check_output(result, structure, out_dtypes, what):
    flat = [convert_to_tensor(r) for r in nest.flatten(result)]
    try:
        nest.assert_same_structure(nest.pack_sequence_as(structure, [0] * len(
            nest.flatten(structure))), nest.pack_sequence_as(result, [0] * len(flat)))
    except (ValueError, TypeError):
        raise ValueError(f"{what}: fn returned {result!r}, which does not match the expected "
                         f"structure {structure!r}; pass fn_output_signature when the output "
                         f"differs from elems") from None
    for t, d in zip(flat, out_dtypes):
        if t.dtype is not d:
            raise TypeError(f"{what}: fn returned a {t.dtype.name} tensor where "
                            f"{d.name} was expected (set fn_output_signature)")
    return flat


def map_fn(fn, elems, dtype=None, parallel_iterations=None, back_prop=True,
           swap_memory=False, infer_shape=True, name=None, fn_output_signature=None):
    """``stack([fn(e) for e in unstack(elems)])`` over nested ``elems``.

    >>> tf.map_fn(lambda x: x * x, tf.constant([1, 2, 3]))
    <tf.Tensor: shape=(3,), dtype=int32, numpy=array([1, 4, 9], dtype=int32)>
    >>> tf.map_fn(tf.strings.length, tf.constant(["a", "bc"]), fn_output_signature=tf.int32)
    """
    from ember.ops.array_ops import gather, stack
    fn = _converted(fn)
    signature = fn_output_signature if fn_output_signature is not None else dtype
    flat_elems = [convert_to_tensor(e) for e in nest.flatten(elems)]
    elems = nest.pack_sequence_as(elems, flat_elems)
    n = _leading(flat_elems, "map_fn")
    out_dtypes, structure = _spec_dtypes(signature, elems)

    def element(i):
        return nest.pack_sequence_as(elems, [gather(e, i) for e in flat_elems])

    if context.graph is None:
        results = [_check_output(fn(element(i)), structure, out_dtypes, "map_fn")
                   for i in range(int(n))]
        if not results:
            raise ValueError("map_fn: elems have no rows; the result shape cannot be known "
                             "eagerly without an element")
        return nest.pack_sequence_as(structure, [stack(list(col)) for col in zip(*results)])
    return _graph_map(fn, element, n, structure, out_dtypes)


def _graph_map(fn, element, n, structure, out_dtypes):
    from ember.ops import control_flow_ops
    from ember.ops.tensor_array_ops import TensorArray
    shapes = {}
    tas = [TensorArray(d, size=n) for d in out_dtypes]

    def body(i, tas):
        flat = _check_output(fn(element(i)), structure, out_dtypes, "map_fn")
        for k, t in enumerate(flat):
            shapes[k] = t.shape
        return i + 1, [ta.write(i, t) for ta, t in zip(tas, flat)]

    _, tas = control_flow_ops.while_loop(lambda i, _: i < n, body, [0, tas])
    return nest.pack_sequence_as(structure, [_stacked(ta, n, shapes.get(k))
                                             for k, ta in enumerate(tas)])


def _stacked(ta, n, elem_shape):
    """``ta.stack()`` with the static shape the loop body showed."""
    from ember.ops.array_ops import reshape
    out = ta.stack()
    rows = n if isinstance(n, int) else None
    if elem_shape is not None and elem_shape.is_fully_defined():
        return reshape(out, [-1 if rows is None else rows] + elem_shape.as_list())
    return out


def scan(fn, elems, initializer=None, parallel_iterations=10, back_prop=True,
         swap_memory=False, infer_shape=True, reverse=False, name=None):
    """The running results of ``a = fn(a, e)`` over ``elems``, stacked (the first element
    starts ``a`` when there is no ``initializer``).

    >>> tf.scan(lambda a, x: a + x, tf.constant([1, 2, 3, 4]))
    <tf.Tensor: shape=(4,), dtype=int32, numpy=array([ 1,  3,  6, 10], dtype=int32)>
    """
    from ember.ops.array_ops import concat, expand_dims, reverse as reverse_, stack
    fn = _converted(fn)
    flat_elems = [convert_to_tensor(e) for e in nest.flatten(elems)]
    if reverse:
        flat_elems = [reverse_(e, [0]) for e in flat_elems]
    elems = nest.pack_sequence_as(elems, flat_elems)
    n = _leading(flat_elems, "scan")
    rows = _element_fn(elems, flat_elems)
    first = None
    start = 0
    if initializer is None:
        a = rows(0)
        first = a
        start = 1
    else:
        a = nest.map_structure(convert_to_tensor, initializer)
    flat_a = nest.flatten(a)
    if context.graph is None:
        outs = [nest.flatten(first)] if first is not None else []
        for i in range(start, int(n)):
            a = nest.map_structure(convert_to_tensor, fn(a, rows(i)))
            outs.append(nest.flatten(a))
        if not outs:
            raise ValueError("scan: elems have no rows")
        result = [stack(list(col)) for col in zip(*outs)]
    else:
        result = _graph_scan(fn, rows, a, flat_a, start, n)
        if first is not None:
            result = [concat([expand_dims(f, 0), r], 0) for f, r in zip(nest.flatten(first),
                                                                          result)]
    if reverse:
        result = [reverse_(r, [0]) for r in result]
    return nest.pack_sequence_as(a, result)


def _element_fn(elems, flat_elems):
    from ember.ops.array_ops import gather

    def rows(i):
        return nest.pack_sequence_as(elems, [gather(e, i) for e in flat_elems])
    return rows


def _graph_scan(fn, rows, a, flat_a, start, n):
    from ember.ops import control_flow_ops
    from ember.ops.tensor_array_ops import TensorArray
    count = n - start
    tas = [TensorArray(t.dtype, size=count) for t in flat_a]

    def body(i, acc, tas):
        new = fn(nest.pack_sequence_as(a, acc), rows(i))
        flat = _accumulator(new, a, "scan")
        return i + 1, flat, [ta.write(i - start, t) for ta, t in zip(tas, flat)]

    _, _, tas = control_flow_ops.while_loop(lambda i, acc, t: i < n, body,
                                            [start, list(flat_a), tas])
    return [_stacked(ta, count if isinstance(count, int) else None, t.shape)
            for ta, t in zip(tas, flat_a)]


def _accumulator(new, like, what):
    flat = [convert_to_tensor(t) for t in nest.flatten(new)]
    if len(flat) != len(nest.flatten(like)):
        raise ValueError(f"{what}: fn must return the accumulator's structure {like!r}, got "
                         f"{new!r}")
    return flat


def _fold(fn, elems, initializer, reverse, what):
    from ember.ops import control_flow_ops
    from ember.ops.array_ops import reverse as reverse_
    fn = _converted(fn)
    flat_elems = [convert_to_tensor(e) for e in nest.flatten(elems)]
    if reverse:
        flat_elems = [reverse_(e, [0]) for e in flat_elems]
    elems = nest.pack_sequence_as(elems, flat_elems)
    n = _leading(flat_elems, what)
    rows = _element_fn(elems, flat_elems)
    start = 0
    if initializer is None:
        a, start = rows(0), 1
    else:
        a = nest.map_structure(convert_to_tensor, initializer)
    if context.graph is None:
        for i in range(start, int(n)):
            a = fn(a, rows(i))
        return a
    like = a

    def body(i, acc):
        return i + 1, _accumulator(fn(nest.pack_sequence_as(like, acc), rows(i)), like, what)

    _, acc = control_flow_ops.while_loop(lambda i, acc: i < n, body,
                                         [start, nest.flatten(like)])
    return nest.pack_sequence_as(like, acc)


def foldl(fn, elems, initializer=None, parallel_iterations=10, back_prop=True,
          swap_memory=False, name=None):
    """``a = fn(a, e)`` over ``elems`` from first to last; returns the final ``a``.

    >>> tf.foldl(lambda a, x: a + x, tf.constant([1, 2, 3]))   # 6
    """
    return _fold(fn, elems, initializer, False, "foldl")


def foldr(fn, elems, initializer=None, parallel_iterations=10, back_prop=True,
          swap_memory=False, name=None):
    """``a = fn(a, e)`` over ``elems`` from last to first; returns the final ``a``."""
    return _fold(fn, elems, initializer, True, "foldr")


def vectorized_map(fn, elems, fallback_to_while_loop=True, warn=True):
    """``fn`` applied to every row of ``elems`` (as ``map_fn``), vectorized: ``fn`` is
    traced once and its ops run once on the whole batch (ember/ops/vectorize.py). When
    some op of ``fn`` has no batching rule, it runs row by row instead
    (``fallback_to_while_loop=False`` makes that a ValueError).

    >>> tf.vectorized_map(lambda x: tf.reduce_sum(x), tf.ones([4, 3])).numpy()
    array([3., 3., 3., 3.], dtype=float32)
    """
    from ember.ops.array_ops import gather, stack
    from ember.ops.vectorize import vectorize
    fn = _converted(fn)
    flat = [convert_to_tensor(e) for e in nest.flatten(elems)]
    n = _leading(flat, "vectorized_map")
    if isinstance(n, int) and n > 0 and all(t.shape.rank is not None for t in flat):
        out = vectorize(fn, elems, flat, n)
        if out is not None:
            return out
    if not fallback_to_while_loop:
        raise ValueError("vectorized_map: fn uses an op ember cannot vectorize, and "
                         "fallback_to_while_loop is False")
    rows = _element_fn(nest.pack_sequence_as(elems, flat), flat)
    if context.graph is None:
        outs = [fn(rows(i)) for i in range(int(n))]
        if not outs:
            raise ValueError("vectorized_map: elems have no rows")
        return nest.pack_sequence_as(outs[0], [stack([convert_to_tensor(t) for t in col])
                                               for col in zip(*map(nest.flatten, outs))])
    # the output signature from one traced call (its ops are never run: nothing reads them)
    probe = fn(nest.pack_sequence_as(elems, [gather(e, 0) for e in flat]))
    signature = nest.map_structure(lambda t: convert_to_tensor(t).dtype, probe)
    return map_fn(fn, elems, fn_output_signature=signature)

