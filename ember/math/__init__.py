"""ember.math: elementwise math, reductions and segment-free numerics, as tf.math."""
from ember.ops.math_ops import *  # noqa: F401,F403
from ember.ops.reduce_ops import *  # noqa: F401,F403
from ember.ops.math_ops import abs, nextafter, pow, round  # noqa: F401,A004
