"""IndexLookup: the machinery StringLookup, IntegerLookup and TextVectorization share
(Keras 3's layout and numbers).

Indices are, in order: the mask token (index 0, only with ``output_mode="int"``), the
``num_oov_indices`` out-of-vocabulary indices, then the vocabulary. ``adapt`` counts
tokens and keeps the most frequent (ties: the larger token first, as Keras sorts them);
``tf_idf`` learns ``log(1 + documents / (1 + documents containing the token))`` per token,
the OOV indices getting the mean. The vocabulary given to the constructor lives in the
config; one learned by ``adapt`` (or set later) is written to ``vocabulary.txt`` among the
``.keras`` file's assets, and tf-idf weights to the layer's ``idf_weights`` variable entry,
where Keras puts them.
"""
from __future__ import annotations

import os
from collections import Counter

import numpy as np

import ember
from ember.framework.tensor import EagerTensor, Tensor
from ember.keras.layers.layer import Layer
from ember.keras.layers.preprocessing.adapt import lookup_batches
from ember.keras.layers.preprocessing.hashing import hash_key
from ember.ops.lookup_ops import sorted_table, table_lookup

__all__ = ["IndexLookup", "encode_indices"]

_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")
_INT64_MAX = np.iinfo(np.int64).max
VOCABULARY_FILE = "vocabulary.txt"


def _mode(output_mode):
    return {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode)


def _ragged():
    from ember.ragged import RaggedTensor
    return RaggedTensor


