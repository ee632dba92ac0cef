"""ember.compat.v1: TensorFlow 1 style graphs, placeholders and Sessions.

    import ember.compat.v1 as tf
    tf.disable_eager_execution()
    x = tf.placeholder(tf.float32, [None, 784])
    ...
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train_step, feed_dict={x: batch_xs, y_: batch_ys})

Everything in ``ember``'s top-level namespace is here too, plus the TF1-only names.
"""
from __future__ import annotations

import builtins
import contextlib
import threading as _threading
import importlib as _importlib

import numpy as np

import ember as _ember
from ember import *  # noqa: F401,F403
from ember import dtypes, errors, linalg, math, nest, random, test  # noqa: F401
from ember.compat.v1.session import InteractiveSession, Session, get_default_session  # noqa
from ember.engine import graph as _graph_mod
from ember.ops import framework_ops as _framework_ops
from ember.framework.context import context as _context
from ember.framework.context import settings as _settings
from ember.engine.graph import Graph, Operation  # noqa: F401
from ember.framework.tensor import convert_to_tensor as _convert
from ember.framework.variables import Variable  # noqa: F401

_default_graph = Graph()

AUTO_REUSE = "auto_reuse"


# --------------------------------------------------------------------- execution mode ---

def disable_eager_execution():
    """From now on ops build the default graph instead of running (TF1 behaviour)."""
    _settings.eager_default = False
    _settings.default_graph = _default_graph      # also the graph of threads started later
    if _context.graph is None:
        _context.graph = _default_graph


def enable_eager_execution(config=None, device_policy=None, execution_mode=None):
    _settings.eager_default = True
    _settings.default_graph = None
    if _context.graph is _default_graph:
        _context.graph = None


disable_v2_behavior = disable_eager_execution
enable_v2_behavior = enable_eager_execution


def executing_eagerly():
    return _context.graph is None and _settings.eager_default


def get_default_graph():
    g = _context.graph
    if g is not None and not g.is_function_graph:
        return g
    return _default_graph


def reset_default_graph():
    """Replaces the global default graph with a new, empty one."""
    global _default_graph
    if _context.graph is not None and _context.graph is not _default_graph:
        raise AssertionError("Do not use tf.reset_default_graph() to clear nested graphs.")
    old = _default_graph
    _default_graph = Graph()
    if _settings.default_graph is old:
        _settings.default_graph = _default_graph
    if _context.graph is old:
        _context.graph = _default_graph


def _building_graph(what):
    g = _context.graph
    if g is None:
        raise RuntimeError(f"tf.{what}() is not compatible with eager execution. Call "
                           f"ember.compat.v1.disable_eager_execution() first, or build inside "
                           f"`with tf.Graph().as_default():`.")
    return g


def placeholder(dtype, shape=None, name=None):
    """A graph input to be fed through ``Session.run(..., feed_dict={placeholder: value})``."""
    return _building_graph("placeholder").placeholder(dtype, shape, name or "Placeholder")


def placeholder_with_default(input, shape, name=None):  # noqa: A002
    return _ember.identity(input, name=name)


# -------------------------------------------------------------------------- variables ---

def global_variables(scope=None):
    return get_default_graph().get_collection("variables", scope)


def trainable_variables(scope=None):
    g = _context.graph
    if g is None and _settings.eager_default:
        return []
    return get_default_graph().get_collection("trainable_variables", scope)


all_variables = global_variables


def local_variables(scope=None):
    return get_default_graph().get_collection("local_variables", scope)


def variables_initializer(var_list, name="init"):
    """One operation that runs the initializers of ``var_list``."""
    from ember.ops.control_flow_ops import group
    return group(*[v.initializer for v in var_list if v.initializer is not None], name=name)


def global_variables_initializer():
    return variables_initializer(global_variables())


def local_variables_initializer():
    return variables_initializer(local_variables(), name="init_local")


initialize_all_variables = global_variables_initializer


def is_variable_initialized(variable):
    return _ember.constant(variable._array is not None)


_var_scope_state = _threading.local()


def _var_scopes():
    """This thread's stack of open variable scopes (per thread, as in TensorFlow)."""
    stack = getattr(_var_scope_state, "stack", None)
    if stack is None:
        stack = _var_scope_state.stack = []
    return stack


