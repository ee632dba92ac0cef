"""A Keras model's weights as a TensorFlow checkpoint in tf.keras 2's layout: the model's
layers that have weights are ``layer_with_weights-<k>`` (k counting them in
``model.layers`` order), each weight under its short name, so a value's key is
``layer_with_weights-0/embeddings/.ATTRIBUTES/VARIABLE_VALUE`` (the names TensorBoard's
projector and tf.keras 2's ``save_weights`` checkpoints use)."""
from __future__ import annotations

import os

__all__ = ["layers_with_weights", "write_keras2_checkpoint", "keras2_tensor_name"]


class _Weights:
    """One layer's weights as a checkpoint node: {short name: variable}."""

    def __init__(self, layer):
        self._layer = layer

    def _trackable_children(self):
        out = {}
        for v in list(self._layer.trainable_weights) + list(self._layer.non_trainable_weights):
            name = str(v.name)
            name = name[:-2] if name.endswith(":0") else name
            name = name.rsplit("/", 1)[-1]
            while name in out:
                name += "_"
            out[name] = v
        return out


def layers_with_weights(model):
    """The model's layers that hold weights, in ``model.layers`` order."""
    return [layer for layer in model.layers if layer.weights]


def keras2_tensor_name(model, layer, weight_name):
    """The checkpoint key of ``layer``'s weight ``weight_name`` in this layout."""
    k = [id(x) for x in layers_with_weights(model)].index(id(layer))
    return f"layer_with_weights-{k}/{weight_name}/.ATTRIBUTES/VARIABLE_VALUE"


def write_keras2_checkpoint(model, prefix):
    """Writes the model's weights at ``prefix`` (TensorFlow's checkpoint files)."""
    from ember.train.checkpoint import Checkpoint
    children = {f"layer_with_weights-{k}": _Weights(layer)
                for k, layer in enumerate(layers_with_weights(model))}
    return Checkpoint(**children).write(os.fspath(prefix))


def _graph_children(nodes, node_id):
    return dict((name, child) for child, name in nodes[node_id].children)


def _node_value(nodes, node_id, values):
    for attr, _, key in nodes[node_id].attributes:
        if attr == "VARIABLE_VALUE" and key in values:
            return values[key]
    return None


def read_keras2_checkpoint(model, prefix, skip_mismatch=False):
    """Assigns the weights (and, when the model has an optimizer, the optimizer state of
    TF 2.11+'s optimizers) of a checkpoint tf.keras 2's ``save_weights(prefix)`` wrote."""
    import warnings

    import numpy as np

    from ember.train.checkpoint import read_checkpoint
    from ember.train.object_graph import OBJECT_GRAPH_KEY, decode_object_graph
    prefix = os.fspath(prefix)
    values = read_checkpoint(prefix)
    graph = values.pop(OBJECT_GRAPH_KEY, None)
    if graph is None:
        raise ValueError(f"{prefix}: the checkpoint has no object graph, so it is not one "
                         f"that Model.save_weights wrote.")
    nodes = decode_object_graph(np.asarray(graph, dtype=object)[()])
    root = _graph_children(nodes, 0)
    layers = layers_with_weights(model)
    stored = sorted((int(n.split("-")[1]), i) for n, i in root.items()
                    if n.startswith("layer_with_weights-"))
    if len(stored) != len(layers):
        raise ValueError(f"{prefix} holds weights for {len(stored)} layers but model "
                         f"{model.name} has {len(layers)} layers with weights.")

    def assign(var, value, what):
        shape = tuple(var.shape.as_list())
        if value.shape != shape:
            if skip_mismatch:
                warnings.warn(f"Skipping {what}: {prefix} holds shape {value.shape}, the "
                              f"model has {shape}.", stacklevel=4)
                return
            raise ValueError(f"{what} has shape {shape} but {prefix} holds shape "
                             f"{value.shape} for it.")
        var.assign(value.astype(var.dtype.np, copy=False))

    by_node = {}
    for (k, node_id), layer in zip(stored, layers):
        children = _graph_children(nodes, node_id)
        for name, var in _Weights(layer)._trackable_children().items():
            value = _node_value(nodes, children[name], values) if name in children else None
            if value is None:
                raise ValueError(f"{prefix} holds no '{name}' for layer {layer.name} "
                                 f"(layer_with_weights-{k}); it has {sorted(children)}.")
            assign(var, value, f"Layer {layer.name} weight '{name}'")
            by_node[children[name]] = var
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and "optimizer" in root:
        if not optimizer.built:
            optimizer.build(model.trainable_variables)
        if "_iterations" in _graph_children(nodes, root["optimizer"]):
            _read_optimizer(optimizer, nodes, root["optimizer"], values, prefix)
        else:
            _read_legacy_optimizer(optimizer, nodes, root["optimizer"], values, prefix,
                                   by_node)


