"""A compiled model's ``compile_config`` (Keras 3's format) and compiling from it."""
from __future__ import annotations

__all__ = ["get_compile_config", "compile_from_config"]


def _serialize_spec(spec):
    from ember.keras.saving.serialization import serialize_keras_object
    if spec is None or isinstance(spec, str):
        return spec
    if isinstance(spec, (list, tuple)):
        return [_serialize_spec(s) for s in spec]
    if isinstance(spec, dict):
        return {k: _serialize_spec(v) for k, v in spec.items()}
    return serialize_keras_object(spec)


def get_compile_config(model):
    """The arguments ``model.compile`` was called with, serialized; None if uncompiled."""
    args = getattr(model, "_compile_args", None)
    if args is None:
        return None
    from ember.keras.saving.serialization import serialize_keras_object
    return {"optimizer": serialize_keras_object(model.optimizer),
            "loss": _serialize_spec(args["loss"]),
            "loss_weights": _serialize_spec(args["loss_weights"]),
            "metrics": _serialize_spec(args["metrics"]),
            "weighted_metrics": _serialize_spec(args["weighted_metrics"]),
            "run_eagerly": bool(args["run_eagerly"]),
            "steps_per_execution": args["steps_per_execution"],
            "jit_compile": args["jit_compile"] if isinstance(args["jit_compile"], bool)
            else False}


def _deserialize_spec(spec, deserialize, custom_objects):
    if spec is None or isinstance(spec, (str, int, float)):
        return spec
    if isinstance(spec, list):
        return [_deserialize_spec(s, deserialize, custom_objects) for s in spec]
    if isinstance(spec, dict) and "class_name" not in spec:
        return {k: _deserialize_spec(v, deserialize, custom_objects) for k, v in spec.items()}
    return deserialize(spec, custom_objects=custom_objects)


def compile_from_config(model, config, custom_objects=None):
    """``model.compile(...)`` with the arguments of a ``compile_config`` (or a tf.keras 2
    ``training_config``, whose optimizer is under ``optimizer_config``)."""
    from ember.keras import losses, metrics, optimizers
    config = dict(config)
    optimizer = config.get("optimizer", config.get("optimizer_config"))
    if isinstance(optimizer, dict):
        optimizer = optimizers.deserialize(optimizer, custom_objects=custom_objects)
    kwargs = {"optimizer": optimizer if optimizer is not None else "rmsprop",
              "loss": _deserialize_spec(config.get("loss"), losses.deserialize,
                                        custom_objects),
              "loss_weights": config.get("loss_weights"),
              "metrics": _deserialize_spec(config.get("metrics"), metrics.deserialize,
                                           custom_objects),
              "weighted_metrics": _deserialize_spec(config.get("weighted_metrics"),
                                                    metrics.deserialize, custom_objects),
              "run_eagerly": bool(config.get("run_eagerly") or False),
              "steps_per_execution": config.get("steps_per_execution") or 1}
    model.compile(**kwargs)
    if model.built:
        model.optimizer.build(model.trainable_variables)