@contextlib.contextmanager
def variable_scope(name_or_scope, default_name=None, values=None, initializer=None,
                   regularizer=None, reuse=None, dtype=None, **kwargs):
    """Prefixes variable names made by get_variable; ``reuse`` returns existing ones."""
    name = name_or_scope if isinstance(name_or_scope, str) else (
        getattr(name_or_scope, "name", None) or default_name)
    parent_reuse = _var_scopes()[-1]["reuse"] if _var_scopes() else None
    _var_scopes().append({"name": name, "reuse": reuse if reuse is not None else parent_reuse,
                         "initializer": initializer})
    g = _context.graph
    try:
        if g is not None:
            with g.name_scope(name):
                yield _ScopeInfo(name)
        else:
            yield _ScopeInfo(name)
    finally:
        _var_scopes().pop()


class _ScopeInfo:
    def __init__(self, name):
        self.name = name

    def reuse_variables(self):
        if _var_scopes():
            _var_scopes()[-1]["reuse"] = True


def get_variable_scope():
    return _ScopeInfo("/".join(s["name"] for s in _var_scopes() if s["name"]))


def get_variable(name, shape=None, dtype=None, initializer=None, regularizer=None,
                 trainable=True, collections=None, **kwargs):
    """The variable ``scope/name``: created with ``initializer`` (Glorot uniform for
    floats, zeros otherwise) or, under ``reuse``, the existing one."""
    full = "/".join([s["name"] for s in _var_scopes() if s["name"]] + [name])
    g = get_default_graph()
    registry = g.__dict__.setdefault("_v1_variables", {})
    reuse = _var_scopes()[-1]["reuse"] if _var_scopes() else None
    if full in registry:
        if reuse in (True, AUTO_REUSE):
            return registry[full]
        raise ValueError(f"Variable {full} already exists, disallowed. Did you mean to set "
                         f"reuse=True or reuse=tf.AUTO_REUSE in VarScope?")
    if reuse is True:
        raise ValueError(f"Variable {full} does not exist, or was not created with "
                         f"tf.get_variable(). Did you mean to set reuse=tf.AUTO_REUSE?")
    dtype = _ember.as_dtype(dtype or "float32")
    if initializer is None and _var_scopes() and _var_scopes()[-1]["initializer"] is not None:
        initializer = _var_scopes()[-1]["initializer"]
    if initializer is None:
        initializer = glorot_uniform_initializer() if dtype.is_floating else \
            zeros_initializer()
    if callable(initializer) and not isinstance(initializer, (np.ndarray, _ember.Tensor)):
        value = lambda: initializer(list(shape), dtype=dtype)  # noqa: E731
    else:
        value = initializer
    saved_scope, g._scope = g._scope, []     # `full` already holds the variable scope
    try:
        v = Variable(value, trainable=trainable, name=full, dtype=dtype)
    finally:
        g._scope = saved_scope
    registry[full] = v
    if regularizer is not None:
        g.add_to_collection("regularization_losses", regularizer(v))
    return v


# ---------------------------------------------------------------------- initializers ---

def zeros_initializer(dtype=None):
    return lambda shape, dtype=dtype or "float32", **kw: _ember.zeros(shape, dtype)


def ones_initializer(dtype=None):
    return lambda shape, dtype=dtype or "float32", **kw: _ember.ones(shape, dtype)


def constant_initializer(value=0, dtype=None):
    def init(shape, dtype=dtype or "float32", **kw):
        arr = np.asarray(value)
        if arr.size == 1:
            return _ember.fill(shape, _ember.cast(_ember.constant(arr.reshape(())), dtype))
        return _ember.constant(arr.reshape(shape), dtype=dtype)
    return init


def random_normal_initializer(mean=0.0, stddev=1.0, seed=None, dtype=None):
    return lambda shape, dtype=dtype or "float32", **kw: _ember.random.normal(
        shape, mean, stddev, dtype=dtype, seed=seed)


def truncated_normal_initializer(mean=0.0, stddev=1.0, seed=None, dtype=None):
    return lambda shape, dtype=dtype or "float32", **kw: _ember.random.truncated_normal(
        shape, mean, stddev, dtype=dtype, seed=seed)


def random_uniform_initializer(minval=0.0, maxval=None, seed=None, dtype=None):
    return lambda shape, dtype=dtype or "float32", **kw: _ember.random.uniform(
        shape, minval, 1.0 if maxval is None else maxval, dtype=dtype, seed=seed)


def glorot_uniform_initializer(seed=None, dtype=None):
    def init(shape, dtype=dtype or "float32", **kw):
        fan_in, fan_out = _fans(shape)
        limit = float(np.sqrt(6.0 / max(1.0, fan_in + fan_out)))
        return _ember.random.uniform(shape, -limit, limit, dtype=dtype, seed=seed)
    return init


def glorot_normal_initializer(seed=None, dtype=None):
    def init(shape, dtype=dtype or "float32", **kw):
        fan_in, fan_out = _fans(shape)
        std = float(np.sqrt(2.0 / max(1.0, fan_in + fan_out))) / 0.87962566103423978
        return _ember.random.truncated_normal(shape, 0.0, std, dtype=dtype, seed=seed)
    return init


