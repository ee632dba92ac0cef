"""The fused kernels of the op library, declared for the compiler (ember.engine.fusion).

Each ``Fusion`` below names the op definitions it matches (objects, not names), the
plan-only ops it makes, the rewrite over the compiler's IR and a reference: the unfused
sequence written with public ops, which tests/engine/test_fusion_table.py compiles and
checks against eager execution. The fused kernels themselves are defined in their
family's module (conv_ops, normalization_ops, pool_ops, linalg_ops).

A Keras conv block (Conv -> bias -> BatchNormalization -> ReLU), its pooling and dropout,
its gradient and the optimizer's update run as a few long passes over large arrays;
each pass NumPy makes costs a trip through memory. These rewrites let one kernel do the
work of several while a block of the data is in the core's cache:

- ``Conv`` whose only consumer adds a per-channel bias (channels-last)
  -> ``_Fused{Conv}Bias``: the bias is added to each block of the output as it is made;
- ``FusedBatchNormV3`` whose y feeds only a ``Relu`` (and the ``ReluGrad``s of that ReLU,
  which may read the ReLU's output instead: relu(y) > 0 exactly where y > 0)
  -> ``_FusedBatchNormRelu``;
- ``ReluGrad`` whose only consumer is ``FusedBatchNormGradV3`` (as dy)
  -> ``_FusedBatchNormGradEx`` with ``relu``; ``SumToShape``/``Sum`` of its dx to one
  value per channel (a bias gradient) -> its fourth output (``with_sum``);
- ``x * cast(mask)`` with a bool mask -> ``x * mask`` (any dropout's keep mask);
- a ReLU mask after a max pooling's gradient -> a mask of the pooled gradient before it;
- a convolution's input and filter gradients -> ``_Fused{Conv}Backprop`` (one pass over dy);
- after elementwise fusion, a fused elementwise tree that only a max pooling's gradient
  reads -> ``_MaxPool{..}GradEx``, one reading a max pooling's output ->
  ``_MaxPool{..}Ex``, and one reading a 2-D product nobody else reads -> ``_MatMulEx``;
  a dropout keep mask (uniforms compared with a rate, either way round) is drawn inside
  the pooling too;
- after the in-place decisions, a dense layer's momentum update joins the product of its
  input gradient -> ``_MatMulGradUpdate``.

Each rewrite keeps every value's meaning, so plans compute the same numbers as the
unfused ops up to float rounding. What the patterns need, and so which optimizers and
dropouts fuse, is written in docs/architecture.md ("Fused kernels").
"""
from __future__ import annotations

import numpy as np

from ember.engine.compiler import FUSED as FUSED_ELEMENTWISE
from ember.engine.compiler import _fresh_values, _fuse, _node_ufunc, variable_aliases
from ember.engine.fusion import Dataflow as _Graph
from ember.engine.fusion import Fusion, register_fusion
from ember.engine.fusion import channels_last as _channels_last
from ember.engine.fusion import known_shape as _known_shape
from ember.engine.fusion import last_axis as _last_axis
from ember.engine.fusion import new_values
from ember.engine.fusion import node as _node
from ember.engine.fusion import rebuild as _rebuild
from ember.engine.fusion import single as _single
from ember.engine.fusion import static_shape as _static
from ember.engine.graph import ASSIGN_VARIABLE, READ_VARIABLE
from ember.engine.tape import GradientTape
from ember.framework import dtypes
from ember.framework.tensor import constant
from ember.framework.variables import Variable
from ember.ops import (array_ops, conv_ops, linalg_ops, math_ops, nn_ops, normalization_ops,
                       pool_ops, random_ops, reduce_ops)

__all__ = ["FUSIONS"]

# op definitions -> the fused kernels that replace them
_CONVS = [ops[0] for ops in conv_ops._CONV_OPS.values()]
_WITH_BIAS = {op: conv_ops.FUSED_CONV_BIAS[op.name] for op in _CONVS}
_BACKPROPS = {ops[1]: (ops[2], conv_ops.FUSED_CONV_BACKPROP[ops[0].name])
              for ops in conv_ops._CONV_OPS.values()}      # input grad: (filter grad, fused)
_POOL_EX = {ops["max"]: ops["max_ex"] for ops in pool_ops._POOL_OPS.values()}
_POOLS_EX = set(_POOL_EX.values())
_GRAD_EX = {ops["max_grad"]: ops["max_grad_ex"] for ops in pool_ops._POOL_OPS.values()}
# comparisons that make a dropout keep mask from uniforms: the NumPy function's name
_KEEP_TESTS = {math_ops.GREATER_EQUAL: "greater_equal", math_ops.GREATER: "greater",
               math_ops.LESS: "less", math_ops.LESS_EQUAL: "less_equal"}


def fuse_conv_bias(ir):
    g = _Graph(ir)
    replace, drop = {}, set()
    for n in ir.nodes:
        if n.op not in (math_ops.ADD, nn_ops.BIAS_ADD) or len(n.inputs) != 2:
            continue
        if n.op is nn_ops.BIAS_ADD and n.attrs.get("axis", -1) != -1:
            continue
        for i in (0, 1):
            v, b = n.inputs[i], n.inputs[1 - i]
            conv = g.producer.get(v)
            if conv is None or conv.op not in _WITH_BIAS or id(conv) in drop or \
                    not _channels_last(conv.attrs.get("data_format")) or \
                    not g.only_user(v, n, after=g.position[id(n)]):
                continue
            out, bs = _static(ir, v), _static(ir, b)
            if out is None or bs is None or len(bs) != 1 or bs[0] is None or \
                    bs[0] != out[-1] or ir.dtypes.get(b) is not ir.dtypes.get(v) or \
                    _static(ir, n.outputs[0]) != out:
                continue
            fused = _WITH_BIAS[conv.op]
            # at the add's place: the bias may be read after the convolution ran
            replace[id(n)] = _node(fused, conv.inputs + [b], n.outputs, conv.attrs,
                                   f"{conv.name}+{n.name}", n.shapes)
            g.move_shape_users(v, n.outputs[0])
            drop.add(id(conv))
            break
    _rebuild(ir, replace, drop)


