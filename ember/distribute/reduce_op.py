"""``tf.distribute.ReduceOp``: how values from several replicas combine into one."""
from __future__ import annotations

import enum

__all__ = ["ReduceOp"]


class ReduceOp(enum.Enum):
    """``SUM`` adds the replicas' values; ``MEAN`` averages them.

    >>> tf.distribute.ReduceOp.SUM
    <ReduceOp.SUM: 'SUM'>
    """

    SUM = "SUM"
    MEAN = "MEAN"

    @staticmethod
    def from_variable_aggregation(aggregation) -> "ReduceOp":
        """The reduction a ``tf.VariableAggregation`` (SUM or MEAN) stands for."""
        from ember.framework.variables import VariableAggregation
        if aggregation == VariableAggregation.SUM:
            return ReduceOp.SUM
        if aggregation == VariableAggregation.MEAN:
            return ReduceOp.MEAN
        raise ValueError(f"Could not convert from `tf.VariableAggregation` {aggregation} to "
                         f"`tf.distribute.ReduceOp` type")


def as_reduce_op(value, what: str) -> ReduceOp:
    """``value`` (a ReduceOp or its name, any case) as a ReduceOp, or a ValueError naming
    ``what`` and the valid choices."""
    if isinstance(value, ReduceOp):
        return value
    if isinstance(value, str) and value.upper() in ("SUM", "MEAN"):
        return ReduceOp[value.upper()]
    raise ValueError(f"{what}: reduce_op must be tf.distribute.ReduceOp.SUM or "
                     f"ReduceOp.MEAN (or 'SUM'/'MEAN'), got {value!r}")
