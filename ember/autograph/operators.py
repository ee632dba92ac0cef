"""AutoGraph's run-time helpers: the converted code calls these (as ``ag__.if_stmt`` ...),
and they decide when the code runs whether a statement stays Python or becomes a graph
construct.

A statement becomes ``cond``/``while_loop`` when its condition (or the iterated object) is
a symbolic tensor, i.e. a tensor of a graph being traced; otherwise it runs as plain Python.
Statements hand their variables over as a *state*: ``get_state()`` returns the current
values of the variables the statement modifies, ``set_state(values)`` sets them.
"""
from __future__ import annotations

import builtins
import sys

import numpy as np

from ember.framework import nest
from ember.framework.tensor import EagerTensor, Tensor, convert_to_tensor
from ember.framework.tensor_shape import TensorShape

__all__ = ["Undefined", "UndefinedReturnValue", "if_stmt", "while_stmt", "for_stmt", "and_",
           "or_", "not_", "if_exp", "retval", "print_", "assert_stmt", "autograph_artifact",
           "set_loop_options", "ld_attr", "set_attr"]


# ------------------------------------------------------------------------ undefined ---

class AutoGraphUndefinedError(UnboundLocalError):
    """A variable the converted code left undefined was used."""


class Undefined:
    """The value of a variable that has no value (yet) at this point of converted code.

    Any use raises an error that names the variable and says why it is undefined."""

    __slots__ = ("symbol_name", "reason")

    def __init__(self, symbol_name, reason=None):
        self.symbol_name = symbol_name
        self.reason = reason

    def _fail(self, *args, **kwargs):
        msg = self.reason or f"local variable '{self.symbol_name}' is used before it is assigned"
        raise AutoGraphUndefinedError(msg)

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        self._fail()

    def __repr__(self):
        return f"<undefined {self.symbol_name}>"

    __bool__ = __call__ = __iter__ = __len__ = __getitem__ = __setitem__ = _fail
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = _fail
    __rtruediv__ = __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = __pow__ = _fail
    __rpow__ = __matmul__ = __rmatmul__ = __neg__ = __pos__ = __abs__ = __invert__ = _fail
    __lt__ = __le__ = __gt__ = __ge__ = __and__ = __rand__ = __or__ = __ror__ = _fail
    __xor__ = __rxor__ = __array__ = __index__ = __int__ = __float__ = _fail


class UndefinedReturnValue(Undefined):
    """``retval_`` before any ``return`` ran: a function that ends without returning
    returns None."""

    __slots__ = ()

    def __init__(self):
        super().__init__("retval_", "the function's return value is used before it is set")


def _undefined_to_tensor(value, dtype=None, name=None, as_ref=False):
    value._fail()


def _register_conversion():
    from ember.framework.tensor import register_tensor_conversion_function
    register_tensor_conversion_function(Undefined, _undefined_to_tensor, priority=1)


_register_conversion()


def retval(value):
    """The converted function's result: None when no ``return`` ran."""
    if isinstance(value, UndefinedReturnValue):
        return None
    for leaf in nest.flatten(value):
        if isinstance(leaf, Undefined):
            leaf._fail()
    return value


def ld_attr(obj, attr):
    """``obj.attr``, or Undefined when it has not been set yet."""
    try:
        return getattr(obj, attr)
    except AttributeError:
        return Undefined(f"{type(obj).__name__}.{attr}")


def set_attr(obj, attr, value):
    """``obj.attr = value`` (an Undefined value removes the attribute)."""
    if isinstance(value, Undefined):
        try:
            delattr(obj, attr)
        except AttributeError:
            pass
        return
    setattr(obj, attr, value)


def autograph_artifact(fn):
    """Marks a function made by converted code (it is not converted again when called)."""
    try:
        fn.__ag_converted__ = True
    except (AttributeError, TypeError):
        pass
    return fn


# -------------------------------------------------------------------------- helpers ---