def _fans(shape):
    shape = list(shape)
    if len(shape) < 1:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    receptive = float(np.prod(shape[:-2])) if len(shape) > 2 else 1.0
    return shape[-2] * receptive, shape[-1] * receptive


# ------------------------------------------------------------------------- gradients ---

def gradients(ys, xs, grad_ys=None, name="gradients", stop_gradients=None,
              unconnected_gradients="none", **kwargs):
    """Symbolic gradients of ``sum(ys)`` with respect to each of ``xs`` (tensors or
    variables), added to the graph; None where unconnected."""
    _building_graph("gradients")
    return _framework_ops.gradients(ys, xs, grad_ys, name, stop_gradients=stop_gradients,
                                    unconnected_gradients=unconnected_gradients)


# ---------------------------------------------------------------- TF1-spelled ops ---

def _v1_reduce(fn):
    def reduce(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None,
               keep_dims=None):
        if axis is None:
            axis = reduction_indices
        keep = keepdims if keepdims is not None else builtins.bool(keep_dims)
        return fn(input_tensor, axis=axis, keepdims=keep, name=name)
    reduce.__name__ = fn.__name__
    reduce.__doc__ = fn.__doc__
    return reduce


reduce_sum = _v1_reduce(_ember.reduce_sum)
reduce_mean = _v1_reduce(_ember.reduce_mean)
reduce_max = _v1_reduce(_ember.reduce_max)
reduce_min = _v1_reduce(_ember.reduce_min)
reduce_prod = _v1_reduce(_ember.reduce_prod)
reduce_any = _v1_reduce(_ember.reduce_any)
reduce_all = _v1_reduce(_ember.reduce_all)
if hasattr(_ember, "reduce_logsumexp"):
    reduce_logsumexp = _v1_reduce(_ember.reduce_logsumexp)


def argmax(input, axis=None, name=None, dimension=None, output_type="int64"):  # noqa: A002
    return _ember.math.argmax(input, axis if axis is not None else (dimension or 0),
                              output_type=output_type)


def argmin(input, axis=None, name=None, dimension=None, output_type="int64"):  # noqa: A002
    return _ember.math.argmin(input, axis if axis is not None else (dimension or 0),
                              output_type=output_type)


def random_normal(shape, mean=0.0, stddev=1.0, dtype="float32", seed=None, name=None):
    return _ember.random.normal(shape, mean, stddev, dtype=dtype, seed=seed)


def random_uniform(shape, minval=0, maxval=None, dtype="float32", seed=None, name=None):
    return _ember.random.uniform(shape, minval, maxval, dtype=dtype, seed=seed)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype="float32", seed=None, name=None):
    return _ember.random.truncated_normal(shape, mean, stddev, dtype=dtype, seed=seed)


def set_random_seed(seed):
    """Sets the graph-level seed (TF1's name for ``ember.random.set_seed``)."""
    _ember.random.set_seed(seed)
    get_default_graph().seed = seed


def to_float(x, name="ToFloat"):
    return _ember.cast(x, "float32")


def to_int32(x, name="ToInt32"):
    return _ember.cast(x, "int32")


def to_int64(x, name="ToInt64"):
    return _ember.cast(x, "int64")


log = _ember.math.log
div = _ember.math.divide
mod = _ember.math.floormod
Dimension = int


def assign(ref, value, validate_shape=None, use_locking=None, name=None):
    return ref.assign(value)


def assign_add(ref, value, use_locking=None, name=None):
    return ref.assign_add(value)


def assign_sub(ref, value, use_locking=None, name=None):
    return ref.assign_sub(value)


def control_dependencies(control_inputs):
    g = _context.graph
    if g is None:
        return contextlib.nullcontext()
    return g.control_dependencies(control_inputs)


def get_collection(key, scope=None):
    return get_default_graph().get_collection(key, scope)


def add_to_collection(name, value):
    get_default_graph().add_to_collection(name, value)


class GraphKeys:
    GLOBAL_VARIABLES = "variables"
    TRAINABLE_VARIABLES = "trainable_variables"
    LOCAL_VARIABLES = "local_variables"
    REGULARIZATION_LOSSES = "regularization_losses"
    UPDATE_OPS = "update_ops"
    LOSSES = "losses"
    GLOBAL_STEP = "global_step"


