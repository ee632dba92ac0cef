"""The graph compiler: optimization passes, then a flat plan of kernel calls.

``compile_plan(graph, fetches, feeds, targets)`` lowers the part of ``graph`` that the
fetches and targets need into a small IR (``Node``s over integer value ids), runs the
passes in order — constant folding, arithmetic simplification, common-subexpression
elimination, dead-code elimination, elementwise fusion, buffer reuse — and returns a
``Plan`` whose ``run`` executes kernels on NumPy arrays with no Tensor objects and no tape.
"""
from __future__ import annotations

import numpy as np

from ember.framework.errors import InvalidArgumentError, OpError
from ember.runtime.fastpath import channel_ufunc, run_in_chunks, widen_operands
from ember.engine.graph import ASSIGN_VARIABLE, READ_VARIABLE
from ember.framework.op import Op
from ember.runtime import profiling as _profiling
from ember.runtime.parallel import single_threaded_blas, spinning
from ember.engine.simplification import (  # noqa: F401  (declared by the op library)
    _SIMPLIFICATIONS, Simplification, register_simplification, simplifications,
)

__all__ = ["compile_plan", "Plan", "Node", "PASSES", "Simplification",
           "register_simplification", "simplifications"]


class Node:
    """One IR node: op applied to value ids, producing value ids."""

    __slots__ = ("op", "inputs", "outputs", "attrs", "name", "inplace", "shapes", "quiet")

    def __init__(self, op, inputs, outputs, attrs, name, shapes=()):
        self.op = op
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self.attrs = attrs
        self.name = name
        self.inplace = None      # input position whose buffer the output may overwrite
        self.shapes = shapes     # static output shapes (TensorShape), for the passes
        self.quiet = False       # runs raw ufuncs whose eager kernels silence warnings

    def __repr__(self):
        return f"Node({self.op.name} {self.inputs}->{self.outputs})"


class IR:
    """The program being optimized: nodes in execution order over integer value ids."""

    def __init__(self):
        self.nodes = []
        self.consts = {}      # value id -> array known before running
        self.feeds = []       # value ids supplied at run time
        self.fetches = []     # value ids returned
        self.shapes = {}      # value id -> static TensorShape
        self.dtypes = {}
        self.protected = set()   # ids that must not be overwritten in place (feeds, consts)
        self.exposed_variables = []   # variables whose buffers the fetches return

    def resolve(self, alias, v):
        while v in alias:
            v = alias[v]
        return v

    def apply_aliases(self, alias):
        if not alias:
            return
        for n in self.nodes:
            n.inputs = [self.resolve(alias, v) for v in n.inputs]
        self.fetches = [self.resolve(alias, v) for v in self.fetches]

    def consumers(self):
        count = {}
        for n in self.nodes:
            for v in n.inputs:
                count[v] = count.get(v, 0) + 1
        for v in self.fetches:
            count[v] = count.get(v, 0) + 1
        return count


def lower(graph, fetches, feeds, targets=()):
    """The IR for what ``fetches`` (tensors) and ``targets`` (operations) need, with
    ``feeds`` (tensors) supplied from outside."""
    ir = IR()
    ids = {}

    def vid(t):
        k = id(t)
        if k not in ids:
            ids[k] = len(ids)
            ir.shapes[ids[k]] = t.shape
            ir.dtypes[ids[k]] = t.dtype
        return ids[k]

    fed = {id(t) for t in feeds}
    for t in feeds:
        ir.feeds.append(vid(t))
    # Operations needed: backward from fetches and targets, stopping at fed tensors.
    needed = set()
    stack = [t.op for t in fetches if id(t) not in fed] + list(targets)
    while stack:
        op = stack.pop()
        if id(op) in needed:
            continue
        needed.add(id(op))
        for t in op.inputs:
            if id(t) not in fed:
                stack.append(t.op)
        stack.extend(op.control_inputs)
    # Values folded while the graph was built stay valid unless they were computed from a
    # tensor whose known value is now overridden by a feed.
    tainted = {id(t) for t in feeds if t._constant_value is not None}
    for op in graph._operations:
        if id(op) not in needed:
            continue
        depends_on_feed = any(id(t) in tainted for t in op.inputs)
        if depends_on_feed:
            tainted.update(id(t) for t in op.outputs)
        outs = [vid(t) for t in op.outputs]
        if op.op_def.name == "Const":
            ir.consts[outs[0]] = op.attrs["value"]
            continue
        if all(id(t) in fed for t in op.outputs) and op.outputs:
            continue
        known = [t._constant_value for t in op.outputs]
        if op.outputs and all(v is not None for v in known) and not op.op_def.stateful \
                and not depends_on_feed:
            for o, v in zip(outs, known):
                ir.consts[o] = v
            continue
        ir.nodes.append(Node(op.op_def, [vid(t) for t in op.inputs], outs, op.attrs, op.name,
                             [t.shape for t in op.outputs]))
    ir.fetches = [vid(t) for t in fetches]
    ir.protected = set(ir.feeds) | set(ir.consts)
    return ir


