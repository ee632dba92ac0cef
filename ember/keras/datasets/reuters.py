"""Reuters newswires: 11,228 articles as word-index sequences, labelled with 46 topics."""
from __future__ import annotations

import json

import numpy as np

from ember.keras.datasets import _common, _sequences
from ember.keras.utils.file_utils import get_file

__all__ = ["load_data", "get_word_index", "get_label_names"]

FILE_HASH = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
WORD_INDEX_HASH = "4d44cc38712099c9e383dc6e5f11a921"

LABEL_NAMES = (
    "cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing", "money-supply",
    "coffee", "sugar", "trade", "reserves", "ship", "cotton", "carcass", "crude", "nat-gas",
    "cpi", "money-fx", "interest", "gnp", "meal-feed", "alum", "oilseed", "gold", "tin",
    "strategic-metal", "livestock", "retail", "ipi", "iron-steel", "rubber", "heat", "jobs",
    "lei", "bop", "zinc", "orange", "pet-chem", "dlr", "gas", "silver", "wpi", "hog", "lead",
)


def load_data(path="reuters.npz", num_words=None, skip_top=0, maxlen=None, test_split=0.2,
              seed=113, start_char=1, oov_char=2, index_from=3, **kwargs):
    """``(x_train, y_train), (x_test, y_test)``: word-index sequences (object arrays) and
    topic labels, shuffled with ``seed`` and cut at ``1 - test_split`` as Keras does."""
    _sequences.check_legacy_kwargs(kwargs, "reuters.load_data")
    path = get_file(fname=path, origin=_common.ORIGIN_FOLDER + "reuters.npz",
                    file_hash=FILE_HASH)
    f = _common.load_npz(path)
    xs, labels = f["x"], f["y"]
    indices = np.arange(len(xs))
    np.random.RandomState(seed).shuffle(indices)
    xs = _sequences.shift(xs[indices], start_char, index_from)
    labels = labels[indices]
    if maxlen:
        xs, labels = _sequences.drop_long(maxlen, xs, labels)
    xs = _sequences.limit_words(xs, num_words, skip_top, oov_char)
    idx = int(len(xs) * (1 - test_split))
    return (np.array(xs[:idx], dtype="object"), np.array(labels[:idx])), \
        (np.array(xs[idx:], dtype="object"), np.array(labels[idx:]))


def get_word_index(path="reuters_word_index.json"):
    """The dict word -> index (before the ``index_from`` shift)."""
    path = get_file(path, origin=_common.ORIGIN_FOLDER + "reuters_word_index.json",
                    file_hash=WORD_INDEX_HASH)
    with open(path) as f:
        return json.load(f)


def get_label_names():
    """The 46 topic names, indexed as the labels."""
    return LABEL_NAMES
