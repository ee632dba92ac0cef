"""Layer: the base of every Keras layer and model.

A layer owns weights (``add_weight``), builds itself on first call from the input shape,
tracks sub-layers and variables assigned as attributes, and captures its constructor
arguments so ``get_config`` works for subclasses without boilerplate.
"""
from __future__ import annotations

import contextlib
import inspect
import re

import numpy as np

import ember
from ember.framework.tensor import EagerTensor, Tensor
from ember.framework.tensor_shape import TensorShape
from ember.framework.variables import StatelessScope, current_stateless_scope
from ember.keras import backend, dtype_policies
from ember.keras.variables import AutocastVariable

__all__ = ["Layer", "InputSpec"]


def to_snake_case(name):
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    s = re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()
    return s


class InputSpec:
    """What a layer accepts: rank (``ndim``/``min_ndim``/``max_ndim``), ``axes``
    (axis -> required size), ``shape`` and ``dtype``."""

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None,
                 axes=None, allow_last_axis_squeeze=False, name=None):
        self.dtype = dtype
        self.shape = tuple(shape) if shape is not None else None
        self.ndim = len(shape) if shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.axes = dict(axes or {})
        self.name = name

    def get_config(self):
        return {"dtype": self.dtype, "shape": self.shape, "ndim": self.ndim,
                "max_ndim": self.max_ndim, "min_ndim": self.min_ndim,
                "axes": dict(self.axes)}


def _shape_text(shape):
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def check_input_spec(layer, specs, inputs):
    if specs is None:
        return
    specs = specs if isinstance(specs, (list, tuple)) else [specs]
    flat = [inputs] if type(inputs) is EagerTensor else ember.nest.flatten(inputs)
    for i, (spec, x) in enumerate(zip(specs, flat)):
        if spec is None or not hasattr(x, "shape"):
            continue
        if type(x) is EagerTensor:
            shape = x._value.shape
        else:
            shape = tuple(x.shape.as_list()) if isinstance(x.shape, TensorShape) and \
                x.shape.rank is not None else tuple(x.shape) if not isinstance(
                    x.shape, TensorShape) else None
            if shape is None:
                continue
        prefix = f'Input {i} of layer "{layer.name}" is incompatible with the layer: '
        if spec.ndim is not None and len(shape) != spec.ndim:
            raise ValueError(f"{prefix}expected ndim={spec.ndim}, found ndim={len(shape)}. "
                             f"Full shape received: {_shape_text(shape)}")
        if spec.min_ndim is not None and len(shape) < spec.min_ndim:
            raise ValueError(f"{prefix}expected min_ndim={spec.min_ndim}, found "
                             f"ndim={len(shape)}. Full shape received: {_shape_text(shape)}")
        if spec.max_ndim is not None and len(shape) > spec.max_ndim:
            raise ValueError(f"{prefix}expected max_ndim={spec.max_ndim}, found "
                             f"ndim={len(shape)}. Full shape received: {_shape_text(shape)}")
        for axis, value in spec.axes.items():
            if value is None:
                continue
            try:
                got = shape[axis]
            except IndexError:
                got = None
            if got is not None and got != value:
                raise ValueError(f"{prefix}expected axis {axis} of input shape to have value "
                                 f"{value}, but received input with shape "
                                 f"{_shape_text(shape)}")
        if spec.shape is not None:
            for want, got in zip(spec.shape, shape):
                if want is not None and got is not None and want != got:
                    raise ValueError(f"{prefix}expected shape={_shape_text(spec.shape)}, "
                                     f"found shape={_shape_text(shape)}")


_CALL_ARGS_CACHE = {}
_CALL_DEPTH = 0      # nesting of Layer.__call__ (the outermost call resets losses)


def _call_signature(cls):
    """(accepts training, accepts mask, accepts **kwargs, names ``mask``) for ``cls.call``;
    cached."""
    info = _CALL_ARGS_CACHE.get(cls)
    if info is None:
        params = inspect.signature(cls.call).parameters
        var_kw = any(p.kind == p.VAR_KEYWORD for p in params.values())
        info = ("training" in params or var_kw, "mask" in params or var_kw, var_kw,
                "mask" in params)
        _CALL_ARGS_CACHE[cls] = info
    return info


