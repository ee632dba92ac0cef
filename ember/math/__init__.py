"""ember.math: elementwise math, reductions and segment-free numerics, as tf.math."""
from ember.ops.math_ops import *  # noqa: F401,F403
from ember.ops.reduce_ops import *  # noqa: F401,F403
from ember.ops.math_ops import abs, pow, round  # noqa: F401,A004
from ember.ops.special_ops import (  # noqa: F401,E402
    bessel_i0, bessel_i0e, bessel_i1, bessel_i1e, betainc, erfcinv, erfinv, igamma, igammac,
    lbeta, ndtri, nextafter, xlog1py, zeta,
)
from ember.ops.segment_ops import *  # noqa: F401,F403,E402
from ember.ops.math_extra_ops import *  # noqa: F401,F403,E402
from ember.ops.nn_ops import l2_normalize, log_softmax, softmax, softplus, softsign  # noqa

import sys as _sys  # noqa: E402
import types as _types  # noqa: E402

from ember.ops import special_ops as _special_ops  # noqa: E402

special = _types.ModuleType(__name__ + ".special", "ember.math.special: Bessel functions, "
                            "Dawson's, exponential, Fresnel and Spence's integrals, as "
                            "tf.math.special.")
for _name in ("bessel_i0", "bessel_i0e", "bessel_i1", "bessel_i1e", "bessel_j0", "bessel_j1",
              "bessel_k0", "bessel_k0e", "bessel_k1", "bessel_k1e", "bessel_y0", "bessel_y1",
              "dawsn", "expint", "fresnel_cos", "fresnel_sin", "spence"):
    setattr(special, _name, getattr(_special_ops, _name))
special.__all__ = [n for n in vars(special) if not n.startswith("_")]
_sys.modules[special.__name__] = special
del _name
