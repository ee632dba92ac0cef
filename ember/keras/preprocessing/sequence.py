"""keras.preprocessing.sequence: ``pad_sequences`` (also ``keras.utils.pad_sequences``) and
the legacy helpers tutorials use: ``skipgrams`` and ``make_sampling_table`` (word2vec) and
``TimeseriesGenerator``."""
from __future__ import annotations

import json
import random

import numpy as np

from ember.keras.utils.sequence_utils import pad_sequences  # noqa: F401

__all__ = ["pad_sequences", "make_sampling_table", "skipgrams", "TimeseriesGenerator"]


def make_sampling_table(size, sampling_factor=1e-5):
    """Probability of keeping each word rank (0 = most frequent) when subsampling frequent
    words, word2vec's formula with Zipf's law for the frequencies.

    >>> make_sampling_table(4).round(4).tolist()
    [0.0032, 0.0032, 0.0055, 0.0074]
    """
    gamma = 0.577
    rank = np.arange(size)
    rank[0] = 1
    inv_freq = rank * (np.log(rank) + gamma) + 0.5 - 1.0 / (12.0 * rank)
    f = sampling_factor * inv_freq
    return np.minimum(1.0, f / np.sqrt(f))


def skipgrams(sequence, vocabulary_size, window_size=4, negative_samples=1.0, shuffle=True,
              categorical=False, sampling_table=None, seed=None):
    """(couples, labels): ``[word, context]`` pairs within ``window_size`` labelled 1, and
    ``negative_samples`` times as many pairs with random words labelled 0 (index 0 is
    skipped as padding). Randomness comes from Python's ``random`` as in Keras (seeded by
    ``keras.utils.set_random_seed``); ``seed`` fixes the final shuffle.

    >>> skipgrams([1, 2], 3, window_size=1, negative_samples=0, shuffle=False)
    ([[1, 2], [2, 1]], [1, 1])
    """
    couples, labels = [], []
    for i, wi in enumerate(sequence):
        if not wi:
            continue
        if sampling_table is not None and sampling_table[wi] < random.random():
            continue
        for j in range(max(0, i - window_size), min(len(sequence), i + window_size + 1)):
            if j != i and sequence[j]:
                couples.append([wi, sequence[j]])
                labels.append([0, 1] if categorical else 1)
    if negative_samples > 0:
        n = int(len(labels) * negative_samples)
        words = [c[0] for c in couples]
        random.shuffle(words)
        couples += [[words[i % len(words)], random.randint(1, vocabulary_size - 1)]
                    for i in range(n)]
        labels += [[1, 0] if categorical else 0 for _ in range(n)]
    if shuffle:
        if seed is None:
            seed = random.randint(0, 10 ** 7)
        random.Random(seed).shuffle(couples)
        random.Random(seed).shuffle(labels)
    return couples, labels


class TimeseriesGenerator:
    """Batches of windows over a time series: sample ``i`` is
    ``data[row - length:row:sampling_rate]`` with target ``targets[row]``, rows from
    ``start_index + length`` to ``end_index`` every ``stride`` steps (random rows with
    ``shuffle``; windows reversed with ``reverse``). Indexable like a Keras ``PyDataset``."""

    def __init__(self, data, targets, length, sampling_rate=1, stride=1, start_index=0,
                 end_index=None, shuffle=False, reverse=False, batch_size=128, **kwargs):
        unknown = set(kwargs) - {"workers", "use_multiprocessing", "max_queue_size"}
        if unknown:
            raise TypeError(f"TimeseriesGenerator: unexpected keyword arguments "
                            f"{sorted(unknown)}")
        self.workers = kwargs.get("workers", 1)
        self.use_multiprocessing = kwargs.get("use_multiprocessing", False)
        self.max_queue_size = kwargs.get("max_queue_size", 10)
        if len(data) != len(targets):
            raise ValueError(f"Data and targets have to be of same length. Data length is "
                             f"{len(data)} while target length is {len(targets)}")
        self.data, self.targets, self.length = data, targets, length
        self.sampling_rate, self.stride = sampling_rate, stride
        self.start_index = start_index + length
        self.end_index = len(data) - 1 if end_index is None else end_index
        self.shuffle, self.reverse, self.batch_size = shuffle, reverse, batch_size
        if self.start_index > self.end_index:
            raise ValueError(f"`start_index+length={self.start_index} > end_index="
                             f"{self.end_index}` is disallowed, as no part of the sequence "
                             f"would be left to be used as current step.")

    def __len__(self):
        step = self.batch_size * self.stride
        return (self.end_index - self.start_index + step) // step

    def __getitem__(self, index):
        if self.shuffle:
            rows = np.random.randint(self.start_index, self.end_index + 1,
                                     size=self.batch_size)
        else:
            i = self.start_index + self.batch_size * self.stride * index
            rows = np.arange(i, min(i + self.batch_size * self.stride, self.end_index + 1),
                             self.stride)
        samples = np.array([self.data[row - self.length:row:self.sampling_rate]
                            for row in rows])
        targets = np.array([self.targets[row] for row in rows])
        if self.reverse:
            return samples[:, ::-1, ...], targets
        return samples, targets

    def get_config(self):
        def listed(v):
            return v.tolist() if isinstance(v, np.ndarray) else v
        return {"data": json.dumps(listed(self.data)),
                "targets": json.dumps(listed(self.targets)), "length": self.length,
                "sampling_rate": self.sampling_rate, "stride": self.stride,
                "start_index": self.start_index,
                "end_index": self.end_index, "shuffle": self.shuffle,
                "reverse": self.reverse, "batch_size": self.batch_size}

    def to_json(self, **kwargs):
        return json.dumps({"class_name": type(self).__name__, "config": self.get_config()},
                          **kwargs)
