"""``TFLiteConverter``: an ember traced function (a Keras model's inference call, an
``ember.function``'s concrete function or an ember SavedModel signature) lowered op by op
to a TensorFlow Lite flatbuffer."""
from __future__ import annotations

import numpy as np

from ember.framework import nest
from ember.lite.lowering import LOWERINGS, Live, Lowering
from ember.lite.model_ir import LiteModel
from ember.lite.patterns import find_composites

__all__ = ["Optimize", "OpsSet", "RepresentativeDataset", "TargetSpec", "TFLiteConverter"]

_PASS_THROUGH = {"Identity", "StopGradient", "EnsureShape", "CheckNumerics", "NoOp"}


class Optimize:
    """``converter.optimizations`` values (``tf.lite.Optimize``)."""
    DEFAULT = "DEFAULT"
    OPTIMIZE_FOR_SIZE = "OPTIMIZE_FOR_SIZE"
    OPTIMIZE_FOR_LATENCY = "OPTIMIZE_FOR_LATENCY"
    EXPERIMENTAL_SPARSITY = "EXPERIMENTAL_SPARSITY"


class OpsSet:
    """``target_spec.supported_ops`` values (``tf.lite.OpsSet``)."""
    TFLITE_BUILTINS = "TFLITE_BUILTINS"
    TFLITE_BUILTINS_INT8 = "TFLITE_BUILTINS_INT8"
    SELECT_TF_OPS = "SELECT_TF_OPS"
    EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8 = \
        "EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8"


class RepresentativeDataset:
    """``tf.lite.RepresentativeDataset``: a generator of input samples for full-integer
    calibration (ember does not do full-integer quantization; ``convert()`` says so)."""

    def __init__(self, input_gen):
        self.input_gen = input_gen


class TargetSpec:
    """``converter.target_spec``: the operator sets and types the file may use."""

    def __init__(self, supported_ops=None, supported_types=None):
        self.supported_ops = set(supported_ops or {OpsSet.TFLITE_BUILTINS})
        self.supported_types = list(supported_types or [])
        self.experimental_select_user_tf_ops = []


class _Source:
    """What gets converted: a graph, its input and output tensors and their names."""

    def __init__(self, graph, inputs, outputs, input_names, output_names, key):
        self.graph, self.inputs, self.outputs = graph, list(inputs), list(outputs)
        self.input_names, self.output_names, self.key = input_names, output_names, key


def _from_concrete(concrete, key="serving_default"):
    from ember.saved_model.saving import _input_names
    out = concrete.structured_outputs
    flat = [t for t in nest.flatten(out)]
    if isinstance(out, dict):
        names = [str(k) for k in sorted(out)]
        flat = [out[k] for k in sorted(out)]
    else:
        names = [f"output_{i}" for i in range(len(flat))]
    inputs = _input_names(concrete)
    specs = list(getattr(concrete, "structured_input_signature", None) or [])
    if len(specs) == len(inputs):
        inputs = [getattr(s, "name", None) or n for s, n in zip(specs, inputs)]
    return _Source(concrete.graph, concrete.inputs, flat, inputs, names, key)


def _distinct_signatures(saved_model_dir, signatures):
    """Every signature key, ``serving_default`` first, one key per exported function
    (``model.export`` names one function both ``serving_default`` and ``serve``; TensorFlow
    converts it once)."""
    import json
    import os
    from ember.saved_model.saving import _INDEX
    with open(os.path.join(os.fspath(saved_model_dir), _INDEX)) as f:
        entries = json.load(f).get("signatures", {})
    keys, files = [], set()
    for key in sorted(signatures, key=lambda k: (k != "serving_default", k)):
        file = entries.get(key, {}).get("file", key)
        if file not in files:
            files.add(file)
            keys.append(key)
    return keys


