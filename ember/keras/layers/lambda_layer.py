"""Lambda: wraps any function of tensors (an ember op, a module-level function or a Python
lambda) as a layer.

Serialization follows Keras: named functions are stored by module and name (or registered
name) and found again through ``custom_objects``, the registry of
``register_keras_serializable`` or their ember module. A Python lambda is stored as its
source text together with the globals it reads, never as bytecode; rebuilding it evaluates
code, so it is refused unless ``safe_mode=False`` (or ``enable_unsafe_deserialization()``).
"""
from __future__ import annotations

import ast
import builtins
import importlib
import inspect
import linecache
import textwrap
import types

import numpy as np

import ember
from ember.keras.layers.layer import Layer
from ember.keras.saving import serialization as _ser

__all__ = ["Lambda", "enable_unsafe_deserialization"]

_SAFE_PACKAGES = ("ember", "numpy", "math")
_UNSAFE_ENABLED = False


def enable_unsafe_deserialization():
    """Allows ``Lambda`` configs holding Python lambdas to be rebuilt (this evaluates the
    stored source code; only do it for files you trust)."""
    global _UNSAFE_ENABLED
    _UNSAFE_ENABLED = True


def _in_safe_mode(safe_mode):
    if safe_mode is not None:
        return bool(safe_mode)
    if _UNSAFE_ENABLED:      # the global opt-in outlasts loaders' default safe_mode=True
        return False
    scoped = getattr(_ser, "in_safe_mode", None)
    if callable(scoped):
        value = scoped()
        if value is not None:
            return bool(value)
    return not _UNSAFE_ENABLED


def _is_lambda(fn):
    return isinstance(fn, types.LambdaType) and fn.__name__ == "<lambda>"


def _safe_module(name):
    return isinstance(name, str) and name.split(".")[0] in _SAFE_PACKAGES


# -- lambda source extraction -------------------------------------------------------------
def _signature(code):
    consts = tuple(repr(c) for c in code.co_consts if not isinstance(c, types.CodeType))
    return (code.co_argcount, code.co_kwonlyargcount, code.co_varnames[:code.co_argcount],
            frozenset(code.co_names), consts)


def _compiled_lambda(segment):
    try:
        compiled = compile(f"({segment})", "<lambda>", "eval")
    except SyntaxError:
        return None
    inner = [c for c in compiled.co_consts if isinstance(c, types.CodeType)]
    return inner[0] if inner else None


def _positions(code):
    return [(line, col, end_line, end_col) for line, end_line, col, end_col in
            code.co_positions()
            if None not in (line, end_line, col, end_col) and (line, col) != (end_line, end_col)]


def _lambda_source(fn):
    """The text of the lambda expression defining ``fn``, or raises ValueError.

    The lambda is found among the lambdas starting on its first line: by the columns of its
    instructions when the whole file is available, else by its names and constants."""
    code = fn.__code__
    where = f"{code.co_filename}:{code.co_firstlineno}"
    sig = _signature(code)
    lines = linecache.getlines(code.co_filename, fn.__globals__)
    if lines:
        try:
            tree = ast.parse("".join(lines))
        except SyntaxError:
            tree = None
        if tree is not None:
            text = "".join(lines)
            positions = _positions(code)
            best = None
            for node in ast.walk(tree):
                if not isinstance(node, ast.Lambda) or node.lineno != code.co_firstlineno:
                    continue
                start = (node.lineno, node.col_offset)
                stop = (node.end_lineno, node.end_col_offset)
                if positions and not all(start <= (l, c) and (el, ec) <= stop
                                         for l, c, el, ec in positions):
                    continue
                segment = ast.get_source_segment(text, node)
                compiled = _compiled_lambda(segment) if segment else None
                if compiled is None or _signature(compiled) != sig:
                    continue
                size = (stop[0] - start[0], stop[1] - start[1])
                if best is None or size < best[0]:
                    best = (size, segment, node)
            if best is not None:
                return best[1], best[2]
    try:
        block, first = inspect.getsourcelines(fn)
    except (OSError, TypeError):
        block = None
    if block:
        text = textwrap.dedent("".join(block))
        try:
            tree = ast.parse(text)
        except SyntaxError:
            tree = None
        found = {}
        for node in ast.walk(tree) if tree is not None else []:
            if isinstance(node, ast.Lambda) and node.lineno + first - 1 == code.co_firstlineno:
                segment = ast.get_source_segment(text, node)
                compiled = _compiled_lambda(segment) if segment else None
                if compiled is not None and _signature(compiled) == sig:
                    found.setdefault(segment, node)
        if len(found) == 1:
            return next(iter(found.items()))
        if found:
            raise ValueError(f"Cannot serialize the Python lambda defined at {where}: several "
                             f"lambdas on that line look alike. Define it on its own line or "
                             f"use a named, registered function.")
    raise ValueError(f"Cannot serialize the Python lambda defined at {where}: its source code "
                     f"is not available (defined interactively or with exec?). Use a "
                     f"module-level function decorated with "
                     f"@keras.saving.register_keras_serializable() instead.")


