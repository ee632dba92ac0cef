"""Reading ``adapt`` data: an array, a tensor, or any iterable of batches (a Dataset, a
list of arrays, a generator), as NumPy batches."""
from __future__ import annotations

import numpy as np

import ember


def batches(data, steps=None, layer="adapt"):
    """NumPy batches of ``data`` (at most ``steps``)."""
    if isinstance(data, (np.ndarray, ember.Tensor, list, tuple, int, float)) and \
            not (isinstance(data, list) and data and isinstance(data[0], (np.ndarray,
                                                                          ember.Tensor))):
        if steps is not None:
            raise ValueError(f"{layer}.adapt: `steps` is only supported with a dataset or an "
                             f"iterable of batches, not with arrays.")
        yield np.asarray(data)
        return
    if not hasattr(data, "__iter__"):
        raise TypeError(f"{layer}.adapt: data must be an array, a tensor, a Dataset or an "
                        f"iterable of batches, got {type(data).__name__}")
    for i, batch in enumerate(data):
        if steps is not None and i >= steps:
            break
        if isinstance(batch, tuple):  # (features, labels) datasets: adapt on features
            batch = batch[0]
        yield np.asarray(batch)
