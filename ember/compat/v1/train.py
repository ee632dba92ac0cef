"""compat.v1.train: TF1 optimizers (minimize builds update ops) and the Saver."""
from __future__ import annotations

import json
import os

import numpy as np

from ember.framework.context import context

__all__ = ["Optimizer", "GradientDescentOptimizer", "MomentumOptimizer", "AdamOptimizer",
           "RMSPropOptimizer", "AdagradOptimizer", "Saver", "latest_checkpoint",
           "get_global_step", "get_or_create_global_step", "create_global_step",
           "get_checkpoint_state", "checkpoint_exists", "CheckpointState"]


class Optimizer:
    """TF1 optimizer: ``minimize(loss)`` = ``apply_gradients(compute_gradients(loss))``.

    In a graph these return operations to run in a Session; eagerly, ``loss`` must be a
    callable and the update happens at once.
    """

    GATE_NONE, GATE_OP, GATE_GRAPH = 0, 1, 2

    def __init__(self, use_locking=False, name=None):
        self._name = name or type(self).__name__.replace("Optimizer", "")
        self._slots = {}

    def get_name(self):
        return self._name

    # -- gradients ---------------------------------------------------------------------
    def compute_gradients(self, loss, var_list=None, gate_gradients=GATE_OP,
                          aggregation_method=None, colocate_gradients_with_ops=False,
                          grad_loss=None):
        from ember.engine.tape import GradientTape
        if callable(loss) and context.graph is None:
            with GradientTape() as tape:
                value = loss()
            variables = list(var_list) if var_list is not None else \
                list(tape.watched_variables())
            grads = tape.gradient(value, variables, output_gradients=grad_loss)
            return list(zip(grads, variables))
        from ember.compat.v1 import gradients, trainable_variables
        variables = list(var_list) if var_list is not None else trainable_variables()
        if not variables:
            raise ValueError("No variables to optimize.")
        grads = gradients(loss, variables, grad_ys=grad_loss)
        return list(zip(grads, variables))

    def minimize(self, loss, global_step=None, var_list=None, gate_gradients=GATE_OP,
                 aggregation_method=None, colocate_gradients_with_ops=False, name=None,
                 grad_loss=None):
        grads_and_vars = self.compute_gradients(loss, var_list=var_list, grad_loss=grad_loss)
        if all(g is None for g, _ in grads_and_vars):
            raise ValueError(f"No gradients provided for any variable: "
                             f"{[v.name for _, v in grads_and_vars]}")
        return self.apply_gradients(grads_and_vars, global_step=global_step, name=name)

    def apply_gradients(self, grads_and_vars, global_step=None, name=None):
        """Applies the gradients; an ``IndexedSlices`` gradient (an embedding lookup's)
        goes, its repeated indices summed, to the optimizer's sparse update, which as in
        TensorFlow 1 changes only the rows it lists (Momentum, RMSProp, Adagrad,
        GradientDescent) or the whole variable (Adam)."""
        from ember.framework import hooks
        if hooks.replicas_in_sync() > 1:
            raise NotImplementedError(
                f"{type(self).__name__}.apply_gradients: TF1 optimizers do not combine "
                f"gradients over the replicas of a tf.distribute strategy in ember; use a "
                f"tf.keras.optimizers optimizer")
        from ember.ops.indexed_slices import IndexedSlices, deduplicate
        pairs = [(g, v) for g, v in grads_and_vars if g is not None]
        self._prepare()
        updates = [self._apply_sparse(deduplicate(g), v) if isinstance(g, IndexedSlices)
                   else self._apply_dense(g, v) for g, v in pairs]
        finish = self._finish(updates)
        if global_step is not None:
            updates.append(global_step.assign_add(1))
        if context.graph is None:
            return None
        from ember.ops.control_flow_ops import group
        return group(*(updates + finish), name=name or self._name)

    # -- slots -------------------------------------------------------------------------
    def _slot(self, var, slot_name, init=0.0):
        from ember.framework.variables import Variable
        key = (id(var), slot_name)
        slot = self._slots.get(key)
        if slot is None:
            shape = var.shape.as_list()
            slot = Variable(np.full(shape, init, dtype=var.dtype.np), trainable=False,
                            name=f"{var.name[:-2]}/{self._name}/{slot_name}")
            self._slots[key] = slot
        return slot

    def get_slot(self, var, name):
        return self._slots.get((id(var), name))

    def get_slot_names(self):
        return sorted({k[1] for k in self._slots})

    def variables(self):
        return list(self._slots.values())

    def _scalar_var(self, name, value):
        from ember.framework.variables import Variable
        key = (None, name)
        if key not in self._slots:
            self._slots[key] = Variable(np.float32(value), trainable=False,
                                        name=f"{self._name}/{name}")
        return self._slots[key]

    def _prepare(self):
        pass

    def _apply_sparse(self, grad, var):
        """The update for the rows ``grad.indices`` (listed once each); by default that of
        the dense gradient."""
        from ember.framework.tensor import convert_to_tensor
        return self._apply_dense(convert_to_tensor(grad), var)

    def _finish(self, updates):
        return []

    def _lr(self, var):
        lr = self._learning_rate
        if callable(lr):
            lr = lr()
        from ember.ops.math_ops import cast
        from ember.framework.tensor import convert_to_tensor
        return cast(convert_to_tensor(lr), var.dtype)


