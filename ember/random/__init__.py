"""ember.random: seeded random tensors with TensorFlow's global/op seed rules.

>>> import ember as tf
>>> tf.random.set_seed(1)
>>> tf.random.normal([2]).shape
TensorShape([2])
"""
from ember.ops.random_ops import (  # noqa: F401
    Algorithm, Generator, categorical, create_rng_state, gamma, get_global_generator,
    get_seed, normal, poisson, set_global_generator, set_seed, shuffle,
    stateless_categorical, stateless_normal, stateless_truncated_normal, stateless_uniform,
    truncated_normal, uniform,
)
from ember.ops.random_ops import stateless_fold_in as fold_in  # noqa: F401,E402
from ember.ops.random_ops import stateless_split as split  # noqa: F401,E402
from ember.framework import lazy as _lazy  # noqa: E402

# Loaded on first use (ember/framework/lazy.py).
_LAZY_SUBMODULES = ("experimental",)
_LAZY_ATTRIBUTES = {
    **_lazy.names_in("ember.ops.stateless_random_ops", "stateless_binomial", "stateless_gamma",
        "stateless_parameterized_truncated_normal", "stateless_poisson"),
    **_lazy.names_in("ember.ops.candidate_sampling_ops", "all_candidate_sampler",
        "fixed_unigram_candidate_sampler", "learned_unigram_candidate_sampler",
        "log_uniform_candidate_sampler", "uniform_candidate_sampler"),
}
__getattr__, __dir__ = _lazy.attach(__name__, _LAZY_SUBMODULES, _LAZY_ATTRIBUTES)

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