# ------------------------------------------------------------------------------ passes ---

def fold_constants(ir):
    """Runs, now, every stateless node whose inputs are all known (with its own kernel)."""
    kept = []
    for n in ir.nodes:
        if not n.op.stateful and n.inputs and all(v in ir.consts for v in n.inputs):
            try:
                out = n.op.kernel(np, *[ir.consts[v] for v in n.inputs], **n.attrs)
            except Exception:
                kept.append(n)    # report the error when the plan runs, in context
                continue
            outs = out if isinstance(out, tuple) else (out,)
            for v, a in zip(n.outputs, outs):
                ir.consts[v] = a
            continue
        kept.append(n)
    ir.nodes = kept
    ir.protected |= set(ir.consts)


def _const_scalar(ir, v):
    a = ir.consts.get(v)
    if a is None or np.ndim(a) != 0 and np.size(a) != 1:
        return None
    try:
        return float(np.asarray(a).reshape(()))
    except (TypeError, ValueError):
        return None


def _same_rank_shape(ir, a, b):
    """Static shapes that are equal with a known rank (a neutral operand changed nothing)."""
    sa, sb = ir.shapes.get(a), ir.shapes.get(b)
    return sa is not None and sb is not None and sa.rank is not None and sa == sb


def _same_static(a, b):
    return a is not None and b is not None and a.rank is not None and a == b and \
        a.is_fully_defined()


def _simplified(ir, n, producer):
    """The value n's output equals by its op's declared simplification, or None."""
    rule = _SIMPLIFICATIONS.get(id(n.op))
    if rule is None or rule.op is not n.op or not n.outputs:
        return None
    out = n.outputs[0]
    if rule.forwards:
        return n.inputs[0]
    if rule.neutral is not None:
        if len(n.inputs) != 2:
            return None
        a, b = n.inputs
        for side, keep, const in (("right", a, b), ("left", b, a)):
            if side in rule.sides and _const_scalar(ir, const) == rule.neutral and \
                    _same_rank_shape(ir, keep, out) and ir.dtypes.get(keep) is \
                    ir.dtypes.get(out):
                return keep
        return None
    if rule.same_shape:
        if _same_static(ir.shapes.get(n.inputs[0]), ir.shapes.get(out)):
            return n.inputs[0]
        return None
    src = producer.get(n.inputs[0])
    if src is not None and src.op is n.op:
        p1, p2 = src.attrs[rule.permutation], n.attrs[rule.permutation]
        if [p1[p] for p in p2] == list(range(len(p2))):
            return src.inputs[0]
    return None


def simplify_arithmetic(ir):
    """Drops what the ops' declared simplifications allow (``register_simplification``):
    x*1, 1*x, x+0, 0+x, x-0, x/1, identities, double transposes, no-op reshapes."""
    alias = {}
    kept = []
    producer = {}
    for n in ir.nodes:
        n.inputs = [ir.resolve(alias, v) for v in n.inputs]
        target = _simplified(ir, n, producer)
        if target is not None:
            alias[n.outputs[0]] = target
            continue
        for v in n.outputs:
            producer[v] = n
        kept.append(n)
    ir.nodes = kept
    ir.apply_aliases(alias)


def _freeze(value):
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, np.ndarray):
        raise TypeError
    hash(value)
    return value


