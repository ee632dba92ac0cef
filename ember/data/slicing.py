"""take, skip, repeat and shard: which elements, and how many times."""
from __future__ import annotations

import itertools

from ember.data.dataset import (
    Dataset, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY, UnaryDataset,
)

__all__ = ["TakeDataset", "SkipDataset", "RepeatDataset", "ShardDataset"]


def _count(value, what):
    import ember
    if isinstance(value, ember.Tensor):
        value = value.numpy()
    try:
        return int(value)
    except (TypeError, ValueError):
        raise TypeError(f"{what}: expected an integer, got {value!r}") from None


_Unary = UnaryDataset


class TakeDataset(_Unary):
    def __init__(self, input_dataset, count):
        super().__init__(input_dataset)
        self._count = _count(count, "Dataset.take: count")

    def _cardinality(self):
        n = self._input._cardinality()
        if self._count < 0:
            return n
        if n == INFINITE_CARDINALITY:
            return self._count
        if n == UNKNOWN_CARDINALITY:
            return UNKNOWN_CARDINALITY
        return min(n, self._count)

    def _iter(self):
        if self._count < 0:
            return self._input._iter()
        return itertools.islice(self._input._iter(), self._count)

    def _gather(self):
        g = self._input._gather()
        if g is None:
            return None
        arrays, indices = g
        count = self._count

        def take():
            left = count
            if left < 0:
                yield from indices()
                return
            for chunk in indices():
                if left <= 0:
                    return
                yield chunk[:left]
                left -= len(chunk)
        return arrays, take


class SkipDataset(_Unary):
    def __init__(self, input_dataset, count):
        super().__init__(input_dataset)
        self._count = _count(count, "Dataset.skip: count")

    def _cardinality(self):
        n = self._input._cardinality()
        if n < 0:
            return n
        if self._count < 0:
            return 0
        return max(n - self._count, 0)

    def _iter(self):
        if self._count < 0:
            for _ in self._input._iter():
                pass
            return iter(())
        return itertools.islice(self._input._iter(), self._count, None)

    def _gather(self):
        g = self._input._gather()
        if g is None or self._count < 0:
            return None
        arrays, indices = g
        count = self._count

        def skip():
            left = count
            for chunk in indices():
                if left >= len(chunk):
                    left -= len(chunk)
                    continue
                yield chunk[left:]
                left = 0
        return arrays, skip


class RepeatDataset(_Unary):
    def __init__(self, input_dataset, count):
        super().__init__(input_dataset)
        self._count = -1 if count is None else _count(count, "Dataset.repeat: count")

    def _cardinality(self):
        n = self._input._cardinality()
        if self._count == 0 or n == 0:
            return 0
        if self._count < 0:
            return INFINITE_CARDINALITY if n != UNKNOWN_CARDINALITY else UNKNOWN_CARDINALITY
        if n < 0:
            return n
        return n * self._count

    def _passes(self):
        return itertools.count() if self._count < 0 else range(self._count)

    def _iter(self):
        for _ in self._passes():
            empty = True
            for element in self._input._iter():
                empty = False
                yield element
            if empty:
                return

    def _gather(self):
        g = self._input._gather()
        if g is None:
            return None
        arrays, indices = g
        passes = self._passes

        def repeat():
            for _ in passes():
                empty = True
                for chunk in indices():
                    empty = False
                    yield chunk
                if empty:
                    return
        return arrays, repeat


class ShardDataset(_Unary):
    def __init__(self, input_dataset, num_shards, index):
        super().__init__(input_dataset)
        self._n, self._i = _count(num_shards, "Dataset.shard"), _count(index, "Dataset.shard")
        if self._n <= 0:
            raise ValueError(f"Dataset.shard: num_shards must be > 0, got {self._n}.")
        if not 0 <= self._i < self._n:
            raise ValueError(f"Dataset.shard: index must be in [0, {self._n}), got "
                             f"{self._i}.")

    def _cardinality(self):
        n = self._input._cardinality()
        if n < 0:
            return n
        return n // self._n + (1 if n % self._n > self._i else 0)

    def _iter(self):
        return itertools.islice(self._input._iter(), self._i, None, self._n)

    def _gather(self):
        g = self._input._gather()
        if g is None:
            return None
        arrays, indices = g
        n, i = self._n, self._i

        def shard():
            pos = 0
            for chunk in indices():
                first = (i - pos) % n
                yield chunk[first::n]
                pos += len(chunk)
        return arrays, shard
