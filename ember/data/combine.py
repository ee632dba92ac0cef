"""zip and concatenate: datasets side by side and one after another."""
from __future__ import annotations

from ember.data import structure
from ember.data.dataset import Dataset, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY

__all__ = ["ZipDataset", "ConcatenateDataset"]


class ZipDataset(Dataset):
    def __init__(self, datasets):
        if isinstance(datasets, list):
            datasets = tuple(datasets)
        for d in structure.flatten(datasets):
            if not isinstance(d, Dataset):
                raise TypeError(f"Dataset.zip: expected a (nested) structure of datasets, "
                                f"got {type(d).__name__}.")
        if isinstance(datasets, Dataset):
            datasets = (datasets,)
        self._datasets = datasets

    def _inputs(self):
        return structure.flatten(self._datasets)

    @property
    def element_spec(self):
        return structure.map_structure(lambda d: d.element_spec, self._datasets)

    def _cardinality(self):
        cards = [d._cardinality() for d in structure.flatten(self._datasets)]
        finite = [c for c in cards if c >= 0]
        if finite:
            return min(finite) if all(c != UNKNOWN_CARDINALITY for c in cards) or \
                min(finite) == 0 else UNKNOWN_CARDINALITY
        return UNKNOWN_CARDINALITY if UNKNOWN_CARDINALITY in cards else INFINITE_CARDINALITY

    def _iter(self):
        its = [d._iter() for d in structure.flatten(self._datasets)]
        like = self._datasets
        while True:
            items = []
            for it in its:
                try:
                    items.append(next(it))
                except StopIteration:
                    return
            yield structure.pack(like, items)


class ConcatenateDataset(Dataset):
    def __init__(self, first, second):
        if not isinstance(second, Dataset):
            raise TypeError(f"Dataset.concatenate: expected a Dataset, got "
                            f"{type(second).__name__}.")
        a, b = first.element_spec, second.element_spec
        if not structure.same_structure(a, b):
            raise TypeError(f"Dataset.concatenate: the two datasets have different element "
                            f"structures: {structure.structure_repr(a)} and "
                            f"{structure.structure_repr(b)}.")
        self._spec = structure.relax(a, b)
        self._first, self._second = first, second

    def _inputs(self):
        return [self._first, self._second]

    @property
    def element_spec(self):
        return self._spec

    def _cardinality(self):
        a, b = self._first._cardinality(), self._second._cardinality()
        if INFINITE_CARDINALITY in (a, b):
            return INFINITE_CARDINALITY
        if UNKNOWN_CARDINALITY in (a, b):
            return UNKNOWN_CARDINALITY
        return a + b

    def _iter(self):
        yield from self._first._iter()
        yield from self._second._iter()
