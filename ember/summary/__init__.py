"""``tf.summary``: write scalars, histograms, images, text, audio and graphs to TensorBoard
event files (``pip install tensorboard`` for file writers).

    writer = tf.summary.create_file_writer("logs/train")
    with writer.as_default(step=0):
        tf.summary.scalar("loss", 0.5)
"""
import types as _types

from ember.summary.summaries import (  # noqa: F401
    audio, graph, histogram, image, scalar, text, trace_export, trace_off, trace_on, write)
from ember.summary.writer import (  # noqa: F401
    SummaryWriter, create_file_writer, create_noop_writer, flush, record_if,
    should_record_summaries)
from ember.summary import summaries as _summaries, writer as _writer

experimental = _types.SimpleNamespace(
    get_step=_writer.get_step, set_step=_writer.set_step,
    summary_scope=_summaries.summary_scope)

__all__ = ["SummaryWriter", "audio", "create_file_writer", "create_noop_writer",
           "experimental", "flush", "graph", "histogram", "image", "record_if", "scalar",
           "should_record_summaries", "text", "trace_export", "trace_off", "trace_on",
           "write"]