def _is_symbolic(x) -> bool:
    """A tensor of a graph being traced (its value is known only when the graph runs)."""
    if isinstance(x, Tensor):
        return not isinstance(x, EagerTensor)
    if getattr(x, "_is_ember_variable", False):
        from ember.framework.context import context
        return context.graph is not None
    return False


def _graph():
    from ember.framework.context import context
    return context.graph


def _bool_tensor(value, what):
    import ember
    t = convert_to_tensor(value)
    if t.dtype is not ember.bool:
        raise TypeError(f"{what} must be a bool tensor, got a {t.dtype.name} tensor; compare "
                        f"it explicitly (e.g. `x > 0`)")
    if t.shape.rank not in (None, 0):
        raise ValueError(f"{what} must be a scalar bool tensor, got shape {t.shape}")
    return t


def _is_tensorish_leaf(v) -> bool:
    return isinstance(v, (Tensor, np.ndarray, np.generic, bool, int, float, complex)) or \
        getattr(v, "_is_ember_variable", False)


def _where(lineno):
    return f" (line {lineno})" if lineno else ""


def _to_tensors(value, name, where):
    """The leaves of a state value as tensors (an error naming the variable otherwise)."""
    out = []
    for leaf in nest.flatten(value):
        if getattr(leaf, "_is_ember_variable", False):
            leaf = leaf.value()
        if not _is_tensorish_leaf(leaf) or isinstance(leaf, complex):
            raise ValueError(
                f"'{name}' is a Python {type(leaf).__name__} that the {where} changes; a "
                f"statement with a tensor condition can only carry tensors (and Python "
                f"numbers, converted to tensors) from one iteration or branch to the next")
        out.append(convert_to_tensor(leaf))
    return out


# --------------------------------------------------------------------------- if ---

def if_stmt(cond, body, orelse, get_state, set_state, symbol_names, lineno=None):
    """``if cond: body() else: orelse()``; a graph ``cond`` when ``cond`` is symbolic."""
    if _is_symbolic(cond):
        _graph_if(cond, body, orelse, get_state, set_state, symbol_names, lineno)
    elif cond:
        body()
    else:
        orelse()


def _graph_if(cond, body, orelse, get_state, set_state, names, lineno):
    from ember.ops import control_flow_ops as cf
    pred = _bool_tensor(cond, f"The condition of the if statement{_where(lineno)}")
    init = tuple(get_state())
    where = f"if statement{_where(lineno)}"
    seen = {}

    def branch(fn, key):
        def run():
            set_state(tuple(_fresh(v) for v in init))    # each branch mutates its own lists
            fn()
            out = tuple(get_state())
            seen[key] = out
            result = {}
            for i, (v, v0) in enumerate(zip(out, init)):
                if isinstance(v, Undefined) or _same(v, v0) and not _all_tensorish(v):
                    continue
                result[i] = nest.pack_sequence_as(v, _to_tensors(v, names[i], where))
            return result
        return run

    graph = _graph()
    then_fn = cf.trace_branch(branch(body, "main"), graph, "cond_true")
    else_fn = cf.trace_branch(branch(orelse, "else"), graph, "cond_false")
    then_out, else_out = seen["main"], seen["else"]
    final = list(init)
    keep = []
    for i, name in enumerate(names):
        t, e = then_out[i], else_out[i]
        t_undef, e_undef = isinstance(t, Undefined), isinstance(e, Undefined)
        if _same(t, init[i]) and _same(e, init[i]):
            continue                                     # unchanged in both branches
        if t_undef and e_undef:
            final[i] = t if t is init[i] else e
            continue
        if t_undef or e_undef:
            if isinstance(t if t_undef else e, UndefinedReturnValue):
                keep.append(i)                           # filled with zeros below
                continue
            missing = "else" if e_undef else "main"
            final[i] = Undefined(name, f"'{name}' must also be initialized in the {missing} "
                                       f"branch of the {where}, whose condition is a tensor")
            continue
        if i not in then_fn.structure or i not in else_fn.structure:
            kind = type(t if i not in then_fn.structure else e).__name__
            raise ValueError(f"'{name}' is a Python {kind} that only one branch of the "
                             f"{where} changes; the condition is a tensor, so both branches "
                             f"must give it a tensor value")
        keep.append(i)
    _fill_undefined_returns(then_fn, else_fn, keep)
    _check_branch_specs(then_fn, else_fn, keep, names, where)
    for fn in (then_fn, else_fn):
        _select_outputs(fn, keep)
    outs = cf.build_if(pred, then_fn, else_fn)
    it = iter(outs)
    for i in keep:
        struct = then_fn.structure[i]
        final[i] = nest.pack_sequence_as(struct, [next(it) for _ in nest.flatten(struct)])
    set_state(tuple(final))


