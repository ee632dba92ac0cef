"""Hashing and HashedCrossing (Keras 3) for integer features, with TensorFlow's hashes."""
from __future__ import annotations

import ember
from ember.keras.layers.layer import Layer
from ember.keras.layers.preprocessing.numeric import encode, output_shape
from ember.ops.hash_ops import hashed_cross, integer_hash_bucket

__all__ = ["HashedCrossing", "Hashing"]


class Hashing(Layer):
    """Hashes integer (and float, truncated to int64) features into ``num_bins`` bins with
    FarmHash Fingerprint64, matching Keras with TensorFlow; ``output_mode`` 'int',
    'one_hot', 'multi_hot' or 'count'. String inputs and ``salt`` (SipHash) are not
    supported yet."""

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False,
                 **kwargs):
        kwargs.setdefault("dtype", "int64" if output_mode == "int" else "float32")
        super().__init__(**kwargs)
        if num_bins is None or int(num_bins) <= 0:
            raise ValueError(f"Hashing: `num_bins` must be > 0. Received: num_bins={num_bins}")
        if output_mode not in ("int", "one_hot", "multi_hot", "count"):
            raise ValueError(f"Hashing: unknown `output_mode` {output_mode!r}")
        if salt is not None:
            raise NotImplementedError("Hashing: `salt` (keyed SipHash) is not supported yet")
        if sparse:
            raise NotImplementedError("Hashing: sparse=True is not supported")
        self.num_bins, self.mask_value, self.salt = int(num_bins), mask_value, salt
        self.output_mode, self.sparse = output_mode, sparse

    def call(self, inputs):
        x = ember.convert_to_tensor(inputs)
        if not (x.dtype.is_integer or x.dtype.is_floating):
            raise NotImplementedError(f"Hashing: only integer and float inputs are supported "
                                      f"yet, got {x.dtype.name}")
        if x.dtype.is_floating:
            x = ember.cast(x, "int64")
        if self.output_mode == "one_hot" and x.shape.rank and x.shape[-1] == 1:
            x = ember.squeeze(x, [-1])
        bins = self.num_bins
        if self.mask_value is not None and bins > 1:
            idx = integer_hash_bucket(x, bins - 1) + 1
            idx = ember.where(ember.equal(x, self.mask_value), ember.zeros_like(idx), idx)
        else:
            idx = integer_hash_bucket(x, bins)
        if self.output_mode == "int":
            return ember.cast(idx, self.compute_dtype)
        return encode(idx, bins, self.output_mode, self.compute_dtype, name="Hashing")

    def compute_output_shape(self, input_shape):
        return output_shape(input_shape, self.num_bins, self.output_mode)

    def get_config(self):
        config = super().get_config()
        config.update({"num_bins": self.num_bins, "mask_value": self.mask_value,
                       "salt": self.salt, "output_mode": self.output_mode,
                       "sparse": self.sparse})
        return config


class HashedCrossing(Layer):
    """Crosses integer features (a tuple of same-shaped tensors, one value per sample) into
    ``num_bins`` bins with TensorFlow's hashed cross; ``output_mode`` 'int' or 'one_hot'.
    String features are not supported yet."""

    def __init__(self, num_bins, output_mode="int", sparse=False, name=None, dtype=None,
                 **kwargs):
        if dtype is None:
            dtype = "int64" if output_mode == "int" else "float32"
        super().__init__(name=name, dtype=dtype, **kwargs)
        if output_mode not in ("int", "one_hot"):
            raise ValueError(f"HashedCrossing: `output_mode` must be 'int' or 'one_hot'. "
                             f"Received: output_mode={output_mode!r}")
        if sparse:
            raise NotImplementedError("HashedCrossing: sparse=True is not supported")
        self.num_bins, self.output_mode, self.sparse = int(num_bins), output_mode, sparse

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
            raise ValueError(f"HashedCrossing: inputs must be a tuple of at least two "
                             f"features. Received: {inputs!r}")
        feats = [ember.convert_to_tensor(f) for f in inputs]
        for f in feats:
            if not f.dtype.is_integer:
                raise NotImplementedError(f"HashedCrossing: only integer features are "
                                          f"supported yet, got {f.dtype.name}")
        idx = hashed_cross(feats, self.num_bins)
        if self.output_mode == "int":
            return ember.cast(idx, self.compute_dtype)
        return encode(idx, self.num_bins, "one_hot", self.compute_dtype, name="HashedCrossing")

    def compute_output_shape(self, input_shape):
        return output_shape(input_shape[0], self.num_bins, self.output_mode)

    def get_config(self):
        config = super().get_config()
        config.update({"num_bins": self.num_bins, "output_mode": self.output_mode,
                       "sparse": self.sparse})
        return config
