"""Turning fit/evaluate/predict inputs into batches: arrays, tensors, lists and dicts of them,
Python generators, keras PyDatasets and ember.data Datasets."""
from __future__ import annotations

import math

import numpy as np

import ember
from ember.data.batching import RowGatherer

__all__ = ["unpack_x_y_sample_weight", "pack_x_y_sample_weight", "DataHandler",
           "train_validation_split"]


# fit's loop is done with a batch once its step returns: two buffers in turn leave one
# batch of slack
_REUSED_SLOTS = 2


def unpack_x_y_sample_weight(data):
    """``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)`` -> the three parts (None if absent)."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data[0], data[1], data[2]
    raise ValueError(f"Data is expected to be in format `x`, `(x,)`, `(x, y)`, or "
                     f"`(x, y, sample_weight)`, found: {data}")


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """What a step receives, as Keras packs it: ``x`` alone (``(x,)`` when x is itself a
    tuple or list), ``(x, y)``, or ``(x, y, sample_weight)`` when weights were given."""
    if y is None:
        return (x,) if isinstance(x, (tuple, list)) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def _is_array_like(x):
    if x is None:
        return True
    if isinstance(x, (np.ndarray, ember.Tensor)) or getattr(x, "_is_ember_variable", False):
        return True
    if isinstance(x, (list, tuple)):
        return all(_is_array_like(v) and not isinstance(v, (int, float)) for v in x) and \
            len(x) > 0 and not all(isinstance(v, (int, float)) for v in x)
    if isinstance(x, dict):
        return all(_is_array_like(v) for v in x.values())
    return False


def _to_array(x):
    if x is None:
        return None
    if isinstance(x, ember.Tensor):
        return np.asarray(x)
    if getattr(x, "_is_ember_variable", False):
        return x.numpy()
    arr = np.asarray(x)
    if arr.dtype == np.float64:
        arr = arr.astype(np.float32)
    return arr


def _map(fn, structure):
    if structure is None:
        return None
    return ember.nest.map_structure(lambda a: None if a is None else fn(a), structure)


def _num_samples(structure):
    sizes = {int(np.shape(a)[0]) for a in ember.nest.flatten(structure) if a is not None}
    if len(sizes) > 1:
        raise ValueError(f"Data cardinality is ambiguous: the arrays have different numbers "
                         f"of samples {sorted(sizes)}. Make sure all arrays contain the same "
                         f"number of samples.")
    return sizes.pop() if sizes else 0


def train_validation_split(arrays, validation_split):
    """Splits (x, y, sample_weight) arrays: the last ``validation_split`` fraction is held
    out, before any shuffling (as Keras does)."""
    n = _num_samples(arrays)
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if split_at == 0 or split_at == n:
        raise ValueError(f"Training data contains {n} samples, which is not sufficient to "
                         f"split it into a validation and training set as specified by "
                         f"`validation_split={validation_split}`.")
    train = _map(lambda a: a[:split_at], arrays)
    val = _map(lambda a: a[split_at:], arrays)
    return train, val


def class_weight_to_sample_weight(y, class_weight):
    y = np.asarray(y)
    if y.ndim >= 2 and y.shape[-1] > 1:
        labels = np.argmax(y, axis=-1)
    else:
        labels = y.reshape(y.shape[0], -1)[:, 0] if y.ndim > 1 else y
    labels = labels.astype(np.int64)
    table = np.ones(int(max(max(class_weight) + 1, labels.max() + 1 if labels.size else 1)),
                    np.float32)
    for k, w in class_weight.items():
        table[int(k)] = w
    return table[labels]


class DataHandler:
    """Epochs of batches for fit/evaluate/predict."""

    def __init__(self, x, y=None, sample_weight=None, batch_size=None, steps_per_epoch=None,
                 shuffle=False, class_weight=None, seed=None, reuse_buffers=False):
        """``reuse_buffers``: the consumer is done with each batch before it asks for the
        next but one (``fit``'s loop), so shuffled batches of in-memory data may be
        gathered into the same few buffers instead of fresh arrays."""
        self._generator = None
        self._slots = _REUSED_SLOTS if reuse_buffers else 0
        self._steps_per_epoch = steps_per_epoch
        if _is_array_like(x):
            x = _map(_to_array, x)
            y = _map(_to_array, y)
            sample_weight = _map(_to_array, sample_weight)
            if class_weight is not None and y is not None:
                if isinstance(y, (list, tuple, dict)) and len(ember.nest.flatten(y)) > 1:
                    raise ValueError("`class_weight` is only supported for models with a "
                                     "single output.")
                cw = class_weight_to_sample_weight(ember.nest.flatten(y)[0], class_weight)
                sample_weight = cw if sample_weight is None else sample_weight * cw
            self._arrays = (x, y, sample_weight)
            self._n = _num_samples(self._arrays)
            self._batch_size = batch_size or 32
            self._shuffle = shuffle
            self._seed = seed
            self._rng = np.random.default_rng(seed)
            n_batches = int(math.ceil(self._n / self._batch_size)) if self._n else 0
            self.steps = n_batches if steps_per_epoch is None else min(steps_per_epoch,
                                                                       n_batches) \
                if steps_per_epoch <= n_batches else steps_per_epoch
            self._kind = "arrays"
        else:
            from ember.data import Dataset
            self._source = x
            self._kind = "iterable"
            if isinstance(x, Dataset):
                self._kind = "dataset"
                card = x._cardinality()
                self.steps = steps_per_epoch if steps_per_epoch is not None else \
                    (card if card >= 0 else None)
                if steps_per_epoch is None and card == -1:
                    raise ValueError("When passing an infinitely repeating dataset, please "
                                     "specify a `steps_per_epoch` value (or `steps`) so "
                                     "that an epoch ends.")
            elif hasattr(x, "__len__") and hasattr(x, "__getitem__") and \
                    not isinstance(x, (list, tuple, dict)):
                self._kind = "sequence"
                from ember.keras.utils.py_dataset import num_batches
                n = num_batches(x)
                if n is None and steps_per_epoch is None:
                    raise ValueError("This PyDataset has no length (num_batches is None): "
                                     "pass `steps_per_epoch` (or `steps`).")
                self.steps = n if steps_per_epoch is None else steps_per_epoch
                # fit(shuffle=True) visits a PyDataset's batches in a new order each epoch
                self._batch_order = np.random.default_rng(seed) if shuffle and n else None
            else:
                self.steps = steps_per_epoch
                if self.steps is None and hasattr(x, "cardinality"):
                    card = int(x.cardinality())
                    self.steps = card if card >= 0 else None
            if y is not None:
                raise ValueError("`y` argument is not supported when using a generator, a "
                                 "Dataset or a PyDataset as input: yield (x, y) from it.")
            if sample_weight is not None:
                kind = "tf.data.Dataset" if self._kind == "dataset" else \
                    "PyDataset" if self._kind == "sequence" else "Python generator"
                raise ValueError(f"When providing `x` as a {kind}, `sample_weight` should "
                                 f"not be passed. Instead, the sample weights should be "
                                 f"included as part of the {kind}.")
            self._class_weight = class_weight
            self._iterator = None

    @property
    def num_samples(self):
        return self._n if self._kind == "arrays" else None

    def epoch_batches(self, epoch=None):
        """Batches of one epoch, packed as the steps receive them: ``x``, ``(x, y)`` or
        ``(x, y, sample_weight)`` for arrays; a dataset's or generator's own structure.
        With a seed, epoch ``epoch``'s shuffle depends only on the seed and ``epoch`` (so
        training resumed at that epoch sees the same order)."""
        if self._kind == "arrays":
            yield from self._array_batches(epoch)
        elif self._kind == "sequence":
            from ember.keras.utils.py_dataset import iterate_py_dataset, num_batches
            if hasattr(self._source, "on_epoch_begin"):
                self._source.on_epoch_begin()
            order = None
            if getattr(self, "_batch_order", None) is not None:
                order = self._batch_order.permutation(num_batches(self._source)).tolist()
            for batch in iterate_py_dataset(self._source, self.steps, order):
                yield self._weighted(_normalize_batch(batch))
            if hasattr(self._source, "on_epoch_end"):
                self._source.on_epoch_end()
        else:
            yield from self._iterable_batches()

    def _array_batches(self, epoch=None):
        n, bs = self._n, self._batch_size
        rng = self._rng
        if self._shuffle and self._seed is not None and epoch is not None:
            rng = np.random.default_rng(list(self._seed) + [int(epoch)])
        if self._shuffle == "batch":
            starts = rng.permutation(int(math.ceil(n / bs))) * bs
            order = np.concatenate([np.arange(s, min(s + bs, n)) for s in starts])
        elif self._shuffle:
            order = rng.permutation(n)
        else:
            order = None
        flat = ember.nest.flatten(self._arrays)
        take = RowGatherer([a for a in flat if a is not None], bs,
                           self._slots if order is not None else 0)
        for step in range(self.steps):
            start = (step * bs) % max(n, 1)
            stop = min(start + bs, n)
            rows = iter(take(order[start:stop] if order is not None else slice(start, stop)))
            x, y, sw = ember.nest.pack_sequence_as(
                self._arrays, [None if a is None else next(rows) for a in flat])
            yield pack_x_y_sample_weight(x, y, sw)

    def _dataset_iterator(self):
        if self._kind != "dataset":
            return iter(self._source)
        reused = self._source._reused_batches(self._slots) if self._slots else None
        return reused if reused is not None else self._source._iter()

    def _iterable_batches(self):
        if self._iterator is None or self._steps_per_epoch is None:
            self._iterator = self._dataset_iterator()
        count, restarted = 0, False
        while self.steps is None or count < self.steps:
            try:
                batch = next(self._iterator)
            except StopIteration:
                self._iterator = None
                if self._kind == "dataset" and self._steps_per_epoch is not None and \
                        self._source._cardinality() > 0 and not restarted:
                    # a finite dataset read `steps` at a time starts over (as Keras does)
                    self._iterator, restarted = self._dataset_iterator(), True
                    continue
                if self.steps is None:
                    self.steps = count
                return
            count += 1
            restarted = False
            yield self._weighted(_normalize_batch(batch))

    def _weighted(self, batch):
        """class_weight on batches from a dataset/generator: per-sample weights from y
        (the batch keeps its packing; a weight joins an ``(x, y)`` pair as its third part)."""
        if getattr(self, "_class_weight", None) is None or not isinstance(batch, tuple) or \
                len(batch) < 2 or batch[1] is None:
            return batch
        x, y = batch[0], batch[1]
        sw = batch[2] if len(batch) == 3 else None
        if isinstance(y, (list, tuple, dict)) and len(ember.nest.flatten(y)) > 1:
            raise ValueError("`class_weight` is only supported for models with a single "
                             "output.")
        y0 = ember.nest.flatten(y)[0]
        cw = class_weight_to_sample_weight(np.asarray(y0), self._class_weight)
        return x, y, cw if sw is None else np.asarray(sw) * cw


def _normalize_batch(batch):
    """A dataset's or generator's element with its arrays converted, its structure kept
    (a list of parts is read as a tuple, as Keras does)."""
    if isinstance(batch, (tuple, list)):
        if not 1 <= len(batch) <= 3:
            unpack_x_y_sample_weight(tuple(batch))       # raises Keras's message
        return tuple(_map(_to_array_keep, part) for part in batch)
    return _map(_to_array_keep, batch)


def _to_array_keep(a):
    if isinstance(a, ember.Tensor):
        return a
    return _to_array(a)