def _fresh(v):
    """A copy of a list or dict state value (its leaves shared), anything else itself."""
    if isinstance(v, (list, dict)):
        return nest.pack_sequence_as(v, nest.flatten(v))
    return v


def _all_tensorish(v):
    return all(_is_tensorish_leaf(x) and not isinstance(x, complex) for x in nest.flatten(v))


def _same(v, v0):
    """``v`` is ``v0``, or an unchanged copy of the list/dict ``v0``."""
    if v is v0:
        return True
    if isinstance(v0, (list, dict)) and type(v) is type(v0):
        try:
            nest.assert_same_structure(v, v0)
        except (ValueError, TypeError):
            return False
        return all(a is b for a, b in zip(nest.flatten(v), nest.flatten(v0)))
    return False


def _slot_outputs(fn):
    """slot -> the branch graph's output tensors of that slot."""
    it = iter(fn.outputs)
    return {k: [next(it) for _ in nest.flatten(fn.structure[k])]
            for k in sorted(fn.structure)}


def _fill_undefined_returns(then_fn, else_fn, keep):
    """A return value set in one branch only gets zeros of its type in the other (the
    do_return flag makes sure they are never used)."""
    for src, dst in ((then_fn, else_fn), (else_fn, then_fn)):
        for i in keep:
            if i in src.structure and i not in dst.structure:
                outs = _slot_outputs(src)[i]
                graph = dst.graph
                zeros = [graph.constant(np.zeros([0 if d is None else d for d in
                                                  (o.shape.as_list() if o.shape.rank is not None
                                                   else [])], dtype=o.dtype.np))
                         for o in outs]
                per = _slot_outputs(dst)
                per[i] = zeros
                dst.structure = dict(dst.structure)
                dst.structure[i] = nest.pack_sequence_as(src.structure[i], zeros)
                dst.outputs = [o for k in sorted(dst.structure) for o in per[k]]


def _check_branch_specs(then_fn, else_fn, keep, names, where):
    t_outs, e_outs = _slot_outputs(then_fn), _slot_outputs(else_fn)
    for i in keep:
        try:
            nest.assert_same_structure(then_fn.structure[i], else_fn.structure[i])
        except (ValueError, TypeError):
            raise ValueError(f"'{names[i]}' has a different structure in the main and else "
                             f"branches of the {where}: {then_fn.structure[i]!r} and "
                             f"{else_fn.structure[i]!r}") from None
        for a, b in zip(t_outs[i], e_outs[i]):
            if a.dtype is not b.dtype:
                raise TypeError(f"'{names[i]}' has dtype {a.dtype.name} in the main branch, "
                                f"but dtype {b.dtype.name} in the else branch of the {where}")


def _select_outputs(fn, keep):
    """Keeps only the slots in ``keep`` as the branch's outputs (before it is compiled)."""
    per = _slot_outputs(fn)
    fn.outputs = [o for i in keep for o in per[i]]
    fn.structure = {i: fn.structure[i] for i in keep}


