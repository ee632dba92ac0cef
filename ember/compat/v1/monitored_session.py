"""``tf.compat.v1.train.MonitoredSession`` and ``MonitoredTrainingSession``: a Session that
initializes or restores the model, runs hooks around every ``run`` and knows when to stop.

    global_step = tf.train.get_or_create_global_step()
    train_op = tf.train.AdamOptimizer().minimize(loss, global_step=global_step)
    with tf.train.MonitoredTrainingSession(
            checkpoint_dir="/tmp/model", save_checkpoint_steps=100,
            hooks=[tf.train.StopAtStepHook(last_step=1000)]) as sess:
        while not sess.should_stop():
            sess.run(train_op)

Creating the session: every hook's ``begin()``, then the ``Scaffold`` is finalized (its
default init, local-init, summary ops and Saver are made and the graph is finalized), then
the model is restored from the newest checkpoint in ``checkpoint_dir`` or initialized, then
every hook's ``after_create_session(session, coord)``. ``close()`` (or leaving the ``with``
block without an error, or with ``OutOfRangeError``/``StopIteration``, which it swallows)
calls every hook's ``end(session)``.
"""
from __future__ import annotations

import inspect
import time

from ember.compat.v1 import basic_session_run_hooks as hooks_lib
from ember.compat.v1.coordinator import Coordinator
from ember.compat.v1.session import Session
from ember.compat.v1.session_run_hook import (SessionRunArgs, SessionRunContext,
                                              SessionRunValues)
from ember.framework import errors, nest

__all__ = ["Scaffold", "SessionCreator", "ChiefSessionCreator", "WorkerSessionCreator",
           "MonitoredSession", "SingularMonitoredSession", "MonitoredTrainingSession",
           "StepContext", "USE_DEFAULT"]

USE_DEFAULT = object()


def _graph():
    from ember.compat.v1 import get_default_graph
    return get_default_graph()


# ----------------------------------------------------------------------- Scaffold ---

class Scaffold:
    """The ops and Saver a monitored session needs; the ones not given are made (or taken
    from the graph's collections) by ``finalize()``: ``init_op`` (initializes the global
    variables), ``ready_op`` (lists uninitialized variables), ``local_init_op`` (local
    variables and tables), ``summary_op`` (``summary.merge_all()``) and ``saver``
    (a ``Saver`` of all global variables). ``init_fn(scaffold, session)`` runs after
    ``init_op`` when the model was not restored from a checkpoint."""

    def __init__(self, init_op=None, init_feed_dict=None, init_fn=None, ready_op=None,
                 ready_for_local_init_op=None, local_init_op=None, summary_op=None,
                 saver=None, copy_from_scaffold=None, local_init_feed_dict=None):
        if copy_from_scaffold is not None:
            if not isinstance(copy_from_scaffold, Scaffold):
                raise TypeError("copy_from_scaffold is not a Scaffold instance.")
            c = copy_from_scaffold
            init_op = init_op or c.init_op
            init_feed_dict = init_feed_dict or c.init_feed_dict
            init_fn = init_fn or c._user_init_fn
            ready_op = ready_op or c.ready_op
            ready_for_local_init_op = ready_for_local_init_op or c.ready_for_local_init_op
            local_init_op = local_init_op or c.local_init_op
            local_init_feed_dict = local_init_feed_dict or c.local_init_feed_dict
            summary_op = summary_op or c.summary_op
            saver = saver or c.saver
        self._user_init_fn = init_fn
        self._init_fn = (lambda sess: init_fn(self, sess)) if init_fn else None
        self._init_op = init_op
        self._init_feed_dict = init_feed_dict
        self._ready_op = ready_op
        self._ready_for_local_init_op = ready_for_local_init_op
        self._local_init_op = local_init_op
        self._local_init_feed_dict = local_init_feed_dict
        self._summary_op = summary_op
        self._saver = saver
        self._finalized = False

    def finalize(self):
        """Makes the missing ops and the Saver, then finalizes the default graph."""
        if self._finalized:
            return self
        import ember.compat.v1 as v1
        if self._init_op is None:
            self._init_op = Scaffold.get_or_default("init_op", "init_op",
                                                    Scaffold.default_init_op)
        if self._ready_op is None:
            self._ready_op = Scaffold.get_or_default("ready_op", "ready_op", lambda: None)
        if self._local_init_op is None:
            self._local_init_op = Scaffold.get_or_default("local_init_op", "local_init_op",
                                                          Scaffold.default_local_init_op)
        if self._summary_op is None:
            self._summary_op = Scaffold.get_or_default(
                "summary_op", "summary_op", lambda: v1.summary.merge_all())
        if self._saver is None:
            self._saver = Scaffold.get_or_default(
                "saver", "savers", lambda: v1.train.Saver(sharded=True, allow_empty=True))
        _graph().finalize()
        self._finalized = True
        return self

    @property
    def init_fn(self):
        return self._init_fn

    @property
    def init_op(self):
        return self._init_op

    @property
    def ready_op(self):
        return self._ready_op

    @property
    def ready_for_local_init_op(self):
        return self._ready_for_local_init_op

    @property
    def local_init_op(self):
        return self._local_init_op

    @property
    def local_init_feed_dict(self):
        return self._local_init_feed_dict

    @property
    def summary_op(self):
        return self._summary_op

    @property
    def saver(self):
        return self._saver

    @property
    def init_feed_dict(self):
        return self._init_feed_dict

    @staticmethod
    def get_or_default(arg_name, collection_key, default_constructor):
        """The one item of the graph's ``collection_key`` collection, or a new one from
        ``default_constructor`` (then added to the collection)."""
        graph = _graph()
        elements = graph.get_collection(collection_key)
        if elements:
            if len(elements) > 1:
                raise RuntimeError(
                    f'More than one item in the collection "{collection_key}". Please '
                    f"indicate which one to use by passing it to the tf.Scaffold "
                    f"constructor as:  tf.Scaffold({arg_name}=item to use)")
            return elements[0]
        op = default_constructor()
        if op is not None:
            graph.add_to_collection(collection_key, op)
        return op

    @staticmethod
    def default_init_op():
        """Initializes every global variable (and resources)."""
        import ember.compat.v1 as v1
        return v1.variables_initializer(v1.global_variables(), name="init")

    @staticmethod
    def default_local_init_op():
        """Initializes the local variables and the lookup tables."""
        import ember.compat.v1 as v1
        from ember.ops.control_flow_ops import group
        parts = [v1.local_variables_initializer()]
        tables = _graph().get_collection("table_initializer")
        if tables:
            parts.append(group(*tables))
        return group(*parts, name="local_init")


