"""GradientTape, the backward walker shared by tapes and graphs, and custom_gradient."""
from __future__ import annotations

import contextlib
import functools

import numpy as np

from ember.framework import nest
from ember.framework.context import context, current as _current, new_state as _new_state
from ember.framework.hooks import library
from ember.framework.op import Op, OpCall

__all__ = ["GradientTape", "UnconnectedGradients", "custom_gradient", "backward", "record"]


class UnconnectedGradients:
    NONE = "none"
    ZERO = "zero"


def record(op, inputs, outputs, attrs):
    """Called by the dispatcher for each differentiable eager op while tapes record."""
    for tape in (_current(None) or _new_state()).tapes:
        watched = tape._watched
        for t in inputs:
            if id(t) in watched:
                tape._calls.append(OpCall(op, inputs, outputs, attrs))
                for o in outputs:
                    watched[id(o)] = o
                break


class GradientTape:
    """Records operations on watched tensors and variables to compute gradients.

    >>> x = ember.Variable(3.0)
    >>> with ember.GradientTape() as tape:
    ...     y = x ** 2
    >>> float(tape.gradient(y, x))
    6.0
    """

    def __init__(self, persistent: bool = False, watch_accessed_variables: bool = True):
        self._persistent = persistent
        self._watch_accessed = watch_accessed_variables
        self._watched = {}       # id -> tensor or variable
        self._variables = {}     # id -> variable, in first-access order
        self._calls = []
        self._recording = False
        self._used = False

    # -- recording -------------------------------------------------------------------
    def __enter__(self):
        self._push()
        return self

    def __exit__(self, *exc):
        self._pop()
        return False

    def _push(self):
        if self._recording:
            raise ValueError("This GradientTape is already recording.")
        context.tapes.append(self)
        self._recording = True

    def _pop(self):
        if self._recording:
            if self in context.tapes:       # (not when left from another thread)
                context.tapes.remove(self)
            self._recording = False

    def watch(self, tensor):
        """Ensures ``tensor`` (or each tensor/variable in a structure) is traced by this tape."""
        for t in nest.flatten(tensor):
            if getattr(t, "_is_ember_variable", False):
                self._variables.setdefault(id(t), t)
                self._watched[id(t)] = t
            elif hasattr(t, "dtype") and hasattr(t, "shape"):
                self._watched[id(t)] = t
            else:
                raise ValueError(f"GradientTape.watch expects tensors or variables, got "
                                 f"{type(t).__name__}")

    def _watch_if_accessed(self, var):
        if self._watch_accessed and var.trainable and id(var) not in self._watched:
            self._watched[id(var)] = var
            self._variables[id(var)] = var

    def _variable_read(self, var, tensor):
        self._watch_if_accessed(var)
        if id(var) in self._watched:
            self._calls.append(OpCall(READ_VARIABLE, (var,), (tensor,), {}))
            self._watched[id(tensor)] = tensor

    def watched_variables(self):
        return tuple(self._variables.values())

    @contextlib.contextmanager
    def stop_recording(self):
        """Temporarily stops recording operations on this tape."""
        if not self._recording:
            raise ValueError("Tape.stop_recording() is only valid while the tape is recording.")
        self._pop()
        try:
            yield
        finally:
            self._push()

    def reset(self):
        """Clears everything recorded so far."""
        self._calls = []
        self._watched = {}
        self._variables = {}

    # -- gradients ---------------------------------------------------------------------
    def gradient(self, target, sources, output_gradients=None,
                 unconnected_gradients=UnconnectedGradients.NONE):
        """Gradients of ``target`` (any structure of tensors) w.r.t. ``sources`` (any
        structure of tensors or variables), with the structure of ``sources``."""
        if self._used and not self._persistent:
            raise RuntimeError("A non-persistent GradientTape can only be used to compute one "
                               "set of gradients (or jacobians)")
        self._used = True
        targets = nest.flatten(target)
        srcs = nest.flatten(sources)
        if output_gradients is not None:
            ograds = nest.flatten(output_gradients)
            if len(ograds) != len(targets):
                raise ValueError(f"GradientTape.gradient: {len(targets)} targets but "
                                 f"{len(ograds)} output_gradients")
        else:
            ograds = [None] * len(targets)
        with self._paused():
            grads = backward(self._calls, targets, ograds, srcs, unconnected_gradients)
        if not self._persistent:
            self._calls = []
        return nest.pack_sequence_as(sources, grads)

    @contextlib.contextmanager
    def _paused(self):
        was = self._recording
        if was:
            self._pop()
        try:
            yield
        finally:
            if was:
                self._push()

    def jacobian(self, target, sources, unconnected_gradients=UnconnectedGradients.NONE,
                 parallel_iterations=None, experimental_use_pfor=True):
        """d target / d source for each source, shaped ``target.shape + source.shape``."""
        if self._used and not self._persistent:
            raise RuntimeError("A non-persistent GradientTape can only be used to compute one "
                               "set of gradients (or jacobians)")
        self._used = True
        target = _as_tensor(target)
        srcs = nest.flatten(sources)
        n = int(target.shape.num_elements())
        tshape = target.shape.as_list()
        rows = [[] for _ in srcs]
        with self._paused():
            for i in range(n):
                onehot = library.one_hot_flat(i, n, target.dtype, tshape)
                gs = backward(self._calls, [target], [onehot], srcs, unconnected_gradients)
                for k, g in enumerate(gs):
                    rows[k].append(g)
        out = []
        for s, r in zip(srcs, rows):
            sshape = s.shape.as_list()
            if all(g is None for g in r):
                out.append(None)
                continue
            r = [g if g is not None else library.zeros(sshape, s.dtype) for g in r]
            stacked = library.stack(r) if r else library.zeros([0] + sshape, s.dtype)
            out.append(library.reshape(stacked, tshape + sshape))
        if not self._persistent:
            self._calls = []
        return nest.pack_sequence_as(sources, out)

    def batch_jacobian(self, target, source, unconnected_gradients=UnconnectedGradients.NONE,
                       parallel_iterations=None, experimental_use_pfor=True):
        """Per-example jacobians: ``target[b, ...]`` w.r.t. ``source[b, ...]``, shaped
        ``[b] + target.shape[1:] + source.shape[1:]``; examples must be independent."""
        if self._used and not self._persistent:
            raise RuntimeError("A non-persistent GradientTape can only be used to compute one "
                               "set of gradients (or jacobians)")
        self._used = True
        target = _as_tensor(target)
        tshape = target.shape.as_list()
        sshape = source.shape.as_list()
        if tshape[0] != sshape[0]:
            raise ValueError(f"batch_jacobian: target batch size {tshape[0]} differs from "
                             f"source batch size {sshape[0]}")
        b = tshape[0]
        per = 1
        for d in tshape[1:]:
            per *= d
        cols = []
        with self._paused():
            for j in range(per):
                onehot = library.one_hot_rows(j, per, b, target.dtype, tshape)
                (g,) = backward(self._calls, [target], [onehot], [source], unconnected_gradients)
                if g is None:
                    if unconnected_gradients == UnconnectedGradients.NONE:
                        if not self._persistent:
                            self._calls = []
                        return None
                    g = library.zeros(sshape, source.dtype)
                cols.append(library.reshape(g, [b, -1]))
        stacked = library.stack(cols, axis=1)
        if not self._persistent:
            self._calls = []
        return library.reshape(stacked, [b] + tshape[1:] + sshape[1:])


