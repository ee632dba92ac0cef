"""ember.nn: activations, softmax and cross-entropies, dropout, normalization, as tf.nn."""
from ember.ops.math_ops import sigmoid, tanh  # noqa: F401
from ember.ops.nn_ops import *  # noqa: F401,F403
from ember.ops.random_ops import dropout  # noqa: F401
from ember.ops.reduce_ops import in_top_k, top_k  # noqa: F401,E402
from ember.ops.conv_ops import *  # noqa: F401,F403,E402
from ember.ops.pool_ops import *  # noqa: F401,F403,E402
from ember.ops.normalization_ops import *  # noqa: F401,F403,E402
from ember.ops.ctc_ops import (  # noqa: F401,E402
    ctc_beam_search_decoder, ctc_beam_search_decoder_v2, ctc_greedy_decoder, ctc_loss,
    ctc_loss_v2, ctc_loss_v3,
)
