"""Object (de)serialization shared by every Keras object: layers, losses, metrics,
optimizers, initializers, regularizers, constraints, activations.

A serialized object is ``{"module": ..., "class_name": ..., "config": {...},
"registered_name": ...}`` as Keras 3 writes it; plain strings name built-ins.
"""
from __future__ import annotations

import importlib
import inspect
import threading

import numpy as np

from ember.framework.tensor import EagerTensor

__all__ = ["get_object", "register_keras_serializable", "get_registered_object", "get_registered_name",
           "serialize_keras_object", "deserialize_keras_object", "custom_object_scope",
           "CustomObjectScope", "get_custom_objects", "SafeModeScope", "in_safe_mode",
           "enable_unsafe_deserialization"]

_GLOBAL_CUSTOM_OBJECTS = {}
_GLOBAL_CUSTOM_NAMES = {}
_state = threading.local()

# ember's public namespaces and the Keras module names Keras 3 writes for their built-ins.
_PUBLIC_MODULES = (
    ("ember.keras.layers", "keras.layers"),
    ("ember.keras.initializers", "keras.initializers"),
    ("ember.keras.regularizers", "keras.regularizers"),
    ("ember.keras.constraints", "keras.constraints"),
    ("ember.keras.losses", "keras.losses"),
    ("ember.keras.metrics", "keras.metrics"),
    ("ember.keras.optimizers.schedules", "keras.optimizers.schedules"),
    ("ember.keras.optimizers", "keras.optimizers"),
    ("ember.keras.callbacks", "keras.callbacks"),
    ("ember.keras.activations", "keras.activations"),
)
_MODEL_MODULES = {"Functional": "keras.src.models.functional", "Sequential": "keras",
                  "Model": "keras.src.models.model"}


def enable_unsafe_deserialization():
    """Lets loading functions rebuild Python code stored in configs (a Lambda layer's
    lambda). Only do this for files you trust."""
    from ember.keras.layers import lambda_layer
    lambda_layer.enable_unsafe_deserialization()


def in_safe_mode():
    """The ``safe_mode`` of the innermost ``SafeModeScope``, or None outside any."""
    stack = getattr(_state, "safe_mode", None)
    return stack[-1] if stack else None


class SafeModeScope:
    """``with SafeModeScope(False):`` lets loading inside rebuild stored Python code."""

    def __init__(self, safe_mode=True):
        self.safe_mode = safe_mode

    def __enter__(self):
        if not hasattr(_state, "safe_mode"):
            _state.safe_mode = []
        _state.safe_mode.append(None if self.safe_mode is None else bool(self.safe_mode))
        return self

    def __exit__(self, *exc):
        _state.safe_mode.pop()
        return False


def _builtin_module(cls):
    """Keras's public module for an ember built-in class, or None for user classes."""
    keras_module = getattr(cls, "_keras_module", None)    # Keras's operations
    if isinstance(keras_module, str):
        return keras_module
    module = getattr(cls, "__module__", "") or ""
    name = cls.__name__
    if module.startswith("ember.keras.models"):
        return _MODEL_MODULES.get(name)
    for ember_mod, keras_mod in _PUBLIC_MODULES:
        if module == ember_mod or module.startswith(ember_mod + "."):
            public = importlib.import_module(ember_mod)
            if getattr(public, name, None) is cls:
                return keras_mod
    return None


def _module_objects_for(module):
    """The ember namespace's objects for a Keras module name (``"keras.layers"``)."""
    if not isinstance(module, str):
        return None
    if module == "builtins":     # Keras's built-in functions (losses, metrics, activations)
        from ember.keras import activations, losses, metrics
        found = {}
        for mod in (activations, metrics, losses):
            found.update({k: v for k, v in vars(mod).items()
                          if inspect.isfunction(v) and not k.startswith("_")})
        return found
    if module.startswith("keras.src.ops"):
        from ember.keras.layers.keras_ops import keras_op_classes
        return keras_op_classes(module)
    if module in ("keras", "keras.models") or module.startswith("keras.src.models"):
        from ember.keras import models
        return {"Functional": models.Functional, "Sequential": models.Sequential,
                "Model": models.Model}
    for ember_mod, keras_mod in _PUBLIC_MODULES:
        if module == keras_mod or module.startswith(keras_mod + ".") or \
                module == ember_mod or module.startswith(ember_mod + "."):
            public = importlib.import_module(ember_mod)
            # dir() and getattr: the namespace's lazily loaded names too
            return {k: getattr(public, k) for k in dir(public) if not k.startswith("_")}
    return None


