"""The config of a functional model, in Keras 3's format, and the model rebuilt from it.

A functional config lists the model's layers (each serialized, plus its ``name`` and the
``inbound_nodes`` that call it: the call's ``args``/``kwargs`` with every KerasTensor written
as ``{"class_name": "__keras_tensor__", "config": {"shape", "dtype", "keras_history":
[layer_name, node_index, tensor_index]}}``), and ``input_layers``/``output_layers`` as
``[layer_name, node_index, tensor_index]`` entries in the structure of the model's inputs and
outputs. Node indices count only the calls that belong to the model.
"""
from __future__ import annotations

import ember
from ember.keras.keras_tensor import KerasTensor

__all__ = ["functional_config", "functional_from_config", "keras_layer_order"]


def keras_layer_order(inputs, outputs):
    """The layers between ``inputs`` and ``outputs`` in the order Keras 3 lists them (deepest
    first, ties in the order a depth-first walk from the outputs meets them). Weight files
    number layers of a class in this order, so it must match Keras's."""
    first_seen, finished, post_order = {}, set(), []

    def walk(tensor):
        history = tensor._keras_history
        if history is None:
            return
        layer, node = history[0], history[1]
        if id(node) in finished:
            return
        if id(layer) not in first_seen:
            first_seen[id(layer)] = len(first_seen)
        for t in node.input_tensors:
            walk(t)
        finished.add(id(node))
        post_order.append(node)

    for t in outputs:
        walk(t)
    in_graph = {id(n) for n in post_order}
    node_depth, layer_depth, layers = {}, {}, {}
    for node in reversed(post_order):
        depth = max(node_depth.get(id(node), 0), layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)] = depth
        layers[id(node.layer)] = node.layer
        node_depth[id(node)] = depth
        for parent in node.parent_nodes:
            if id(parent) in in_graph:
                node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
    for t in inputs:
        layer = t._keras_history[0]
        if id(layer) not in layer_depth:       # an input nothing uses
            layer_depth[id(layer)] = 0
            first_seen[id(layer)] = -1
            layers[id(layer)] = layer
    order = sorted(layers, key=lambda k: (-layer_depth[k], first_seen[k]))
    return [layers[k] for k in order], [n for n in post_order]


def _graph_nodes(model):
    """A functional model's layers and operations (``x + 1`` nodes) in graph order."""
    return getattr(model, "operations", None) or model.layers


def _model_nodes(model):
    return {id(n) for n in model._nodes}


def _node_index_maps(model):
    """layer id -> {node id -> index among the layer's calls inside ``model``}."""
    inside = _model_nodes(model)
    maps = {}
    for layer in _graph_nodes(model):
        kept = [n for n in layer._inbound_nodes if id(n) in inside]
        maps[id(layer)] = {id(n): i for i, n in enumerate(kept)}
    return maps


def _history_entry(tensor, index_maps):
    layer, node, index = tensor._keras_history
    return [layer.name, index_maps[id(layer)][id(node)], index]


def _serialize_call_value(value, index_maps):
    from ember.keras.saving.serialization import serialize_keras_object
    if isinstance(value, KerasTensor):
        return {"class_name": "__keras_tensor__",
                "config": {"shape": list(value.shape.as_list()),
                           "dtype": value.dtype.name,
                           "keras_history": _history_entry(value, index_maps)}}
    if isinstance(value, (list, tuple)):
        return [_serialize_call_value(v, index_maps) for v in value]
    if isinstance(value, dict):
        return {k: _serialize_call_value(v, index_maps) for k, v in value.items()}
    return serialize_keras_object(value)


def _structure_entries(structure, index_maps):
    if isinstance(structure, KerasTensor):
        return _history_entry(structure, index_maps)
    if isinstance(structure, dict):
        return {k: _structure_entries(v, index_maps) for k, v in structure.items()}
    return [_structure_entries(v, index_maps) for v in structure]


def functional_config(model):
    """Keras 3's config dict of a functional model (``Functional.get_config``)."""
    from ember.keras.layers.input_layer import InputLayer
    from ember.keras.saving.serialization import serialize_keras_object
    index_maps = _node_index_maps(model)
    inside = _model_nodes(model)
    from ember.keras.layers.keras_ops import keras_op_entry
    from ember.keras.layers.op_layer import OpLayer
    layer_configs = []
    for layer in _graph_nodes(model):
        nodes = [n for n in layer._inbound_nodes if id(n) in inside] \
            if not isinstance(layer, InputLayer) else []
        if isinstance(layer, OpLayer):      # x * 2.0 and the like: as Keras's operations
            entry = keras_op_entry(layer, nodes[0], lambda v: _serialize_call_value(
                v, index_maps)) if len(nodes) == 1 else None
            if entry is None:
                layer.get_config()          # raises: which op cannot be serialized
            call = entry.pop("call")
            entry.update({"name": layer.name, "inbound_nodes": [call]})
            layer_configs.append(entry)
            continue
        entry = serialize_keras_object(layer)
        entry["name"] = layer.name
        calls = []
        for node in nodes:
            args, kwargs = layer.serialized_call(node) if hasattr(layer, "serialized_call") \
                else (list(node.args), dict(node.kwargs))
            calls.append({"args": _serialize_call_value(args, index_maps),
                          "kwargs": _serialize_call_value(kwargs, index_maps)})
        entry["inbound_nodes"] = calls
        layer_configs.append(entry)
    return {"name": model.name, "trainable": model.trainable, "layers": layer_configs,
            "input_layers": _structure_entries(model._inputs_struct, index_maps),
            "output_layers": _structure_entries(model._outputs_struct, index_maps)}


