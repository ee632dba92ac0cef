"""Hash buckets of integers: the decimal text of each value fingerprinted with FarmHash
(as TensorFlow's ``to_hash_bucket_fast(as_string(x))``), modulo the bucket count."""
from __future__ import annotations

import numpy as np

from ember.engine.dispatch import execute
from ember.framework import dtypes
from ember.framework.op import Op
from ember.ops._base import tensor
from ember.runtime.farmhash import fingerprint64

__all__ = ["integer_hash_bucket"]

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
