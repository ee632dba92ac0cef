"""Reading ``adapt`` data: an array, a tensor, a list, or any iterable of batches (a
Dataset, a list of arrays, a generator); ``(features, labels)`` batches give their
features."""
from __future__ import annotations

import numpy as np

import ember


def _is_one_batch(data):
    """An array, tensor, number or list of values (not a list of arrays) is one batch."""
    return isinstance(data, (np.ndarray, ember.Tensor, list, tuple, int, float)) and \
        not (isinstance(data, list) and data and isinstance(data[0], (np.ndarray,
                                                                       ember.Tensor)))


def _iterate(data, steps, layer):
    if not hasattr(data, "__iter__"):
        raise TypeError(f"{layer}.adapt: data must be an array, a tensor, a Dataset or an "
                        f"iterable of batches, got {type(data).__name__}")
    for i, batch in enumerate(data):
        if steps is not None and i >= steps:
            break
        if isinstance(batch, tuple):  # (features, labels) datasets: adapt on features
            batch = batch[0]
        yield batch


def _no_steps(steps, layer):
    if steps is not None:
        raise ValueError(f"{layer}.adapt: `steps` is only supported with a dataset or an "
                         f"iterable of batches, not with arrays.")


def batches(data, steps=None, layer="adapt"):
    """NumPy batches of ``data`` (at most ``steps``)."""
    if _is_one_batch(data):
        _no_steps(steps, layer)
        yield np.asarray(data)
        return
    for batch in _iterate(data, steps, layer):
        yield np.asarray(batch)


def lookup_batches(data, steps=None, layer="adapt"):
    """The batches the lookup layers adapt on, as Keras reads them: a Dataset's or other
    iterable's batches as they are (tensors, RaggedTensors, arrays); an array, list or
    tensor is one batch, a vector of it becoming a column (each element its own
    document)."""
    from ember.data import Dataset
    if isinstance(data, Dataset) or (hasattr(data, "__iter__") and not isinstance(
            data, (list, tuple, np.ndarray, ember.Tensor))):
        if isinstance(data, Dataset) and steps is not None:
            data, steps = data.take(steps), None
        yield from _iterate(data, steps, layer)
        return
    _no_steps(steps, layer)
    a = data.numpy() if isinstance(data, ember.Tensor) else \
        np.asarray(data, dtype=object) if _is_text(data) else np.asarray(data)
    yield a[:, None] if a.ndim == 1 else a


def _is_text(data):
    flat = data
    while isinstance(flat, (list, tuple)) and flat:
        flat = flat[0]
    return isinstance(flat, (str, bytes))