def if_exp(cond, if_true, if_false, expr_repr=None):
    """``if_true() if cond else if_false()``; a graph ``cond`` when ``cond`` is symbolic."""
    if _is_symbolic(cond):
        import ember
        return ember.cond(_bool_tensor(cond, f"The condition of `{expr_repr}`"), if_true,
                          if_false)
    return if_true() if cond else if_false()


# ------------------------------------------------------------------------ logic ---

def and_(a_fn, b_fn):
    """``a and b``: ``b`` is evaluated only where ``a`` is true (a graph cond for tensors)."""
    a = a_fn()
    if _is_symbolic(a):
        import ember
        a = _bool_tensor(a, "The left operand of `and`")
        return ember.cond(a, lambda: _bool_tensor(b_fn(), "The right operand of `and`"),
                          lambda: a)
    return a and b_fn()


def or_(a_fn, b_fn):
    """``a or b``: ``b`` is evaluated only where ``a`` is false."""
    a = a_fn()
    if _is_symbolic(a):
        import ember
        a = _bool_tensor(a, "The left operand of `or`")
        return ember.cond(a, lambda: a,
                          lambda: _bool_tensor(b_fn(), "The right operand of `or`"))
    return a or b_fn()


def not_(a):
    """``not a``; ``logical_not`` for symbolic tensors."""
    if _is_symbolic(a):
        import ember
        return ember.logical_not(_bool_tensor(a, "The operand of `not`"))
    return not a


# ------------------------------------------------------------------------ loops ---

_SHAPE_HINT = ("Use tf.autograph.experimental.set_loop_options(shape_invariants=[(var, "
               "shape)]) at the start of the loop body to allow the shape to change.")


def while_stmt(test, body, get_state, set_state, symbol_names, opts=None, lineno=None):
    """``while test(): body()``; a graph ``while_loop`` once ``test()`` is symbolic."""
    opts = opts or {}
    t = test()
    while True:
        if _is_symbolic(t):
            _graph_while(t, test, body, get_state, set_state, symbol_names, opts,
                         f"while loop{_where(lineno)}")
            return
        if not t:
            return
        body()
        t = test()


def for_stmt(iterable, extra_test, body, get_state, set_state, symbol_names, opts=None,
             lineno=None):
    """``for item in iterable: body(item)`` (stopping when ``extra_test()`` is false); a
    graph ``while_loop`` over the indices when ``iterable`` is a symbolic tensor.

    An iterable with a method ``_autograph_for_stmt(extra_test, body, get_state,
    set_state, symbol_names, opts)`` runs the loop itself (how a Dataset can become one
    graph loop); other Python iterables (lists, ranges of Python ints, iterators) are
    iterated in Python, each iteration traced in turn."""
    opts = opts or {}
    where = f"for loop{_where(lineno)}"
    if isinstance(iterable, _IndexedIterable) or _is_symbolic(iterable):
        seq = iterable if isinstance(iterable, _IndexedIterable) else _IndexedIterable.of(
            iterable)
        _graph_for(seq, extra_test, body, get_state, set_state, symbol_names, opts, where)
        return
    hook = getattr(iterable, "_autograph_for_stmt", None)
    if hook is not None:
        hook(extra_test, body, get_state, set_state, symbol_names, opts)
        return
    guarded = False
    for item in iterable:
        if extra_test is not None:
            t = extra_test()
            if _is_symbolic(t):
                guarded = True
            if guarded:
                # a break or return decided by a tensor: the rest of the Python loop's
                # iterations run under a graph cond on the flag
                if_stmt(t, lambda item=item: body(item), lambda: None, get_state, set_state,
                        symbol_names, lineno)
                continue
            if not t:
                return
        body(item)


class _IndexedIterable:
    """Something a graph loop walks by index: a tensor's rows, ``enumerate``/``zip`` of
    tensors."""

    def __init__(self, length, item):
        self.length = length
        self.item = item

    @classmethod
    def of(cls, x):
        import ember
        x = convert_to_tensor(x)
        if x.shape.rank == 0:
            raise TypeError("Cannot iterate over a scalar tensor")
        n = x.shape[0] if x.shape.rank is not None else None
        length = n if n is not None else ember.shape(x)[0]
        return cls(length, lambda i: ember.gather(x, i))