class GradientDescentOptimizer(Optimizer):
    def __init__(self, learning_rate, use_locking=False, name="GradientDescent"):
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate

    def _apply_dense(self, grad, var):
        return var.assign_sub(self._lr(var) * grad)

    def _apply_sparse(self, grad, var):
        return _scatter(var, "scatter_sub", grad.indices, self._lr(var) * grad.values)


class MomentumOptimizer(Optimizer):
    def __init__(self, learning_rate, momentum, use_locking=False, name="Momentum",
                 use_nesterov=False):
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._momentum = momentum
        self._nesterov = use_nesterov

    def _apply_dense(self, grad, var):
        accum = self._slot(var, "momentum")
        lr = self._lr(var)
        new_accum = accum.assign(accum * self._momentum + grad)
        if self._nesterov:
            return var.assign_sub(lr * grad + lr * self._momentum * new_accum)
        return var.assign_sub(lr * new_accum)

    def _apply_sparse(self, grad, var):
        from ember.ops.array_ops import gather
        accum = self._slot(var, "momentum")
        lr = self._lr(var)
        idx, g = grad.indices, grad.values
        new_rows = gather(accum, idx) * self._momentum + g
        accum_t = _scatter(accum, "scatter_update", idx, new_rows)
        step = lr * g + lr * self._momentum * new_rows if self._nesterov else lr * new_rows
        return _together(accum_t, _scatter(var, "scatter_sub", idx, step))


class AdamOptimizer(Optimizer):
    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8,
                 use_locking=False, name="Adam"):
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._beta1, self._beta2, self._epsilon = beta1, beta2, epsilon

    def _prepare(self):
        self._b1p = self._scalar_var("beta1_power", self._beta1)
        self._b2p = self._scalar_var("beta2_power", self._beta2)

    def _apply_dense(self, grad, var):
        from ember.ops.math_ops import cast, sqrt
        m = self._slot(var, "m")
        v = self._slot(var, "v")
        b1p, b2p = cast(self._b1p, var.dtype), cast(self._b2p, var.dtype)
        lr = self._lr(var) * sqrt(1.0 - b2p) / (1.0 - b1p)
        m_t = m.assign(m * self._beta1 + grad * (1.0 - self._beta1))
        v_t = v.assign(v * self._beta2 + grad * grad * (1.0 - self._beta2))
        return var.assign_sub(lr * m_t / (sqrt(v_t) + self._epsilon))

    def _finish(self, updates):
        graph = context.graph
        if graph is None:
            self._b1p.assign(self._b1p * self._beta1)
            self._b2p.assign(self._b2p * self._beta2)
            return []
        with graph.control_dependencies(updates):
            return [self._b1p.assign(self._b1p * self._beta1),
                    self._b2p.assign(self._b2p * self._beta2)]


