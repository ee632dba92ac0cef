"""Summary writers and the per-thread summary state: the default writer, the default step
(``experimental.set_step``) and the recording condition (``record_if``)."""
from __future__ import annotations

import contextlib
import os
import threading

__all__ = ["SummaryWriter", "create_file_writer", "create_noop_writer", "record_if",
           "should_record_summaries", "get_step", "set_step", "current_writer", "flush"]


class _State(threading.local):
    def __init__(self):
        self.writer = None
        self.step = None
        self.recording = True


state = _State()


class SummaryWriter:
    """Where summaries go. ``with writer.as_default(step):`` makes it the writer the
    summary functions use (and, with ``step``, sets the default step)."""

    def set_as_default(self, step=None):
        """Makes this the default writer for the rest of this thread (and sets ``step``)."""
        state.writer = self
        if step is not None:
            state.step = step

    @contextlib.contextmanager
    def as_default(self, step=None):
        """``with writer.as_default():`` summaries inside go to this writer; the previous
        writer (and step, if ``step`` is given) come back on exit, and this one flushes."""
        old_writer, old_step = state.writer, state.step
        state.writer = self
        if step is not None:
            state.step = step
        try:
            yield self
        finally:
            self.flush()
            state.writer = old_writer
            if step is not None:
                state.step = old_step

    def init(self):
        """Kept for TF1-style code; writers here are ready when created."""

    def flush(self):
        """Writes buffered events to disk."""

    def close(self):
        """Flushes and closes; later writes raise an error."""

    # eager writes and the WriteSummary op's kernel both come here
    def write_arrays(self, kind, tag, step, value, params):
        raise NotImplementedError


class _NoopWriter(SummaryWriter):
    def write_arrays(self, kind, tag, step, value, params):
        return None


class _FileWriter(SummaryWriter):
    """Writes one TensorBoard event file in ``logdir``."""

    def __init__(self, logdir, max_queue, flush_millis, filename_suffix, name):
        from ember.summary.events import EventFile
        os.makedirs(logdir, exist_ok=True)
        self.logdir = logdir
        self.name = name
        self._file = EventFile(logdir, max_queue, flush_millis, filename_suffix)
        self._lock = threading.Lock()

    def _check_open(self):
        if self._file.closed:
            raise RuntimeError(f"summary writer for {self.logdir!r} is closed: create a new "
                               f"one with tf.summary.create_file_writer")

    def write_arrays(self, kind, tag, step, value, params):
        from ember.summary.events import summary_proto
        self._check_open()
        proto = summary_proto(kind, tag, value, params)
        with self._lock:
            self._file.add(step, summary=proto)

    def write_graph_def(self, graph_def_bytes, step=0):
        self._check_open()
        with self._lock:
            self._file.add(step, graph_def=graph_def_bytes)

    def flush(self):
        self._file.flush()

    def close(self):
        self._file.close()
        if state.writer is self:
            state.writer = None

    def __repr__(self):
        return f"<SummaryWriter logdir={self.logdir!r}>"


def create_file_writer(logdir, max_queue=None, flush_millis=None, filename_suffix=None,
                       name=None, experimental_trackable=False, experimental_mesh=None):
    """A writer of TensorBoard event files in ``logdir`` (``tf.summary.create_file_writer``).

    >>> writer = tf.summary.create_file_writer("logs/run1")
    >>> with writer.as_default(step=0):
    ...     tf.summary.scalar("loss", 0.25)
    """
    if logdir is None:
        raise ValueError("create_file_writer: logdir must be a directory path, got None")
    logdir = os.fspath(logdir)
    max_queue = 10 if max_queue is None else int(max_queue)
    flush_millis = 120000 if flush_millis is None else int(flush_millis)
    suffix = ".v2" if filename_suffix is None else ".v2" + str(filename_suffix)
    return _FileWriter(logdir, max_queue, flush_millis, suffix, name)


def create_noop_writer():
    """A writer that discards everything written to it."""
    return _NoopWriter()


def current_writer():
    return state.writer


def flush(writer=None, name=None):
    """Flushes ``writer`` (default: the default writer)."""
    writer = writer if writer is not None else state.writer
    if writer is not None:
        writer.flush()


@contextlib.contextmanager
def record_if(condition):
    """``with tf.summary.record_if(cond):`` summaries inside write only when ``cond`` (a
    bool, a bool tensor, or a callable returning one, called where each summary is
    written — inside a traced function, when the graph runs) is true."""
    old = state.recording
    state.recording = condition
    try:
        yield
    finally:
        state.recording = old


def recording_condition():
    """The current condition, evaluated: a Python bool or a bool tensor."""
    cond = state.recording
    return cond() if callable(cond) else cond


def should_record_summaries():
    """Whether summaries written now would be recorded: a default writer exists and the
    ``record_if`` condition holds (a bool tensor)."""
    import ember
    if state.writer is None:
        return ember.constant(False)
    cond = recording_condition()
    return ember.cast(cond, ember.bool) if not isinstance(cond, bool) else \
        ember.constant(cond)


def get_step():
    """The default step (``tf.summary.experimental.get_step``), or None."""
    return state.step


def set_step(step):
    """Sets the default step for summaries written without ``step=`` (an int, a tensor or
    a variable, read each time a summary is written)."""
    state.step = step
