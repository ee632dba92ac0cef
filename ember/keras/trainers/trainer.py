"""compile / fit / evaluate / predict, with train, test and predict steps compiled by
``ember.function`` (eager with ``run_eagerly=True``)."""
from __future__ import annotations



import numpy as np

import ember
from ember.keras.trainers import distribution as _distribution
from ember.keras.trainers.compile_utils import CompileLoss, CompileMetrics
from ember.keras.trainers.data_adapter import (
    DataHandler, train_validation_split, unpack_x_y_sample_weight,
)

__all__ = ["Trainer"]


class Trainer:
    """The training half of ``keras.Model``."""

    def __init__(self):
        self.compiled = False
        self.optimizer = None
        self.loss = None
        self.stop_training = False
        self.history = None
        self._run_eagerly = False
        self._compile_loss = None
        self._compile_metrics = None
        self._loss_tracker = None
        self._reset_functions()

    def _reset_functions(self):
        self.train_function = None
        self.test_function = None
        self.predict_function = None

    # -- compile ----------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1,
                jit_compile="auto", auto_scale_loss=True, sample_weight_mode=None, **kwargs):
        """Sets the optimizer, loss(es) and metrics used by fit/evaluate."""
        from ember.keras import losses, metrics as metrics_mod, optimizers
        if kwargs:
            raise TypeError(f"Invalid keyword argument(s) in `compile()`: {sorted(kwargs)}")
        self.optimizer = optimizers.get(optimizer)
        if auto_scale_loss and self.optimizer is not None and \
                getattr(self, "dtype_policy", None) is not None and \
                self.dtype_policy.name == "mixed_float16" and \
                not isinstance(self.optimizer, optimizers.LossScaleOptimizer):
            # float16 gradients underflow without a loss scale (Keras 3 wraps here too)
            self.optimizer = optimizers.LossScaleOptimizer(self.optimizer,
                                                           name="loss_scale_optimizer")
        self._compile_args = {"loss": loss, "loss_weights": loss_weights, "metrics": metrics,
                              "weighted_metrics": weighted_metrics,
                              "run_eagerly": run_eagerly,
                              "steps_per_execution": steps_per_execution,
                              "jit_compile": jit_compile}
        self.loss = loss
        if loss is not None:
            for spec in ember.nest.flatten(loss) if isinstance(loss, (list, dict)) else [loss]:
                if spec is not None:
                    losses.get(spec)   # unknown names fail here, listing valid ones
        self._compile_loss = CompileLoss(loss, loss_weights) if loss is not None else None
        self._compile_metrics = CompileMetrics(metrics, weighted_metrics) \
            if metrics or weighted_metrics else None
        self._loss_tracker = metrics_mod.Mean(name="loss")
        self._run_eagerly = bool(run_eagerly)
        self._jit_compile = jit_compile
        self.steps_per_execution = steps_per_execution
        self._distribute_strategy = _distribution.model_strategy(self)
        self.compiled = True
        self._reset_functions()

    @property
    def run_eagerly(self):
        return self._run_eagerly

    @run_eagerly.setter
    def run_eagerly(self, value):
        self._run_eagerly = bool(value)
        self._reset_functions()

    @property
    def metrics(self):
        out = []
        if self._loss_tracker is not None:
            out.append(self._loss_tracker)
        if self._compile_metrics is not None:
            out.extend(self._compile_metrics.flat)
        for layer in self._flatten_layers():
            for m in layer._tracked_metrics:
                if not any(m is o for o in out):
                    out.append(m)
        return out

    @property
    def metrics_names(self):
        return [m.name for m in self.metrics]

    def reset_metrics(self):
        for m in self.metrics:
            m.reset_state()

    def _output_names(self):
        names = getattr(self, "output_names", None)
        if callable(names):
            names = names()
        return list(names) if names else None

    # -- steps --------------------------------------------------------------------------
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The compiled loss(es) plus the losses the layers added (regularizers)."""
        total = None
        if self._compile_loss is not None and y is not None:
            if not self._compile_loss._built:
                self._compile_loss.build(y, y_pred, self._output_names())
            total = self._compile_loss(y, y_pred, sample_weight)
        extra = self.losses
        if extra:
            reg = ember.add_n([ember.cast(l, "float32") for l in extra])
            reg = _losses_module().scale_loss_for_distribution(reg)
            total = reg if total is None else total + ember.cast(reg, total.dtype)
        if total is None:
            raise ValueError("No loss to compute. Provide a `loss` argument in `compile()`.")
        return total

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        cm = self._compile_metrics
        if cm is not None and y is not None:
            if not cm.built:
                loss_fns = self._compile_loss.losses if self._compile_loss is not None and \
                    self._compile_loss._built else []
                cm.output_names = self._output_names() or \
                    [f"output_{i}" for i in range(len(ember.nest.flatten(y_pred)))]
                cm.build(y, y_pred, loss_fns, cm.output_names)
            cm.update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def get_metrics_result(self):
        logs = {}
        for m in self.metrics:
            r = m.result()
            if isinstance(r, dict):
                logs.update(r)
            else:
                logs[m.name] = r
        return logs

    def _metrics_result_or_logs(self, logs):
        """The tracked metrics' results, or, when a custom step returned other keys, the
        last step's own logs (as Keras 3 does). Under a strategy they are read in its
        cross-replica context: summed over the workers."""
        strategy = getattr(self, "_distribute_strategy", None)
        if _distribution.is_distributed(strategy):
            with strategy.scope():
                results = self.get_metrics_result()
        else:
            results = self.get_metrics_result()
        if isinstance(logs, dict) and set(logs) != set(results):
            return logs
        return results

    def train_step(self, data):
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        self._clear_losses()
        with ember.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x, y, y_pred, sample_weight, training=True)
            # the optimizer's loss scale (loss_scale_factor, LossScaleOptimizer): its apply
            # divides the gradients by the same factor
            scaled = self.optimizer.scale_loss(loss) if self.optimizer is not None else loss
        variables = self.trainable_variables
        if variables:
            grads = tape.gradient(scaled, variables)
            self.optimizer.apply_gradients(zip(grads, variables))
        self._loss_tracker.update_state(_losses_module().unscale_loss_for_distribution(loss),
                                        sample_weight=_batch_size_weight(y_pred))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def test_step(self, data):
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        self._clear_losses()
        y_pred = self(x, training=False)
        loss = self.compute_loss(x, y, y_pred, sample_weight, training=False)
        self._loss_tracker.update_state(_losses_module().unscale_loss_for_distribution(loss),
                                        sample_weight=_batch_size_weight(y_pred))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data):
        x, _, _ = unpack_x_y_sample_weight(data)
        return self(x, training=False)

    @property
    def distribute_strategy(self):
        """The tf.distribute strategy the model was compiled under (the default one when
        none)."""
        found = getattr(self, "_distribute_strategy", None)
        return found if found is not None else ember.distribute.get_strategy()

    def _strategy_step(self, step):
        """``step``, or under a distributing strategy, ``step`` run on every replica."""
        strategy = getattr(self, "_distribute_strategy", None)
        if _distribution.is_distributed(strategy):
            return _distribution.distributed_step(strategy, step)
        return step

    def make_train_function(self, force=False):
        if self.train_function is None or force:
            step = self._strategy_step(self.train_step)
            self.train_function = step if self._run_eagerly else \
                ember.function(step, reduce_retracing=True)
        return self.train_function

    def make_test_function(self, force=False):
        if self.test_function is None or force:
            step = self._strategy_step(self.test_step)
            self.test_function = step if self._run_eagerly else \
                ember.function(step, reduce_retracing=True)
        return self.test_function

    def make_predict_function(self, force=False):
        if self.predict_function is None or force:
            self.predict_function = self.predict_step if self._run_eagerly else \
                ember.function(self.predict_step, reduce_retracing=True)
        return self.predict_function

    def _assert_compiled(self):
        if not self.compiled:
            raise RuntimeError("You must compile your model before training/testing. Use "
                               "`model.compile(optimizer, loss)`.")

    def _build_from_batch(self, x):
        if not self.built:
            shapes = ember.nest.map_structure(lambda a: (None,) + tuple(np.shape(a))[1:], x)
            try:
                self.build(shapes)
            except (ValueError, TypeError, NotImplementedError):
                self(ember.nest.map_structure(lambda a: a[:1] if hasattr(a, "__getitem__")
                                              else a, x))

    # -- fit --------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None,
            validation_steps=None, validation_batch_size=None, validation_freq=1, **kwargs):
        """Trains for ``epochs`` epochs; returns a ``History`` (``history.history`` maps each
        metric name to its per-epoch values)."""
        from ember.keras import callbacks as cb
        self._assert_compiled()
        if kwargs:
            raise TypeError(f"Invalid keyword argument(s) in `fit()`: {sorted(kwargs)}")
        verbose = _verbosity(verbose)
        if validation_split and validation_data is None:
            if not isinstance(x, (np.ndarray, list, dict, tuple, ember.Tensor)):
                raise ValueError("`validation_split` is only supported for NumPy arrays and "
                                 "tensors; pass `validation_data` for other input types.")
            (x, y, sample_weight), val = train_validation_split((x, y, sample_weight),
                                                                validation_split)
            validation_data = val
        strategy = getattr(self, "_distribute_strategy", None)
        x, pre_sharded = _distribution.shard_dataset_for_worker(strategy, x)
        data = DataHandler(x, y, sample_weight, batch_size=batch_size,
                           steps_per_epoch=steps_per_epoch, shuffle=shuffle,
                           class_weight=class_weight,
                           seed=_distribution.shuffle_seed(strategy, _fit_seed()),
                           # a compiled step keeps nothing of its inputs; an eager one could
                           reuse_buffers=not self.run_eagerly)
        val_data = None
        if validation_data is not None:
            vx, vy, vsw = unpack_x_y_sample_weight(validation_data)
            val_data = DataHandler(vx, vy, vsw, batch_size=validation_batch_size or batch_size,
                                   steps_per_epoch=validation_steps)
        callbacks = cb.CallbackList(callbacks, add_history=True, add_progbar=verbose != 0,
                                    model=self, verbose=verbose, epochs=epochs,
                                    steps=data.steps)
        self.stop_training = False
        self._initial_epoch = None     # BackupAndRestore sets these in on_train_begin:
        self._initial_step = None      # the epoch to start at and the batches it had done
        train_fn = self.make_train_function()
        callbacks.on_train_begin()
        initial_epoch = self._initial_epoch or initial_epoch
        skip_steps = self._initial_step or 0
        self._initial_epoch = self._initial_step = None
        logs = {}
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            callbacks.on_epoch_begin(epoch)
            step = -1
            for step, batch in enumerate(data.epoch_batches(epoch)):
                if step < skip_steps:       # done before an interruption
                    continue
                if not self.built:
                    self._build_from_batch(unpack_x_y_sample_weight(batch)[0])
                callbacks.on_train_batch_begin(step)
                logs = train_fn(_distribution.worker_batch(strategy, batch, pre_sharded))
                callbacks.on_train_batch_end(step, _to_floats(logs))
                if self.stop_training:
                    break
            if step < 0:
                raise ValueError("fit() got no data: the input has no batches.")
            skip_steps = 0
            epoch_logs = _to_floats(self._metrics_result_or_logs(logs))
            if val_data is not None and _should_validate(epoch, validation_freq):
                val_logs = self.evaluate(val_data, verbose=0, return_dict=True,
                                         callbacks=callbacks, _handler=val_data,
                                         _internal=True)
                epoch_logs.update({"val_" + k: v for k, v in val_logs.items()})
            callbacks.on_epoch_end(epoch, epoch_logs)
            logs = epoch_logs
            if self.stop_training:
                break
        callbacks.on_train_end(logs)
        return self.history

    # -- evaluate ---------------------------------------------------------------------
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False, _handler=None,
                 _internal=False, **kwargs):
        """Loss and metrics on the data: a scalar, a list ``[loss, *metrics]`` or a dict."""
        from ember.keras import callbacks as cb
        self._assert_compiled()
        strategy = getattr(self, "_distribute_strategy", None)
        x, pre_sharded = _distribution.shard_dataset_for_worker(strategy, x)
        data = _handler if _handler is not None else DataHandler(
            x, y, sample_weight, batch_size=batch_size, steps_per_epoch=steps)
        verbose = _verbosity(verbose)
        if not isinstance(callbacks, cb.CallbackList):    # fit's own list: used as it is
            callbacks = cb.CallbackList(callbacks, add_progbar=verbose != 0 and not _internal,
                                        model=self, verbose=verbose, epochs=1,
                                        steps=data.steps, mode="test")
        test_fn = self.make_test_function()
        self.reset_metrics()
        callbacks.on_test_begin()
        logs = {}
        for step, batch in enumerate(data.epoch_batches()):
            if step == 0 and not self.built:
                self._build_from_batch(unpack_x_y_sample_weight(batch)[0])
            callbacks.on_test_batch_begin(step)
            logs = _to_floats(test_fn(_distribution.worker_batch(strategy, batch,
                                                                 pre_sharded)))
            callbacks.on_test_batch_end(step, logs)
        logs = _to_floats(self._metrics_result_or_logs(logs))
        callbacks.on_test_end(logs)
        if return_dict:
            return logs
        values = [logs[k] for k in self.metrics_names if k in logs] or list(logs.values())
        return values[0] if len(values) == 1 else values

    # -- predict ------------------------------------------------------------------------
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Model outputs for ``x``, batch by batch, concatenated as NumPy arrays."""
        from ember.keras import callbacks as cb
        verbose = _verbosity(verbose)
        if verbose == 0 and callbacks is None and steps is None:
            fast = self._predict_one_batch(x, batch_size or 32)
            if fast is not None:
                return fast
        data = DataHandler(x, batch_size=batch_size, steps_per_epoch=steps)
        callbacks = cb.CallbackList(callbacks, add_progbar=verbose != 0, model=self,
                                    verbose=verbose, epochs=1, steps=data.steps,
                                    mode="predict")
        predict_fn = self.make_predict_function()
        callbacks.on_predict_begin()
        outputs = []
        for step, batch in enumerate(data.epoch_batches()):
            callbacks.on_predict_batch_begin(step)
            out = predict_fn(batch)
            out = ember.nest.map_structure(np.asarray, out)
            outputs.append(out)
            callbacks.on_predict_batch_end(step, {"outputs": out})
        callbacks.on_predict_end()
        if not outputs:
            raise ValueError("Unexpected result of `predict_function` (Empty batch_outputs). "
                             "Please use `Model.compile(..., run_eagerly=True)`, or "
                             "`tf.config.run_functions_eagerly(True)` for more information "
                             "of where went wrong, or file a issue/bug to `tf.keras`.")
        if len(outputs) == 1:
            return outputs[0]
        return ember.nest.map_structure(lambda *parts: np.concatenate(parts, axis=0),
                                        *outputs)

    def _predict_one_batch(self, x, batch_size):
        """predict() on one array that fits in one batch: no batching machinery."""
        if type(x) is np.ndarray:
            if x.ndim == 0 or x.shape[0] > batch_size:
                return None
            if x.dtype == np.float64:
                x = x.astype(np.float32)
            t = ember.convert_to_tensor(x) if x.dtype.kind in "USO" else \
                ember.framework.tensor.EagerTensor(x)
        elif type(x) is ember.framework.tensor.EagerTensor:
            if x.ndim == 0 or x._value.shape[0] > batch_size:
                return None
            t = x
        else:
            return None
        out = self.make_predict_function()(t)
        if type(out) is ember.framework.tensor.EagerTensor:
            return np.asarray(out._value)
        return ember.nest.map_structure(np.asarray, out)

    # -- single batches -----------------------------------------------------------------
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None,
                       return_dict=False):
        self._assert_compiled()
        data = DataHandler(x, y, sample_weight, batch_size=_first_dim(x),
                           class_weight=class_weight)
        batch = next(iter(data.epoch_batches()))
        if not self.built:
            self._build_from_batch(unpack_x_y_sample_weight(batch)[0])
        self.reset_metrics()
        logs = _to_floats(self.make_train_function()(batch))
        return _format_logs(logs, self.metrics_names, return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        self._assert_compiled()
        data = DataHandler(x, y, sample_weight, batch_size=_first_dim(x))
        self.reset_metrics()
        logs = _to_floats(self.make_test_function()(next(iter(data.epoch_batches()))))
        return _format_logs(logs, self.metrics_names, return_dict)

    def predict_on_batch(self, x):
        data = DataHandler(x, batch_size=_first_dim(x))
        out = self.make_predict_function()(next(iter(data.epoch_batches())))
        return ember.nest.map_structure(np.asarray, out)

    # -- Keras 3's stateless and state-tree API --------------------------------------
    @property
    def jit_compile(self):
        return bool(getattr(self, "_jit_compile", False))

    def stateless_compute_loss(self, trainable_variables, non_trainable_variables,
                               metrics_variables, x=None, y=None, y_pred=None,
                               sample_weight=None, training=True):
        """``compute_loss`` with the given variable values, changing no variable: returns
        ``(loss, (trainable_variables, non_trainable_variables, metrics_variables))``, the
        last two as the computation left them."""
        from ember.framework.variables import StatelessScope
        groups = ((self.trainable_variables, trainable_variables, "trainable_variables"),
                  (self.non_trainable_variables, non_trainable_variables,
                   "non_trainable_variables"),
                  (self.metrics_variables, metrics_variables, "metrics_variables"))
        mapping = []
        for own, given, what in groups:
            if len(given) != len(own):
                raise ValueError(f"{type(self).__name__}.stateless_compute_loss: argument "
                                 f"`{what}` must list one value per variable of `{what}`; "
                                 f"got {len(given)} values, expected {len(own)}")
            mapping.extend(zip(own, given))
        with StatelessScope(mapping) as scope:
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight,
                                     training=training)
            state = tuple([scope.get_current_value(v) for v in own] for own, _, _ in groups)
        return loss, state

    def _state_groups(self):
        groups = {"trainable_variables": [(v.path, v) for v in self.trainable_variables],
                  "non_trainable_variables": [(v.path, v)
                                              for v in self.non_trainable_variables]}
        if self.optimizer is not None:
            name = self.optimizer.name
            groups["optimizer_variables"] = [(f"{name}/{_short_name(v)}", v)
                                             for v in self.optimizer.variables]
        groups["metrics_variables"] = [(f"{m.name}/{_short_name(v)}", v)
                                       for m in self.metrics for v in m.variables]
        return groups

    def get_state_tree(self, value_format="backend_tensor"):
        """The model's state as nested dicts keyed by variable path: ``trainable_variables``,
        ``non_trainable_variables``, ``optimizer_variables`` and ``metrics_variables``;
        values are tensors (``"backend_tensor"``) or NumPy arrays (``"numpy_array"``)."""
        if value_format not in ("backend_tensor", "numpy_array"):
            raise ValueError(f"get_state_tree: value_format must be 'backend_tensor' or "
                             f"'numpy_array', got {value_format!r}")
        tree = {}
        for group, entries in self._state_groups().items():
            node = tree.setdefault(group, {})
            for path, v in entries:
                value = v.numpy() if value_format == "numpy_array" else v.value()
                parts = path.split("/")
                here = node
                for part in parts[:-1]:
                    here = here.setdefault(part, {})
                here[parts[-1]] = value
        return tree

    def set_state_tree(self, state_tree):
        """Assigns the variables from a ``get_state_tree()``-shaped dict (any subset)."""
        groups = self._state_groups()
        for group, subtree in state_tree.items():
            if group not in groups:
                raise ValueError(f"set_state_tree: unknown group {group!r}; expected one of "
                                 f"{sorted(groups)}")
            by_path = dict(groups[group])

            def walk(node, prefix):
                for key, value in node.items():
                    path = f"{prefix}/{key}" if prefix else key
                    if isinstance(value, dict):
                        walk(value, path)
                        continue
                    if path not in by_path:
                        raise ValueError(f"set_state_tree: {group} has no variable at path "
                                         f"{path!r}")
                    variable = by_path[path]
                    array = np.asarray(value)
                    if tuple(variable.shape.as_list()) != array.shape:
                        raise ValueError(f"set_state_tree: {path} has shape "
                                         f"{tuple(variable.shape.as_list())}, the value has "
                                         f"shape {array.shape}")
                    variable.assign(array.astype(variable.dtype.np))
            walk(subtree, "")

    def compiled_loss(self, y, y_pred, sample_weight=None, regularization_losses=None):
        """tf.keras 2's ``self.compiled_loss(...)`` of custom train steps: the compiled
        loss plus the given regularization losses (Keras 3 spells it ``compute_loss``)."""
        if self._compile_loss is None:
            raise ValueError("compiled_loss: the model has no loss; pass `loss` to compile()")
        if not self._compile_loss._built:
            self._compile_loss.build(y, y_pred, self._output_names())
        total = self._compile_loss(y, y_pred, sample_weight)
        if regularization_losses:
            total = total + ember.cast(ember.add_n(list(regularization_losses)), total.dtype)
        return total

    @property
    def compiled_metrics(self):
        """tf.keras 2's ``self.compiled_metrics.update_state(y, y_pred)`` of custom train
        steps (Keras 3 spells it ``compute_metrics``)."""
        return _CompiledMetrics(self)


