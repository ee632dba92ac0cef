"""Candidate samplers (uniform, log-uniform, learned and fixed unigram, all) and
``compute_accidental_hits``, as used by sampled losses (nce_loss, sampled_softmax_loss).

A sampler returns ``(sampled_candidates, true_expected_count, sampled_expected_count)``:
``num_sampled`` int64 class ids and, for the true and the sampled classes, how many times
each is expected among the samples. With ``unique=True`` the samples are distinct and the
expected count of a class of probability p, after n draws were needed, is
``1 - (1 - p)^n`` (``p * num_sampled`` when no draw was repeated), as in TensorFlow.
Samples come from ember's seeded streams (same seeds, same samples), not TensorFlow's.
"""
from __future__ import annotations

import csv
import math

import numpy as np

from ember.framework import dtypes, random_seed
from ember.framework.errors import InvalidArgumentError
from ember.framework.op import Op
from ember.engine.dispatch import execute
from ember.framework.tensor_shape import TensorShape
from ember.ops._base import tensor

__all__ = ["all_candidate_sampler", "compute_accidental_hits",
           "fixed_unigram_candidate_sampler", "learned_unigram_candidate_sampler",
           "log_uniform_candidate_sampler", "uniform_candidate_sampler"]


class _Distribution:
    """Probabilities of the classes [0, range_max) and a way to draw from them."""

    def __init__(self, kind, range_max, weights=None):
        self.kind = kind
        self.range_max = range_max
        self.log_range = math.log(range_max + 1) if kind == "log_uniform" else None
        if weights is not None:
            total = weights.sum()
            self.p = weights / total
            self.cdf = np.cumsum(self.p)

    def probability(self, ids):
        ids = np.asarray(ids, dtype=np.int64)
        inside = (ids >= 0) & (ids < self.range_max)
        safe = np.where(inside, ids, 0)
        if self.kind == "uniform":
            p = np.full(ids.shape, 1.0 / self.range_max)
        elif self.kind == "log_uniform":
            p = np.log((safe + 2.0) / (safe + 1.0)) / self.log_range
        else:
            p = self.p[safe]
        return np.where(inside, p, 0.0)

    def draw(self, rng, n):
        if self.kind == "uniform":
            return rng.integers(0, self.range_max, size=n)
        if self.kind == "log_uniform":
            value = np.exp(rng.random(n) * self.log_range).astype(np.int64) - 1
            return value % self.range_max
        picks = np.searchsorted(self.cdf, rng.random(n) * self.cdf[-1], side="right")
        return np.minimum(picks, self.range_max - 1)


def _sample(dist, rng, num_sampled, unique):
    if not unique:
        return dist.draw(rng, num_sampled), num_sampled
    if num_sampled > np.count_nonzero(dist.probability(np.arange(dist.range_max))):
        raise InvalidArgumentError(f"candidate sampler: cannot draw {num_sampled} unique "
                                   f"classes from {dist.range_max} with nonzero probability")
    seen, order, tries = set(), [], 0
    while len(order) < num_sampled:
        for v in dist.draw(rng, max(2 * (num_sampled - len(order)), 16)).tolist():
            tries += 1
            if v not in seen:
                seen.add(v)
                order.append(v)
                if len(order) == num_sampled:
                    break
    return np.asarray(order, dtype=np.int64), tries


def _expected(p, num_sampled, tries):
    if tries == num_sampled:
        return p * num_sampled
    return -np.expm1(tries * np.log1p(-np.minimum(p, 1.0 - 1e-16)))