def eliminate_common_subexpressions(ir):
    """Merges equal small constants, then stateless nodes that apply the same op with the
    same attrs to the same inputs."""
    seen = {}
    alias = {}
    by_value = {}
    for v, arr in list(ir.consts.items()):
        a = np.asarray(arr)
        if a.size > 64 or a.dtype == object:
            continue
        key = (a.dtype.str, a.shape, a.tobytes())
        first = by_value.setdefault(key, v)
        if first != v:
            alias[v] = first
    kept = []
    for n in ir.nodes:
        n.inputs = [ir.resolve(alias, v) for v in n.inputs]
        if n.op.stateful:
            kept.append(n)
            continue
        try:
            key = (id(n.op), tuple(n.inputs), _freeze(n.attrs))
        except TypeError:
            kept.append(n)
            continue
        prev = seen.get(key)
        if prev is not None:
            for a, b in zip(n.outputs, prev.outputs):
                alias[a] = b
            continue
        seen[key] = n
        kept.append(n)
    ir.nodes = kept
    ir.apply_aliases(alias)


def eliminate_dead_code(ir):
    """Drops nodes whose outputs nothing needs (stateful nodes always stay)."""
    live = set(ir.fetches)
    kept = []
    for n in reversed(ir.nodes):
        if n.op.stateful or any(v in live for v in n.outputs):
            kept.append(n)
            live.update(n.inputs)
    kept.reverse()
    ir.nodes = kept


def _ufunc_of(op, dtype=None):
    """The NumPy ufunc that computes ``op`` (for float outputs, ``float_ufunc`` too)."""
    u = getattr(op, "ufunc", None)
    if u is None and dtype is not None and dtype.is_floating:
        u = getattr(op, "float_ufunc", None)
    return u


def _node_ufunc(ir, n):
    return _ufunc_of(n.op, ir.dtypes.get(n.outputs[0]) if n.outputs else None)


def _can_overwrite(ir, donor, out, other_shapes):
    """True when the donor value's buffer can hold the output: same static shape and
    dtype, and every other operand broadcasts into it without growing it."""
    ds, os_ = ir.shapes.get(donor), ir.shapes.get(out)
    if ds is None or os_ is None or ds.rank is None or ds != os_:
        return False
    if ir.dtypes.get(donor) is not ir.dtypes.get(out):
        return False
    dims = ds.as_list()
    for s in other_shapes:
        if s is None or s.rank is None or s.rank > len(dims):
            return False
        for d_other, d_own in zip(reversed(s.as_list()), reversed(dims)):
            if d_other == 1:
                continue
            if d_other is None or d_own is None or d_other != d_own:
                return False
    return True


def fuse_elementwise(ir):
    """Trees of elementwise ops (each inner value used only inside the tree) become one
    fused node that computes in place in its own temporaries (the optimizer updates of
    big weights are such trees: one allocation instead of one per op)."""
    count = ir.consumers()
    position = {}
    for i, n in enumerate(ir.nodes):
        for v in n.outputs:
            position[v] = i
    producer = {v: n for n in ir.nodes for v in n.outputs}
    absorbed = set()
    clusters = {}
    for root in reversed(ir.nodes):
        if id(root) in absorbed or _node_ufunc(ir, root) is None:
            continue
        members = [root]
        frontier = [root]
        while frontier:
            node = frontier.pop()
            for v in node.inputs:
                p = producer.get(v)
                if p is None or id(p) in absorbed or any(p is m for m in members):
                    continue
                if _node_ufunc(ir, p) is None or v in ir.fetches or len(p.outputs) != 1:
                    continue
                uses = sum(m.inputs.count(v) for m in members)
                if count.get(v, 0) != uses:
                    continue
                members.append(p)
                frontier.append(p)
        if len(members) > 1:
            for m in members:
                absorbed.add(id(m))
            clusters[id(root)] = members
    if not clusters:
        return
    fused_nodes = []
    for n in ir.nodes:
        if id(n) in clusters:
            members = sorted(clusters[id(n)], key=lambda m: position[m.outputs[0]])
            fused_nodes.append(_fuse(ir, members))
        elif id(n) not in absorbed:
            fused_nodes.append(n)
    ir.nodes = fused_nodes


