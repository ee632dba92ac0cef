"""Word-index sequence handling shared by imdb and reuters (Keras's conventions: 0 pads,
``start_char`` starts each sequence, ``oov_char`` replaces rare words, real words are
shifted by ``index_from``)."""
from __future__ import annotations


def shift(xs, start_char, index_from):
    if start_char is not None:
        return [[start_char] + [w + index_from for w in x] for x in xs]
    if index_from:
        return [[w + index_from for w in x] for x in xs]
    return [list(x) for x in xs]


def drop_long(maxlen, xs, labels):
    """Keeps the sequences shorter than ``maxlen`` (and their labels)."""
    kept = [(x, y) for x, y in zip(xs, labels) if len(x) < maxlen]
    return [x for x, _ in kept], [y for _, y in kept]


def limit_words(xs, num_words, skip_top, oov_char):
    """Words outside [skip_top, num_words) become ``oov_char`` (or are dropped if None)."""
    if not num_words:
        num_words = max(max(x) for x in xs)
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    return [[w for w in x if skip_top <= w < num_words] for x in xs]


def check_legacy_kwargs(kwargs, loader):
    if "nb_words" in kwargs:
        raise ValueError(f"{loader}: the `nb_words` argument is now `num_words`")
    if kwargs:
        raise TypeError(f"{loader}: unrecognized keyword arguments: {sorted(kwargs)}")
