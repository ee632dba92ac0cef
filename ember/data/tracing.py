"""User functions of map, filter, flat_map, interleave, scan, ...: traced once with
``ember.function`` on the input's element spec, as tf.data does, so the output's
element_spec comes from the trace.

A function that cannot be traced but is plain Python over eager tensors (it calls
``.numpy()``, branches on a tensor's value, calls NumPy or another library) still works:
when tracing raises, the function runs eagerly on every element instead, and the output
spec is taken from its first result (so its dimensions are those of that first element).
A function that returns datasets (flat_map, interleave, window reducers) always runs
eagerly, since a dataset is not a tensor.
"""
from __future__ import annotations

import threading

import numpy as np

import ember
from ember.data import structure
from ember.framework.tensor import EagerTensor, Tensor, convert_to_tensor

__all__ = ["StructuredFunction"]


def _unpack_call(func, element, extra=()):
    """tf.data's calling convention: a plain tuple element is spread over the arguments
    (``scan``/``reduce`` get ``(state, element)`` with the element whole)."""
    if extra:
        return func(*extra, element)
    if type(element) is tuple:
        return func(*extra, *element)
    return func(*extra, element)


def _normalize_output(value):
    """Outputs: lists become tuples (tf.data does the same); leaves become tensors."""
    if isinstance(value, list):
        value = tuple(value)
    if isinstance(value, dict):
        return type(value)((k, _normalize_output(v)) for k, v in value.items()) \
            if type(value) is not dict else {k: _normalize_output(v) for k, v in value.items()}
    if isinstance(value, tuple):
        items = [_normalize_output(v) for v in value]
        return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
    if isinstance(value, Tensor) or getattr(value, "_is_ember_variable", False) or \
            getattr(value, "_is_ragged", False) or structure._composite(value):
        return value
    from ember.data.dataset import Dataset
    if isinstance(value, Dataset):
        return value
    if isinstance(value, (str, bytes)) or (isinstance(value, np.ndarray) and
                                           value.dtype.kind in "USO"):
        return EagerTensor(structure.leaf_to_numpy(value))
    return convert_to_tensor(value)


class StructuredFunction:
    """``func`` applied to elements (structures of arrays) -> structures of arrays.

    ``mode="trace"`` tries ``ember.function`` first; ``mode="eager"`` never traces
    (functions returning datasets)."""

    def __init__(self, func, input_spec, name, extra_specs=(), mode="trace",
                 probe=None):
        if not callable(func):
            raise TypeError(f"{name}: expected a callable, got {type(func).__name__}.")
        self._func = func
        self._input_spec = input_spec
        self._extra_specs = tuple(extra_specs)
        self.name = name
        self._probe = probe
        self._lock = threading.Lock()
        self._output_spec = None
        self._concrete = None
        self._direct = False
        self._out_structure = None
        self.traced = False
        if mode == "trace":
            self._try_trace()

    def _try_trace(self):
        leaves = structure.flatten(self._input_spec)
        extra_leaves = [structure.flatten(s) for s in self._extra_specs]
        extra_counts = [len(e) for e in extra_leaves]
        flat_specs = [s for e in extra_leaves for s in e] + leaves
        if not all(isinstance(s, ember.TensorSpec) for s in flat_specs):
            return                      # datasets as arguments (window): run eagerly
        out_holder = {}
        func, input_spec, extra_specs = self._func, self._input_spec, self._extra_specs

        def flat_fn(*flat):
            pos, extras = 0, []
            for spec, n in zip(extra_specs, extra_counts):
                extras.append(structure.pack(spec, flat[pos:pos + n]))
                pos += n
            element = structure.pack(input_spec, flat[pos:])
            out = _normalize_output(_unpack_call(func, element, extras))
            out_holder["structure"] = out
            return tuple(structure.flatten(out))
        specs = [ember.TensorSpec(s.shape, s.dtype) for s in flat_specs]
        try:
            traced = ember.function(flat_fn, input_signature=specs)
            concrete = traced.get_concrete_function()
        except Exception:       # not traceable: run eagerly (see the module docstring)
            return
        out = out_holder.get("structure")
        from ember.data.dataset import Dataset
        if any(isinstance(v, Dataset) for v in structure.flatten(out)):
            return
        self._concrete = concrete
        self._out_structure = out
        # every output a graph tensor: run the compiled plan on the arrays directly
        self._direct = len(concrete.outputs) == len(structure.flatten(out))
        if self._direct:
            concrete._compiled()     # compile here, not in a pipeline worker thread
        self._output_spec = structure.map_structure(
            lambda t: ember.TensorSpec(t.shape, t.dtype), out)
        self.traced = True

    @property
    def output_spec(self):
        if self._output_spec is None:
            if self._probe is None:
                raise ValueError(f"{self.name}: the output structure is not known before the "
                                 f"function has run.")
            first = self._probe()
            if first is not None:
                self._output_spec = structure.spec_of(self(first))
        return self._output_spec

    def __call__(self, element, *extras):
        """Runs on one element (a structure of arrays); returns a structure of arrays (or
        whatever non-tensor values, such as datasets, the function returned)."""
        if self._concrete is not None and self._direct:
            arrays = [a for e in extras for a in structure.flatten(e)] + \
                structure.flatten(element)
            outs = self._concrete._compiled().run(arrays)
            return structure.pack(self._out_structure,
                                  [o if type(o) is np.ndarray else np.asarray(o)
                                   for o in outs])
        if self._concrete is not None:
            flat = [EagerTensor(a) for e in extras for a in structure.flatten(e)] + \
                [EagerTensor(a) for a in structure.flatten(element)]
            outs = self._concrete(*flat)
            if not isinstance(outs, (tuple, list)):
                outs = (outs,)
            return structure.pack(self._out_structure, [o._value if type(o) is EagerTensor
                                                        else np.asarray(o) for o in outs])
        args = [structure.to_tensors(e) for e in extras]
        out = _normalize_output(_unpack_call(self._func, structure.to_tensors(element), args))
        return structure.map_structure(_leaf_value, out)


def _leaf_value(v):
    from ember.data.dataset import Dataset
    if isinstance(v, Dataset) or getattr(v, "_is_ragged", False):
        return v
    return structure.leaf_to_numpy(v)

