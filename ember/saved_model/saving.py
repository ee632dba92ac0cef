"""saved_model.save and saved_model.load (the format is described in the package doc)."""
from __future__ import annotations

import inspect
import json
import os
import shutil
import tempfile
import zipfile

from ember.engine.function import ConcreteFunction, Function, TensorSpec
from ember.engine.graph_io import load_graph, save_graph
from ember.framework import nest

__all__ = ["save", "load"]

_FORMAT = "ember.saved_model/1"
_INDEX = "saved_model.json"


def _concrete(fn, what):
    if isinstance(fn, ConcreteFunction):
        return fn
    if isinstance(fn, Function) or hasattr(fn, "get_concrete_function"):
        try:
            concrete = fn.get_concrete_function()
            structure = getattr(fn, "_input_structure", None)
            if structure is not None:
                concrete._export_input_names = _argument_names(fn, structure)
            return concrete
        except TypeError as e:
            raise ValueError(f"saved_model.save: {what} needs an input_signature (or pass "
                             f"a concrete function) to be exported: {e}") from None
    raise ValueError(f"saved_model.save: {what} must be an ember.function with an "
                     f"input_signature or a concrete function; received {fn!r}")


def _argument_names(fn, structure):
    """Each flat input's name as TensorFlow gives it: its TensorSpec's name, else its
    Python argument's (``x``; ``x``, ``x_1``, ... for the parts of a nested argument)."""
    try:
        params = list(inspect.signature(fn._python_function).parameters.values())
    except (TypeError, ValueError, AttributeError):
        params = []
    names = []
    for i, arg in enumerate(structure if isinstance(structure, (list, tuple))
                            else [structure]):
        param = params[i] if i < len(params) else None
        base = param.name if param is not None and param.kind in (
            param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD) else None
        for j, spec in enumerate(nest.flatten(arg)):
            given = getattr(spec, "name", None)
            names.append(given or (None if base is None else
                                   base if j == 0 else f"{base}_{j}"))
    return names


def _exported_functions(obj, signatures):
    """({signature name: concrete}, {attribute name: concrete})."""
    if signatures is None:
        serving = getattr(obj, "_default_serving_function", None)
        signatures = serving() if callable(serving) else {}
    if not isinstance(signatures, dict):
        signatures = {"serving_default": signatures}
    sigs = {name: _concrete(fn, f"signature {name!r}") for name, fn in signatures.items()}
    attrs = {}
    for name in sorted(dir(type(obj))):
        if name.startswith("__"):
            continue
        member = getattr(type(obj), name, None)
        if isinstance(member, Function) and member._input_signature is not None:
            attrs[name] = _concrete(getattr(obj, name), f"function {name!r}")
    return sigs, attrs


def _input_names(concrete):
    given = getattr(concrete, "_export_input_names", None) or []
    names = []
    for i, ph in enumerate(concrete.inputs):
        name = (given[i] if i < len(given) else None) or ph.name.split(":")[0]
        names.append(name if name not in names else f"{name}_{i}")
    return names


def _output_names(concrete):
    out = concrete.structured_outputs
    if isinstance(out, dict):
        return [str(k) for k in sorted(out)]
    return [f"output_{i}" for i in range(len(nest.flatten(out)))]


def _describe(concrete, filename):
    return {"file": filename,
            "inputs": [{"name": n, "shape": ph.shape.as_list() if ph.shape.rank is not None
                        else None, "dtype": ph.dtype.name}
                       for n, ph in zip(_input_names(concrete), concrete.inputs)],
            "outputs": _output_names(concrete)}