def fuse_batch_norm_relu(ir):
    g = _Graph(ir)
    replace, drop = {}, set()
    for relu in ir.nodes:
        if relu.op is not nn_ops.RELU:
            continue
        y = relu.inputs[0]
        bn = g.producer.get(y)
        if bn is None or bn.op is not normalization_ops.FUSED_BATCH_NORM or bn.outputs[0] != y or \
                y in g.fetched or id(bn) in drop:
            continue
        users = g.value_users(y)
        grads = [u for u in users if u is not relu]
        if users.count(relu) != 1 or relu.inputs.count(y) != 1 or any(
                u.op is not nn_ops.RELU_GRAD or u.inputs[0] == y or
                g.position[id(u)] < g.position[id(relu)] for u in grads):
            continue
        for u in grads:
            u.inputs[1] = relu.outputs[0]
        g.move_shape_users(y, relu.outputs[0])
        replace[id(bn)] = _node(normalization_ops.FUSED_BATCH_NORM_RELU, bn.inputs,
                                [relu.outputs[0]] + bn.outputs[1:], bn.attrs,
                                f"{bn.name}+{relu.name}", [relu.shapes[0]] + bn.shapes[1:])
        drop.add(id(relu))
    _rebuild(ir, replace, drop)


def fuse_batch_norm_grad(ir):
    """ReluGrad into the batch-norm gradient after it, then the bias gradient (SumToShape)
    of its dx into it."""
    g = _Graph(ir)
    replace, drop = {}, set()
    ex = normalization_ops.FUSED_BATCH_NORM_GRAD_EX
    for h in ir.nodes:
        if h.op is not normalization_ops.FUSED_BATCH_NORM_GRAD:
            continue
        d = h.inputs[0]
        rg = g.producer.get(d)
        attrs = dict(h.attrs, relu=False, with_sum=False)
        inputs = list(h.inputs)
        if rg is not None and rg.op is nn_ops.RELU_GRAD and \
                g.only_user(d, h, after=g.position[id(h)]) and id(rg) not in drop:
            inputs = [rg.inputs[0]] + inputs[1:] + [rg.inputs[1]]
            attrs["relu"] = True
            drop.add(id(rg))
        replace[id(h)] = _node(ex, inputs, list(h.outputs), attrs, h.name, list(h.shapes))
    _rebuild(ir, replace, drop)
    g = _Graph(ir)
    drop = set()
    for s in ir.nodes:
        if s.op not in (array_ops.SUM_TO_SHAPE, reduce_ops.SUM):
            continue
        dx = s.inputs[0]
        h = g.producer.get(dx)
        if h is None or h.op is not ex or h.outputs[0] != dx or h.attrs["with_sum"] or \
                not _last_axis(ir, dx, h.attrs["axis"]):
            continue
        if s.op is reduce_ops.SUM:
            rank = ir.shapes[dx].rank
            axis = s.attrs.get("axis")
            axis = tuple(sorted(a % rank for a in axis)) if isinstance(axis, (tuple, list)) \
                else None
            if s.attrs.get("keepdims") or axis != tuple(range(rank - 1)):
                continue
        target, full = _static(ir, s.outputs[0]), _static(ir, dx)
        if target is None or full is None or len(target) != 1 or target[0] != full[-1] or \
                ir.dtypes.get(s.outputs[0]) is not ir.dtypes.get(dx):
            continue
        h.attrs = dict(h.attrs, with_sum=True)
        h.outputs = h.outputs + [s.outputs[0]]
        h.shapes = list(h.shapes) + [s.shapes[0]]
        drop.add(id(s))
    _rebuild(ir, {}, drop)


def multiply_by_masks(ir):
    """``x * cast(mask, float)`` reads the bool mask itself (NumPy multiplies a float by a
    bool exactly), so the cast's pass and buffer go and the comparison can join the
    multiplications in one elementwise tree (dropout's keep mask)."""
    g = _Graph(ir)
    drop = set()
    for cast in ir.nodes:
        if cast.op is not math_ops.CAST or len(cast.inputs) != 1:
            continue
        src, out = cast.inputs[0], cast.outputs[0]
        to = ir.dtypes.get(out)
        if ir.dtypes.get(src) is not dtypes.bool or to is None or not to.is_floating or \
                out in g.fetched:
            continue
        users = g.users.get(out, [])
        if not users or any(u.op is not math_ops.MUL or len(u.inputs) != 2 or
                            u.inputs.count(out) != 1
                            or ir.dtypes.get(u.inputs[1 - u.inputs.index(out)]) is not to or
                            ir.dtypes.get(u.outputs[0]) is not to for u in users):
            continue
        for u in users:
            u.inputs = [src if v == out else v for v in u.inputs]
        drop.add(id(cast))
    _rebuild(ir, {}, drop)


def relu_mask_before_max_pool_grad(ir):
    """A ReLU's gradient after a max pooling's gradient, both reading the ReLU's output z:
    the pooling routes each dy to a position where z equals the window's maximum y, so
    masking there by z > 0 is masking dy by y > 0 before routing (the same values, bit for
    bit). That runs on the pooled array, a quarter of the size for 2x2 windows, and joins
    the elementwise work before it; the batch-norm gradient then needs no mask."""
    g = _Graph(ir)
    ex = normalization_ops.FUSED_BATCH_NORM_GRAD_EX
    greater, mul = math_ops.GREATER, math_ops.MUL
    insert = {}
    for h in ir.nodes:
        if h.op is not ex or not h.attrs["relu"]:
            continue
        d, features = h.inputs[0], h.inputs[5]
        pool = g.producer.get(d)
        if pool is None or pool.op not in _GRAD_EX or \
                pool.inputs[0] != features or not g.only_user(d, h) or id(pool) in insert:
            continue
        y, dy = pool.inputs[1], pool.inputs[2]
        dt = ir.dtypes.get(y)
        if dt is None or not dt.is_floating or ir.dtypes.get(dy) is not dt:
            continue
        zero, mask, masked = new_values(ir, 3)
        ir.consts[zero] = np.zeros((), dt.np)
        ir.protected.add(zero)
        ir.shapes[zero], ir.dtypes[zero] = None, dt
        ir.shapes[mask], ir.dtypes[mask] = ir.shapes.get(y), dtypes.bool
        ir.shapes[masked], ir.dtypes[masked] = ir.shapes.get(dy), dt
        insert[id(pool)] = [
            _node(greater, [y, zero], [mask], {}, f"{pool.name}/relu_mask",
                  [ir.shapes.get(y)]),
            _node(mul, [dy, mask], [masked], {}, f"{pool.name}/masked", [ir.shapes.get(dy)])]
        pool.inputs = [pool.inputs[0], y, masked]
        h.inputs = h.inputs[:5]
        h.attrs = dict(h.attrs, relu=False)
    if insert:
        nodes = []
        for n in ir.nodes:
            nodes.extend(insert.get(id(n), []))
            nodes.append(n)
        ir.nodes = nodes