class TFLiteConverter:
    """Converts an ember model to a TensorFlow Lite flatbuffer (``tf.lite.TFLiteConverter``).

    >>> converter = ember.lite.TFLiteConverter.from_keras_model(model)
    >>> tflite_bytes = converter.convert()
    >>> open("model.tflite", "wb").write(tflite_bytes)
    """

    def __init__(self, sources, trackable_obj=None):
        self._sources = list(sources)
        self._trackable = trackable_obj
        self.optimizations = []
        self.target_spec = TargetSpec()
        self.inference_input_type = None
        self.inference_output_type = None
        self.representative_dataset = None
        self.allow_custom_ops = False
        self.experimental_new_converter = True
        self.experimental_new_quantizer = True
        self.exclude_conversion_metadata = False

    @classmethod
    def from_keras_model(cls, model) -> "TFLiteConverter":
        """The converter of a Keras model's inference call (``model(x, training=False)``);
        the model must be built (called on data, or built from ``Input``s)."""
        try:     # as model.export: the Keras inputs' names, any batch size
            serving = model._default_serving_function(for_export=True)
        except ValueError as e:
            raise ValueError(f"TFLiteConverter.from_keras_model: {e} (then convert "
                             f"again)") from None
        concrete = serving.get_concrete_function()
        concrete._export_input_names = [getattr(s, "name", None) or f"input_{i}"
                                        for i, s in enumerate(serving._input_signature)]
        return cls([_from_concrete(concrete)], model)

    @classmethod
    def from_concrete_functions(cls, funcs, trackable_obj=None) -> "TFLiteConverter":
        """The converter of concrete functions (``f.get_concrete_function()``): one is the
        file's ``serving_default`` signature; several become one signature (and subgraph)
        each, keyed by the function's name."""
        funcs = list(funcs)
        if not funcs:
            raise ValueError("TFLiteConverter.from_concrete_functions: no functions given.")
        for f in funcs:
            if not hasattr(f, "graph") or not hasattr(f, "inputs"):
                raise ValueError(f"TFLiteConverter.from_concrete_functions expects concrete "
                                 f"functions (fn.get_concrete_function(...)); received {f!r}")
        keys = ["serving_default"] if len(funcs) == 1 else [f.name for f in funcs]
        if len(set(keys)) != len(keys):
            raise ValueError(f"TFLiteConverter.from_concrete_functions: the functions' names "
                             f"{keys} must differ (they become the signature keys).")
        return cls([_from_concrete(f, key) for f, key in zip(funcs, keys)], trackable_obj)

    @classmethod
    def from_saved_model(cls, saved_model_dir, signature_keys=None,
                         tags=None) -> "TFLiteConverter":
        """The converter of the signatures ``signature_keys`` (all of them by default) of
        an ember SavedModel directory (``ember.saved_model.save`` / ``model.export``)."""
        from ember import saved_model
        loaded = saved_model.load(saved_model_dir)
        keys = list(signature_keys) if signature_keys else _distinct_signatures(
            saved_model_dir, loaded.signatures)
        if not keys:
            raise ValueError(f"TFLiteConverter.from_saved_model: {saved_model_dir!r} has no "
                             f"signatures to convert.")
        sources = []
        for key in keys:
            if key not in loaded.signatures:
                raise ValueError(f"TFLiteConverter.from_saved_model: {saved_model_dir!r} has "
                                 f"no signature {key!r}; it has {sorted(loaded.signatures)}.")
            sig = loaded.signatures[key]
            g = sig._graph
            sources.append(_Source(g.graph, g.inputs, g.outputs, list(sig._inputs),
                                   list(sig._outputs), key))
        return cls(sources, loaded)

    def _check_settings(self):
        unknown = set(self.optimizations) - {Optimize.DEFAULT, Optimize.OPTIMIZE_FOR_SIZE,
                                             Optimize.OPTIMIZE_FOR_LATENCY}
        if unknown:
            raise NotImplementedError(f"TFLiteConverter: optimizations {sorted(unknown)} "
                                      f"are not supported by ember (only Optimize.DEFAULT: "
                                      f"dynamic-range int8 weights).")
        ops = set(self.target_spec.supported_ops)
        if OpsSet.SELECT_TF_OPS in ops and OpsSet.TFLITE_BUILTINS not in ops:
            raise NotImplementedError("TFLiteConverter: ember writes TensorFlow Lite builtin "
                                      "ops only; SELECT_TF_OPS alone is not supported.")
        if OpsSet.TFLITE_BUILTINS_INT8 in ops or self.representative_dataset is not None:
            raise NotImplementedError(
                "TFLiteConverter: full-integer quantization (representative_dataset, "
                "TFLITE_BUILTINS_INT8) is not supported by ember; use "
                "optimizations=[Optimize.DEFAULT] for int8 weights with float activations.")
        for attr in ("inference_input_type", "inference_output_type"):
            t = getattr(self, attr)
            if t is not None and getattr(t, "name", str(t)) not in ("float32",
                                                                     "<class 'numpy.float32'>"):
                raise NotImplementedError(f"TFLiteConverter: {attr}={t!r} needs full-integer "
                                          f"quantization, which ember does not do; leave it "
                                          f"float32.")

    def convert(self) -> bytes:
        """The bytes of the ``.tflite`` flatbuffer."""
        from ember.lite.flatbuffer import serialize
        from ember.lite.optimize import optimize
        self._check_settings()
        models = [lower(source) for source in self._sources]
        for model in models:
            optimize(model)
            if self.optimizations:
                from ember.lite.quantize import float16_weights, quantize_weights
                types = {getattr(t, "name", None) or np.dtype(t).name
                         for t in self.target_spec.supported_types}
                if "float16" in types:
                    float16_weights(model)
                else:
                    quantize_weights(model)
        return serialize(models)


def _needed(graph, outputs, composites=None):
    """The nodes the outputs need, in graph order; a node ending a composite needs only
    the composite's input."""
    composites = composites or {}
    needed, stack = set(), [t.op for t in outputs]
    while stack:
        op = stack.pop()
        if id(op) in needed:
            continue
        needed.add(id(op))
        inputs = [composites[id(op)][1]] if id(op) in composites else op.inputs
        stack.extend(t.op for t in inputs)
    return [op for op in graph._operations if id(op) in needed]