def _as_tensor(t):
    from ember.framework.tensor import convert_to_tensor
    return convert_to_tensor(t)


class _ReadVariable(Op):
    """A variable read seen by a tape: the gradient passes straight to the variable."""

    name = "ReadVariableOp"
    grad_passes_slices = True

    def infer(self, inputs):
        return inputs[0].shape, inputs[0].dtype

    def kernel(self, xp, value):
        return value

    def grad(self, call, g):
        return (g,)


READ_VARIABLE = _ReadVariable()


def _float_like(t):
    d = t.dtype
    return d.is_floating or d.is_complex


# gradient functions by name (tf.RegisterGradient); None for "not differentiable"
GRADIENT_REGISTRY = {}


def _overridden_gradient(call, name, out_grads):
    if name not in GRADIENT_REGISTRY:
        raise LookupError(f"gradient_override_map names gradient {name!r} for operation "
                          f"'{call.name}' ({call.type}), but no gradient is registered "
                          f"under that name (tf.RegisterGradient({name!r}))")
    fn = GRADIENT_REGISTRY[name]
    if fn is None:
        return (None,) * len(call.inputs)
    grads = fn(call, *out_grads)
    if grads is None or not isinstance(grads, (list, tuple)):
        grads = (grads,)
    return tuple(grads)