def fuse_conv_backprops(ir):
    """A convolution's input and filter gradients (one reading dy and the filter, the other
    x and dy) become one ``_Fused{Conv}Backprop`` node that makes both in one pass over
    dy, at the place of the first of the two."""
    g = _Graph(ir)
    replace, drop = {}, set()
    filters = {pair[0] for pair in _BACKPROPS.values()}
    by_dy = {}
    for n in ir.nodes:
        if n.op in filters:
            by_dy.setdefault(n.inputs[2], []).append(n)
    for a in ir.nodes:
        pair = _BACKPROPS.get(a.op)
        if pair is None or id(a) in drop:
            continue
        sizes, w, dy = a.inputs
        for b in by_dy.get(dy, []):
            if b.op is not pair[0] or id(b) in drop or id(b) in replace or \
                    b.attrs != a.attrs:
                continue
            x = b.inputs[0]
            xs, known = _static(ir, x), ir.consts.get(sizes)
            shape_of = g.producer.get(sizes)
            if not ((shape_of is not None and shape_of.op is array_ops.SHAPE and
                     shape_of.inputs[0] == x) or
                    (known is not None and xs is not None and None not in xs and
                     list(map(int, known)) == xs)):
                continue                      # a's input sizes must be x's shape
            pa, pb = g.position[id(a)], g.position[id(b)]
            first, second = (a, b) if pa < pb else (b, a)
            # at the first one's place if the second's inputs exist there, else at the
            # second's if nothing in between reads the first's output
            if all(v in ir.consts or v in ir.feeds or
                   g.position.get(id(g.producer.get(v)), -1) < g.position[id(first)]
                   for v in second.inputs):
                at, gone = first, second
            elif not any(min(pa, pb) < g.position[id(u)] < max(pa, pb)
                         for v in first.outputs for u in g.users.get(v, [])):
                at, gone = second, first
            else:
                continue
            replace[id(at)] = _node(pair[1], [x, w, dy],
                                    a.outputs + b.outputs, a.attrs, f"{a.name}+{b.name}",
                                    list(a.shapes) + list(b.shapes))
            drop.add(id(gone))
            break
    _rebuild(ir, replace, drop)


def fold_elementwise_into_max_pool_grads(ir):
    """A FusedElementwise tree whose result only a channels-last max pooling's gradient
    reads, as dy, and whose operands are of dy's shape or single values ->
    ``_MaxPool{..}GradEx``: each block of batch items makes its slice of dy just before
    routing it (in MiniVGG: dropout's gradient and the moved ReLU mask), on the pooling's
    threads, and dy is never written out whole. Runs after elementwise fusion."""
    g = _Graph(ir)
    replace, drop = {}, set()
    for n in ir.nodes:
        if n.op not in _GRAD_EX or \
                not _channels_last(n.attrs.get("data_format")):
            continue
        dy = n.inputs[2]
        tree = g.producer.get(dy)
        full = _static(ir, dy)
        if tree is None or tree.op is not FUSED_ELEMENTWISE or id(tree) in drop or \
                not g.only_user(dy, n) or full is None or None in full or \
                ir.dtypes.get(dy) is None:
            continue
        shapes = [_known_shape(ir, v) for v in tree.inputs]
        if not all(s == full or _single(s) for s in shapes):
            continue
        attrs = dict(n.attrs, steps=tree.attrs["steps"], dtype=ir.dtypes[dy].name)
        replace[id(n)] = _node(_GRAD_EX[n.op], n.inputs[:2] + list(tree.inputs),
                               n.outputs, attrs, f"{tree.name}+{n.name}", n.shapes)
        drop.add(id(tree))
    _rebuild(ir, replace, drop)


def fold_elementwise_into_max_pools(ir):
    """A FusedElementwise tree reading a channels-last max pooling's y, whose other
    operands are of y's shape or single values -> ``_MaxPool{..}Ex`` with outputs (y, the
    tree's result): each block of items runs the tree on its y while it is in cache (in
    MiniVGG, dropout after each pooling). The fused node takes the tree's place (its
    operands may be made after the pooling, as dropout's mask is), so nothing else may
    read y before it. Runs after elementwise fusion."""
    g = _Graph(ir)
    replace, drop = {}, set()
    for tree in ir.nodes:
        if tree.op is not FUSED_ELEMENTWISE or id(tree) in replace:
            continue
        for at, v in enumerate(tree.inputs):
            pool = g.producer.get(v)
            if pool is not None and pool.op in _POOL_EX and id(pool) not in drop and \
                    _channels_last(pool.attrs.get("data_format")):
                break
        else:
            continue
        y, out = pool.outputs[0], tree.outputs[0]
        full = _static(ir, y)
        if full is None or None in full or tree.inputs.count(y) != 1 or \
                y in g.fetched or _static(ir, out) != full or ir.dtypes.get(out) is None:
            continue
        here = g.position[id(tree)]
        if any(u is not tree and g.position[id(u)] < here for u in g.users.get(y, [])):
            continue
        others = [w for w in tree.inputs if w != y]
        shapes = [_known_shape(ir, w) for w in others]
        if not all(s == full or _single(s) for s in shapes):
            continue
        attrs = dict(pool.attrs, steps=tree.attrs["steps"], dtype=ir.dtypes[out].name,
                     y_at=at)
        replace[id(tree)] = _node(_POOL_EX[pool.op], pool.inputs + others,
                                  [y, out], attrs, f"{pool.name}+{tree.name}",
                                  [ir.shapes.get(y), ir.shapes.get(out)])
        drop.add(id(pool))
    _rebuild(ir, replace, drop)


