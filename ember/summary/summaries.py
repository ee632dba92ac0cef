"""The summary functions (``tf.summary.scalar``, ``histogram``, ``image``, ``text``,
``audio``, ``write``, ``graph``, ``trace_on``/``trace_export``).

Eagerly a summary is written at once. Inside a traced function (``ember.function``) it
becomes a WriteSummary op, so it is written each time the function runs, with that run's
values, step and ``record_if`` condition. Without a default writer nothing is written and
the functions return False."""
from __future__ import annotations

import contextlib
import warnings

import numpy as np

from ember.framework.context import context
from ember.framework.tensor import EagerTensor, Tensor
from ember.summary import writer as _writer
from ember.summary.writer import state

__all__ = ["write", "scalar", "histogram", "image", "text", "audio", "graph", "trace_on",
           "trace_off", "trace_export", "summary_scope", "keras_model"]


def _is_symbolic(x):
    return isinstance(x, Tensor) and not isinstance(x, EagerTensor)


def _full_tag(name):
    g = context.graph
    if g is not None and getattr(g, "_scope", None):
        return "/".join(g._scope) + "/" + name
    if g is None and context.eager_scope:
        return context.eager_scope[-1] + name
    return name


def _value_of(x):
    if isinstance(x, EagerTensor):
        return x._value
    if getattr(x, "_is_ember_variable", False):
        return np.asarray(x.numpy())
    return x


def _write(kind, name, data, step, params):
    """Writes (or, while tracing, adds the op that writes) one summary; returns whether
    it was written (a bool tensor)."""
    import ember
    writer = state.writer
    if writer is None:
        return ember.constant(False)
    if step is None:
        step = state.step
        if step is None:
            raise ValueError("No step set. Please specify one either through the `step` "
                             "argument or through tf.summary.experimental.set_step()")
    condition = _writer.recording_condition()
    tag = _full_tag(name)
    if context.graph is not None or _is_symbolic(data) or _is_symbolic(step) or \
            _is_symbolic(condition):
        from ember.ops.summary_ops import write_summary_op
        step_t = ember.cast(step, ember.int64)
        data_t = data if isinstance(data, Tensor) else ember.convert_to_tensor(data)
        cond_t = ember.cast(condition, ember.bool)
        return write_summary_op(writer, kind, tag, params, step_t, data_t, cond_t)
    if not bool(_value_of(condition)):
        return ember.constant(False)
    writer.write_arrays(kind, tag, int(_value_of(step)), _value_of(data), params)
    return ember.constant(True)


def write(tag, tensor, step=None, metadata=None, name=None):
    """Writes ``tensor`` under ``tag`` with optional SummaryMetadata (a proto or its
    serialized bytes): the generic form the typed summaries build on."""
    if metadata is not None and not isinstance(metadata, bytes):
        metadata = metadata.SerializeToString()
    if callable(tensor):
        tensor = tensor()
    return _write("raw", tag, tensor, step, (metadata or b"",))


def scalar(name, data, step=None, description=None):
    """Writes a scalar (stored as float32) for the Scalars dashboard.

    >>> with writer.as_default():
    ...     tf.summary.scalar("loss", 0.5, step=3)
    """
    if np.ndim(_value_of(data)) != 0 and not _is_symbolic(data):
        raise ValueError(f"tf.summary.scalar {name!r}: data must be a scalar, got shape "
                         f"{np.shape(_value_of(data))}")
    return _write("scalar", name, data, step, (description,))


def histogram(name, data, step=None, buckets=None, description=None):
    """Writes a histogram of ``data`` (``buckets`` equal-width buckets, 30 by default)
    for the Histograms and Distributions dashboards."""
    return _write("histogram", name, data, step, (buckets, description))


def image(name, data, step=None, max_outputs=3, description=None):
    """Writes up to ``max_outputs`` images from ``data`` ``[k, height, width, channels]``
    (1, 3 or 4 channels; floats in [0, 1] or uint8) as PNGs."""
    shape = getattr(data, "shape", None)
    shape = tuple(shape) if shape is not None else np.shape(data)
    if len(shape) != 4 or shape[-1] not in (1, 3, 4, None):
        raise ValueError(f"tf.summary.image {name!r}: data must have shape [k, height, "
                         f"width, channels] with 1, 3 or 4 channels, got {shape}")
    return _write("image", name, data, step, (int(max_outputs), description))


def text(name, data, step=None, description=None):
    """Writes a string tensor (Markdown) for the Text dashboard."""
    return _write("text", name, data, step, (description,))


