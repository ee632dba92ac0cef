"""Compiler pass: the op sequences of a convolutional block become fused kernels.

A Keras conv block (Conv -> bias -> BatchNormalization -> ReLU) and its gradient run as a
few long passes over large activations; each pass NumPy makes costs a trip through memory.
These rewrites let one kernel do the work of several while a block of the data is in the
core's cache (the fused ops live beside the ops they replace):

- ``Conv`` whose only consumer adds a per-channel bias (channels-last)
  -> ``_Fused{Conv}Bias``: the bias is added to each block of the output as it is made;
- ``FusedBatchNormV3`` whose y feeds only a ``Relu`` (and the ``ReluGrad``s of that ReLU,
  which may read the ReLU's output instead: relu(y) > 0 exactly where y > 0)
  -> ``_FusedBatchNormRelu``;
- ``ReluGrad`` whose only consumer is ``FusedBatchNormGradV3`` (as dy)
  -> ``_FusedBatchNormGradEx`` with ``relu``;
- ``SumToShape`` of a batch-norm gradient's dx to one value per channel (the bias gradient)
  -> a fourth output of ``_FusedBatchNormGradEx`` (``with_sum``);
- ``x * cast(mask)`` with a bool mask -> ``x * mask`` (dropout's keep mask);
- a ReLU mask after a max pooling's gradient -> a mask of the pooled gradient before it;
- a convolution's input and filter gradients -> ``_Fused{Conv}Backprop`` (one pass over dy);
- after elementwise fusion, a fused elementwise tree that only a max pooling's gradient
  reads -> ``_MaxPool{..}GradEx`` (``fold_elementwise_into_max_pool_grads``), and one
  reading a max pooling's output -> ``_MaxPool{..}Ex`` (``fold_elementwise_into_max_pools``),
  and one reading a 2-D product nobody else reads -> ``_MatMulEx``
  (``fold_elementwise_into_matmuls``); dropout's keep mask is drawn inside the pooling
  too (``fold_dropout_masks_into_max_pools``).

Each rewrite keeps every value's meaning, so plans compute the same numbers as before
up to float rounding.
"""
from __future__ import annotations

import math

from ember.framework import dtypes
from ember.engine.compiler import Node     # the compiler imports this module lazily
from ember.framework.op import get_op

__all__ = ["fold_dropout_masks_into_max_pools", "fold_elementwise_into_matmuls",
           "fold_elementwise_into_max_pool_grads", "fold_elementwise_into_max_pools",
           "fold_updates_into_input_grads", "fuse_layer_patterns"]

_CONVS = ("Conv1D", "Conv2D", "Conv3D")
_SHAPE_ONLY = ("Shape", "Size", "Rank")


class _Graph:
    """Producers and consumers of the IR's values."""

    def __init__(self, ir):
        self.ir = ir
        self.producer = {}
        self.users = {}
        self.position = {}
        for i, n in enumerate(ir.nodes):
            self.position[id(n)] = i
            for v in n.outputs:
                self.producer[v] = n
            for v in n.inputs:
                self.users.setdefault(v, []).append(n)
        self.fetched = set(ir.fetches)

    def only_user(self, v, node, after=None):
        """True when node is the one consumer of v that reads its values (and v is not
        fetched); ops reading only v's shape may read it too if they run after the node at
        position ``after`` (they are then moved to the value that replaces v)."""
        if v in self.fetched or node.inputs.count(v) != 1:
            return False
        for u in self.users.get(v, []):
            if u is node:
                continue
            if u.op.name not in _SHAPE_ONLY or (after is not None and
                                                self.position[id(u)] <= after):
                return False
        return True

    def move_shape_users(self, v, new):
        for u in self.users.get(v, []):
            if u.op.name in _SHAPE_ONLY:
                u.inputs = [new if w == v else w for w in u.inputs]


def _static(ir, v):
    s = ir.shapes.get(v)
    return s.as_list() if s is not None and s.rank is not None else None


def _channels_last(fmt):
    return fmt is None or not str(fmt).upper().startswith("NC")


def _known_shape(ir, v):
    """v's static shape as a list (a constant's from its value), None if unknown."""
    if v in ir.consts:
        return list(getattr(ir.consts[v], "shape", ()))
    return _static(ir, v)