def _as_tree(ir, n, weight_gradient):
    """n as an elementwise tree (FusedElementwise), or None: a tree as it is, a single
    elementwise op as a tree of one step when the product is a weight's gradient form
    x^T @ y (plain SGD's ``g * lr``; elsewhere a lone op after a product stays apart)."""
    if n.op is FUSED_ELEMENTWISE:
        return n
    if weight_gradient and len(n.outputs) == 1 and _node_ufunc(ir, n) is not None:
        return _fuse(ir, [n])
    return None


def fold_elementwise_into_matmuls(ir):
    """Elementwise trees reading a 2-D float product that nothing else reads, whose other
    operands are (M, N), (N,), (1, N) or single values, and whose results have the
    product's shape: each block of the product is followed by the trees on it while in
    cache. One tree (an optimizer's update of a weight, its gradient the product) ->
    ``_MatMulEx`` at the tree's place; several (the gradient read by Adam's two moments,
    RMSprop's, or Nesterov's) -> ``_MatMulTreesEx`` at the first tree's place, when the
    other trees' operands are known there (reads of variables that nothing assigns in
    between move up with it). Runs after elementwise fusion."""
    g = _Graph(ir)
    replace, drop, hoist = {}, set(), {}
    for mm in ir.nodes:
        if mm.op is not linalg_ops.MATMUL or len(mm.outputs) != 1:
            continue
        v = mm.outputs[0]
        full, dt = _static(ir, v), ir.dtypes.get(v)
        users = g.users.get(v, [])
        if full is None or len(full) != 2 or None in full or dt is None or \
                not dt.is_floating or v in g.fetched or not users or \
                any(_static(ir, w) is None or len(_static(ir, w)) != 2 for w in mm.inputs):
            continue
        trees = [_as_tree(ir, u, bool(mm.attrs.get("transpose_a"))) for u in users]
        if any(t is None or id(u) in replace or id(u) in drop or t.inputs.count(v) != 1 or
               _static(ir, t.outputs[0]) != full or ir.dtypes.get(t.outputs[0]) is None or
               not all(s in (full, full[1:], [1, full[1]]) or _single(s)
                       for s in (_known_shape(ir, w) for w in t.inputs if w != v))
               for u, t in zip(users, trees)):
            continue
        if len(set(map(id, users))) != len(users):
            continue
        order = sorted(range(len(users)), key=lambda i: g.position[id(users[i])])
        users, trees = [users[i] for i in order], [trees[i] for i in order]
        first = users[0]
        if len(trees) == 1:
            (t,) = trees
            at = t.inputs.index(v)
            others = t.inputs[:at] + t.inputs[at + 1:]
            attrs = dict(mm.attrs, steps=t.attrs["steps"], dtype=ir.dtypes[t.outputs[0]].name,
                         at=at)
            replace[id(first)] = _node(linalg_ops.MATMUL_EX, mm.inputs + others,
                                       list(t.outputs), attrs, f"{mm.name}+{t.name}",
                                       t.shapes)
            drop.add(id(mm))
            continue
        ups = _hoistable(ir, g, [w for t in trees[1:] for w in t.inputs if w != v],
                         g.position[id(first)])
        if ups is None:
            continue
        spec, operands, outputs, shapes = [], [], [], []
        for t in trees:
            at = t.inputs.index(v)
            others = t.inputs[:at] + t.inputs[at + 1:]
            spec.append((t.attrs["steps"], ir.dtypes[t.outputs[0]].name, at, len(others)))
            operands += others
            outputs += t.outputs
            shapes += list(t.shapes)
        attrs = dict(mm.attrs, trees=tuple(spec))
        replace[id(first)] = _node(linalg_ops.MATMUL_TREES_EX, mm.inputs + operands, outputs,
                                   attrs, f"{mm.name}+{len(trees)} trees", shapes)
        hoist[id(first)] = ups
        drop.add(id(mm))
        drop.update(id(u) for u in users[1:])
    _rebuild_hoisting(ir, replace, drop, hoist)


def fold_dropout_masks_into_max_pools(ir):
    """``_MaxPool{..}Ex`` whose tree reads a keep mask that compares uniforms with a
    scalar rate (``RandomUniform(shape) >= rate`` as Keras's dropout makes it, or ``>``,
    ``<``, ``<=``, either way round; float32, a seeded node, the uniforms read by nothing
    else, the mask by nothing before it): the pooling also draws the uniforms, block by block as one draw would, and makes
    the mask, a third output (the dropout's gradient reads it later). The draw and the
    comparison then run on the pooling's threads. Runs after
    ``fold_elementwise_into_max_pools``."""
    g = _Graph(ir)
    replace, drop = {}, set()
    for e in ir.nodes:
        if e.op not in _POOLS_EX or e.attrs.get("mask_at") is not None:
            continue
        y_at, full, here = e.attrs["y_at"], _static(ir, e.outputs[0]), g.position[id(e)]
        for i, m in enumerate(e.inputs[1:]):
            ge = g.producer.get(m)
            if ge is None or ge.op not in _KEEP_TESTS or id(ge) in drop:
                continue
            r = None
            for first, (u, rate) in ((True, ge.inputs), (False, ge.inputs[::-1])):
                r = g.producer.get(u)
                if r is not None and r.op is random_ops.RANDOM_UNIFORM:
                    break
            if r is None or r.op is not random_ops.RANDOM_UNIFORM or r.attrs.get("key", 0) <= 0 or \
                    r.attrs.get("dtype") is not dtypes.float32 or \
                    not g.only_user(u, ge) or _static(ir, u) != full or \
                    _known_shape(ir, rate) != [] or e.inputs.count(m) != 1 or \
                    m in g.fetched or \
                    any(g.position[id(w)] < here for w in g.users.get(m, []) if w is not e):
                continue
            attrs = dict(e.attrs, mask_at=i if i < y_at else i + 1,
                         rng=(r.attrs["dtype"].name, r.attrs["seed"], r.attrs["seed2"],
                              r.attrs["key"]), keep_test=(_KEEP_TESTS[ge.op], first))
            inputs = [w for w in e.inputs if w != m] + [rate]
            replace[id(e)] = _node(e.op, inputs, e.outputs + [m], attrs, e.name,
                                   list(e.shapes) + [ir.shapes.get(m)])
            drop.update((id(ge), id(r)))
            break
    _rebuild(ir, replace, drop)


