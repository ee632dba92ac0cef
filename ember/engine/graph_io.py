"""Graph files: a traced graph written to a portable file and run again in a fresh process.

The file is a zip archive (no pickle anywhere):

- ``graph.json``: format version, the nodes (op type, name, inputs as ``"node:index"``,
  control inputs, attributes, output shapes and dtypes), the input and output tensor
  names, and the variables the graph reads or updates, by name;
- ``arrays/<key>.npy``: every array — constants, array attributes, variable values.

Attributes are JSON values with tags for what JSON lacks: ``{"tuple": [...]}``,
``{"dtype": "float32"}``, ``{"shape": [None, 3]}``, ``{"array": key}``,
``{"variable": name}``, ``{"subgraph": {...}}`` (branch and loop bodies).

    save_graph("f.embergraph", concrete_function)
    fn = load_graph("f.embergraph")     # in any process that imports ember
    fn(x)                               # runs the compiled plan
"""
from __future__ import annotations

import io
import json
import threading
import zipfile

import numpy as np

from ember.framework import dtypes
from ember.framework.errors import InvalidArgumentError, NotFoundError
from ember.engine.graph import FuncGraph, Graph, Operation, SymbolicTensor
from ember.framework.op import get_op
from ember.framework.tensor import EagerTensor
from ember.framework.tensor_shape import TensorShape

__all__ = ["save_graph", "load_graph", "LoadedGraph", "FORMAT_VERSION"]

FORMAT_VERSION = 1


class _Writer:
    def __init__(self, variable_names=None):
        self.arrays = {}
        self.variables = {}
        self.variable_names = variable_names

    def array(self, arr):
        key = f"a{len(self.arrays)}"
        arr = np.asarray(arr)
        if arr.dtype == object:     # strings: their lengths and their bytes end to end
            flat = arr.reshape(-1)
            self.arrays[key + ".strlen"] = np.array([len(b) for b in flat],
                                                    dtype=np.int64).reshape(arr.shape)
            self.arrays[key + ".strdata"] = np.frombuffer(b"".join(flat), dtype=np.uint8)
            return key
        self.arrays[key] = arr
        return key

    def variable(self, v):
        name = v.name
        if self.variable_names is not None:
            if id(v) not in self.variable_names:
                raise ValueError(f"variable {v.name} read by the graph has no name in "
                                 f"`variable_names`")
            name = self.variable_names[id(v)]
        entry = self.variables.get(name)
        if entry is None:
            self.variables[name] = {"ref": v, "shape": v.shape.as_list(),
                                    "dtype": v.dtype.name, "trainable": v.trainable}
        elif entry["ref"] is not v:
            raise ValueError(f"two different variables are named {name!r}; give them unique "
                             f"names before saving")
        return name

    def attr(self, value):
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, (np.integer, np.floating, np.bool_)):
            return value.item()
        if isinstance(value, dtypes.DType):
            return {"dtype": value.name}
        if isinstance(value, TensorShape):
            return {"shape": value.dims}
        if isinstance(value, tuple):
            return {"tuple": [self.attr(v) for v in value]}
        if isinstance(value, list):
            return [self.attr(v) for v in value]
        if isinstance(value, dict):
            return {"dict": {k: self.attr(v) for k, v in value.items()}}
        if isinstance(value, np.ndarray):
            return {"array": self.array(value)}
        if getattr(value, "_is_ember_variable", False):
            return {"variable": self.variable(value)}
        from ember.engine.subgraph import SubFunction
        if isinstance(value, SubFunction):
            return {"subgraph": self.subgraph(value)}
        raise TypeError(f"cannot write attribute {value!r} ({type(value).__name__}) to a graph "
                        f"file")

    def graph(self, graph, inputs, outputs):
        nodes = []
        for op in graph._operations:
            nodes.append({
                "name": op.name, "op": op.op_def.name,
                "inputs": [t.name for t in op.inputs],
                "control_inputs": [c.name for c in op.control_inputs],
                "attrs": {k: self.attr(v) for k, v in op.attrs.items()},
                "outputs": [{"shape": t.shape.dims, "dtype": t.dtype.name}
                            for t in op.outputs],
            })
        return {"nodes": nodes, "inputs": [t.name for t in inputs],
                "outputs": [t.name for t in outputs]}

    def subgraph(self, sub):
        doc = self.graph(sub.graph, sub.inputs + sub.capture_placeholders, sub.outputs)
        doc["n_inputs"] = len(sub.inputs)
        doc["name"] = sub.name
        doc["stateful"] = sub.stateful
        return doc