def backward(calls, targets, target_grads, sources, unconnected=UnconnectedGradients.NONE):
    """Reverse-mode differentiation over recorded calls (tape entries or graph nodes).

    Sums each input's gradient back to the input's shape (undoing broadcasting) here,
    once, so op gradients may return broadcast-shaped results.
    """

    producer = {}
    for i, c in enumerate(calls):
        for o in c.outputs:
            producer[id(o)] = i
    # Calls on some path from a source to a target: reachable backward from the targets ...
    needed = set()
    stack = [t for t in targets if id(t) in producer]
    seen = set()
    while stack:
        t = stack.pop()
        i = producer.get(id(t))
        if i is None or i in needed:
            continue
        needed.add(i)
        for inp in calls[i].inputs:
            if id(inp) not in seen:
                seen.add(id(inp))
                stack.append(inp)
    # ... and forward from the sources.
    live = {id(s) for s in sources}
    order = sorted(needed)
    for i in order:
        c = calls[i]
        if any(id(inp) in live for inp in c.inputs):
            for o in c.outputs:
                live.add(id(o))

    grads = {}
    for t, g in zip(targets, target_grads):
        if id(t) not in live:
            continue
        if g is None:
            g = library.ones_like(t)
        elif not _is_slices(g):
            g = _as_tensor(g)
        _accumulate(grads, t, g)

    for i in reversed(order):
        c = calls[i]
        if not any(id(o) in grads for o in c.outputs):
            continue
        if not any(id(inp) in live for inp in c.inputs):
            continue
        out_grads = []
        fill = not c.op.grad_accepts_none
        for o in c.outputs:
            g = grads.get(id(o))
            if g is None and fill and _float_like(o):
                g = library.zeros_like(o)
            elif _is_slices(g) and not c.op.grad_passes_slices:
                g = _as_tensor(g)
            out_grads.append(g)
        c.needs = tuple(id(inp) in live and _float_like(inp) for inp in c.inputs)
        override = getattr(c, "_gradient_override", None)
        if override is None:
            in_grads = c.op.grad(c, *out_grads)
        else:           # Graph.gradient_override_map: a function RegisterGradient named
            in_grads = _overridden_gradient(c, override, out_grads)
        if not isinstance(in_grads, (list, tuple)):
            in_grads = (in_grads,)
        if len(in_grads) != len(c.inputs):
            raise ValueError(f"gradient of {c.op.name} returned {len(in_grads)} values for "
                             f"{len(c.inputs)} inputs")
        for inp, g in zip(c.inputs, in_grads):
            if g is None or id(inp) not in live or not _float_like(inp):
                continue
            if not _is_slices(g):
                g = library.sum_to_shape_of(_as_tensor(g), inp)
            _accumulate(grads, inp, g)

    result = []
    for s in sources:
        g = grads.get(id(s))
        if g is None and unconnected == UnconnectedGradients.ZERO:
            g = library.zeros_like(s) if hasattr(s, "op") or type(s).__name__ == \
                "EagerTensor" else library.zeros(s.shape.as_list(), s.dtype)
        elif g is not None and not _float_like(s):
            g = None
        result.append(g)
    return result


def _is_slices(g):
    return getattr(g, "_ember_indexed_slices", False)


def _accumulate(grads, t, g):
    """Adds ``g`` to ``t``'s gradient so far. As in TensorFlow, IndexedSlices added to
    IndexedSlices are concatenated (rows listed twice sum when densified), and an
    IndexedSlices added to a dense gradient is densified."""
    prev = grads.get(id(t))
    if prev is None:
        grads[id(t)] = g
    elif _is_slices(prev) or _is_slices(g):
        grads[id(t)] = library.add_gradients(prev, g)
    else:
        grads[id(t)] = library.add(prev, g)