def _rebuild_hoisting(ir, replace, drop, hoist):
    """``rebuild`` that also moves the nodes in ``hoist`` (id of a node -> the reads to
    run just before it) up from where they were; a replacement may be a list of nodes."""
    if not replace:
        return
    moved = {id(p) for ups in hoist.values() for p in ups}
    out = []
    for n in ir.nodes:
        if id(n) in drop or id(n) in moved:
            continue
        for p in hoist.get(id(n), ()):
            if id(p) not in {id(q) for q in out}:
                out.append(p)
        new = replace.get(id(n), n)
        out.extend(new if isinstance(new, list) else [new])
    ir.nodes = out


def _variable_nodes(ir, var):
    """Positions of the nodes that read or assign ``var``."""
    return [i for i, n in enumerate(ir.nodes)
            if n.op in (READ_VARIABLE, ASSIGN_VARIABLE) and n.attrs["variable"] is var]


def _last_use(g, values, end):
    """The last position that reads one of ``values``; ``end`` when one is fetched."""
    if values & g.fetched:
        return end
    return max((g.position[id(u)] for v in values for u in g.users.get(v, [])), default=-1)


def _hoistable(ir, g, values, here):
    """The nodes to move before position ``here`` so that ``values`` are known there: the
    reads of variables no node assigns in between (they read the same array there); None
    when some value comes later from any other node."""
    ups = []
    for v in values:
        p = g.producer.get(v)
        if p is None or g.position[id(p)] < here:
            continue
        at = g.position[id(p)]
        if p.op is not READ_VARIABLE or p.inputs or \
                any(here < i < at and ir.nodes[i].op is ASSIGN_VARIABLE
                    for i in _variable_nodes(ir, p.attrs["variable"])):
            return None
        ups.append(p)
    return ups


def fold_updates_into_input_grads(ir):
    """A dense layer's weight update by momentum (``_MatMulEx`` making the slot's new value
    from x^T @ g, assigned to the slot variable, the slot then added to the weight in
    place) joins the product g @ w^T of the layer's input gradient -> one
    ``_MatMulGradUpdate`` at that product's place, which reads the weight twice instead of
    three times and makes the slot's new value in its old buffer (its kernel keeps the
    update's meaning: the gradient from the weight before the update). The fused node
    is plain dataflow: it takes the weight's and the slot's values from reads marked
    ``for_update`` (buffers only the plan holds) and gives their new values to two
    ``AssignVariable`` nodes right after it. Moving the update earlier needs: nothing else reading or
    assigning the weight or the slot in between, no value sharing their buffers read
    after the product, and the tree's other inputs known by then (a variable's read with
    no assignment in between moves along). Runs after ``update_variables_in_place``,
    whose in-place decisions it requires."""
    g = _Graph(ir)
    fresh = _fresh_values(ir)
    exposed = {id(v) for v in getattr(ir, "exposed_variables", ())}
    nodes = list(ir.nodes)
    replace, drop, hoist = {}, set(), {}

    def assignment(v, kind, flag):
        """The AssignVariable of ``kind`` that alone reads v, with attribute ``flag`` set
        and its output unused; else None."""
        users = g.users.get(v, [])
        if v in g.fetched or len(users) != 1:
            return None
        n = users[0]
        if n.op is not ASSIGN_VARIABLE or n.attrs.get("kind") != kind or \
                not n.attrs.get(flag) or any(g.users.get(w) or w in g.fetched
                                             for w in n.outputs):
            return None
        return n

    for ex in nodes:
        if ex.op is not linalg_ops.MATMUL_EX or not ex.attrs.get("transpose_a") or \
                ex.attrs.get("transpose_b") or id(ex) in drop:
            continue
        asg = assignment(ex.outputs[0], "assign", "own_value")
        if asg is None:
            continue
        slot = asg.attrs["variable"]
        x, grad, others = ex.inputs[0], ex.inputs[1], ex.inputs[2:]
        olds = [v for v in others if v in g.producer and
                g.producer[v].op is READ_VARIABLE and
                g.producer[v].attrs["variable"] is slot]
        if len(olds) != 1 or others.count(olds[0]) != 1 or not g.only_user(olds[0], ex):
            continue
        rd_old = g.producer[olds[0]]
        rd_new = next((nodes[i] for i in _variable_nodes(ir, slot)
                       if i > g.position[id(asg)] and nodes[i].op is READ_VARIABLE),
                      None)
        if rd_new is None:
            continue
        add = assignment(rd_new.outputs[0], "assign_add", "in_place")
        if add is None:
            continue
        weight = add.attrs["variable"]
        if weight is slot or id(weight) in exposed or id(slot) in exposed:
            continue
        dxn = next((u for u in g.users.get(grad, []) if u.op is linalg_ops.MATMUL and
                    u.inputs[0] == grad and not u.attrs.get("transpose_a") and
                    u.attrs.get("transpose_b") and id(u) not in drop), None)
        if dxn is None:
            continue
        rd_w = g.producer.get(dxn.inputs[1])
        if rd_w is None or rd_w.op is not READ_VARIABLE or \
                rd_w.attrs["variable"] is not weight:
            continue
        here, end = g.position[id(dxn)], g.position[id(add)]
        if not here < g.position[id(rd_old)] < g.position[id(ex)] < g.position[id(asg)] < \
                g.position[id(rd_new)] < end:
            continue
        w_shape, x_shape, g_shape = (_static(ir, v) for v in (dxn.inputs[1], x, grad))
        if w_shape is None or x_shape is None or g_shape is None or \
                len(w_shape) != 2 or None in w_shape or len(x_shape) != 2 or \
                len(g_shape) != 2 or x_shape[1] != w_shape[0] or g_shape[1] != w_shape[1]:
            continue
        # the weight and the slot: nothing else touches them between the product and the
        # update, and no value sharing their buffers is read after the product
        ours = {g.position[id(n)] for n in (rd_w, rd_old, asg, rd_new, add)}
        if any(here < i <= end and i not in ours
               for i in _variable_nodes(ir, weight) + _variable_nodes(ir, slot)):
            continue
        # (the buffers as they were at the product: reads after the update see the new
        # values either way)
        aliases = variable_aliases(ir, fresh, upto=here)
        if any(_last_use(g, aliases.get(id(v), set()), len(ir.nodes)) > here
               for v in (weight, slot)):
            continue
        ups = _hoistable(ir, g, [x] + others, here)
        if ups is None or rd_old not in ups:
            continue
        # the weight and the slot are read for the update: buffers only the plan holds,
        # which the kernel writes the new values into (a copy where an eager read holds
        # the variable's array)
        w_read, old_read = (_node(READ_VARIABLE, [], list(r.outputs),
                                  dict(r.attrs, for_update=True), r.name, r.shapes)
                            for r in (rd_w, rd_old))
        ups = [old_read if p is rd_old else p for p in ups]
        new_slot, new_w = new_values(ir, 2)
        w_shape = ir.shapes.get(dxn.inputs[1])
        for v in (new_slot, new_w):
            ir.shapes[v] = w_shape
            ir.dtypes[v] = ir.dtypes.get(dxn.inputs[1])
        tree_at = ex.attrs["at"]
        j = others.index(olds[0])
        attrs = dict(steps=ex.attrs["steps"], dtype=ex.attrs["dtype"], at=tree_at,
                     slot_at=j + (j >= tree_at))
        fused = _node(linalg_ops.MATMUL_GRAD_UPDATE, [grad, dxn.inputs[1], x] + others,
                      list(dxn.outputs) + [new_slot, new_w], attrs,
                      f"{dxn.name}+{ex.name}", tuple(dxn.shapes) + (w_shape, w_shape))
        assigns = [_node(ASSIGN_VARIABLE, [value], list(old.outputs),
                         dict(variable=var, kind="assign", own_value=True), old.name,
                         old.shapes)
                   for value, var, old in ((new_slot, slot, asg), (new_w, weight, add))]
        replace[id(dxn)] = [fused] + assigns
        replace[id(rd_w)] = w_read
        hoist[id(dxn)] = ups
        drop.update(id(n) for n in (ex, asg, rd_old, rd_new, add))
    _rebuild_hoisting(ir, replace, drop, hoist)