class FusedElementwise(Op):
    """A tree of elementwise ufuncs run as one plan step (built by the fusion pass).

    ``steps`` are ``(ufunc, argument refs, inplace)``; a ref is an input index (< number of
    inputs) or a step's result (number of inputs + step index); ``inplace`` names the
    argument whose buffer receives the result (a step result read for the last time, or
    a fresh input nobody else reads), so a tree allocates about once."""

    name = "FusedElementwise"

    def infer(self, inputs, steps):
        raise NotImplementedError("FusedElementwise exists only inside compiled plans")

    def kernel(self, xp, *arrays, steps, out_input=None):
        if len(steps) > 1:
            out = run_in_chunks(arrays, steps,
                                None if out_input is None else arrays[out_input])
            if out is not None:
                return out
        wide = widen_operands(arrays) if len(arrays) > 1 else None
        env = list(arrays) if wide is None else wide[0]
        for ufunc, args, inplace in steps:
            vals = [env[a] for a in args]
            if inplace is not None and type(vals[inplace]) is np.ndarray:
                env.append(ufunc(*vals, out=vals[inplace]))
            else:
                env.append(ufunc(*vals))
        if wide is not None:
            return env[-1].reshape(wide[1])
        return env[-1]


FUSED = FusedElementwise()


def _fuse(ir, members):
    """One FusedElementwise node for ``members`` (in execution order; the last is the root)."""
    external = []
    index = {}
    produced = {}
    steps = []
    for k, n in enumerate(members):
        args = []
        for v in n.inputs:
            if v in produced:
                args.append(("step", produced[v]))
            else:
                if v not in index:
                    index[v] = len(external)
                    external.append(v)
                args.append(("ext", index[v]))
        steps.append((n, args))
        produced[n.outputs[0]] = k
    n_ext = len(external)
    last_use = {}
    for k, (n, args) in enumerate(steps):
        for a in args:
            if a[0] == "step":
                last_use[a[1]] = k
    compiled = []
    for k, (n, args) in enumerate(steps):
        inplace = None
        for p, a in enumerate(args):
            # a step result read for the last time here, of the output's shape and dtype,
            # can hold this step's result (unchunked runs)
            if a[0] == "step" and last_use.get(a[1]) == k and \
                    sum(1 for b in args if b == a) == 1:
                others = [ir.shapes.get(n.inputs[q]) for q in range(len(args)) if q != p]
                if _can_overwrite(ir, members[a[1]].outputs[0], n.outputs[0], others):
                    inplace = p
                    break
        compiled.append((_node_ufunc(ir, n), tuple(a[1] if a[0] == "ext" else n_ext + a[1]
                                                   for a in args), inplace))
    compiled = tuple(compiled)
    root = members[-1]
    fused = Node(FUSED, external, root.outputs, {"steps": compiled},
                 "+".join(n.name for n in members), root.shapes)
    fused.quiet = any(getattr(n.op, "ufunc_quiet", False) for n in members)
    return fused


def _donor(ir, node, v, fresh, count):
    """True when node may write over value v: a fresh intermediate that node alone reads,
    once (never a feed or constant)."""
    return v in fresh and count.get(v, 0) == 1 and v not in ir.protected and \
        node.inputs.count(v) == 1


def reuse_buffers(ir):
    """An elementwise node may write into an input buffer that no one else reads: an
    intermediate made fresh by its producer (never a feed, constant or variable value).
    So may an op listing the input positions it can write its first output into
    (``donatable``): it is told which one with the attribute ``into``."""
    count = ir.consumers()
    fresh = set()
    for n in ir.nodes:
        if n.op is FUSED:
            _reuse_in_fused(ir, n, fresh, count)
        elif getattr(n.op, "donatable", ()):
            for p in n.op.donatable:
                v = n.inputs[p] if p < len(n.inputs) else None
                if _donor(ir, n, v, fresh, count) and _can_overwrite(ir, v, n.outputs[0], []):
                    n.attrs = dict(n.attrs, into=p)
                    break
        elif _node_ufunc(ir, n) is not None:
            for p, v in enumerate(n.inputs):
                if _donor(ir, n, v, fresh, count):
                    others = [ir.shapes.get(w) for q, w in enumerate(n.inputs) if q != p]
                    if _can_overwrite(ir, v, n.outputs[0], others):
                        n.inplace = p
                        break
        if getattr(n.op, "fresh_output", False) or _node_ufunc(ir, n) is not None or \
                n.op is FUSED:
            fresh.update(n.outputs)


def _fresh_values(ir):
    """Values whose arrays the plan itself allocated (no one outside holds them)."""
    fresh = set()
    for n in ir.nodes:
        if getattr(n.op, "fresh_output", False) or _node_ufunc(ir, n) is not None or \
                n.op is FUSED:
            fresh.update(n.outputs)
    return fresh


