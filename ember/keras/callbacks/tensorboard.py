"""TensorBoard: write training curves, weight histograms and images, and the model's graph
as TensorBoard event files (needs the optional ``tensorboard`` package)."""
from __future__ import annotations

import contextlib
import os
import time
import warnings

import numpy as np

from ember.keras.callbacks.callback import Callback

__all__ = ["TensorBoard"]


class TensorBoard(Callback):
    """Logs for TensorBoard under ``log_dir``: the run ``train/`` gets ``epoch_<metric>``
    scalars (with ``epoch_learning_rate``, and ``epoch_steps_per_second`` when
    ``write_steps_per_second``), weight histograms ``<weight path>/histogram`` (and
    ``/image`` with ``write_images``) every ``histogram_freq`` epochs, the model config for
    the Graphs tab (``write_graph``) and, when ``update_freq`` is ``'batch'`` or an integer
    N, ``batch_<metric>`` scalars every N batches; ``validation/`` gets the validation
    ``epoch_<metric>`` scalars and ``evaluation_<metric>_vs_iterations``.

    >>> tb = keras.callbacks.TensorBoard(log_dir="./logs", histogram_freq=1)
    >>> model.fit(x, y, epochs=3, callbacks=[tb])

    ``profile_batch`` (a batch number, or a ``(start, stop)`` pair, 1-based) profiles those
    training batches with ``ember.profiler`` — the profile goes to ``train/plugins/profile``
    for TensorBoard's Profile tab, each batch marked as a ``Profiled Step`` — and records the
    train step's graph of those batches (``batch_<stop>`` in the Graphs tab).
    ``embeddings_freq`` is not supported (NotImplementedError).
    """

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True,
                 write_images=False, write_steps_per_second=False, update_freq="epoch",
                 profile_batch=0, embeddings_freq=0, embeddings_metadata=None):
        super().__init__()
        if embeddings_freq:
            raise NotImplementedError("TensorBoard(embeddings_freq=...): the embedding "
                                      "projector is not supported by ember")
        if update_freq != "epoch" and update_freq != "batch" and not (
                isinstance(update_freq, int) and update_freq > 0):
            raise ValueError(f"TensorBoard: update_freq must be 'epoch', 'batch' or a "
                             f"positive integer, got {update_freq!r}")
        self.log_dir = str(os.fspath(log_dir))
        self.histogram_freq = int(histogram_freq)
        self.write_graph = bool(write_graph)
        self.write_images = bool(write_images)
        self.write_steps_per_second = bool(write_steps_per_second)
        self.update_freq = 1 if update_freq == "batch" else update_freq
        self.embeddings_freq = embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        self._start_batch, self._stop_batch = _profile_range(profile_batch)
        self._global_train_batch = 0
        self._global_test_batch = 0
        self._writers = {}
        self._pushed = []
        self._graph_pending = False
        self._epoch_start = 0.0
        self._epoch_start_iterations = 0
        self._batch_start = 0.0
        self._tracing = False
        self._profiling = False
        self._step_trace = None

    # -- writers --------------------------------------------------------------------
    @property
    def _summary(self):
        import ember.summary as summary
        return summary

    def _writer(self, run):
        if run not in self._writers:
            subdir = "train" if run == "train" else "validation"
            self._writers[run] = self._summary.create_file_writer(
                os.path.join(self.log_dir, subdir))
        return self._writers[run]

    def _push(self, run, step):
        """Batch-level summaries go to ``run``'s writer, every ``update_freq`` steps."""
        if self.update_freq == "epoch":
            return
        writer = self._writer(run)
        freq = self.update_freq
        stack = contextlib.ExitStack()
        stack.enter_context(writer.as_default(step))
        stack.enter_context(self._summary.record_if(step % freq == 0))
        self._pushed.append(stack)

    def _pop(self):
        if self.update_freq != "epoch" and self._pushed:
            self._pushed.pop().close()

    def set_model(self, model):
        super().set_model(model)
        self._writers = {}
        self._graph_pending = False
        if self.write_graph:
            self._write_model_config()
            self._graph_pending = True

    def _write_model_config(self):
        model = self.model
        if type(model).__name__ not in ("Functional", "Sequential"):
            return
        try:
            config = model.to_json()
        except (NotImplementedError, TypeError, ValueError):
            return
        from ember.summary.summaries import keras_model
        with self._writer("train").as_default():
            keras_model("keras", config, step=0)

    # -- training -------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._global_train_batch = 0
        self._epoch_start_iterations = 0
        self._push("train", 0)
        if self._graph_pending or self._start_batch:
            from ember.engine import function as _function
            self._observed = []
            self._observer = self._observed.append
            _function.call_observers.append(self._observer)

    def _stop_observing(self):
        from ember.engine import function as _function
        observer = getattr(self, "_observer", None)
        if observer is not None and observer in _function.call_observers:
            _function.call_observers.remove(observer)
        self._observer = None

    def on_train_end(self, logs=None):
        self._pop()
        self._stop_observing()
        self._stop_profiler()
        for writer in self._writers.values():
            writer.close()
        self._writers = {}      # a later evaluate() with this callback opens new files

    def on_epoch_begin(self, epoch, logs=None):
        if self.write_steps_per_second:
            self._epoch_start = time.time()
            self._epoch_start_iterations = _iterations(self.model)

    def on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        if self.update_freq != "epoch":
            self._pop()
            self._push("train", self._global_train_batch)
        if self.write_steps_per_second:
            self._batch_start = time.time()
        if self._start_batch and self._global_train_batch == self._start_batch:
            self._start_profiler()
        if self._profiling:
            from ember.profiler.experimental import Trace
            self._step_trace = Trace("Profiled Step", step_num=batch)
            self._step_trace.__enter__()

    def _start_profiler(self):
        from ember.framework.errors import AlreadyExistsError
        from ember.profiler import experimental as profiler
        try:
            profiler.start(os.path.join(self.log_dir, "train"))
        except AlreadyExistsError as e:       # the program is profiling already
            warnings.warn(f"TensorBoard: profile_batch could not start the profiler: {e}",
                          stacklevel=2)
            return
        self._profiling = True

    def _stop_profiler(self):
        if self._step_trace is not None:
            self._step_trace.__exit__(None, None, None)
            self._step_trace = None
        if self._profiling:
            from ember.profiler import experimental as profiler
            self._profiling = False
            profiler.stop()

    def on_train_batch_end(self, batch, logs=None):
        if self._step_trace is not None:
            self._step_trace.__exit__(None, None, None)
            self._step_trace = None
        if self._profiling and self._global_train_batch >= self._stop_batch:
            self._stop_profiler()
        if self._graph_pending:
            self._graph_pending = False
            self._write_train_graph()
        if self._start_batch and self._global_train_batch == self._stop_batch:
            self._write_trace_graph()
        if self.update_freq == "epoch":
            return
        summary = self._summary
        if self.write_steps_per_second:
            elapsed = max(time.time() - self._batch_start, 1e-9)
            summary.scalar("batch_steps_per_second", 1.0 / elapsed,
                           step=self._global_train_batch)
        if isinstance(logs, dict):
            for name, value in logs.items():
                summary.scalar(f"batch_{name}", value, step=self._global_train_batch)

    def _observed_graphs(self):
        graphs = []
        for concrete in getattr(self, "_observed", None) or []:
            if all(g is not concrete.graph for g in graphs):
                graphs.append(concrete.graph)
        return graphs

    def _write_train_graph(self):
        graphs = self._observed_graphs()
        if not self._start_batch:
            self._stop_observing()
        if graphs:
            with self._writer("train").as_default():
                self._summary.graph(graphs[0])

    def _write_trace_graph(self):
        graphs = self._observed_graphs()
        self._stop_observing()
        if not graphs:
            return
        from tensorboard.compat.proto import config_pb2
        from ember.summary.events import graph_def_proto
        from ember.summary.summaries import _write
        meta = config_pb2.RunMetadata()
        for g in graphs:
            meta.function_graphs.add().pre_optimization_graph.CopyFrom(graph_def_proto(g))
        with self._writer("train").as_default():
            _write("run_metadata_graph", f"batch_{self._stop_batch}",
                   np.array(meta.SerializeToString(), dtype=object), self._stop_batch, ())

    def on_epoch_end(self, epoch, logs=None):
        self._log_epoch_metrics(epoch, logs or {})
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)

    def _log_epoch_metrics(self, epoch, logs):
        if not logs:
            return
        train = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        train.update(_learning_rates(self.model))
        if self.write_steps_per_second:
            elapsed = max(time.time() - self._epoch_start, 1e-9)
            train["steps_per_second"] = (_iterations(self.model) -
                                         self._epoch_start_iterations) / elapsed
        summary = self._summary
        if train:
            with self._writer("train").as_default():
                for name, value in train.items():
                    summary.scalar(f"epoch_{name}", value, step=epoch)
        if val:
            with self._writer("val").as_default():
                for name, value in val.items():
                    summary.scalar(f"epoch_{name}", value, step=epoch)

    def _log_weights(self, epoch):
        summary = self._summary
        writer = self._writer("train")
        with writer.as_default():
            for layer in self.model.layers:
                for weight in layer.weights:
                    name = _weight_tag(self.model, weight)
                    summary.histogram(f"{name}/histogram", weight, step=epoch)
                    if self.write_images:
                        image = _weight_image(np.asarray(weight.numpy()))
                        if image is not None:
                            summary.image(f"{name}/image", image, step=epoch)
        writer.flush()

    # -- evaluation -----------------------------------------------------------------
    def on_test_begin(self, logs=None):
        self._push("val", self._global_test_batch)

    def on_test_batch_begin(self, batch, logs=None):
        self._global_test_batch += 1
        if self.update_freq != "epoch":
            self._pop()
            self._push("val", self._global_test_batch)

    def on_test_end(self, logs=None):
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None and hasattr(optimizer, "iterations") and logs:
            step = _iterations(self.model)
            with self._writer("val").as_default():
                for name, value in logs.items():
                    self._summary.scalar(f"evaluation_{name}_vs_iterations", value,
                                         step=step)
        self._pop()


