"""sample_from_datasets and choose_from_datasets: one stream from several datasets."""
from __future__ import annotations

import numpy as np

from ember.data import structure
from ember.data.dataset import Dataset, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY
from ember.data.sources import dataset_seed
from ember.framework.errors import InvalidArgumentError

__all__ = ["SampleDataset", "ChooseDataset", "sample_from_datasets",
           "RejectionResampleDataset"]


def sample_from_datasets(datasets, weights, seed, stop_on_empty, rerandomize):
    """As tf.data: with constant weights, datasets of weight 0 are dropped first (a single
    remaining dataset is returned as it is)."""
    datasets = list(datasets)
    if weights is not None and not isinstance(weights, Dataset):
        w = np.asarray(structure.leaf_to_numpy(weights), np.float64).reshape(-1)
        if w.shape == (len(datasets),) and np.all(w >= 0) and w.sum() > 0:
            keep = [i for i in range(len(datasets)) if w[i] > 0]
            if len(keep) == 1:
                return datasets[keep[0]]
            datasets, weights = [datasets[i] for i in keep], w[keep]
    return SampleDataset(datasets, weights, seed, stop_on_empty, rerandomize)


def _check_datasets(datasets, what):
    datasets = list(datasets)
    if not datasets:
        raise ValueError(f"{what}: `datasets` must be a non-empty list of datasets.")
    for d in datasets:
        if not isinstance(d, Dataset):
            raise TypeError(f"{what}: expected datasets, got {type(d).__name__}.")
    spec = datasets[0].element_spec
    for d in datasets[1:]:
        if not structure.same_structure(spec, d.element_spec):
            raise TypeError(f"{what}: all datasets must have the same element structure, "
                            f"got {structure.structure_repr(spec)} and "
                            f"{structure.structure_repr(d.element_spec)}.")
        spec = structure.relax(spec, d.element_spec)
    return datasets, spec


class _Multi(Dataset):
    def _inputs(self):
        return list(self._datasets)

    @property
    def element_spec(self):
        return self._spec


class SampleDataset(_Multi):
    def __init__(self, datasets, weights, seed, stop_on_empty, rerandomize):
        self._datasets, self._spec = _check_datasets(datasets, "sample_from_datasets")
        n = len(self._datasets)
        if weights is None:
            weights = np.full(n, 1.0 / n)
        if isinstance(weights, Dataset):
            self._weights = weights
        else:
            w = np.asarray(structure.leaf_to_numpy(weights), np.float64)
            if w.shape != (n,):
                raise ValueError(f"sample_from_datasets: expected {n} weights, got shape "
                                 f"{w.shape}.")
            if np.any(w < 0) or w.sum() <= 0:
                raise ValueError("sample_from_datasets: weights must be non-negative and "
                                 "not all zero.")
            self._weights = w
        self._seed = dataset_seed(seed)
        self._stop = bool(stop_on_empty)
        self._epoch = 0
        self._rerandomize = rerandomize is not False

    def _cardinality(self):
        cards = [d._cardinality() for d in self._datasets]
        if any(c == INFINITE_CARDINALITY for c in cards):
            return INFINITE_CARDINALITY
        return UNKNOWN_CARDINALITY

    def _iter(self):
        seed = self._seed
        if seed is not None and self._rerandomize:
            seed = seed + [self._epoch]
        self._epoch += 1
        rng = np.random.default_rng(seed)
        its = [d._iter() for d in self._datasets]
        alive = np.ones(len(its), bool)
        weight_it = self._weights._iter() if isinstance(self._weights, Dataset) else None
        while alive.any():
            if weight_it is not None:
                try:
                    w = np.asarray(next(weight_it), np.float64)
                except StopIteration:
                    return
            else:
                w = self._weights
            p = np.where(alive, w, 0.0)
            if p.sum() <= 0:
                return
            k = int(rng.choice(len(its), p=p / p.sum()))
            try:
                yield next(its[k])
            except StopIteration:
                if self._stop:
                    return
                alive[k] = False


