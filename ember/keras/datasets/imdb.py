"""IMDB movie reviews: 25,000 training and 25,000 test reviews as word-index sequences,
labelled by sentiment (1 positive)."""
from __future__ import annotations

import json

import numpy as np

from ember.keras.datasets import _common, _sequences
from ember.keras.utils.file_utils import get_file

__all__ = ["load_data", "get_word_index"]

FILE_HASH = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
WORD_INDEX_HASH = "bfafd718b763782e994055a2d397834f"


def load_data(path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113,
              start_char=1, oov_char=2, index_from=3, **kwargs):
    """``(x_train, y_train), (x_test, y_test)``: object arrays of word-index lists and int
    labels, shuffled with ``seed`` and processed exactly as Keras does (``num_words`` most
    frequent words kept, ``skip_top`` most frequent ones replaced by ``oov_char``,
    sequences of ``maxlen`` words or more dropped)."""
    _sequences.check_legacy_kwargs(kwargs, "imdb.load_data")
    path = get_file(fname=path, origin=_common.ORIGIN_FOLDER + "imdb.npz", file_hash=FILE_HASH)
    f = _common.load_npz(path)
    rng = np.random.RandomState(seed)
    parts = []
    for xk, yk in (("x_train", "y_train"), ("x_test", "y_test")):
        x, y = f[xk], f[yk]
        indices = np.arange(len(x))
        rng.shuffle(indices)
        parts.append((_sequences.shift(x[indices], start_char, index_from), y[indices]))
    (x_train, labels_train), (x_test, labels_test) = parts
    if maxlen:
        x_train, labels_train = _sequences.drop_long(maxlen, x_train, labels_train)
        x_test, labels_test = _sequences.drop_long(maxlen, x_test, labels_test)
        if not x_train or not x_test:
            raise ValueError(f"After filtering for sequences shorter than maxlen={maxlen}, no "
                             f"sequence was kept. Increase maxlen.")
    xs = _sequences.limit_words(x_train + x_test, num_words, skip_top, oov_char)
    labels = np.concatenate([labels_train, labels_test])
    idx = len(x_train)
    return (np.array(xs[:idx], dtype="object"), labels[:idx]), \
        (np.array(xs[idx:], dtype="object"), labels[idx:])


def get_word_index(path="imdb_word_index.json"):
    """The dict word -> index (before the ``index_from`` shift)."""
    path = get_file(fname=path, origin=_common.ORIGIN_FOLDER + "imdb_word_index.json",
                    file_hash=WORD_INDEX_HASH)
    with open(path) as f:
        return json.load(f)
