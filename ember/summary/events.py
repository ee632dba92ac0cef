"""Event files TensorBoard reads, through the optional ``tensorboard`` package (its Event,
Summary and GraphDef protos and its record writer), imported only when a file writer is
created: ``pip install tensorboard``."""
from __future__ import annotations

import time

import numpy as np

from ember.summary import encoding

__all__ = ["require_tensorboard", "EventFile", "summary_proto", "graph_def_proto"]


def require_tensorboard():
    """The tensorboard package, or an ImportError saying how to get it."""
    try:
        import tensorboard  # noqa: F401
        from tensorboard.summary.writer.event_file_writer import EventFileWriter  # noqa
    except ImportError as e:
        raise ImportError("tf.summary file writers write TensorBoard event files with the "
                          "optional 'tensorboard' package: pip install tensorboard "
                          "(or pip install ember[tensorboard])") from e
    return tensorboard


class EventFile:
    """One ``events.out.tfevents.<time>.<host>.<pid>.<n>.v2`` file in ``logdir``; writes
    from a background thread, flushed every ``flush_secs`` and on ``flush()``."""

    def __init__(self, logdir: str, max_queue: int, flush_millis: int, filename_suffix: str):
        require_tensorboard()
        from tensorboard.summary.writer.event_file_writer import EventFileWriter
        self._writer = EventFileWriter(logdir, max_queue_size=max_queue,
                                       flush_secs=max(flush_millis / 1000.0, 0.001),
                                       filename_suffix=filename_suffix)

    def add(self, step: int, summary=None, graph_def=None):
        from tensorboard.compat.proto import event_pb2
        event = event_pb2.Event(wall_time=time.time(), step=int(step))
        if summary is not None:
            event.summary.CopyFrom(summary)
        if graph_def is not None:
            event.graph_def = graph_def
        self._writer.add_event(event)

    closed = False

    def flush(self):
        if not self.closed:
            self._writer.flush()

    def close(self):
        """Flushes and closes (again: nothing happens)."""
        if not self.closed:
            self._writer.close()
            self.closed = True


def _metadata(kind, params):
    description = params[-1] if params else None
    if kind == "scalar":
        from tensorboard.plugins.scalar import metadata
        return metadata.create_summary_metadata("", description)
    if kind == "histogram":
        from tensorboard.plugins.histogram import metadata
        return metadata.create_summary_metadata("", description)
    if kind == "image":
        from tensorboard.plugins.image import metadata
        return metadata.create_summary_metadata("", description)
    if kind == "audio":
        from tensorboard.plugins.audio import metadata
        return metadata.create_summary_metadata("", description,
                                                metadata.Encoding.Value("WAV"))
    if kind == "text":
        from tensorboard.plugins.text import metadata
        return metadata.create_summary_metadata("", description)
    if kind == "keras_model":
        from tensorboard.compat.proto import summary_pb2
        return summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(
            plugin_name="graph_keras_model", content=b"1"))
    if kind == "run_metadata_graph":
        from tensorboard.compat.proto import summary_pb2
        return summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(
            plugin_name="graph_run_metadata_graph", content=b"1"))
    if kind == "raw":
        from tensorboard.compat.proto import summary_pb2
        return summary_pb2.SummaryMetadata.FromString(params[0]) if params[0] else None
    raise ValueError(f"summary: unknown summary kind {kind!r}")


def _payload(kind, value, params):
    """The tensor a summary of ``kind`` stores, from the written value."""
    if kind == "scalar":
        return np.asarray(value, np.float32)
    if kind == "histogram":
        return encoding.histogram_buckets(value, params[0])
    if kind == "image":
        max_outputs = params[0]
        pixels = encoding.images_to_uint8(value)[:max_outputs]
        height, width = pixels.shape[1:3]
        return np.array([str(width).encode(), str(height).encode()] +
                        [encoding.encode_png(p) for p in pixels], dtype=object)
    if kind == "audio":
        sample_rate, max_outputs = params[0], params[1]
        clips = np.asarray(value)[:max_outputs]
        out = np.empty((len(clips), 2), dtype=object)
        for k, clip in enumerate(clips):
            out[k, 0] = encoding.encode_wav(clip, sample_rate)
            out[k, 1] = b""
        return out
    return _as_bytes_array(value) if np.asarray(value).dtype.kind in "OUS" else \
        np.asarray(value)


def _as_bytes_array(value):
    arr = np.asarray(value, dtype=object)
    flat = [v.encode() if isinstance(v, str) else bytes(v) for v in arr.ravel()]
    out = np.empty(len(flat), dtype=object)
    out[:] = flat
    return out.reshape(arr.shape)


def summary_proto(kind: str, tag: str, value, params):
    """A Summary proto holding one value of ``kind`` (scalar, histogram, image, audio,
    text, keras_model, run_metadata_graph, raw) under ``tag``."""
    from tensorboard.compat.proto import summary_pb2
    from tensorboard.util import tensor_util
    tensor = tensor_util.make_tensor_proto(_payload(kind, value, params))
    item = summary_pb2.Summary.Value(tag=tag, tensor=tensor)
    meta = _metadata(kind, params)
    if meta is not None:
        item.metadata.CopyFrom(meta)
    return summary_pb2.Summary(value=[item])


def graph_def_proto(graph):
    """An ember Graph as a GraphDef TensorBoard's Graphs tab draws: one node per
    operation (name, op type, inputs as ``name:index``, control inputs as ``^name``,
    ``dtype``/``T`` and ``_output_shapes`` attributes)."""
    from tensorboard.compat.proto import attr_value_pb2, graph_pb2, tensor_shape_pb2
    gdef = graph_pb2.GraphDef()
    for op in graph._operations:
        node = gdef.node.add(name=op.name, op=op.type)
        for t in op.inputs:
            index = getattr(t, "value_index", 0)
            node.input.append(t.op.name if index == 0 else f"{t.op.name}:{index}")
        for c in op.control_inputs:
            node.input.append("^" + c.name)
        shapes = attr_value_pb2.AttrValue.ListValue()
        for out in op.outputs:
            proto = tensor_shape_pb2.TensorShapeProto()
            dims = out.shape.as_list() if out.shape.rank is not None else None
            if dims is None:
                proto.unknown_rank = True
            else:
                for d in dims:
                    proto.dim.add(size=-1 if d is None else d)
            shapes.shape.append(proto)
        if op.outputs:
            node.attr["_output_shapes"].list.CopyFrom(shapes)
            enum = getattr(op.outputs[0].dtype, "as_datatype_enum", None)
            if isinstance(enum, int):
                node.attr["T"].type = enum
    gdef.versions.producer = 22
    return gdef
