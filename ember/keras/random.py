"""keras.random: seeded random tensors with Keras 3's seed rules.

``seed`` may be an int (a stateless draw: the same int gives the same values every
call), a ``SeedGenerator`` (each draw advances its state, so it works inside traced and
compiled steps), or None (the global generator, seeded by
``keras.utils.set_random_seed`` through ember's global seed).
"""
from __future__ import annotations

import numpy as np

import ember
from ember.keras.ops._common import floating, tensor
from ember.keras.ops._dtypes import standardize_dtype

__all__ = ["SeedGenerator", "beta", "binomial", "categorical", "dropout", "gamma", "normal",
           "randint", "shuffle", "truncated_normal", "uniform"]


class SeedGenerator:
    """A random-seed state: ``next()`` gives a fresh (seed, counter) pair and advances.

    >>> gen = SeedGenerator(42)
    >>> a, b = normal((2,), seed=gen), normal((2,), seed=gen)   # different values
    """

    def __init__(self, seed=None, name=None, **kwargs):
        if seed is None:
            seed = int(np.random.default_rng(_global_seed_source()).integers(0, 2 ** 31 - 1))
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
            raise ValueError(f"SeedGenerator: `seed` must be an integer; received {seed!r}")
        self._initial_seed = int(seed)
        self.name = name or "seed_generator"
        self.state = ember.Variable(np.array([int(seed), 0], "int64"), trainable=False,
                                    name=f"{self.name}_state")

    def next(self, ordered=True):
        """The current state as a seed pair, advancing the counter."""
        current = self.state.read_value()
        self.state.assign_add(ember.constant([0, 1], "int64"))
        return current

    def get_config(self):
        return {"seed": self._initial_seed}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _global_seed_source():
    """ember's global seed (``ember.random.set_seed``), kept in the process-wide settings."""
    from ember.framework.context import settings
    seed = settings.global_seed
    return None if seed is None else int(seed)


def _global_generator():
    """The generator for seed=None draws; a new one after set_random_seed changes the seed."""
    from ember.keras.utils.rng_utils import GLOBAL_SEED_GENERATOR
    key = _global_seed_source()
    gen = GLOBAL_SEED_GENERATOR.get(key)
    if gen is None:
        gen = SeedGenerator(key, name="global_seed_generator")
        GLOBAL_SEED_GENERATOR.clear()
        GLOBAL_SEED_GENERATOR[key] = gen
    return gen


def draw_seed(seed):
    """A (2,) int64 seed tensor for a stateless op from an int, a SeedGenerator or None."""
    if isinstance(seed, SeedGenerator):
        return seed.next()
    if seed is None:
        return _global_generator().next()
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return ember.constant([int(seed), 0], "int64")
    if ember.is_tensor(seed):
        return ember.cast(seed, "int64")
    raise ValueError(f"keras.random: `seed` must be an int, a SeedGenerator or None; "
                     f"received {seed!r}")


def _float_dtype(dtype):
    dt = standardize_dtype(dtype)
    if "float" not in dt:
        raise ValueError(f"keras.random: expected a float dtype; received {dtype!r}")
    return dt


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal draws of ``shape``."""
    return ember.random.stateless_normal(shape, draw_seed(seed), mean=mean, stddev=stddev,
                                         dtype=_float_dtype(dtype))


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Uniform draws in [minval, maxval)."""
    return ember.random.stateless_uniform(shape, draw_seed(seed), minval=minval,
                                          maxval=maxval, dtype=_float_dtype(dtype))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal draws redrawn beyond two standard deviations."""
    return ember.random.stateless_truncated_normal(shape, draw_seed(seed), mean=mean,
                                                   stddev=stddev, dtype=_float_dtype(dtype))


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Integers uniform in [minval, maxval)."""
    dt = standardize_dtype(dtype)
    if "int" not in dt:
        raise ValueError(f"keras.random.randint: expected an integer dtype; received {dtype!r}")
    return ember.random.stateless_uniform(shape, draw_seed(seed), minval=minval,
                                          maxval=maxval, dtype=dt)


def categorical(logits, num_samples, dtype="int32", seed=None):
    """num_samples class indices per row of the (batch, classes) logits."""
    logits = floating(logits)
    if len(logits.shape) != 2:
        raise ValueError("keras.random.categorical: `logits` must be 2-D (batch, classes); "
                         f"received shape {tuple(logits.shape)}")
    return ember.random.stateless_categorical(logits, num_samples, draw_seed(seed),
                                              dtype=standardize_dtype(dtype))


def shuffle(x, axis=0, seed=None):
    """x with its entries along axis in a random order."""
    x = tensor(x)
    n = x.shape[axis]
    keys = uniform((n,), seed=seed)
    order = ember.argsort(keys, stable=True)
    return ember.gather(x, order, axis=axis)


def dropout(inputs, rate, noise_shape=None, seed=None):
    """inputs with entries zeroed with probability rate, the rest scaled by 1/(1-rate)."""
    x = floating(inputs)
    if not 0 <= rate < 1:
        raise ValueError(f"keras.random.dropout: `rate` must be in [0, 1); received {rate}")
    shape = ember.shape(x) if noise_shape is None else noise_shape
    keep = uniform(shape, dtype=x.dtype.name, seed=seed) >= rate
    return ember.where(keep, x / (1.0 - rate), ember.zeros_like(x))


def _int_seed(seed):
    if isinstance(seed, SeedGenerator):
        seed.next()
        return seed._initial_seed
    return seed


def gamma(shape, alpha, dtype=None, seed=None):
    """Gamma(alpha, 1) draws.

    ember has no stateless gamma op: an int seed or a SeedGenerator seeds ember's stateful
    gamma op (whose own generator advances on every run), None uses the global seed.
    """
    return ember.random.gamma(shape, alpha, dtype=_float_dtype(dtype), seed=_int_seed(seed))


def beta(shape, alpha, beta, dtype=None, seed=None):
    """Beta(alpha, beta) draws, as X / (X + Y) of two gamma draws."""
    dt = _float_dtype(dtype)
    s = _int_seed(seed)
    x = ember.random.gamma(shape, alpha, dtype=dt, seed=s)
    y = ember.random.gamma(shape, beta, dtype=dt, seed=None if s is None else s + 1)
    return x / (x + y)


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """Binomial(counts, probabilities) draws, as sums of counts Bernoulli trials."""
    dt = _float_dtype(dtype)
    counts_t = tensor(counts, "float32")
    if hasattr(counts_t, "numpy"):
        n_max = int(np.max(counts_t.numpy())) if np.size(counts_t.numpy()) else 0
    else:
        raise NotImplementedError("keras.random.binomial: ember needs known `counts` values "
                                  "(not a symbolic tensor)")
    shape = list(shape)
    u = uniform(shape + [max(n_max, 1)], seed=seed)
    p = ember.expand_dims(ember.broadcast_to(tensor(probabilities, "float32"), shape), -1)
    trial = ember.cast(ember.range(max(n_max, 1)), "float32")
    active = ember.less(trial, ember.expand_dims(ember.broadcast_to(counts_t, shape), -1))
    hits = ember.logical_and(u < p, active)
    return ember.cast(ember.reduce_sum(ember.cast(hits, "float32"), axis=-1), dt)
