"""Composites that TensorFlow Lite has one builtin for, found in the ember graph before
lowering: Keras's ``gelu`` (exact, with Erf, and the tanh approximation) becomes GELU. A
pattern is a nested tuple: ``("Op", child, child)`` (Mul and AddV2 match either operand
order), ``("const", value)`` (a scalar constant) or ``"X"`` (the input, the same tensor
wherever it appears)."""
from __future__ import annotations

import numpy as np

_GELU = ("Mul", ("Mul", ("const", 0.5), "X"),
         ("AddV2", ("const", 1.0), ("Erf", ("Mul", "X", ("const", 0.70710677)))))
_GELU_TANH = ("Mul", ("Mul", ("const", 0.5), "X"),
              ("AddV2", ("const", 1.0),
               ("Tanh", ("Mul", ("const", 0.7978846),
                         ("AddV2", "X", ("Mul", ("const", 0.044715),
                                         ("Mul", ("Mul", "X", "X"), "X")))))))
PATTERNS = [(_GELU, "GELU", {"approximate": False}),
            (_GELU_TANH, "GELU", {"approximate": True})]
_COMMUTATIVE = {"Mul", "AddV2", "Add"}


def _constant_value(tensor):
    node = tensor.op
    if node.op_def.name == "Const":
        return np.asarray(node.attrs["value"])
    return None


def _match(pattern, tensor, binding):
    if pattern == "X":
        if "X" in binding:
            return binding["X"] is tensor
        binding["X"] = tensor
        return True
    if pattern[0] == "const":
        value = _constant_value(tensor)
        return value is not None and value.size == 1 and \
            bool(np.isclose(float(value.reshape(())), pattern[1], rtol=1e-5, atol=0))
    name, *children = pattern
    node = tensor.op
    if node.op_def.name != name or len(node.inputs) != len(children):
        return False
    orders = [list(node.inputs)]
    if name in _COMMUTATIVE:
        orders.append(list(node.inputs)[::-1])
    for inputs in orders:
        trial = dict(binding)
        if all(_match(p, t, trial) for p, t in zip(children, inputs)):
            binding.update(trial)
            return True
    return False


def find_composites(nodes):
    """``{id(node): (builtin, input tensor, options)}`` for the nodes that end a pattern."""
    found = {}
    for node in nodes:
        if node.op_def.name != "Mul":
            continue
        for pattern, kind, options in PATTERNS:
            binding = {}
            if _match(pattern, node.outputs[0], binding):
                found[id(node)] = (kind, binding["X"], options)
                break
    return found