class RMSPropOptimizer(Optimizer):
    def __init__(self, learning_rate, decay=0.9, momentum=0.0, epsilon=1e-10,
                 use_locking=False, centered=False, name="RMSProp"):
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._decay, self._momentum, self._epsilon = decay, momentum, epsilon
        self._centered = centered

    def _apply_dense(self, grad, var):
        from ember.ops.math_ops import sqrt
        ms = self._slot(var, "rms", init=1.0)
        mom = self._slot(var, "momentum")
        ms_t = ms.assign(ms * self._decay + grad * grad * (1.0 - self._decay))
        denom = ms_t
        if self._centered:
            mg = self._slot(var, "mg")
            mg_t = mg.assign(mg * self._decay + grad * (1.0 - self._decay))
            denom = ms_t - mg_t * mg_t
        mom_t = mom.assign(mom * self._momentum + self._lr(var) * grad /
                           sqrt(denom + self._epsilon))
        return var.assign_sub(mom_t)

    def _apply_sparse(self, grad, var):
        from ember.ops.array_ops import gather
        from ember.ops.math_ops import sqrt
        idx, g = grad.indices, grad.values
        ms = self._slot(var, "rms", init=1.0)
        mom = self._slot(var, "momentum")
        ms_t = gather(ms, idx) * self._decay + g * g * (1.0 - self._decay)
        updates = [_scatter(ms, "scatter_update", idx, ms_t)]
        denom = ms_t
        if self._centered:
            mg = self._slot(var, "mg")
            mg_t = gather(mg, idx) * self._decay + g * (1.0 - self._decay)
            updates.append(_scatter(mg, "scatter_update", idx, mg_t))
            denom = ms_t - mg_t * mg_t
        mom_t = gather(mom, idx) * self._momentum + self._lr(var) * g / sqrt(
            denom + self._epsilon)
        updates.append(_scatter(mom, "scatter_update", idx, mom_t))
        return _together(*updates, _scatter(var, "scatter_sub", idx, mom_t))


class AdagradOptimizer(Optimizer):
    def __init__(self, learning_rate, initial_accumulator_value=0.1, use_locking=False,
                 name="Adagrad"):
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._init = initial_accumulator_value

    def _apply_dense(self, grad, var):
        from ember.ops.math_ops import rsqrt
        acc = self._slot(var, "accumulator", init=self._init)
        acc_t = acc.assign(acc + grad * grad)
        return var.assign_sub(self._lr(var) * grad * rsqrt(acc_t))

    def _apply_sparse(self, grad, var):
        from ember.ops.array_ops import gather
        from ember.ops.math_ops import rsqrt
        idx, g = grad.indices, grad.values
        acc = self._slot(var, "accumulator", init=self._init)
        acc_t = _scatter(acc, "scatter_add", idx, g * g)
        return _scatter(var, "scatter_sub", idx, self._lr(var) * g * rsqrt(gather(acc_t, idx)))


def _together(*updates):
    """In a graph, one operation that runs all ``updates``; eagerly (done) the last."""
    if context.graph is None:
        return updates[-1]
    from ember.ops.control_flow_ops import group
    return group(*updates)


def _scatter(var, kind, indices, values):
    """``var.<kind>`` of the rows at ``indices``; in a graph, the update's value."""
    from ember.ops.variable_scatter import scatter_variable
    return scatter_variable(var, kind, indices, values)


# ------------------------------------------------------------------------ global step ---

def get_global_step(graph=None):
    from ember.compat.v1 import get_default_graph
    g = graph or get_default_graph()
    steps = g.get_collection("global_step")
    return steps[0] if steps else None


