"""ember.random: seeded random tensors with TensorFlow's global/op seed rules."""
from ember.ops.random_ops import *  # noqa: F401,F403