def audio(name, data, sample_rate, step=None, max_outputs=3, encoding=None,
          description=None):
    """Writes up to ``max_outputs`` clips from ``data`` ``[k, frames, channels]`` (floats
    in [-1, 1]) as 16-bit WAV at ``sample_rate`` Hz."""
    if encoding not in (None, "wav"):
        raise ValueError(f"tf.summary.audio {name!r}: encoding must be 'wav', got "
                         f"{encoding!r}")
    shape = tuple(getattr(data, "shape", None) or np.shape(data))
    if len(shape) != 3:
        raise ValueError(f"tf.summary.audio {name!r}: data must have shape [k, frames, "
                         f"channels], got {shape}")
    rate = int(_value_of(sample_rate))
    return _write("audio", name, data, step, (rate, int(max_outputs), description))


def keras_model(name, data, step=0):
    """Writes a Keras model's JSON config for the Graphs tab's Keras view (what the
    TensorBoard callback writes under the tag ``keras``)."""
    return _write("keras_model", name, np.array(data.encode(), dtype=object), step, ())


@contextlib.contextmanager
def summary_scope(name, default_name=None, values=None):
    """``with summary_scope(name) as (tag, scope):`` the tag a summary made inside gets."""
    name = name or default_name
    tag = _full_tag(name)
    yield tag, tag + "/"


def _graph_of(graph_data):
    for attr in ("graph",):
        inner = getattr(graph_data, attr, None)
        if inner is not None and hasattr(inner, "_operations"):
            return inner
    if hasattr(graph_data, "_operations"):
        return graph_data
    return None


def graph(graph_data):
    """Writes a graph for the Graphs tab: an ember Graph, a ConcreteFunction, or a
    GraphDef proto. Returns whether it was written."""
    from ember.summary.events import graph_def_proto
    writer = state.writer
    if writer is None or not bool(_value_of(_writer.recording_condition())):
        return False
    g = _graph_of(graph_data)
    if g is not None:
        data = graph_def_proto(g).SerializeToString()
    elif hasattr(graph_data, "SerializeToString"):
        data = graph_data.SerializeToString()
    else:
        raise TypeError(f"tf.summary.graph: expected a Graph, a ConcreteFunction or a "
                        f"GraphDef, got {type(graph_data).__name__}")
    if hasattr(writer, "write_graph_def"):
        writer.write_graph_def(data)
    return True


class _Trace:
    def __init__(self):
        self.on = False
        self.graphs = []
        self.profiling = False     # trace_on started ember's profiler

    def observe(self, concrete):
        if all(g is not concrete.graph for g in self.graphs):
            self.graphs.append(concrete.graph)


_trace = _Trace()


def trace_on(graph=True, profiler=False, profiler_outdir=None):
    """Starts recording the graphs of the ember.functions that run, for ``trace_export``.
    With ``profiler=True`` it also starts ember's profiler, whose profile ``trace_export``
    writes under ``profiler_outdir`` (required for it, as in TensorFlow: without it a
    warning says the profiler is not started); the profiler implies ``graph=True``."""
    from ember.engine import function as _function
    if profiler:
        if profiler_outdir is None:
            warnings.warn("No profiler_outdir passed to trace_on(): the profiler is not "
                          "started", stacklevel=2)
        else:
            from ember.profiler import experimental as _profiler
            _profiler.start(profiler_outdir)
            _trace.profiling = True
            graph = True
    if _trace.on:
        return
    _trace.on = bool(graph)
    _trace.graphs = []
    if _trace.on and _trace.observe not in _function.call_observers:
        _function.call_observers.append(_trace.observe)


def trace_off():
    """Stops recording and discards what was recorded (a profile started by ``trace_on``
    is stopped without being written)."""
    from ember.engine import function as _function
    _stop_profiler(save=False)
    _trace.on = False
    _trace.graphs = []
    if _trace.observe in _function.call_observers:
        _function.call_observers.remove(_trace.observe)


def _stop_profiler(save):
    if _trace.profiling:
        from ember.profiler import experimental as _profiler
        _trace.profiling = False
        _profiler.stop(save=save)


def trace_export(name, step=None, profiler_outdir=None):
    """Writes the graphs recorded since ``trace_on`` under the tag ``name`` (the Graphs
    tab lists it as a run tag), then stops recording."""
    from tensorboard.compat.proto import config_pb2
    from ember.summary.events import graph_def_proto
    _stop_profiler(save=True)
    if not _trace.on:
        trace_off()
        return
    graphs = list(_trace.graphs)
    trace_off()
    meta = config_pb2.RunMetadata()
    for g in graphs:
        meta.function_graphs.add().pre_optimization_graph.CopyFrom(graph_def_proto(g))
    blob = np.array(meta.SerializeToString(), dtype=object)
    _write("run_metadata_graph", name, blob, step, ())
