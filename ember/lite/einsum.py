"""Two-operand ``Einsum`` (Keras's EinsumDense and MultiHeadAttention use it) lowered as
TensorFlow's converter does: transposes and reshapes around one BATCH_MATMUL, or a
FULLY_CONNECTED when the right operand is a constant without batch labels."""
from __future__ import annotations

import numpy as np

from ember.lite.lowering import Live, _const, _unsupported


def _dims(tensor):
    return [-1 if d is None else d for d in tensor.shape.as_list()]


def _product(sizes):
    if any(s < 0 for s in sizes):
        return -1
    return int(np.prod(sizes, dtype=np.int64)) if sizes else 1


class _Emitter:
    def __init__(self, ctx, node):
        self.ctx, self.node, self.dtype = ctx, node, node.outputs[0].dtype.np
        self.k = 0

    def _new(self, shape, tag):
        self.k += 1
        return self.ctx.new(shape, self.dtype, f"{self.node.name}/{tag}_{self.k}")

    def transpose(self, x, shape, perm):
        if list(perm) == list(range(len(perm))):
            return x, shape
        out_shape = [shape[p] for p in perm]
        out = self._new(out_shape, "transpose")
        self.ctx.model.add_op("TRANSPOSE", [self.ctx.tensor(x), self.ctx.tensor(
            np.asarray(perm, np.int32))], [out])
        return Live(out), out_shape

    def reshape(self, x, shape, new_shape):
        if list(shape) == list(new_shape):
            return x, shape
        if sum(d < 0 for d in new_shape) > 1:
            raise _unsupported(self.node, f"reshaping to {new_shape} needs more than one "
                                          f"dimension known only at run time")
        out = self._new(new_shape, "reshape")
        self.ctx.model.add_op("RESHAPE", [self.ctx.tensor(x), self.ctx.tensor(
            np.asarray(new_shape, np.int32))], [out], new_shape=list(new_shape))
        return Live(out), list(new_shape)


def lower_einsum(ctx, node, a, b=None):
    equation = node.attrs["equation"].replace(" ", "")
    if b is None or "..." in equation or "->" not in equation:
        raise _unsupported(node, f"only two-operand equations with an explicit output and "
                                 f"no ellipsis are supported; received {equation!r}")
    lhs, out_labels = equation.split("->")
    a_labels, b_labels = lhs.split(",")
    for labels in (a_labels, b_labels, out_labels):
        if len(set(labels)) != len(labels):
            raise _unsupported(node, f"repeated labels (diagonals) in {equation!r}")
    only_one = [c for c in a_labels + b_labels
                if c not in out_labels and ((c in a_labels) != (c in b_labels))]
    if only_one:
        raise _unsupported(node, f"labels {only_one} summed within one operand")
    size = {}
    for labels, t in ((a_labels, node.inputs[0]), (b_labels, node.inputs[1])):
        for c, d in zip(labels, _dims(t)):
            if size.get(c, -1) < 0:
                size[c] = d
    batch = [c for c in out_labels if c in a_labels and c in b_labels]
    contract = [c for c in a_labels if c in b_labels and c not in out_labels]
    a_free = [c for c in a_labels if c not in b_labels]
    b_free = [c for c in b_labels if c not in a_labels]
    e = _Emitter(ctx, node)
    m, k, n = (_product([size[c] for c in g]) for g in (a_free, contract, b_free))
    x, xs = e.transpose(a, _dims(node.inputs[0]),
                        [a_labels.index(c) for c in batch + a_free + contract])
    bsz = [size[c] for c in batch]
    if not batch and not isinstance(b, Live):
        w = np.transpose(_const(node, b, "right operand").astype(np.float32),
                         [b_labels.index(c) for c in contract + b_free])
        if len(contract) == 1 and len(xs) > 2:     # keeps the leading dims, as Dense does
            ys = xs[:-1] + [n]
            keep = True
        else:
            x, xs = e.reshape(x, xs, [m, k])
            ys, keep = [m, n], False
        y = e._new(ys, "fully_connected")
        ctx.model.add_op("FULLY_CONNECTED", [ctx.tensor(x), ctx.tensor(
            np.ascontiguousarray(w.reshape(k, n).T)), -1], [y], keep_num_dims=keep)
        y = Live(y)
    else:
        x, xs = e.reshape(x, xs, bsz + [m, k])
        z, zs = e.transpose(b, _dims(node.inputs[1]),
                            [b_labels.index(c) for c in batch + contract + b_free])
        z, zs = e.reshape(z, zs, bsz + [k, n])
        ys = bsz + [m, n]
        y = e._new(ys, "batch_matmul")
        ctx.model.add_op("BATCH_MATMUL", [ctx.tensor(x), ctx.tensor(z)], [y],
                         adj_x=False, adj_y=False)
        y = Live(y)
    order = batch + a_free + b_free
    y, ys = e.reshape(y, ys, [size[c] for c in order])
    perm = [order.index(c) for c in out_labels]
    if perm == list(range(len(perm))):
        return [int(y)]
    final = ctx.output(node)
    ctx.model.add_op("TRANSPOSE", [ctx.tensor(y), ctx.tensor(np.asarray(perm, np.int32))],
                     [final])
    return [final]