class Layer:
    """Base class of layers: weights, build-on-first-call, config, sub-layer tracking.

    Subclasses implement ``build(input_shape)`` (create weights with ``add_weight``) and
    ``call(inputs, training=None, mask=None)``.

    >>> class Scale(ember.keras.layers.Layer):
    ...     def build(self, input_shape):
    ...         self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")
    ...     def call(self, x):
    ...         return x * self.w
    """

    _convert_input_args = True

    def __new__(cls, *args, **kwargs):
        obj = super().__new__(cls)
        try:
            bound = inspect.signature(cls.__init__).bind(None, *args, **kwargs)
            cfg = dict(bound.arguments)
            cfg.pop("self", None)
            extra = cfg.pop("kwargs", None)
            for name, p in inspect.signature(cls.__init__).parameters.items():
                if p.kind == p.VAR_KEYWORD and name in cfg:
                    extra = cfg.pop(name)
                if p.kind == p.VAR_POSITIONAL and name in cfg:
                    cfg.pop(name)
            if extra:
                cfg.update(extra)
        except TypeError:
            cfg = None
        object.__setattr__(obj, "_auto_config", cfg)
        return obj

    def __init__(self, trainable=True, name=None, dtype=None, autocast=True,
                 input_dim=None, input_shape=None, batch_input_shape=None, batch_size=None,
                 input_length=None, activity_regularizer=None, weights=None, **kwargs):
        known = {"dynamic", "input_spec_", "_build_shapes_dict"}
        unknown = set(kwargs) - known
        if unknown:
            raise TypeError(f"Unrecognized keyword arguments passed to "
                            f"{type(self).__name__}: {sorted(unknown)}")
        object.__setattr__(self, "_tracking", True)
        self._layers = []
        self._trainable_weights = []
        self._non_trainable_weights = []
        self._trainable = bool(trainable)
        self.built = False
        self._name = name or backend.unique_layer_name(to_snake_case(type(self).__name__))
        self._set_dtype_policy(dtype)
        self.autocast = autocast
        self.input_spec = None
        self.supports_masking = False
        self._losses = []
        self._inbound_nodes = []
        self._outbound_nodes = []
        self._output_shape_seen = None   # output shape (batch dim None) of the first call
        self._initial_weights = weights
        from ember.keras import regularizers
        self.activity_regularizer = regularizers.get(activity_regularizer)
        shape = None
        if batch_input_shape is not None:
            shape = tuple(batch_input_shape)
        elif input_shape is not None:
            shape = (batch_size,) + tuple(input_shape)
        elif input_dim is not None:
            shape = (batch_size, input_dim) if input_length is None else \
                (batch_size, input_length, input_dim)
        self._batch_input_shape = shape

    # -- attribute tracking -----------------------------------------------------------
    def __setattr__(self, name, value):
        if getattr(self, "_tracking", False) and not name.startswith("_"):
            self._track(value)
        object.__setattr__(self, name, value)

    def _track(self, value):
        if isinstance(value, Layer):
            if not any(value is l for l in self._layers):
                self._layers.append(value)
        elif getattr(value, "_is_ember_variable", False):
            if not any(value is w for w in self._trainable_weights + self._non_trainable_weights):
                (self._trainable_weights if value.trainable else
                 self._non_trainable_weights).append(value)
        elif isinstance(value, (list, tuple)):
            for v in value:
                if isinstance(v, Layer) or getattr(v, "_is_ember_variable", False) or \
                        isinstance(v, (list, tuple, dict)):
                    self._track(v)
        elif isinstance(value, dict):
            for v in value.values():
                self._track(v)

    # -- identity ---------------------------------------------------------------------
    @property
    def name(self):
        return self._name

    def _set_dtype_policy(self, dtype):
        """The policy from a ``dtype`` argument (None: the global policy); ``_dtype`` is
        the compute dtype, ``_variable_dtype`` the one weights are created in."""
        policy = dtype_policies.get(dtype)
        self._dtype_policy = policy
        self._dtype = policy.compute_dtype
        self._variable_dtype = policy.variable_dtype
        self._mixed = policy.compute_dtype != policy.variable_dtype
        # floating inputs are cast to the compute dtype; models of layers (Functional,
        # Sequential) leave that to their layers and only cast to the variable dtype
        self._input_cast = policy.compute_dtype if self._convert_input_args else \
            policy.variable_dtype

    @property
    def dtype(self):
        """The variable dtype (Keras 3): float32 under the mixed policies."""
        return self._variable_dtype

    @property
    def compute_dtype(self):
        return self._dtype

    @property
    def variable_dtype(self):
        return self._variable_dtype

    @property
    def input_dtype(self):
        """The dtype floating inputs are cast to (the compute dtype)."""
        return self._dtype

    @property
    def dtype_policy(self):
        """The layer's ``keras.DTypePolicy``."""
        return self._dtype_policy

    @dtype_policy.setter
    def dtype_policy(self, value):
        self._set_dtype_policy(value)

    def _dtype_config(self):
        """``dtype`` as get_config writes it: the dtype's name, or the serialized policy
        for a mixed one (which a name cannot describe)."""
        if self._mixed:
            return dtype_policies.serialize(self._dtype_policy)
        return self._dtype

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        value = bool(value)
        self._trainable = value
        for layer in self._layers:
            layer.trainable = value

    @property
    def layers(self):
        return list(self._layers)

    def _flatten_layers(self, include_self=True, recursive=True):
        seen = set()
        out = []

        def visit(layer, top):
            if id(layer) in seen:
                return
            seen.add(id(layer))
            if include_self or not top:
                out.append(layer)
            if recursive or top:
                for sub in layer._layers:
                    visit(sub, False)
        visit(self, True)
        return out

    # -- weights ----------------------------------------------------------------------
    def add_weight(self, shape=None, initializer=None, dtype=None, trainable=True,
                   autocast=True, regularizer=None, constraint=None, aggregation="none",
                   synchronization="auto", name=None, **kwargs):
        """Creates and tracks a weight variable (Glorot uniform for float kernels by
        default, zeros otherwise)."""
        from ember.keras import constraints, initializers, regularizers
        shape = () if shape is None else tuple(int(d) for d in shape)
        dtype = backend.standardize_dtype(dtype) if dtype is not None else \
            self._variable_dtype
        if initializer is None:
            initializer = "glorot_uniform" if ember.as_dtype(dtype).is_floating else "zeros"
        init = initializers.get(initializer)
        with ember.init_scope():
            value = init(shape, dtype=dtype)
        if self._mixed and autocast:
            var = AutocastVariable(value, trainable=trainable, name=name or "variable",
                                   dtype=dtype)
        else:
            var = ember.Variable(value, trainable=trainable, name=name or "variable",
                                 dtype=dtype)
        var.regularizer = regularizers.get(regularizer)
        var.constraint_fn = constraints.get(constraint)
        var.path = f"{self.name}/{name or 'variable'}"
        (self._trainable_weights if trainable else self._non_trainable_weights).append(var)
        return var

    @property
    def trainable_weights(self):
        if not self._trainable:
            return []
        out = [v for v in self._trainable_weights if v.trainable]
        for layer in self._layers:
            out.extend(layer.trainable_weights)
        return _dedupe(out)

    @property
    def non_trainable_weights(self):
        if not self._trainable:
            out = list(self._trainable_weights) + list(self._non_trainable_weights)
            for layer in self._layers:
                out.extend(layer.weights)
            return _dedupe(out)
        # a weight frozen after its creation (variable.trainable = False, LoRA) keeps its
        # place in ``weights`` and counts as non-trainable, as in Keras
        out = [v for v in self._trainable_weights if not v.trainable] + \
            list(self._non_trainable_weights)
        for layer in self._layers:
            out.extend(layer.non_trainable_weights)
        return _dedupe(out)

    @property
    def weights(self):
        out = list(self._trainable_weights) + list(self._non_trainable_weights)
        for layer in self._layers:
            out.extend(layer.weights)
        return _dedupe(out)

    variables = weights

    @property
    def trainable_variables(self):
        return self.trainable_weights

    @property
    def non_trainable_variables(self):
        return self.non_trainable_weights

    def get_weights(self):
        """The weights' values as NumPy arrays, in ``weights`` order."""
        return [v.numpy() for v in self.weights]

    def set_weights(self, weights):
        params = self.weights
        if len(params) != len(weights):
            raise ValueError(
                f"You called `set_weights(weights)` on layer '{self.name}' with a weight list "
                f"of length {len(weights)}, but the layer was expecting {len(params)} "
                f"weights.")
        for v, w in zip(params, weights):
            w = np.asarray(w)
            if tuple(v.shape.as_list()) != w.shape:
                raise ValueError(
                    f"Layer {self.name} weight shape {tuple(v.shape.as_list())} is not "
                    f"compatible with provided weight shape {w.shape}.")
            v.assign(w.astype(v.dtype.np))

    def count_params(self):
        if not self.built:
            raise ValueError(f"You tried to call `count_params` on layer '{self.name}', but "
                             f"the layer isn't built. You can build it manually via: "
                             f"`layer.build(input_shape)`.")
        return int(sum(np.prod(v.shape.as_list(), dtype=np.int64) for v in self.weights))

    # -- losses -----------------------------------------------------------------------
    def add_loss(self, loss):
        scope = current_stateless_scope()
        if scope is not None and getattr(scope, "collect_losses", False):
            scope.add_loss(loss)      # keras.StatelessScope(collect_losses=True)
            return
        self._losses.append(loss)

    @property
    def losses(self):
        """Regularization penalties of the weights plus losses added during the last call."""
        out = []
        for layer in self._flatten_layers():
            out.extend(layer._losses)
            for v in layer._trainable_weights + layer._non_trainable_weights:
                reg = getattr(v, "regularizer", None)
                if reg is not None:
                    out.append(reg(v))
        return out

    def _clear_losses(self):
        for layer in self._flatten_layers():
            layer._losses = []

    # -- building and calling ---------------------------------------------------------
    def build(self, input_shape=None):
        self.built = True

    def _maybe_build(self, inputs):
        if self.built:
            return
        shapes = ember.nest.map_structure(
            lambda t: tuple(t.shape.as_list()) if hasattr(t, "shape") and
            isinstance(t.shape, TensorShape) and t.shape.rank is not None else
            (tuple(np.shape(t)) if not hasattr(t, "shape") else tuple(t.shape)), inputs)
        if isinstance(shapes, list) and not isinstance(inputs, dict):
            shapes = list(shapes)
        with ember.init_scope():
            self.build(shapes)
        self.built = True
        self._build_shapes = shapes
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def call(self, inputs, *args, **kwargs):
        return inputs

    def __call__(self, inputs, *args, **kwargs):
        if type(inputs) is not EagerTensor:
            from ember.keras.keras_tensor import any_keras_tensor, call_symbolically
            if any_keras_tensor(inputs):
                return call_symbolically(self, inputs, args, kwargs)
        global _CALL_DEPTH
        if _CALL_DEPTH == 0:
            self._clear_losses()    # losses describe the latest outermost call only
        _CALL_DEPTH += 1
        try:
            if not self._mixed and dtype_policies.autocast_dtype() is None:
                return self._call_inner(inputs, args, kwargs)
            with self._autocast_scope():
                return self._call_inner(inputs, args, kwargs)
        finally:
            _CALL_DEPTH -= 1

    def _autocast_scope(self):
        """The autocast scope this layer's call runs in (Keras 3's rule): a mixed layer
        reads float variables in its compute dtype, a layer called inside one in its own
        compute dtype, or as stored when it does not autocast."""
        scope = dtype_policies.autocast_dtype()
        if scope is None and not self._mixed:
            return contextlib.nullcontext()
        target = self._dtype if self.autocast and \
            ember.as_dtype(self._dtype).is_floating else None
        if target == scope:
            return contextlib.nullcontext()
        return dtype_policies.autocast_scope(target)

    def _call_inner(self, inputs, args, kwargs):
        inputs = self._convert_inputs(inputs)
        if not self.built:
            check_input_spec(self, self.input_spec, inputs)
            self._maybe_build(inputs)
        if self.input_spec is not None:
            check_input_spec(self, self.input_spec, inputs)
        accepts_training, accepts_mask, _, names_mask = _CALL_ARGS_CACHE.get(type(self)) or \
            _call_signature(type(self))
        previous_mask = input_masks(inputs)
        if kwargs:
            if not accepts_training:
                kwargs.pop("training", None)
            elif "training" in kwargs and kwargs["training"] is None:
                kwargs.pop("training")
            if not accepts_mask:
                kwargs.pop("mask", None)
            elif kwargs.get("mask") is not None:
                previous_mask = kwargs["mask"]
        if previous_mask is not None and names_mask and kwargs.get("mask") is None:
            kwargs["mask"] = previous_mask
        outputs = self.call(inputs, *args, **kwargs)
        if self.supports_masking or type(self).compute_mask is not Layer.compute_mask:
            set_output_masks(self, inputs, outputs, previous_mask)
        if self._output_shape_seen is None:
            self._output_shape_seen = ember.nest.map_structure(
                lambda t: (None,) + tuple(t.shape.as_list()[1:]) if isinstance(t, Tensor) and
                t.shape.rank else None, outputs)
        if self.activity_regularizer is not None:
            for o in ember.nest.flatten(outputs):
                self.add_loss(self.activity_regularizer(o))
        return outputs

    def _convert_inputs(self, inputs):
        if type(inputs) is EagerTensor:
            if self.autocast and inputs._value.dtype.kind in "fV" and \
                    inputs.dtype.name != self._input_cast and \
                    ember.as_dtype(self._input_cast).is_floating:
                return ember.cast(inputs, self._input_cast)
            return inputs

        def convert(x):
            if isinstance(x, np.ndarray) or isinstance(x, (float, int, list)):
                arr = np.asarray(x)
                if self.autocast and (arr.dtype.kind == "f" or arr.dtype.name == "bfloat16"):
                    target = self._input_cast
                    if ember.as_dtype(target).is_floating:
                        arr = arr.astype(ember.as_dtype(target).np)
                return ember.constant(arr)
            if isinstance(x, Tensor) and self.autocast and x.dtype.is_floating and \
                    x.dtype.name != self._input_cast and \
                    ember.as_dtype(self._input_cast).is_floating:
                return ember.cast(x, self._input_cast)
            return x
        if isinstance(inputs, (list, tuple, dict)):
            return ember.nest.map_structure(convert, inputs)
        return convert(inputs)

    def compute_mask(self, inputs, mask=None):
        """The mask of this layer's outputs given its inputs' ``mask``: the input mask
        itself for layers that support masking, None otherwise."""
        return mask if self.supports_masking else None

    def compute_output_shape(self, input_shape):
        """Output shape for ``input_shape`` (traced with the layer's own ops)."""
        from ember.keras.models.model import _specs_for_shapes
        out = call_output_spec(self, _specs_for_shapes(input_shape, self._dtype))
        return ember.nest.map_structure(lambda t: tuple(t.shape.as_list()), out)

    def compute_output_spec(self, *args, **kwargs):
        return call_output_spec(self, *args, **kwargs)

    # -- serialization ----------------------------------------------------------------
    def get_config(self):
        base = {"name": self.name, "trainable": self.trainable, "dtype": self._dtype_config()}
        if self._batch_input_shape is not None:
            base["batch_input_shape"] = self._batch_input_shape
        if type(self).get_config is not Layer.get_config:
            return base
        return self._constructor_config(base)

    def _constructor_config(self, base):
        """``base`` plus the captured constructor arguments, serialized."""
        auto = self._auto_config
        if auto is None:
            raise NotImplementedError(
                f"Layer {type(self).__name__} could not capture its constructor arguments; "
                f"override get_config().")
        from ember.keras.saving.serialization import serialize_keras_object
        cfg = dict(base)
        for k, v in auto.items():
            if k in ("input_shape", "input_dim", "batch_size", "batch_input_shape"):
                continue
            try:
                cfg[k] = serialize_keras_object(v)
            except TypeError:
                raise NotImplementedError(
                    f"Layer {type(self).__name__} has a constructor argument {k}={v!r} that "
                    f"cannot be serialized; override get_config().") from None
        return cfg

    @classmethod
    def from_config(cls, config):
        return cls(**_accepted_config(cls, config))

    def _trackable_children(self):
        """What ``tf.train.Checkpoint`` saves of a layer: its own variables (``vars``), then
        the layers, optimizer and containers its attributes hold, named as in Keras weight
        files."""
        from ember.keras.saving.object_paths import children, own_variables
        out = {"vars": own_variables(self)}
        out.update(children(self))
        return out

    def get_build_config(self):
        """``{"input_shape": ...}`` of the first build (Keras stores it in model files so a
        loaded layer can create its weights before they are read); None if unbuilt."""
        shapes = getattr(self, "_build_shapes", None)
        if not self.built or shapes is None:
            return None
        return {"input_shape": ember.nest.map_structure(
            lambda d: d, _shape_lists(shapes))}

    def build_from_config(self, config):
        """Builds the layer from ``get_build_config()`` output."""
        shape = config.get("input_shape") if config else None
        if self.built or shape is None:
            return
        shape = _shape_tuples(shape)
        with ember.init_scope():
            self.build(shape)
        self.built = True
        self._build_shapes = shape

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"

    # -- functional-API bookkeeping -----------------------------------------------------
    @property
    def input(self):
        if not self._inbound_nodes:
            raise AttributeError(f"Layer {self.name} has never been called and thus has no "
                                 f"defined input.")
        return self._inbound_nodes[0].input_structure

    @property
    def output(self):
        if not self._inbound_nodes:
            raise AttributeError(f"Layer {self.name} has no inbound nodes.")
        return self._inbound_nodes[0].output_structure

    @property
    def input_shape(self):
        return ember.nest.map_structure(lambda t: tuple(t.shape.as_list()), self.input)

    @property
    def output_shape(self):
        return ember.nest.map_structure(lambda t: tuple(t.shape.as_list()), self.output)

    # -- Keras 3's state and stateless API --------------------------------------------
    @property
    def path(self):
        """The layer's path, which prefixes its variables' paths (``dense/kernel``)."""
        return self.name

    @property
    def input_dtype(self):
        """The dtype floating-point inputs are converted to before ``call``."""
        return self.compute_dtype

    supports_jit = True       # a layer may set it False (Keras's flag; ember has no XLA)

    @property
    def call_signature_parameters(self):
        """The names of ``call``'s parameters."""
        import inspect
        return [p for p in inspect.signature(self.call).parameters]

    def add_variable(self, shape, initializer, dtype=None, trainable=True, autocast=True,
                     regularizer=None, constraint=None, name=None):
        """``add_weight`` with Keras 3's ``add_variable`` argument order."""
        return self.add_weight(shape=shape, initializer=initializer, dtype=dtype,
                               trainable=trainable, autocast=autocast,
                               regularizer=regularizer, constraint=constraint, name=name)

    def add_metric(self, *args, **kwargs):
        raise NotImplementedError(
            f"Layer {self.name}: add_metric() does not exist in Keras 3. Pass the metric to "
            f"Model.compile(metrics=[...]), or create a metric object in __init__ or build "
            f"and call its update_state() in call or train_step.")

    @property
    def _tracked_metrics(self):
        from ember.keras.metrics import Metric
        out = []
        for value in vars(self).values():
            if isinstance(value, Metric):
                out.append(value)
            elif isinstance(value, (list, tuple)):
                out.extend(v for v in value if isinstance(v, Metric))
        return out

    @property
    def metrics(self):
        """The metric objects this layer and its sublayers hold as attributes."""
        out = []
        for layer in self._flatten_layers():
            out.extend(layer._tracked_metrics)
        return _dedupe(out)

    @property
    def metrics_variables(self):
        """The variables of ``metrics``."""
        return _dedupe([v for m in self.metrics for v in m.variables])

    def _saved_variables(self):
        """The own variables a weights file holds for this layer, in order (LoRA layers
        leave their low-rank pair out)."""
        return self._trainable_weights + self._non_trainable_weights

    def _saved_values(self):
        """The values stored for ``_saved_variables`` (LoRA layers: the merged weight)."""
        return [v.numpy() for v in self._saved_variables()]

    def _after_loading(self):
        """Called once stored values have been assigned (LoRA layers zero their pair)."""

    def save_own_variables(self, store):
        """Puts this layer's own variables (not its sublayers') in ``store`` under
        "0", "1", ... (what a ``.keras`` file holds for the layer)."""
        for i, value in enumerate(self._saved_values()):
            store[str(i)] = value

    def load_own_variables(self, store):
        """Assigns this layer's own variables from ``store`` (``save_own_variables``)."""
        own = self._saved_variables()
        if len(store) != len(own):
            raise ValueError(f"Layer '{self.name}' expected {len(own)} variables, but "
                             f"received {len(store)} variables during loading. Expected: "
                             f"{[v.path.rsplit('/', 1)[-1] for v in own]}")
        for i, v in enumerate(own):
            value = np.asarray(store[str(i)])
            if tuple(v.shape.as_list()) != value.shape:
                raise ValueError(f"Layer '{self.name}': variable {v.path} has shape "
                                 f"{tuple(v.shape.as_list())}, the stored value has shape "
                                 f"{value.shape}")
            v.assign(value.astype(v.dtype.np))
        self._after_loading()

    def stateless_call(self, trainable_variables, non_trainable_variables, *args,
                       return_losses=False, **kwargs):
        """Calls the layer with the given variable values instead of its own, changing no
        variable: returns ``(outputs, non_trainable_variables)`` — the latter the values
        the call left (a BatchNormalization's updated moving statistics) — and, with
        ``return_losses``, the losses the call added.

        >>> outputs, non_trainable = layer.stateless_call(
        ...     [v.numpy() for v in layer.trainable_variables],
        ...     [v.numpy() for v in layer.non_trainable_variables], x, training=True)
        """
        trainable = self.trainable_variables
        non_trainable = self.non_trainable_variables
        for given, own, what in ((trainable_variables, trainable, "trainable_variables"),
                                 (non_trainable_variables, non_trainable,
                                  "non_trainable_variables")):
            if len(given) != len(own):
                raise ValueError(f"{type(self).__name__}.stateless_call: argument `{what}` "
                                 f"must list one value per variable of `{what}`; got "
                                 f"{len(given)} values, expected {len(own)}")
        mapping = list(zip(trainable, trainable_variables)) + \
            list(zip(non_trainable, non_trainable_variables))
        with StatelessScope(mapping) as scope:
            outputs = self(*args, **kwargs)
            losses = list(self.losses) if return_losses else None
            updated = [scope.get_current_value(v) for v in non_trainable]
        if return_losses:
            return outputs, updated, losses
        return outputs, updated

    def rematerialized_call(self, layer_call, *args, **kwargs):
        """``layer_call`` wrapped so its activations are recomputed in the backward pass
        instead of kept (``ember.recompute_grad``)."""
        return ember.recompute_grad(layer_call)

    def symbolic_call(self, *args, **kwargs):
        """Calls the layer on symbolic inputs (KerasTensors), recording it in the
        functional graph."""
        return self(*args, **kwargs)

    def quantize(self, mode=None, config=None, filters=None, **kwargs):
        modes = ("int8", "float8", "int4", "gptq", "awq")
        if mode not in modes:
            raise ValueError(f"Invalid quantization mode. Expected one of {modes}. "
                             f"Received: mode={mode}")
        raise NotImplementedError(f"{type(self).__name__}.quantize({mode!r}): ember does not "
                                  f"quantize models")


