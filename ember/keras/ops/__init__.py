"""keras.ops: Keras 3's backend-agnostic operations on ember's public ops.

Every function works eagerly, inside ``ember.function``, compiled under ``fit`` and under
a ``GradientTape``, with Keras 3's argument names, defaults and dtype promotion::

    from ember.keras import ops
    ops.mean(ops.softmax(x), axis=-1)

Names Keras has that ember cannot do yet raise ``NotImplementedError`` naming the
function; ``NOT_IMPLEMENTED`` lists them.
"""
from ember.keras.ops import image, linalg, nn, numpy  # noqa: F401
from ember.keras.ops._dtypes import result_type  # noqa: F401
from ember.keras.ops.core import *  # noqa: F401,F403
from ember.keras.ops.image import __all__ as _image_names  # noqa: F401
from ember.keras.ops.linalg import *  # noqa: F401,F403
from ember.keras.ops.math import *  # noqa: F401,F403
from ember.keras.ops.nn import *  # noqa: F401,F403
from ember.keras.ops.numpy import *  # noqa: F401,F403
from ember.keras.ops.numpy import _NOT_DONE
from ember.keras.ops.einops import rearrange  # noqa: F401

NOT_IMPLEMENTED = tuple(sorted(set(_NOT_DONE)))

from ember.keras.ops import _symbolic  # noqa: E402
import sys as _sys  # noqa: E402

_symbolic.install(_sys.modules[__name__])
del _sys
