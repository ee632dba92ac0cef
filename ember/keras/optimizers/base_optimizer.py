"""The Keras 3 optimizer base class, written with ember's public ops so that
``apply_gradients`` runs eagerly and inside ``ember.function`` traces.

Subclasses create their slot variables in ``build`` and implement
``update_step(gradient, variable, learning_rate)`` with ``assign``/``assign_add``/
``assign_sub``; the base class handles gradient filtering, loss-scale unscaling,
clipping, weight decay, gradient accumulation, EMA and the iteration counter.

Sparse gradients (``IndexedSlices``, from embedding lookups and ``gather``) reach
``update_step`` densified, so every optimizer computes what it computes for the dense
gradient; optimizers whose update leaves rows without gradient unchanged, as Keras 3's
do with TensorFlow (SGD without momentum, Adagrad, RMSprop without momentum), define
``_sparse_update_step(slices, variable, learning_rate)`` and update only the rows listed
(repeated rows summed first where the update is not linear). Clipping and gradient
accumulation densify.
"""
from __future__ import annotations

import inspect
import numbers
import re
import warnings

import numpy as np

import ember
from ember.keras.trainers import distribution as _distribution
from ember.framework.tensor import EagerTensor
from ember.keras import backend
from ember.keras.optimizers import schedules as _schedules

__all__ = ["Optimizer", "BaseOptimizer", "global_norm", "clip_by_global_norm"]

_IGNORED_KERAS2_ARGS = ("jit_compile", "is_legacy_optimizer", "mesh")


def _dense(gradient):
    return ember.convert_to_tensor(gradient) if isinstance(gradient, ember.IndexedSlices) \
        else gradient


def _map_values(gradient, fn):
    """``fn(gradient)``, or for IndexedSlices the slices with ``fn`` applied to their rows."""
    if isinstance(gradient, ember.IndexedSlices):
        return ember.IndexedSlices(fn(gradient.values), gradient.indices, gradient.dense_shape)
    return fn(gradient)


def _cast(value, dtype):
    """``value`` as a tensor of ``dtype``; Python numbers convert directly (no float32
    round trip for float64)."""
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        return ember.constant(value, dtype=dtype)
    return ember.cast(value, dtype)


def _snake_case(name):
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s).lower()


def _auto_name(prefix):
    prefix = _snake_case(prefix)
    uid = backend.get_uid(prefix)
    return prefix if uid == 1 else f"{prefix}_{uid - 1}"


def _is_variable(v):
    return getattr(v, "_is_ember_variable", False)


def _slot_base_name(variable):
    path = getattr(variable, "path", None)
    if path:
        return str(path).replace("/", "_")
    name = str(variable.name)
    if name.endswith(":0"):
        name = name[:-2]
    return name.replace("/", "_").replace(":", "_")


def _initial_value_fn(initializer, shape, dtype):
    """A zero-argument callable making the initial value (run outside any trace)."""
    if isinstance(initializer, str):
        key = initializer.lower()
        if key in ("zeros", "zero"):
            return lambda: ember.zeros(shape, dtype)
        if key in ("ones", "one"):
            return lambda: ember.ones(shape, dtype)
        from ember.keras import initializers
        init = initializers.get(initializer)
        return lambda: init(shape, dtype=dtype)
    if isinstance(initializer, numbers.Number) and not isinstance(initializer, bool):
        value = initializer
        return lambda: ember.fill(shape, ember.constant(value, dtype=dtype))
    if callable(initializer):
        return lambda: ember.cast(initializer(shape, dtype=dtype), dtype)
    raise ValueError(f"Could not interpret initializer {initializer!r}: expected 'zeros', "
                     f"'ones', a number or a callable(shape, dtype)")


def _as_python_float(learning_rate):
    """A plain float for a number, NumPy scalar or scalar eager tensor; None otherwise."""
    if isinstance(learning_rate, bool):
        return None
    if isinstance(learning_rate, numbers.Real):
        return float(learning_rate)
    if isinstance(learning_rate, np.ndarray) and learning_rate.ndim == 0 and \
            learning_rate.dtype.kind in "fiu":
        return float(learning_rate)
    if isinstance(learning_rate, ember.Tensor) and not _is_variable(learning_rate):
        try:
            arr = learning_rate.numpy()
        except Exception:
            return None
        if np.ndim(arr) == 0 and np.asarray(arr).dtype.kind in "fiu":
            return float(arr)
    return None