# The TF1 submodules. ``from ember.compat.v1 import nn`` would return the ``nn`` the star
# import above bound (ember.nn, TF2's) without loading compat/v1/nn.py, so each is loaded
# by its full name and bound here explicitly.
layers = _importlib.import_module("ember.compat.v1.layers")
losses = _importlib.import_module("ember.compat.v1.losses")
nn = _importlib.import_module("ember.compat.v1.nn")
train = _importlib.import_module("ember.compat.v1.train")

name_scope = _graph_mod.name_scope

# TF1's top-level names of string ops, loaded with ember.strings on first use.
_STRING_ALIASES = {
    "as_string": "as_string", "fingerprint": "fingerprint", "reduce_join": "reduce_join",
    "regex_replace": "regex_replace", "string_join": "join", "string_strip": "strip",
    "string_to_hash_bucket": "to_hash_bucket",
    "string_to_hash_bucket_fast": "to_hash_bucket_fast",
    "string_to_hash_bucket_strong": "to_hash_bucket_strong",
    "string_to_number": "to_number", "substr": "substr",
}


from ember.compat.v1.config_pb import (ConfigProto, GPUOptions, GraphOptions,  # noqa: E402,F401
                                       OptimizerOptions, RunMetadata, RunOptions)
from ember.compat.v1.v1_ops import (Print, arg_max, arg_min, colocate_with,  # noqa: E402,F401
                                    container, dimension_at_index, dimension_value, py_func,
                                    random_poisson, scatter_add, scatter_div, scatter_max,
                                    scatter_min, scatter_mul, scatter_nd_add, scatter_nd_sub,
                                    scatter_nd_update, scatter_sub, scatter_update,
                                    sparse_concat, sparse_split, sparse_to_dense, string_split,
                                    to_bfloat16, to_complex64, to_complex128, to_double)

_SUBMODULES = {"summary": "ember.compat.v1.summary", "logging": "ember.compat.v1.logging",
               "graph_util": "ember.compat.v1.graph_util",
               "flags": "ember.compat.v1.flags", "app": "ember.compat.v1.app",
               "metrics": "ember.compat.v1.metrics",
               "initializers": "ember.compat.v1.initializers",
               "strings": "ember.strings", "ragged": "ember.ragged"}


_INITIALIZER_NAMES = {"variance_scaling_initializer": "variance_scaling",
                      "orthogonal_initializer": "orthogonal",
                      "uniform_unit_scaling_initializer": "uniform_unit_scaling",
                      "tables_initializer": "tables_initializer",
                      "initialize_all_tables": "tables_initializer"}


# names TensorFlow 1 has at the top, loaded with their module on first use
_LAZY_NAMES = {"import_graph_def": "ember.compat.v1.graph_import",
               "make_tensor_proto": "ember.compat.v1.tensor_util",
               "make_ndarray": "ember.compat.v1.tensor_util",
               "RegisterGradient": "ember.compat.v1.gradient_override",
               "NotDifferentiable": "ember.compat.v1.gradient_override",
               "variable_creator_scope": "ember.compat.v1.variable_creator",
               "FIFOQueue": "ember.compat.v1.queues",
               "RandomShuffleQueue": "ember.compat.v1.queues",
               "PaddingFIFOQueue": "ember.compat.v1.queues",
               "QueueBase": "ember.compat.v1.queues",
               "start_queue_runners": "ember.compat.v1.queue_runner"}


# TensorFlow's protocol messages TF1 code builds directly (graph_def = tf.GraphDef(); ...)
_PROTOS = {"GraphDef": "graph_pb2", "NodeDef": "node_def_pb2", "AttrValue": "attr_value_pb2",
           "TensorProto": "tensor_pb2", "TensorShapeProto": "tensor_shape_pb2",
           "MetaGraphDef": "meta_graph_pb2", "VariableDef": "variable_pb2"}


def __getattr__(name):
    import importlib
    if name in _PROTOS:
        from ember.compat.v1.tensor_util import protos
        return getattr(getattr(protos(), _PROTOS[name]), name)
    if name in _LAZY_NAMES:
        return getattr(importlib.import_module(_LAZY_NAMES[name]), name)
    if name in _INITIALIZER_NAMES:
        return getattr(importlib.import_module("ember.compat.v1.initializers"),
                       _INITIALIZER_NAMES[name])
    if name in _SUBMODULES:
        return importlib.import_module(_SUBMODULES[name])
    if name in _STRING_ALIASES:
        return getattr(importlib.import_module("ember.strings"), _STRING_ALIASES[name])
    from ember.compat.v1 import v1_ops
    found = v1_ops.resolve(name)
    if found is not None:
        return found
    if not name.startswith("_") and hasattr(_ember, name):   # TF2 names added since
        return getattr(_ember, name)
    raise AttributeError(f"module 'ember.compat.v1' has no attribute {name!r}")
