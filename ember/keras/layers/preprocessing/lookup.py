"""IntegerLookup (Keras 3): integer tokens to vocabulary indices and back."""
from __future__ import annotations

from collections import Counter

import numpy as np

import ember
from ember.keras.layers.layer import Layer
from ember.keras.layers.preprocessing.adapt import batches
from ember.keras.layers.preprocessing.numeric import encode, output_shape

__all__ = ["IntegerLookup"]

_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


class IntegerLookup(Layer):
    """Maps integer tokens to indices: [mask_token] (index 0, when set), then
    ``num_oov_indices`` out-of-vocabulary indices (a token t not in the vocabulary goes to
    t mod num_oov_indices), then the vocabulary. ``invert`` maps indices back to tokens
    (``oov_token`` for OOV indices). ``output_mode`` 'int', 'one_hot', 'multi_hot', 'count'
    or 'tf_idf' (counts times ``idf_weights``).

    >>> IntegerLookup(vocabulary=[12, 7])([[7, 12, 5]]).numpy()
    array([[2, 1, 0]])
    """

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1,
                 vocabulary=None, vocabulary_dtype="int64", idf_weights=None, invert=False,
                 output_mode="int", sparse=False, pad_to_max_tokens=False,
                 oov_method="floormod", salt=None, name=None, **kwargs):
        kwargs.setdefault("dtype", "float32" if output_mode == "tf_idf" else "int64")
        super().__init__(name=name, **kwargs)
        if output_mode not in _MODES:
            raise ValueError(f"IntegerLookup: unknown `output_mode` {output_mode!r}; expected "
                             f"one of {_MODES}")
        if int(num_oov_indices) < 0:
            raise ValueError(f"IntegerLookup: `num_oov_indices` must be >= 0. Received: "
                             f"num_oov_indices={num_oov_indices}")
        if invert and output_mode != "int":
            raise ValueError("IntegerLookup: `output_mode` must be 'int' when `invert` is True.")
        if sparse:
            raise NotImplementedError("IntegerLookup: sparse=True is not supported")
        if oov_method != "floormod":
            raise NotImplementedError(f"IntegerLookup: oov_method={oov_method!r} is not "
                                      f"supported (only 'floormod')")
        if output_mode == "tf_idf" and vocabulary is not None and idf_weights is None:
            raise ValueError("IntegerLookup: `idf_weights` must be given with a vocabulary "
                             "when output_mode='tf_idf'.")
        self.max_tokens, self.num_oov_indices = max_tokens, int(num_oov_indices)
        self.mask_token, self.oov_token = mask_token, int(oov_token)
        self.vocabulary_dtype, self.invert = vocabulary_dtype, bool(invert)
        self.output_mode, self.sparse = output_mode, sparse
        self.pad_to_max_tokens, self.oov_method, self.salt = pad_to_max_tokens, oov_method, salt
        self.idf_weights = None if idf_weights is None else \
            np.asarray(idf_weights, np.float32).reshape(-1)
        self.vocab = np.zeros((0,), np.int64)
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)

    @property
    def _offset(self):
        return self.num_oov_indices + (self.mask_token is not None)

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Sets the vocabulary (a list of distinct ints, without the special tokens)."""
        vocab = np.asarray(vocabulary, np.int64).reshape(-1)
        if len(np.unique(vocab)) != len(vocab):
            raise ValueError(f"IntegerLookup: the vocabulary must not contain repeated "
                             f"tokens. Received: {vocab.tolist()}")
        if self.mask_token is not None and self.mask_token in vocab:
            raise ValueError(f"IntegerLookup: the vocabulary must not contain the mask token "
                             f"{self.mask_token}")
        self.vocab = vocab
        if idf_weights is not None:
            self.idf_weights = np.asarray(idf_weights, np.float32).reshape(-1)

    def get_vocabulary(self, include_special_tokens=True):
        """The tokens by index ([mask], OOV tokens, vocabulary)."""
        if not include_special_tokens:
            return self.vocab.tolist()
        head = ([self.mask_token] if self.mask_token is not None else []) + \
            [self.oov_token] * self.num_oov_indices
        return head + self.vocab.tolist()

    def vocabulary_size(self):
        return len(self.vocab) + self._offset

    def adapt(self, data, steps=None):
        """Learns the vocabulary: tokens by decreasing frequency (ties by first
        occurrence), at most ``max_tokens`` indices in all."""
        counts = Counter()
        for batch in batches(data, steps, "IntegerLookup"):
            counts.update(np.asarray(batch, np.int64).reshape(-1).tolist())
        if self.mask_token is not None:
            counts.pop(self.mask_token, None)
        tokens = [t for t, _ in sorted(counts.items(), key=lambda kv: -kv[1])]
        if self.max_tokens is not None:
            tokens = tokens[:max(int(self.max_tokens) - self._offset, 0)]
        self.vocab = np.asarray(tokens, np.int64)
        if self.output_mode == "tf_idf":
            n_docs = 0
            doc_freq = Counter()
            for batch in batches(data, steps, "IntegerLookup"):
                rows = np.asarray(batch, np.int64).reshape(len(batch), -1)
                n_docs += len(rows)
                for row in rows:
                    doc_freq.update(set(row.tolist()))
            df = np.array([doc_freq[t] for t in tokens], np.float64)
            self.idf_weights = np.log(1 + n_docs / (1 + df)).astype(np.float32)

    def _lookup(self, x):
        vocab = ember.constant(self.vocab if len(self.vocab) else np.array([0], np.int64))
        x = ember.cast(x, "int64")
        match = ember.equal(x[..., None], vocab)
        if not len(self.vocab):
            match = ember.logical_and(match, False)
        found = ember.reduce_any(match, -1)
        idx = ember.argmax(ember.cast(match, "int32"), -1, output_type="int64") + self._offset
        mask_offset = int(self.mask_token is not None)
        if self.num_oov_indices:
            oov = ember.math.floormod(x, self.num_oov_indices) + mask_offset
        else:
            oov = ember.fill(ember.shape(x), ember.constant(-1, "int64"))
        out = ember.where(found, idx, oov)
        if self.mask_token is not None:
            out = ember.where(ember.equal(x, self.mask_token), ember.zeros_like(out), out)
        return out

    def _invert(self, x):
        table = ember.constant(np.asarray(self.get_vocabulary(), np.int64))
        x = ember.cast(x, "int64")
        n = self.vocabulary_size()
        inside = ember.logical_and(ember.greater_equal(x, self._offset), ember.less(x, n))
        tokens = ember.gather(table, ember.clip_by_value(x, 0, n - 1))
        out = ember.where(inside, tokens, ember.fill(ember.shape(x),
                                                     ember.constant(self.oov_token, "int64")))
        if self.mask_token is not None:
            out = ember.where(ember.equal(x, 0), ember.fill(ember.shape(x), ember.constant(
                self.mask_token, "int64")), out)
        return out

    def call(self, inputs):
        x = ember.convert_to_tensor(inputs)
        if self.invert:
            return self._invert(x)
        idx = self._lookup(x)
        if self.output_mode == "int":
            return idx
        depth = self._depth()
        mode = "count" if self.output_mode == "tf_idf" else self.output_mode
        out = encode(idx, depth, mode, self.compute_dtype, name="IntegerLookup")
        if self.output_mode == "tf_idf":
            out = out * ember.constant(self._idf(depth), self.compute_dtype)
        return out

    def _depth(self):
        if self.pad_to_max_tokens and self.max_tokens is not None:
            return int(self.max_tokens)
        return self.vocabulary_size()

    def _idf(self, depth):
        if self.idf_weights is None:
            raise ValueError("IntegerLookup: output_mode='tf_idf' needs `idf_weights` or adapt.")
        w = self.idf_weights
        mean = float(np.mean(w)) if len(w) else 0.0
        head = [0.0] * (self.mask_token is not None) + [mean] * self.num_oov_indices
        full = np.concatenate([np.asarray(head, np.float32), w])
        return np.pad(full, (0, max(depth - len(full), 0)))[:depth]

    def compute_output_shape(self, input_shape):
        return output_shape(input_shape, self._depth(), self.output_mode)

    def get_config(self):
        config = super().get_config()
        config.update({
            "invert": self.invert, "max_tokens": self.max_tokens,
            "num_oov_indices": self.num_oov_indices, "oov_token": self.oov_token,
            "mask_token": self.mask_token, "output_mode": self.output_mode,
            "sparse": self.sparse, "pad_to_max_tokens": self.pad_to_max_tokens,
            "vocabulary_dtype": self.vocabulary_dtype,
            "idf_weights": None if self.idf_weights is None else self.idf_weights.tolist(),
            "vocabulary": self.vocab.tolist(), "vocabulary_size": self.vocabulary_size(),
            "oov_method": self.oov_method, "salt": self.salt})
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config.pop("vocabulary_size", None)
        return cls(**config)