def _single(shape):
    """True for a known shape of one element (a scalar, or all ones)."""
    return shape is not None and None not in shape and math.prod(shape) == 1


def _last_axis(ir, v, axis):
    s = ir.shapes.get(v)
    return s is not None and s.rank is not None and axis % s.rank == s.rank - 1


def _rebuild(ir, replace, drop):
    """Nodes in order with ``replace`` (id -> new node) and without ``drop`` (ids)."""
    ir.nodes = [replace.get(id(n), n) for n in ir.nodes if id(n) not in drop]


def _node(op, inputs, outputs, attrs, name, shapes):
    return Node(op, inputs, outputs, attrs, name, shapes)


def fuse_conv_bias(ir):
    g = _Graph(ir)
    replace, drop = {}, set()
    for n in ir.nodes:
        if n.op.name not in ("AddV2", "BiasAdd") or len(n.inputs) != 2:
            continue
        if n.op.name == "BiasAdd" and n.attrs.get("axis", -1) != -1:
            continue
        for i in (0, 1):
            v, b = n.inputs[i], n.inputs[1 - i]
            conv = g.producer.get(v)
            if conv is None or conv.op.name not in _CONVS or id(conv) in drop or \
                    not _channels_last(conv.attrs.get("data_format")) or \
                    not g.only_user(v, n, after=g.position[id(n)]):
                continue
            out, bs = _static(ir, v), _static(ir, b)
            if out is None or bs is None or len(bs) != 1 or bs[0] is None or \
                    bs[0] != out[-1] or ir.dtypes.get(b) is not ir.dtypes.get(v) or \
                    _static(ir, n.outputs[0]) != out:
                continue
            fused = get_op(f"_Fused{conv.op.name}Bias")
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
        if relu.op.name != "Relu":
            continue
        y = relu.inputs[0]
        bn = g.producer.get(y)
        if bn is None or bn.op.name != "FusedBatchNormV3" or bn.outputs[0] != y or \
                y in g.fetched or id(bn) in drop:
            continue
        users = [u for u in g.users.get(y, []) if u.op.name not in _SHAPE_ONLY]
        grads = [u for u in users if u is not relu]
        if users.count(relu) != 1 or relu.inputs.count(y) != 1 or any(
                u.op.name != "ReluGrad" or u.inputs[0] == y or
                g.position[id(u)] < g.position[id(relu)] for u in grads):
            continue
        for u in grads:
            u.inputs[1] = relu.outputs[0]
        g.move_shape_users(y, relu.outputs[0])
        replace[id(bn)] = _node(get_op("_FusedBatchNormRelu"), bn.inputs,
                                [relu.outputs[0]] + bn.outputs[1:], bn.attrs,
                                f"{bn.name}+{relu.name}", [relu.shapes[0]] + bn.shapes[1:])
        drop.add(id(relu))
    _rebuild(ir, replace, drop)