def input_masks(inputs):
    """The Keras masks carried by ``inputs`` (a tensor or a list of them), or None."""
    if isinstance(inputs, Tensor):
        return getattr(inputs, "_keras_mask", None)
    if isinstance(inputs, (list, tuple)):
        masks = [getattr(x, "_keras_mask", None) if isinstance(x, Tensor) else None
                 for x in inputs]
        if any(m is not None for m in masks):
            return masks
    return None


def set_output_masks(layer, inputs, outputs, previous_mask):
    """Attaches ``layer.compute_mask(inputs, previous_mask)`` to outputs without a mask."""
    flat = [o for o in ember.nest.flatten(outputs) if isinstance(o, Tensor)]
    if not flat or all(getattr(o, "_keras_mask", None) is not None for o in flat):
        return
    masks = layer.compute_mask(inputs, previous_mask)
    if masks is None:
        return
    masks = ember.nest.flatten(masks) if isinstance(masks, (list, tuple)) else \
        [masks] * len(flat)
    for out, m in zip(flat, masks):
        if m is not None and getattr(out, "_keras_mask", None) is None:
            out._keras_mask = m


def _is_dims(shape):
    return isinstance(shape, (list, tuple)) and all(
        d is None or isinstance(d, (int, np.integer)) for d in shape)