def create_global_step(graph=None):
    from ember.compat.v1 import get_default_graph
    from ember.framework.variables import Variable
    g = graph or get_default_graph()
    if get_global_step(g) is not None:
        raise ValueError("global_step already exists.")
    with g.as_default():
        step = Variable(np.int64(0), trainable=False, name="global_step")
    g.add_to_collection("global_step", step)
    _make_global_step_read(g, step)
    return step


def _make_global_step_read(graph, step):
    """``global_step/read``: the step's value, made right after the variable so that in a
    run that also increments it (graph order) it gives the value before the increment, as
    hooks expect; cached in the graph's ``global_step_read_op_cache`` collection."""
    if not graph.get_collection("global_step_read_op_cache"):
        from ember.ops.array_ops import identity
        with graph.as_default(), graph.control_dependencies(None):
            with graph.name_scope(_var_key(step)):
                read = identity(graph.read_variable(step), name="read")
        graph.add_to_collection("global_step_read_op_cache", read)
    return graph.get_collection("global_step_read_op_cache")[0]


def get_or_create_global_step(graph=None):
    step = get_global_step(graph)
    return step if step is not None else create_global_step(graph)


# ------------------------------------------------------------------------------ Saver ---

class Saver:
    """Saves and restores variables in TensorFlow's checkpoint format (a tensor bundle:
    ``<path>.index`` + ``<path>.data-00000-of-00001``, keyed by variable name, readable by
    TensorFlow's ``tf.train.Saver`` and ``tf.train.load_checkpoint``), and keeps the
    directory's ``checkpoint`` state file listing the newest ``max_to_keep`` of them.
    ``save(..., write_meta_graph=True)`` also writes ``<path>.meta`` (a MetaGraphDef) when
    the optional ``tensorboard`` package, which ships TensorFlow's protos, is installed."""

    def __init__(self, var_list=None, reshape=False, sharded=False, max_to_keep=5,
                 keep_checkpoint_every_n_hours=10000.0, name=None,
                 restore_sequentially=False, saver_def=None, builder=None,
                 defer_build=False, allow_empty=False, write_version=2,
                 pad_step_number=False, save_relative_paths=False, filename=None,
                 **kwargs):
        self._var_list = var_list
        self._max_to_keep = max_to_keep
        self._allow_empty = allow_empty
        self._pad_step_number = pad_step_number
        self._kept = []
        if var_list is not None and not isinstance(var_list, dict) and not var_list \
                and not allow_empty:
            raise ValueError("No variables to save")

    def _variables(self):
        if self._var_list is None:
            from ember.compat.v1 import global_variables
            return {_var_key(v): v for v in global_variables()}
        if isinstance(self._var_list, dict):
            return dict(self._var_list)
        return {_var_key(v): v for v in self._var_list}

    @property
    def last_checkpoints(self):
        """The prefixes of the checkpoints this Saver keeps, oldest first."""
        return list(self._kept)

    def recover_last_checkpoints(self, checkpoint_paths):
        """Adopts existing checkpoints (e.g. a restored directory's) as kept ones, so
        ``max_to_keep`` counts them too."""
        self._kept = [p for p in checkpoint_paths if _checkpoint_exists(p)]

    def set_last_checkpoints_with_time(self, last_checkpoints_with_time):
        self._kept = [p for p, _ in last_checkpoints_with_time]

    def save(self, sess, save_path, global_step=None, latest_filename=None,
             meta_graph_suffix="meta", write_meta_graph=True, write_state=True,
             strip_default_attrs=False, save_debug_info=False):
        """Writes the variables' values to ``save_path`` (``save_path-<step>`` with
        ``global_step``, an int, a variable or a tensor) and returns that prefix."""
        from ember.train.checkpoint_management import _write_state
        from ember.train.tensor_bundle import write_bundle
        if global_step is not None:
            step = global_step if isinstance(global_step, (int, np.integer)) else \
                sess.run(global_step)
            step = int(np.asarray(step))
            save_path = f"{save_path}-{step:08d}" if self._pad_step_number else \
                f"{save_path}-{step}"
        arrays = {}
        variables = self._variables()
        if not variables and not self._allow_empty:
            raise ValueError("No variables to save")
        for name, v in variables.items():
            if v._array is None:
                from ember.framework.variables import uninitialized_error
                raise uninitialized_error(v)
            arrays[name] = np.asarray(v._array)
        save_path = os.fspath(save_path)
        directory = os.path.dirname(os.path.abspath(save_path))
        os.makedirs(directory, exist_ok=True)
        write_bundle(save_path, arrays)
        if write_meta_graph:
            self._write_meta_graph(sess, save_path + "." + meta_graph_suffix)
        if save_path in self._kept:
            self._kept.remove(save_path)
        self._kept.append(save_path)
        while self._max_to_keep and len(self._kept) > self._max_to_keep:
            _remove_checkpoint(self._kept.pop(0), meta_graph_suffix)
        if write_state:
            _write_state(directory, save_path, list(self._kept)) \
                if latest_filename in (None, "checkpoint") else \
                _write_named_state(directory, latest_filename, save_path, self._kept)
        return save_path

    def _write_meta_graph(self, sess, path):
        """``<checkpoint>.meta`` (a MetaGraphDef), when TensorFlow's protos are installed
        (the optional tensorboard package) and the graph can be written as one."""
        import importlib.util
        graph = getattr(sess, "graph", None)
        if graph is None or importlib.util.find_spec("tensorboard") is None:
            return
        from ember.compat.v1.meta_graph import export_meta_graph
        try:
            export_meta_graph(path, graph=graph, saver=self)
        except (ValueError, TypeError, NotImplementedError) as e:
            # an op or dtype TensorFlow's GraphDef cannot hold: the checkpoint only
            from ember.compat.v1 import logging
            logging.warning("Saver: no meta graph written to %s: %s", path, e)

    def restore(self, sess, save_path):
        """Sets the variables from the checkpoint ``save_path`` (a prefix save returned)."""
        from ember.framework.errors import InvalidArgumentError, NotFoundError
        if save_path is None:
            raise ValueError("Can't load save_path when it is None.")
        save_path = os.fspath(save_path)
        if os.path.exists(save_path + ".index"):
            from ember.train.checkpoint import read_checkpoint
            stored = read_checkpoint(save_path)
        elif os.path.exists(save_path + ".npz"):        # ember's earlier Saver files
            with np.load(save_path + ".npz", allow_pickle=False) as data:
                stored = {k: data[k] for k in data.files}
        else:
            raise NotFoundError(f"Failed to find any matching files for {save_path}: it is "
                                f"not a valid checkpoint (no {save_path}.index)")
        for name, v in self._variables().items():
            if name not in stored:
                raise NotFoundError(f"Key {name} not found in checkpoint {save_path}")
            value = np.asarray(stored[name])
            if tuple(value.shape) != tuple(v.shape.as_list()):
                raise InvalidArgumentError(f"Checkpoint value for {name} has shape "
                                           f"{value.shape}, variable has {v.shape}")
            v._array = value.astype(v.dtype.np)
            v._exposed = False

    def as_saver_def(self):
        """The SaverDef proto describing this Saver (TensorFlow's node names)."""
        from ember.compat.v1.meta_graph import saver_def_proto
        return saver_def_proto(self)

    def to_proto(self, export_scope=None):
        return self.as_saver_def()


