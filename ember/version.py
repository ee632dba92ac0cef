"""``ember.version`` (``tf.version``): the TensorFlow API level ember implements.

``VERSION`` names the TensorFlow release whose API ember follows, so version checks in
TensorFlow programs (``tf.version.VERSION >= "2."``) pass; ``GIT_VERSION`` and
``COMPILER_VERSION`` say that this is ember (``ember.__version__`` is ember's own
version).
"""
from __future__ import annotations

import platform as _platform

import numpy as _np

VERSION = "2.21.0"
GIT_VERSION = "ember-0.1.0"
COMPILER_VERSION = f"ember (Python {_platform.python_version()}, NumPy {_np.__version__})"
GRAPH_DEF_VERSION = 2474
GRAPH_DEF_VERSION_MIN_CONSUMER = 0
GRAPH_DEF_VERSION_MIN_PRODUCER = 0

__all__ = ["VERSION", "GIT_VERSION", "COMPILER_VERSION", "GRAPH_DEF_VERSION",
           "GRAPH_DEF_VERSION_MIN_CONSUMER", "GRAPH_DEF_VERSION_MIN_PRODUCER"]
