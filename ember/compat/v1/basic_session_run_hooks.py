"""The hooks TensorFlow 1 ships for ``MonitoredSession``: stop at a step, save checkpoints
and summaries, log tensors, count steps, stop on NaN loss, run final ops, feed, wait.

They log through ``tf.compat.v1.logging`` (the "tensorflow" logger, WARNING by default, so
INFO lines such as "Saving checkpoints for 10 into ..." appear only after
``tf.compat.v1.logging.set_verbosity(tf.compat.v1.logging.INFO)``, as in TensorFlow).
Event files need the optional ``tensorboard`` package; without it the hooks still run and
write no events.
"""
from __future__ import annotations

import importlib.util
import os
import time

import numpy as np

from ember.compat.v1 import logging
from ember.compat.v1.session_run_hook import SessionRunArgs, SessionRunHook

__all__ = ["SecondOrStepTimer", "StopAtStepHook", "CheckpointSaverListener",
           "CheckpointSaverHook", "SummarySaverHook", "LoggingTensorHook", "NanTensorHook",
           "NanLossDuringTrainingError", "StepCounterHook", "FinalOpsHook", "FeedFnHook",
           "GlobalStepWaiterHook", "ProfilerHook"]


# ------------------------------------------------------------------------ helpers ---

def _default_graph():
    from ember.compat.v1 import get_default_graph
    return get_default_graph()


def global_step_read(graph=None):
    """A tensor reading the global step, made when the step variable was created, so a
    run that also increments the step fetches the value from before the increment."""
    from ember.compat.v1.train import get_global_step
    graph = graph or _default_graph()
    cached = graph.get_collection("global_step_read_op_cache")
    if cached:
        return cached[0]
    step = get_global_step(graph)
    if step is None:
        return None
    from ember.compat.v1.train import _make_global_step_read
    return _make_global_step_read(graph, step)


def _require_global_step(hook):
    step = global_step_read()
    if step is None:
        raise RuntimeError(f"Global step should be created to use {hook}.")
    return step


def _step_value(value):
    return int(np.asarray(value))


def summary_writer_for(logdir):
    """The cached FileWriter of ``logdir``, or None when tensorboard is not installed."""
    if not logdir or importlib.util.find_spec("tensorboard") is None:
        return None
    from ember.compat.v1.summary import FileWriterCache
    return FileWriterCache.get(logdir)


def _session_log(status, checkpoint_path=None):
    from tensorboard.compat.proto import event_pb2
    log = event_pb2.SessionLog(status=getattr(event_pb2.SessionLog, status))
    if checkpoint_path is not None:
        log.checkpoint_path = checkpoint_path
    return log


def as_graph_element(obj):
    """A fetch of the default graph from a tensor, operation, variable or name; a bare
    operation name means its only output."""
    graph = _default_graph()
    if not isinstance(obj, str):
        if getattr(obj, "_is_ember_variable", False):
            return obj
        if getattr(obj, "graph", None) is not graph:
            raise ValueError(f"Passed {obj!r} should have graph attribute that is equal to "
                             f"current graph {graph!r}.")
        return obj
    if ":" in obj:
        return graph.as_graph_element(obj)
    op = graph.get_operation_by_name(obj)
    if len(op.outputs) > 1:
        raise ValueError(f"Name {obj} is ambiguous, as this `Operation` has multiple outputs "
                         f"(at least 2).")
    if not op.outputs:
        raise ValueError(f"Name {obj} names an Operation without outputs; pass a tensor.")
    return op.outputs[0]


# -------------------------------------------------------------------------- timer ---

