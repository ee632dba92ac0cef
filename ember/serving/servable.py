"""One loaded version of a served model: its SavedModel's signatures, run for the REST
API's predict, classify and regress requests, and described for its metadata request.

A servable is shared by every request thread: a loaded signature runs its compiled plan,
whose buffers belong to each call (nothing a call writes is shared with another), and the
plan is compiled once, under a lock, by the first call.
"""
from __future__ import annotations

import threading

import numpy as np

from ember.serving import json_tensors as jt
from ember.serving.batching import Batcher
from ember.serving.errors import from_exception, invalid_argument

__all__ = ["Servable", "DEFAULT_SIGNATURE", "PREDICT_METHOD"]

DEFAULT_SIGNATURE = "serving_default"
PREDICT_METHOD = "tensorflow/serving/predict"
CLASSIFY_INPUTS = "inputs"
REGRESS_OUTPUTS = "outputs"


def _shape_proto(shape) -> dict:
    if shape.rank is None:
        return {"dim": [], "unknown_rank": True}
    return {"dim": [{"size": str(-1 if d is None else d), "name": ""}
                    for d in shape.as_list()], "unknown_rank": False}


def _shape_text(dims) -> str:
    """``[?,3]``: a shape's dims (None for an unknown rank) as TensorFlow prints them."""
    if dims is None:
        return "<unknown rank>"
    return "[" + ",".join("?" if d is None else str(d) for d in dims) + "]"