class _CandidateSampler(Op):
    """true_classes [batch, num_true] int64 in; sampled ids [num_sampled] int64, expected
    counts of the true classes [batch, num_true] and of the samples [num_sampled]
    (float32) out."""

    name = "CandidateSampler"
    num_outputs = 3
    stateful = True
    differentiable = False

    def infer(self, inputs, kind, num_true, num_sampled, unique, range_max, weights, seed,
              seed2, key):
        (true,) = inputs
        if true.dtype is not dtypes.int64:
            raise InvalidArgumentError(f"{kind}_candidate_sampler: true_classes must be "
                                       f"int64, got {true.dtype.name}")
        if true.shape.rank not in (None, 2):
            raise InvalidArgumentError(f"{kind}_candidate_sampler: true_classes must be a "
                                       f"matrix [batch, num_true], got shape {true.shape}")
        batch = true.shape[0] if true.shape.rank else None
        return [(TensorShape([num_sampled]), dtypes.int64),
                (TensorShape([batch, num_true]), dtypes.float32),
                (TensorShape([num_sampled]), dtypes.float32)]

    def kernel(self, xp, true, kind, num_true, num_sampled, unique, range_max, weights,
               seed, seed2, key):
        if true.ndim != 2 or true.shape[1] != num_true:
            raise InvalidArgumentError(f"{kind}_candidate_sampler: true_classes must have "
                                       f"shape [batch, {num_true}], got {list(true.shape)}")
        rng = random_seed.kernel_generator(self.name, kind, seed, seed2, key)
        if kind == "all":
            sampled = np.arange(num_sampled, dtype=np.int64)
            return (sampled, np.ones(true.shape, np.float32),
                    np.ones(num_sampled, np.float32))
        dist = _Distribution("unigram" if weights else kind, range_max,
                             np.asarray(weights, np.float64) if weights else None)
        sampled, tries = _sample(dist, rng, num_sampled, unique)
        true_count = _expected(dist.probability(true), num_sampled, tries)
        sampled_count = _expected(dist.probability(sampled), num_sampled, tries)
        return (sampled.astype(np.int64), true_count.astype(np.float32),
                sampled_count.astype(np.float32))


CANDIDATE_SAMPLER = _CandidateSampler()


def _run(kind, true_classes, num_true, num_sampled, unique, range_max, seed, weights=(),
         name=None):
    true = tensor(true_classes, dtype_hint=dtypes.int64)
    if true.dtype is not dtypes.int64:
        raise TypeError(f"{kind}_candidate_sampler: true_classes must be int64, got "
                        f"{true.dtype.name}")
    num_sampled, num_true = int(num_sampled), int(num_true)
    if num_sampled < 1 or num_true < 1:
        raise ValueError(f"{kind}_candidate_sampler: num_sampled and num_true must be "
                         f">= 1, got {num_sampled} and {num_true}")
    if kind != "all" and int(range_max) < 1:
        raise ValueError(f"{kind}_candidate_sampler: range_max must be >= 1, got {range_max}")
    if kind != "all" and unique and num_sampled > int(range_max):
        raise ValueError(f"{kind}_candidate_sampler: num_sampled ({num_sampled}) must be "
                         f"<= range_max ({range_max}) when unique=True")
    attrs = {"kind": kind, "num_true": num_true, "num_sampled": num_sampled,
             "unique": bool(unique), "range_max": int(range_max or 0),
             "weights": tuple(float(w) for w in weights), **random_seed.seed_attrs(seed)}
    return tuple(execute(CANDIDATE_SAMPLER, (true,), attrs, name))


def uniform_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max,
                              seed=None, name=None):
    """Samples classes uniformly from [0, range_max).

    >>> s, t, e = ember.random.uniform_candidate_sampler([[1]], 1, 3, True, 10, seed=1)
    >>> s.shape, float(e[0])
    (TensorShape([3]), 0.3...)
    """
    return _run("uniform", true_classes, num_true, num_sampled, unique, range_max, seed,
                name=name)


def log_uniform_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max,
                                  seed=None, name=None):
    """Samples classes from the log-uniform (Zipfian) distribution
    P(k) = log((k + 2) / (k + 1)) / log(range_max + 1): small ids are frequent."""
    return _run("log_uniform", true_classes, num_true, num_sampled, unique, range_max, seed,
                name=name)


def learned_unigram_candidate_sampler(true_classes, num_true, num_sampled, unique,
                                      range_max, seed=None, name=None):
    """Samples classes from the unigram distribution learned from the true classes seen
    so far. As in TensorFlow 2's eager ops, each call starts afresh, with every class
    equally likely, so the draw is uniform."""
    return _run("uniform", true_classes, num_true, num_sampled, unique, range_max, seed,
                name=name)