class SecondOrStepTimer:
    """Triggers every ``every_secs`` seconds or every ``every_steps`` steps (exactly one)."""

    def __init__(self, every_secs=None, every_steps=None):
        self.reset()
        self._every_secs = every_secs
        self._every_steps = every_steps
        if every_secs is None and every_steps is None:
            raise ValueError("Either every_secs or every_steps should be provided.")
        if every_secs is not None and every_steps is not None:
            raise ValueError("Can not provide both every_secs and every_steps.")

    def reset(self):
        self._last_triggered_step = None
        self._last_triggered_time = None

    def should_trigger_for_step(self, step):
        """True if ``step`` is due (always for the first step asked about)."""
        if self._last_triggered_step is None:
            return True
        if self._last_triggered_step == step:
            return False
        if self._every_secs is not None and \
                time.time() >= self._last_triggered_time + self._every_secs:
            return True
        if self._every_steps is not None and \
                step >= self._last_triggered_step + self._every_steps:
            return True
        return False

    def update_last_triggered_step(self, step):
        """Records a trigger at ``step``; returns ``(elapsed_secs, elapsed_steps)`` since
        the previous one (``(None, None)`` the first time)."""
        now = time.time()
        if self._last_triggered_time is None:
            elapsed_secs = elapsed_steps = None
        else:
            elapsed_secs = now - self._last_triggered_time
            elapsed_steps = step - self._last_triggered_step
        self._last_triggered_time = now
        self._last_triggered_step = step
        return elapsed_secs, elapsed_steps

    def last_triggered_step(self):
        return self._last_triggered_step


class NeverTriggerTimer(SecondOrStepTimer):
    def __init__(self):  # noqa: D401 - never due
        self.reset()

    def should_trigger_for_step(self, step):
        return False

    def update_last_triggered_step(self, step):
        return None, None


# -------------------------------------------------------------------------- hooks ---

class StopAtStepHook(SessionRunHook):
    """Requests a stop once the global step reaches ``last_step`` (or ``num_steps`` more
    than its value when the session was created)."""

    def __init__(self, num_steps=None, last_step=None):
        if num_steps is None and last_step is None:
            raise ValueError("One of num_steps or last_step must be specified.")
        if num_steps is not None and last_step is not None:
            raise ValueError("Only one of num_steps or last_step can be specified.")
        if num_steps is not None and num_steps < 0:
            raise ValueError(f"Undefined behavior for negative num_steps: {num_steps}")
        self._num_steps = num_steps
        self._last_step = last_step

    def begin(self):
        self._global_step_tensor = _require_global_step("StopAtStepHook")

    def after_create_session(self, session, coord):
        if self._last_step is None:
            self._last_step = _step_value(session.run(self._global_step_tensor)) + \
                self._num_steps

    def before_run(self, run_context):
        return SessionRunArgs(self._global_step_tensor)

    def after_run(self, run_context, run_values):
        if _step_value(run_values.results) + 1 >= self._last_step:
            # the fetched value may predate this run's increment: read it again
            if _step_value(run_context.session.run(self._global_step_tensor)) >= \
                    self._last_step:
                run_context.request_stop()


class CheckpointSaverListener:
    """Called by ``CheckpointSaverHook`` around each save: ``before_save(session,
    global_step)``, ``after_save(session, global_step)`` (return True to stop training),
    plus ``begin()`` and ``end(session, global_step)``."""

    def begin(self):
        pass

    def before_save(self, session, global_step_value):
        pass

    def after_save(self, session, global_step_value):
        pass

    def end(self, session, global_step_value):
        pass


