"""``tf.compat.v1.summary``: summary ops that return serialized ``Summary`` protos (string
tensors, computed when the graph runs), ``merge``/``merge_all`` and ``FileWriter``
(needs the optional ``tensorboard`` package)."""
from __future__ import annotations

import os
import sys

import numpy as np

import ember
from ember.summary import encoding

__all__ = ["scalar", "histogram", "image", "audio", "text", "tensor_summary", "merge",
           "merge_all", "FileWriter", "FileWriterCache", "SummaryDescription"]

SUMMARIES = "summaries"


def _default_limits():
    """TensorFlow's default histogram bucket limits: +-1e-12 growing by 10% up to 1e20,
    zero, and +-DBL_MAX at the ends."""
    pos = []
    v = 1.0e-12
    while v < 1.0e20:
        pos.append(v)
        v *= 1.1
    pos.append(sys.float_info.max)
    neg = [-p for p in reversed(pos)]
    return np.array(neg + [0.0] + pos, np.float64)


_LIMITS = None


def _histogram_proto(values):
    """A legacy HistogramProto as TensorFlow's v1 histogram summary fills it: runs of
    empty buckets collapsed into one."""
    global _LIMITS
    from tensorboard.compat.proto import summary_pb2
    if _LIMITS is None:
        _LIMITS = _default_limits()
    data = np.asarray(values, np.float64).ravel()
    proto = summary_pb2.HistogramProto()
    counts = np.zeros(len(_LIMITS), np.float64)
    if data.size:
        index = np.minimum(np.searchsorted(_LIMITS, data, side="right"), len(_LIMITS) - 1)
        counts = np.bincount(index, minlength=len(_LIMITS)).astype(np.float64)
        proto.min, proto.max = float(data.min()), float(data.max())
        proto.num = float(data.size)
        proto.sum = float(np.cumsum(data)[-1])
        proto.sum_squares = float(np.cumsum(data * data)[-1])
    else:
        proto.min, proto.max = sys.float_info.max, -sys.float_info.max
    i, n = 0, len(counts)
    while i < n:
        end, count = _LIMITS[i], counts[i]
        i += 1
        if count <= 0.0:
            while i < n and counts[i] <= 0.0:
                end, count = _LIMITS[i], counts[i]
                i += 1
        proto.bucket_limit.append(float(end))
        proto.bucket.append(float(count))
    return proto


def _summary_op(name, build, inputs, collections):
    """A string tensor holding ``build(*arrays).SerializeToString()``, computed when it
    runs; added to ``collections`` (default: the graph's summaries)."""
    def serialized(*arrays):
        return np.array(build(*arrays).SerializeToString(), dtype=object)

    from ember.summary.events import require_tensorboard
    require_tensorboard()
    out = ember.numpy_function(serialized, list(inputs), ember.string, name=name)
    from ember.compat import v1
    for key in (collections if collections is not None else [SUMMARIES]):
        v1.add_to_collection(key, out)
    return out


def _tag(name):
    from ember.summary.summaries import _full_tag
    return _full_tag(name)


def scalar(name, tensor, collections=None, family=None):
    """A Summary with one ``simple_value``."""
    from tensorboard.compat.proto import summary_pb2
    tag = _tag(name if family is None else f"{family}/{name}")

    def build(value):
        if np.ndim(value) != 0:
            raise ValueError(f"tf.compat.v1.summary.scalar {tag!r}: expected a scalar, got "
                             f"shape {np.shape(value)}")
        return summary_pb2.Summary(value=[summary_pb2.Summary.Value(
            tag=tag, simple_value=float(value))])
    return _summary_op(name, build, [ember.convert_to_tensor(tensor)], collections)


def histogram(name, values, collections=None, family=None):
    """A Summary with a HistogramProto of ``values`` (TensorFlow's default buckets)."""
    from tensorboard.compat.proto import summary_pb2
    tag = _tag(name if family is None else f"{family}/{name}")

    def build(data):
        return summary_pb2.Summary(value=[summary_pb2.Summary.Value(
            tag=tag, histo=_histogram_proto(data))])
    return _summary_op(name, build, [ember.convert_to_tensor(values)], collections)


def image(name, tensor, max_outputs=3, collections=None, family=None):
    """Up to ``max_outputs`` PNG images tagged ``name/image`` (``name/image/0``, ...)."""
    from tensorboard.compat.proto import summary_pb2
    tag = _tag(name if family is None else f"{family}/{name}")

    def build(images):
        pixels = encoding.images_to_uint8(images)[:max_outputs]
        value = []
        for k, p in enumerate(pixels):
            img = summary_pb2.Summary.Image(height=p.shape[0], width=p.shape[1],
                                            colorspace=p.shape[2],
                                            encoded_image_string=encoding.encode_png(p))
            value.append(summary_pb2.Summary.Value(
                tag=f"{tag}/image" if len(pixels) == 1 else f"{tag}/image/{k}", image=img))
        return summary_pb2.Summary(value=value)
    return _summary_op(name, build, [ember.convert_to_tensor(tensor)], collections)


def audio(name, tensor, sample_rate, max_outputs=3, collections=None, family=None):
    """Up to ``max_outputs`` WAV clips tagged ``name/audio`` (``name/audio/0``, ...)."""
    from tensorboard.compat.proto import summary_pb2
    tag = _tag(name if family is None else f"{family}/{name}")
    rate = float(np.asarray(sample_rate))

    def build(clips):
        clips = np.asarray(clips)
        if clips.ndim == 2:
            clips = clips[:, :, None]
        clips = clips[:max_outputs]
        value = []
        for k, c in enumerate(clips):
            snd = summary_pb2.Summary.Audio(
                sample_rate=rate, num_channels=c.shape[1], length_frames=c.shape[0],
                encoded_audio_string=encoding.encode_wav(c, int(rate)),
                content_type="audio/wav")
            value.append(summary_pb2.Summary.Value(
                tag=f"{tag}/audio" if len(clips) == 1 else f"{tag}/audio/{k}", audio=snd))
        return summary_pb2.Summary(value=value)
    return _summary_op(name, build, [ember.convert_to_tensor(tensor)], collections)


