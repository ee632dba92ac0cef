"""ember.nn.experimental: general_dropout, stateless_dropout, as tf.nn.experimental."""
from ember.ops.stateless_random_ops import general_dropout, stateless_dropout  # noqa: F401

__all__ = ["general_dropout", "stateless_dropout"]