def _uninitialized(session, ready_op):
    """Names of the variables that still have no value (or what ``ready_op`` reports)."""
    if ready_op is not None:
        import numpy as np
        names = np.asarray(session.run(ready_op)).reshape(-1)
        return [n.decode() if isinstance(n, bytes) else str(n) for n in names]
    import ember.compat.v1 as v1
    variables = v1.global_variables() + v1.local_variables()
    return [v.name.split(":")[0] for v in variables if v._array is None]


# ---------------------------------------------------------------- session creators ---

class SessionCreator:
    """Makes the raw Session a MonitoredSession wraps."""

    def create_session(self):
        raise NotImplementedError("create_session is not implemented for "
                                  f"{type(self).__name__}.")


class ChiefSessionCreator(SessionCreator):
    """Creates a Session and initializes the model, or restores it from
    ``checkpoint_filename_with_path`` or the newest checkpoint in ``checkpoint_dir``."""

    def __init__(self, scaffold=None, master="", config=None, checkpoint_dir=None,
                 checkpoint_filename_with_path=None):
        if checkpoint_dir is not None and checkpoint_filename_with_path is not None:
            raise ValueError("Cannot provide both checkpoint_dir and "
                             "checkpoint_filename_with_path.")
        self._checkpoint_dir = checkpoint_dir
        self._checkpoint_filename_with_path = checkpoint_filename_with_path
        self._scaffold = scaffold or Scaffold()
        self._master = master
        self._config = config

    def create_session(self):
        self._scaffold.finalize()
        sess = Session(self._master, graph=_graph(), config=self._config)
        s = self._scaffold
        restored = _restore(sess, s.saver, self._checkpoint_dir,
                            self._checkpoint_filename_with_path)
        if not restored:
            if s.init_op is None and not s.init_fn and s.local_init_op is None:
                raise RuntimeError("Model is not initialized and no init_op or init_fn or "
                                   "local_init_op was given")
            if s.init_op is not None:
                sess.run(s.init_op, feed_dict=s.init_feed_dict)
            if s.init_fn:
                s.init_fn(sess)
        if s.local_init_op is not None:
            sess.run(s.local_init_op, feed_dict=s.local_init_feed_dict)
        not_ready = _uninitialized(sess, s.ready_op)
        if not_ready:
            raise RuntimeError(
                f"Init operations did not make model ready. Init op: "
                f"{getattr(s.init_op, 'name', s.init_op)}, init fn: {s.init_fn}, "
                f"local_init_op: {getattr(s.local_init_op, 'name', s.local_init_op)}, "
                f"error: Variables not initialized: {', '.join(not_ready)}")
        return sess


