"""ember.linalg: matrix products, norms, inverses and determinants, as tf.linalg."""
from ember.ops.linalg_ops import *  # noqa: F401,F403