class _CustomGradientOp(Op):
    """Wraps a function whose gradient the user supplies (``custom_gradient``)."""

    name = "CustomGradient"

    def output_count(self, attrs):
        return attrs["n_out"]

    def infer(self, inputs, **attrs):
        raise NotImplementedError("CustomGradient is recorded, never executed")

    def grad(self, call, *grads):
        fn = call.attrs["grad_fn"]
        n_in = call.attrs["n_in"]
        variables = call.attrs["variables"]
        upstream = nest.pack_sequence_as(call.attrs["structure"], list(grads))
        if not isinstance(call.attrs["structure"], (list, tuple)):
            upstream = [upstream]
        if variables:
            result, var_grads = fn(*upstream, variables=list(variables))
        else:
            result, var_grads = fn(*upstream), []
        in_grads = nest.flatten(result) if isinstance(result, (list, tuple)) else [result]
        if len(in_grads) != n_in:
            raise ValueError(f"custom_gradient: the gradient function returned "
                             f"{len(in_grads)} gradients for {n_in} inputs")
        return tuple(in_grads) + tuple(var_grads)


CUSTOM_GRADIENT = _CustomGradientOp()


def custom_gradient(f=None):
    """Decorator: ``f(*x)`` returns ``(y, grad_fn)``; tapes then use ``grad_fn(*dy)``.

    If ``f`` reads variables, ``grad_fn(*dy, variables=None)`` returns
    ``(input_grads, variable_grads)``.

    >>> @ember.custom_gradient
    ... def clip_grad(x):
    ...     return ember.identity(x), lambda dy: ember.clip_by_value(dy, -1., 1.)
    """
    if f is None:
        return custom_gradient

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        # The same eagerly and while tracing: f's own ops run (or join the graph) unrecorded,
        # and active tapes record one call whose gradient is grad_fn.
        inputs = [_as_tensor(a) if _is_tensorlike(a) else a for a in args]
        outer = list(context.tapes)
        probe = GradientTape(watch_accessed_variables=True)
        for t in outer:
            t._pop()
        try:
            with probe:
                y, grad_fn = f(*inputs, **kwargs)
        finally:
            for t in outer:
                t._push()
        variables = [v for v in probe.watched_variables()]
        outs = nest.flatten(y)
        if outer:
            tensor_inputs = tuple(t for t in inputs if _is_tensorlike(t))
            attrs = {"grad_fn": grad_fn, "n_in": len(tensor_inputs), "variables": variables,
                     "structure": y, "n_out": len(outs)}
            call_inputs = tensor_inputs + tuple(variables)
            for tape in outer:
                for v in variables:
                    tape._watch_if_accessed(v)
            record(CUSTOM_GRADIENT, call_inputs, tuple(outs), attrs)
        return y

    return wrapper


def recompute_grad(f):
    """``f`` that keeps none of its intermediate values for the backward pass: the
    gradient runs ``f`` again on the same inputs under a tape (trading compute for memory,
    as ``tf.recompute_grad``). Gradients equal ``f``'s own, variables included.

    >>> block = ember.recompute_grad(lambda x: ember.nn.relu(dense(x)))
    """
    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        @custom_gradient
        def inner(*inputs):
            result = f(*inputs, **kwargs)

            def grad_fn(*upstream, variables=None):
                with GradientTape() as tape:
                    watched = [i for i in inputs if _is_tensorlike(i)]
                    for i in watched:
                        tape.watch(i)
                    again = f(*inputs, **kwargs)
                sources = list(watched) + list(variables or [])
                grads = tape.gradient(again, sources, output_gradients=list(upstream)
                                      if len(upstream) > 1 else upstream[0])
                n = len(watched)
                if variables:
                    return grads[:n], grads[n:]
                return grads[:n]
            return result, grad_fn
        return inner(*args)
    return wrapper


def _is_tensorlike(a):
    from ember.framework.tensor import Tensor
    if isinstance(a, bool):
        return False
    return isinstance(a, (Tensor, np.ndarray, float, int)) or \
        getattr(a, "_is_ember_variable", False)