def _fold(node, values):
    if node.op_def.stateful:
        raise NotImplementedError(
            f"ember.lite: cannot convert op {node.op_def.name!r} (node {node.name!r}): a "
            f"stateful op (random numbers, variable updates) has no TensorFlow Lite form.")
    out = node.op_def.kernel(np, *values, **node.attrs)
    return list(out) if isinstance(out, (tuple, list)) else [out]


def lower(source) -> LiteModel:
    """The ``LiteModel`` of a ``_Source``: constants folded, every other op lowered."""
    ctx = Lowering()
    ctx.model.description = "Converted by ember.lite."
    env = {}
    for node in source.graph._operations:
        if node.op_def.name == "AssignVariable":
            raise NotImplementedError(
                f"ember.lite: cannot convert a function that updates variables (node "
                f"{node.name!r}); a TensorFlow Lite file computes its outputs from its "
                f"inputs only.")
    for k, t in enumerate(source.inputs):
        if t.shape.rank is None:
            raise ValueError(f"ember.lite: input {source.input_names[k]!r} has an unknown "
                             f"rank; TensorFlow Lite inputs need a known rank (give the "
                             f"function an input_signature with shapes).")
        env[id(t)] = Live(ctx.new(t.shape, t.dtype.np, source.input_names[k]))
    composites = find_composites(_needed(source.graph, source.outputs))
    for node in _needed(source.graph, source.outputs, composites):
        name = node.op_def.name
        if id(node) in composites:
            kind, x, options = composites[id(node)]
            if isinstance(env[id(x)], Live):
                out = ctx.op(kind, node, [env[id(x)]], **options)[0]
                env[id(node.outputs[0])] = Live(out)
            else:                       # folded with the interpreter's kernel
                from ember.lite.kernels import KERNELS
                env[id(node.outputs[0])] = KERNELS[kind]([env[id(x)]], options)[0]
            continue
        if name == "Placeholder":
            if id(node.outputs[0]) not in env:
                raise ValueError(f"ember.lite: the graph reads placeholder {node.name!r}, "
                                 f"which is not one of the function's inputs")
            continue
        if name == "Const":
            env[id(node.outputs[0])] = np.asarray(node.attrs["value"])
            continue
        if name in ("ReadVariable", "ReadVariableOp"):
            env[id(node.outputs[0])] = np.asarray(node.attrs["variable"].numpy())
            continue
        values = [env[id(t)] for t in node.inputs]
        if name in _PASS_THROUGH and values:
            env[id(node.outputs[0])] = values[0]
            continue
        if not any(isinstance(v, Live) for v in values):
            for t, v in zip(node.outputs, _fold(node, values)):
                env[id(t)] = v
            continue
        if getattr(node.op_def, "reads_shape_only", False) and \
                node.inputs[0].shape.is_fully_defined():
            for t, v in zip(node.outputs, _fold(node, [np.zeros(
                    node.inputs[0].shape.as_list(), node.inputs[0].dtype.np)])):
                env[id(t)] = v
            continue
        lowering = LOWERINGS.get(name)
        if lowering is None:
            raise NotImplementedError(
                f"ember.lite: cannot convert op {name!r} (node {node.name!r}): it has no "
                f"TensorFlow Lite lowering (ember.lite.lowering.LOWERINGS lists the "
                f"{len(LOWERINGS)} ops it converts).")
        try:
            outs = lowering(ctx, node, *values)
        except (TypeError, ValueError, IndexError, KeyError) as e:
            raise ValueError(f"ember.lite: converting op {name!r} (node {node.name!r}) "
                             f"failed: {e}") from e
        for t, index in zip(node.outputs, outs):
            env[id(t)] = Live(index)
    model = ctx.model
    model.inputs = [int(env[id(t)]) for t in source.inputs]
    outputs = []
    for t, out_name in zip(source.outputs, source.output_names):
        v = env[id(t)]
        if not isinstance(v, Live):
            raise NotImplementedError(f"ember.lite: output {out_name!r} is a constant; a "
                                      f"TensorFlow Lite output must be computed from inputs.")
        if int(v) in model.inputs or int(v) in outputs:
            copy = ctx.new(model.tensors[int(v)].shape, model.tensors[int(v)].dtype, out_name)
            model.add_op("RESHAPE", [int(v), ctx.tensor(np.asarray(
                [-1 if d < 0 else d for d in model.tensors[int(v)].shape], np.int32))],
                [copy])
            v = Live(copy)
        outputs.append(int(v))
    model.outputs = outputs
    model.signatures = [{"key": source.key,
                         "inputs": dict(zip(source.input_names, model.inputs)),
                         "outputs": dict(zip(source.output_names, model.outputs))}]
    return model
