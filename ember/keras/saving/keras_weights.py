"""Keras 3's weights layout in HDF5: ``.weights.h5`` files and the ``model.weights.h5``
inside ``.keras`` archives (``layers/<name>/vars/<i>``, ``optimizer/vars/<i>``; see
``object_paths``)."""
from __future__ import annotations

import warnings

import numpy as np

from ember.keras.saving.file_io import CorruptFileError
from ember.keras.saving.object_paths import own_variables, walk

__all__ = ["write_weights", "read_weights", "is_keras3_weights", "H5Store"]


def _describe(obj):
    name = getattr(obj, "name", None)
    return f"{type(obj).__name__} '{name}'" if name else type(obj).__name__


class H5Store:
    """The store a layer's ``save_own_variables``/``load_own_variables`` receives, as in
    Keras: ``store[key] = array`` writes an entry of the layer's ``vars`` group,
    ``store[key]`` reads one back (a NumPy array), ``key in store`` tests for it."""

    def __init__(self, group):
        self._group = group

    def __setitem__(self, key, value):
        self._group.create_dataset(str(key), data=np.asarray(value))

    def __getitem__(self, key):
        if self._group is None or str(key) not in self._group:
            raise KeyError(f"no stored variable {key!r}")
        return np.asarray(self._group[str(key)])

    def __contains__(self, key):
        return self._group is not None and str(key) in self._group

    def keys(self):
        return list(self._group.keys()) if self._group is not None else []

    def __len__(self):
        return len(self.keys())


def own_saver(obj):
    """True when ``obj`` is a layer whose class writes its state itself (overrides
    ``save_own_variables``/``load_own_variables``, as Keras's lookup layers do); other
    layers' variables are written and checked here, "0", "1", ... as Layer's own would."""
    from ember.keras.layers.layer import Layer
    return isinstance(obj, Layer) and (
        type(obj).save_own_variables is not Layer.save_own_variables or
        type(obj).load_own_variables is not Layer.load_own_variables)


def write_weights(model, h5file):
    """Writes every variable of ``model`` (and its optimizer) into an open h5py File."""
    for path, obj in walk(model):
        group = h5file.create_group(f"{path}/vars" if path else "vars")
        group.attrs["name"] = str(getattr(obj, "name", ""))
        if own_saver(obj):
            obj.save_own_variables(H5Store(group))
            continue
        saved = getattr(obj, "_saved_values", None)     # LoRA layers: merged weights
        values = saved() if saved is not None else [v.numpy() for v in own_variables(obj)]
        for i, value in enumerate(values):
            group.create_dataset(str(i), data=np.asarray(value))


def unbuilt_variables(optimizer):
    """The variables an optimizer has before it is built (iteration, learning rate)."""
    return [v for v in optimizer.variables
            if v is optimizer._iterations or v is optimizer._learning_rate]


def is_keras3_weights(h5file):
    return "layers" in h5file or "vars" in h5file or "_layer_checkpoint_dependencies" in h5file


def _group_for(h5file, path):
    key = f"{path}/vars" if path else "vars"
    if key in h5file:
        return h5file[key]
    legacy = key.replace("layers", "_layer_checkpoint_dependencies")
    if legacy in h5file:
        return h5file[legacy]
    return None


def read_weights(model, h5file, filepath, skip_mismatch=False, load_optimizer=True):
    """Assigns the variables stored in an open h5py File (Keras 3's layout) to ``model``.

    A layer whose variable count or shapes differ from the file's raises a ValueError naming
    the file, the layer and both shapes (with ``skip_mismatch=True`` it is skipped with a
    warning). Optimizer state is loaded when the counts agree, otherwise skipped with a
    warning as Keras does."""
    from ember.keras.optimizers.base_optimizer import Optimizer
    if not is_keras3_weights(h5file):
        raise CorruptFileError(filepath, "it is an HDF5 file but holds no Keras 3 weights "
                                         "(no 'layers' or 'vars' group); top-level keys: "
                                         f"{sorted(h5file.keys())[:10]}")
    optimizer = getattr(model, "optimizer", None)
    if load_optimizer and isinstance(optimizer, Optimizer) and not optimizer.built and \
            _group_for(h5file, "optimizer") is not None:
        optimizer.build(model.trainable_variables)
    for path, obj in walk(model):
        if own_saver(obj):
            obj.load_own_variables(H5Store(_group_for(h5file, path)))
            continue
        saved = getattr(obj, "_saved_variables", None)
        variables = saved() if saved is not None else own_variables(obj)
        is_optimizer = isinstance(obj, Optimizer)
        if is_optimizer and not load_optimizer:
            continue
        group = _group_for(h5file, path)
        stored = len(group) if group is not None else 0
        if is_optimizer:
            if group is None:
                continue
            base = unbuilt_variables(obj)
            if stored == len(base) < len(variables):   # saved before its first step
                variables = base
            elif stored != len(variables):
                warnings.warn(f"Skipping variable loading for optimizer '{obj.name}', because "
                              f"it has {len(variables)} variables whereas the saved optimizer "
                              f"in {filepath} has {stored} variables.", stacklevel=3)
                continue
        problem = None
        if stored != len(variables):
            problem = (f"{_describe(obj)} expected {len(variables)} variables, but "
                       f"{filepath} holds {stored} for it (at '{path or '/'}').")
        else:
            values = [np.asarray(group[str(i)]) for i in range(stored)]
            for i, (v, value) in enumerate(zip(variables, values)):
                shape = tuple(v.shape.as_list())
                if value.shape != shape:
                    problem = (f"{_describe(obj)}: variable {i} ({v.name}) has shape {shape} "
                               f"but {filepath} holds shape {value.shape} for it (at "
                               f"'{path}/vars/{i}').")
                    break
        if problem is not None:
            if skip_mismatch:
                warnings.warn(f"Skipping loading of weights: {problem}", stacklevel=3)
                continue
            raise ValueError(problem)
        for v, value in zip(variables, values):
            v.assign(value.astype(v.dtype.np, copy=False))
        after = getattr(obj, "_after_loading", None)
        if after is not None:
            after()