def _loop_slots(init):
    """Which state slots a graph loop carries: (carried, undefined-return, python)."""
    carried, undef_ret, python = [], [], []
    for i, v in enumerate(init):
        if isinstance(v, UndefinedReturnValue):
            undef_ret.append(i)
        elif isinstance(v, Undefined):
            continue
        elif _all_tensorish(v):
            carried.append(i)
        else:
            python.append(i)
    return carried, undef_ret, python


def _graph_for(seq, extra_test, body, get_state, set_state, names, opts, where):
    index = [0]

    def get_state2():
        return tuple(get_state()) + (index[0],)

    def set_state2(values):
        set_state(tuple(values[:-1]))
        index[0] = values[-1]

    def test():
        import ember
        more = ember.less(index[0], seq.length)
        if extra_test is None:
            return more
        return and_(lambda: more, extra_test)

    def body2():
        i = index[0]
        body(seq.item(i))
        index[0] = i + 1

    _graph_while(test(), test, body2, get_state2, set_state2,
                 tuple(names) + ("<loop index>",), opts, where)


def _graph_while(first_test, test, body, get_state, set_state, names, opts, where):
    import ember
    del first_test   # the test is traced again inside the loop's condition graph
    init = list(get_state())
    carried, undef_ret, python = _loop_slots(init)
    if undef_ret:
        carried = sorted(carried + _initialize_returns(init, undef_ret, carried, body,
                                                       get_state, set_state, names))
    if not carried:
        raise ValueError(f"The {where} has a tensor condition but changes no variable, so it "
                         f"would never end; its body must update the variables its "
                         f"condition reads")
    invariants = _shape_invariants(opts, init, names)
    # copies: a list the body mutates in place must still show its old structure
    structs = {i: nest.pack_sequence_as(init[i], nest.flatten(init[i])) for i in carried}
    flat_init, flat_names, flat_inv = [], [], []
    for i in carried:
        leaves = _to_tensors(init[i], names[i], where)
        flat_init.extend(leaves)
        many = len(leaves) > 1
        for k, leaf in enumerate(leaves):
            flat_names.append(f"{names[i]}[{k}]" if many else names[i])
            flat_inv.append(invariants.get((i, k), leaf.shape))

    def unflatten(flat):
        state = list(init)
        for i in python:
            state[i] = init[i]
        for i, v in enumerate(init):
            if isinstance(v, Undefined) and i not in carried:
                state[i] = v
        it = iter(flat)
        for i in carried:
            struct = structs[i]
            state[i] = nest.pack_sequence_as(struct, [next(it) for _ in nest.flatten(struct)])
        return tuple(state)

    def cond_fn(*flat):
        set_state(unflatten(flat))
        return _bool_tensor(test(), f"The condition of the {where}")

    def body_fn(*flat):
        set_state(unflatten(flat))
        body()
        out = list(get_state())
        for i in python:
            if out[i] is not init[i]:
                raise ValueError(
                    f"'{names[i]}' is a Python {type(init[i]).__name__} that the {where} "
                    f"changes; a loop with a tensor condition can only carry tensors (and "
                    f"Python numbers, converted to tensors)")
        result = []
        k = 0
        for i in carried:
            v = out[i]
            if isinstance(v, Undefined):
                raise ValueError(f"'{names[i]}' has no value at the end of an iteration of the "
                                 f"{where}")
            try:
                nest.assert_same_structure(structs[i], v)
            except (ValueError, TypeError):
                if isinstance(v, list):
                    raise ValueError(
                        f"'{names[i]}' is a Python list that the {where} changes (appends "
                        f"to); a loop with a tensor condition runs as one graph loop and "
                        f"cannot grow a Python list. Collect the values in a tf.TensorArray "
                        f"(ta = ta.write(i, value)) and use ta.stack() after the loop") \
                        from None
                raise ValueError(f"'{names[i]}' has structure {structs[i]!r} before the "
                                 f"{where} but {v!r} after one iteration") from None
            for leaf in nest.flatten(v):
                name, before, inv = flat_names[k], flat_init[k], flat_inv[k]
                if not isinstance(leaf, Tensor) and not getattr(
                        leaf, "_is_ember_variable", False):
                    leaf = convert_to_tensor(leaf, dtype_hint=before.dtype)
                leaf = convert_to_tensor(leaf)
                if leaf.dtype is not before.dtype:
                    raise TypeError(f"'{name}' has dtype {before.dtype.name} before the {where}, "
                                    f"but dtype {leaf.dtype.name} after one iteration")
                if not _fits(inv, leaf.shape):
                    raise ValueError(f"'{name}' has shape {inv} before the {where}, but shape "
                                     f"{leaf.shape} after one iteration. {_SHAPE_HINT}")
                result.append(leaf)
                k += 1
        return result

    final = ember.while_loop(cond_fn, body_fn, flat_init, shape_invariants=flat_inv,
                             maximum_iterations=opts.get("maximum_iterations"))
    final = final if isinstance(final, (list, tuple)) else [final]
    state = list(unflatten(list(final)))
    for i, v in enumerate(init):
        if isinstance(v, Undefined) and not isinstance(v, UndefinedReturnValue) and \
                i not in carried:
            state[i] = Undefined(names[i], f"'{names[i]}' must be defined before the {where} "
                                           f"(it has a tensor condition) to be used after it")
    set_state(tuple(state))