def _var_key(v):
    name = v.name
    return name[:-2] if name.endswith(":0") else name


def _checkpoint_exists(prefix):
    return os.path.exists(prefix + ".index") or os.path.exists(prefix + ".npz")


def _remove_checkpoint(prefix, meta_suffix="meta"):
    from ember.train.tensor_bundle import DATA_SUFFIX
    for suffix in (".index", DATA_SUFFIX, "." + meta_suffix, ".npz"):
        if os.path.exists(prefix + suffix):
            os.remove(prefix + suffix)


def _write_named_state(directory, filename, latest, paths):
    from ember.train.checkpoint import _atomic_text
    lines = [f'model_checkpoint_path: "{os.path.abspath(latest)}"']
    lines += [f'all_model_checkpoint_paths: "{os.path.abspath(p)}"' for p in paths]
    _atomic_text(os.path.join(directory, filename), "\n".join(lines) + "\n")


def get_checkpoint_state(checkpoint_dir, latest_filename=None):
    """The directory's checkpoint state: ``model_checkpoint_path`` and
    ``all_model_checkpoint_paths`` (absolute prefixes), or None without a state file."""
    from ember.train.checkpoint_management import _read_state
    if latest_filename not in (None, "checkpoint"):
        import shutil
        import tempfile
        src = os.path.join(checkpoint_dir, latest_filename)
        if not os.path.exists(src):
            return None
        with tempfile.TemporaryDirectory() as tmp:
            shutil.copy(src, os.path.join(tmp, "checkpoint"))
            latest, paths = _read_state(tmp)
        latest = latest and os.path.join(checkpoint_dir, os.path.relpath(latest, tmp))
        paths = [os.path.join(checkpoint_dir, os.path.relpath(p, tmp)) for p in paths]
    else:
        latest, paths = _read_state(checkpoint_dir)
    if latest is None:
        return None
    return CheckpointState(latest, paths)


