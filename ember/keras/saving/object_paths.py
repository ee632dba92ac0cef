"""Where each object's variables live in Keras 3 weight files.

Keras 3 stores the variables of every layer, model and optimizer under a path built from
the attribute that holds it: a Sequential or functional model's layers come first, as
``layers/<class name in snake case>[_<n>]`` (numbered per class in ``model.layers`` order);
then every other attribute holding a layer, optimizer or list/dict of them, in name order
(private names last), as ``<attribute>/...``; a compiled model's optimizer is
``optimizer``. An object's own variables are ``<path>/vars/0``, ``<path>/vars/1`` ... in
creation order (trainable ones first). ``walk`` yields the same paths for ember objects.
"""
from __future__ import annotations

from ember.keras.layers.layer import Layer, to_snake_case

__all__ = ["walk", "own_variables", "children"]

_SKIP = {}


def _skipset(obj):
    from ember.keras.models.model import Model
    key = "model" if isinstance(obj, Model) else "layer"
    if key not in _SKIP:
        names = set(dir(Layer))
        probe = Layer.__new__(Layer)
        Layer.__init__(probe, name="__probe__")
        names.update(vars(probe))
        if key == "model":
            from ember.keras.trainers.trainer import Trainer
            names.update(dir(Trainer))
            names.update({"_functional_layers", "_seq_layers", "_nodes", "_flat_inputs",
                          "_flat_outputs", "_inputs_struct", "_outputs_struct",
                          "_input_tensor", "_output_tensor", "_compile_loss",
                          "_compile_metrics", "_loss_tracker", "_compile_args"})
            names.discard("optimizer")
        _SKIP[key] = names
    return _SKIP[key]


def _is_saveable(obj):
    from ember.keras.optimizers.base_optimizer import Optimizer
    return isinstance(obj, (Layer, Optimizer))


def own_variables(obj):
    """The variables stored at an object's own ``vars`` group, in Keras's order."""
    from ember.keras.optimizers.base_optimizer import Optimizer
    if isinstance(obj, Optimizer):
        return list(obj.variables)
    return list(obj._trainable_weights) + list(obj._non_trainable_weights)


def _name_key(name):
    return "~" + name if name.startswith("_") else name


def _children(obj):
    from ember.keras.models.functional import Functional
    from ember.keras.models.sequential import Sequential
    if isinstance(obj, (Functional, Sequential)):    # Keras's operations are not layers
        yield "layers", [l for l in obj.layers if not getattr(l, "_is_operation", False)]
    if not isinstance(obj, Layer):
        return
    skip = _skipset(obj)
    attrs = dict(vars(obj))
    optimizer = getattr(obj, "optimizer", None)
    if optimizer is not None:
        attrs["optimizer"] = optimizer
    if not isinstance(obj, (Functional, Sequential)):
        # Keras walks dir(): a public property returning a sub-layer (MultiHeadAttention's
        # query_dense for its _query_dense) names it, since public names come first
        for name in dir(type(obj)):
            if name not in attrs and name not in skip and not name.startswith("_") and \
                    isinstance(getattr(type(obj), name, None), property):
                try:
                    attrs[name] = getattr(obj, name)
                except Exception:       # a property that needs a built layer, etc.
                    continue
    for name in sorted(attrs, key=_name_key):
        if name.startswith("__") or name in skip:
            continue
        yield name, attrs[name]


def children(obj):
    """{attribute: child} for the layers, optimizers and containers of them that ``obj``
    holds (a model's ``layers`` first)."""
    out = {}
    for name, child in _children(obj):
        if _is_saveable(child) or (isinstance(child, (list, tuple, dict)) and
                                   _holds_saveable(child)):
            out[name] = child
    return out


def _holds_saveable(items):
    values = items.values() if isinstance(items, dict) else items
    return any(_is_saveable(v) or (isinstance(v, (list, tuple, dict)) and _holds_saveable(v))
               for v in values)


def walk(root):
    """``(path, object)`` for every layer, model and optimizer under ``root`` (visited once
    each), in the order Keras 3 writes them; the root's path is ``""``."""
    visited = set()
    out = []

    def visit(obj, path):
        if id(obj) in visited:
            return
        visited.add(id(obj))
        out.append((path, obj))
        for attr, child in _children(obj):
            child_path = f"{path}/{attr}" if path else attr
            if _is_saveable(child):
                visit(child, child_path)
            elif isinstance(child, (list, tuple, dict)):
                container(child, child_path, set())

    def container(items, path, seen):
        if id(items) in seen:
            return
        seen.add(id(items))
        used = {}
        for item in (list(items.values()) if isinstance(items, dict) else items):
            if _is_saveable(item):
                visit(item, f"{path}/{_unique(to_snake_case(type(item).__name__), used)}")
            elif isinstance(item, (list, tuple, dict)):
                container(item, f"{path}/{_unique('container', used)}", seen)

    visit(root, "")
    return out


def _unique(name, used):
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name