def variable_aliases(ir, fresh, upto=None):
    """id(variable) -> the values that may share its buffer: its reads and its updates'
    outputs (those at positions up to ``upto`` only, when given), and anything computed
    from them by ops that may return views (not ``fresh`` values)."""
    aliases = {}
    for i, n in enumerate(ir.nodes):
        if n.op is READ_VARIABLE or n.op is ASSIGN_VARIABLE:
            vals = aliases.setdefault(id(n.attrs["variable"]), set())
            if upto is None or i <= upto:
                vals.update(n.outputs)
            continue
        if set(n.outputs) & fresh:
            continue
        for vals in aliases.values():
            if any(v in vals for v in n.inputs):
                vals.update(n.outputs)
    return aliases


def update_variables_in_place(ir):
    """Variable updates overwrite the variable's buffer (assign_add/sub) or take over a
    fresh value's buffer (assign) when nothing read from the variable before the update is
    still needed afterwards. At run time the update still copies if the variable's array
    has been handed out (an eager read), so earlier reads stay snapshots."""
    position = {}
    for i, n in enumerate(ir.nodes):
        for v in n.outputs:
            position[v] = i
    last_use = {}
    for i, n in enumerate(ir.nodes):
        for v in n.inputs:
            last_use[v] = i
    for v in ir.fetches:
        last_use[v] = len(ir.nodes) + 1
    fresh = _fresh_values(ir)
    aliases = variable_aliases(ir, fresh)
    fetched = set(ir.fetches)
    variables = {}
    for n in ir.nodes:
        if n.op is READ_VARIABLE or n.op is ASSIGN_VARIABLE:
            variables[id(n.attrs["variable"])] = n.attrs["variable"]
    ir.exposed_variables = [variables[k] for k, vals in aliases.items() if vals & fetched]
    count = ir.consumers()
    for i, n in enumerate(ir.nodes):
        if n.op is not ASSIGN_VARIABLE:
            continue
        var_aliases = aliases.get(id(n.attrs["variable"]), set())
        value = n.inputs[-1]
        if any(v in var_aliases and position.get(v, -1) < i for v in n.inputs):
            continue
        clobbered = any(position.get(v, -1) < i and last_use.get(v, -1) > i
                        for v in var_aliases)
        if clobbered:
            continue
        attrs = dict(n.attrs)
        if attrs["kind"] == "assign":
            if value in fresh and count.get(value, 0) == 1 and value not in ir.protected:
                attrs["own_value"] = True
        else:
            attrs["in_place"] = True
        n.attrs = attrs


def _reuse_in_fused(ir, node, fresh, count):
    """The first step of a fused node may write into a fresh input nobody else reads; when
    the tree runs chunk by chunk, its result may go into any such input of the result's
    shape and dtype (``out_input``)."""
    for i, v in enumerate(node.inputs):
        if _donor(ir, node, v, fresh, count) and _can_overwrite(ir, v, node.outputs[0], []):
            # each chunk's inputs are read before its result is written, position by
            # position: the result may take a donor's place (measured: 15-20% off a
            # momentum update of a 6 MiB weight, whose gradient is the donor)
            node.attrs = dict(node.attrs, out_input=i)
            break
    steps = node.attrs["steps"]
    ufunc, args, inplace = steps[0]
    if inplace is not None:
        return
    for p, a in enumerate(args):
        v = node.inputs[a] if a < len(node.inputs) else None
        if v is None or not _donor(ir, node, v, fresh, count):
            continue
        first_out = ir.shapes.get(node.outputs[0])
        others = [ir.shapes.get(node.inputs[b]) for q, b in enumerate(args)
                  if q != p and b < len(node.inputs)]
        if first_out is not None and _can_overwrite(ir, v, node.outputs[0], others):
            node.attrs = dict(node.attrs)
            node.attrs["steps"] = ((ufunc, args, p),) + tuple(steps[1:])
            return


def fuse_layers(ir):
    """The registered fusions of stage "layers" (conv, batch-norm and ReLU sequences and
    their gradients; ember.engine.fusion, declared in ember/ops/fusions.py)."""
    from ember.engine.fusion import run_stage   # fusion imports this module
    run_stage(ir, "layers")


def fuse_into_kernels(ir):
    """The registered fusions of stage "kernels": elementwise trees run inside the kernel
    whose output they read or whose input they make, block by block."""
    from ember.engine.fusion import run_stage
    run_stage(ir, "kernels")


