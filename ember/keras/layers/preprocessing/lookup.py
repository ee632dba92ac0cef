"""StringLookup and IntegerLookup (Keras 3): tokens to vocabulary indices and back, on the
shared IndexLookup machinery."""
from __future__ import annotations

from ember.keras.layers.preprocessing.index_lookup import IndexLookup

__all__ = ["IntegerLookup", "StringLookup"]


class IntegerLookup(IndexLookup):
    """Maps integer tokens to indices: [mask_token] (index 0 with output_mode 'int'), then
    ``num_oov_indices`` out-of-vocabulary indices (a token t not in the vocabulary goes to
    t mod num_oov_indices, or a FarmHash bucket with ``oov_method='farmhash'``), then the
    vocabulary. ``invert`` maps indices back to tokens (``oov_token`` for OOV indices).
    ``output_mode`` 'int', 'one_hot', 'multi_hot', 'count' or 'tf_idf'.

    >>> IntegerLookup(vocabulary=[12, 7])([[7, 12, 5]]).numpy()
    array([[2, 1, 0]])
    """

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1,
                 vocabulary=None, vocabulary_dtype="int64", idf_weights=None, invert=False,
                 output_mode="int", sparse=False, pad_to_max_tokens=False,
                 oov_method="floormod", salt=None, name=None, **kwargs):
        if vocabulary_dtype != "int64":
            raise ValueError(f"IntegerLookup: only vocabulary_dtype='int64' is supported. "
                             f"Received: vocabulary_dtype={vocabulary_dtype}")
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices,
                         mask_token=None if mask_token is None else int(mask_token),
                         oov_token=None if oov_token is None else int(oov_token),
                         vocabulary=vocabulary, vocabulary_dtype=vocabulary_dtype,
                         idf_weights=idf_weights, invert=invert, output_mode=output_mode,
                         sparse=sparse, pad_to_max_tokens=pad_to_max_tokens,
                         oov_method=oov_method, salt=salt, name=name, **kwargs)


class StringLookup(IndexLookup):
    """Maps string tokens to indices: [mask_token] (index 0 with output_mode 'int'), then
    ``num_oov_indices`` out-of-vocabulary indices (an unknown string goes to its FarmHash
    bucket, or a keyed SipHash bucket with ``salt``), then the vocabulary. ``invert`` maps
    indices back to strings (``oov_token``, default '[UNK]', for OOV indices).

    >>> StringLookup(vocabulary=["a", "b"])([["a", "z", "b"]]).numpy()
    array([[1, 0, 2]])
    """

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]",
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 pad_to_max_tokens=False, sparse=False, encoding="utf-8", name=None,
                 salt=None, **kwargs):
        self.encoding = encoding
        kwargs.pop("vocabulary_dtype", None)
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices,
                         mask_token=mask_token, oov_token=oov_token, vocabulary=vocabulary,
                         idf_weights=idf_weights, invert=invert, output_mode=output_mode,
                         pad_to_max_tokens=pad_to_max_tokens, sparse=sparse, name=name,
                         salt=salt, vocabulary_dtype="string", **kwargs)

    def get_config(self):
        config = super().get_config()
        del config["vocabulary_dtype"]
        config["encoding"] = self.encoding
        return config