class _CompiledMetrics:
    def __init__(self, model):
        self._model = model

    def update_state(self, y, y_pred, sample_weight=None):
        model = self._model
        if model._compile_metrics is not None:
            model.compute_metrics(None, y, y_pred, sample_weight)

    def reset_state(self):
        if self._model._compile_metrics is not None:
            for m in self._model._compile_metrics.flat:
                m.reset_state()

    @property
    def metrics(self):
        cm = self._model._compile_metrics
        return list(cm.flat) if cm is not None else []


def _losses_module():
    from ember.keras import losses
    return losses


def _short_name(variable):
    name = getattr(variable, "path", None) or variable.name
    return name.rsplit("/", 1)[-1].split(":")[0]


def _first_dim(x):
    flat = ember.nest.flatten(x)
    return int(np.shape(flat[0])[0]) if flat else None


def _batch_size_weight(y_pred):
    first = ember.nest.flatten(y_pred)[0]
    return ember.cast(ember.shape(first)[0], "float32")


def _format_logs(logs, names, return_dict):
    if return_dict:
        return logs
    values = [logs[k] for k in names if k in logs] or list(logs.values())
    return values[0] if len(values) == 1 else values


def _to_floats(logs):
    out = {}
    for k, v in logs.items():
        arr = np.asarray(v)
        out[k] = float(arr) if arr.ndim == 0 else arr
    return out


def _verbosity(verbose):
    if verbose == "auto":
        return 1
    return int(verbose)


def _should_validate(epoch, freq):
    if isinstance(freq, int):
        return (epoch + 1) % freq == 0
    return epoch + 1 in freq


def _fit_seed():
    """Shuffling follows ember's seeding: the same global seed shuffles the same way."""
    from ember.framework import random_seed
    from ember.framework.context import settings
    seed = settings.global_seed
    if seed is None:
        return None
    return [seed, random_seed.next_count() + 1, 7]