def _loaded_names(node):
    names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and
             isinstance(n.ctx, ast.Load)}
    return names


def _global_names(code):
    names = set(code.co_names)
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            names |= _global_names(c)
    return names


def _describe_global(name, fn):
    if name not in fn.__globals__:
        if hasattr(builtins, name):
            return None
        return {"custom_object": name}
    obj = fn.__globals__[name]
    if isinstance(obj, types.ModuleType):
        if _safe_module(obj.__name__):
            return {"module": obj.__name__}
        return {"custom_object": name}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return {"value": obj}
    registered = _ser._GLOBAL_CUSTOM_NAMES.get(obj) if _hashable(obj) else None
    if registered:
        return {"registered_name": registered}
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if _safe_module(module) and qualname and "<" not in qualname:
        return {"module": module, "name": qualname}
    return {"custom_object": name}


def _hashable(obj):
    try:
        hash(obj)
    except TypeError:
        return False
    return True


def _lambda_config(fn, arg_name):
    code = fn.__code__
    if code.co_freevars:
        raise ValueError(
            f"Cannot serialize the Python lambda passed as `{arg_name}` of a Lambda layer: it "
            f"uses the local variable(s) {', '.join(code.co_freevars)} of the function that "
            f"defined it, whose values cannot be stored. Pass them through "
            f"`arguments={{...}}` (e.g. `Lambda(lambda x, k: x * k, arguments={{'k': 2}})`) or "
            f"use a module-level function decorated with "
            f"@keras.saving.register_keras_serializable().")
    source, node = _lambda_source(fn)
    used = _loaded_names(node) & _global_names(code)
    described = {}
    for name in sorted(used):
        desc = _describe_global(name, fn)
        if desc is not None:
            described[name] = desc
    import base64
    import marshal
    # "code"/"defaults"/"closure" as Keras writes them (marshalled bytecode, read by Keras
    # in the same Python version); ember itself rebuilds from "source".
    code_text = base64.b64encode(marshal.dumps(code)).decode("ascii")
    defaults = list(fn.__defaults__) if fn.__defaults__ else None
    return {"source": source, "globals": described, "code": code_text,
            "defaults": defaults, "closure": None}


def _lookup(name, custom_objects):
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    return _ser.get_registered_object(name, custom_objects)


def _resolve_global(name, desc, custom_objects):
    found = _lookup(name, custom_objects)
    if found is not None:
        return found
    if "value" in desc:
        return desc["value"]
    if "registered_name" in desc:
        obj = _lookup(desc["registered_name"], custom_objects)
        if obj is not None:
            return obj
    if "module" in desc and _safe_module(desc["module"]):
        try:
            obj = importlib.import_module(desc["module"])
            for part in desc.get("name", "").split(".") if desc.get("name") else []:
                obj = getattr(obj, part)
            return obj
        except (ImportError, AttributeError):
            pass
    raise ValueError(f"Cannot rebuild the lambda of a Lambda layer: it uses the global name "
                     f"{name!r}, which is not known here. Pass it in "
                     f"`custom_objects={{'{name}': ...}}`.")