def _read_legacy_optimizer(optimizer, nodes, node_id, values, prefix, by_node):
    """tf.keras 2's legacy optimizers list slots as (variable, slot name, slot value)
    (keys ``<variable>/.OPTIMIZER_SLOT/optimizer/m/...``) and count steps in ``iter``."""
    import warnings

    from ember.keras.saving.legacy_h5 import _TF2_SLOTS
    slot_attrs = _TF2_SLOTS.get(type(optimizer).__name__, {})
    index = {id(v): i for i, v in enumerate(optimizer._trainable_variables)}
    plan = []
    for original, slot_name, slot_node in nodes[node_id].slot_variables:
        var = by_node.get(original)
        targets = getattr(optimizer, slot_attrs.get(slot_name, ""), None) or []
        value = _node_value(nodes, slot_node, values)
        i = index.get(id(var)) if var is not None else None
        if i is None or i >= len(targets) or value is None or \
                value.shape != tuple(targets[i].shape.as_list()):
            warnings.warn(f"{prefix}: optimizer slot '{slot_name}' does not fit "
                          f"{type(optimizer).__name__}; training resumes with a fresh "
                          f"optimizer.", stacklevel=4)
            return
        plan.append((targets[i], value))
    iterations = _node_value(nodes, _graph_children(nodes, node_id).get("iter", -1), values) \
        if "iter" in _graph_children(nodes, node_id) else None
    for target, value in plan:
        target.assign(value.astype(target.dtype.np, copy=False))
    if iterations is not None:
        optimizer.iterations.assign(iterations)


def _read_optimizer(optimizer, nodes, node_id, values, prefix):
    """TF 2.11+ optimizers keep their slots in lists named as Keras 3's (``_momentums``,
    ``_velocities`` ...), which ember's optimizers share."""
    import warnings
    children = _graph_children(nodes, node_id)
    count = len(optimizer._trainable_variables)
    plan = []
    for name, list_id in children.items():
        if name in ("_variables", "_trainable_variables", "_iterations", "_learning_rate"):
            continue
        targets = getattr(optimizer, name, None)
        items = _graph_children(nodes, list_id)
        if not isinstance(targets, list) or len(targets) != count or \
                sorted(items) != [str(i) for i in range(count)] and len(items) != count:
            continue
        for i, target in enumerate(targets):
            value = _node_value(nodes, items.get(str(i), -1), values) \
                if str(i) in items else None
            if value is None or value.shape != tuple(target.shape.as_list()):
                warnings.warn(f"{prefix}: optimizer slot {name}[{i}] does not fit; "
                              f"training resumes with a fresh optimizer.", stacklevel=4)
                return
            plan.append((target, value))
    iterations = _node_value(nodes, children["_iterations"], values)
    for target, value in plan:
        target.assign(value.astype(target.dtype.np, copy=False))
    if iterations is not None:
        optimizer.iterations.assign(iterations)