class CheckpointSaverHook(SessionRunHook):
    """Saves a checkpoint (``<checkpoint_dir>/model.ckpt-<step>``) when the session is
    created, every ``save_steps`` steps or ``save_secs`` seconds, and at the end."""

    def __init__(self, checkpoint_dir, save_secs=None, save_steps=None, saver=None,
                 checkpoint_basename="model.ckpt", scaffold=None, listeners=None,
                 save_graph_def=True):
        logging.info("Create CheckpointSaverHook.")
        if saver is not None and scaffold is not None:
            raise ValueError("You cannot provide both saver and scaffold.")
        self._saver = saver
        self._checkpoint_dir = os.fspath(checkpoint_dir)
        self._save_path = os.path.join(self._checkpoint_dir, checkpoint_basename)
        self._scaffold = scaffold
        self._timer = SecondOrStepTimer(every_secs=save_secs, every_steps=save_steps)
        self._listeners = list(listeners or [])
        self._steps_per_run = 1
        self._save_graph_def = save_graph_def

    def _set_steps_per_run(self, steps_per_run):
        self._steps_per_run = steps_per_run

    def begin(self):
        self._summary_writer = summary_writer_for(self._checkpoint_dir)
        self._global_step_tensor = _require_global_step("CheckpointSaverHook")
        for listener in self._listeners:
            listener.begin()

    def after_create_session(self, session, coord):
        global_step = _step_value(session.run(self._global_step_tensor))
        if self._save_graph_def:
            # the graph is final now (other hooks' begin() may have added to it)
            _write_graph_files(self._checkpoint_dir, self._summary_writer, self._get_saver())
        self._save(session, global_step)
        self._timer.update_last_triggered_step(global_step)

    def before_run(self, run_context):
        return SessionRunArgs(self._global_step_tensor)

    def after_run(self, run_context, run_values):
        stale_global_step = _step_value(run_values.results)
        if self._timer.should_trigger_for_step(stale_global_step + self._steps_per_run):
            global_step = _step_value(run_context.session.run(self._global_step_tensor))
            if self._timer.should_trigger_for_step(global_step):
                self._timer.update_last_triggered_step(global_step)
                if self._save(run_context.session, global_step):
                    run_context.request_stop()

    def end(self, session):
        last_step = _step_value(session.run(self._global_step_tensor))
        if last_step != self._timer.last_triggered_step():
            self._save(session, last_step)
        for listener in self._listeners:
            listener.end(session, last_step)

    def _save(self, session, step):
        """Saves; True if a listener asked to stop."""
        logging.info("Calling checkpoint listeners before saving checkpoint %d...", step)
        for listener in self._listeners:
            listener.before_save(session, step)
        logging.info("Saving checkpoints for %d into %s.", step, self._save_path)
        self._get_saver().save(session, self._save_path, global_step=step,
                               write_meta_graph=self._save_graph_def)
        if self._summary_writer is not None:
            self._summary_writer.add_session_log(
                _session_log("CHECKPOINT", self._save_path), step)
        logging.info("Calling checkpoint listeners after saving checkpoint %d...", step)
        should_stop = False
        for listener in self._listeners:
            if listener.after_save(session, step):
                logging.info("A CheckpointSaverListener requested that training be stopped. "
                             "listener: %s", listener)
                should_stop = True
        return should_stop

    def _get_saver(self):
        if self._saver is not None:
            return self._saver
        if self._scaffold is not None:
            return self._scaffold.saver
        graph = _default_graph()
        savers = graph.get_collection("savers")
        if not savers:
            raise RuntimeError("No items in collection savers. Please add a saver to the "
                               "collection.")
        if len(savers) > 1:
            raise RuntimeError(f"More than one item in collection savers. Please indicate "
                               f"which one to use by passing it to the constructor.")
        self._saver = savers[0]
        return savers[0]


def _write_graph_files(directory, writer, saver):
    """``graph.pbtxt`` in ``directory`` and the graph and meta graph events, as TensorFlow
    writes them on a checkpoint hook's first save (needs tensorboard's protos; skipped,
    with a warning, for a graph holding an op TensorFlow has no node for)."""
    if importlib.util.find_spec("tensorboard") is None:
        return
    from ember.compat.v1 import graph_io
    from ember.compat.v1.meta_graph import create_meta_graph_def
    graph = _default_graph()
    try:
        graph_def = graph.as_graph_def(add_shapes=True)
    except (ValueError, TypeError, NotImplementedError) as e:
        logging.warning("CheckpointSaverHook: graph.pbtxt not written: %s", e)
        return
    graph_io.write_graph(graph_def, directory, "graph.pbtxt")
    if writer is not None:
        writer.add_graph(graph, graph_def=graph_def)
        writer.add_meta_graph(create_meta_graph_def(graph=graph, saver=saver,
                                                    graph_def=graph_def))