def _fits(invariant, shape):
    if not invariant.is_compatible_with(shape):
        return False
    if invariant.rank is None:
        return True
    if shape.rank is None:
        return False
    return all(a is None or b is not None for a, b in zip(invariant, shape))


def _shape_invariants(opts, init, names):
    """(slot, leaf index) -> TensorShape from set_loop_options(shape_invariants=...)."""
    out = {}
    for pair in opts.get("shape_invariants") or ():
        var, shape = pair
        found = False
        for i, v in enumerate(init):
            leaves = nest.flatten(v)
            for k, leaf in enumerate(leaves):
                if leaf is var:
                    out[(i, k)] = shape if isinstance(shape, TensorShape) else TensorShape(shape)
                    found = True
        if not found:
            raise ValueError(f"set_loop_options: shape_invariants names {var!r}, which is not a "
                             f"variable the loop changes ({', '.join(names)})")
    return out


def _initialize_returns(init, undef_ret, carried, body, get_state, set_state, names):
    """A ``return`` inside a graph loop: trace the body once to learn the type of the
    returned value, and start the loop with zeros of that type."""
    import ember
    from ember.ops import control_flow_ops as cf
    # copies: a list the body mutates in place must still show its old structure
    structs = {i: nest.pack_sequence_as(init[i], nest.flatten(init[i])) for i in carried}
    specs, flat = [], []
    for i in carried:
        for leaf in _to_tensors(init[i], names[i], "loop"):
            specs.append((leaf.shape, leaf.dtype))
            flat.append(leaf)
    found = {}

    def dry(*xs):
        state = list(init)
        it = iter(xs)
        for i in carried:
            state[i] = nest.pack_sequence_as(structs[i], [next(it) for _ in
                                                          nest.flatten(structs[i])])
        set_state(tuple(state))
        body()
        out = get_state()
        for i in undef_ret:
            if not isinstance(out[i], Undefined):
                found[i] = nest.map_structure(
                    lambda t: _ZerosLike(convert_to_tensor(t)), out[i])
        return [ember.constant(0)]

    cf.trace_branch(dry, _graph(), "loop_dry_run", specs)
    set_state(tuple(init))
    for i in found:
        init[i] = nest.map_structure(lambda spec: spec.make(), found[i])
    set_state(tuple(init))
    return sorted(found)   # a return the traced body never reaches stays undefined