def fuse_batch_norm_grad(ir):
    """ReluGrad into the batch-norm gradient after it, then the bias gradient (SumToShape)
    of its dx into it."""
    g = _Graph(ir)
    replace, drop = {}, set()
    ex = get_op("_FusedBatchNormGradEx")
    for h in ir.nodes:
        if h.op.name != "FusedBatchNormGradV3":
            continue
        d = h.inputs[0]
        rg = g.producer.get(d)
        attrs = dict(h.attrs, relu=False, with_sum=False)
        inputs = list(h.inputs)
        if rg is not None and rg.op.name == "ReluGrad" and \
                g.only_user(d, h, after=g.position[id(h)]) and id(rg) not in drop:
            inputs = [rg.inputs[0]] + inputs[1:] + [rg.inputs[1]]
            attrs["relu"] = True
            drop.add(id(rg))
        replace[id(h)] = _node(ex, inputs, list(h.outputs), attrs, h.name, list(h.shapes))
    _rebuild(ir, replace, drop)
    g = _Graph(ir)
    drop = set()
    for s in ir.nodes:
        if s.op.name not in ("SumToShape", "Sum"):
            continue
        dx = s.inputs[0]
        h = g.producer.get(dx)
        if h is None or h.op is not ex or h.outputs[0] != dx or h.attrs["with_sum"] or \
                not _last_axis(ir, dx, h.attrs["axis"]):
            continue
        if s.op.name == "Sum":
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
        if cast.op.name != "Cast" or len(cast.inputs) != 1:
            continue
        src, out = cast.inputs[0], cast.outputs[0]
        to = ir.dtypes.get(out)
        if ir.dtypes.get(src) is not dtypes.bool or to is None or not to.is_floating or \
                out in g.fetched:
            continue
        users = g.users.get(out, [])
        if not users or any(u.op.name != "Mul" or len(u.inputs) != 2 or u.inputs.count(out) != 1
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
    import numpy as np
    g = _Graph(ir)
    ex = get_op("_FusedBatchNormGradEx")
    greater, mul = get_op("Greater"), get_op("Mul")
    next_id = max([v for n in ir.nodes for v in n.inputs + n.outputs] + list(ir.shapes) +
                  list(ir.consts) + [-1]) + 1
    insert = {}
    for h in ir.nodes:
        if h.op is not ex or not h.attrs["relu"]:
            continue
        d, features = h.inputs[0], h.inputs[5]
        pool = g.producer.get(d)
        if pool is None or not (pool.op.name.startswith("MaxPool") and
                                pool.op.name.endswith("Grad")) or \
                pool.inputs[0] != features or not g.only_user(d, h) or id(pool) in insert:
            continue
        y, dy = pool.inputs[1], pool.inputs[2]
        dt = ir.dtypes.get(y)
        if dt is None or not dt.is_floating or ir.dtypes.get(dy) is not dt:
            continue
        zero, mask, masked = next_id, next_id + 1, next_id + 2
        next_id += 3
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


_BACKPROPS = {"Conv1DBackpropInput": ("Conv1DBackpropFilter", "Conv1D"),
              "Conv2DBackpropInput": ("Conv2DBackpropFilter", "Conv2D"),
              "Conv3DBackpropInputV2": ("Conv3DBackpropFilterV2", "Conv3D")}


def fuse_conv_backprops(ir):
    """A convolution's input and filter gradients (one reading dy and the filter, the other
    x and dy) become one ``_Fused{Conv}Backprop`` node that makes both in one pass over
    dy, at the place of the first of the two."""
    g = _Graph(ir)
    replace, drop = {}, set()
    filters = {name for name, _ in _BACKPROPS.values()}
    by_dy = {}
    for n in ir.nodes:
        if n.op.name in filters:
            by_dy.setdefault(n.inputs[2], []).append(n)
    for a in ir.nodes:
        pair = _BACKPROPS.get(a.op.name)
        if pair is None or id(a) in drop:
            continue
        sizes, w, dy = a.inputs
        for b in by_dy.get(dy, []):
            if b.op.name != pair[0] or id(b) in drop or id(b) in replace or \
                    b.attrs != a.attrs:
                continue
            x = b.inputs[0]
            xs, known = _static(ir, x), ir.consts.get(sizes)
            shape_of = g.producer.get(sizes)
            if not ((shape_of is not None and shape_of.op.name == "Shape" and
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
            replace[id(at)] = _node(get_op(f"_Fused{pair[1]}Backprop"), [x, w, dy],
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
        name = n.op.name
        if not (name.startswith("MaxPool") and name.endswith("Grad")) or \
                not _channels_last(n.attrs.get("data_format")):
            continue
        dy = n.inputs[2]
        tree = g.producer.get(dy)
        full = _static(ir, dy)
        if tree is None or tree.op.name != "FusedElementwise" or id(tree) in drop or \
                not g.only_user(dy, n) or full is None or None in full or \
                ir.dtypes.get(dy) is None:
            continue
        shapes = [_known_shape(ir, v) for v in tree.inputs]
        if not all(s == full or _single(s) for s in shapes):
            continue
        attrs = dict(n.attrs, steps=tree.attrs["steps"], dtype=ir.dtypes[dy].name)
        replace[id(n)] = _node(get_op(f"_{name}Ex"), n.inputs[:2] + list(tree.inputs),
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
        if tree.op.name != "FusedElementwise" or id(tree) in replace:
            continue
        for at, v in enumerate(tree.inputs):
            pool = g.producer.get(v)
            if pool is not None and pool.op.name.startswith("MaxPool") and \
                    not pool.op.name.endswith("Grad") and id(pool) not in drop and \
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
        replace[id(tree)] = _node(get_op(f"_{pool.op.name}Ex"), pool.inputs + others,
                                  [y, out], attrs, f"{pool.name}+{tree.name}",
                                  [ir.shapes.get(y), ir.shapes.get(out)])
        drop.add(id(pool))
    _rebuild(ir, replace, drop)


def fold_elementwise_into_matmuls(ir):
    """A FusedElementwise tree reading a 2-D float product that nobody else reads, whose
    other operands are (M, N), (N,), (1, N) or single values, and whose result has the
    product's shape -> ``_MatMulEx``: each block of the product is followed by the tree on
    it while in cache (an optimizer's update of a weight, its gradient the product). The
    fused node takes the tree's place. Runs after elementwise fusion."""
    g = _Graph(ir)
    replace, drop = {}, set()
    for tree in ir.nodes:
        if tree.op.name != "FusedElementwise":
            continue
        for at, v in enumerate(tree.inputs):
            mm = g.producer.get(v)
            if mm is not None and mm.op.name == "BatchMatMulV2" and id(mm) not in drop:
                break
        else:
            continue
        out = tree.outputs[0]
        full, dt = _static(ir, v), ir.dtypes.get(v)
        if full is None or len(full) != 2 or None in full or dt is None or \
                not dt.is_floating or _static(ir, out) != full or \
                ir.dtypes.get(out) is None or not g.only_user(v, tree) or \
                any(_static(ir, w) is None or len(_static(ir, w)) != 2 for w in mm.inputs):
            continue
        others = tree.inputs[:at] + tree.inputs[at + 1:]
        shapes = [_known_shape(ir, w) for w in others]
        if not all(s in (full, full[1:], [1, full[1]]) or _single(s) for s in shapes):
            continue
        attrs = dict(mm.attrs, steps=tree.attrs["steps"], dtype=ir.dtypes[out].name, at=at)
        replace[id(tree)] = _node(get_op("_MatMulEx"), mm.inputs + others, [out], attrs,
                                  f"{mm.name}+{tree.name}", tree.shapes)
        drop.add(id(mm))
    _rebuild(ir, replace, drop)


def fold_dropout_masks_into_max_pools(ir):
    """``_MaxPool{..}Ex`` whose tree reads a keep mask ``RandomUniform(shape) >= rate``
    (float32, a seeded node, the uniforms read by nothing else, the mask by nothing before
    it): the pooling also draws the uniforms, block by block as one draw would, and makes
    the mask, a third output (the dropout's gradient reads it later). The draw and the
    comparison then run on the pooling's threads. Runs after
    ``fold_elementwise_into_max_pools``."""
    g = _Graph(ir)
    replace, drop = {}, set()
    for e in ir.nodes:
        name = e.op.name
        if not (name.startswith("_MaxPool") and name.endswith("Ex")) or \
                name.endswith("GradEx") or e.attrs.get("mask_at") is not None:
            continue
        y_at, full, here = e.attrs["y_at"], _static(ir, e.outputs[0]), g.position[id(e)]
        for i, m in enumerate(e.inputs[1:]):
            ge = g.producer.get(m)
            if ge is None or ge.op.name != "GreaterEqual" or id(ge) in drop:
                continue
            u, rate = ge.inputs
            r = g.producer.get(u)
            if r is None or r.op.name != "RandomUniform" or r.attrs.get("key", 0) <= 0 or \
                    r.attrs.get("dtype") is not dtypes.float32 or \
                    not g.only_user(u, ge) or _static(ir, u) != full or \
                    _known_shape(ir, rate) != [] or e.inputs.count(m) != 1 or \
                    m in g.fetched or \
                    any(g.position[id(w)] < here for w in g.users.get(m, []) if w is not e):
                continue
            attrs = dict(e.attrs, mask_at=i if i < y_at else i + 1,
                         rng=(r.attrs["dtype"].name, r.attrs["seed"], r.attrs["seed2"],
                              r.attrs["key"]))
            inputs = [w for w in e.inputs if w != m] + [rate]
            replace[id(e)] = _node(e.op, inputs, e.outputs + [m], attrs, e.name,
                                   list(e.shapes) + [ir.shapes.get(m)])
            drop.update((id(ge), id(r)))
            break
    _rebuild(ir, replace, drop)


def fuse_layer_patterns(ir):
    multiply_by_masks(ir)
    fuse_conv_bias(ir)
    fuse_batch_norm_relu(ir)
    fuse_batch_norm_grad(ir)
    relu_mask_before_max_pool_grad(ir)
    fuse_conv_backprops(ir)


def _variable_nodes(ir, var):
    """Positions of the nodes that read or assign ``var``."""
    return [i for i, n in enumerate(ir.nodes)
            if n.op.name in ("ReadVariable", "AssignVariable") and n.attrs["variable"] is var]


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
        if p.op.name != "ReadVariable" or p.inputs or \
                any(here < i < at and ir.nodes[i].op.name == "AssignVariable"
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
    update's meaning: the gradient from the weight before the update). Moving the update earlier needs: nothing else reading or
    assigning the weight or the slot in between, no value sharing their buffers read
    after the product, and the tree's other inputs known by then (a variable's read with
    no assignment in between moves along). Runs after ``update_variables_in_place``,
    whose in-place decisions it requires."""
    from ember.engine.compiler import _fresh_values, variable_aliases
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
        if n.op.name != "AssignVariable" or n.attrs.get("kind") != kind or \
                not n.attrs.get(flag) or any(g.users.get(w) or w in g.fetched
                                             for w in n.outputs):
            return None
        return n

    for ex in nodes:
        if ex.op.name != "_MatMulEx" or not ex.attrs.get("transpose_a") or \
                ex.attrs.get("transpose_b") or id(ex) in drop:
            continue
        asg = assignment(ex.outputs[0], "assign", "own_value")
        if asg is None:
            continue
        slot = asg.attrs["variable"]
        x, grad, others = ex.inputs[0], ex.inputs[1], ex.inputs[2:]
        olds = [v for v in others if v in g.producer and
                g.producer[v].op.name == "ReadVariable" and
                g.producer[v].attrs["variable"] is slot]
        if len(olds) != 1 or others.count(olds[0]) != 1 or not g.only_user(olds[0], ex):
            continue
        rd_old = g.producer[olds[0]]
        rd_new = next((nodes[i] for i in _variable_nodes(ir, slot)
                       if i > g.position[id(asg)] and nodes[i].op.name == "ReadVariable"),
                      None)
        if rd_new is None:
            continue
        add = assignment(rd_new.outputs[0], "assign_add", "in_place")
        if add is None:
            continue
        weight = add.attrs["variable"]
        if weight is slot or id(weight) in exposed or id(slot) in exposed:
            continue
        dxn = next((u for u in g.users.get(grad, []) if u.op.name == "BatchMatMulV2" and
                    u.inputs[0] == grad and not u.attrs.get("transpose_a") and
                    u.attrs.get("transpose_b") and id(u) not in drop), None)
        if dxn is None:
            continue
        rd_w = g.producer.get(dxn.inputs[1])
        if rd_w is None or rd_w.op.name != "ReadVariable" or rd_w.attrs["variable"] is not weight:
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
        rest = [v for v in others if v != olds[0]]
        ups = _hoistable(ir, g, [x] + rest, here)
        if ups is None:
            continue
        tree_at = ex.attrs["at"]
        j = others.index(olds[0])
        attrs = dict(steps=ex.attrs["steps"], dtype=ex.attrs["dtype"], at=tree_at,
                     slot_at=j + (j >= tree_at), slot=slot, variable=weight)
        replace[id(dxn)] = _node(get_op("_MatMulGradUpdate"), [grad, dxn.inputs[1], x] + rest,
                                 list(dxn.outputs), attrs, f"{dxn.name}+{ex.name}",
                                 dxn.shapes)
        hoist[id(dxn)] = ups
        drop.update(id(n) for n in (ex, asg, rd_old, rd_new, add))
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
        out.append(replace.get(id(n), n))
    ir.nodes = out
