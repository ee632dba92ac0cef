"""set_random_seed, as keras.utils."""
from __future__ import annotations

import random

import numpy as np

__all__ = ["set_random_seed"]

# keras.random's generator for seed=None draws; set_random_seed drops it so the draws
# start again from the new seed
GLOBAL_SEED_GENERATOR = {}


def set_random_seed(seed):
    """Seeds Python's ``random``, NumPy's global generator and ``ember.random`` at once, so a
    program (model initialization, dropout, shuffling) gives the same results each run.

    >>> set_random_seed(42)
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"set_random_seed: expected `seed` argument to be an integer. "
                         f"Received: seed={seed!r} (of type {type(seed)})")
    seed = int(seed)
    if seed < 0:
        raise ValueError(f"set_random_seed: `seed` must be a non-negative integer. "
                         f"Received: seed={seed}")
    import ember
    random.seed(seed)
    np.random.seed(seed % 2 ** 32)
    ember.random.set_seed(seed)
    GLOBAL_SEED_GENERATOR.clear()
