"""Legacy HDF5 model and weight files (the tf.keras 2.x layout, which Keras 3 still writes for
``model.save("m.h5")``).

A model file holds the attributes ``model_config`` and ``training_config`` (JSON),
``keras_version`` and ``backend``; the group ``model_weights`` (attribute ``layer_names``;
one group per layer, attribute ``weight_names``, the arrays at those names, e.g.
``dense/dense/kernel:0`` from tf.keras 2 or ``dense/dense/kernel`` from Keras 3); and
``optimizer_weights``. A weights-only file (tf.keras 2 ``save_weights("w.h5")``) is the
``model_weights`` group at the file's root. Weights load by layer order, or by layer name
with ``by_name=True``.
"""
from __future__ import annotations

import json
import warnings

import numpy as np

from ember.keras.saving import serialization
from ember.keras.saving.file_io import CorruptFileError, atomic_write, open_h5
from ember.keras.saving.keras_weights import unbuilt_variables

__all__ = ["save_legacy_h5", "load_legacy_h5", "load_legacy_weights", "is_legacy_h5"]


def _weight_name(v):
    name = str(getattr(v, "path", None) or v.name)
    return name[:-2] if name.endswith(":0") else name


def _layer_weights(layer):
    return list(layer.trainable_weights) + list(layer.non_trainable_weights)


def _write_subset(group, weights):
    names, used = [], set()
    for v in weights:
        name = _weight_name(v)
        while name in used:
            name += "_"
        used.add(name)
        names.append(name)
        group.create_dataset(name, data=np.asarray(v.numpy()))
    group.attrs["weight_names"] = np.array([n.encode("utf8") for n in names], dtype="S")


def write_model_weights(group, model):
    from ember import keras
    group.attrs["layer_names"] = np.array([l.name.encode("utf8") for l in model.layers],
                                          dtype="S")
    group.attrs["backend"] = b"tensorflow"
    group.attrs["keras_version"] = keras.__version__.encode("utf8")
    for layer in sorted(model.layers, key=lambda l: l.name):
        _write_subset(group.create_group(layer.name), _layer_weights(layer))
    _write_subset(group.create_group("top_level_model_weights"), [])


def _full_loss_names(spec):
    """Loss names as their functions' names ("mse" -> "mean_squared_error"): Keras 3 reads
    only those back from a legacy file's training_config."""
    from ember.keras import losses
    if isinstance(spec, str):
        fn = losses.get(spec)
        return getattr(fn, "__name__", spec) if callable(fn) else spec
    if isinstance(spec, list):
        return [_full_loss_names(s) for s in spec]
    if isinstance(spec, dict) and "class_name" not in spec:
        return {k: _full_loss_names(v) for k, v in spec.items()}
    return spec


def save_legacy_h5(model, filepath, include_optimizer=True):
    from ember import keras
    from ember.keras.saving.keras_archive import model_config
    config = model_config(model)
    compile_config = config.pop("compile_config", None)
    with atomic_write(filepath) as tmp:
        with open_h5(tmp, "w") as f:
            f.attrs["backend"] = "tensorflow"
            f.attrs["keras_version"] = keras.__version__
            f.attrs["model_config"] = json.dumps(     # a custom class by its registered name
                {"class_name": config.get("registered_name") or config["class_name"],
                 "config": config["config"], "build_config": config.get("build_config")})
            if compile_config is not None:
                training = dict(compile_config)
                optimizer = training.pop("optimizer")
                training["optimizer_config"] = {"class_name": optimizer["class_name"],
                                                "config": optimizer["config"]}
                training["loss"] = _full_loss_names(training["loss"])
                f.attrs["training_config"] = json.dumps(training)
            write_model_weights(f.create_group("model_weights"), model)
            optimizer = getattr(model, "optimizer", None)
            if include_optimizer and optimizer is not None and optimizer.built:
                group = f.create_group("optimizer_weights")
                names = []
                for v in optimizer.variables:
                    name = f"{optimizer.name}/{_weight_name(v)}"
                    while name in names:
                        name += "_"
                    names.append(name)
                    group.create_dataset(name, data=np.asarray(v.numpy()))
                group.attrs["weight_names"] = np.array([n.encode("utf8") for n in names],
                                                       dtype="S")


def _attr_list(group, name):
    if name in group.attrs:
        values = list(group.attrs[name])
    else:
        values, chunk = [], 0
        while f"{name}{chunk}" in group.attrs:
            values.extend(group.attrs[f"{name}{chunk}"])
            chunk += 1
    return [v.decode("utf8") if hasattr(v, "decode") else str(v) for v in values]


def _attr_text(f, name):
    value = f.attrs.get(name)
    if value is None:
        return None
    return value.decode("utf8") if hasattr(value, "decode") else str(value)


