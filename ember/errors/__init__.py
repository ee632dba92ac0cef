"""ember.errors: the error classes ops raise, with TensorFlow's names."""
from ember.framework.errors import *  # noqa: F401,F403
from ember.framework.errors import __all__  # noqa: F401