class StepCounterHook(SessionRunHook):
    """Logs (INFO) and records ``global_step/sec`` every ``every_n_steps`` steps or
    ``every_n_secs`` seconds."""

    def __init__(self, every_n_steps=100, every_n_secs=None, output_dir=None,
                 summary_writer=None):
        if (every_n_steps is None) == (every_n_secs is None):
            raise ValueError("exactly one of every_n_steps and every_n_secs should be "
                             "provided.")
        self._timer = SecondOrStepTimer(every_steps=every_n_steps, every_secs=every_n_secs)
        self._summary_writer = summary_writer
        self._output_dir = output_dir
        self._last_global_step = None
        self._steps_per_run = 1

    def _set_steps_per_run(self, steps_per_run):
        self._steps_per_run = steps_per_run

    def begin(self):
        if self._summary_writer is None and self._output_dir:
            self._summary_writer = summary_writer_for(self._output_dir)
        self._global_step_tensor = _require_global_step("StepCounterHook")
        from ember.compat.v1.train import get_global_step
        self._summary_tag = get_global_step().name.split(":")[0] + "/sec"
        self._global_step_check_count = 0

    def before_run(self, run_context):
        return SessionRunArgs(self._global_step_tensor)

    def _log_and_record(self, elapsed_steps, elapsed_time, global_step):
        steps_per_sec = elapsed_steps / elapsed_time if elapsed_time > 0 else float("inf")
        if self._summary_writer is not None:
            from tensorboard.compat.proto import summary_pb2
            summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(
                tag=self._summary_tag, simple_value=steps_per_sec)])
            self._summary_writer.add_summary(summary, global_step)
        logging.info("%s: %g", self._summary_tag, steps_per_sec)

    def after_run(self, run_context, run_values):
        stale_global_step = _step_value(run_values.results)
        if self._timer.should_trigger_for_step(stale_global_step + self._steps_per_run):
            global_step = _step_value(run_context.session.run(self._global_step_tensor))
            if self._timer.should_trigger_for_step(global_step):
                elapsed_time, elapsed_steps = self._timer.update_last_triggered_step(
                    global_step)
                if elapsed_time is not None:
                    self._log_and_record(elapsed_steps, elapsed_time, global_step)
        if stale_global_step == self._last_global_step:
            self._global_step_check_count += 1
            if self._global_step_check_count % 20 == 0:
                self._global_step_check_count = 0
                logging.warning("It seems that global step (tf.train.get_global_step) has "
                                "not been increased. Current value (could be stable): %s vs "
                                "previous value: %s. You could increase the global step by "
                                "passing tf.train.get_global_step() to Optimizer.apply_"
                                "gradients or Optimizer.minimize.", stale_global_step,
                                self._last_global_step)
        else:
            self._global_step_check_count = 0
        self._last_global_step = stale_global_step


class SummarySaverHook(SessionRunHook):
    """Runs the summary op (``summary_op`` or the scaffold's, by default ``merge_all()``)
    every ``save_steps`` steps or ``save_secs`` seconds and writes the result to
    ``output_dir``'s event file at the global step."""

    def __init__(self, save_steps=None, save_secs=None, output_dir=None, summary_writer=None,
                 scaffold=None, summary_op=None):
        if (scaffold is None) == (summary_op is None):
            raise ValueError("Exactly one of scaffold or summary_op must be provided.")
        self._summary_op = summary_op
        self._summary_writer = summary_writer
        self._output_dir = output_dir
        self._scaffold = scaffold
        self._timer = SecondOrStepTimer(every_secs=save_secs, every_steps=save_steps)

    def begin(self):
        if self._summary_writer is None and self._output_dir:
            self._summary_writer = summary_writer_for(self._output_dir)
        self._next_step = None
        self._global_step_tensor = _require_global_step("SummarySaverHook")

    def _get_summary_op(self):
        op = self._scaffold.summary_op if self._scaffold is not None else self._summary_op
        if op is None:
            return None
        return op if isinstance(op, list) else [op]

    def before_run(self, run_context):
        self._request_summary = self._next_step is None or \
            self._timer.should_trigger_for_step(self._next_step)
        requests = {"global_step": self._global_step_tensor}
        if self._request_summary and self._get_summary_op() is not None:
            requests["summary"] = self._get_summary_op()
        return SessionRunArgs(requests)

    def after_run(self, run_context, run_values):
        if not self._summary_writer:
            return
        global_step = _step_value(run_values.results["global_step"]) + 1
        if self._next_step is None or self._request_summary:
            global_step = _step_value(run_context.session.run(self._global_step_tensor))
        if self._next_step is None:
            self._summary_writer.add_session_log(_session_log("START"), global_step)
        if self._request_summary:
            self._timer.update_last_triggered_step(global_step)
            for summary in run_values.results.get("summary", ()):
                self._summary_writer.add_summary(summary, global_step)
        self._next_step = global_step + 1

    def end(self, session=None):
        if self._summary_writer:
            self._summary_writer.flush()


