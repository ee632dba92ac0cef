"""ember.random: seeded random tensors with TensorFlow's global/op seed rules.

>>> import ember as tf
>>> tf.random.set_seed(1)
>>> tf.random.normal([2]).shape
TensorShape([2])
"""
import sys as _sys
import types as _types

from ember.ops import random_ops as _random_ops
from ember.ops.random_ops import (  # noqa: F401
    Algorithm, Generator, categorical, create_rng_state, gamma, get_global_generator,
    get_seed, normal, poisson, set_global_generator, set_seed, shuffle,
    stateless_categorical, stateless_normal, stateless_truncated_normal, stateless_uniform,
    truncated_normal, uniform,
)
from ember.ops.random_ops import stateless_fold_in as fold_in  # noqa: F401,E402
from ember.ops.stateless_random_ops import (  # noqa: F401,E402
    stateless_binomial, stateless_gamma, stateless_parameterized_truncated_normal,
    stateless_poisson,
)
from ember.ops.candidate_sampling_ops import (  # noqa: F401,E402
    all_candidate_sampler, fixed_unigram_candidate_sampler, learned_unigram_candidate_sampler,
    log_uniform_candidate_sampler, uniform_candidate_sampler,
)
from ember.ops import stateless_random_ops as _stateless_random_ops  # noqa: E402
from ember.ops.random_ops import stateless_split as split  # noqa: F401,E402

experimental = _types.ModuleType(
    __name__ + ".experimental", "ember.random.experimental: Generator and stateless seed "
    "helpers, as tf.random.experimental.")
for _name in ("Algorithm", "Generator", "create_rng_state", "get_global_generator",
              "set_global_generator", "stateless_split", "stateless_fold_in"):
    setattr(experimental, _name, getattr(_random_ops, _name))
experimental.index_shuffle = _stateless_random_ops.index_shuffle
experimental.stateless_shuffle = _stateless_random_ops.stateless_shuffle
experimental.__all__ = [n for n in vars(experimental) if not n.startswith("_")]
_sys.modules[experimental.__name__] = experimental
del _name

__all__ = [
    "all_candidate_sampler", "fixed_unigram_candidate_sampler",
    "learned_unigram_candidate_sampler", "log_uniform_candidate_sampler",
    "stateless_binomial", "stateless_gamma", "stateless_parameterized_truncated_normal",
    "stateless_poisson", "uniform_candidate_sampler",
    "Algorithm", "Generator", "categorical", "create_rng_state", "experimental", "fold_in",
    "gamma",
    "get_global_generator", "get_seed", "normal", "poisson", "set_global_generator",
    "set_seed", "shuffle", "stateless_categorical", "stateless_normal",
    "split", "stateless_truncated_normal", "stateless_uniform", "truncated_normal", "uniform",
]
