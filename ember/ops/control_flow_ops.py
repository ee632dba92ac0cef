"""Control flow: cond, while_loop, case, switch_case — eager and traced, differentiable.

Eagerly these are plain Python branches and loops (tapes record what runs). While a graph
is built, branches and loop bodies are traced into sub-graphs and run by an ``If`` or
``While`` node; their gradients run the bodies' gradient graphs (a loop's gradient
re-runs the loop to record every iteration, then walks the iterations backwards).
"""
from __future__ import annotations

import numpy as np

from ember.framework import dtypes, nest
from ember.framework.context import context
from ember.framework.errors import InvalidArgumentError
from ember.framework.op import Op
from ember.engine.dispatch import execute
from ember.engine.subgraph import SubFunction
from ember.framework.tensor import EagerTensor, Tensor, convert_to_tensor
from ember.framework.tensor_shape import TensorShape

__all__ = ["cond", "while_loop", "case", "switch_case", "group", "no_op", "tuple_",
           "control_dependencies"]


def _known_bool(pred):
    """The value of ``pred`` if it is known now (eager or constant), else None."""
    if isinstance(pred, (bool, np.bool_)):
        return bool(pred)
    if isinstance(pred, EagerTensor):
        return bool(pred._value)
    if getattr(pred, "_is_ember_variable", False):
        return bool(np.asarray(pred)) if context.graph is None else None
    cv = getattr(pred, "_constant_value", None)
    if cv is not None:
        return bool(cv)
    if isinstance(pred, Tensor):
        return None
    return bool(pred)


def _union(*lists):
    out, seen = [], set()
    for lst in lists:
        for t in lst:
            if id(t) not in seen:
                seen.add(id(t))
                out.append(t)
    return out


def _positions(sub, all_caps):
    where = {id(t): i for i, t in enumerate(all_caps)}
    return tuple(where[id(t)] for t in sub.captures)


def _fill_missing(call, grads):
    """Upstream gradients with zeros for outputs that got none (e.g. integer counters)."""
    from ember.ops.array_ops import zeros_like
    return tuple(g if g is not None else zeros_like(o) for g, o in zip(grads, call.outputs))


# ------------------------------------------------------------------------------- If ---

class _If(Op):
    name = "If"
    relaxed_shape = True     # outputs: the shapes both branches agree on

    def output_count(self, attrs):
        return len(attrs["out_specs"])

    def infer(self, inputs, then_fn, else_fn, then_caps, else_caps, out_specs):
        return list(out_specs)

    def kernel(self, xp, pred, *caps, then_fn, else_fn, then_caps, else_caps, out_specs):
        fn, idx = (then_fn, then_caps) if bool(pred) else (else_fn, else_caps)
        return tuple(fn.run([], [caps[i] for i in idx]))

    def grad(self, call, *grads):
        grads = _fill_missing(call, grads)
        a = call.attrs
        caps = call.inputs[1:]
        cap_specs = [(t.shape, t.dtype) for t in caps]
        outs = execute(IF_GRAD, tuple(call.inputs) + tuple(grads),
                       {"then_fn": a["then_fn"], "else_fn": a["else_fn"],
                        "then_caps": a["then_caps"], "else_caps": a["else_caps"],
                        "cap_specs": tuple(cap_specs)})
        outs = outs if isinstance(outs, list) else [outs]
        return (None,) + tuple(outs)


class _IfStateful(_If):
    name = "StatefulIf"
    stateful = True


class _IfGrad(Op):
    """Gradients of an If node's captured inputs: the taken branch's gradient graph."""

    name = "IfGrad"
    differentiable = False

    def output_count(self, attrs):
        return len(attrs["cap_specs"])

    def infer(self, inputs, then_fn, else_fn, then_caps, else_caps, cap_specs):
        return list(cap_specs)

    def kernel(self, xp, pred, *rest, then_fn, else_fn, then_caps, else_caps, cap_specs):
        n = len(cap_specs)
        caps, upstream = rest[:n], rest[n:]
        fn, idx = (then_fn, then_caps) if bool(pred) else (else_fn, else_caps)
        _, cap_grads = fn.grad_run([], [caps[i] for i in idx], upstream)
        out = [np.zeros(np.shape(c), dtype=np.asarray(c).dtype) for c in caps]
        for i, g in zip(idx, cap_grads):
            out[i] = out[i] + np.asarray(g, dtype=out[i].dtype)
        return tuple(out)


_If.strings = True           # branches pass string tensors through
IF = _If()
IF_STATEFUL = _IfStateful()
IF_GRAD = _IfGrad()