def _load_lambda(config, arg_name, custom_objects, safe_mode):
    if _in_safe_mode(safe_mode):
        raise ValueError(
            f"Requested the deserialization of a Lambda layer whose `{arg_name}` is a Python "
            f"lambda. Rebuilding it runs stored Python code, a potential risk of "
            f"arbitrary code execution, so it is disallowed by default. If you trust the "
            f"source of the config, pass `safe_mode=False` to the loading function or call "
            f"`keras.config.enable_unsafe_deserialization()`; or register a named function with "
            f"@keras.saving.register_keras_serializable() and pass it in `custom_objects`.")
    if "source" not in config:
        if "code" in config:
            return _load_bytecode(config, arg_name, custom_objects)
        raise ValueError(f"The stored `{arg_name}` of a Lambda layer holds neither source "
                         f"nor code: {sorted(config)}")
    namespace = {"__builtins__": builtins}
    for name, desc in config.get("globals", {}).items():
        namespace[name] = _resolve_global(name, desc, custom_objects)
    fn = eval(compile(f"({config['source']})", "<keras Lambda>", "eval"), namespace)  # noqa: S307
    if not callable(fn):
        raise ValueError(f"The stored `{arg_name}` of a Lambda layer is not a function: "
                         f"{config['source']!r}")
    fn._keras_lambda_config = dict(config)
    return fn


def _load_bytecode(config, arg_name, custom_objects):
    """A lambda Keras stored as marshalled bytecode (base64 ``code``, ``defaults``,
    ``closure``); only reached once the user has opted out of safe mode. The code sees
    ``keras``, ``tf`` and ``ops`` as ember's, plus ``custom_objects``."""
    import base64
    import marshal
    import sys
    try:
        raw = base64.b64decode(config["code"].encode("ascii"))
        code = marshal.loads(raw)
    except (ValueError, EOFError, TypeError, AttributeError) as e:
        raise ValueError(
            f"The `{arg_name}` of this Lambda layer was saved as Python bytecode that "
            f"Python {sys.version_info.major}.{sys.version_info.minor} cannot read ({e}); "
            f"bytecode loads only in the Python version that wrote it. Rebuild the layer "
            f"from code.") from None
    if not isinstance(code, types.CodeType):
        raise ValueError(f"The stored `{arg_name}` of a Lambda layer is not Python code.")
    namespace = {"__builtins__": builtins, "keras": ember.keras, "tf": ember, "np": np}
    ops = getattr(ember.keras, "ops", None)
    if ops is not None:
        namespace["ops"] = ops
    namespace.update(custom_objects or {})
    defaults = config.get("defaults")
    closure = config.get("closure")
    cells = tuple(types.CellType(v) for v in closure) if closure else None
    fn = types.FunctionType(code, namespace, code.co_name,
                            tuple(defaults) if defaults else None, cells)
    fn._keras_lambda_config = dict(config)
    return fn


# -- function (de)serialization ------------------------------------------------------------
def _serialize_function(fn, arg_name):
    registered = _ser._GLOBAL_CUSTOM_NAMES.get(fn) if _hashable(fn) else None
    if registered:
        return {"module": getattr(fn, "__module__", None), "class_name": "function",
                "config": registered, "registered_name": registered}
    if _is_lambda(fn):
        stored = getattr(fn, "_keras_lambda_config", None)
        return {"class_name": "__lambda__",
                "config": stored if stored is not None else _lambda_config(fn, arg_name)}
    if inspect.isfunction(fn) or inspect.isbuiltin(fn):
        if "<locals>" in getattr(fn, "__qualname__", ""):
            raise ValueError(
                f"Cannot serialize the function {fn.__qualname__} passed as `{arg_name}` of "
                f"a Lambda layer: it is defined inside another function and cannot be found "
                f"again by name. Define it at module level (and register it with "
                f"@keras.saving.register_keras_serializable()).")
        return {"module": fn.__module__, "class_name": "function", "config": fn.__name__,
                "registered_name": fn.__name__}
    if hasattr(fn, "get_config"):
        return _ser.serialize_keras_object(fn)
    raise ValueError(f"Cannot serialize {fn!r} passed as `{arg_name}` of a Lambda layer: "
                     f"expected a function, a lambda or an object with get_config().")