def _restore(sess, saver, checkpoint_dir, checkpoint_filename_with_path):
    """Restores from a checkpoint if there is one; True if it did."""
    from ember.compat.v1 import train
    if checkpoint_filename_with_path:
        saver.restore(sess, checkpoint_filename_with_path)
        return True
    if not checkpoint_dir:
        return False
    from ember.compat.v1 import logging
    state = train.get_checkpoint_state(checkpoint_dir)
    if state is None or not train.checkpoint_exists(state.model_checkpoint_path):
        return False
    logging.info("Restoring parameters from %s", state.model_checkpoint_path)
    saver.restore(sess, state.model_checkpoint_path)
    saver.recover_last_checkpoints(state.all_model_checkpoint_paths)
    return True


class WorkerSessionCreator(SessionCreator):
    """Creates a Session for a non-chief worker: runs the local init op and waits (up to
    ``max_wait_secs``) until the chief has initialized the model."""

    def __init__(self, scaffold=None, master="", config=None, max_wait_secs=30 * 60):
        self._scaffold = scaffold or Scaffold()
        self._master = master
        self._config = config
        self._max_wait_secs = max_wait_secs

    def create_session(self):
        self._scaffold.finalize()
        sess = Session(self._master, graph=_graph(), config=self._config)
        s = self._scaffold
        deadline = time.monotonic() + self._max_wait_secs
        while True:
            if s.local_init_op is not None:
                sess.run(s.local_init_op, feed_dict=s.local_init_feed_dict)
            not_ready = _uninitialized(sess, s.ready_op)
            if not not_ready:
                return sess
            if time.monotonic() >= deadline:
                raise errors.DeadlineExceededError(
                    f"Session was not ready after waiting {self._max_wait_secs} secs: "
                    f"variables not initialized: {', '.join(not_ready)}")
            time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))


# ----------------------------------------------------------------- the sessions ---

class StepContext:
    """What ``run_step_fn``'s function receives: the raw ``session``,
    ``run_with_hooks(...)`` (a ``run`` with the hooks) and ``request_stop()``."""

    def __init__(self, session, run_with_hooks_fn):
        self._session = session
        self._run_with_hooks_fn = run_with_hooks_fn

    @property
    def session(self):
        return self._session

    def run_with_hooks(self, *args, **kwargs):
        return self._run_with_hooks_fn(*args, **kwargs)

    def request_stop(self):
        """Stops the monitored session; ends the step function at once."""
        raise _StopRequested()


class _StopRequested(Exception):
    pass