class LoggingTensorHook(SessionRunHook):
    """Logs (INFO) the values of ``tensors`` (a dict tag -> tensor or name, or a list)
    every ``every_n_iter`` runs or ``every_n_secs`` seconds, and/or at the end:
    ``"tag = value, tag = value (0.123 sec)"``, or ``formatter(values)``."""

    def __init__(self, tensors, every_n_iter=None, every_n_secs=None, at_end=False,
                 formatter=None):
        only_log_at_end = at_end and every_n_iter is None and every_n_secs is None
        if not only_log_at_end and (every_n_iter is None) == (every_n_secs is None):
            raise ValueError("either at_end and/or exactly one of every_n_iter and "
                             "every_n_secs must be provided.")
        if every_n_iter is not None and every_n_iter <= 0:
            raise ValueError(f"invalid every_n_iter={every_n_iter}.")
        if not isinstance(tensors, dict):
            self._tag_order = list(tensors)
            tensors = {item: item for item in tensors}
        else:
            self._tag_order = sorted(tensors.keys())
        self._tensors = tensors
        self._formatter = formatter
        self._timer = NeverTriggerTimer() if only_log_at_end else SecondOrStepTimer(
            every_secs=every_n_secs, every_steps=every_n_iter)
        self._log_at_end = at_end

    def begin(self):
        self._timer.reset()
        self._iter_count = 0
        self._current_tensors = {tag: as_graph_element(t) for tag, t in self._tensors.items()}

    def before_run(self, run_context):
        self._should_trigger = self._timer.should_trigger_for_step(self._iter_count)
        if self._should_trigger:
            return SessionRunArgs(self._current_tensors)
        return None

    def _log_tensors(self, tensor_values):
        original = np.get_printoptions()
        np.set_printoptions(suppress=True)
        try:
            elapsed_secs, _ = self._timer.update_last_triggered_step(self._iter_count)
            if self._formatter:
                logging.info(self._formatter(tensor_values))
            else:
                stats = ", ".join(f"{tag} = {tensor_values[tag]}" for tag in self._tag_order)
                if elapsed_secs is not None:
                    logging.info("%s (%.3f sec)", stats, elapsed_secs)
                else:
                    logging.info("%s", stats)
        finally:
            np.set_printoptions(**original)

    def after_run(self, run_context, run_values):
        if self._should_trigger:
            self._log_tensors(run_values.results)
        self._iter_count += 1

    def end(self, session):
        if self._log_at_end:
            self._log_tensors(session.run(self._current_tensors))


class NanLossDuringTrainingError(RuntimeError):
    def __str__(self):
        return "NaN loss during training."


class NanTensorHook(SessionRunHook):
    """Raises ``NanLossDuringTrainingError`` (or, with ``fail_on_nan_loss=False``, logs a
    warning and requests a stop) when ``loss_tensor`` is NaN."""

    def __init__(self, loss_tensor, fail_on_nan_loss=True):
        self._loss_tensor = loss_tensor
        self._fail_on_nan_loss = fail_on_nan_loss

    def before_run(self, run_context):
        return SessionRunArgs(self._loss_tensor)

    def after_run(self, run_context, run_values):
        if np.isnan(run_values.results).any():
            message = "Model diverged with loss = NaN."
            if self._fail_on_nan_loss:
                logging.error(message)
                raise NanLossDuringTrainingError
            logging.warning(message)
            run_context.request_stop()