def cond(pred, true_fn=None, false_fn=None, name=None):
    """``true_fn()`` if ``pred`` else ``false_fn()``; in a traced graph, only the taken
    branch runs.

    >>> ember.cond(ember.constant(3) > 2, lambda: ember.constant(1), lambda: ember.constant(0))
    """
    if true_fn is None or false_fn is None:
        raise TypeError("cond: true_fn and false_fn are required")
    known = _known_bool(pred)
    if known is not None:
        return true_fn() if known else false_fn()
    graph = context.graph
    pred = convert_to_tensor(pred)
    if pred.dtype is not dtypes.bool or (pred.shape.rank not in (None, 0)):
        raise InvalidArgumentError(f"cond: pred must be a scalar bool tensor, got "
                                   f"{pred.dtype.name} of shape {pred.shape}")
    then_fn = trace_branch(true_fn, graph, "cond_true")
    else_fn = trace_branch(false_fn, graph, "cond_false")
    _check_same_structure(then_fn, else_fn)
    return nest.pack_sequence_as(then_fn.structure, build_if(pred, then_fn, else_fn, name))


def trace_branch(fn, graph, name, input_specs=()):
    """``fn(*inputs)`` traced into a sub-graph of ``graph`` (a branch, a loop body): its
    ``structure`` and flat ``outputs`` may be narrowed before ``build_if`` compiles it."""
    return SubFunction(fn, list(input_specs), graph, name)


def build_if(pred, then_fn, else_fn, name=None):
    """The ``If`` node running one of two traced branches (same flat output dtypes);
    returns its flat outputs."""
    specs = []
    for i, (t, f) in enumerate(zip(then_fn.outputs, else_fn.outputs)):
        if t.dtype is not f.dtype:
            raise TypeError(f"cond: output {i} is {t.dtype.name} in true_fn but {f.dtype.name} "
                            f"in false_fn; both branches must return the same dtypes")
        specs.append((t.shape.most_specific_compatible_shape(f.shape), t.dtype))
    caps = _union(then_fn.captures, else_fn.captures)
    op = IF_STATEFUL if (then_fn.stateful or else_fn.stateful) else IF
    outs = execute(op, (pred,) + tuple(caps),
                   {"then_fn": then_fn, "else_fn": else_fn,
                    "then_caps": _positions(then_fn, caps), "else_caps": _positions(else_fn, caps),
                    "out_specs": tuple(specs)}, name)
    return outs if isinstance(outs, list) else [outs]


def _check_same_structure(a, b):
    try:
        nest.assert_same_structure(a.structure, b.structure)
    except ValueError:
        raise ValueError(f"cond: true_fn and false_fn must return the same structure, got "
                         f"{a.structure!r} and {b.structure!r}") from None


def case(pred_fn_pairs, default=None, exclusive=False, strict=False, name="case"):
    """Runs the function paired with the first true predicate (else ``default``)."""
    pairs = list(pred_fn_pairs.items()) if isinstance(pred_fn_pairs, dict) else \
        list(pred_fn_pairs)
    if not pairs and default is None:
        raise ValueError("case: pred_fn_pairs is empty and there is no default")
    if exclusive:
        known = [_known_bool(p) for p, _ in pairs]
        if all(k is not None for k in known) and sum(known) > 1:
            raise InvalidArgumentError("case: more than one predicate is true with "
                                       "exclusive=True")
    if default is None:
        *pairs, (_, default) = pairs

    def build(i):
        if i == len(pairs):
            return default()
        p, fn = pairs[i]
        return cond(p, fn, lambda: build(i + 1))
    return build(0)


def switch_case(branch_index, branch_fns, default=None, name="switch_case"):
    """Runs ``branch_fns[branch_index]`` (``default``, or the last branch, when out of range)."""
    if isinstance(branch_fns, dict):
        items = sorted(branch_fns.items())
    else:
        items = list(enumerate(branch_fns))
    if default is None:
        default = items[-1][1]
    index = branch_index
    known = None
    if isinstance(index, (int, np.integer)):
        known = int(index)
    elif isinstance(index, EagerTensor) or getattr(index, "_constant_value", None) is not None:
        known = int(np.asarray(index if isinstance(index, EagerTensor)
                               else index._constant_value))
    if known is not None:
        for k, fn in items:
            if k == known:
                return fn()
        return default()
    from ember.ops.math_ops import equal
    index = convert_to_tensor(index)
    return case([(equal(index, k), fn) for k, fn in items], default=default)


# ---------------------------------------------------------------------------- While ---