def fuse_updates(ir):
    """The registered fusions of stage "updates", which need the in-place decisions for
    variable updates (a dense layer's momentum update joins its input gradient)."""
    from ember.engine.fusion import run_stage
    run_stage(ir, "updates")


PASSES = [fold_constants, simplify_arithmetic, eliminate_common_subexpressions,
          eliminate_dead_code, fuse_layers, fuse_elementwise, fuse_into_kernels,
          reuse_buffers, update_variables_in_place, fuse_updates]


# -------------------------------------------------------------------------------- plan ---

class Plan:
    """A flat list of kernel calls over a list of value slots."""

    def __init__(self, ir):
        slots = {}

        def slot(v):
            if v not in slots:
                slots[v] = len(slots)
            return slots[v]

        for v in ir.feeds:
            slot(v)
        for v in ir.consts:
            slot(v)
        steps = []
        for n in ir.nodes:
            ins = tuple(slot(v) for v in n.inputs)
            outs = tuple(slot(v) for v in n.outputs)
            kernel = n.op.kernel
            attrs = n.attrs
            ufunc = _node_ufunc(ir, n)
            if ufunc is not None and _channel_broadcast(ir, n):
                steps.append((_widening_call(ufunc, n.inplace), ins, outs, n))
            elif n.inplace is not None:
                steps.append((_inplace_call(ufunc, n.inplace), ins, outs, n))
            elif ufunc is not None and not attrs:
                # dtypes were checked when the graph was built: the bare ufunc will do
                steps.append((ufunc, ins, outs, n))
            elif n.op is READ_VARIABLE and not ins and not attrs.get("for_update"):
                steps.append((_read_variable(kernel, attrs["variable"]), ins, outs, n))
            elif attrs:
                steps.append((_bind(kernel, attrs), ins, outs, n))
            else:
                steps.append((_bind(kernel, None), ins, outs, n))
        for v in ir.fetches:
            slot(v)
        self.n_slots = len(slots)
        template = [None] * self.n_slots
        for v, a in ir.consts.items():
            template[slots[v]] = a
        self.template = template
        self.feed_slots = tuple(slots[v] for v in ir.feeds)
        self.fetch_slots = tuple(slots[v] for v in ir.fetches)
        self.steps = [(fn, ins, outs[0] if len(outs) == 1 and not n.op.multi_output
                       else outs, n) for fn, ins, outs, n in steps]
        self.nodes = list(ir.nodes)
        self.consts = dict(ir.consts)
        self.exposed_variables = list(ir.exposed_variables)
        # Raw ufuncs standing in for kernels that run under np.errstate eagerly need it too.
        self._errstate = any(n.quiet or (_node_ufunc(ir, n) is not None and
                                         getattr(n.op, "ufunc_quiet", False))
                             for n in ir.nodes)
        # Kernels on ember's threads (convolutions, batch norm, pooling): BLAS stays on one
        # thread for the whole plan, so its spinning threads never compete with them.
        self._hold_blas = any(getattr(n.op, "uses_threads", False) for n in ir.nodes)

        if len(set(self.feed_slots)) == len(self.feed_slots):
            self._code = self._generate()
        else:       # one value fed twice: run step by step
            self._code = lambda *feeds: self.run_interpreted(feeds)

    def _generate(self):
        """The plan as one generated Python function: each step a line ``sK = fN(sI, sJ)``
        over local variables, so running it costs one call per kernel and nothing else."""
        produced = set()
        for _, _, out, _ in self.steps:
            produced.update((out,) if type(out) is int else out)
        params = [f"s{i}" for i in self.feed_slots]
        env = {}
        lines = [f"def plan({', '.join(params)}):"]
        for i, value in enumerate(self.template):
            if value is not None:
                env[f"s{i}"] = value
            elif f"s{i}" not in params and i not in produced:
                lines.append(f"    s{i} = None")
        self._first_step_line = len(lines) + 1
        for k, (fn, ins, out, _) in enumerate(self.steps):
            env[f"f{k}"] = fn
            call = f"f{k}({', '.join(f's{i}' for i in ins)})"
            if type(out) is int:
                lines.append(f"    s{out} = {call}")
            elif out:
                lines.append(f"    {', '.join(f's{o}' for o in out)}, = {call}")
            else:
                lines.append(f"    {call}")
        lines.append(f"    return [{', '.join(f's{i}' for i in self.fetch_slots)}]")
        namespace = {}
        exec(compile("\n".join(lines), "<ember plan>", "exec"), env, namespace)
        return namespace["plan"]

    def run(self, feeds):
        profile = _profiling.active            # ember.profiler's collector, if one runs
        if profile is not None and not profile.ops:
            profile = None
        try:
            if self._hold_blas:
                with single_threaded_blas(), spinning():
                    out = self._call(feeds, profile)
            else:
                out = self._call(feeds, profile)
            for v in self.exposed_variables:
                v._exposed = True     # the caller now holds its buffer: copy on next update
        except OpError:
            raise
        except (ValueError, TypeError, IndexError, ArithmeticError) as e:
            node = getattr(e, "ember_node", None) or self._failed_step(e)
            raise InvalidArgumentError(f"{e} (while running node '{node.name}', op "
                                       f"{node.op.name})") from None
        return out

    def _call(self, feeds, profile=None):
        if profile is None:
            code = self._code
        else:
            def code(*values):
                return self.run_interpreted(values, profile)
        if self._errstate:
            with np.errstate(all="ignore"):
                return code(*feeds)
        return code(*feeds)

    def run_interpreted(self, feeds, profile=None):
        """The same as run, one step at a time over a list of slots. With ``profile`` (the
        running ember.profiler collector) each step is an event ``node name:op type``, as
        TensorFlow's executor names a graph's ops."""
        vals = self.template.copy()
        for s, a in zip(self.feed_slots, feeds):
            vals[s] = a
        self._loop(vals, profile)
        return [vals[i] for i in self.fetch_slots]

    def _loop(self, vals, profile=None):
        now = _profiling.now
        for fn, ins, out, node in self.steps:
            started = now() if profile is not None else 0
            try:
                r = fn(*[vals[i] for i in ins])
            except (ValueError, TypeError, IndexError, ArithmeticError) as e:
                e.ember_node = node            # run names the node that failed
                raise
            if profile is not None:
                profile.add(f"{node.name}:{node.op.name}", started)
            if type(out) is int:
                vals[out] = r
            else:
                for o, v in zip(out, r):
                    vals[o] = v

    def _failed_step(self, err):
        """The step whose line of the generated function raised."""
        tb = err.__traceback__
        line = None
        while tb is not None:
            if tb.tb_frame.f_code is self._code.__code__:
                line = tb.tb_lineno
            tb = tb.tb_next
        k = -1 if line is None else line - self._first_step_line
        if 0 <= k < len(self.steps):
            return self.steps[k][3]
        return self.steps[-1][3] if self.steps else Node(FUSED, [], [], {}, "?")

    def describe(self):
        return [(n.op.name, n.name) for n in self.nodes]


