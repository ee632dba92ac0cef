"""ember.linalg: matrix products, norms, inverses, determinants and decompositions, as
tf.linalg."""
from ember.ops.linalg_ops import *  # noqa: F401,F403
from ember.ops import creation_ops as _creation_ops, nn_ops as _nn_ops

for _name, _module in (("eye", _creation_ops), ("l2_normalize", _nn_ops)):
    if getattr(_module, _name, None) is not None:
        globals()[_name] = getattr(_module, _name)
del _name, _module

tensor_diag = diag  # noqa: F405
tensor_diag_part = diag_part  # noqa: F405
from ember.ops.linalg_extra_ops import *  # noqa: F401,F403,E402
from ember.ops.linear_operator import *  # noqa: F401,F403,E402
from ember.ops.linear_operator_structured import *  # noqa: F401,F403,E402
from ember.ops.clip_ops import global_norm  # noqa: F401,E402

import sys as _sys  # noqa: E402
import types as _types  # noqa: E402

from ember.ops.linear_operator import conjugate_gradient as _cg  # noqa: E402

experimental = _types.ModuleType(__name__ + ".experimental",
                                 "ember.linalg.experimental: conjugate_gradient.")
experimental.conjugate_gradient = _cg
experimental.__all__ = ["conjugate_gradient"]
_sys.modules[experimental.__name__] = experimental