class FinalOpsHook(SessionRunHook):
    """Runs ``final_ops`` when the session ends; their values are ``final_ops_values``."""

    def __init__(self, final_ops, final_ops_feed_dict=None):
        self._final_ops = final_ops
        self._final_ops_feed_dict = final_ops_feed_dict
        self._final_ops_values = None

    @property
    def final_ops_values(self):
        return self._final_ops_values

    def end(self, session):
        if self._final_ops is not None:
            from ember.framework.errors import OutOfRangeError
            try:
                self._final_ops_values = session.run(
                    self._final_ops, feed_dict=self._final_ops_feed_dict)
            except OutOfRangeError as e:
                logging.warning("An OutOfRangeError was raised while running final_ops: %s",
                                e)
                raise


class FeedFnHook(SessionRunHook):
    """Adds ``feed_fn()`` (a feed_dict) to every run."""

    def __init__(self, feed_fn):
        self.feed_fn = feed_fn

    def before_run(self, run_context):
        return SessionRunArgs(fetches=None, feed_dict=self.feed_fn())


class GlobalStepWaiterHook(SessionRunHook):
    """Holds the first run until the global step reaches ``wait_until_step`` (another
    worker is training); polls every half second."""

    def __init__(self, wait_until_step):
        self._wait_until_step = wait_until_step

    def begin(self):
        self._worker_is_started = False
        self._global_step_tensor = _require_global_step("GlobalStepWaiterHook")

    def before_run(self, run_context):
        if self._worker_is_started:
            return None
        if self._wait_until_step <= 0:
            self._worker_is_started = True
            return None
        logging.info("Waiting for global step %d before starting training.",
                     self._wait_until_step)
        last_logged_step = 0
        while True:
            current_step = _step_value(run_context.session.run(self._global_step_tensor))
            if current_step >= self._wait_until_step:
                self._worker_is_started = True
                return None
            if current_step - last_logged_step > 1000:
                logging.info("Waiting for global step %d before starting training. Current "
                             "step is %d.", self._wait_until_step, current_step)
                last_logged_step = current_step
            time.sleep(0.5)


class ProfilerHook(SessionRunHook):
    """Every ``save_steps`` steps or ``save_secs`` seconds, times each operation of one
    run and writes ``timeline-<step>.json`` (Chrome trace format, open it in
    chrome://tracing or Perfetto) to ``output_dir``."""

    def __init__(self, save_steps=None, save_secs=None, output_dir="", show_dataflow=True,
                 show_memory=False):
        self._output_file = os.path.join(output_dir, "timeline-{}.json")
        self._timer = SecondOrStepTimer(every_secs=save_secs, every_steps=save_steps)

    def begin(self):
        self._next_step = None
        self._global_step_tensor = _require_global_step("ProfilerHook")

    def before_run(self, run_context):
        self._request_summary = self._next_step is not None and \
            self._timer.should_trigger_for_step(self._next_step)
        if self._request_summary:
            from ember.compat.v1.config_pb import RunOptions
            return SessionRunArgs(self._global_step_tensor,
                                  options=RunOptions(trace_level=RunOptions.FULL_TRACE))
        return SessionRunArgs(self._global_step_tensor)

    def after_run(self, run_context, run_values):
        stale_global_step = _step_value(run_values.results)
        if self._next_step is None:
            self._timer.update_last_triggered_step(stale_global_step)
        global_step = stale_global_step + 1
        if self._request_summary:
            global_step = _step_value(run_context.session.run(self._global_step_tensor))
            self._timer.update_last_triggered_step(global_step)
            self._save(global_step, run_values.run_metadata)
        self._next_step = global_step + 1

    def _save(self, step, run_metadata):
        import json
        from ember.runtime.atomic_file import atomic_write
        events = []
        for name, op_type, start_us, dur_us in getattr(run_metadata, "step_stats", ()):
            events.append({"name": op_type, "ph": "X", "pid": 0, "tid": 0, "ts": start_us,
                           "dur": dur_us, "args": {"name": name, "op": op_type}})
        path = self._output_file.format(step)
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with atomic_write(path) as tmp:
            with open(tmp, "w") as f:
                json.dump({"traceEvents": events, "displayTimeUnit": "ms"}, f)