def fold_trees_into_updates(ir):
    """A variable's in-place ``assign_add``/``assign_sub`` of an elementwise tree's result
    (an optimizer's moment or step, ``m += (g - m) * (1 - beta)``) becomes the tree with
    one more step, adding its result into the variable's buffer: chunk by chunk, each
    chunk of the variable read and then written while it is in cache, instead of the
    tree's whole result written out and read back by the assignment. An ``assign`` that
    would take over the fresh result of a tree reading the variable has the tree write
    into the variable's buffer instead (no new buffer to fault in). The fused tree takes
    the variable's buffer from a read marked ``for_update`` (a copy where an eager read
    holds the variable's array) and hands it to an ``assign`` that keeps it. It runs at
    the assignment's place (the tree's inputs are known there: nothing stateful runs in
    between) and needs ``update_variables_in_place``'s decision that the update may
    overwrite the variable."""
    g = _Graph(ir)
    exposed = {id(v) for v in getattr(ir, "exposed_variables", ())}
    replace, drop = {}, set()
    for asg in ir.nodes:
        kind = asg.attrs.get("kind") if asg.op is ASSIGN_VARIABLE else None
        if not (kind in ("assign_add", "assign_sub") and asg.attrs.get("in_place") or
                kind == "assign" and asg.attrs.get("own_value")):
            continue
        var, value = asg.attrs["variable"], asg.inputs[-1]
        tree = g.producer.get(value)
        if tree is None or tree.op is not FUSED_ELEMENTWISE or id(tree) in drop or \
                len(tree.outputs) != 1 or not g.only_user(value, asg) or \
                id(var) in exposed:
            continue
        shape = _static(ir, value)
        if shape is None or None in shape or tuple(shape) != tuple(var.shape.as_list()) or \
                ir.dtypes.get(value) != var.dtype:
            continue
        if kind == "assign" and not any(
                g.producer.get(v) is not None and g.producer[v].op is READ_VARIABLE and
                g.producer[v].attrs["variable"] is var for v in tree.inputs):
            continue    # (an initializer: the variable may have no buffer yet)
        start, end = g.position[id(tree)], g.position[id(asg)]
        if any(getattr(ir.nodes[i].op, "stateful", False) for i in range(start + 1, end)):
            continue
        steps = tree.attrs["steps"]
        n_in = len(tree.inputs)
        moved = tuple((u, tuple(a if a < n_in else a + 1 for a in args), inplace)
                      for u, args, inplace in steps)
        if kind == "assign":       # the tree's result goes straight into the buffer
            steps = moved
        else:
            ufunc = np.add if kind == "assign_add" else np.subtract
            steps = moved + ((ufunc, (n_in, n_in + len(steps)), 0),)
        buf, new = new_values(ir, 2)
        for v in (buf, new):
            ir.shapes[v] = ir.shapes.get(value)
            ir.dtypes[v] = var.dtype
        read = _node(READ_VARIABLE, [], [buf], dict(variable=var, for_update=True),
                     f"{asg.name}/ReadForUpdate", (ir.shapes.get(value),))
        fused = _node(FUSED_ELEMENTWISE, list(tree.inputs) + [buf], [new],
                      dict(tree.attrs, steps=steps, out_input=n_in),
                      f"{tree.name}+{asg.name}", tree.shapes)
        fused.quiet = getattr(tree, "quiet", False)
        keep = _node(ASSIGN_VARIABLE, [new], list(asg.outputs),
                     dict(variable=var, kind="assign", own_value=True), asg.name, asg.shapes)
        replace[id(asg)] = [read, fused, keep]
        drop.add(id(tree))
    _rebuild_hoisting(ir, replace, drop, {})


# ------------------------------------------------------------------ the references ---
# Each builds (fn, args, variables): the unfused sequence as a function of public ops,
# small inputs, and the variables fn updates. Shapes are small but large enough for every
# pattern's conditions (channels-last, known shapes, float32).

def _arrays(seed, *shapes):
    rng = np.random.default_rng(seed)
    return [constant(rng.standard_normal(s).astype(np.float32)) for s in shapes]


def _with_gradient(forward):
    """fn(*args) -> [loss, forward outputs..., d loss / d each arg but the last], where
    the last argument weights the first forward output into the loss."""
    def fn(*args):
        with GradientTape() as tape:
            tape.watch(list(args[:-1]))
            outs = forward(*args[:-1])
            loss = reduce_ops.reduce_sum(math_ops.multiply(outs[0], args[-1]))
        return [loss] + list(outs) + tape.gradient(loss, list(args[:-1]))
    return fn


