"""ember.linalg.experimental: conjugate_gradient, as tf.linalg.experimental."""
from ember.ops.linear_operator import conjugate_gradient  # noqa: F401

__all__ = ["conjugate_gradient"]