class CheckpointState:
    """``model_checkpoint_path`` and ``all_model_checkpoint_paths`` of a directory."""

    def __init__(self, model_checkpoint_path, all_model_checkpoint_paths):
        self.model_checkpoint_path = model_checkpoint_path
        self.all_model_checkpoint_paths = list(all_model_checkpoint_paths)

    def __repr__(self):
        return (f"CheckpointState(model_checkpoint_path={self.model_checkpoint_path!r}, "
                f"all_model_checkpoint_paths={self.all_model_checkpoint_paths!r})")


def checkpoint_exists(checkpoint_prefix):
    return _checkpoint_exists(os.fspath(checkpoint_prefix))


def latest_checkpoint(checkpoint_dir, latest_filename=None):
    """The prefix of the newest checkpoint listed in ``checkpoint_dir``'s state file."""
    state = get_checkpoint_state(checkpoint_dir, latest_filename)
    if state is None or not _checkpoint_exists(state.model_checkpoint_path):
        return None
    return state.model_checkpoint_path


class ExponentialMovingAverage:
    """Shadow copies of variables that track their moving average:
    ``shadow = decay * shadow + (1 - decay) * variable`` each time ``apply`` runs.

    ``num_updates`` (a step counter) caps the decay at ``(1 + n) / (10 + n)`` early in
    training, as in TensorFlow. ``apply`` returns the update (an op in a graph, run it after
    the training step; eagerly it updates at once); ``average(var)`` is the shadow variable,
    ``average_name(var)`` its name (``<var>/ExponentialMovingAverage``), and
    ``variables_to_restore()`` maps those names to variables for a Saver.
    """

    def __init__(self, decay, num_updates=None, zero_debias=False,
                 name="ExponentialMovingAverage"):
        if zero_debias:
            raise NotImplementedError("ExponentialMovingAverage(zero_debias=True) is not "
                                      "supported by ember")
        self._decay = decay
        self._num_updates = num_updates
        self.name = name
        self._averages = {}

    def _effective_decay(self):
        import ember
        decay = ember.cast(ember.convert_to_tensor(self._decay), "float32")
        if self._num_updates is not None:
            n = ember.cast(ember.convert_to_tensor(self._num_updates), "float32")
            decay = ember.minimum(decay, (1.0 + n) / (10.0 + n))
        return decay

    def apply(self, var_list=None):
        import ember
        import ember.compat.v1 as v1
        if var_list is None:
            var_list = v1.trainable_variables()
        updates = []
        for var in var_list:
            if not var.dtype.is_floating:
                raise TypeError(f"ExponentialMovingAverage: {var.name} must be a float "
                                f"variable, not {var.dtype.name}")
            key = id(var)
            if key not in self._averages:
                graph = context.graph
                if graph is not None:
                    with graph.control_dependencies(None):
                        shadow = ember.Variable(var.initialized_value() if var._array is None
                                                else var.numpy(), trainable=False,
                                                name=self.average_name(var))
                else:
                    shadow = ember.Variable(var.numpy(), trainable=False,
                                            name=self.average_name(var))
                self._averages[key] = (var, shadow)
                if graph is not None:
                    graph.add_to_collection("moving_average_variables", var)
            shadow = self._averages[key][1]
            decay = ember.cast(self._effective_decay(), var.dtype)
            updates.append(shadow.assign_sub((shadow - var) * (1.0 - decay)))
        if context.graph is None:
            return None
        return v1.group(*updates)

    def average(self, var):
        found = self._averages.get(id(var))
        return found[1] if found is not None else None

    def average_name(self, var):
        return f"{var.name.split(':')[0]}/{self.name}"

    def variables_to_restore(self, moving_avg_variables=None):
        import ember.compat.v1 as v1
        out = {}
        for var in v1.global_variables():
            name = var.name.split(":")[0]
            out[self.average_name(var) if id(var) in self._averages else name] = var
        return out