def _conv_block(x, w, b, scale, offset):
    y = nn_ops.bias_add(conv_ops.conv2d(x, w, 1, "SAME"), b)
    z, _, _ = normalization_ops.fused_batch_norm(y, scale, offset)
    return [nn_ops.relu(z)]


def _conv_block_args(seed=0):
    rng = np.random.default_rng(seed)
    x, w, b, offset, wy = _arrays(seed, (3, 6, 5, 3), (3, 3, 3, 4), (4,), (4,), (3, 6, 5, 4))
    scale = constant(rng.uniform(0.5, 1.5, 4).astype(np.float32))
    return [x, w, b, scale, offset, wy]


def _ref_conv_block():
    return _with_gradient(_conv_block), _conv_block_args(), []


def _ref_conv_block_pooled():
    def forward(x, w, b, scale, offset):
        return [pool_ops.max_pool2d(_conv_block(x, w, b, scale, offset)[0], 2, 2, "VALID")]
    x, w, b, scale, offset, _ = _conv_block_args(1)
    wy = _arrays(2, (3, 3, 2, 4))[0]
    return _with_gradient(forward), [x, w, b, scale, offset, wy], []


def _ref_masked_product():
    def fn(x, y):         # a mask as a float from a comparison, multiplied in
        return math_ops.multiply(x, math_ops.cast(math_ops.greater(y, 0.0), dtypes.float32))
    return fn, _arrays(3, (6, 10), (6, 10)), []


def _ref_conv_backprop():
    def forward(x, w):
        return [conv_ops.conv2d(x, w, 1, "SAME")]
    return _with_gradient(forward), _arrays(4, (2, 7, 6, 3), (3, 3, 3, 5), (2, 7, 6, 5)), []


def _ref_pool_tree():
    """A max pooling, then a dropout-like tree with a known keep mask (no randomness)."""
    x, keep, wy = _arrays(5, (4, 6, 8, 3), (4, 3, 4, 3), (4, 3, 4, 3))
    mask = math_ops.cast(math_ops.greater(keep, 0.0), dtypes.float32)

    def forward(x):
        p = pool_ops.max_pool2d(x, 2, 2, "VALID")
        return [math_ops.multiply(math_ops.multiply(p, mask), 1.0 / 0.75)]
    return _with_gradient(forward), [x, wy], []


def _dropout_after_pool(dropout):
    def build():
        from ember.framework import random_seed
        random_seed.set_seed(5)       # eager and compiled draw the same numbers

        def forward(x):
            return [dropout(pool_ops.max_pool2d(x, 2, 2, "VALID"))]
        return _with_gradient(forward), _arrays(6, (4, 6, 8, 3), (4, 3, 4, 3)), []
    return build


def _keras_style_dropout(p):
    return random_ops.dropout(p, 0.25, seed=11)


def _own_dropout(p):
    """A user's dropout: keep where uniform < keep probability, scale by its inverse."""
    keep = math_ops.less(random_ops.uniform(array_ops.shape(p), seed=12), 0.75)
    return math_ops.multiply(p, math_ops.cast(keep, dtypes.float32)) / 0.75


def _ref_weight_update():
    """x^T @ dy (a weight's gradient) feeding one elementwise tree (a momentum step)."""
    def fn(x, dy, v):
        g = linalg_ops.matmul(x, dy, transpose_a=True)
        return math_ops.subtract(math_ops.multiply(v, 0.9), math_ops.multiply(g, 0.01))
    return fn, _arrays(7, (12, 9), (12, 5), (9, 5)), []


def _ref_plain_sgd():
    """w -= lr * x^T @ dy: a single elementwise op on a weight's gradient."""
    x, dy, w = _arrays(9, (12, 9), (12, 5), (9, 5))
    w = Variable(w)

    def fn(x, dy):
        w.assign_sub(math_ops.multiply(linalg_ops.matmul(x, dy, transpose_a=True), 0.01))
        return w.read_value()
    return fn, [x, dy], [w]


def _ref_two_moments():
    """An Adam-like update written by hand: the gradient x^T @ dy read by two trees (the
    first and second moments), the weight's step from the moments' new values."""
    x, dy, w = _arrays(10, (12, 9), (12, 5), (9, 5))
    w = Variable(w)
    m, v = Variable(np.zeros((9, 5), np.float32)), Variable(np.zeros((9, 5), np.float32))

    def fn(x, dy):
        g = linalg_ops.matmul(x, dy, transpose_a=True)
        m.assign_add(math_ops.multiply(math_ops.subtract(g, m), 0.1))
        v.assign_add(math_ops.multiply(math_ops.subtract(math_ops.square(g), v), 0.001))
        w.assign_sub(math_ops.divide(math_ops.multiply(m, 0.01),
                                     math_ops.add(math_ops.sqrt(v), 1e-7)))
        return x
    return fn, [x, dy], [w, m, v]


def _ref_dense_momentum():
    """Three dense layers trained by SGD with momentum, the update written by hand: the
    last layer's update joins the product of its input gradient (the first layer has no
    input gradient; the second's is made inside the tanh's gradient)."""
    x, t, w1, w2, w3 = _arrays(8, (16, 10), (16, 6), (10, 8), (8, 7), (7, 6))
    ws = [Variable(w) for w in (w1, w2, w3)]
    ms = [Variable(np.zeros(w.shape, np.float32)) for w in (w1, w2, w3)]

    def fn(x, t):
        with GradientTape() as tape:
            h = math_ops.tanh(linalg_ops.matmul(x, ws[0]))
            out = linalg_ops.matmul(linalg_ops.matmul(h, ws[1]), ws[2])
            loss = reduce_ops.reduce_sum(math_ops.multiply(out, t))
        grads = tape.gradient(loss, ws)
        for w, m, g in zip(ws, ms, grads):
            m.assign(math_ops.subtract(math_ops.multiply(m, 0.9), math_ops.multiply(g, 0.01)))
            w.assign_add(m)
        return loss
    return fn, [x, t], ws + ms