def _is_history_entry(value):
    return isinstance(value, (list, tuple)) and len(value) == 3 and \
        isinstance(value[0], str) and isinstance(value[1], int) and isinstance(value[2], int)


def functional_from_config(config, custom_objects=None, cls=None, input_tensors=None,
                           clone_function=None):
    """Rebuilds a functional model from ``functional_config`` output (or Keras 3's, or
    tf.keras 2's with ``inbound_nodes`` as ``[[name, node, tensor, kwargs], ...]``).

    ``clone_function(layer_config_entry) -> layer`` may replace how each layer is made, and
    ``input_tensors`` (KerasTensors) may stand for the model's inputs (``clone_model``)."""
    from ember.keras.layers import deserialize as deserialize_layer
    from ember.keras.models.functional import Functional
    if not isinstance(config, dict) or "layers" not in config:
        raise ValueError(f"A functional model config needs a 'layers' list; received keys "
                         f"{sorted(config) if isinstance(config, dict) else type(config)}")
    created, outputs_by_node, pending = {}, {}, []
    for entry in config["layers"]:
        name = entry.get("name") or entry.get("config", {}).get("name")
        if clone_function is not None:
            layer = clone_function(entry)
        else:
            layer = deserialize_layer(entry, custom_objects=custom_objects)
        created[name] = layer
        nodes = entry.get("inbound_nodes", [])
        if not nodes:
            outputs_by_node[(name, 0)] = _layer_input_tensor(layer, name)
        pending.extend((name, i, node) for i, node in enumerate(nodes))

    input_names = [e[0] for e in _flatten_entries(config.get("input_layers", []))]
    if input_tensors is not None:
        given = ember.nest.flatten(input_tensors)
        if len(given) != len(input_names):
            raise ValueError(f"clone_model: the model has {len(input_names)} inputs but "
                             f"{len(given)} input_tensors were given.")
        for name, tensor in zip(input_names, given):
            outputs_by_node[(name, 0)] = tensor

    next_node = {}
    while pending:
        progressed = False
        waiting = []
        for name, index, node in pending:
            if next_node.get(name, 0) != index:
                waiting.append((name, index, node))
                continue
            args, kwargs = _node_call(node)
            try:
                args, kwargs = _resolve_tensors((args, kwargs), outputs_by_node)
            except KeyError:
                waiting.append((name, index, node))
                continue
            out = created[name](*args, **kwargs)
            outputs_by_node[(name, index)] = out
            next_node[name] = index + 1
            progressed = True
        if not progressed:
            missing = sorted({n for n, _, _ in waiting})
            raise ValueError(f"Cannot rebuild the functional model {config.get('name')!r}: "
                             f"the calls of layers {missing} need tensors that no layer of "
                             f"the config produces.")
        pending = waiting

    def lookup(entry):
        name, node_index, tensor_index = entry
        if (name, node_index) not in outputs_by_node:
            raise ValueError(f"Functional config {config.get('name')!r} names the output "
                             f"of layer {name!r} call {node_index}, which does not exist.")
        return _pick(outputs_by_node[(name, node_index)], tensor_index)

    inputs = _map_entries(config.get("input_layers", []), lookup)
    outputs = _map_entries(config.get("output_layers", []), lookup)
    cls = cls or Functional
    model = Functional.__new__(cls)
    Functional.__init__(model, inputs, outputs, name=config.get("name"),
                        trainable=config.get("trainable", True))
    return model


def _layer_input_tensor(layer, name):
    from ember.keras.layers.input_layer import InputLayer
    if not isinstance(layer, InputLayer):
        raise ValueError(f"Layer {name!r} of the functional config is never called (no "
                         f"inbound_nodes) and is not an InputLayer.")
    return layer._output_tensor


def _node_call(node):
    """(args, kwargs) of one serialized call, in Keras 3's or tf.keras 2's format."""
    if isinstance(node, dict):
        return list(node.get("args", [])), dict(node.get("kwargs", {}))
    # tf.keras 2: a list of [layer_name, node_index, tensor_index, kwargs]
    tensors, kwargs = [], {}
    for item in node:
        tensors.append({"class_name": "__keras_tensor__",
                        "config": {"keras_history": list(item[:3])}})
        if len(item) > 3 and item[3]:
            kwargs.update(item[3])
    return [tensors[0] if len(tensors) == 1 else tensors], kwargs


def _resolve_tensors(value, outputs_by_node):
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            name, node_index, tensor_index = value["config"]["keras_history"]
            return _pick(outputs_by_node[(name, node_index)], tensor_index)
        if str(value.get("class_name", "")).startswith("__"):     # slices, arrays ...
            from ember.keras.saving.serialization import deserialize_keras_object
            return deserialize_keras_object(value)
        return {k: _resolve_tensors(v, outputs_by_node) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve_tensors(v, outputs_by_node) for v in value]
    if isinstance(value, tuple):
        return tuple(_resolve_tensors(v, outputs_by_node) for v in value)
    return value


def _pick(output, tensor_index):
    flat = ember.nest.flatten(output)
    return flat[tensor_index]


def _flatten_entries(structure):
    if _is_history_entry(structure):
        return [structure]
    if isinstance(structure, dict):
        return [e for v in structure.values() for e in _flatten_entries(v)]
    return [e for v in structure for e in _flatten_entries(v)]


def _map_entries(structure, fn):
    if _is_history_entry(structure):
        return fn(structure)
    if isinstance(structure, dict):
        return {k: _map_entries(v, fn) for k, v in structure.items()}
    return [_map_entries(v, fn) for v in structure]