def register_keras_serializable(package="Custom", name=None):
    """Decorator registering a class or function under ``"package>name"`` for loading."""
    def decorator(obj):
        key = f"{package}>{name or obj.__name__}"
        if inspect.isclass(obj) and not hasattr(obj, "get_config"):
            raise ValueError(f"Cannot register {obj.__name__}: a registered class needs "
                             f"get_config()")
        _GLOBAL_CUSTOM_OBJECTS[key] = obj
        _GLOBAL_CUSTOM_NAMES[obj] = key
        return obj
    return decorator


def get_registered_name(obj):
    """``"package>name"`` for a registered object, else its own name."""
    return _GLOBAL_CUSTOM_NAMES.get(obj, getattr(obj, "__name__", type(obj).__name__))


def get_custom_objects():
    """The global registry of ``register_keras_serializable`` (name -> object)."""
    return _GLOBAL_CUSTOM_OBJECTS


def _custom_scopes():
    """This thread's stack of open ``custom_object_scope``s (per thread, as in Keras)."""
    stack = getattr(_state, "custom_scopes", None)
    if stack is None:
        stack = _state.custom_scopes = []
    return stack


def get_registered_object(name, custom_objects=None, module_objects=None):
    for scope in reversed(_custom_scopes()):
        if name in scope:
            return scope[name]
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if name in _GLOBAL_CUSTOM_OBJECTS:
        return _GLOBAL_CUSTOM_OBJECTS[name]
    if module_objects and name in module_objects:
        return module_objects[name]
    return None


class CustomObjectScope:
    """``with custom_object_scope({"MyLayer": MyLayer}):`` makes names resolvable."""

    def __init__(self, *custom_objects):
        self.objects = {}
        for d in custom_objects:
            self.objects.update(d or {})

    def __enter__(self):
        _custom_scopes().append(self.objects)
        return self

    def __exit__(self, *exc):
        _custom_scopes().pop()
        return False


custom_object_scope = CustomObjectScope


def serialize_keras_object(obj):
    """A JSON-ready description of ``obj`` (None, plain values, functions or objects)."""
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(o) for o in obj]
    if isinstance(obj, dict):
        return {k: serialize_keras_object(v) for k, v in obj.items()}
    if inspect.isfunction(obj) or inspect.isbuiltin(obj):
        registered = _GLOBAL_CUSTOM_NAMES.get(obj)
        if not registered and _builtin_module(obj):   # as Keras 3 writes its functions
            return {"module": "builtins", "class_name": "function", "config": obj.__name__,
                    "registered_name": "function"}
        return {"module": getattr(obj, "__module__", None), "class_name": "function",
                "config": registered or obj.__name__,
                "registered_name": registered or obj.__name__}
    if hasattr(obj, "get_config"):
        cls = type(obj)
        registered = _GLOBAL_CUSTOM_NAMES.get(cls)
        builtin = None if registered else _builtin_module(cls)
        out = {"module": builtin or cls.__module__, "class_name": cls.__name__,
               "config": obj.get_config(),
               "registered_name": getattr(cls, "_keras_registered_name", None)
               if builtin else (registered or cls.__name__)}
        build_config = getattr(obj, "get_build_config", None)
        if build_config is not None:
            built = build_config()
            if built is not None:
                out["build_config"] = built
        return out
    special = _serialize_special(obj)
    if special is not None:
        return special
    if hasattr(obj, "tolist"):
        return obj.tolist()
    raise TypeError(f"Cannot serialize {obj!r}: it has no get_config()")


def _serialize_special(obj):
    """Keras 3's entries for slices, Ellipsis, bytes, NumPy arrays and eager tensors (the
    constant arguments of operations in a functional model), or None."""
    if isinstance(obj, slice):
        return {"class_name": "__slice__", "config": {
            "start": serialize_keras_object(obj.start),
            "stop": serialize_keras_object(obj.stop),
            "step": serialize_keras_object(obj.step)}}
    if obj is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    if isinstance(obj, bytes):
        return {"class_name": "__bytes__", "config": {"value": obj.decode("utf-8")}}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        if obj.ndim == 0:
            return obj.item()
        return {"class_name": "__numpy__", "config": {"value": obj.tolist(),
                                                      "dtype": obj.dtype.name}}
    if isinstance(obj, EagerTensor):
        return {"class_name": "__tensor__", "config": {"value": obj.numpy().tolist(),
                                                       "dtype": obj.dtype.name}}
    return None