def _deserialize_function(config, arg_name, custom_objects, safe_mode):
    if isinstance(config, str):
        config = {"class_name": "function", "config": config, "registered_name": config}
    if not isinstance(config, dict):
        return config
    if config.get("class_name") == "__lambda__":
        return _load_lambda(config.get("config", {}), arg_name, custom_objects, safe_mode)
    if config.get("class_name") != "function":
        with _ser.CustomObjectScope(custom_objects or {}):
            return _ser.deserialize_keras_object(config, custom_objects=custom_objects,
                                                 printable_module_name="Lambda " + arg_name)
    names = [n for n in (config.get("registered_name"), config.get("config")) if n]
    for name in names:
        obj = _lookup(name, custom_objects)
        if obj is not None:
            return obj
    module = config.get("module")
    if _safe_module(module):
        try:
            obj = getattr(importlib.import_module(module), config.get("config"), None)
        except ImportError:
            obj = None
        if obj is not None:
            return obj
    name = names[0] if names else "?"
    raise ValueError(f"Could not locate function '{name}' (module {module!r}) for the "
                     f"`{arg_name}` of a Lambda layer. Pass it in "
                     f"`custom_objects={{'{name}': {name}}}` or decorate it with "
                     f"@keras.saving.register_keras_serializable().")


