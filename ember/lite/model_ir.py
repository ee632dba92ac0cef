"""A TensorFlow Lite model as plain Python objects: what the converter builds, the
flatbuffer writer serializes, the reader parses and the interpreter runs."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class LiteTensor:
    """One tensor of the graph. ``shape`` uses -1 for a dimension known only at run time
    (written as 1 in ``shape`` and -1 in ``shape_signature``, as TensorFlow does); ``data``
    is set for constants. ``quantization`` holds ``scale``, ``zero_point`` (lists) and
    ``quantized_dimension`` for quantized tensors."""
    name: str
    shape: tuple
    dtype: np.dtype
    data: np.ndarray | None = None
    quantization: dict | None = None


@dataclass
class LiteOp:
    """One builtin operator: its name (``"CONV_2D"``), tensor indices (-1: an omitted
    optional input) and options (the fields of its options table)."""
    kind: str
    inputs: list
    outputs: list
    options: dict = field(default_factory=dict)
    version: int = 1


@dataclass
class LiteModel:
    """A single-subgraph model with its signatures (``{"key", "inputs": {name: tensor},
    "outputs": {name: tensor}}``)."""
    tensors: list = field(default_factory=list)
    operators: list = field(default_factory=list)
    inputs: list = field(default_factory=list)
    outputs: list = field(default_factory=list)
    signatures: list = field(default_factory=list)
    description: str = ""
    subgraph_name: str = "main"

    def add_tensor(self, name, shape, dtype, data=None, quantization=None) -> int:
        self.tensors.append(LiteTensor(name, tuple(int(d) for d in shape), np.dtype(dtype),
                                       data, quantization))
        return len(self.tensors) - 1

    def add_constant(self, name, value, dtype=None) -> int:
        value = np.array(value, dtype=dtype, order="C")      # keeps 0-d shapes
        return self.add_tensor(name, value.shape, value.dtype, value)

    def add_op(self, kind, inputs, outputs, **options) -> LiteOp:
        op = LiteOp(kind, list(inputs), list(outputs), options)
        self.operators.append(op)
        return op
