"""shuffle: TensorFlow's buffer semantics. The buffer is filled with the first
``buffer_size`` elements; each output is picked uniformly at random from the buffer and its
place is taken by the next input element (once the input is exhausted, the buffer drains).
An element can therefore move at most ``buffer_size - 1`` places earlier.

Seeds follow ember's seeding (``ember.random.set_seed`` + the ``seed`` argument): the same
seeds give the same order in every run. With ``reshuffle_each_iteration`` each pass over the
dataset uses the next seed of that sequence; without it, every pass repeats the first order.
"""
from __future__ import annotations

import numpy as np

from ember.data.dataset import UnaryDataset
from ember.data.slicing import _count
from ember.data.sources import dataset_seed

__all__ = ["ShuffleDataset", "buffer_shuffle"]


def buffer_shuffle(items, buffer_size, rng):
    """Yields ``items`` in shuffled order using a buffer of ``buffer_size`` places."""
    it = iter(items)
    buf = []
    for item in it:
        buf.append(item)
        if len(buf) >= buffer_size:
            break
    uniforms = rng.random(1024)
    u = 0
    for item in it:
        if u == len(uniforms):
            uniforms, u = rng.random(1024), 0
        k = int(uniforms[u] * len(buf))
        u += 1
        out = buf[k]
        buf[k] = item
        yield out
    while buf:
        if u == len(uniforms):
            uniforms, u = rng.random(1024), 0
        k = int(uniforms[u] * len(buf))
        u += 1
        out = buf[k]
        last = buf.pop()
        if k < len(buf):
            buf[k] = last
        yield out


class ShuffleDataset(UnaryDataset):
    def __init__(self, input_dataset, buffer_size, seed, reshuffle_each_iteration):
        self._input = input_dataset
        self._buffer = _count(buffer_size, "Dataset.shuffle: buffer_size")
        if self._buffer <= 0:
            if self._buffer == -1:     # AUTOTUNE: a buffer of a few thousand elements
                self._buffer = 10000
            else:
                raise ValueError(f"Dataset.shuffle: buffer_size must be greater than zero, "
                                 f"got {self._buffer}.")
        base = dataset_seed(seed)
        if base is None:
            base = [int(x) for x in np.random.SeedSequence().generate_state(2)]
        self._seed = base
        self._reshuffle = True if reshuffle_each_iteration is None else \
            bool(reshuffle_each_iteration)
        self._epoch = 0

    def _cardinality(self):
        return self._input._cardinality()

    def _next_rng(self):
        seed = list(self._seed)
        if self._reshuffle:
            seed.append(self._epoch)
            self._epoch += 1
        return np.random.default_rng(seed)

    def _iter(self):
        return buffer_shuffle(self._input._iter(), self._buffer, self._next_rng())

    def _gather(self):
        g = self._input._gather()
        if g is None:
            return None
        arrays, indices = g
        n = self._input._cardinality()
        buffer = self._buffer

        def shuffled():
            rng = self._next_rng()
            if 0 <= n <= buffer:        # the buffer holds everything: a uniform permutation
                all_idx = [c for c in indices()]
                if all_idx:
                    yield np.concatenate(all_idx)[rng.permutation(n)]
                return
            flat = (int(i) for chunk in indices() for i in chunk)
            out = []
            for i in buffer_shuffle(flat, buffer, rng):
                out.append(i)
                if len(out) == 4096:
                    yield np.array(out, np.int64)
                    out = []
            if out:
                yield np.array(out, np.int64)
        return arrays, shuffled
