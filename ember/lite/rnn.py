"""Keras's recurrent layers (ember's ``RNNSequence`` op: SimpleRNN, GRU, LSTM) unrolled
over their known number of time steps into TensorFlow Lite builtins: one
FULLY_CONNECTED projects every step's input, UNPACK splits the steps, each step is a
FULLY_CONNECTED on the state plus elementwise gate arithmetic, PACK gathers the outputs."""
from __future__ import annotations

import numpy as np

from ember.lite.lowering import Live, _const, _unsupported

_ACTIVATIONS = {"tanh": "TANH", "sigmoid": "LOGISTIC", "relu": "RELU", "linear": None}


class _Steps:
    def __init__(self, ctx, node, batch, units):
        self.ctx, self.node, self.batch, self.units = ctx, node, batch, units
        self.dtype = node.outputs[0].dtype.np
        self.k = 0

    def emit(self, kind, inputs, shape=None, outputs=1, **options):
        shape = [self.batch, self.units] if shape is None else shape
        outs = []
        for _ in range(outputs):
            self.k += 1
            outs.append(self.ctx.new(shape, self.dtype, f"{self.node.name}/{kind.lower()}_"
                                                        f"{self.k}"))
        self.ctx.model.add_op(kind, [self.ctx.tensor(v) for v in inputs], outs, **options)
        return [Live(o) for o in outs] if outputs > 1 else Live(outs[0])

    def activate(self, name, x):
        if name not in _ACTIVATIONS:
            raise _unsupported(self.node, f"activation {name!r} in a recurrent cell; "
                                          f"supported: {sorted(_ACTIVATIONS)}")
        kind = _ACTIVATIONS[name]
        return x if kind is None else self.emit(kind, [x])

    def linear(self, x, weights, bias=None, shape=None, **options):
        """``x @ weights (+ bias)`` as FULLY_CONNECTED (weights stored [out, in])."""
        w = self.ctx.tensor(np.ascontiguousarray(weights.T.astype(self.dtype)),
                            f"{self.node.name}/weights")          # one copy for all steps
        b = -1 if bias is None else self.ctx.tensor(bias.astype(self.dtype),
                                                    f"{self.node.name}/bias")
        return self.emit("FULLY_CONNECTED", [x, Live(w), Live(b)],
                         shape=shape or [self.batch, weights.shape[1]], **options)

    def split(self, x, parts):
        return self.emit("SPLIT", [np.asarray(1, np.int32), x], outputs=parts,
                         num_splits=parts)


def lower_rnn_sequence(ctx, node, *inputs):
    attrs = node.attrs
    cell = attrs["cell"]
    if attrs.get("masked") or attrs.get("rdrop"):
        raise _unsupported(node, "masked inputs and recurrent dropout are not supported")
    lstm = cell == "lstm"
    x, h = inputs[0], inputs[1]
    c = inputs[2] if lstm else None
    first = 3 if lstm else 2
    W, R, bias = (_const(node, v, what).astype(np.float32) for v, what in zip(
        inputs[first:first + 3], ("kernel", "recurrent kernel", "bias")))
    b_shape, t_steps, features = [-1 if d is None else d
                                  for d in node.inputs[0].shape.as_list()]
    if t_steps < 0:
        raise _unsupported(node, "the number of time steps must be known before run time "
                                 "(give the Input a fixed sequence length)")
    units = R.shape[0]
    s = _Steps(ctx, node, b_shape, units)
    b_in = bias[0] if cell == "gru" else bias
    projected = s.linear(x, W, b_in, shape=[b_shape, t_steps, W.shape[1]],
                         keep_num_dims=True)
    steps = s.emit("UNPACK", [projected], shape=[b_shape, W.shape[1]], outputs=t_steps,
                   num=t_steps, axis=1) if t_steps > 1 else [s.emit(
                       "RESHAPE", [projected, np.asarray([b_shape, W.shape[1]], np.int32)],
                       shape=[b_shape, W.shape[1]], new_shape=[b_shape, W.shape[1]])]
    order = range(t_steps - 1, -1, -1) if attrs["go_backwards"] else range(t_steps)
    act, ract = attrs["activation"], attrs["recurrent_activation"]
    outputs = []
    for t in order:
        xt = steps[t]
        if cell == "simple":
            h = s.activate(act, s.emit("ADD", [xt, s.linear(h, R)]))
        elif lstm:
            z = s.emit("ADD", [xt, s.linear(h, R)], shape=[b_shape, 4 * units])
            i, f, g, o = s.split(z, 4)
            i, f, o = (s.activate(ract, v) for v in (i, f, o))
            c = s.emit("ADD", [s.emit("MUL", [f, c]), s.emit("MUL", [i, s.activate(act, g)])])
            h = s.emit("MUL", [o, s.activate(act, c)])
        elif cell == "gru":
            xz, xr, xh = s.split(xt, 3)
            hz, hr, hh = s.split(s.linear(h, R, bias[1], shape=[b_shape, 3 * units]), 3)
            z = s.activate(ract, s.emit("ADD", [xz, hz]))
            r = s.activate(ract, s.emit("ADD", [xr, hr]))
            cand = s.activate(act, s.emit("ADD", [xh, s.emit("MUL", [r, hh])]))
            h = s.emit("ADD", [cand, s.emit("MUL", [z, s.emit("SUB", [h, cand])])])
        elif cell == "gru_v1":
            xz, xr, xh = s.split(xt, 3)
            hz, hr = s.split(s.linear(h, R[:, :2 * units], shape=[b_shape, 2 * units]), 2)
            z = s.activate(ract, s.emit("ADD", [xz, hz]))
            r = s.activate(ract, s.emit("ADD", [xr, hr]))
            cand = s.activate(act, s.emit("ADD", [xh, s.linear(s.emit("MUL", [r, h]),
                                                               R[:, 2 * units:])]))
            h = s.emit("ADD", [cand, s.emit("MUL", [z, s.emit("SUB", [h, cand])])])
        else:
            raise _unsupported(node, f"recurrent cell {cell!r}")
        outputs.append(h)
    seq = ctx.output(node, 0)
    ctx.model.add_op("PACK", [ctx.tensor(v) for v in outputs], [seq],
                     values_count=len(outputs), axis=1)
    result = [seq, int(h), int(h)]
    return result + [int(c)] if lstm else result