def _serialize_arguments(arguments):
    def convert(v):
        if isinstance(v, ember.Tensor):
            return {"class_name": "__tensor__",
                    "config": {"value": np.asarray(v.numpy()).tolist(), "dtype": v.dtype.name}}
        if isinstance(v, np.ndarray):
            return {"class_name": "__numpy__",
                    "config": {"value": v.tolist(), "dtype": v.dtype.name}}
        if isinstance(v, dict):
            return {k: convert(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [convert(x) for x in v]
        if callable(v) and not hasattr(v, "get_config"):
            return _serialize_function(v, "arguments")
        return _ser.serialize_keras_object(v)
    return {k: convert(v) for k, v in arguments.items()}


def _deserialize_arguments(arguments, custom_objects, safe_mode):
    def convert(v):
        if isinstance(v, dict):
            kind = v.get("class_name")
            if kind == "__tensor__":
                return ember.constant(np.asarray(v["config"]["value"],
                                                 dtype=ember.as_dtype(v["config"]["dtype"]).np))
            if kind == "__numpy__":
                return np.asarray(v["config"]["value"], dtype=v["config"]["dtype"])
            if kind in ("function", "__lambda__"):
                return _deserialize_function(v, "arguments", custom_objects, safe_mode)
            if kind is not None and "config" in v:
                with _ser.CustomObjectScope(custom_objects or {}):
                    return _ser.deserialize_keras_object(v, custom_objects=custom_objects)
            return {k: convert(x) for k, x in v.items()}
        if isinstance(v, list):
            return [convert(x) for x in v]
        return v
    return {k: convert(v) for k, v in (arguments or {}).items()}


def _is_shape_tuple(shape):
    return isinstance(shape, (list, tuple)) and all(
        d is None or isinstance(d, (int, np.integer)) for d in shape)


class Lambda(Layer):
    """Wraps ``function(inputs, **arguments)`` as a layer. The output shape is inferred by
    tracing the function unless ``output_shape`` (without the batch axis, or a function of
    the input shape) is given.

    >>> layer = Lambda(ember.nn.crelu)
    >>> layer(ember.ones([2, 3])).shape
    TensorShape([2, 6])
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda: `function` must be callable. Received: "
                            f"function={function!r}")
        if arguments is not None and not isinstance(arguments, dict):
            raise TypeError(f"Lambda: `arguments` must be a dict of keyword arguments for "
                            f"the function. Received: arguments={arguments!r}")
        if output_shape is not None and not callable(output_shape):
            if _is_shape_tuple(output_shape):
                output_shape = tuple(None if d is None else int(d) for d in output_shape)
            elif isinstance(output_shape, (list, tuple)) and all(
                    _is_shape_tuple(s) for s in output_shape):
                output_shape = [tuple(s) for s in output_shape]
            else:
                raise TypeError(f"Lambda: `output_shape` must be a shape tuple, a list of "
                                f"shape tuples or a function. Received: "
                                f"output_shape={output_shape!r}")
        self.function = function
        self.arguments = dict(arguments or {})
        self.mask = mask
        self.supports_masking = mask is not None
        self._output_shape = output_shape
        try:
            params = inspect.signature(function).parameters
        except (TypeError, ValueError):
            params = {}
        self._fn_expects_training_arg = "training" in params
        self._fn_expects_mask_arg = "mask" in params

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        if self._fn_expects_mask_arg:
            kwargs["mask"] = mask
        if self._fn_expects_training_arg:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            try:
                return super().compute_output_shape(input_shape)
            except Exception as e:
                raise NotImplementedError(
                    f"We could not automatically infer the shape of the Lambda's output "
                    f"({type(e).__name__}: {e}). Please specify the `output_shape` argument "
                    f"for this Lambda layer.") from e
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        flat = ember.nest.flatten(input_shape) if not _is_shape_tuple(input_shape) else \
            list(input_shape)
        batch = flat[0] if flat else None
        if isinstance(self._output_shape, list):
            return [(batch,) + s for s in self._output_shape]
        return (batch,) + self._output_shape

    def compute_mask(self, inputs, mask=None):
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def get_config(self):
        config = super().get_config()
        config["function"] = _serialize_function(self.function, "function")
        if self._output_shape is not None:
            config["output_shape"] = _serialize_function(self._output_shape, "output_shape") \
                if callable(self._output_shape) else (
                    [list(s) for s in self._output_shape]
                    if isinstance(self._output_shape, list) else list(self._output_shape))
        if self.mask is not None:
            config["mask"] = _serialize_function(self.mask, "mask") if callable(self.mask) \
                else _serialize_arguments({"mask": self.mask})["mask"]
        config["arguments"] = _serialize_arguments(self.arguments)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=None):
        """Rebuilds a Lambda; named functions are looked up in ``custom_objects``, the
        registry and ember's modules; Python lambdas need ``safe_mode=False``."""
        config = dict(config)
        config["function"] = _deserialize_function(config["function"], "function",
                                                   custom_objects, safe_mode)
        shape = config.get("output_shape")
        if isinstance(shape, (dict, str)):
            config["output_shape"] = _deserialize_function(shape, "output_shape",
                                                           custom_objects, safe_mode)
        elif isinstance(shape, list):
            config["output_shape"] = [tuple(s) for s in shape] if shape and \
                isinstance(shape[0], list) else tuple(shape)
        mask = config.get("mask")
        if isinstance(mask, dict) and mask.get("class_name") in ("function", "__lambda__"):
            config["mask"] = _deserialize_function(mask, "mask", custom_objects, safe_mode)
        elif mask is not None:
            config["mask"] = _deserialize_arguments({"mask": mask}, custom_objects,
                                                    safe_mode)["mask"]
        config["arguments"] = _deserialize_arguments(config.get("arguments"), custom_objects,
                                                     safe_mode)
        return cls(**config)
