"""ember.nn: activations, softmax and cross-entropies, dropout, normalization, as tf.nn.
CTC, candidate sampling, morphology, sparse embeddings and ``experimental`` load on first
use."""
from ember.ops.math_ops import sigmoid, tanh  # noqa: F401
from ember.ops.nn_ops import *  # noqa: F401,F403
from ember.ops.random_ops import dropout  # noqa: F401
from ember.ops.reduce_ops import in_top_k, top_k  # noqa: F401,E402
from ember.ops.conv_ops import *  # noqa: F401,F403,E402
from ember.ops.pool_ops import *  # noqa: F401,F403,E402
from ember.ops.normalization_ops import *  # noqa: F401,F403,E402
from ember.framework import lazy as _lazy  # noqa: E402

# Loaded on first use (ember/framework/lazy.py).
_LAZY_SUBMODULES = ("experimental",)
_LAZY_ATTRIBUTES = {
    **_lazy.names_in("ember.ops.candidate_sampling_ops", "all_candidate_sampler",
        "compute_accidental_hits", "fixed_unigram_candidate_sampler",
        "learned_unigram_candidate_sampler", "log_uniform_candidate_sampler",
        "uniform_candidate_sampler"),
    **_lazy.names_in("ember.ops.sampled_loss_ops", "nce_loss", "sampled_softmax_loss"),
    **_lazy.names_in("ember.ops.moments_ops", "batch_norm_with_global_normalization",
        "compute_average_loss", "l2_loss", "normalize_moments", "scale_regularization_loss",
        "sufficient_statistics", "weighted_moments"),
    **_lazy.names_in("ember.ops.morphology_ops", "dilation2d", "erosion2d",
        "fractional_avg_pool", "fractional_max_pool", "max_pool_with_argmax"),
    **_lazy.names_in("ember.ops.embedding_sparse_ops", "embedding_lookup_sparse",
        "safe_embedding_lookup_sparse"),
    **_lazy.names_in("ember.ops.isotonic_ops", "isotonic_regression"),
    **_lazy.names_in("ember.ops.conv_backprop_ops", "atrous_conv2d_transpose",
        "depthwise_conv2d_backprop_filter", "depthwise_conv2d_backprop_input"),
    **_lazy.names_in("ember.ops.space_batch_ops", "space_to_batch", "with_space_to_batch"),
    **_lazy.names_in("ember.ops.math_extra_ops", "approx_max_k", "approx_min_k",
        "zero_fraction"),
    **_lazy.names_in("ember.ops.ctc_ops", "ctc_beam_search_decoder",
        "ctc_beam_search_decoder_v2", "ctc_greedy_decoder", "ctc_loss", "ctc_loss_v2",
        "ctc_loss_v3"),
}
__getattr__, __dir__ = _lazy.attach(__name__, _LAZY_SUBMODULES, _LAZY_ATTRIBUTES)
__all__ = _lazy.star_names(globals(), _LAZY_SUBMODULES, _LAZY_ATTRIBUTES)