def _shape_lists(shapes):
    if _is_dims(shapes):
        return [None if d is None else int(d) for d in shapes]
    if isinstance(shapes, dict):
        return {k: _shape_lists(v) for k, v in shapes.items()}
    return [_shape_lists(s) for s in shapes]


def _shape_tuples(shapes):
    if _is_dims(shapes):
        return tuple(shapes)
    if isinstance(shapes, dict):
        return {k: _shape_tuples(v) for k, v in shapes.items()}
    return [_shape_tuples(s) for s in shapes]


# Keys Keras 3 writes in configs that ember's constructors do not take; dropped when they
# hold these (default) values, refused otherwise.
_KERAS_ONLY_DEFAULTS = {"quantization_config": (None,), "lora_rank": (None, 0),
                        "lora_alpha": (None,), "ragged": (False, None),
                        "optional": (False, None), "input_axes": (None,),
                        "output_axes": (None,), "shared_object_id": None}


def _accepted_config(cls, config):
    """``config`` without the Keras-only keys ``cls`` does not take (see above)."""
    config = dict(config)
    try:
        params = inspect.signature(cls.__init__).parameters
    except (TypeError, ValueError):
        return config
    var_kw = any(p.kind == p.VAR_KEYWORD for p in params.values())
    if not var_kw:       # a subclass whose constructor takes only its own arguments
        for key in ("name", "trainable", "dtype", "batch_input_shape"):
            if key not in params:
                config.pop(key, None)
    for key, defaults in _KERAS_ONLY_DEFAULTS.items():
        if key in config and key not in params:
            if defaults is None or config[key] in defaults:
                config.pop(key)
            elif not var_kw:
                raise ValueError(f"{cls.__name__} does not support {key}={config[key]!r} "
                                 f"(found in its config).")
    return config


