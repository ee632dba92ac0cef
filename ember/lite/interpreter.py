"""``Interpreter``: runs a TensorFlow Lite flatbuffer (``tf.lite.Interpreter``) with
ember's NumPy kernels (``kernels.py``)."""
from __future__ import annotations

import os
import struct

import numpy as np

from ember.lite.kernels import KERNELS

__all__ = ["Interpreter", "SignatureRunner"]

# Ops whose int8 weights TensorFlow Lite runs as hybrid kernels (float activations).
_HYBRID = {"FULLY_CONNECTED", "CONV_2D", "DEPTHWISE_CONV_2D", "BATCH_MATMUL", "GATHER",
           "TRANSPOSE_CONV"}


def _dequantize(t, data):
    q = t.quantization
    scale = np.asarray(q["scale"], np.float32)
    zero = np.asarray(q["zero_point"], np.float32)
    if scale.size > 1:
        shape = [1] * data.ndim
        shape[q.get("quantized_dimension", 0)] = scale.size
        scale, zero = scale.reshape(shape), zero.reshape(shape)
    return ((data.astype(np.float32) - zero) * scale).astype(np.float32)


def _check_graph(model):
    """Every tensor an operator reads exists and is a constant, an input or the output of
    an earlier operator."""
    n = len(model.tensors)
    ready = {i for i, t in enumerate(model.tensors) if t.data is not None}
    for i in list(model.inputs) + list(model.outputs):
        if not 0 <= i < n:
            raise ValueError(f"graph input/output tensor {i} does not exist ({n} tensors)")
    ready.update(model.inputs)
    for k, op in enumerate(model.operators):
        for i in op.inputs:
            if i != -1 and i not in ready:
                raise ValueError(f"operator #{k} {op.kind} reads tensor {i}, which is not a "
                                 f"constant, an input or an earlier operator's output")
        for i in op.outputs:
            if not 0 <= i < n:
                raise ValueError(f"operator #{k} {op.kind} writes tensor {i}, which does "
                                 f"not exist ({n} tensors)")
        ready.update(op.outputs)
    missing = [i for i in model.outputs if i not in ready]
    if missing:
        raise ValueError(f"graph outputs {missing} are never computed")