class IndexLookup(Layer):
    """Maps tokens (strings or integers, by ``vocabulary_dtype``) to indices and back; see
    the module docstring. Use StringLookup or IntegerLookup."""

    def __init__(self, max_tokens, num_oov_indices, mask_token, oov_token, vocabulary_dtype,
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 sparse=False, pad_to_max_tokens=False, oov_method="floormod", name=None,
                 salt=None, **kwargs):
        cls = type(self).__name__
        output_mode = _mode(output_mode)
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(f"{cls}: if set, `max_tokens` must be greater than 1. "
                             f"Received: max_tokens={max_tokens}")
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(f"{cls}: pad_to_max_tokens=True needs `max_tokens`. "
                             f"Received: max_tokens={max_tokens}")
        if num_oov_indices is None or int(num_oov_indices) < 0:
            raise ValueError(f"{cls}: `num_oov_indices` must be >= 0. Received: "
                             f"num_oov_indices={num_oov_indices}")
        if oov_method not in ("floormod", "farmhash"):
            raise ValueError(f"{cls}: `oov_method` must be 'floormod' or 'farmhash'. "
                             f"Received: oov_method={oov_method!r}")
        string = vocabulary_dtype in ("string", ember.string)
        if salt is not None and not string and oov_method != "farmhash":
            raise ValueError(f"{cls}: `salt` can only be used when oov_method='farmhash'. "
                             f"Received: oov_method={oov_method}")
        salt = hash_key(salt, cls)
        if output_mode not in _MODES:
            raise ValueError(f"{cls}: unknown `output_mode` {output_mode!r}; expected one of "
                             f"{_MODES}")
        if invert and output_mode != "int":
            raise ValueError(f"{cls}: `output_mode` must be 'int' when `invert` is True. "
                             f"Received: output_mode={output_mode}")
        if sparse and output_mode == "int":
            raise ValueError(f"{cls}: `sparse` may only be True if `output_mode` is "
                             f"'one_hot', 'multi_hot', 'count' or 'tf_idf'. Received: "
                             f"sparse={sparse} and output_mode={output_mode}")
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(f"{cls}: `idf_weights` should only be set if `output_mode` is "
                             f"'tf_idf'. Received: output_mode={output_mode}")
        frozen = kwargs.pop("vocabulary_size", None)
        has_input = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        kwargs.pop("dtype", None)
        super().__init__(name=name, dtype="float32" if output_mode == "tf_idf" else "int64",
                         **kwargs)
        self.invert, self.max_tokens = bool(invert), max_tokens
        self.num_oov_indices = int(num_oov_indices)
        self.mask_token, self.oov_token = mask_token, oov_token
        self.output_mode, self.sparse = output_mode, bool(sparse)
        self.pad_to_max_tokens = bool(pad_to_max_tokens)
        self.vocabulary_dtype = "string" if string else ember.as_dtype(vocabulary_dtype).name
        self.oov_method, self.salt = oov_method, salt
        self._frozen_vocab_size = frozen
        self.input_vocabulary = vocabulary if not isinstance(vocabulary, str) else None
        self.input_idf_weights = idf_weights
        self._has_input_vocabulary = bool(has_input)
        self._tokens = []
        self._tables = None
        self.idf_weights = None
        if output_mode == "tf_idf":
            if self._has_input_vocabulary and idf_weights is None:
                raise ValueError(f"{cls}: with a `vocabulary` and output_mode='tf_idf', the "
                                 f"`idf_weights` argument must also be given.")
            if idf_weights is not None:
                self.idf_weights = np.asarray(_numpy(idf_weights), np.float32)
        self.reset_state()
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)

    # -- the vocabulary ------------------------------------------------------------------
    @property
    def _is_string(self):
        return self.vocabulary_dtype == "string"

    def _oov_start_index(self):
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self):
        return self._oov_start_index() + self.num_oov_indices

    def _token(self, value):
        """A token as the vocabulary holds it: str for strings, int for integers."""
        if self._is_string:
            return value.decode(self._encoding) if isinstance(value, bytes) else str(value)
        return int(value)

    @property
    def _encoding(self):
        return getattr(self, "encoding", "utf-8")

    def get_vocabulary(self, include_special_tokens=True):
        """The tokens by index: with ``include_special_tokens`` the mask and OOV tokens
        first, so a token's position is its index."""
        if not include_special_tokens:
            return list(self._tokens)
        head = [self.mask_token] * self._oov_start_index() + \
            [self.oov_token] * self.num_oov_indices
        return head + list(self._tokens)

    def vocabulary_size(self):
        """The number of indices, mask and OOV indices included."""
        return len(self._tokens) + self._token_start_index()

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Sets the vocabulary (and tf-idf weights): a list, array or 1-D tensor of distinct
        tokens (optionally starting with the mask and OOV tokens, in that order), or the
        path of a text file holding one token per line."""
        cls = type(self).__name__
        if self.output_mode == "tf_idf":
            if idf_weights is None:
                raise ValueError(f"{cls}: `idf_weights` must be set if output_mode is "
                                 f"'tf_idf'.")
        elif idf_weights is not None:
            raise ValueError(f"{cls}: `idf_weights` should only be set if output_mode is "
                             f"'tf_idf'. Received: output_mode={self.output_mode}")
        if isinstance(vocabulary, (str, os.PathLike)):
            self._set_vocabulary_file(os.fspath(vocabulary))
            return
        tokens = [self._token(t) for t in np.asarray(_numpy(vocabulary), dtype=object)
                  .reshape(-1).tolist()]
        if not tokens:
            raise ValueError(f"{cls}: cannot set an empty vocabulary. Received: "
                             f"vocabulary={vocabulary!r}")
        start = self._token_start_index()
        special = [self.mask_token] * self._oov_start_index() + \
            [self.oov_token] * self.num_oov_indices
        found_special = tokens[:start] == special
        if found_special:
            tokens = tokens[start:]
        repeated = [t for t, n in Counter(tokens).items() if n > 1]
        if repeated:
            raise ValueError(f"{cls}: the vocabulary has repeated terms; make it unique. "
                             f"The repeated terms are: {repeated}")
        if self.mask_token is not None and self.mask_token in tokens:
            raise ValueError(f"{cls}: found the reserved mask token {self.mask_token!r} at "
                             f"vocabulary index {tokens.index(self.mask_token)}. The "
                             f"vocabulary need not include the mask and OOV tokens; if it "
                             f"does, they must come first, in this order: {special}.")
        if self.invert and self.oov_token is not None and self.oov_token in tokens:
            raise ValueError(f"{cls}: found the reserved OOV token {self.oov_token!r} in the "
                             f"vocabulary. It need not include the mask and OOV tokens; if "
                             f"it does, they must come first, in this order: {special}.")
        if self.max_tokens is not None and start + len(tokens) > self.max_tokens:
            raise ValueError(f"{cls}: attempted to set a vocabulary larger than the maximum "
                             f"vocabulary size. Received vocabulary size is "
                             f"{start + len(tokens)}; `max_tokens` is {self.max_tokens}.")
        self._tokens = tokens
        self._tables = None
        self._record_vocabulary_size()
        if self.output_mode == "tf_idf":
            weights = np.asarray(_numpy(idf_weights), np.float32)
            if weights.ndim != 1:
                raise ValueError(f"{cls}: tf-idf weights must be a 1-D array. Received "
                                 f"shape {weights.shape}")
            if len(weights) != len(tokens) + (start if found_special else 0):
                raise ValueError(f"{cls}: `idf_weights` must be as long as the vocabulary. "
                                 f"len(idf_weights) is {len(weights)}; len(vocabulary) is "
                                 f"{len(tokens) + (start if found_special else 0)}")
            front = 0 if found_special else start
            front_value = 0.0 if found_special else float(np.mean(weights))
            back = 0
            if self.pad_to_max_tokens and self.max_tokens is not None:
                back = max(self.max_tokens - front - len(weights), 0)
            self.idf_weights = np.pad(weights, (front, back),
                                      constant_values=(front_value, 0.0)).astype(np.float32)

    def _set_vocabulary_file(self, path):
        from ember.keras.saving.serialization import in_safe_mode
        cls = type(self).__name__
        if in_safe_mode():
            raise ValueError(f"{cls}: requested the loading of a vocabulary file outside of "
                             f"the model archive, which could read arbitrary files, so it is "
                             f"disallowed in safe mode. If you trust the source, pass "
                             f"safe_mode=False to the loading function or call "
                             f"keras.config.enable_unsafe_deserialization(). Vocabulary "
                             f"file: '{path}'")
        if not os.path.exists(path):
            raise ValueError(f"{cls}: vocabulary file {path} does not exist.")
        if self.output_mode == "tf_idf":
            raise ValueError(f"{cls}: output_mode 'tf_idf' does not support loading a "
                             f"vocabulary from file.")
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
        self._tokens = [self._token(line) for line in lines]
        self._tables = None
        self._record_vocabulary_size()

    def _record_vocabulary_size(self):
        new = self.vocabulary_size()
        if self.output_mode not in ("int",) and not self.pad_to_max_tokens and \
                self._frozen_vocab_size is not None and self.built and \
                new != self._frozen_vocab_size:
            raise RuntimeError(f"{type(self).__name__}: with output_mode="
                               f"{self.output_mode!r} and pad_to_max_tokens=False, the "
                               f"vocabulary size cannot change after the layer is called. "
                               f"Old size {self._frozen_vocab_size}, new size {new}.")
        self._frozen_vocab_size = new

    # -- adapt ---------------------------------------------------------------------------
    def reset_state(self):
        self._token_counts = Counter()
        self._document_counts = Counter()
        self._num_documents = 0

    def adapt(self, data, steps=None):
        """Learns the vocabulary (and tf-idf weights) from an array, a list, a tensor, a
        Dataset or any iterable of batches (at most ``steps`` batches of it)."""
        self.reset_state()
        for batch in lookup_batches(data, steps, type(self).__name__):
            self.update_state(batch)
        self.finalize_state()

    def update_state(self, data):
        """Counts the tokens of one batch: rows of a 2-D array or RaggedTensor are
        documents (a vector is one document)."""
        if self._has_input_vocabulary:
            raise ValueError(f"{type(self).__name__}: cannot adapt layer '{self.name}' "
                             f"after setting a static vocabulary via the `vocabulary` "
                             f"argument or `set_vocabulary()`.")
        rows = self._documents(data)
        for row in rows:
            self._token_counts.update(row)
        if self.output_mode == "tf_idf":
            for row in rows:
                self._document_counts.update(set(row))
            self._num_documents += len(rows)

    def _documents(self, data):
        if isinstance(data, _ragged()):
            values = data.flat_values.numpy()
            splits = data.row_splits.numpy()
            if data.ragged_rank > 1:
                raise ValueError(f"{type(self).__name__}.adapt: ragged data of ragged rank "
                                 f"{data.ragged_rank} is not supported (one level only).")
            return [values[a:b].tolist() for a, b in zip(splits[:-1], splits[1:])]
        a = _numpy(data)
        if not self._is_string:
            a = np.asarray(a)
            if a.dtype.kind not in "iub":
                a = a.astype(np.int64)
        else:
            a = _as_bytes(np.asarray(a), self._encoding)
        if a.ndim == 0:
            a = a.reshape(1, 1)
        elif a.ndim == 1:
            a = a[None]
        a = a.reshape(a.shape[0], -1)
        return [row.tolist() for row in a]

    def finalize_state(self):
        if self._has_input_vocabulary or not self._token_counts:
            self._record_vocabulary_size()
            return
        counts = self._token_counts
        for special in (self.mask_token, self.oov_token):
            if special is not None:
                counts.pop(self._key(special), None)
        ranked = sorted(counts.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)
        if self.max_tokens:
            ranked = ranked[:max(self.max_tokens - self._token_start_index(), 0)]
        keys = [k for k, _ in ranked]
        self._tokens = [self._token(k) for k in keys]
        self._tables = None
        if self.output_mode == "tf_idf":
            df = np.array([self._document_counts[k] for k in keys], np.float64)
            idf = np.log(1 + self._num_documents / (1 + df)).astype(np.float32)
            mean = np.mean(idf) if len(idf) else np.float32(0)
            idf = np.concatenate([np.full(self._token_start_index(), mean, np.float32), idf])
            if self.pad_to_max_tokens and self.max_tokens is not None:
                idf = np.pad(idf, (0, max(self.max_tokens - len(idf), 0)))
            self.idf_weights = idf.astype(np.float32)
        self.reset_state()
        self._record_vocabulary_size()

    def _key(self, token):
        if self._is_string:
            return token.encode(self._encoding) if isinstance(token, str) else token
        return int(token)

    # -- the lookup ----------------------------------------------------------------------
    def _table(self):
        """(keys, values) sorted by key, for the current vocabulary and direction."""
        if self._tables is None:
            keys = np.array([self._key(t) for t in self._tokens],
                            dtype=object if self._is_string else np.int64)
            if not len(keys):
                keys = np.zeros((0,), object if self._is_string else np.int64)
            ids = np.arange(self._token_start_index(),
                            self._token_start_index() + len(keys), dtype=np.int64)
            self._tables = sorted_table(ids, keys) if self.invert else sorted_table(keys, ids)
        return self._tables

    def _default_value(self):
        if self.invert:
            return self.oov_token
        return self._oov_start_index() if self.num_oov_indices == 1 else -1

    def _key_tensor(self, x):
        if self.invert:
            return ember.cast(x, "int64")
        if self._is_string:
            if x.dtype != ember.string:
                raise TypeError(f"{type(self).__name__}: expected string inputs, got "
                                f"{x.dtype.name}")
            return x
        if x.dtype == ember.string:
            raise TypeError(f"{type(self).__name__}: expected integer inputs, got "
                            f"{x.dtype.name}")
        return ember.cast(x, "int64")

    def _lookup_dense(self, x):
        x = self._key_tensor(x)
        keys, values = self._table()
        out = table_lookup(x, keys, values, self._default_value())
        if self.mask_token is not None:
            if self.invert:
                mask_key, mask_value = 0, self.mask_token
            else:
                mask_key = self.mask_token
                mask_value = 0 if self.output_mode == "int" else _INT64_MAX
            mask_value = ember.constant(self._key(mask_value) if self.invert else mask_value,
                                        out.dtype)
            is_mask = ember.equal(x, ember.constant(self._key(mask_key) if not self.invert
                                                    else mask_key, x.dtype))
            out = ember.where(is_mask, ember.broadcast_to(mask_value, ember.shape(out)), out)
        if self.invert:
            return out
        if self.num_oov_indices == 0:
            _check_no_oov(x, out, type(self).__name__)
        elif self.num_oov_indices > 1:
            oov = self._oov_bucket(x) + self._oov_start_index()
            out = ember.where(ember.equal(out, -1), oov, out)
        return out

    def _oov_bucket(self, x):
        n = self.num_oov_indices
        if not self._is_string and self.oov_method != "farmhash":
            return ember.math.floormod(x, ember.constant(n, "int64"))
        text = x if self._is_string else ember.as_string(x)
        if self.salt is not None:
            return ember.strings.to_hash_bucket_strong(text, n, self.salt)
        return ember.strings.to_hash_bucket_fast(text, n)

    def _convert_inputs(self, inputs):
        if isinstance(inputs, (Tensor, _ragged())) or getattr(inputs, "_keras_history", None):
            return inputs
        return _to_tensor(inputs, self._is_string and not self.invert, self._encoding,
                          type(self).__name__)

    def call(self, inputs):
        x = inputs if isinstance(inputs, _ragged()) else \
            _to_tensor(inputs, self._is_string and not self.invert, self._encoding,
                          type(self).__name__)
        self._ensure_known_vocab_size()
        scalar = not isinstance(x, _ragged()) and x.shape.rank == 0
        if scalar:
            x = ember.expand_dims(x, -1)
        if isinstance(x, _ragged()):
            idx = x.with_flat_values(self._lookup_dense(x.flat_values))
        else:
            idx = self._lookup_dense(x)
        if self.output_mode == "int":
            return ember.squeeze(idx, [-1]) if scalar else idx
        return self._encode(idx)

    def _encode(self, idx):
        depth = self._depth()
        mode = "count" if self.output_mode == "tf_idf" else self.output_mode
        weights = None
        if self.output_mode == "tf_idf":
            idf = self.idf_weights
            if idf is None:
                eager = isinstance(idx, EagerTensor) or (
                    isinstance(idx, _ragged()) and isinstance(idx.flat_values, EagerTensor))
                if eager:
                    raise ValueError(f"{type(self).__name__}: output_mode='tf_idf' needs "
                                     f"`idf_weights` (pass them with a vocabulary, or adapt).")
                idf = np.zeros((0,), np.float32)   # a shape-only trace before loading
            weights = np.pad(idf, (0, max(depth - len(idf), 0)))[:depth]
        return encode_indices(idx, depth, mode, self.compute_dtype, self.sparse, weights,
                              type(self).__name__)

    def _depth(self):
        return int(self.max_tokens) if self.pad_to_max_tokens else self._frozen_vocab_size

    def _ensure_known_vocab_size(self):
        if self.output_mode == "int" or self.pad_to_max_tokens:
            return
        if self._frozen_vocab_size is None:
            raise RuntimeError(f"{type(self).__name__}: with output_mode="
                               f"{self.output_mode!r} and pad_to_max_tokens=False, the "
                               f"vocabulary must be set before calling the layer: pass a "
                               f"`vocabulary` argument or call `adapt` on some data.")

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        depth = self._depth()
        s = tuple(input_shape)
        if self.output_mode == "one_hot":
            return (s[:-1] if len(s) > 1 and s[-1] == 1 else s) + (depth,)
        return s[:-1] + (depth,)

    def compute_output_spec(self, inputs, *args, **kwargs):
        from ember.keras.keras_tensor import KerasTensor
        shape = self.compute_output_shape(tuple(inputs.shape))
        dtype = self.vocabulary_dtype if self.invert else self.compute_dtype
        return KerasTensor(shape, dtype=dtype)

    # -- config and saving ---------------------------------------------------------------
    def get_config(self):
        config = super().get_config()
        config.update({
            "invert": self.invert, "max_tokens": self.max_tokens,
            "num_oov_indices": self.num_oov_indices, "oov_token": self.oov_token,
            "mask_token": self.mask_token, "output_mode": self.output_mode,
            "sparse": self.sparse, "pad_to_max_tokens": self.pad_to_max_tokens,
            "vocabulary_dtype": self.vocabulary_dtype,
            "idf_weights": _listify(self.input_idf_weights),
            "vocabulary": _listify(self.input_vocabulary),
            "vocabulary_size": self._frozen_vocab_size,
            "oov_method": self.oov_method, "salt": self.salt})
        return config

    def get_build_config(self):
        return {}

    def build_from_config(self, config):
        self.build(None)

    def save_own_variables(self, store):
        if self.output_mode == "tf_idf" and self.idf_weights is not None:
            store["idf_weights"] = self.idf_weights

    def load_own_variables(self, store):
        if self.output_mode == "tf_idf" and "idf_weights" in store:
            self.idf_weights = np.asarray(store["idf_weights"], np.float32)

    def save_assets(self, dir_path):
        if self.input_vocabulary is not None:
            return      # the config holds it
        text = "\n".join(str(t) for t in self.get_vocabulary(include_special_tokens=True))
        with open(os.path.join(dir_path, VOCABULARY_FILE), "w", encoding="utf-8") as f:
            f.write(text)

    def load_assets(self, dir_path):
        if self.input_vocabulary is not None:
            return
        path = os.path.join(dir_path, VOCABULARY_FILE)
        if not os.path.exists(path):
            return
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
        while lines and lines[-1] == "":
            lines.pop()
        if not lines:
            return
        values = lines if self._is_string else [int(line) for line in lines]
        idf = None
        if self.output_mode == "tf_idf" and self.idf_weights is not None:
            idf = self.idf_weights[:len(values)]     # set_vocabulary pads it again
        self.set_vocabulary(values, idf_weights=idf)


def encode_indices(idx, depth, output_mode, dtype, sparse=False, idf_weights=None,
                   name="IndexLookup"):
    """Indices (a tensor or RaggedTensor; values outside [0, depth) are dropped) as
    'one_hot', 'multi_hot' or 'count' vectors of length ``depth`` (times ``idf_weights``
    for tf-idf), as Keras with TensorFlow: a vector is one sample, rows of a matrix are
    samples; ``sparse`` gives a SparseTensor."""
    if isinstance(idx, _ragged()):
        if output_mode == "one_hot":
            raise ValueError(f"{name}: output_mode='one_hot' needs dense inputs, got a "
                             f"RaggedTensor (use 'multi_hot' or 'count').")
        idx = idx.to_tensor(default_value=depth)
    idx = ember.cast(idx, "int64")
    if idx.shape.rank == 0:
        idx = ember.expand_dims(idx, -1)
    if output_mode == "one_hot":
        if idx.shape[-1] != 1:
            idx = ember.expand_dims(idx, -1)
    if idx.shape.rank is None or idx.shape.rank > 2:
        raise ValueError(f"{name}: when output_mode is not 'int', the output rank can be at "
                         f"most 2. Received output_mode {output_mode!r} and indices of shape "
                         f"{idx.shape}.")
    binary = output_mode in ("multi_hot", "one_hot")
    bad = ember.less(idx, 0)
    idx = ember.where(bad, ember.fill(ember.shape(idx), ember.constant(depth, "int64")), idx)
    out = ember.math.bincount(idx, minlength=depth, maxlength=depth, axis=-1,
                              binary_output=binary, dtype=dtype)
    if idf_weights is not None:
        out = out * ember.constant(np.asarray(idf_weights, np.float32), dtype)
    if sparse:
        out = ember.sparse.from_dense(out)
    return out


def _check_no_oov(x, out, name):
    if isinstance(out, EagerTensor):
        found = out.numpy()
        if (found == -1).any():
            bad = x.numpy()[found == -1]
            raise ember.errors.InvalidArgumentError(
                f"{name}: when num_oov_indices=0 all inputs should be in the "
                            f"vocabulary; found OOV values {bad.tolist()}. Consider setting "
                            f"num_oov_indices=1.")
    else:
        ember.debugging.assert_non_negative(
            out, message=f"{name}: when num_oov_indices=0 all inputs should be in the "
                         f"vocabulary; consider setting num_oov_indices=1.")


def _numpy(x):
    if isinstance(x, Tensor):
        return x.numpy()
    if isinstance(x, ember.Variable):
        return x.numpy()
    return x


def _as_bytes(a, encoding="utf-8"):
    if a.dtype == object and all(isinstance(s, bytes) for s in a.reshape(-1).tolist()):
        return a
    out = np.empty(a.shape, dtype=object)
    out.reshape(-1)[:] = [s.encode(encoding) if isinstance(s, str) else
                          s if isinstance(s, bytes) else str(s).encode(encoding)
                          for s in a.reshape(-1).tolist()]
    return out


def _to_tensor(x, string, encoding="utf-8", layer="IndexLookup"):
    if isinstance(x, (Tensor, _ragged())):
        return x
    if string:
        a = x if isinstance(x, np.ndarray) else np.asarray(x, dtype=object)
        if any(not isinstance(s, (str, bytes)) for s in a.reshape(-1).tolist()):
            raise TypeError(f"{layer}: expected string inputs, got an array of {a.dtype} holding "
                            f"{type(a.reshape(-1)[0]).__name__} values")
        return ember.constant(_as_bytes(a, encoding), ember.string)
    return ember.convert_to_tensor(x)


def _listify(x):
    if x is None:
        return None
    x = _numpy(x)
    if isinstance(x, np.ndarray):
        x = x.tolist()
    if isinstance(x, (list, tuple)):
        return [s.decode("utf-8") if isinstance(s, bytes) else s for s in x]
    return x