def _dedupe(items):
    seen = set()
    out = []
    for v in items:
        if id(v) not in seen:
            seen.add(id(v))
            out.append(v)
    return out


def call_output_spec(layer, inputs, *args, **kwargs):
    """Output KerasTensors of calling ``layer`` on KerasTensors ``inputs``: the call is
    traced into a scratch graph, so shapes and dtypes come from the ops' own inference."""
    from ember.framework.context import context
    from ember.engine.graph import FuncGraph, SymbolicTensor
    from ember.keras.keras_tensor import KerasTensor
    graph = FuncGraph(f"{layer.name}_spec")
    prev_graph, prev_tapes = context.graph, context.tapes
    context.graph, context.tapes = graph, []
    try:
        placeholders, args, kwargs = ember.nest.map_structure(
            lambda k: graph.placeholder(k.dtype, k.shape) if isinstance(k, KerasTensor) else k,
            (inputs, tuple(args), dict(kwargs)))
        if not layer.built:
            layer._maybe_build(placeholders)
        accepts_training, accepts_mask, _, _ = _call_signature(type(layer))
        if not accepts_training:
            kwargs.pop("training", None)
        if not accepts_mask:
            kwargs.pop("mask", None)
        with layer._autocast_scope():
            placeholders = layer._convert_inputs(placeholders)
            out = layer.call(placeholders, *args, **kwargs)
        if layer._output_shape_seen is None:
            layer._output_shape_seen = ember.nest.map_structure(
                lambda t: (None,) + tuple(t.shape.as_list()[1:]) if isinstance(t, Tensor) and
                t.shape.rank else None, out)
    finally:
        context.graph, context.tapes = prev_graph, prev_tapes
    layer._losses = [l for l in layer._losses if not isinstance(l, SymbolicTensor)]
    return ember.nest.map_structure(
        lambda t: KerasTensor(t.shape, t.dtype) if isinstance(t, Tensor) else t, out)