def _profile_range(profile_batch):
    """(start, stop) batches from ``profile_batch`` (an int, 'start,stop' or a pair)."""
    message = (f"TensorBoard: profile_batch must be a non-negative integer or a pair of "
               f"positive integers (start, stop) with start <= stop, got {profile_batch!r}")
    if isinstance(profile_batch, str):
        parts = profile_batch.split(",")
        try:
            profile_batch = [int(p) for p in parts]
        except ValueError:
            raise ValueError(message) from None
    if isinstance(profile_batch, (int, np.integer)) and not isinstance(profile_batch, bool):
        start = stop = int(profile_batch)
    elif isinstance(profile_batch, (list, tuple)) and len(profile_batch) == 2:
        start, stop = (int(p) for p in profile_batch)
    else:
        raise ValueError(message)
    if start < 0 or stop < start or (start == 0 and stop != 0):
        raise ValueError(message)
    return start, stop


def _iterations(model):
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not hasattr(optimizer, "iterations"):
        return 0
    return int(np.asarray(optimizer.iterations.numpy()))


def _learning_rates(model):
    optimizer = getattr(model, "optimizer", None)
    optimizer = getattr(optimizer, "inner_optimizer", optimizer)
    if optimizer is None:
        return {}
    if hasattr(optimizer, "optimizers"):
        return {f"learning_rate_{o.name}": float(np.asarray(o.learning_rate))
                for o in optimizer.optimizers}
    if hasattr(optimizer, "learning_rate"):
        try:
            return {"learning_rate": float(np.asarray(optimizer.learning_rate))}
        except (TypeError, ValueError):
            return {}
    return {}


def _weight_tag(model, weight):
    """The weight's path as Keras 3 names it: a Sequential model's weights sit under the
    model's name."""
    path = getattr(weight, "path", None) or weight.name
    path = path.replace(":", "_")
    if type(model).__name__ == "Sequential" and not path.startswith(model.name + "/"):
        path = f"{model.name}/{path}"
    return path


def _weight_image(w):
    """A weight as Keras shows it: a bias as a 1-pixel-high strip, a kernel as a (wide)
    matrix, a 1-D conv kernel as one image per output channel; None for other shapes."""
    w = np.squeeze(w)
    if w.ndim == 1:
        w = w.reshape(1, w.shape[0], 1, 1)
    elif w.ndim == 2:
        if w.shape[0] > w.shape[1]:
            w = w.T
        w = w.reshape(1, w.shape[0], w.shape[1], 1)
    elif w.ndim == 3:
        w = np.transpose(w, (2, 0, 1))
        w = w.reshape(w.shape[0], w.shape[1], w.shape[2], 1)
    if w.ndim == 4 and w.shape[-1] in (1, 3, 4):
        return w
    return None