def _deserialize_special(class_name, inner):
    """The value of one of ``_serialize_special``'s entries."""
    if class_name == "__slice__":
        return slice(*(deserialize_keras_object(inner.get(k))
                       for k in ("start", "stop", "step")))
    if class_name == "__ellipsis__":
        return Ellipsis
    if class_name == "__bytes__":
        return inner["value"].encode("utf-8")
    if class_name == "__numpy__":
        return np.array(inner["value"], dtype=inner["dtype"])
    import ember
    return ember.constant(np.array(inner["value"], dtype=inner["dtype"]))


_SPECIAL = ("__slice__", "__ellipsis__", "__bytes__", "__numpy__", "__tensor__")


def deserialize_keras_object(config, module_objects=None, custom_objects=None,
                             printable_module_name="object", **kwargs):
    """Rebuilds an object from ``serialize_keras_object`` output or a name."""
    if config is None:
        return None
    if isinstance(config, str):
        obj = get_registered_object(config, custom_objects, module_objects)
        if obj is None:
            raise ValueError(_unknown(printable_module_name, config, module_objects))
        return obj
    if not isinstance(config, dict):
        return config
    class_name = config.get("class_name")
    inner = config.get("config", {})
    if class_name in _SPECIAL:
        return _deserialize_special(class_name, inner or {})
    if class_name == "function":
        name = inner if config.get("registered_name") in (None, "function") else \
            config["registered_name"]
        by_module = _module_objects_for(config.get("module"))
        obj = get_registered_object(name, custom_objects, module_objects) or \
            get_registered_object(inner, custom_objects, module_objects) or \
            get_registered_object(inner, None, by_module)
        if obj is None:
            raise ValueError(_unknown(printable_module_name, name, module_objects))
        return obj
    if class_name == "__lambda__":
        raise ValueError(f"A Python lambda cannot be rebuilt as a {printable_module_name}; "
                         f"only a Lambda layer's function may be one.")
    cls = None
    module = config.get("module")
    if isinstance(module, str) and module.startswith("keras.src.ops"):
        # Keras's operations share names with merge layers (Add, Multiply ...)
        cls = (_module_objects_for(module) or {}).get(class_name)
    for name in (() if cls is not None else (config.get("registered_name"), class_name)):
        if name:
            cls = get_registered_object(name, custom_objects, module_objects)
            if cls is None:
                cls = get_registered_object(name, None,
                                            _module_objects_for(config.get("module")))
            if cls is not None:
                break
    if cls is None:
        raise ValueError(_unknown(printable_module_name, class_name, module_objects))
    with CustomObjectScope(custom_objects or {}):
        if hasattr(cls, "from_config"):
            obj = cls.from_config(inner)
        else:
            obj = cls(**inner)
    build_config = config.get("build_config")
    if build_config and hasattr(obj, "build_from_config"):
        obj.build_from_config(build_config)
    return obj


def _unknown(kind, name, module_objects):
    choices = ""
    if module_objects:
        names = sorted(k for k in module_objects if not k.startswith("_"))
        choices = f" Valid choices: {', '.join(names)}."
    return (f"Unknown {kind}: '{name}'.{choices} If it is a custom object, pass it in "
            f"`custom_objects={{'{name}': {name}}}` or decorate it with "
            f"@keras.saving.register_keras_serializable().")


def get_object(identifier, deserialize, kind, accept=callable, names=None,
               unknown_name=None, instantiate=True):
    """The ``get()`` of each Keras family: None stays None; a config dict goes through
    ``deserialize``; a name is looked up in ``names`` (then the registry) when given, else
    deserialized; a class is instantiated; anything ``accept`` allows is returned."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str) and names is not None:
        obj = names.get(identifier)
        if obj is None:
            obj = get_registered_object(identifier)
        if obj is None:
            raise ValueError(f"{unknown_name or f'Could not interpret {kind} identifier'}: "
                             f"{identifier!r}. Valid choices: {', '.join(sorted(names))}")
    elif isinstance(identifier, str):
        obj = deserialize({"class_name": identifier, "config": {}})
    else:
        obj = identifier
    if instantiate and isinstance(obj, type) and accept(obj):
        obj = obj()
    if accept(obj):
        return obj
    raise ValueError(f"Could not interpret {kind} identifier: {identifier!r}")