def _read_variable(kernel, variable):
    def call():
        arr = variable._array
        return arr if arr is not None else kernel(np, variable)
    return call


def _bind(kernel, attrs):
    if attrs:
        def call(*arrays):
            return kernel(np, *arrays, **attrs)
    else:
        def call(*arrays):
            return kernel(np, *arrays)
    return call


def _channel_broadcast(ir, n):
    """True when the static shapes say a node combines a large array with a narrow last axis
    and per-channel values (a bias add), so widen_operands may pay off."""
    shapes = [ir.shapes.get(v) for v in n.inputs]
    if len(shapes) < 2 or any(s is None or s.rank is None for s in shapes):
        return False
    big = max(shapes, key=lambda s: s.rank)
    last = big[-1] if big.rank else None
    if big.rank < 2 or last is None or last >= 256:
        return False
    return any(s.rank < big.rank or (s.rank and s[-1] == last and
                                       all(d == 1 for d in s.as_list()[:-1]))
               for s in shapes if s is not big)


def _widening_call(ufunc, position):
    def call(*arrays):
        if position is not None and type(arrays[position]) is np.ndarray:
            return channel_ufunc(ufunc, arrays, out=arrays[position])
        return channel_ufunc(ufunc, arrays)
    return call


def _inplace_call(ufunc, position):
    def call(*arrays):
        buf = arrays[position]
        if type(buf) is np.ndarray:
            return ufunc(*arrays, out=buf)
        return ufunc(*arrays)
    return call


def compile_plan(graph, fetches, feeds=(), targets=(), passes=None):
    """Optimizes and lowers the needed part of ``graph`` into a runnable Plan."""
    ir = lower(graph, fetches, feeds, targets)
    for p in (PASSES if passes is None else passes):
        p(ir)
    return Plan(ir)