class Servable:
    """Version ``version`` of model ``name``, loaded from the SavedModel at ``path``."""

    def __init__(self, name: str, version: int, path: str, batching=None):
        from ember import saved_model
        self.name = name
        self.version = version
        self.path = path
        self.batching = batching          # BatchingParameters: batch concurrent requests
        self._batchers = {}
        self._batchers_lock = threading.Lock()
        self.model = saved_model.load(path)
        self.signatures = dict(self.model.signatures)
        for sig in self.signatures.values():     # AVAILABLE means ready: compiled now,
            sig.compile()                         # not by the first request

    # ------------------------------------------------------------------ signatures ---
    def _inputs(self, sig) -> dict:
        return dict(sig.structured_input_signature[1])

    def _signature_name(self, doc) -> str:
        name = doc.get("signature_name", "")
        if not isinstance(name, str):
            raise invalid_argument("JSON Value: not formatted correctly. 'signature_name' key "
                                   "must be a string value.")
        return name or DEFAULT_SIGNATURE

    def _run(self, sig_name, sig, arrays) -> dict:
        specs = self._inputs(sig)
        for name, arr in arrays.items():
            spec = specs[name]
            if not spec.shape.is_compatible_with(arr.shape):
                want = spec.shape.as_list() if spec.shape.rank is not None else None
                raise invalid_argument(
                    f"Input '{name}' of signature '{sig_name}' expects a {spec.dtype.name} "
                    f"tensor of shape {_shape_text(want)}, but the request gives shape "
                    f"{_shape_text(arr.shape)}.")
        if self.batching is None:
            return _call(sig, arrays)
        with self._batchers_lock:
            batcher = self._batchers.get(sig_name)
            if batcher is None:
                batcher = self._batchers[sig_name] = Batcher(
                    lambda a, sig=sig: _call(sig, a), self.batching)
        return batcher.submit(arrays)

    # -------------------------------------------------------------------- requests ---
    def predict(self, doc: dict) -> str:
        """The response body of a ``:predict`` request (``doc``: its parsed body)."""
        sig_name = self._signature_name(doc)
        sig = self.signatures.get(sig_name)
        if sig is None:
            raise invalid_argument(f'Serving signature name: "{sig_name}" not found in '
                                   f'signature def')
        fmt, arrays = jt.tensors_from_predict_request(doc, self._inputs(sig))
        return jt.predict_response(self._run(sig_name, sig, arrays), fmt)

    def _example_signature(self, doc, method):
        sig_name = self._signature_name(doc)
        sig = self.signatures.get(sig_name)
        if sig is None:
            raise invalid_argument(f"No signature was found with the name: {sig_name}")
        inputs, outputs = self._inputs(sig), sig.structured_outputs
        if len(inputs) != 1:
            raise invalid_argument("Expected one input Tensor.")
        if CLASSIFY_INPUTS not in inputs:
            kind = "classification" if method == "classify" else "regression"
            raise invalid_argument(f"No {kind} inputs found in SignatureDef: "
                                   f"{self._describe(sig_name, sig)}")
        if method == "classify":
            if len(outputs) not in (1, 2):
                raise invalid_argument(f"Expected one or two output Tensors, found "
                                       f"{len(outputs)}")
            if "classes" not in outputs and "scores" not in outputs:
                raise invalid_argument(
                    f'Expected classification signature outputs to contain at least one of '
                    f'"classes" or "scores". Signature was: {self._describe(sig_name, sig)}')
        else:
            if len(outputs) != 1:
                raise invalid_argument("Expected one output Tensor.")
            if REGRESS_OUTPUTS not in outputs:
                raise invalid_argument(f"No regression outputs found in SignatureDef: "
                                       f"{self._describe(sig_name, sig)}")
        if inputs[CLASSIFY_INPUTS].dtype.name != "string":
            raise invalid_argument(f"The {method} signature '{sig_name}' must take serialized "
                                   f"tf.Example strings as 'inputs'; it takes "
                                   f"{inputs[CLASSIFY_INPUTS].dtype.name}.")
        return sig_name, sig

    def classify(self, doc: dict) -> str:
        """The response body of a ``:classify`` request: the examples, serialized as
        tf.train.Example, go to the signature's ``inputs``; its ``classes`` and/or
        ``scores`` come back as [label, score] pairs."""
        sig_name, sig = self._example_signature(doc, "classify")
        examples = jt.examples_from_request(doc, "classify")
        out = self._run(sig_name, sig, {CLASSIFY_INPUTS: _strings(examples)})
        return jt.classify_response(out.get("classes"), out.get("scores"), len(examples))

    def regress(self, doc: dict) -> str:
        """The response body of a ``:regress`` request (the signature's ``outputs``, one
        value per example)."""
        sig_name, sig = self._example_signature(doc, "regress")
        examples = jt.examples_from_request(doc, "regress")
        out = self._run(sig_name, sig, {CLASSIFY_INPUTS: _strings(examples)})
        return jt.regress_response(out[REGRESS_OUTPUTS], len(examples))

    # -------------------------------------------------------------------- metadata ---
    def _signature_def(self, sig_name, sig) -> dict:
        def info(prefix, spec, i):
            return {"dtype": jt.tf_enum_name(spec.dtype), "tensor_shape":
                    _shape_proto(spec.shape), "name": prefix(i)}
        inputs = self._inputs(sig)
        return {
            "inputs": {n: info(lambda _: f"{sig_name}_{n}:0", s, 0)
                       for n, s in inputs.items()},
            "outputs": {n: info(lambda i: f"StatefulPartitionedCall:{i}", s, i)
                        for i, (n, s) in enumerate(sig.structured_outputs.items())},
            "method_name": PREDICT_METHOD}

    def _describe(self, sig_name, sig) -> str:
        d = self._signature_def(sig_name, sig)
        ins = ", ".join(f"{n}: {v['dtype']}" for n, v in d["inputs"].items())
        outs = ", ".join(f"{n}: {v['dtype']}" for n, v in d["outputs"].items())
        return f"{sig_name}(inputs {{{ins}}}, outputs {{{outs}}})"

    def metadata(self) -> dict:
        """The model's ``GetModelMetadataResponse`` as TensorFlow Serving writes it."""
        return {"model_spec": {"name": self.name, "signature_name": "",
                               "version": str(self.version)},
                "metadata": {"signature_def": {"signature_def": {
                    name: self._signature_def(name, sig)
                    for name, sig in sorted(self.signatures.items())}}}}


def _call(sig, arrays) -> dict:
    """The signature's outputs as arrays; a failure as the ServingError to reply with."""
    try:
        outputs = sig(**arrays)
    except Exception as e:              # noqa: BLE001 - every failure becomes a reply
        raise from_exception(e) from None
    return {k: np.asarray(v.numpy() if hasattr(v, "numpy") else v) for k, v in outputs.items()}


def _strings(values) -> np.ndarray:
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    return arr