def save_graph(path, function, inputs=None, outputs=None, variable_names=None):
    """Writes a ConcreteFunction (or a Graph with ``inputs``/``outputs`` tensors) to ``path``,
    with the current values of the variables it uses. ``variable_names`` (``id(variable)``
    -> name) names the variables in the file instead of their own names (which must then be
    unique), so several files can share variables by name (``load_graph(variables=...)``)."""
    if isinstance(function, Graph):
        graph = function
        structured = None
    else:
        graph = function.graph
        inputs = function.inputs if inputs is None else inputs
        outputs = function.outputs if outputs is None else outputs
        structured = _structure_doc(function.structured_outputs)
    w = _Writer(variable_names)
    doc = w.graph(graph, list(inputs or []), list(outputs or []))
    doc["format_version"] = FORMAT_VERSION
    doc["structure"] = structured
    doc["variables"] = []
    for name, entry in w.variables.items():
        v = entry["ref"]
        arr = v._array
        doc["variables"].append({"name": name, "shape": entry["shape"],
                                 "dtype": entry["dtype"], "trainable": entry["trainable"],
                                 "value": None if arr is None else w.array(arr)})
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr("graph.json", json.dumps(doc))
        for key, arr in w.arrays.items():
            buf = io.BytesIO()
            np.save(buf, arr, allow_pickle=False)
            z.writestr(f"arrays/{key}.npy", buf.getvalue())
    return path


def _strings_from(lengths, data):
    """A string array back from its lengths and concatenated bytes."""
    raw = data.tobytes()
    ends = np.cumsum(lengths.reshape(-1))
    out = np.empty(lengths.size, dtype=object)
    start = 0
    for i, end in enumerate(ends.tolist()):
        out[i] = raw[start:end]
        start = end
    return out.reshape(lengths.shape)


def _structure_doc(structure):
    """The output structure with tensors replaced by their flat positions."""
    counter = [0]

    def walk(x):
        if isinstance(x, (list, tuple)):
            return {"tuple" if isinstance(x, tuple) else "list": [walk(v) for v in x]}
        if isinstance(x, dict):
            # positions follow nest.flatten's order (sorted keys); the dict keeps its own
            walked = {k: walk(x[k]) for k in sorted(x)}
            return {"dict": {k: walked[k] for k in x}}
        if isinstance(x, SymbolicTensor):
            i = counter[0]
            counter[0] += 1
            return {"output": i}
        if x is None or isinstance(x, (bool, int, float, str)):
            return {"value": x}
        raise TypeError(f"cannot write output {x!r} to a graph file")
    return walk(structure)


# ------------------------------------------------------------------------------ load ---

class _Reader:
    def __init__(self, arrays, variables):
        self.arrays = arrays
        self.variables = variables

    def attr(self, doc):
        if isinstance(doc, list):
            return [self.attr(v) for v in doc]
        if not isinstance(doc, dict):
            return doc
        if "tuple" in doc:
            return tuple(self.attr(v) for v in doc["tuple"])
        if "dtype" in doc:
            return dtypes.as_dtype(doc["dtype"])
        if "shape" in doc:
            return TensorShape(doc["shape"])
        if "array" in doc:
            return self.arrays[doc["array"]]
        if "variable" in doc:
            return self.variables[doc["variable"]]
        if "dict" in doc:
            return {k: self.attr(v) for k, v in doc["dict"].items()}
        if "subgraph" in doc:
            return _LoadedSubFunction(self, doc["subgraph"])
        raise ValueError(f"unknown attribute encoding {doc!r} in graph file")

    def graph(self, doc, graph):
        tensors = {}
        for nd in doc["nodes"]:
            try:
                op_def = get_op(nd["op"])
            except LookupError:
                raise NotFoundError(f"graph file uses op {nd['op']!r}, which this version of "
                                    f"ember does not define") from None
            ins = [tensors[name] for name in nd["inputs"]]
            node = Operation(graph, op_def, nd["name"], ins,
                             {k: self.attr(v) for k, v in nd["attrs"].items()})
            node.control_inputs = [graph.get_operation_by_name(c) for c in nd["control_inputs"]]
            node.outputs = [SymbolicTensor(node, i, TensorShape(o["shape"]),
                                           dtypes.as_dtype(o["dtype"]))
                            for i, o in enumerate(nd["outputs"])]
            if op_def.name == "Const":
                node.outputs[0]._constant_value = node.attrs["value"]
            graph._operations.append(node)
            graph._names[node.name.lower()] = 1
            for t in node.outputs:
                tensors[t.name] = t
        return ([tensors[n] for n in doc["inputs"]], [tensors[n] for n in doc["outputs"]])


