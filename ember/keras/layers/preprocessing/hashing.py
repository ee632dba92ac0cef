"""Hashing and HashedCrossing (Keras 3), with TensorFlow's hashes (FarmHash, SipHash with
a salt, and the FingerprintCat64 cross)."""
from __future__ import annotations

import ember
from ember.keras.layers.layer import Layer
from ember.keras.layers.preprocessing.numeric import encode, output_shape
from ember.ops.hash_ops import hashed_cross

__all__ = ["HashedCrossing", "Hashing"]


def hash_key(salt, layer):
    """A ``salt`` (None, an int or a pair of ints) as the two-int key of SipHash."""
    if salt is None:
        return None
    if isinstance(salt, (tuple, list)) and len(salt) == 2:
        return [int(salt[0]), int(salt[1])]
    if isinstance(salt, int):
        return [salt, salt]
    raise ValueError(f"{layer}: `salt` must be an int or a pair of ints. Received: "
                     f"salt={salt!r}")


class Hashing(Layer):
    """Hashes features into ``num_bins`` bins as Keras with TensorFlow: numbers (floats
    truncated to int64) by their decimal text, strings as they are; FarmHash Fingerprint64,
    or keyed SipHash-2-4 with a ``salt`` (an int or a pair of ints). With ``mask_value``
    bin 0 holds it. ``output_mode`` 'int', 'one_hot', 'multi_hot' or 'count'."""

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False,
                 **kwargs):
        kwargs.setdefault("dtype", "int64" if output_mode == "int" else "float32")
        super().__init__(**kwargs)
        if num_bins is None or int(num_bins) <= 0:
            raise ValueError(f"Hashing: `num_bins` must be > 0. Received: num_bins={num_bins}")
        if output_mode not in ("int", "one_hot", "multi_hot", "count"):
            raise ValueError(f"Hashing: unknown `output_mode` {output_mode!r}")
        if sparse and output_mode == "int":
            raise ValueError("Hashing: `sparse` may only be True with output_mode "
                             "'one_hot', 'multi_hot' or 'count'. Received: sparse=True and "
                             "output_mode='int'")
        salt = hash_key(salt, "Hashing")
        self.num_bins, self.mask_value, self.salt = int(num_bins), mask_value, salt
        self.output_mode, self.sparse = output_mode, sparse

    def _buckets(self, x, bins):
        if x.dtype.is_floating:
            x = ember.cast(x, "int64")
        if x.dtype != ember.string:
            x = ember.as_string(x)
        if self.salt is not None:
            return ember.strings.to_hash_bucket_strong(x, bins, self.salt)
        return ember.strings.to_hash_bucket_fast(x, bins)

    def call(self, inputs):
        x = ember.convert_to_tensor(inputs)
        if self.output_mode == "one_hot" and x.shape.rank and x.shape[-1] == 1:
            x = ember.squeeze(x, [-1])
        bins = self.num_bins
        if self.mask_value is not None and bins > 1:
            idx = self._buckets(x, bins - 1) + 1
            mask = ember.equal(x, ember.constant(self.mask_value, x.dtype))
            idx = ember.where(mask, ember.zeros_like(idx), idx)
        else:
            idx = self._buckets(x, bins)
        if self.output_mode == "int":
            return ember.cast(idx, self.compute_dtype)
        out = encode(idx, bins, self.output_mode, self.compute_dtype, name="Hashing")
        return ember.sparse.from_dense(out) if self.sparse else out

    def compute_output_shape(self, input_shape):
        return output_shape(input_shape, self.num_bins, self.output_mode)

    def get_config(self):
        config = super().get_config()
        config.update({"num_bins": self.num_bins, "mask_value": self.mask_value,
                       "salt": self.salt, "output_mode": self.output_mode,
                       "sparse": self.sparse})
        return config


class HashedCrossing(Layer):
    """Crosses features (a tuple of same-shaped integer or string tensors, one value per
    sample) into ``num_bins`` bins with TensorFlow's hashed cross; ``output_mode`` 'int'
    or 'one_hot'."""

    def __init__(self, num_bins, output_mode="int", sparse=False, name=None, dtype=None,
                 **kwargs):
        if dtype is None:
            dtype = "int64" if output_mode == "int" else "float32"
        super().__init__(name=name, dtype=dtype, **kwargs)
        if output_mode not in ("int", "one_hot"):
            raise ValueError(f"HashedCrossing: `output_mode` must be 'int' or 'one_hot'. "
                             f"Received: output_mode={output_mode!r}")
        if sparse and output_mode == "int":
            raise ValueError("HashedCrossing: `sparse` may only be True with output_mode "
                             "'one_hot'. Received: sparse=True and output_mode='int'")
        self.num_bins, self.output_mode, self.sparse = int(num_bins), output_mode, sparse

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
            raise ValueError(f"HashedCrossing: inputs must be a tuple of at least two "
                             f"features. Received: {inputs!r}")
        feats = [ember.convert_to_tensor(f) for f in inputs]
        feats = [ember.cast(f, "int64") if f.dtype.is_floating else f for f in feats]
        idx = hashed_cross(feats, self.num_bins)
        if self.output_mode == "int":
            return ember.cast(idx, self.compute_dtype)
        out = encode(idx, self.num_bins, "one_hot", self.compute_dtype, name="HashedCrossing")
        return ember.sparse.from_dense(out) if self.sparse else out

    def compute_output_shape(self, input_shape):
        return output_shape(input_shape[0], self.num_bins, self.output_mode)

    def get_config(self):
        config = super().get_config()
        config.update({"num_bins": self.num_bins, "output_mode": self.output_mode,
                       "sparse": self.sparse})
        return config