def is_legacy_h5(f):
    return "model_config" in f.attrs or "layer_names" in f.attrs or "model_weights" in f


def _subset_values(group, filepath):
    out = []
    for name in _attr_list(group, "weight_names"):
        if name not in group:
            raise CorruptFileError(filepath, f"the layer group '{group.name}' lists the weight "
                                             f"'{name}' but does not hold it.")
        out.append(np.asarray(group[name]))
    return out


def _mismatch(problem, skip_mismatch):
    if not skip_mismatch:
        raise ValueError(problem)
    warnings.warn(f"Skipping loading of weights: {problem}", stacklevel=5)


def _assign(layer, weights, values, filepath, where, skip_mismatch):
    if len(values) != len(weights):
        return _mismatch(f"layer '{layer.name}' expects {len(weights)} weight(s) but "
                         f"{filepath} holds {len(values)} for it ({where}).", skip_mismatch)
    for v, value in zip(weights, values):
        shape = tuple(v.shape.as_list())
        if value.shape != shape:
            _mismatch(f"layer '{layer.name}' weight {v.name} has shape {shape} but "
                      f"{filepath} holds shape {value.shape} for it ({where}).", skip_mismatch)
            continue
        v.assign(value.astype(v.dtype.np, copy=False))


def load_legacy_weights(model, f, filepath, by_name=False, skip_mismatch=False):
    """Assigns the weights of a legacy h5 file (an open h5py File) to ``model``."""
    group = f["model_weights"] if "model_weights" in f else f
    if "layer_names" not in group.attrs and "layer_names0" not in group.attrs:
        raise CorruptFileError(filepath, "it is an HDF5 file without the legacy Keras "
                                         "attribute 'layer_names', so it holds no Keras "
                                         "weights.")
    names = _attr_list(group, "layer_names")
    if by_name:
        by = {}
        for layer in model.layers:
            by.setdefault(layer.name, []).append(layer)
        for name in names:
            values = _subset_values(group[name], filepath)
            for layer in by.get(name, []):
                _assign(layer, _layer_weights(layer), values, filepath,
                        f"group '{name}'", skip_mismatch)
        return
    stored = [n for n in names if _attr_list(group[n], "weight_names")]
    layers = [l for l in model.layers if _layer_weights(l)]
    if len(stored) != len(layers):
        raise ValueError(f"Layer count mismatch when loading weights from {filepath}: the model "
                         f"has {len(layers)} layers with weights "
                         f"({[l.name for l in layers]}) but the file holds "
                         f"{len(stored)} ({stored}). Use by_name=True to load matching "
                         f"names only.")
    for layer, name in zip(layers, stored):
        _assign(layer, _layer_weights(layer), _subset_values(group[name], filepath),
                filepath, f"saved as layer '{name}'", skip_mismatch)


# tf.keras 2's slot names (its legacy optimizers' and those of TF 2.11+) -> the ember
# optimizer attribute holding that slot for each trainable variable, by optimizer class
_TF2_SLOTS = {
    "SGD": {"momentum": "momentums", "m": "momentums"},
    "Adam": {"m": "_momentums", "v": "_velocities", "vhat": "_velocity_hats"},
    "AdamW": {"m": "_momentums", "v": "_velocities", "vhat": "_velocity_hats"},
    "Nadam": {"m": "_momentums", "v": "_velocities"},
    "Adamax": {"m": "_m", "v": "_u", "u": "_u"},
    "RMSprop": {"rms": "_velocities", "velocity": "_velocities", "momentum": "_momentums",
                "mg": "_average_gradients", "average_gradient": "_average_gradients"},
    "Adagrad": {"accumulator": "_accumulators"},
    "Adadelta": {"accum_grad": "_accumulated_grads", "accum_var": "_accumulated_delta_vars",
                 "accumulated_grad": "_accumulated_grads",
                 "accumulated_delta_var": "_accumulated_delta_vars"},
    "Ftrl": {"accumulator": "_accumulators", "linear": "_linears"},
    "Lion": {"m": "_momentums"},
}
# tf.keras 2's optimizer-wide weights other than the iteration count
_TF2_SCALARS = {"momentum_cache": "_u_product"}


def _tf2_layout(names):
    """'legacy' for tf.keras 2's OptimizerV2 names (``Adam/iter:0``,
    ``Adam/dense/kernel/m:0``: the iteration count, then each slot for every variable),
    'v2.11' for TF 2.11+'s (``iteration:0``, ``Adam/m/dense/kernel:0``: the slots variable
    by variable), None for Keras 3's."""
    if "iteration:0" in names:
        return "v2.11"
    if any(n.endswith("/iter:0") for n in names):
        return "legacy"
    return None


