"""``ember.Module`` (``tf.Module``): variables and submodules found by walking attributes."""
from ember.module.module import Module  # noqa: F401