class Interpreter:
    """Loads a ``.tflite`` model and runs it.

    >>> interpreter = ember.lite.Interpreter(model_path="model.tflite")
    >>> interpreter.allocate_tensors()
    >>> interpreter.set_tensor(interpreter.get_input_details()[0]["index"], x)
    >>> interpreter.invoke()
    >>> y = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    """

    def __init__(self, model_path=None, model_content=None, experimental_delegates=None,
                 num_threads=None, experimental_op_resolver_type=None,
                 experimental_preserve_all_tensors=False, **kwargs):
        from ember.lite.flatbuffer import parse_all
        if (model_path is None) == (model_content is None):
            raise ValueError("Interpreter: pass exactly one of model_path or model_content.")
        if model_path is not None:
            model_path = os.fspath(model_path)
            if not os.path.exists(model_path):
                raise ValueError(f"Could not open '{model_path}'.")
            with open(model_path, "rb") as f:
                model_content = f.read()
        where = f"'{model_path}'" if model_path else "model_content"
        try:
            models = parse_all(model_content)
            for m in models:
                _check_graph(m)
        except (IndexError, KeyError, TypeError, ValueError, OverflowError, struct.error,
                UnicodeDecodeError) as e:
            raise ValueError(f"Interpreter: {where} is not a valid TensorFlow Lite model: "
                             f"{e}") from None
        self._setup(models[0])
        # Further subgraphs (more signatures) run in interpreters of their own.
        self._subgraphs = [self] + [Interpreter._for_subgraph(m) for m in models[1:]]

    @classmethod
    def _for_subgraph(cls, model):
        interp = cls.__new__(cls)
        interp._setup(model)
        interp._subgraphs = [interp]
        return interp

    def _setup(self, model):
        self._model = model
        for op in model.operators:
            if op.kind not in KERNELS and op.kind not in ("CAST", "DEQUANTIZE"):
                raise NotImplementedError(f"ember.lite: the model uses operator {op.kind}, "
                                          f"which ember's interpreter does not run.")
        self._constants = self._load_constants()
        self._shapes = [tuple(1 if d < 0 else d for d in t.shape) for t in model.tensors]
        self._values = {}
        self._allocated = False
        self._resized = False

    def _load_constants(self):
        consts = {}
        users = {}
        for op in self._model.operators:
            for i in op.inputs:
                users.setdefault(i, set()).add(op.kind)
        for i, t in enumerate(self._model.tensors):
            if t.data is None:
                if t.quantization is not None and t.dtype.kind in "iu" and \
                        i not in self._model.inputs:
                    raise NotImplementedError(
                        f"ember.lite: tensor {t.name!r} holds quantized activations; ember's "
                        f"interpreter runs float models and int8-weight (dynamic-range) "
                        f"models only, not fully quantized ones.")
                continue
            data = t.data
            if t.quantization is not None and data.dtype.kind in "iu" and \
                    users.get(i, set()) <= _HYBRID:
                data = _dequantize(t, data)
            consts[i] = data
        return consts

    # ----------------------------------------------------------------------- details

    def _detail(self, i):
        t = self._model.tensors[i]
        q = t.quantization
        scales = np.asarray(q["scale"], np.float32) if q else np.zeros(0, np.float32)
        zeros = np.asarray(q["zero_point"], np.int32) if q else np.zeros(0, np.int32)
        return {"name": t.name, "index": i,
                "shape": np.asarray(self._shapes[i], np.int32),
                "shape_signature": np.asarray(t.shape, np.int32),
                "dtype": t.dtype.type,
                "quantization": (float(scales[0]), int(zeros[0])) if scales.size == 1
                else (0.0, 0),
                "quantization_parameters": {"scales": scales, "zero_points": zeros,
                                            "quantized_dimension":
                                                q.get("quantized_dimension", 0) if q else 0},
                "sparsity_parameters": {}}

    def get_input_details(self):
        """One dict per input: name, index, shape, shape_signature, dtype, quantization."""
        return [self._detail(i) for i in self._model.inputs]

    def get_output_details(self):
        """One dict per output, as ``get_input_details``."""
        return [self._detail(i) for i in self._model.outputs]

    def get_tensor_details(self):
        return [self._detail(i) for i in range(len(self._model.tensors))]

    # ------------------------------------------------------------------------- state

    def allocate_tensors(self):
        """Makes the tensors ready for ``set_tensor`` / ``invoke`` (after a resize, the
        shapes of every tensor follow the new input shapes)."""
        if self._resized:
            self._run({i: np.zeros(self._shapes[i], self._model.tensors[i].dtype)
                       for i in self._model.inputs}, infer_shapes=True)
            self._resized = False
        for i in self._model.inputs:
            if i not in self._values or self._values[i].shape != self._shapes[i]:
                self._values[i] = np.zeros(self._shapes[i], self._model.tensors[i].dtype)
        self._allocated = True

    def resize_tensor_input(self, input_index, tensor_size, strict=False):
        """Sets the shape of input ``input_index``; call ``allocate_tensors`` after."""
        if input_index not in self._model.inputs:
            raise ValueError(f"Interpreter: tensor {input_index} is not an input; inputs are "
                             f"{self._model.inputs}")
        t = self._model.tensors[input_index]
        size = tuple(int(d) for d in np.asarray(tensor_size).reshape(-1))
        if len(size) != len(t.shape):
            raise ValueError(f"Interpreter: input {t.name!r} has rank {len(t.shape)}; cannot "
                             f"resize it to {list(size)}")
        for d, (new, sig) in enumerate(zip(size, t.shape)):
            if strict and sig != -1 and new != sig:
                raise ValueError(f"Interpreter: dimension {d} of input {t.name!r} is fixed to "
                                 f"{sig} (shape_signature {list(t.shape)}); cannot resize to "
                                 f"{new} with strict=True")
        if size != self._shapes[input_index]:
            self._shapes[input_index] = size
            self._resized = True
        self._allocated = False

    def set_tensor(self, tensor_index, value):
        """Copies ``value`` into input ``tensor_index``; its dtype and shape must match."""
        if tensor_index not in self._model.inputs:
            raise ValueError(f"Interpreter: tensor {tensor_index} is not an input tensor "
                             f"(inputs: {self._model.inputs})")
        t = self._model.tensors[tensor_index]
        value = np.asarray(value)
        if value.dtype != t.dtype:
            raise ValueError(f"Cannot set tensor: Got value of type {value.dtype.name.upper()} "
                             f"but expected type {t.dtype.name.upper()} for input "
                             f"{tensor_index}, name: {t.name} ")
        expected = self._shapes[tensor_index]
        if value.shape != expected:
            if value.ndim != len(expected):
                raise ValueError(f"Cannot set tensor: Dimension mismatch. Got {value.ndim} but "
                                 f"expected {len(expected)} for input {tensor_index}.")
            d = next(k for k in range(value.ndim) if value.shape[k] != expected[k])
            raise ValueError(f"Cannot set tensor: Dimension mismatch. Got {value.shape[d]} but "
                             f"expected {expected[d]} for dimension {d} of input "
                             f"{tensor_index}.")
        self._values[tensor_index] = value.copy()

    def invoke(self):
        """Runs the model on the inputs set with ``set_tensor``."""
        if not self._allocated:
            raise RuntimeError("Interpreter: call allocate_tensors() before invoke() (and "
                               "again after resize_tensor_input).")
        self._values = self._run({i: self._values[i] for i in self._model.inputs})

    def get_tensor(self, tensor_index, subgraph_index=0):
        """A copy of tensor ``tensor_index``'s value."""
        if not 0 <= tensor_index < len(self._model.tensors):
            raise ValueError(f"Interpreter: tensor index {tensor_index} is out of range "
                             f"(the model has {len(self._model.tensors)} tensors)")
        if tensor_index in self._constants:
            return self._constants[tensor_index].copy()
        if tensor_index in self._values:
            return self._values[tensor_index].copy()
        t = self._model.tensors[tensor_index]
        return np.zeros(self._shapes[tensor_index], t.dtype)

    def tensor(self, tensor_index):
        """A function returning the array that holds ``tensor_index`` now, not a copy: as
        in TensorFlow, ``interpreter.tensor(i)()[...] = x`` fills an input in place (the
        array is valid until the next ``allocate_tensors``/``invoke``)."""
        def current():
            if tensor_index in self._constants:
                return self._constants[tensor_index]
            if tensor_index not in self._values:
                self._values[tensor_index] = np.zeros(self._shapes[tensor_index],
                                                      self._model.tensors[tensor_index].dtype)
            return self._values[tensor_index]
        self.get_tensor(tensor_index)            # checks the index
        return current

    def reset_all_variables(self):
        """Resets variable tensors to their initial values (files ember runs hold none)."""

    def _run(self, feeds, infer_shapes=False):
        model = self._model
        values = dict(feeds)
        for n, op in enumerate(model.operators):
            ins = [None if i < 0 else (self._constants[i] if i in self._constants
                                       else values[i]) for i in op.inputs]
            try:
                if op.kind == "CAST":
                    outs = [ins[0].astype(model.tensors[op.outputs[0]].dtype)]
                elif op.kind == "DEQUANTIZE":
                    t = model.tensors[op.inputs[0]]
                    outs = [ins[0].astype(np.float32) if t.quantization is None
                            else _dequantize(t, ins[0])]
                else:
                    with np.errstate(all="ignore"):     # inf/nan as TensorFlow Lite makes them
                        outs = KERNELS[op.kind](ins, op.options)
            except NotImplementedError:
                raise
            except Exception as e:  # noqa: BLE001 — named and re-raised
                raise ValueError(f"ember.lite: operator #{n} {op.kind} (output "
                                 f"{model.tensors[op.outputs[0]].name!r}) failed: {e}") \
                    from None
            for i, v in zip(op.outputs, outs):
                v = np.asarray(v)
                want = model.tensors[i].dtype
                values[i] = v if v.dtype == want else v.astype(want)
                if infer_shapes:
                    self._shapes[i] = values[i].shape
        return values

    # -------------------------------------------------------------------- signatures

    def _signatures(self):
        return {s["key"]: (interp, s) for interp in self._subgraphs
                for s in interp._model.signatures}

    def get_signature_list(self):
        """``{key: {"inputs": [names], "outputs": [names]}}`` of the model's signatures."""
        return {key: {"inputs": list(s["inputs"]), "outputs": list(s["outputs"])}
                for key, (_, s) in self._signatures().items()}

    def get_signature_runner(self, signature_key=None):
        """A callable running one signature with keyword inputs, returning a dict."""
        sigs = self._signatures()
        if not sigs:
            raise ValueError("SignatureDef signature_key is None and model has no Signatures; "
                             "the model was written without signatures.")
        if signature_key is None:
            if len(sigs) != 1:
                raise ValueError(f"Interpreter: the model has signatures {sorted(sigs)}; pass "
                                 f"signature_key.")
            signature_key = next(iter(sigs))
        if signature_key not in sigs:
            raise ValueError(f"Invalid signature_key provided: {signature_key!r}; the model "
                             f"has {sorted(sigs)}.")
        return SignatureRunner(*sigs[signature_key])


