"""ember.math: elementwise math, reductions and segment-free numerics, as tf.math.
Special functions, segment reductions and ``special`` load on first use."""
from ember.ops.math_ops import *  # noqa: F401,F403
from ember.ops.reduce_ops import *  # noqa: F401,F403
from ember.ops.math_ops import abs, pow, round  # noqa: F401,A004
from ember.ops.nn_ops import l2_normalize, log_softmax, softmax, softplus, softsign  # noqa
from ember.framework import lazy as _lazy  # noqa: E402

# Loaded on first use (ember/framework/lazy.py).
_LAZY_SUBMODULES = ("special",)
_LAZY_ATTRIBUTES = {
    **_lazy.names_in("ember.ops.special_ops", "bessel_i0", "bessel_i0e", "bessel_i1",
        "bessel_i1e", "betainc", "erfcinv", "erfinv", "igamma", "igammac", "lbeta", "ndtri",
        "nextafter", "xlog1py", "zeta"),
    **_lazy.names_in("ember.ops.segment_ops", "confusion_matrix", "segment_max",
        "segment_mean", "segment_min", "segment_prod", "unsorted_segment_max",
        "unsorted_segment_mean", "unsorted_segment_min", "unsorted_segment_prod",
        "unsorted_segment_sqrt_n"),
    **_lazy.names_in("ember.ops.math_extra_ops", "angle", "approx_max_k", "approx_min_k",
        "invert_permutation", "is_non_decreasing", "is_strictly_increasing", "sobol_sample",
        "zero_fraction"),
}
__getattr__, __dir__ = _lazy.attach(__name__, _LAZY_SUBMODULES, _LAZY_ATTRIBUTES)
__all__ = _lazy.star_names(globals(), _LAZY_SUBMODULES, _LAZY_ATTRIBUTES)