def _tensor_summary(tag, array, kind):
    from ember.summary.events import summary_proto
    return summary_proto(kind, tag, array, (None,))


def text(name, tensor, collections=None):
    """A Summary with a string tensor for the Text dashboard."""
    tag = _tag(name)
    return _summary_op(name, lambda a: _tensor_summary(tag, a, "text"),
                       [ember.convert_to_tensor(tensor)], collections)


def tensor_summary(name, tensor, summary_description=None, collections=None,
                   summary_metadata=None, family=None, display_name=None):
    """A Summary holding ``tensor`` as it is."""
    tag = _tag(name if family is None else f"{family}/{name}")
    meta = summary_metadata.SerializeToString() if summary_metadata is not None else b""

    def build(a):
        from ember.summary.events import summary_proto
        return summary_proto("raw", tag, a, (meta,))
    return _summary_op(name, build, [ember.convert_to_tensor(tensor)], collections)


def merge(inputs, collections=None, name=None):
    """One Summary holding the values of the serialized Summaries ``inputs``."""
    from tensorboard.compat.proto import summary_pb2

    def build(*blobs):
        out = summary_pb2.Summary()
        for b in blobs:
            out.MergeFromString(bytes(np.asarray(b, dtype=object).item()))
        return out
    return _summary_op(name or "Merge", build, list(inputs), collections or [])


def merge_all(key=SUMMARIES, scope=None, name=None):
    """``merge`` of every summary in the graph's ``key`` collection, or None if empty."""
    from ember.compat import v1
    items = v1.get_collection(key, scope)
    return merge(items, name=name) if items else None


class SummaryDescription:
    def __init__(self, type_hint=""):
        self.type_hint = type_hint


class FileWriter:
    """Writes Summary protos, graphs and events to an event file in ``logdir``
    (``tf.compat.v1.summary.FileWriter``).

    >>> writer = tf.compat.v1.summary.FileWriter("logs", sess.graph)
    >>> writer.add_summary(sess.run(merged), global_step=step)
    """

    def __init__(self, logdir, graph=None, max_queue=10, flush_secs=120,
                 graph_def=None, filename_suffix=None, session=None):
        from ember.summary.events import EventFile
        self._logdir = os.fspath(logdir)
        os.makedirs(self._logdir, exist_ok=True)
        self._file = EventFile(self._logdir, max_queue, int(flush_secs * 1000),
                               filename_suffix or "")
        if graph is not None or graph_def is not None:
            self.add_graph(graph, graph_def=graph_def)

    def get_logdir(self):
        return self._logdir

    def _check(self):
        if self._file.closed:
            raise RuntimeError("FileWriter is closed; call reopen() first")

    def add_summary(self, summary, global_step=None):
        """``summary``: a Summary proto or its serialized bytes (what a session run of a
        summary op returns)."""
        from tensorboard.compat.proto import summary_pb2
        self._check()
        if not hasattr(summary, "SerializeToString"):
            raw = summary.numpy() if hasattr(summary, "numpy") else summary
            summary = summary_pb2.Summary.FromString(bytes(np.asarray(raw, object).item()
                                                           if not isinstance(raw, bytes)
                                                           else raw))
        self._file.add(0 if global_step is None else int(global_step), summary=summary)

    def add_graph(self, graph, global_step=None, graph_def=None):
        from ember.summary.events import graph_def_proto
        self._check()
        gdef = graph_def if graph_def is not None else graph_def_proto(graph)
        self._file.add(0 if global_step is None else int(global_step),
                       graph_def=gdef.SerializeToString())

    def add_session_log(self, session_log, global_step=None):
        """Writes a ``SessionLog`` event (START, STOP or CHECKPOINT with its path)."""
        from tensorboard.compat.proto import event_pb2
        self._check()
        import time
        event = event_pb2.Event(wall_time=time.time(),
                                step=0 if global_step is None else int(global_step))
        event.session_log.CopyFrom(session_log)
        self._file._writer.add_event(event)

    def add_meta_graph(self, meta_graph_def, global_step=None):
        """Writes a MetaGraphDef event (what TensorBoard reads for the graph's metadata)."""
        from tensorboard.compat.proto import event_pb2
        self._check()
        import time
        event = event_pb2.Event(wall_time=time.time(),
                                step=0 if global_step is None else int(global_step))
        event.meta_graph_def = meta_graph_def.SerializeToString()
        self._file._writer.add_event(event)

    def add_event(self, event):
        self._check()
        self._file._writer.add_event(event)

    def flush(self):
        self._file.flush()

    def close(self):
        self._file.close()

    def reopen(self):
        if self._file.closed:
            from ember.summary.events import EventFile
            self._file = EventFile(self._logdir, 10, 120000, "")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class FileWriterCache:
    """One FileWriter per log directory."""

    _cache = {}

    @staticmethod
    def get(logdir):
        logdir = os.fspath(logdir)
        if logdir not in FileWriterCache._cache:
            FileWriterCache._cache[logdir] = FileWriter(logdir)
        return FileWriterCache._cache[logdir]

    @staticmethod
    def clear():
        for w in FileWriterCache._cache.values():
            w.close()
        FileWriterCache._cache.clear()