class _MonitoredSession:
    """The shared machinery of MonitoredSession and SingularMonitoredSession."""

    def __init__(self, session_creator, hooks, stop_grace_period_secs=120):
        self._graph = _graph()
        self._graph_was_finalized = self._graph.finalized
        self._hooks = list(hooks or [])
        self._stop_grace_period_secs = stop_grace_period_secs
        for h in self._hooks:
            h.begin()
        self._session_creator = session_creator or ChiefSessionCreator()
        self._should_stop = False
        self._sess = None
        self._coord = None
        try:
            self._create()
        except BaseException:
            if not self._graph_was_finalized:
                self._graph._unsafe_unfinalize()
            raise

    def _create(self):
        self._sess = self._session_creator.create_session()
        self._coord = Coordinator(clean_stop_exception_types=[])
        queue_runners = self._graph.get_collection("queue_runners")
        if queue_runners:
            from ember.compat.v1.queue_runner import start_queue_runners
            start_queue_runners(sess=self._sess, coord=self._coord)
        for h in self._hooks:
            h.after_create_session(self._sess, self._coord)

    # -- context management ------------------------------------------------------------
    def __enter__(self):
        return self

    def __exit__(self, exception_type, exception_value, traceback):
        if exception_type in (errors.OutOfRangeError, StopIteration):
            exception_type = None
        self._close_internal(exception_type)
        return exception_type is None

    # -- running -----------------------------------------------------------------------
    @property
    def graph(self):
        return self._graph

    def _tf_sess(self):
        return self._sess

    def should_stop(self):
        """True once a hook requested a stop, the coordinator stopped, or after close."""
        return self._sess is None or self._should_stop or \
            (self._coord is not None and self._coord.should_stop())

    def _is_closed(self):
        return self._sess is None

    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        """``Session.run`` with the hooks' ``before_run``/``after_run`` around it."""
        if self._sess is None:
            raise RuntimeError("Session is already closed.")
        if self.should_stop():
            raise RuntimeError("Run called even after should_stop requested.")
        from ember.compat.v1.config_pb import RunMetadata, RunOptions
        run_context = SessionRunContext(SessionRunArgs(fetches, feed_dict), self._sess)
        options = options or RunOptions()
        requests = []                  # (hook, fetches) of hooks that asked for some
        hook_feeds = {}
        for hook in self._hooks:
            request = hook.before_run(run_context)
            if request is None:
                continue
            if not isinstance(request, SessionRunArgs):
                raise TypeError(f"{type(hook).__name__}.before_run must return a "
                                f"SessionRunArgs or None, got {type(request).__name__}")
            if request.fetches is not None:
                requests.append((hook, request.fetches))
            if request.feed_dict:
                _raise_if_feeds_intersect(hook_feeds, request.feed_dict,
                                          "Same tensor is fed by two hooks.")
                hook_feeds.update(request.feed_dict)
            if request.options:
                _merge_run_options(options, request.options)
        if hook_feeds:
            if feed_dict:
                _raise_if_feeds_intersect(feed_dict, hook_feeds,
                                          "Same tensor is fed by a SessionRunHook and user.")
                hook_feeds.update(feed_dict)
            feed_dict = hook_feeds
        run_metadata = run_metadata if run_metadata is not None else RunMetadata()
        try:
            outputs = self._sess.run([fetches] + [f for _, f in requests],
                                     feed_dict=feed_dict, options=options,
                                     run_metadata=run_metadata)
        except Exception:
            if self._coord is not None:
                self._coord.raise_requested_exception()
            raise
        results = {id(h): r for (h, _), r in zip(requests, outputs[1:])}
        for hook in self._hooks:
            hook.after_run(run_context, SessionRunValues(results=results.get(id(hook)),
                                                         options=options,
                                                         run_metadata=run_metadata))
        self._should_stop = self._should_stop or run_context.stop_requested
        return outputs[0]

    def run_step_fn(self, step_fn):
        """Calls ``step_fn(step_context)`` (see ``StepContext``) and returns its value."""
        params = list(inspect.signature(step_fn).parameters)
        if params not in (["step_context"], ["self", "step_context"]):
            raise ValueError(f"`step_fn` may either have one `step_context` argument, or "
                             f"`self` and `step_context` arguments if it's an instance "
                             f"method. Got {tuple(params)} instead.")
        if self._sess is None:
            raise RuntimeError("Session is already closed.")
        try:
            return step_fn(StepContext(self._sess, self.run))
        except _StopRequested:
            self._should_stop = True
            return None

    # -- closing -----------------------------------------------------------------------
    def close(self):
        self._close_internal()

    def _close_internal(self, exception_type=None):
        try:
            if not exception_type and self._sess is not None:
                for h in self._hooks:
                    h.end(self._sess)
        finally:
            try:
                if self._sess is None:
                    raise RuntimeError("Session is already closed.")
                if self._coord is not None:
                    self._coord.request_stop()
                    try:
                        self._coord.join(stop_grace_period_secs=self._stop_grace_period_secs,
                                         ignore_live_threads=True)
                    finally:
                        self._sess.close()
            finally:
                self._sess = None
                self._coord = None
                if not self._graph_was_finalized:
                    self._graph._unsafe_unfinalize()


def _raise_if_feeds_intersect(feeds1, feeds2, message):
    common = set(map(id, feeds1)) & set(map(id, feeds2))
    if common:
        names = [getattr(k, "name", str(k)) for k in feeds2 if id(k) in common]
        raise RuntimeError(f"{message} Conflict(s): {names}")


def _merge_run_options(options, incoming):
    if getattr(incoming, "trace_level", 0) > getattr(options, "trace_level", 0):
        options.trace_level = incoming.trace_level
    timeout = getattr(incoming, "timeout_in_ms", 0)
    if timeout and (not options.timeout_in_ms or timeout < options.timeout_in_ms):
        options.timeout_in_ms = timeout


class MonitoredSession(_MonitoredSession):
    """A Session with hooks, initialization or restore, and ``should_stop()``.

    ``session_creator`` defaults to ``ChiefSessionCreator()`` (initialize, or restore when
    given a checkpoint directory)."""

    def __init__(self, session_creator=None, hooks=None, stop_grace_period_secs=120):
        super().__init__(session_creator, hooks, stop_grace_period_secs)


