"""ember.random.experimental: Generator and stateless seed helpers, as
tf.random.experimental."""
from ember.ops.random_ops import (  # noqa: F401
    Algorithm, Generator, create_rng_state, get_global_generator, set_global_generator,
    stateless_fold_in, stateless_split,
)
from ember.ops.stateless_random_ops import index_shuffle, stateless_shuffle  # noqa: F401

__all__ = ["Algorithm", "Generator", "create_rng_state", "get_global_generator",
           "set_global_generator", "stateless_split", "stateless_fold_in", "index_shuffle",
           "stateless_shuffle"]