class SignatureRunner:
    """Runs a signature: ``runner(x=array) -> {"output_0": array}``; input shapes may
    differ between calls (the inputs are resized as needed)."""

    def __init__(self, interpreter, signature):
        self._interp = interpreter
        self._sig = signature

    def get_input_details(self):
        return {n: self._interp._detail(i) for n, i in self._sig["inputs"].items()}

    def get_output_details(self):
        return {n: self._interp._detail(i) for n, i in self._sig["outputs"].items()}

    def __call__(self, **kwargs):
        names = self._sig["inputs"]
        missing = [n for n in names if n not in kwargs]
        extra = [k for k in kwargs if k not in names]
        if missing or extra:
            raise ValueError(f"SignatureRunner {self._sig['key']!r} takes inputs "
                             f"{list(names)}; missing {missing}, unexpected {extra}.")
        it = self._interp
        for name, index in names.items():
            value = np.asarray(kwargs[name])
            if value.shape != it._shapes[index]:
                it.resize_tensor_input(index, value.shape, strict=True)
        if not it._allocated:
            it.allocate_tensors()
        for name, index in names.items():
            it.set_tensor(index, np.asarray(kwargs[name]))
        it.invoke()
        return {name: it.get_tensor(index) for name, index in self._sig["outputs"].items()}
