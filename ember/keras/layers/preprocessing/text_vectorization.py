"""TextVectorization (Keras 3): raw strings to token indices or token-count vectors.

Each string is standardized (ASCII lower-casing and/or removing ASCII punctuation, or the
user's callable on the string tensor), split (at whitespace, into UTF-8 characters, or by
a callable returning a RaggedTensor), turned into n-grams, and looked up in a StringLookup
held as ``_lookup_layer`` (mask token ``""`` at index 0, OOV token ``[UNK]`` at index 1),
as Keras does, so ``.keras`` files put the vocabulary where Keras puts it.
"""
from __future__ import annotations

import numpy as np

import ember
from ember.framework.tensor import Tensor
from ember.keras.layers.layer import Layer
from ember.keras.layers.preprocessing.adapt import lookup_batches
from ember.keras.layers.preprocessing.index_lookup import _listify, _to_tensor
from ember.keras.layers.preprocessing.lookup import StringLookup

__all__ = ["TextVectorization"]

_STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
_SPLIT = ("whitespace", "character")
_PUNCTUATION = r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']'


def _ragged():
    from ember.ragged import RaggedTensor
    return RaggedTensor


class TextVectorization(Layer):
    """Turns raw strings into sequences of token indices (``output_mode="int"``, padded
    with 0 to the longest sequence or to ``output_sequence_length``) or into 'multi_hot',
    'count', 'tf_idf' or 'one_hot' vectors over the vocabulary.

    >>> layer = TextVectorization(output_sequence_length=4)
    >>> layer.adapt(["the cat sat", "the dog"])
    >>> layer(["The dog sat!"]).numpy()
    array([[2, 4, 3, 0]])
    """

    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation",
                 split="whitespace", ngrams=None, output_mode="int",
                 output_sequence_length=None, pad_to_max_tokens=False, vocabulary=None,
                 idf_weights=None, sparse=False, ragged=False, encoding="utf-8", name=None,
                 **kwargs):
        if not (standardize is None or callable(standardize) or standardize in _STANDARDIZE):
            raise ValueError(f"TextVectorization: `standardize` must be None, a callable or "
                             f"one of {_STANDARDIZE}. Received: standardize={standardize!r}")
        if not (split is None or callable(split) or split in _SPLIT):
            raise ValueError(f"TextVectorization: `split` must be None, a callable or one of "
                             f"{_SPLIT}. Received: split={split!r}")
        output_mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode)
        if output_mode not in ("int", "one_hot", "multi_hot", "count", "tf_idf"):
            raise ValueError(f"TextVectorization: unknown `output_mode` {output_mode!r}; "
                             f"expected 'int', 'one_hot', 'multi_hot', 'count' or 'tf_idf'")
        if isinstance(ngrams, list):
            ngrams = tuple(ngrams)
        if not (ngrams is None or (isinstance(ngrams, int) and not isinstance(ngrams, bool)) or
                (isinstance(ngrams, tuple) and all(isinstance(n, int) for n in ngrams))):
            raise ValueError(f"TextVectorization: `ngrams` must be None, an integer, or a "
                             f"tuple of integers. Received: ngrams={ngrams!r}")
        if output_mode == "int" and not (output_sequence_length is None or
                                         isinstance(output_sequence_length, int)):
            raise ValueError(f"TextVectorization: `output_sequence_length` must be None or "
                             f"an integer when `output_mode` is 'int'. Received: "
                             f"output_sequence_length={output_sequence_length!r}")
        if output_mode != "int" and output_sequence_length is not None:
            raise ValueError(f"TextVectorization: `output_sequence_length` must not be set "
                             f"if `output_mode` is not 'int'. Received "
                             f"output_sequence_length={output_sequence_length}.")
        if ragged and output_mode != "int":
            raise ValueError(f"TextVectorization: `ragged` may only be True if `output_mode` "
                             f"is 'int'. Received: ragged={ragged} and "
                             f"output_mode={output_mode}")
        has_input = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        vocabulary_size = kwargs.pop("vocabulary_size", None)
        kwargs.pop("dtype", None)
        super().__init__(name=name, dtype="float32" if output_mode == "tf_idf" else "int64",
                         **kwargs)
        self._standardize, self._split = standardize, split
        self._ngrams_arg = ngrams
        self._ngrams = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else ngrams
        self._ragged, self._output_mode = bool(ragged), output_mode
        self._output_sequence_length = output_sequence_length
        self._encoding = encoding
        self._lookup_layer = StringLookup(
            max_tokens=max_tokens, vocabulary=vocabulary, idf_weights=idf_weights,
            pad_to_max_tokens=pad_to_max_tokens, mask_token="", output_mode=output_mode,
            sparse=sparse, has_input_vocabulary=has_input, encoding=encoding,
            vocabulary_size=vocabulary_size)

    # -- vocabulary ----------------------------------------------------------------------
    def adapt(self, data, batch_size=None, steps=None):
        """Learns the vocabulary (tokens by decreasing count, ties by the larger token; at
        most ``max_tokens``) and, for 'tf_idf', the document frequencies, from an array, a
        list of strings, a Dataset or any iterable of batches."""
        self.reset_state()
        for batch in lookup_batches(data, steps, "TextVectorization"):
            self.update_state(batch)
        self.finalize_state()

    def update_state(self, data):
        self._lookup_layer.update_state(self._preprocess(data))

    def finalize_state(self):
        self._lookup_layer.finalize_state()

    def reset_state(self):
        self._lookup_layer.reset_state()

    def get_vocabulary(self, include_special_tokens=True):
        """The vocabulary by index ('' and '[UNK]' first with ``include_special_tokens``)."""
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self):
        return self._lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Sets the vocabulary (a list, array, tensor or the path of a file with one token
        per line) and, for 'tf_idf', the idf weights."""
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights=idf_weights)

    # -- the computation -----------------------------------------------------------------
    def _preprocess(self, inputs):
        x = inputs if isinstance(inputs, (Tensor, _ragged())) else \
            _to_tensor(inputs, True, self._encoding, "TextVectorization")
        if not isinstance(x, _ragged()) and x.dtype != ember.string:
            raise TypeError(f"TextVectorization: expected string inputs, got {x.dtype.name}")
        if self._standardize in ("lower", "lower_and_strip_punctuation"):
            x = ember.strings.lower(x)
        if self._standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
            x = ember.strings.regex_replace(x, _PUNCTUATION, "")
        if callable(self._standardize):
            x = self._standardize(x)
        if self._split is not None:
            if not isinstance(x, _ragged()) and x.shape.rank is not None and x.shape.rank > 1:
                if x.shape[-1] != 1:
                    raise ValueError(f"TextVectorization: to split strings, the input rank "
                                     f"must be 1 or the last dimension must be 1. Received: "
                                     f"inputs.shape={x.shape} with rank={x.shape.rank}")
                x = ember.squeeze(x, [-1])
            if self._split == "whitespace":
                x = ember.strings.split(x)
            elif self._split == "character":
                x = ember.strings.unicode_split(x, "UTF-8")
            else:
                x = self._split(x)
        if self._ngrams is not None:
            x = ember.strings.ngrams(x, ngram_width=self._ngrams, separator=" ")
        return x

    def _convert_inputs(self, inputs):
        if isinstance(inputs, (Tensor, _ragged())) or getattr(inputs, "_keras_history", None):
            return inputs
        return _to_tensor(inputs, True, self._encoding, "TextVectorization")

    def call(self, inputs):
        ids = self._lookup_layer.call(self._preprocess(inputs))
        if self._output_mode != "int":
            return ids
        length = self._output_sequence_length
        if isinstance(ids, _ragged()):
            if self._ragged:
                return ids if length is None else ids[:, :length]
            if length is None:
                return ids.to_tensor(default_value=0)
            dense = ids.to_tensor(default_value=0, shape=[None, length])
            return ember.ensure_shape(dense, [None, length])
        if length is not None:
            ids = ids[..., :length]
            if not self._ragged:
                pad = length - ember.shape(ids)[-1]
                rank = ids.shape.rank
                paddings = ember.concat([ember.zeros([rank - 1, 2], "int32"),
                                         ember.reshape(ember.stack([0, pad]), [1, 2])], 0)
                ids = ember.pad(ids, paddings)
                ids = ember.ensure_shape(ids, ids.shape.as_list()[:-1] + [length])
        return ids

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self._output_mode == "int":
            return (input_shape[0], self._output_sequence_length)
        if self._split is None:
            if len(input_shape) <= 1:
                input_shape = input_shape + (1,)
        else:
            input_shape = input_shape + (None,)
        return self._lookup_layer.compute_output_shape(input_shape)

    def compute_output_spec(self, inputs, *args, **kwargs):
        from ember.keras.keras_tensor import KerasTensor
        return KerasTensor(self.compute_output_shape(tuple(inputs.shape)),
                           dtype=self.compute_dtype)

    # -- config and saving ---------------------------------------------------------------
    def get_config(self):
        lookup = self._lookup_layer
        config = super().get_config()
        config.update({
            "max_tokens": lookup.max_tokens, "standardize": _callable_config(self._standardize),
            "split": _callable_config(self._split), "ngrams": self._ngrams_arg,
            "output_mode": self._output_mode,
            "output_sequence_length": self._output_sequence_length,
            "pad_to_max_tokens": lookup.pad_to_max_tokens, "sparse": lookup.sparse,
            "ragged": self._ragged, "vocabulary": _listify(lookup.input_vocabulary),
            "idf_weights": _listify(lookup.input_idf_weights), "encoding": self._encoding,
            "vocabulary_size": self.vocabulary_size()})
        return config

    @classmethod
    def from_config(cls, config):
        from ember.keras.saving.serialization import deserialize_keras_object
        config = dict(config)
        for key in ("standardize", "split"):
            if config.get(key) is not None and not isinstance(config[key], str):
                config[key] = deserialize_keras_object(config[key])
        if isinstance(config.get("ngrams"), list):
            config["ngrams"] = tuple(config["ngrams"])
        return cls(**config)

    def get_build_config(self):
        return {}

    def build_from_config(self, config):
        self.build(None)

    def save_own_variables(self, store):
        self._lookup_layer.save_own_variables(store)

    def load_own_variables(self, store):
        self._lookup_layer.load_own_variables(store)

    def save_assets(self, dir_path):
        self._lookup_layer.save_assets(dir_path)

    def load_assets(self, dir_path):
        self._lookup_layer.load_assets(dir_path)


def _callable_config(fn):
    if fn is None or isinstance(fn, str):
        return fn
    from ember.keras.saving.serialization import serialize_keras_object
    return serialize_keras_object(fn)