class ChooseDataset(_Multi):
    def __init__(self, datasets, choice_dataset, stop_on_empty):
        self._datasets, self._spec = _check_datasets(datasets, "choose_from_datasets")
        if not isinstance(choice_dataset, Dataset):
            raise TypeError("choose_from_datasets: `choice_dataset` must be a Dataset.")
        spec = choice_dataset.element_spec
        if getattr(spec, "dtype", None) is None or spec.dtype.name != "int64" or \
                spec.shape.rank != 0:
            raise TypeError(f"choose_from_datasets: `choice_dataset` must be a dataset of "
                            f"scalar tf.int64 tensors, got "
                            f"{structure.structure_repr(spec)}.")
        self._choice = choice_dataset
        self._stop = bool(stop_on_empty)

    def _inputs(self):
        return list(self._datasets) + [self._choice]

    def _iter(self):
        its = [d._iter() for d in self._datasets]
        done = [False] * len(its)
        for c in self._choice._iter():
            k = int(c)
            if not 0 <= k < len(its):
                raise InvalidArgumentError(f"choose_from_datasets: selector index {k} is "
                                           f"out of range [0, {len(its)}).")
            if done[k]:
                if self._stop:
                    return
                continue
            try:
                yield next(its[k])
            except StopIteration:
                done[k] = True
                if self._stop or all(done):
                    return


class RejectionResampleDataset(Dataset):
    """tf.data's rejection resampling: with r = target / initial per class and m = min(r),
    each output is, with probability m, the next element of one pass over the input, and
    otherwise the next element of a second pass that passes a filter accepting class c
    with probability (r[c] - m) / (max(r) - m); the mixture has the target distribution.
    Without ``initial_dist`` the class distribution is estimated from the classes seen so
    far on both passes (starting from one of each). Elements come out as ``(class, element)``
    pairs; the first pass to end ends the dataset."""

    def __init__(self, input_dataset, class_func, target_dist, initial_dist, seed):
        from ember.data.tracing import StructuredFunction
        self._input = input_dataset
        self._class_fn = StructuredFunction(class_func, input_dataset.element_spec,
                                            "rejection_resample class_func")
        self._target = np.asarray(structure.leaf_to_numpy(target_dist), np.float64)
        if self._target.ndim != 1 or np.any(self._target < 0) or self._target.sum() <= 0:
            raise ValueError("rejection_resample: target_dist must be a 1-D vector of "
                             "non-negative probabilities.")
        self._target = self._target / self._target.sum()
        self._initial = None
        if initial_dist is not None:
            self._initial = np.asarray(structure.leaf_to_numpy(initial_dist), np.float64)
            if self._initial.shape != self._target.shape:
                raise ValueError("rejection_resample: initial_dist and target_dist must "
                                 "have the same length.")
        self._seed = dataset_seed(seed)
        self._epoch = 0

    def _inputs(self):
        return [self._input]

    @property
    def element_spec(self):
        from ember.engine.function import TensorSpec
        from ember.framework import dtypes
        return (TensorSpec([], dtypes.int32), self._input.element_spec)

    def _rates(self, initial):
        initial = initial / initial.sum()
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(initial > 0, self._target / initial, 0.0)
        low, high = ratio.min(), ratio.max()
        accept = (ratio - low) / (high - low) if high > low else np.zeros_like(ratio)
        return accept, low

    def _class_of(self, element):
        c = np.asarray(self._class_fn(element))
        if c.shape != () or c.dtype.kind not in "iu":
            raise TypeError(f"rejection_resample: class_func must return a scalar integer, "
                            f"got shape {c.shape} and dtype {c.dtype}.")
        c = int(c)
        if not 0 <= c < len(self._target):
            raise ValueError(f"rejection_resample: class {c} is outside [0, "
                             f"{len(self._target)}).")
        return c

    def _iter(self):
        seed = None if self._seed is None else self._seed + [self._epoch]
        self._epoch += 1
        rng = np.random.default_rng(seed)
        counts = np.ones(len(self._target))
        original, filtered = self._input._iter(), self._input._iter()
        while True:
            initial = self._initial if self._initial is not None else counts
            accept, keep_original = self._rates(np.asarray(initial, np.float64))
            if rng.random() < keep_original:
                try:
                    element = next(original)
                except StopIteration:
                    return
                c = self._class_of(element)
                counts[c] += 1
                yield (np.array(c, np.int32), element)
                continue
            while True:
                try:
                    element = next(filtered)
                except StopIteration:
                    return
                c = self._class_of(element)
                counts[c] += 1
                if self._initial is None:
                    accept, _ = self._rates(counts)
                if rng.random() < accept[c]:
                    yield (np.array(c, np.int32), element)
                    break
