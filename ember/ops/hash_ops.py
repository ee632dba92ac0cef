"""Hash buckets of integers: the decimal text of each value fingerprinted with FarmHash
(as TensorFlow's ``to_hash_bucket_fast(as_string(x))``), modulo the bucket count; and
hashed crosses of integer features (as ``tf.sparse.cross_hashed`` on dense columns)."""
from __future__ import annotations

import numpy as np

from ember.engine.dispatch import execute
from ember.framework import dtypes
from ember.framework.op import Op
from ember.ops._base import tensor
from ember.runtime.farmhash import fingerprint64, fingerprint_cat64

__all__ = ["hashed_cross", "integer_hash_bucket"]

CROSS_HASH_KEY = 0xDECAFCAFFE

class _IntegerHashBucket(Op):
    name = "IntegerHashBucketFast"
    differentiable = False

    def infer(self, inputs, num_buckets):
        x = inputs[0]
        if not x.dtype.is_integer:
            raise TypeError(f"{self.name}: values must be integers, got {x.dtype.name}")
        return x.shape, dtypes.int64

    def kernel(self, xp, x, num_buckets):
        uniq, inverse = np.unique(x, return_inverse=True)
        hashed = np.array([fingerprint64(str(int(v)).encode()) % num_buckets for v in uniq],
                          np.int64)
        return hashed[inverse].reshape(x.shape)


INTEGER_HASH_BUCKET = _IntegerHashBucket()


def integer_hash_bucket(values, num_buckets, name=None):
    """FarmHash(str(value)) mod ``num_buckets`` for each integer of ``values`` (int64)."""
    if int(num_buckets) < 1:
        raise ValueError(f"integer_hash_bucket: num_buckets must be >= 1, got {num_buckets}")
    return execute(INTEGER_HASH_BUCKET, (tensor(values),), {"num_buckets": int(num_buckets)},
                   name)


class _HashedCross(Op):
    """Integer features of one shape -> the bucket of each elementwise cross."""

    name = "HashedCrossDense"
    differentiable = False

    def infer(self, inputs, num_buckets, hash_key):
        shape = inputs[0].shape
        for x in inputs:
            if not x.dtype.is_integer:
                raise TypeError(f"{self.name}: features must be integers, got "
                                f"{x.dtype.name}")
            if not x.shape.is_compatible_with(shape):
                raise ValueError(f"{self.name}: features must have the same shape, got "
                                 f"{[str(i.shape) for i in inputs]}")
        return shape, dtypes.int64

    def kernel(self, xp, *features, num_buckets, hash_key):
        h = np.full(features[0].shape, hash_key, np.uint64)
        for f in features:
            h = fingerprint_cat64(h, f.astype(np.int64).view(np.uint64))
        return (h % np.uint64(num_buckets)).astype(np.int64)


HASHED_CROSS = _HashedCross()


def hashed_cross(features, num_buckets, hash_key=CROSS_HASH_KEY, name=None):
    """The crossed bucket of integer ``features`` (same shapes), elementwise."""
    if int(num_buckets) < 1:
        raise ValueError(f"hashed_cross: num_buckets must be >= 1, got {num_buckets}")
    return execute(HASHED_CROSS, tuple(tensor(f) for f in features),
                   {"num_buckets": int(num_buckets), "hash_key": int(hash_key)}, name)
