"""``tf.io.write_graph`` / ``tf.compat.v1.train.write_graph``: a graph's GraphDef written as
text (``.pbtxt``) or binary (``.pb``)."""
from __future__ import annotations

import os

from ember.runtime.atomic_file import atomic_write

__all__ = ["write_graph", "read_graph_def", "write_proto", "read_proto"]


def write_graph(graph_or_graph_def, logdir, name, as_text=True):
    """Writes the GraphDef of a Graph (or a GraphDef) to ``logdir/name`` (atomically);
    returns the path."""
    from ember.compat.v1.tensor_util import protos
    p = protos()
    if isinstance(graph_or_graph_def, p.graph_pb2.GraphDef):
        graph_def = graph_or_graph_def
    elif hasattr(graph_or_graph_def, "as_graph_def"):
        graph_def = graph_or_graph_def.as_graph_def()
    else:
        raise TypeError(f"write_graph: expected a Graph or a GraphDef, got "
                        f"{type(graph_or_graph_def).__name__}")
    logdir = os.fspath(logdir)
    os.makedirs(logdir, exist_ok=True)
    return write_proto(os.path.join(logdir, name), graph_def, as_text)


def write_proto(path, message, as_text):
    """Writes a proto message to ``path`` atomically, as text or binary; returns path."""
    with atomic_write(path) as tmp:
        if as_text:
            from google.protobuf import text_format
            with open(tmp, "w") as f:
                f.write(text_format.MessageToString(message))
        else:
            with open(tmp, "wb") as f:
                f.write(message.SerializeToString())
    return path


def read_proto(path, message):
    """Fills ``message`` from a binary or text proto file and returns it."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        message.ParseFromString(data)
        return message
    except Exception:  # noqa: BLE001 - not binary: try the text format
        from google.protobuf import text_format
        try:
            return text_format.Parse(data.decode("utf-8"), message)
        except Exception as e:  # noqa: BLE001
            raise ValueError(f"{path} is neither a binary nor a text "
                             f"{type(message).__name__}: {e}") from None


def read_graph_def(path):
    """A GraphDef from a binary ``.pb`` or a text ``.pbtxt`` file."""
    from ember.compat.v1.tensor_util import protos
    return read_proto(path, protos().graph_pb2.GraphDef())
