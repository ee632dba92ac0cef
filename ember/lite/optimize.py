"""Graph rewrites on a converted ``LiteModel``, as TensorFlow's converter makes them: a
following bias add, per-channel scale or shift (a folded BatchNormalization) goes into
the weights and bias of CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED / TRANSPOSE_CONV; a
following RELU / RELU6 / RELU_N1_TO_1 becomes the fused activation of the op before it;
tensors nothing uses are dropped."""
from __future__ import annotations

import numpy as np

from ember.lite.schema import ACTIVATIONS

# op -> axis of the filter that holds output channels.
_LINEAR = {"CONV_2D": 0, "DEPTHWISE_CONV_2D": 3, "FULLY_CONNECTED": 0, "TRANSPOSE_CONV": 0}
_FUSES_ACTIVATION = {"ADD", "SUB", "MUL", "DIV", "CONV_2D", "DEPTHWISE_CONV_2D",
                     "FULLY_CONNECTED", "AVERAGE_POOL_2D", "MAX_POOL_2D"}
_ACTIVATION_OPS = {"RELU": "RELU", "RELU6": "RELU6", "RELU_N1_TO_1": "RELU_N1_TO_1"}


def optimize(model) -> None:
    """Rewrites ``model`` in place."""
    while _fold_affine(model):
        pass
    _fuse_activations(model)
    drop_unused(model)


def _consumers(model):
    uses = {}
    for op in model.operators:
        for i in op.inputs:
            uses.setdefault(i, []).append(op)
    for i in model.outputs:
        uses.setdefault(i, []).append(None)
    return uses


def _sole_consumer(uses, t):
    users = uses.get(t, [])
    return users[0] if len(users) == 1 and users[0] is not None else None


def _channel_vector(model, value_index, out_tensor, n):
    """The per-output-channel values of a constant operand that only broadcasts along the
    last axis of ``out_tensor`` (None when it does anything else)."""
    t = model.tensors[value_index]
    if t.data is None or t.data.dtype != np.float32:
        return None
    data = t.data
    rank = len(model.tensors[out_tensor].shape)
    if data.ndim > rank:
        return None
    if data.size == 1:
        return np.full(n, data.reshape(()), np.float32)
    if data.shape[-1] == n and data.size == n:
        return data.reshape(n).astype(np.float32)
    return None


def _fold_affine(model) -> bool:
    uses = _consumers(model)
    for op in model.operators:
        axis = _LINEAR.get(op.kind)
        if axis is None or op.options.get("fused_activation_function", 0):
            continue
        out = op.outputs[0]
        nxt = _sole_consumer(uses, out)
        if nxt is None or nxt.kind not in ("ADD", "SUB", "MUL", "DIV") or \
                nxt.options.get("fused_activation_function", 0):
            continue
        other = [i for i in nxt.inputs if i != out]
        if len(other) != 1 or len(nxt.inputs) != 2:
            continue
        if nxt.kind in ("SUB", "DIV") and nxt.inputs[0] != out:
            continue
        w_index = 1
        filt = model.tensors[op.inputs[w_index]]
        n = filt.data.shape[axis] if filt.data is not None else None
        if n is None or model.tensors[nxt.outputs[0]].shape != model.tensors[out].shape:
            continue
        vec = _channel_vector(model, other[0], out, n)
        if vec is None:
            continue
        bias_pos = 3 if op.kind == "TRANSPOSE_CONV" else 2
        bias = _bias(model, op, bias_pos, n)
        if nxt.kind == "ADD":
            bias = bias + vec
        elif nxt.kind == "SUB":
            bias = bias - vec
        else:
            scale = vec if nxt.kind == "MUL" else (1.0 / vec).astype(np.float32)
            shape = [1] * filt.data.ndim
            shape[axis] = n
            weights = (filt.data * scale.reshape(shape)).astype(np.float32)
            op.inputs[w_index] = model.add_constant(filt.name, weights)
            bias = bias * scale
        while len(op.inputs) <= bias_pos:
            op.inputs.append(-1)
        op.inputs[bias_pos] = model.add_constant(
            model.tensors[op.outputs[0]].name + "/bias", bias.astype(np.float32))
        op.outputs = list(nxt.outputs)
        model.operators.remove(nxt)
        return True
    return False


def _bias(model, op, pos, n):
    if len(op.inputs) > pos and op.inputs[pos] >= 0:
        return model.tensors[op.inputs[pos]].data.astype(np.float32)
    return np.zeros(n, np.float32)


def _fuse_activations(model) -> None:
    uses = _consumers(model)
    for op in list(model.operators):
        if op.kind not in _FUSES_ACTIVATION or op.options.get("fused_activation_function", 0):
            continue
        nxt = _sole_consumer(uses, op.outputs[0])
        if nxt is None or nxt.kind not in _ACTIVATION_OPS or nxt not in model.operators:
            continue
        op.options["fused_activation_function"] = ACTIVATIONS[_ACTIVATION_OPS[nxt.kind]]
        op.outputs = list(nxt.outputs)
        model.operators.remove(nxt)


def drop_unused(model) -> None:
    used = set(model.inputs) | set(model.outputs)
    for op in model.operators:
        used.update(i for i in op.inputs if i >= 0)
        used.update(op.outputs)
    order = sorted(used)
    new_index = {old: new for new, old in enumerate(order)}
    model.tensors = [model.tensors[i] for i in order]
    for op in model.operators:
        op.inputs = [new_index[i] if i >= 0 else -1 for i in op.inputs]
        op.outputs = [new_index[i] for i in op.outputs]
    model.inputs = [new_index[i] for i in model.inputs]
    model.outputs = [new_index[i] for i in model.outputs]
    for sig in model.signatures:
        for side in ("inputs", "outputs"):
            sig[side] = {k: new_index[v] for k, v in sig[side].items()}