def global_norm(value_list):
    """sqrt of the sum of squares of every entry of every (non-None) tensor."""
    return ember.global_norm(value_list)


def clip_by_global_norm(value_list, clip_norm):
    """Scales every tensor by ``clip_norm / max(global_norm, clip_norm)``; a non-finite
    global norm makes every result NaN."""
    return ember.clip_by_global_norm(value_list, clip_norm)[0]


class Optimizer:
    """Base class of Keras optimizers.

    >>> w = ember.Variable([1.0, 2.0])
    >>> opt = ember.keras.optimizers.SGD(learning_rate=0.1)
    >>> _ = opt.apply_gradients([(ember.constant([1.0, 1.0]), w)])
    >>> w.numpy()
    array([0.9, 1.9], dtype=float32)

    Subclasses implement ``build(var_list)`` (call ``super().build`` first, then create
    slots with ``add_variable_from_reference``) and ``update_step``.
    """

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        if "lr" in kwargs:
            learning_rate = kwargs.pop("lr")
        decay = kwargs.pop("decay", None)
        if decay:
            warnings.warn("Argument `decay` is no longer supported and will be ignored.",
                          stacklevel=2)
        for key in _IGNORED_KERAS2_ARGS:
            kwargs.pop(key, None)
        if kwargs:
            raise ValueError(f"Argument(s) not recognized: {kwargs}")
        if name is None:
            name = _auto_name(type(self).__name__)
        self.name = name
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.global_clipnorm = global_clipnorm
        self.clipvalue = clipvalue
        self.use_ema = use_ema
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        if gradient_accumulation_steps:
            if not (isinstance(gradient_accumulation_steps, numbers.Integral) and
                    gradient_accumulation_steps >= 2):
                raise ValueError("`gradient_accumulation_steps` must be an integer >= 2. "
                                 f"Received: gradient_accumulation_steps="
                                 f"{gradient_accumulation_steps}")
        if use_ema:
            if ema_momentum > 1 or ema_momentum < 0:
                raise ValueError("`ema_momentum` must be in the range [0, 1]. "
                                 f"Received: ema_momentum={ema_momentum}")
            if ema_overwrite_frequency and (
                    not isinstance(ema_overwrite_frequency, numbers.Integral) or
                    ema_overwrite_frequency < 1):
                raise ValueError("`ema_overwrite_frequency` must be an integer >= 1 or None. "
                                 f"Received: ema_overwrite_frequency={ema_overwrite_frequency}")
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError("Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be "
                             f"set. Received: clipnorm={clipnorm}, clipvalue={clipvalue}, "
                             f"global_clipnorm={global_clipnorm}")
        self.built = False
        self._variables = []
        self._trainable_variables = []
        self._trainable_variables_indices = {}
        self._step_cache = None
        self._assign_mask = None
        self._iterations = self._make_variable(lambda: ember.constant(0, dtype=ember.int64),
                                               "iteration")
        self._track_variable(self._iterations)
        if isinstance(learning_rate, _schedules.LearningRateSchedule) or \
                callable(learning_rate) and not isinstance(learning_rate, ember.Tensor) \
                and not _is_variable(learning_rate):
            self._learning_rate = learning_rate
        elif _is_variable(learning_rate) and learning_rate.dtype.is_floating and \
                learning_rate.shape.rank == 0:
            self._learning_rate = learning_rate
            self._track_variable(learning_rate)
        else:
            value = _as_python_float(learning_rate)
            if value is None:
                raise ValueError(
                    "Argument `learning_rate` should be float, or an instance of "
                    "LearningRateSchedule, or a callable (that takes in the current "
                    "iteration value and returns the corresponding learning rate value). "
                    f"Received instead: learning_rate={learning_rate}")
            floatx = ember.as_dtype(backend.floatx())
            self._learning_rate = self._make_variable(
                lambda: ember.constant(value, dtype=floatx), "learning_rate")
            self._track_variable(self._learning_rate)

    # -- variables ---------------------------------------------------------------------
    @staticmethod
    def _make_variable(initial_value_fn, name):
        return ember.Variable(initial_value_fn, trainable=False, name=name)

    def _track_variable(self, variable):
        self._variables.append(variable)
        pending = getattr(self, "_pending_restore", None)
        if pending:
            value = pending.pop(len(self._variables) - 1, None)
            if value is not None:
                with ember.init_scope():      # the build may run while a step is traced
                    variable.assign(np.asarray(value, dtype=variable.dtype.np))

    def _trackable_children(self):
        """What ``tf.train.Checkpoint`` saves of an optimizer: its variables, in order."""
        return {"vars": list(self._variables)}

    def _checkpoint_alias(self, name):
        """Keras 3 on TensorFlow's names for an optimizer's state (``_iterations``,
        ``_variables``, ``_momentums`` ...), which ember's optimizers share."""
        value = vars(self).get(name)
        if name == "_variables":
            return list(self._variables)
        return value if getattr(value, "_is_ember_variable", False) or \
            isinstance(value, list) else None

    def _restore_later(self, subpath, value):
        """Keeps a checkpoint's value for variable ``vars/<i>`` until it is created (slots
        appear when the optimizer is built)."""
        head, _, index = subpath.partition("/")
        if head != "vars" or not index.isdigit():
            return False
        if not hasattr(self, "_pending_restore"):
            self._pending_restore = {}
        self._pending_restore[int(index)] = value
        return True

    def _untrack_variable(self, variable):
        self._variables = [v for v in self._variables if v is not variable]

    @property
    def variables(self):
        """Every optimizer variable: iteration counter, learning rate, then the slots."""
        return self._variables[:]

    @property
    def iterations(self):
        """The number of update steps applied (an int64 Variable; with gradient
        accumulation, the number of accumulated steps as a tensor)."""
        if self.gradient_accumulation_steps:
            return ember.math.floordiv(self._iterations, self.gradient_accumulation_steps)
        return self._iterations

    def _var_key(self, variable):
        return id(variable)

    def _get_variable_index(self, variable):
        return self._trainable_variables_indices[self._var_key(variable)]

    def add_variable(self, shape, initializer="zeros", dtype=None, aggregation="mean",
                     name=None):
        """Creates and tracks a non-trainable optimizer variable."""
        dtype = ember.as_dtype(dtype if dtype is not None else backend.floatx())
        shape = ember.TensorShape(shape)
        if not shape.is_fully_defined():
            raise ValueError(f"Optimizer variable '{name}' needs a fully defined shape; "
                             f"got {shape}")
        variable = self._make_variable(
            _initial_value_fn(initializer, shape.as_list(), dtype), name or "var")
        self._track_variable(variable)
        return variable

    def add_variable_from_reference(self, reference_variable, name=None, initializer="zeros"):
        """A variable shaped and typed like ``reference_variable``, named
        ``"{reference_name}_{name}"`` (e.g. ``dense_kernel_momentum``)."""
        name = f"{_slot_base_name(reference_variable)}_{name or 'var'}"
        return self.add_variable(shape=reference_variable.shape, initializer=initializer,
                                 dtype=reference_variable.dtype, name=name)

    def add_optimizer_variables(self, trainable_variables, name, initializer="zeros"):
        """One slot per trainable variable; with a list of names, a tuple of such lists."""
        names = [name] if isinstance(name, str) else list(name)
        inits = [initializer] * len(names) if not isinstance(initializer, (list, tuple)) \
            else list(initializer)
        if len(inits) != len(names):
            raise ValueError(f"add_optimizer_variables: {len(names)} names but "
                             f"{len(inits)} initializers")
        out = [[] for _ in names]
        for var in trainable_variables:
            for k, (n, init) in enumerate(zip(names, inits)):
                out[k].append(self.add_variable_from_reference(var, n, initializer=init))
        return out[0] if isinstance(name, str) else tuple(out)

    def build(self, variables):
        """Creates the slot variables for ``variables`` (the variables this optimizer will
        update). Subclasses call ``super().build(variables)`` first."""
        variables = list(variables)
        for v in variables:
            if not _is_variable(v):
                raise TypeError(f"Optimizer {self.name} can only update ember.Variable "
                                f"objects; got {type(v).__name__} {v!r}")
        if self.use_ema:
            self._model_variables_moving_average = []
        if self.gradient_accumulation_steps:
            self._accumulated_gradients = []
        for i, variable in enumerate(variables):
            self._trainable_variables_indices[self._var_key(variable)] = i
            if self.use_ema:
                self._model_variables_moving_average.append(
                    self.add_variable_from_reference(variable, name="average"))
            if self.gradient_accumulation_steps:
                self._accumulated_gradients.append(
                    self.add_variable_from_reference(variable, name="gradient_accumulator"))
        self._trainable_variables = variables[:]
        self.built = True

    def _check_variables_are_known(self, variables):
        for v in variables:
            if self._var_key(v) not in self._trainable_variables_indices:
                raise ValueError(
                    f"Unknown variable: {v}. This optimizer can only be called for the "
                    "variables it was originally built with. When working with a new set of "
                    "variables, you should recreate a new optimizer instance.")

    # -- assignment (use these in update_step) ------------------------------------------
    def assign(self, variable, value):
        """``variable.assign(value)``; subclasses update state through this (and
        ``assign_add``/``assign_sub``) so that conditional steps work when traced."""
        mask = self._assign_mask
        if mask is None:
            variable.assign(value)
        else:
            variable.assign(ember.where(mask, ember.cast(value, variable.dtype),
                                        variable.value()))

    def assign_add(self, variable, value):
        if self._assign_mask is None:
            variable.assign_add(value)
        else:
            self.assign(variable, variable + value)

    def assign_sub(self, variable, value):
        if self._assign_mask is None:
            variable.assign_sub(value)
        else:
            self.assign(variable, variable - value)

    # -- learning rate -----------------------------------------------------------------
    @property
    def learning_rate(self):
        """The current learning rate: the learning-rate Variable, or the schedule evaluated
        at ``iterations``."""
        return self._get_current_learning_rate()

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        prev = self._learning_rate if _is_variable(self._learning_rate) else None
        if isinstance(learning_rate, _schedules.LearningRateSchedule) or (
                callable(learning_rate) and not isinstance(learning_rate, ember.Tensor) and
                not _is_variable(learning_rate)):
            self._learning_rate = learning_rate
        elif isinstance(self._learning_rate, _schedules.LearningRateSchedule):
            raise TypeError(
                "This optimizer was created with a `LearningRateSchedule` object as its "
                "`learning_rate` constructor argument, hence its learning rate is not "
                "settable. If you need the learning rate to be settable, you should "
                "instantiate the optimizer with a float `learning_rate` argument.")
        elif prev is None:
            value = _as_python_float(learning_rate)
            if value is None:
                raise ValueError(f"Cannot set the learning rate to {learning_rate!r}: expected "
                                 f"a float, a LearningRateSchedule or a callable")
            floatx = ember.as_dtype(backend.floatx())
            self._learning_rate = self._make_variable(
                lambda: ember.constant(value, dtype=floatx), "learning_rate")
            self._track_variable(self._learning_rate)
        else:
            value = learning_rate
            if not isinstance(value, ember.Tensor) and not _is_variable(value):
                value = ember.constant(value, dtype=prev.dtype)
            elif value.dtype is not prev.dtype:
                value = ember.cast(value, prev.dtype)
            prev.assign(value)
        if prev is not None and not _is_variable(self._learning_rate):
            self._untrack_variable(prev)

    lr = learning_rate

    def _get_current_learning_rate(self):
        lr = self._learning_rate
        if isinstance(lr, _schedules.LearningRateSchedule):
            return lr(self._iterations)
        if callable(lr) and not _is_variable(lr):
            if _takes_argument(lr):
                return lr(self._iterations)
            return lr()
        return lr

    # -- applying gradients --------------------------------------------------------------
    def apply_gradients(self, grads_and_vars):
        """Applies ``[(gradient, variable), ...]``; None gradients are skipped. Returns the
        ``iterations`` variable."""
        pairs = list(grads_and_vars)
        if not pairs:
            return self._iterations
        grads, trainable_variables = zip(*pairs)
        self.apply(grads, trainable_variables)
        return self._iterations

    def apply(self, grads, trainable_variables=None):
        """Updates ``trainable_variables`` (default: the variables the optimizer was built
        with) from ``grads``, one gradient per variable."""
        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer must already be "
                    "built on a list of variables. Call `optimizer.build(trainable_variables)` "
                    "first.")
            if len(grads) != len(self._trainable_variables_indices):
                raise ValueError(
                    "When passing `grads` as a list of gradient tensors, the gradients must "
                    "match `optimizer.variables` one-to-one. Received a list of "
                    f"{len(grads)} gradients, but the optimizer is tracking "
                    f"{len(self._trainable_variables)} trainable variables.")
            trainable_variables = self._trainable_variables
        else:
            trainable_variables = list(trainable_variables)
            if len(grads) != len(trainable_variables):
                raise ValueError(f"Received {len(grads)} gradients for "
                                 f"{len(trainable_variables)} variables; pass one gradient "
                                 f"per variable")
            if not self.built:
                self.build(trainable_variables)
                self.built = True
            self._check_variables_are_known(trainable_variables)
        grads, trainable_variables = self._filter_empty_gradients(grads, trainable_variables)
        grads = [g if isinstance(g, (ember.Tensor, ember.IndexedSlices)) else
                 ember.convert_to_tensor(g) for g in grads]
        for g, v in zip(grads, trainable_variables):
            if not g.shape.is_compatible_with(v.shape):
                raise ValueError(f"Gradient for variable '{v.name}' has shape {g.shape}, "
                                 f"which is incompatible with the variable shape {v.shape}")
        # under a tf.distribute strategy: gradients summed over replicas, applied once
        if not _distribution.apply_gradients_in_replica(grads, trainable_variables,
                                                        self._apply_reduced_gradients):
            self._apply_reduced_gradients(grads, trainable_variables)

    def _apply_reduced_gradients(self, grads, trainable_variables):
        scale = self.loss_scale_factor
        if scale is not None:
            grads = [_map_values(g, lambda x: x / scale) for g in grads]
        if self.gradient_accumulation_steps or self.clipnorm or self.clipvalue or \
                self.global_clipnorm:
            grads = [_dense(g) for g in grads]
        self._backend_apply_gradients(grads, trainable_variables)
        for variable in trainable_variables:
            if variable.constraint is not None:
                variable.assign(variable.constraint(variable))

    def _filter_empty_gradients(self, grads, variables):
        kept_g, kept_v, missing = [], [], []
        for g, v in zip(grads, variables):
            if g is None:
                missing.append(v.name)
            else:
                kept_g.append(g)
                kept_v.append(v)
        if not kept_g:
            raise ValueError("No gradients provided for any variable.")
        if missing:
            warnings.warn(f"Gradients do not exist for variables {missing} when minimizing "
                          "the loss. If using `model.compile()`, did you forget to provide a "
                          "`loss` argument?", stacklevel=3)
        return kept_g, kept_v

    def _backend_apply_gradients(self, grads, trainable_variables):
        if self.gradient_accumulation_steps:
            steps = self.gradient_accumulation_steps
            is_update_step = ember.equal((self._iterations + 1) % steps, 0)
            acc_grads = [self._accumulated_gradients[self._get_variable_index(v)]
                         for v in trainable_variables]

            def update():
                new_grads = [(g + ember.cast(a, g.dtype)) / steps
                             for g, a in zip(grads, acc_grads)]
                self._clip_and_update(new_grads, trainable_variables)
                for acc in self._accumulated_gradients:
                    self.assign(acc, ember.zeros(acc.shape, acc.dtype))

            def accumulate():
                for g, acc in zip(grads, acc_grads):
                    self.assign(acc, acc + ember.cast(g, acc.dtype))

            self._run_cond(is_update_step, update, accumulate)
        else:
            self._clip_and_update(grads, trainable_variables)
        if self.use_ema:
            self._update_model_variables_moving_average(self._trainable_variables)
            if self.ema_overwrite_frequency:
                should = ember.equal((self.iterations + 1) % self.ema_overwrite_frequency, 0)
                self._run_cond(should, lambda: self._overwrite_model_variables_with_average_value(
                    self._trainable_variables), lambda: None)
        self._iterations.assign_add(ember.constant(1, dtype=ember.int64))

    def _run_cond(self, pred, true_fn, false_fn):
        """Runs the branch ``pred`` selects: a Python ``if`` when the predicate is known
        (eager), otherwise both branches with every ``self.assign*`` masked by the predicate
        (so reads after writes inside a branch see the new values, as in eager mode)."""
        known = getattr(pred, "_constant_value", None)
        if isinstance(pred, EagerTensor):
            known = pred.numpy()
        known = None if known is None else bool(known)
        if known is not None:
            (true_fn if known else false_fn)()
            return
        outer = self._assign_mask
        try:
            for mask, fn in ((pred, true_fn), (ember.logical_not(pred), false_fn)):
                self._assign_mask = mask if outer is None else ember.logical_and(outer, mask)
                fn()
        finally:
            self._assign_mask = outer

    def _clip_and_update(self, grads, trainable_variables):
        grads = self._clip_gradients(grads)
        learning_rate = self.learning_rate
        if _is_variable(learning_rate):
            learning_rate = learning_rate.value()
        self._apply_weight_decay(trainable_variables, learning_rate)
        self._backend_update_step(grads, trainable_variables, learning_rate)

    def _backend_update_step(self, grads, trainable_variables, learning_rate):
        self._step_cache = {}
        try:
            for grad, var in zip(grads, trainable_variables):
                if isinstance(grad, ember.IndexedSlices):
                    if self._assign_mask is None and self._updates_rows(var):
                        self._sparse_update_step(grad, var, learning_rate)
                        continue
                    grad = _dense(grad)
                self.update_step(grad, var, learning_rate)
        finally:
            self._step_cache = None

    def _updates_rows(self, variable):
        """Whether ``_sparse_update_step`` applies to ``variable`` (subclasses that have one
        say when; the base class densifies)."""
        return False

    def _sparse_update_step(self, slices, variable, learning_rate):
        """Updates the rows ``slices.indices`` of ``variable`` from ``slices.values`` (an
        index may be listed more than once: ``deduplicate`` sums its rows); rows not listed
        have zero gradient and must not change."""
        raise NotImplementedError(f"{type(self).__name__} has no _sparse_update_step")

    def _scatter_sub(self, variable, slices):
        """``variable[slices.indices] -= slices.values`` (the rows listed only)."""
        variable.scatter_sub(ember.IndexedSlices(ember.cast(slices.values, variable.dtype),
                                                 slices.indices))

    def _scatter_add(self, variable, slices):
        """``variable[slices.indices] += slices.values`` (the rows listed only)."""
        variable.scatter_add(ember.IndexedSlices(ember.cast(slices.values, variable.dtype),
                                                 slices.indices))

    def _per_step(self, key, dtype, fn):
        """``fn()`` computed once per update step and dtype (shared scalar coefficients)."""
        cache = self._step_cache
        if cache is None:
            return fn()
        k = (key, dtype)
        hit = cache.get(k)
        if hit is None:
            hit = cache[k] = fn()
        return hit

    def _lr(self, learning_rate, dtype):
        return self._per_step("lr", dtype, lambda: ember.cast(learning_rate, dtype))

    def update_step(self, gradient, variable, learning_rate):
        """Updates ``variable`` (and its slots) from ``gradient``; implemented by
        subclasses."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_step()")

    def _clip_gradients(self, grads):
        if self.clipnorm and self.clipnorm > 0:
            return [self._clip_by_norm(g) if g is not None else g for g in grads]
        if self.global_clipnorm and self.global_clipnorm > 0:
            return clip_by_global_norm(grads, self.global_clipnorm)
        if self.clipvalue and self.clipvalue > 0:
            v = self.clipvalue
            return [ember.clip_by_value(g, -v, v) if g is not None else g for g in grads]
        return grads

    def _clip_by_norm(self, values):
        l2norm = ember.sqrt(ember.reduce_sum(ember.square(values), keepdims=True))
        return values * self.clipnorm / ember.maximum(l2norm, self.clipnorm)

    # -- weight decay --------------------------------------------------------------------
    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Excludes ``var_list`` variables, and variables whose name contains any of
        ``var_names``, from weight decay. Call before the optimizer is built."""
        if self.built:
            raise ValueError("`exclude_from_weight_decay()` can only be configured before "
                             "the optimizer is built.")
        self._exclude_from_weight_decay = set(self._var_key(v) for v in var_list or ())
        if var_names:
            self._exclude_from_weight_decay_pattern = re.compile(
                "|".join(sorted(set(var_names))))
        else:
            self._exclude_from_weight_decay_pattern = None
        self._exclude_from_weight_decay_cache = {}

    def _use_weight_decay(self, variable):
        cache = self.__dict__.setdefault("_exclude_from_weight_decay_cache", {})
        key = self._var_key(variable)
        if key in cache:
            return cache[key]
        use = True
        if key in getattr(self, "_exclude_from_weight_decay", set()):
            use = False
        pattern = getattr(self, "_exclude_from_weight_decay_pattern", None)
        if use and pattern is not None and re.search(pattern, variable.name) is not None:
            use = False
        cache[key] = use
        return use

    def _apply_weight_decay(self, variables, learning_rate=None):
        if self.weight_decay is None:
            return
        if learning_rate is None:
            learning_rate = self.learning_rate
        for variable in variables:
            if self._use_weight_decay(variable):
                lr = ember.cast(learning_rate, variable.dtype)
                wd = _cast(self.weight_decay, variable.dtype)
                self.assign(variable, variable - variable * wd * lr)

    # -- EMA -----------------------------------------------------------------------------
    def _update_model_variables_moving_average(self, trainable_variables):
        if not self.use_ema:
            return
        not_first_step = ember.not_equal(self.iterations, 0)
        by_dtype = {}
        for var, average in zip(trainable_variables, self._model_variables_moving_average):
            momentum = by_dtype.get(var.dtype)
            if momentum is None:
                momentum = by_dtype[var.dtype] = \
                    ember.cast(not_first_step, var.dtype) * self.ema_momentum
            self.assign(average, momentum * average + (1 - momentum) * var)

    def _overwrite_model_variables_with_average_value(self, trainable_variables):
        averages = self._model_variables_moving_average
        if len(trainable_variables) != len(averages):
            raise ValueError(
                f"The length of model variables ({len(trainable_variables)}) to override does "
                f"not match the length of model variables stored in the optimizer "
                f"({len(averages)}). Please check if the optimizer was called on your model.")
        for var, average in zip(trainable_variables, averages):
            self.assign(var, average)

    def finalize_variable_values(self, var_list):
        """With ``use_ema=True``, overwrites ``var_list`` with their moving averages."""
        if self.use_ema:
            self._overwrite_model_variables_with_average_value(list(var_list))

    # -- Keras 2 style helpers -----------------------------------------------------------
    def compute_gradients(self, loss, var_list, tape=None):
        """``[(gradient, variable), ...]`` of ``loss`` (a callable, or a tensor recorded on
        ``tape``)."""
        if not callable(loss) and tape is None:
            raise ValueError("`tape` is required when a `Tensor` loss is passed. "
                             f"Received: loss={loss}, tape={tape}.")
        if tape is None:
            tape = ember.GradientTape()
        if callable(loss):
            with tape:
                if not callable(var_list):
                    tape.watch(var_list)
                loss = loss()
                if callable(var_list):
                    var_list = var_list()
        var_list = list(var_list)
        grads = tape.gradient(loss, var_list)
        return list(zip(grads, var_list))

    def minimize(self, loss, var_list, tape=None):
        """Computes the gradients of ``loss`` and applies them.

        >>> x = ember.Variable(3.0)
        >>> opt = ember.keras.optimizers.SGD(0.1)
        >>> _ = opt.minimize(lambda: x * x, [x])
        >>> round(float(x), 6)    # 3 - 0.1 * 6
        2.4
        """
        grads_and_vars = self.compute_gradients(loss, var_list, tape)
        return self.apply_gradients(grads_and_vars)

    def scale_loss(self, loss):
        """``loss * loss_scale_factor`` when a factor is set."""
        if self.loss_scale_factor is not None:
            return loss * self.loss_scale_factor
        return loss

    def set_weights(self, weights):
        """Sets every optimizer variable from a list of arrays (same order as
        ``variables``)."""
        if not self.built:
            raise ValueError(
                "You are calling `set_weights()` on an optimizer that has not yet been built. "
                "Please call `optimizer.build(trainable_variables)` to create the optimizer "
                "weights before calling `set_weights()`.")
        for variable, weight in zip(self._variables, weights):
            if tuple(variable.shape) != tuple(np.shape(weight)):
                raise ValueError(f"Optimizer variable {variable.name} has shape "
                                 f"{variable.shape} not compatible with provided weight "
                                 f"shape {np.shape(weight)}.")
            variable.assign(np.asarray(weight, dtype=variable.dtype.np))

    def get_weights(self):
        return [v.numpy() for v in self._variables]

    def save_own_variables(self, store):
        for i, variable in enumerate(self.variables):
            store[str(i)] = variable.numpy()

    def load_own_variables(self, store):
        if len(store.keys()) != len(self.variables):
            msg = (f"Skipping variable loading for optimizer '{self.name}', because it has "
                   f"{len(self.variables)} variables whereas the saved optimizer has "
                   f"{len(store.keys())} variables. ")
            if len(self.variables) == 0:
                msg += "This is likely because the optimizer has not been called/built yet."
            warnings.warn(msg, stacklevel=2)
            return
        for i, variable in enumerate(self.variables):
            variable.assign(np.asarray(store[str(i)], dtype=variable.dtype.np))

    # -- config ----------------------------------------------------------------------------
    def get_config(self):
        lr = self._learning_rate
        if isinstance(lr, _schedules.LearningRateSchedule):
            learning_rate = _schedules.serialize(lr)
        elif _is_variable(lr):
            learning_rate = float(lr.numpy())
        elif isinstance(lr, ember.Tensor):
            learning_rate = float(lr)
        else:
            from ember.keras.saving import serialize_keras_object
            learning_rate = serialize_keras_object(lr)
        return {
            "name": self.name,
            "learning_rate": learning_rate,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            lr = config["learning_rate"]
            if lr.get("class_name") == "function":
                from ember.keras.saving import deserialize_keras_object
                config["learning_rate"] = deserialize_keras_object(
                    lr, custom_objects=custom_objects)
            else:
                config["learning_rate"] = _schedules.deserialize(
                    lr, custom_objects=custom_objects)
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}>"


BaseOptimizer = Optimizer


def _takes_argument(fn):
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return False
    required = [p for p in sig.parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and
                p.default is p.empty]
    return len(required) >= 1




base_optimizer_keyword_args = """name: String, the name of the optimizer.
        weight_decay: Float. If set, weight decay is applied:
            ``var -= var * weight_decay * learning_rate`` before each step.
        clipnorm: Float. If set, the gradient of each weight is clipped to this norm.
        clipvalue: Float. If set, each gradient entry is clipped to [-clipvalue, clipvalue].
        global_clipnorm: Float. If set, all gradients are scaled so that their global norm
            is at most this value.
        use_ema: Boolean (default False): keep an exponential moving average of the weights.
        ema_momentum: Float (default 0.99), the EMA momentum.
        ema_overwrite_frequency: Int or None: every this many steps, overwrite the weights
            with their moving average.
        loss_scale_factor: Float or None: gradients are divided by it before the update.
        gradient_accumulation_steps: Int >= 2 or None: update every this many steps with
            the mean of the accumulated gradients."""
