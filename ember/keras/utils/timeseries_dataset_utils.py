"""``keras.utils.timeseries_dataset_from_array``: sliding windows over an array, with
Keras's window positions, target alignment and seeded shuffling."""
from __future__ import annotations

import numpy as np

__all__ = ["timeseries_dataset_from_array"]


def _windows_dataset(data, targets, starts, offsets):
    from ember.data import structure
    from ember.data.dataset import Dataset
    from ember.framework import dtypes
    from ember.engine.function import TensorSpec

    class WindowsDataset(Dataset):
        """Window i is data[starts[i] + offsets] (and targets[starts[i]])."""

        def __init__(self):
            self._spec = TensorSpec([len(offsets)] + list(data.shape[1:]),
                                    dtypes.from_numpy(data.dtype))
            if targets is not None:
                self._spec = (self._spec, TensorSpec(list(targets.shape[1:]),
                                                     dtypes.from_numpy(targets.dtype)))

        @property
        def element_spec(self):
            return self._spec

        def _cardinality(self):
            return len(starts)

        def _iter(self):
            for s in starts:
                window = data[s + offsets]
                yield window if targets is None else (window, targets[s, ...])
    del structure
    return WindowsDataset()


def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1,
                                  sampling_rate=1, batch_size=128, shuffle=False, seed=None,
                                  start_index=None, end_index=None, format="tf"):
    """Batches of windows ``data[s : s + sequence_length * sampling_rate : sampling_rate]``
    (with ``targets[s]`` when targets are given), ``s`` every ``sequence_stride``."""
    import ember
    if sampling_rate <= 0:
        raise ValueError(f"`sampling_rate` must be higher than 0. Received: "
                         f"sampling_rate={sampling_rate}")
    if sampling_rate >= len(data):
        raise ValueError(f"`sampling_rate` must be lower than the length of the data. "
                         f"Received: sampling_rate={sampling_rate}, for data of length "
                         f"{len(data)}")
    if sequence_stride <= 0:
        raise ValueError(f"`sequence_stride` must be higher than 0. Received: "
                         f"sequence_stride={sequence_stride}")
    if sequence_stride >= len(data):
        raise ValueError(f"`sequence_stride` must be lower than the length of the data. "
                         f"Received: sequence_stride={sequence_stride}, for data of length "
                         f"{len(data)}")
    if start_index is not None and (start_index < 0 or start_index >= len(data)):
        raise ValueError(f"`start_index` must be 0 or greater and smaller than the length "
                         f"of the data. Received: start_index={start_index}, for data of "
                         f"length {len(data)}")
    if end_index is not None:
        if start_index is not None and end_index <= start_index:
            raise ValueError(f"`end_index` must be higher than `start_index`. Received: "
                             f"start_index={start_index}, and end_index={end_index} ")
        if end_index >= len(data):
            raise ValueError(f"`end_index` must be lower than the length of the data. "
                             f"Received: end_index={end_index}, for data of length "
                             f"{len(data)}")
        if end_index <= 0:
            raise ValueError(f"`end_index` must be higher than 0. Received: "
                             f"end_index={end_index}")
    if format != "tf":
        raise ValueError(f'`format` must be "tf" in ember. Received: format={format}')
    start_index = 0 if start_index is None else start_index
    end_index = len(data) if end_index is None else end_index
    arr = np.asarray(data.numpy() if hasattr(data, "numpy") else data)[start_index:end_index]
    tgt = None
    if targets is not None:
        tgt = np.asarray(targets.numpy() if hasattr(targets, "numpy") else targets)
        tgt = tgt[start_index:end_index]
    num_seqs = end_index - start_index - (sequence_length - 1) * sampling_rate
    if targets is not None:
        num_seqs = min(num_seqs, len(targets))
    starts = np.arange(0, num_seqs, sequence_stride, dtype="int64")
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(starts)
    offsets = np.arange(0, sequence_length * sampling_rate, sampling_rate, dtype="int64")
    ds = _windows_dataset(arr, tgt, starts, offsets).prefetch(ember.data.AUTOTUNE)
    if batch_size is not None:
        if shuffle:
            ds = ds.shuffle(buffer_size=batch_size * 8, seed=seed)
        ds = ds.batch(batch_size)
    elif shuffle:
        ds = ds.shuffle(buffer_size=1024, seed=seed)
    return ds