class _While(Op):
    name = "While"
    relaxed_shape = True     # loop variables: their shape invariants

    def output_count(self, attrs):
        return attrs["n_vars"]

    def infer(self, inputs, cond_fn, body_fn, cond_caps, body_caps, n_vars,
              maximum_iterations, var_specs):
        return list(var_specs)

    def kernel(self, xp, *arrays, cond_fn, body_fn, cond_caps, body_caps, n_vars,
               maximum_iterations, var_specs):
        loop_vars = list(arrays[:n_vars])
        caps = arrays[n_vars:]
        c_caps = [caps[i] for i in cond_caps]
        b_caps = [caps[i] for i in body_caps]
        it = 0
        while (maximum_iterations is None or it < maximum_iterations) and \
                bool(cond_fn.run(loop_vars, c_caps)[0]):
            loop_vars = body_fn.run(loop_vars, b_caps)
            it += 1
        return tuple(loop_vars)

    def grad(self, call, *grads):
        grads = _fill_missing(call, grads)
        a = call.attrs
        n = a["n_vars"]
        specs = [(t.shape, t.dtype) for t in call.inputs]
        outs = execute(WHILE_GRAD, tuple(call.inputs) + tuple(grads),
                       dict(a, in_specs=tuple(specs)))
        outs = outs if isinstance(outs, list) else [outs]
        return tuple(outs[:n]) + tuple(outs[n:])


class _WhileStateful(_While):
    name = "StatefulWhile"
    stateful = True


class _WhileGrad(Op):
    """Re-runs the loop recording each iteration's variables, then applies the body's
    gradient graph to the iterations in reverse."""

    name = "WhileGrad"
    differentiable = False

    def output_count(self, attrs):
        return len(attrs["in_specs"])

    def infer(self, inputs, in_specs, **attrs):
        return list(in_specs)

    def kernel(self, xp, *arrays, cond_fn, body_fn, cond_caps, body_caps, n_vars,
               maximum_iterations, var_specs, in_specs):
        n_in = len(in_specs)
        inputs, upstream = arrays[:n_in], list(arrays[n_in:])
        loop_vars = list(inputs[:n_vars])
        caps = inputs[n_vars:]
        c_caps = [caps[i] for i in cond_caps]
        b_caps = [caps[i] for i in body_caps]
        history = []
        it = 0
        while (maximum_iterations is None or it < maximum_iterations) and \
                bool(cond_fn.run(loop_vars, c_caps)[0]):
            history.append(loop_vars)
            loop_vars = body_fn.run(loop_vars, b_caps)
            it += 1
        g = [np.asarray(u) for u in upstream]
        cap_grads = [np.zeros(np.shape(c), dtype=np.asarray(c).dtype) for c in caps]
        for step_vars in reversed(history):
            g_vars, g_caps = body_fn.grad_run(step_vars, b_caps, g)
            g = [np.asarray(x) for x in g_vars]
            for i, gc in zip(body_caps, g_caps):
                cap_grads[i] = cap_grads[i] + np.asarray(gc, dtype=cap_grads[i].dtype)
        g = [np.asarray(x, dtype=np.asarray(v).dtype).reshape(np.shape(v))
             for x, v in zip(g, inputs[:n_vars])]
        return tuple(g) + tuple(cap_grads)


_While.strings = True        # loop variables may be string tensors
WHILE = _While()
WHILE_STATEFUL = _WhileStateful()
WHILE_GRAD = _WhileGrad()


