"""ember.nn: activations, softmax and cross-entropies, dropout, normalization, as tf.nn."""
from ember.ops.math_ops import sigmoid, tanh  # noqa: F401
from ember.ops.nn_ops import *  # noqa: F401,F403
from ember.ops.random_ops import dropout  # noqa: F401
from ember.ops.reduce_ops import in_top_k, top_k  # noqa: F401,E402
from ember.ops.conv_ops import *  # noqa: F401,F403,E402
from ember.ops.pool_ops import *  # noqa: F401,F403,E402
from ember.ops.normalization_ops import *  # noqa: F401,F403,E402
from ember.ops.candidate_sampling_ops import *  # noqa: F401,F403,E402
from ember.ops.sampled_loss_ops import *  # noqa: F401,F403,E402
from ember.ops.moments_ops import *  # noqa: F401,F403,E402
from ember.ops.morphology_ops import *  # noqa: F401,F403,E402
from ember.ops.embedding_sparse_ops import *  # noqa: F401,F403,E402
from ember.ops.isotonic_ops import isotonic_regression  # noqa: F401,E402
from ember.ops.conv_backprop_ops import (  # noqa: F401,E402
    atrous_conv2d_transpose, depthwise_conv2d_backprop_filter, depthwise_conv2d_backprop_input,
)
from ember.ops.space_batch_ops import space_to_batch, with_space_to_batch  # noqa: F401,E402
from ember.ops.math_extra_ops import approx_max_k, approx_min_k, zero_fraction  # noqa

import sys as _sys  # noqa: E402
import types as _types  # noqa: E402

from ember.ops import stateless_random_ops as _stateless_random_ops  # noqa: E402

experimental = _types.ModuleType(__name__ + ".experimental",
                                 "ember.nn.experimental: general_dropout, stateless_dropout.")
experimental.general_dropout = _stateless_random_ops.general_dropout
experimental.stateless_dropout = _stateless_random_ops.stateless_dropout
experimental.__all__ = ["general_dropout", "stateless_dropout"]
_sys.modules[experimental.__name__] = experimental
from ember.ops.ctc_ops import (  # noqa: F401,E402
    ctc_beam_search_decoder, ctc_beam_search_decoder_v2, ctc_greedy_decoder, ctc_loss,
    ctc_loss_v2, ctc_loss_v3,
)