class _LoadedSubFunction:
    """A branch or loop body read from a file: runs like SubFunction (no gradients)."""

    def __init__(self, reader, doc):
        self.name = doc["name"]
        self.graph = FuncGraph(self.name)
        ins, outs = reader.graph(doc, self.graph)
        n = doc["n_inputs"]
        self.inputs, self.capture_placeholders = ins[:n], ins[n:]
        self.outputs = outs
        self.stateful = doc["stateful"]
        self._plan = None

    def run(self, inputs, captures):
        if self._plan is None:
            from ember.engine.compiler import compile_plan
            targets = [op for op in self.graph._operations
                       if op.op_def.name == "AssignVariable"]
            self._plan = compile_plan(self.graph, self.outputs,
                                      self.inputs + self.capture_placeholders, targets)
        return self._plan.run(list(inputs) + list(captures))

    def grad_run(self, inputs, captures, upstream):
        raise InvalidArgumentError(f"{self.name}: gradients of control flow loaded from a "
                                   f"graph file are not available; the file holds the "
                                   f"forward computation only")


class LoadedGraph:
    """A graph read from a file: call it with arrays or tensors for its inputs."""

    def __init__(self, graph, inputs, outputs, variables, structure):
        self.graph = graph
        self.inputs = inputs
        self.outputs = outputs
        self.variables = variables
        self._structure = structure
        self._plan = None
        self._compile_lock = threading.Lock()

    @property
    def structured_outputs(self):
        """The outputs (symbolic tensors) in the structure the function returned."""
        if self._structure is None:
            return self.outputs[0] if len(self.outputs) == 1 else list(self.outputs)
        return _rebuild(self._structure, self.outputs)

    def _compiled(self):
        if self._plan is None:
            with self._compile_lock:     # threads calling at once compile it once
                if self._plan is None:
                    from ember.engine.compiler import compile_plan
                    stateful = [op for op in self.graph._operations if op.op_def.stateful
                                and op.op_def.name not in ("ReadVariable", "Placeholder")]
                    self._plan = compile_plan(self.graph, self.outputs, self.inputs,
                                              stateful)
        return self._plan

    def __call__(self, *args):
        if len(args) != len(self.inputs):
            raise TypeError(f"this graph takes {len(self.inputs)} inputs, got {len(args)}")
        arrays = []
        for ph, a in zip(self.inputs, args):
            arr = np.asarray(a._value if isinstance(a, EagerTensor) else a)
            if arr.dtype != ph.dtype.np:
                arr = arr.astype(ph.dtype.np)
            if not ph.shape.is_compatible_with(arr.shape):
                raise ValueError(f"input {ph.name} expects shape {ph.shape}, got {arr.shape}")
            arrays.append(arr)
        outs = [EagerTensor(a) for a in self._compiled().run(arrays)]
        if self._structure is None:
            return outs[0] if len(outs) == 1 else outs
        return _rebuild(self._structure, outs)


def _rebuild(doc, outs):
    if "list" in doc:
        return [_rebuild(d, outs) for d in doc["list"]]
    if "tuple" in doc:
        return tuple(_rebuild(d, outs) for d in doc["tuple"])
    if "dict" in doc:
        return {k: _rebuild(d, outs) for k, d in doc["dict"].items()}
    if "output" in doc:
        return outs[doc["output"]]
    return doc["value"]


def load_graph(path, variables=None):
    """Reads a graph file. ``variables`` (name -> Variable) binds the graph to existing
    variables; otherwise new variables are made from the stored values."""
    from ember.framework.variables import Variable
    with zipfile.ZipFile(path) as z:
        doc = json.loads(z.read("graph.json"))
        if doc.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"{path}: graph file format {doc.get('format_version')} is not "
                             f"supported (this ember reads format {FORMAT_VERSION})")
        arrays = {}
        for name in z.namelist():
            if name.startswith("arrays/"):
                arrays[name[7:-4]] = np.load(io.BytesIO(z.read(name)), allow_pickle=False)
    for key in [k[:-7] for k in arrays if k.endswith(".strlen")]:
        arrays[key] = _strings_from(arrays.pop(key + ".strlen"), arrays.pop(key + ".strdata"))
    bound = dict(variables or {})
    made = {}
    for vd in doc["variables"]:
        name = vd["name"]
        if name in bound:
            made[name] = bound[name]
            continue
        value = arrays[vd["value"]] if vd["value"] is not None else \
            np.zeros(vd["shape"], dtypes.as_dtype(vd["dtype"]).np)
        made[name] = Variable(value, trainable=vd["trainable"], name=name[:-2]
                              if name.endswith(":0") else name)
    graph = FuncGraph("loaded")
    reader = _Reader(arrays, made)
    inputs, outputs = reader.graph(doc, graph)
    return LoadedGraph(graph, inputs, outputs, made, doc.get("structure"))
