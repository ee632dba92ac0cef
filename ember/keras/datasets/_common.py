"""Shared by the dataset loaders: Keras's download location and safe array reading."""
from __future__ import annotations

import io
import pickle
import zipfile

import numpy as np

# Keras's datasets bucket; tests point it at a local server.
ORIGIN_FOLDER = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"

_NUMPY_GLOBALS = frozenset({
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
})


class ArrayUnpickler(pickle.Unpickler):
    """Unpickles NumPy arrays, lists and dicts only: loading a dataset file never runs
    other code."""

    def find_class(self, module, name):
        if (module, name) in _NUMPY_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a dataset file: "
                                     f"only NumPy arrays are expected (is the file corrupt?)")


def _read_npy(stream):
    try:
        return np.lib.format.read_array(stream, allow_pickle=False)
    except ValueError:               # an object array: its items are pickled
        stream.seek(0)
        major, _ = np.lib.format.read_magic(stream)
        if major == 1:
            np.lib.format.read_array_header_1_0(stream)
        else:
            np.lib.format.read_array_header_2_0(stream)
        return ArrayUnpickler(stream).load()


def load_npz(path):
    """The arrays of an .npz file as a dict; object arrays (ragged sequences) go through
    ``ArrayUnpickler``."""
    out = {}
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.endswith(".npy"):
                out[name[:-4]] = _read_npy(io.BytesIO(z.read(name)))
    return out


def check_test_split(test_split):
    if not 0 <= test_split < 1:
        raise ValueError(f"Invalid `test_split` argument: {test_split}. It must be between 0 "
                         f"and 1 (exclusive of 1).")


def load_xy(fname, origin_name, file_hash):
    """The arrays x and y of a cached (else downloaded) .npz file."""
    from ember.keras.utils.file_utils import get_file
    path = get_file(fname, origin=ORIGIN_FOLDER + origin_name, file_hash=file_hash)
    with np.load(path, allow_pickle=False) as f:
        return f["x"], f["y"]


def split_shuffled(x, y, test_split, seed):
    """Keras's shuffle (NumPy RandomState(seed)) and train/test cut of (x, y)."""
    indices = np.arange(len(x))
    np.random.RandomState(seed).shuffle(indices)
    x, y = x[indices], y[indices]
    cut = int(len(x) * (1 - test_split))
    return (np.array(x[:cut]), np.array(y[:cut])), (np.array(x[cut:]), np.array(y[cut:]))