def save(obj, export_dir, signatures=None, options=None):
    """Exports ``obj``'s functions to the directory ``export_dir`` (replaced as a whole once
    everything is written).

    >>> ember.saved_model.save(model, "/tmp/exported")
    >>> ember.saved_model.load("/tmp/exported").signatures["serving_default"](x=batch)
    """
    export_dir = os.fspath(export_dir)
    sigs, attrs = _exported_functions(obj, signatures)
    if not sigs and not attrs:
        raise ValueError(f"saved_model.save: {type(obj).__name__} has nothing to export: "
                         f"pass `signatures=` (an ember.function with an input_signature) or "
                         f"give it ember.function attributes with input_signatures.")
    names, used = {}, set()
    for concrete in list(sigs.values()) + list(attrs.values()):
        for v in concrete.variables:
            if id(v) not in names:
                base = v.name[:-2] if v.name.endswith(":0") else v.name
                name, k = base, 1
                while name in used:
                    name, k = f"{base}_{k}", k + 1
                used.add(name)
                names[id(v)] = name
    parent = os.path.dirname(os.path.abspath(export_dir))
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix="." + os.path.basename(export_dir) + ".", dir=parent)
    try:
        os.makedirs(os.path.join(staging, "functions"))
        index = {"format": _FORMAT, "signatures": {}, "functions": {}}
        written = {}            # id(concrete) -> its file: a function exported twice shares it
        for kind, table in (("signatures", sigs), ("functions", attrs)):
            for name, concrete in table.items():
                filename = written.get(id(concrete))
                if filename is None:
                    filename = f"functions/{kind}_{name}.embergraph"
                    save_graph(os.path.join(staging, filename), concrete,
                               variable_names=names)
                    written[id(concrete)] = filename
                index[kind][name] = _describe(concrete, filename)
        with open(os.path.join(staging, _INDEX), "w") as f:
            json.dump(index, f, indent=1)
        _replace_dir(staging, export_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _replace_dir(new, target):
    old = None
    if os.path.exists(target):
        old = target + ".old-" + os.path.basename(new)
        os.replace(target, old)
    os.replace(new, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


class _Signature:
    """A loaded signature: keyword arguments named as the inputs, a dict of outputs.
    ``structured_input_signature`` is ``((), {input name: TensorSpec})`` and
    ``structured_outputs`` is ``{output name: TensorSpec}``, as for TensorFlow's loaded
    signatures."""

    def __init__(self, graph, entry):
        self._graph = graph
        self._inputs = [i["name"] for i in entry["inputs"]]
        self._outputs = entry["outputs"]
        self.structured_input_signature = ((), {
            name: TensorSpec(ph.shape, ph.dtype, name=name)
            for name, ph in zip(self._inputs, graph.inputs)})
        self.structured_outputs = {
            name: TensorSpec(t.shape, t.dtype, name=name)
            for name, t in self._named_outputs(graph.structured_outputs).items()}

    @property
    def inputs(self):
        return list(self._graph.inputs)

    def compile(self) -> None:
        """Compiles the signature's plan now (otherwise its first call does)."""
        self._graph._compiled()

    def _named_outputs(self, out):
        if isinstance(out, dict):
            return {str(k): out[k] for k in sorted(out, key=str)}
        return dict(zip(self._outputs, nest.flatten(out)))

    def __call__(self, *args, **kwargs):
        if args and kwargs:
            raise TypeError("A signature takes its inputs either all by keyword or all by "
                            "position.")
        if kwargs:
            missing = [n for n in self._inputs if n not in kwargs]
            extra = [k for k in kwargs if k not in self._inputs]
            if missing or extra:
                raise TypeError(f"This signature takes the inputs {self._inputs}; missing "
                                f"{missing}, unexpected {extra}.")
            args = [kwargs[n] for n in self._inputs]
        return self._named_outputs(self._graph(*args))


class _Function:
    """A loaded function attribute, called with its original arguments."""

    def __init__(self, graph):
        self._graph = graph

    def __call__(self, *args):
        if len(args) == len(self._graph.inputs):     # one argument per input (a Python
            return self._graph(*args)                 # list is one input's value)
        return self._graph(*nest.flatten(args))


class LoadedSavedModel:
    """What ``saved_model.load`` returns: ``signatures``, the exported functions as
    attributes, ``variables`` / ``trainable_variables``; calling it runs the
    ``serving_default`` signature with positional inputs."""

    def __init__(self, signatures, functions, variables):
        self.signatures = signatures
        self._functions = functions
        self.variables = list(variables)
        self.trainable_variables = [v for v in self.variables if v.trainable]
        for name, fn in functions.items():
            setattr(self, name, fn)
        if "serving_default" in signatures and "serve" not in functions:
            self.serve = _Function(signatures["serving_default"]._graph)

    def __call__(self, *args):
        if "serving_default" not in self.signatures:
            raise TypeError("This SavedModel has no serving_default signature to call.")
        return self.serve(*args)


def load(export_dir, tags=None, options=None):
    """Loads a directory written by ``save``; needs none of the Python code that built it."""
    export_dir = os.fspath(export_dir)
    index_path = os.path.join(export_dir, _INDEX)
    if not os.path.isdir(export_dir):
        raise FileNotFoundError(f"SavedModel directory not found: {export_dir!r}")
    if not os.path.exists(index_path):
        raise ValueError(f"{export_dir!r} is not an ember SavedModel directory (no {_INDEX}; "
                         f"TensorFlow's saved_model.pb format is not read by ember).")
    try:
        with open(index_path) as f:
            index = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f"Cannot read {index_path!r}: {e}") from None
    if index.get("format") != _FORMAT:
        raise ValueError(f"{index_path!r} has format {index.get('format')!r}; this ember "
                         f"reads {_FORMAT!r}.")
    variables = {}

    graphs = {}

    def read(entry):
        path = os.path.join(export_dir, entry["file"])
        if path in graphs:
            return graphs[path]
        try:
            graph = load_graph(path, variables=variables)
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as e:
            raise ValueError(f"Cannot load the function file {path!r}: {e}") from None
        variables.update(graph.variables)
        graphs[path] = graph
        return graph

    signatures = {name: _Signature(read(e), e) for name, e in index["signatures"].items()}
    functions = {name: _Function(read(e)) for name, e in index["functions"].items()}
    return LoadedSavedModel(signatures, functions, variables.values())