def _ref_tree_updates():
    """Adam's three updates written by hand on a gradient that comes in as an argument, and
    an ``assign`` of a tree that reads its variable: large enough for the trees to run
    chunk by chunk across threads."""
    g, w = _arrays(12, (400, 700), (400, 700))
    w = Variable(w)
    m, v = Variable(np.zeros((400, 700), np.float32)), Variable(np.ones((400, 700), np.float32))

    s = Variable(np.ones((400, 700), np.float32))

    def fn(g):
        m.assign_add(math_ops.multiply(math_ops.subtract(g, m), 0.1))
        v.assign_add(math_ops.multiply(math_ops.subtract(math_ops.square(g), v), 0.001))
        w.assign_sub(math_ops.divide(math_ops.multiply(m, 0.01),
                                     math_ops.add(math_ops.sqrt(v), 1e-7)))
        # an assign of a tree that reads the variable (ember's Adam keeps v this way)
        s.assign(math_ops.maximum(math_ops.add(math_ops.multiply(s, 0.9),
                                               math_ops.multiply(math_ops.square(g), 0.1)),
                                  1e-3))
        return g
    return fn, [g], [w, m, v, s]


def _ref_small_tree_update():
    """A momentum-style update of a small variable (the tree runs whole, not in chunks)."""
    g, w = _arrays(13, (9, 5), (9, 5))
    w = Variable(w)

    def fn(g):
        w.assign_add(math_ops.multiply(math_ops.tanh(g), -0.05))
        return g
    return fn, [g], [w]


def _shows_tree_in_update(nodes):
    reads = {v for n in nodes if n.op is READ_VARIABLE and n.attrs.get("for_update")
             for v in n.outputs}
    return any(n.op is FUSED_ELEMENTWISE and n.attrs.get("out_input") is not None and
               n.inputs[n.attrs["out_input"]] in reads for n in nodes)


def _shows_no_cast(nodes):
    return not any(n.op is math_ops.CAST for n in nodes)


def _shows_mask_moved(nodes):
    """The batch-norm gradient no longer masks by the ReLU: the pooled gradient is."""
    ex = [n for n in nodes if n.op is normalization_ops.FUSED_BATCH_NORM_GRAD_EX]
    return bool(ex) and not any(n.attrs.get("relu") for n in ex)


def _shows_mask_drawn_in_pool(nodes):
    return any(n.op in _POOLS_EX and n.attrs.get("mask_at") is not None for n in nodes) and \
        not any(n.op is random_ops.RANDOM_UNIFORM for n in nodes)


FUSIONS = [register_fusion(f) for f in (
    Fusion("multiply_by_masks", stage="layers", replaces=(math_ops.CAST, math_ops.MUL),
           makes=(), rewrite=multiply_by_masks, reference=_ref_masked_product,
           shows=_shows_no_cast),
    Fusion("conv_bias", stage="layers", replaces=(*_CONVS, math_ops.ADD, nn_ops.BIAS_ADD),
           makes=tuple(_WITH_BIAS.values()), rewrite=fuse_conv_bias,
           reference=_ref_conv_block),
    Fusion("batch_norm_relu", stage="layers",
           replaces=(normalization_ops.FUSED_BATCH_NORM, nn_ops.RELU, nn_ops.RELU_GRAD),
           makes=(normalization_ops.FUSED_BATCH_NORM_RELU,), rewrite=fuse_batch_norm_relu,
           reference=_ref_conv_block),
    Fusion("batch_norm_grad", stage="layers",
           replaces=(normalization_ops.FUSED_BATCH_NORM_GRAD, nn_ops.RELU_GRAD,
                     array_ops.SUM_TO_SHAPE, reduce_ops.SUM),
           makes=(normalization_ops.FUSED_BATCH_NORM_GRAD_EX,), rewrite=fuse_batch_norm_grad,
           reference=_ref_conv_block),
    Fusion("relu_mask_before_max_pool_grad", stage="layers",
           replaces=(*_GRAD_EX, normalization_ops.FUSED_BATCH_NORM_GRAD_EX),
           makes=(), rewrite=relu_mask_before_max_pool_grad,
           reference=_ref_conv_block_pooled, shows=_shows_mask_moved),
    Fusion("conv_backprops", stage="layers", replaces=tuple(_BACKPROPS) + tuple(
               pair[0] for pair in _BACKPROPS.values()),
           makes=tuple(pair[1] for pair in _BACKPROPS.values()), rewrite=fuse_conv_backprops,
           reference=_ref_conv_backprop),
    Fusion("elementwise_into_max_pool_grads", stage="kernels",
           replaces=(*_GRAD_EX, FUSED_ELEMENTWISE), makes=tuple(_GRAD_EX.values()),
           rewrite=fold_elementwise_into_max_pool_grads, reference=_ref_pool_tree),
    Fusion("elementwise_into_max_pools", stage="kernels",
           replaces=(*_POOL_EX, FUSED_ELEMENTWISE), makes=tuple(_POOL_EX.values()),
           rewrite=fold_elementwise_into_max_pools, reference=_ref_pool_tree),
    Fusion("dropout_masks_into_max_pools", stage="kernels",
           replaces=(*_POOLS_EX, random_ops.RANDOM_UNIFORM, *_KEEP_TESTS), makes=(),
           rewrite=fold_dropout_masks_into_max_pools, shows=_shows_mask_drawn_in_pool,
           reference=(_dropout_after_pool(_keras_style_dropout),
                      _dropout_after_pool(_own_dropout))),
    Fusion("elementwise_into_matmuls", stage="kernels",
           replaces=(linalg_ops.MATMUL, FUSED_ELEMENTWISE),
           makes=(linalg_ops.MATMUL_EX, linalg_ops.MATMUL_TREES_EX),
           rewrite=fold_elementwise_into_matmuls,
           reference=(_ref_weight_update, _ref_plain_sgd, _ref_two_moments)),
    Fusion("momentum_update_into_input_grads", stage="updates",
           replaces=(linalg_ops.MATMUL_EX, linalg_ops.MATMUL, READ_VARIABLE, ASSIGN_VARIABLE),
           makes=(linalg_ops.MATMUL_GRAD_UPDATE,), rewrite=fold_updates_into_input_grads,
           reference=_ref_dense_momentum),
    Fusion("elementwise_into_updates", stage="updates",
           replaces=(FUSED_ELEMENTWISE, READ_VARIABLE, ASSIGN_VARIABLE), makes=(),
           rewrite=fold_trees_into_updates, shows=_shows_tree_in_update,
           reference=(_ref_tree_updates, _ref_small_tree_update)),
)]
