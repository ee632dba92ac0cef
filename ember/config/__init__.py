"""ember.config: runtime settings, as tf.config (``threading``; ember's own ``runtime``:
heap tuning, spinning workers, BLAS thread control)."""
from ember.config import runtime, threading  # noqa: F401