from ember.compat.v1.learning_rate_decay import *  # noqa: E402,F401,F403
from ember.compat.v1 import learning_rate_decay as _decay  # noqa: E402

__all__ += ["ExponentialMovingAverage"] + _decay.__all__


_LAZY = {
    "ember.compat.v1.monitored_session": (
        "Scaffold", "SessionCreator", "ChiefSessionCreator", "WorkerSessionCreator",
        "MonitoredSession", "SingularMonitoredSession", "MonitoredTrainingSession",
        "StepContext"),
    "ember.compat.v1.session_run_hook": (
        "SessionRunHook", "SessionRunArgs", "SessionRunContext", "SessionRunValues"),
    "ember.compat.v1.basic_session_run_hooks": (
        "SecondOrStepTimer", "StopAtStepHook", "CheckpointSaverListener",
        "CheckpointSaverHook", "SummarySaverHook", "LoggingTensorHook", "NanTensorHook",
        "NanLossDuringTrainingError", "StepCounterHook", "FinalOpsHook", "FeedFnHook",
        "GlobalStepWaiterHook", "ProfilerHook"),
    "ember.compat.v1.coordinator": ("Coordinator", "LooperThread"),
    "ember.compat.v1.queue_runner": ("QueueRunner", "add_queue_runner",
                                     "start_queue_runners"),
    "ember.compat.v1.queues": ("FIFOQueue", "RandomShuffleQueue", "PaddingFIFOQueue"),
    "ember.compat.v1.summary": ("SummaryWriterCache",),
    "ember.compat.v1.graph_io": ("write_graph",),
    "ember.compat.v1.meta_graph": ("export_meta_graph", "import_meta_graph"),
}
_LAZY_NAMES = {n: mod for mod, names in _LAZY.items() for n in names}


def __getattr__(name):
    """The monitored-session machinery (loaded on first use), and TF2's ``tf.train``
    names (Checkpoint, CheckpointManager, Example, list_variables, ...)."""
    if name in _LAZY_NAMES:
        import importlib
        module = importlib.import_module(_LAZY_NAMES[name])
        return getattr(module, "FileWriterCache" if name == "SummaryWriterCache" else name)
    import ember.train as _v2_train
    if not name.startswith("_") and hasattr(_v2_train, name):
        return getattr(_v2_train, name)
    raise AttributeError(f"module 'ember.compat.v1.train' has no attribute {name!r}")
