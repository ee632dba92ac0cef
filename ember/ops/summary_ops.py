"""The op behind ``tf.summary`` inside traced functions: hands its step, value and recording
condition to a summary writer each time the graph runs (never at trace time)."""
from __future__ import annotations

from ember.framework import dtypes
from ember.framework.op import Op
from ember.engine.dispatch import execute
from ember.framework.tensor_shape import TensorShape

__all__ = ["write_summary_op"]


class _WriteSummary(Op):
    """Inputs ``(step, value, condition)``; the ``writer`` attribute (any object with
    ``write_arrays(kind, tag, step, value, params)``) writes when ``condition`` is true.
    Output: whether it wrote (a bool scalar)."""

    name = "WriteSummary"
    strings = True
    stateful = True
    side_effect = True
    differentiable = False

    def infer(self, inputs, writer, kind, tag, params):
        return TensorShape([]), dtypes.bool

    def kernel(self, xp, step, value, condition, writer, kind, tag, params):
        if not bool(condition):
            return xp.asarray(False)
        writer.write_arrays(kind, tag, int(step), value, params)
        return xp.asarray(True)


WRITE_SUMMARY = _WriteSummary()


def write_summary_op(writer, kind, tag, params, step, value, condition, name=None):
    """Adds (or, eagerly, runs) one WriteSummary; ``params`` is a hashable tuple."""
    return execute(WRITE_SUMMARY, (step, value, condition),
                   {"writer": writer, "kind": kind, "tag": tag, "params": params}, name)