def while_loop(cond, body, loop_vars, shape_invariants=None, parallel_iterations=10,
               back_prop=True, swap_memory=False, maximum_iterations=None, name=None):
    """Repeats ``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)`` is true.

    >>> ember.while_loop(lambda i: i < 10, lambda i: (i + 1,), [ember.constant(0)])
    """
    structure = loop_vars
    flat = nest.flatten(loop_vars)
    is_seq = isinstance(loop_vars, (list, tuple))

    def call(fn, vals):
        packed = nest.pack_sequence_as(structure, list(vals))
        return fn(*packed) if is_seq else fn(packed)

    def normalize(out):
        if is_seq and not isinstance(out, (list, tuple)):
            out = [out]
        if is_seq and len(structure) == 1 and isinstance(out, (list, tuple)) and \
                len(out) == 1 and not isinstance(structure[0], (list, tuple, dict)):
            out = [out[0]]
        try:
            res = nest.flatten(out)
            if len(res) != len(flat):
                raise ValueError
        except ValueError:
            raise ValueError(f"while_loop: body must return the same structure as loop_vars "
                             f"({len(flat)} values), got {out!r}") from None
        return res

    graph = context.graph
    if graph is None:
        vals = [v if isinstance(v, Tensor) or getattr(v, "_is_ember_variable", False)
                else convert_to_tensor(v) for v in flat]
        it = 0
        while maximum_iterations is None or it < int(maximum_iterations):
            if not bool(call(cond, vals)):
                break
            vals = [convert_to_tensor(v) for v in normalize(call(body, vals))]
            it += 1
        return nest.pack_sequence_as(structure, vals)

    vals = [convert_to_tensor(v) for v in flat]
    if shape_invariants is not None:
        inv = [TensorShape(s) if not isinstance(s, TensorShape) else s
               for s in nest.flatten(shape_invariants)]
    else:
        inv = [v.shape for v in vals]
    specs = [(s, v.dtype) for s, v in zip(inv, vals)]
    limit = maximum_iterations
    counted = isinstance(limit, Tensor) and not isinstance(limit, EagerTensor) and \
        limit._constant_value is None
    if counted:
        # A limit known only at run time: count iterations in an extra loop variable.
        from ember.ops import math_ops
        vals = [convert_to_tensor(np.zeros((), limit.dtype.np))] + vals
        specs = [(TensorShape([]), limit.dtype)] + specs
        cond_fn = SubFunction(lambda i, *xs: math_ops.logical_and(
            math_ops.less(i, limit), convert_to_tensor(call(cond, xs))), specs, graph,
            "while_cond")
        body_fn = SubFunction(lambda i, *xs: [i + 1] + normalize(call(body, xs)), specs,
                              graph, "while_body")
        maximum_iterations = None
    else:
        cond_fn = SubFunction(lambda *xs: call(cond, xs), specs, graph, "while_cond")
        body_fn = SubFunction(lambda *xs: normalize(call(body, xs)), specs, graph,
                              "while_body")
    for i, (out, (shape, dtype), v) in enumerate(zip(body_fn.outputs, specs, vals)):
        if out.dtype is not dtype:
            raise TypeError(f"while_loop: loop variable {i} enters as {dtype.name} but the "
                            f"body returns {out.dtype.name}")
        if not shape.is_compatible_with(out.shape) or (
                shape.rank is not None and out.shape.rank is not None and
                any(a is not None and b is None for a, b in zip(shape, out.shape))):
            raise ValueError(
                f"Input tensor {i} enters the loop with shape {shape}, but has shape "
                f"{out.shape} after one iteration. To allow the shape to vary across "
                f"iterations, use the `shape_invariants` argument of while_loop to specify a "
                f"less-specific shape.")
    caps = _union(cond_fn.captures, body_fn.captures)
    op = WHILE_STATEFUL if body_fn.stateful or cond_fn.stateful else WHILE
    max_it = None if maximum_iterations is None else int(
        np.asarray(maximum_iterations if not isinstance(maximum_iterations, Tensor) or
                   isinstance(maximum_iterations, EagerTensor)
                   else maximum_iterations._constant_value))
    outs = execute(op, tuple(vals) + tuple(caps),
                   {"cond_fn": cond_fn, "body_fn": body_fn,
                    "cond_caps": _positions(cond_fn, caps), "body_caps": _positions(body_fn, caps),
                    "n_vars": len(vals), "maximum_iterations": max_it,
                    "var_specs": tuple(specs)}, name)
    outs = outs if isinstance(outs, list) else [outs]
    if counted:
        outs = outs[1:]
    return nest.pack_sequence_as(structure, outs)


# -------------------------------------------------------------------- group, no_op ---

def no_op(name=None):
    """An operation that does nothing (a target for control dependencies)."""
    from ember.engine.graph import NO_OP
    graph = context.graph
    if graph is None:
        return None
    return graph._add_operation(NO_OP, [], {}, name or "NoOp", [])


def group(*inputs, name=None):
    """One operation that runs all ``inputs`` (operations or tensors) when run."""
    from ember.engine.graph import NO_OP, Operation, SymbolicTensor
    graph = context.graph
    if graph is None:
        return None
    deps = []
    for x in nest.flatten(list(inputs)):
        if isinstance(x, Operation):
            deps.append(x)
        elif isinstance(x, SymbolicTensor):
            deps.append(x.op)
        elif x is not None and getattr(x, "_is_ember_variable", False):
            continue
    node = graph._add_operation(NO_OP, [], {}, name or "group_deps", [])
    node.control_inputs.extend(deps)
    return node


def tuple_(tensors, control_inputs=None, name=None):
    return list(tensors)


class _NullContext:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def control_dependencies(control_inputs):
    """Operations made inside the block run after ``control_inputs`` (operations or
    tensors). Eagerly everything already ran in order, so it does nothing.

    >>> with tf.control_dependencies([tf.debugging.assert_positive(x)]):
    ...     y = tf.math.log(x)
    """
    graph = context.graph
    if graph is None:
        return _NullContext()
    if control_inputs is not None:
        control_inputs = [c for c in control_inputs if c is not None and not isinstance(
            c, EagerTensor) and not getattr(c, "_is_ember_variable", False)]
    return graph.control_dependencies(control_inputs)