class SingularMonitoredSession(_MonitoredSession):
    """A MonitoredSession of one process (the chief); ``raw_session()`` is the Session."""

    def __init__(self, hooks=None, scaffold=None, master="", config=None,
                 checkpoint_dir=None, stop_grace_period_secs=120,
                 checkpoint_filename_with_path=None):
        creator = ChiefSessionCreator(scaffold=scaffold, master=master, config=config,
                                      checkpoint_dir=checkpoint_dir,
                                      checkpoint_filename_with_path=
                                      checkpoint_filename_with_path)
        super().__init__(creator, hooks, stop_grace_period_secs)

    def raw_session(self):
        return self._tf_sess()


def MonitoredTrainingSession(master="", is_chief=True, checkpoint_dir=None,  # noqa: N802
                             scaffold=None, hooks=None, chief_only_hooks=None,
                             save_checkpoint_secs=USE_DEFAULT,
                             save_summaries_steps=USE_DEFAULT,
                             save_summaries_secs=USE_DEFAULT, config=None,
                             stop_grace_period_secs=120, log_step_count_steps=100,
                             max_wait_secs=7200, save_checkpoint_steps=USE_DEFAULT,
                             summary_dir=None, save_graph_def=True):
    """A MonitoredSession set up for training, as TensorFlow 1 does it.

    On the chief: restores from (and saves into) ``checkpoint_dir``. Checkpoints every
    ``save_checkpoint_secs`` seconds (600 when neither it nor ``save_checkpoint_steps`` is
    given) or ``save_checkpoint_steps`` steps, with a ``CheckpointSaverHook``; summaries
    every ``save_summaries_steps`` steps (100 by default) or ``save_summaries_secs``
    seconds into ``summary_dir`` (default ``checkpoint_dir``) with a
    ``SummarySaverHook``; ``global_step/sec`` every ``log_step_count_steps`` steps with a
    ``StepCounterHook``. Hooks run in this order: ``chief_only_hooks``, the step counter,
    the summary saver, the checkpoint saver, then ``hooks``.
    """
    if save_summaries_steps is USE_DEFAULT and save_summaries_secs is USE_DEFAULT:
        save_summaries_steps, save_summaries_secs = 100, None
    elif save_summaries_secs is USE_DEFAULT:
        save_summaries_secs = None
    elif save_summaries_steps is USE_DEFAULT:
        save_summaries_steps = None
    if save_checkpoint_steps is USE_DEFAULT and save_checkpoint_secs is USE_DEFAULT:
        save_checkpoint_steps, save_checkpoint_secs = None, 600
    elif save_checkpoint_secs is USE_DEFAULT:
        save_checkpoint_secs = None
    elif save_checkpoint_steps is USE_DEFAULT:
        save_checkpoint_steps = None
    scaffold = scaffold or Scaffold()
    if not is_chief:
        creator = WorkerSessionCreator(scaffold=scaffold, master=master, config=config,
                                       max_wait_secs=max_wait_secs)
        return MonitoredSession(session_creator=creator, hooks=hooks or [],
                                stop_grace_period_secs=stop_grace_period_secs)
    all_hooks = list(chief_only_hooks or [])
    creator = ChiefSessionCreator(scaffold=scaffold, checkpoint_dir=checkpoint_dir,
                                  master=master, config=config)
    summary_dir = summary_dir or checkpoint_dir
    if summary_dir:
        if log_step_count_steps and log_step_count_steps > 0:
            all_hooks.append(hooks_lib.StepCounterHook(output_dir=summary_dir,
                                                       every_n_steps=log_step_count_steps))
        if (save_summaries_steps and save_summaries_steps > 0) or \
                (save_summaries_secs and save_summaries_secs > 0):
            all_hooks.append(hooks_lib.SummarySaverHook(
                scaffold=scaffold, save_steps=save_summaries_steps,
                save_secs=save_summaries_secs, output_dir=summary_dir))
    if checkpoint_dir:
        if (save_checkpoint_secs and save_checkpoint_secs > 0) or \
                (save_checkpoint_steps and save_checkpoint_steps > 0):
            all_hooks.append(hooks_lib.CheckpointSaverHook(
                checkpoint_dir, save_steps=save_checkpoint_steps,
                save_secs=save_checkpoint_secs, scaffold=scaffold,
                save_graph_def=save_graph_def))
    all_hooks.extend(hooks or [])
    return MonitoredSession(session_creator=creator, hooks=all_hooks,
                            stop_grace_period_secs=stop_grace_period_secs)
