"""ember.nn: activations, softmax and cross-entropies, dropout, normalization, as tf.nn."""
from ember.ops.math_ops import sigmoid, tanh  # noqa: F401
