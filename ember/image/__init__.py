"""ember.image: image resizing and patch ops, as tf.image."""
from ember.ops.image_ops import *  # noqa: F401,F403