class _ZerosLike:
    """Shape and dtype of a value, to make zeros of later (0 for unknown dimensions)."""

    def __init__(self, t):
        self.shape = t.shape
        self.dtype = t.dtype

    def make(self):
        import ember
        dims = [] if self.shape.rank is None else [0 if d is None else d
                                                   for d in self.shape.as_list()]
        return ember.zeros(dims, dtype=self.dtype)


def set_loop_options(parallel_iterations=None, swap_memory=None, maximum_iterations=None,
                     shape_invariants=None):
    """Options for the loop whose body starts with this call (shape invariants, an
    iteration limit). Outside converted code it does nothing.

    >>> for i in tf.range(n):
    ...     tf.autograph.experimental.set_loop_options(shape_invariants=[(x, [None])])
    ...     x = tf.concat([x, [i]], 0)
    """
    return None


# -------------------------------------------------------------------- builtins ---

def print_(*objects, sep=" ", end="\n", file=None, flush=False):
    """``print``: ``tf.print`` when an argument is a tensor of a graph being traced (it
    prints each time the graph runs), Python's print otherwise."""
    if _graph() is not None and any(isinstance(o, Tensor) or
                                    getattr(o, "_is_ember_variable", False)
                                    for o in nest.flatten(list(objects))):
        import ember
        stream = file if file is not None else sys.stdout
        return ember.print(*objects, sep=sep, end=end, output_stream=stream)
    return builtins.print(*objects, sep=sep, end=end, file=file, flush=flush)


def len_(x):
    """``len``: the static length, or ``shape(x)[0]`` when it is known only at run time."""
    if _is_symbolic(x):
        import ember
        x = convert_to_tensor(x)
        if x.shape.rank == 0:
            raise ValueError("len() of a scalar tensor is not defined")
        if x.shape.rank is not None and x.shape[0] is not None:
            return x.shape[0]
        return ember.shape(x)[0]
    return len(x)


def range_(*args):
    """``range``: ``tf.range`` when an argument is symbolic."""
    if any(_is_symbolic(a) for a in args):
        import ember
        return ember.range(*args)
    return range(*args)


def enumerate_(iterable, start=0):
    if _is_symbolic(iterable):
        seq = _IndexedIterable.of(iterable)
        return _IndexedIterable(seq.length, lambda i: (i + start, seq.item(i)))
    return enumerate(iterable, start)


def zip_(*iterables):
    if iterables and any(_is_symbolic(x) for x in iterables):
        import ember
        seqs = [_IndexedIterable.of(x) for x in iterables]
        length = seqs[0].length
        for s in seqs[1:]:
            length = ember.minimum(length, s.length)
        return _IndexedIterable(length, lambda i: tuple(s.item(i) for s in seqs))
    return zip(*iterables)


def _cast_builtin(py_type, dtype_name):
    def convert(x=0, *args):
        if _is_symbolic(x) and not args:
            import ember
            return ember.cast(x, getattr(ember, dtype_name))
        return py_type(x, *args)
    convert.__name__ = py_type.__name__ + "_"
    return convert


int_ = _cast_builtin(int, "int32")
float_ = _cast_builtin(float, "float32")

BUILTIN_OVERRIDES = {
    builtins.print: print_, builtins.len: len_, builtins.range: range_,
    builtins.enumerate: enumerate_, builtins.zip: zip_, builtins.int: int_,
    builtins.float: float_,
}


def assert_stmt(expression, message_fn=None):
    """``assert``: ``tf.debugging.Assert`` for symbolic conditions."""
    if _is_symbolic(expression):
        import ember
        msg = message_fn() if message_fn is not None else "Assertion failed"
        return ember.debugging.Assert(expression, [msg])
    if not expression:
        if message_fn is None:
            raise AssertionError()
        raise AssertionError(message_fn())
    return None
