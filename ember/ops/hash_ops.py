"""Hashed crosses of features (as ``tf.sparse.cross_hashed`` on dense columns): integer
features enter as their values, string features as their FarmHash fingerprints, combined
with TensorFlow's FingerprintCat64 from a fixed key, modulo the bucket count."""
from __future__ import annotations

import numpy as np

from ember.engine.dispatch import execute
from ember.framework import dtypes
from ember.framework.op import Op
from ember.ops._base import tensor
from ember.ops.string_hash import fingerprint64

__all__ = ["hashed_cross"]

CROSS_HASH_KEY = 0xDECAFCAFFE
_CAT_MUL = np.uint64(0xC6A4A7935BD1E995)


def _shift_mix(v):
    return v ^ (v >> np.uint64(47))


def fingerprint_cat64(fp1, fp2):
    """TensorFlow's FingerprintCat64 of two uint64 arrays (elementwise)."""
    with np.errstate(over="ignore"):
        r = np.asarray(fp1, np.uint64) ^ _CAT_MUL
        r = r ^ (_shift_mix(np.asarray(fp2, np.uint64) * _CAT_MUL) * _CAT_MUL)
        r = r * _CAT_MUL
        r = _shift_mix(r) * _CAT_MUL
        return _shift_mix(r)


class _HashedCross(Op):
    """Integer or string features of one shape -> the bucket of each elementwise cross."""

    name = "HashedCrossDense"
    differentiable = False
    strings = True

    def infer(self, inputs, num_buckets, hash_key):
        shape = inputs[0].shape
        for x in inputs:
            if not (x.dtype.is_integer or x.dtype == dtypes.string):
                raise TypeError(f"{self.name}: features must be integers or strings, got "
                                f"{x.dtype.name}")
            if not x.shape.is_compatible_with(shape):
                raise ValueError(f"{self.name}: features must have the same shape, got "
                                 f"{[str(i.shape) for i in inputs]}")
        return shape, dtypes.int64

    def kernel(self, xp, *features, num_buckets, hash_key):
        h = np.full(features[0].shape, hash_key, np.uint64)
        for f in features:
            if f.dtype == object:
                fp = fingerprint64(f).reshape(f.shape)
            else:
                fp = f.astype(np.int64).view(np.uint64)
            h = fingerprint_cat64(h, fp)
        return (h % np.uint64(num_buckets)).astype(np.int64)


HASHED_CROSS = _HashedCross()


def hashed_cross(features, num_buckets, hash_key=CROSS_HASH_KEY, name=None):
    """The crossed bucket of ``features`` (same shapes), elementwise."""
    if int(num_buckets) < 1:
        raise ValueError(f"hashed_cross: num_buckets must be >= 1, got {num_buckets}")
    return execute(HASHED_CROSS, tuple(tensor(f) for f in features),
                   {"num_buckets": int(num_buckets), "hash_key": int(hash_key)}, name)
