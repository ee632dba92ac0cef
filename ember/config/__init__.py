"""ember.config: runtime settings, as tf.config (threading for now)."""
from ember.config import threading  # noqa: F401
