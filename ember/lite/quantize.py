"""Post-training weight quantization as TensorFlow Lite does it
(``converter.optimizations = [Optimize.DEFAULT]``): dynamic range — the float32 weights of
FULLY_CONNECTED, CONV_2D and DEPTHWISE_CONV_2D with at least 1024 elements become
symmetric int8 with one scale per output channel, activations stay float32 and the
runtime's hybrid kernels quantize them on the fly — or, with
``target_spec.supported_types = [float16]``, float16 constants."""
from __future__ import annotations

import numpy as np

from ember.lite.model_ir import LiteOp
from ember.lite.optimize import drop_unused

MIN_ELEMENTS = 1024
_CHANNEL_AXIS = {"FULLY_CONNECTED": 0, "CONV_2D": 0, "DEPTHWISE_CONV_2D": 3}
_HYBRID_VERSION = {"FULLY_CONNECTED": 12, "CONV_2D": 5, "DEPTHWISE_CONV_2D": 6}


def quantize_weights(model) -> None:
    """Replaces large float32 weight tensors of ``model`` by int8 ones, in place."""
    done = {}                    # a weight several ops share is quantized once
    for op in model.operators:
        axis = _CHANNEL_AXIS.get(op.kind)
        if axis is None or len(op.inputs) < 2 or op.inputs[1] < 0:
            continue
        w = model.tensors[op.inputs[1]]
        if w.data is None or w.data.dtype != np.float32 or w.data.size < MIN_ELEMENTS:
            continue
        if (op.inputs[1], axis) not in done:
            q, scale = _symmetric_int8(w.data, axis)
            done[(op.inputs[1], axis)] = model.add_tensor(w.name, w.shape, np.int8, q, {
                "scale": scale, "zero_point": np.zeros(scale.size, np.int64),
                "quantized_dimension": axis})
        op.inputs[1] = done[(op.inputs[1], axis)]
        op.version = _HYBRID_VERSION[op.kind]
        if op.kind == "FULLY_CONNECTED":
            op.options["asymmetric_quantize_inputs"] = True
    drop_unused(model)


def _symmetric_int8(w, axis):
    moved = np.moveaxis(w, axis, 0).reshape(w.shape[axis], -1)
    scale = np.abs(moved).max(axis=1) / 127.0
    scale = np.where(scale > 0, scale, 1.0).astype(np.float32)
    shape = [1] * w.ndim
    shape[axis] = -1
    q = np.clip(np.round(w / scale.reshape(shape)), -127, 127).astype(np.int8)
    return q, scale


def float16_weights(model) -> None:
    """``target_spec.supported_types = [float16]``: every float32 constant an operator reads
    is stored as float16 and turned back to float32 by a DEQUANTIZE op at the start of the
    graph, as TensorFlow writes it (half the file size, float32 arithmetic)."""
    converted, dequantize_ops = {}, []
    for op in model.operators:
        for k, i in enumerate(op.inputs):
            if i < 0:
                continue
            t = model.tensors[i]
            if t.data is None or t.data.dtype != np.float32:
                continue
            if i not in converted:
                half = model.add_tensor(t.name, t.shape, np.float16,
                                        t.data.astype(np.float16))
                full = model.add_tensor(t.name + "/dequantize", t.shape, np.float32)
                converted[i] = full
                dequantize_ops.append((half, full))
            op.inputs[k] = converted[i]
    model.operators[:0] = [LiteOp("DEQUANTIZE", [h], [f], {}, 3) for h, f in dequantize_ops]
    drop_unused(model)
