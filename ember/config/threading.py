"""ember.config.threading: how many threads ember's kernels use, as tf.config.threading.

ember's heavy kernels (convolutions, large matrix products, batch norm, pooling) split
their work across ``intra_op_parallelism_threads`` threads; 0 means the default, one per
core this process may run on (capped by ``OMP_NUM_THREADS`` when set). ember runs one op
at a time, so the inter-op setting is kept for compatibility and has no effect.
"""
from __future__ import annotations

from ember.runtime import parallel

__all__ = ["get_inter_op_parallelism_threads", "get_intra_op_parallelism_threads",
           "set_inter_op_parallelism_threads", "set_intra_op_parallelism_threads"]

_inter_op = 0


def get_intra_op_parallelism_threads() -> int:
    """The number of threads set for work inside one op; 0 means the default.

    >>> ember.config.threading.get_intra_op_parallelism_threads()
    0
    """
    return parallel.requested_threads()


def set_intra_op_parallelism_threads(num_threads: int) -> None:
    """Sets the threads used inside one op (0: one per available core)."""
    parallel.set_num_threads(num_threads)


def get_inter_op_parallelism_threads() -> int:
    """The inter-op setting (kept for compatibility; ember runs ops one at a time)."""
    return _inter_op


def set_inter_op_parallelism_threads(num_threads: int) -> None:
    """Accepted for compatibility; ember runs one op at a time."""
    global _inter_op
    n = int(num_threads)
    if n < 0:
        raise ValueError(f"set_inter_op_parallelism_threads: the number of threads must be "
                         f">= 0, got {n}")
    _inter_op = n