def _read_vocab_counts(vocab_file):
    counts = []
    with open(vocab_file, newline="") as f:
        for row in csv.reader(f):
            if row:
                counts.append(float(row[-1]))
    return counts


def fixed_unigram_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max,
                                    vocab_file="", distortion=1.0, num_reserved_ids=0,
                                    num_shards=1, shard=0, unigrams=(), seed=None, name=None):
    """Samples classes with probability proportional to ``unigrams[k] ** distortion``
    (counts from ``unigrams`` or from the last column of ``vocab_file``'s CSV lines);
    ``num_reserved_ids`` leading ids have probability 0, and with ``num_shards`` only the
    ids of ``shard`` (id % num_shards == shard) are sampled."""
    if bool(vocab_file) == bool(len(unigrams)):
        raise ValueError("fixed_unigram_candidate_sampler: give exactly one of vocab_file "
                         "and unigrams")
    counts = _read_vocab_counts(vocab_file) if vocab_file else [float(u) for u in unigrams]
    weights = np.zeros(int(num_reserved_ids) + len(counts))
    weights[int(num_reserved_ids):] = np.power(np.asarray(counts, np.float64), distortion)
    if len(weights) != int(range_max):
        raise ValueError(f"fixed_unigram_candidate_sampler: range_max ({range_max}) must equal "
                         f"num_reserved_ids + the number of unigrams ({len(weights)})")
    if not 0 <= int(shard) < int(num_shards):
        raise ValueError(f"fixed_unigram_candidate_sampler: shard must be in [0, num_shards), "
                         f"got {shard} of {num_shards}")
    ids = np.arange(len(weights))
    weights = np.where(ids % int(num_shards) == int(shard), weights, 0.0)
    if weights.sum() <= 0:
        raise ValueError("fixed_unigram_candidate_sampler: every class has weight 0")
    return _run("fixed_unigram", true_classes, num_true, num_sampled, unique, range_max, seed,
                tuple(weights.tolist()), name)


def all_candidate_sampler(true_classes, num_true, num_sampled, unique, seed=None, name=None):
    """"Samples" every class 0..num_sampled-1 (for testing sampled losses against full
    ones); all expected counts are 1."""
    return _run("all", true_classes, num_true, num_sampled, unique, 0, seed, name=name)


class _AccidentalHits(Op):
    name = "ComputeAccidentalHits"
    num_outputs = 3
    differentiable = False
    data_dependent_shape = True

    def infer(self, inputs, num_true):
        return [(TensorShape([None]), dtypes.int32), (TensorShape([None]), dtypes.int64),
                (TensorShape([None]), dtypes.float32)]

    def kernel(self, xp, true, sampled, num_true):
        if true.ndim != 2 or true.shape[1] != num_true:
            raise InvalidArgumentError(f"compute_accidental_hits: true_classes must have "
                                       f"shape [batch, {num_true}], got {list(true.shape)}")
        hit = (true[:, :, None] == sampled.reshape(-1)[None, None, :]).any(axis=1)
        rows, cols = np.nonzero(hit)
        return (rows.astype(np.int32), cols.astype(np.int64),
                np.full(rows.shape, -np.finfo(np.float32).max, np.float32))


ACCIDENTAL_HITS = _AccidentalHits()


def compute_accidental_hits(true_classes, sampled_candidates, num_true, seed=None,
                            name=None):
    """Where a sampled class is one of a row's true classes: ``(indices, ids, weights)``
    with the row, the position in ``sampled_candidates`` and -FLT_MAX, to add to the
    sampled logits so those samples drop out of the loss."""
    true = tensor(true_classes, dtype_hint=dtypes.int64)
    sampled = tensor(sampled_candidates, dtype_hint=dtypes.int64)
    return tuple(execute(ACCIDENTAL_HITS, (true, sampled), {"num_true": int(num_true)}, name))