def _tf2_state(names, values, layout):
    """(iterations, {scalar name: value}, {slot name: [values in variable order]})."""
    iterations, scalars, slots = None, {}, {}
    for name, value in zip(names, values):
        parts = name[:-2].split("/") if name.endswith(":0") else name.split("/")
        if parts[-1] in ("iter", "iteration") and len(parts) <= 2:
            iterations = value
        elif len(parts) == 2 and parts[1] in _TF2_SCALARS:
            scalars[parts[1]] = value
        elif len(parts) >= 3:
            slot = parts[-1] if layout == "legacy" else parts[1]
            slots.setdefault(slot, []).append(value)
        else:
            raise ValueError(f"unrecognized optimizer weight {name!r}")
    return iterations, scalars, slots


def _assign_tf2_optimizer(optimizer, names, values, layout):
    """Assigns tf.keras 2 optimizer weights; returns a problem description or None."""
    kind = type(optimizer).__name__
    slot_attrs = _TF2_SLOTS.get(kind)
    if slot_attrs is None:
        return f"ember cannot map tf.keras 2 state onto a {kind} optimizer"
    try:
        iterations, scalars, slots = _tf2_state(names, values, layout)
    except ValueError as e:
        return str(e)
    count = len(optimizer._trainable_variables)
    plan = []
    for slot, stored in slots.items():
        attr = slot_attrs.get(slot)
        targets = list(getattr(optimizer, attr, None) or []) if attr else []
        if not targets:
            return f"the file holds slot '{slot}', which {kind} does not have with its " \
                   f"configuration"
        if len(stored) != count or len(targets) != count:
            return f"slot '{slot}' holds {len(stored)} values for {count} variables"
        for target, value in zip(targets, stored):
            if tuple(target.shape.as_list()) != value.shape:
                return f"slot '{slot}' value of shape {value.shape} for a variable of " \
                       f"shape {tuple(target.shape.as_list())}"
        plan.extend(zip(targets, stored))
    for name, value in scalars.items():
        target = getattr(optimizer, _TF2_SCALARS[name], None)
        if target is not None:
            plan.append((target, np.asarray(value).reshape(tuple(target.shape.as_list()))))
    if iterations is not None:
        plan.append((optimizer.iterations, np.asarray(iterations)))
    for target, value in plan:
        target.assign(np.asarray(value).astype(target.dtype.np, copy=False))
    return None


def _load_optimizer_weights(model, f, filepath):
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or "optimizer_weights" not in f:
        return
    group = f["optimizer_weights"]
    values = _subset_values(group, filepath)
    if not optimizer.built:
        optimizer.build(model.trainable_variables)
    names = _attr_list(group, "weight_names")
    layout = _tf2_layout(names)
    if layout is not None:
        problem = _assign_tf2_optimizer(optimizer, names, values, layout)
        if problem is not None:
            warnings.warn(f"The tf.keras 2 optimizer state in {filepath} does not fit "
                          f"optimizer '{optimizer.name}' ({problem}); the model starts "
                          f"with a freshly initialized optimizer.", stacklevel=3)
        return
    variables = optimizer.variables
    base = unbuilt_variables(optimizer)
    if len(values) == len(base) < len(variables):      # saved before its first step
        variables = base
    if len(values) != len(variables) or any(
            tuple(v.shape.as_list()) != a.shape for v, a in zip(variables, values)):
        warnings.warn(f"The optimizer state in {filepath} ({len(values)} variables) does not "
                      f"match optimizer '{optimizer.name}' ({len(variables)} variables); the "
                      f"model starts with a freshly initialized optimizer.", stacklevel=3)
        return
    for v, value in zip(variables, values):
        v.assign(value.astype(v.dtype.np, copy=False))


def load_legacy_h5(filepath, custom_objects=None, compile=True,  # noqa: A002
                   safe_mode=True):
    from ember.keras.layers import deserialize as deserialize_layer
    with open_h5(filepath, "r") as f:
        text = _attr_text(f, "model_config")
        if text is None:
            raise CorruptFileError(filepath, "it holds no model config (attribute "
                                             "'model_config'); if it is a weights file, build "
                                             "the model and call model.load_weights().")
        try:
            config = json.loads(text)
        except json.JSONDecodeError as e:
            raise CorruptFileError(filepath, f"its model_config is not valid JSON ({e}).") \
                from None
        with serialization.SafeModeScope(safe_mode), \
                serialization.CustomObjectScope(custom_objects or {}):
            model = deserialize_layer(config, custom_objects=custom_objects)
            load_legacy_weights(model, f, filepath)
            training = _attr_text(f, "training_config")
            if compile and training:
                model.compile_from_config(json.loads(training))
                _load_optimizer_weights(model, f, filepath)
    return model
