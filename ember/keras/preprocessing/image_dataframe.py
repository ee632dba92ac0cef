"""``ImageDataGenerator.flow_from_dataframe``: batches of the image files a pandas
DataFrame names, with labels from its columns, as Keras 2's ``DataFrameIterator``.

pandas is optional: it is imported when this iterator is made, and its absence is a clear
ImportError.
"""
from __future__ import annotations

import os
import warnings

import numpy as np

from ember.keras.preprocessing.image_iterators import WHITE_LIST_FORMATS, FileImageIterator

__all__ = ["DataFrameIterator"]

_CLASSIFYING = ("binary", "categorical", "sparse")
_CLASS_MODES = _CLASSIFYING + ("input", "multi_output", "raw", None)


def _pandas():
    try:
        import pandas
    except ImportError:
        raise ImportError("ImageDataGenerator.flow_from_dataframe needs pandas, which is not "
                          "installed: `pip install pandas`.") from None
    return pandas


class DataFrameIterator(FileImageIterator):
    """Batches of the images named in ``dataframe[x_col]`` (relative to ``directory``, or
    absolute paths when it is None) and their targets by ``class_mode``:

    - ``"categorical"``: one-hot rows (several ones where ``y_col`` holds lists of labels);
    - ``"binary"`` / ``"sparse"``: the class index (as floats, as Keras gives them);
    - ``"raw"``: the values of ``y_col`` (a column or a list of columns);
    - ``"multi_output"``: a list with one array per column of ``y_col``;
    - ``"input"``: the images themselves; ``None``: no targets.

    Classes are ``classes`` (in that order; rows of other classes are dropped) or the
    sorted labels found. ``weight_col`` adds per-sample weights. With
    ``validate_filenames``, rows whose file is missing or not an image are dropped with a
    warning. ``subset`` takes the first ``validation_split`` of the rows left as
    "validation" and the rest as "training".
    """

    def __init__(self, dataframe, directory=None, image_data_generator=None,
                 x_col="filename", y_col="class", weight_col=None, target_size=(256, 256),
                 color_mode="rgb", classes=None, class_mode="categorical", batch_size=32,
                 shuffle=True, seed=None, data_format=None, save_to_dir=None,
                 save_prefix="", save_format="png", subset=None, interpolation="nearest",
                 keep_aspect_ratio=False, validate_filenames=True, dtype=None):
        pd = _pandas()
        if not isinstance(dataframe, pd.DataFrame):
            raise TypeError(f"flow_from_dataframe: `dataframe` must be a pandas DataFrame, "
                            f"got {type(dataframe).__name__}.")
        self._image_settings(image_data_generator, target_size, color_mode, data_format,
                             save_to_dir, save_prefix, save_format, interpolation,
                             keep_aspect_ratio, dtype)
        _check_arguments(dataframe, x_col, y_col, weight_col, classes, class_mode)
        self.directory = directory or ""
        self.class_mode = class_mode
        self.x_col, self.y_col, self.weight_col = x_col, y_col, weight_col
        df = dataframe.copy()
        if validate_filenames:
            df = self._valid_rows(df, x_col)
        if class_mode in _CLASSIFYING:
            df, classes = _filter_classes(df, y_col, classes)
            self.class_indices = {c: i for i, c in enumerate(classes)}
            self.num_classes = len(classes)
            if class_mode == "binary" and self.num_classes != 2:
                raise ValueError(f'If class_mode="binary" there must be 2 classes. Found '
                                 f'{self.num_classes} classes.')
        split = self._split(subset)
        if split is not None:
            n = len(df)
            df = df.iloc[int(split[0] * n):int(split[1] * n)]
        if class_mode in _CLASSIFYING:
            self.classes = _class_indices(df[y_col], self.class_indices)
        self.filenames = df[x_col].tolist()
        self._sample_weight = df[weight_col].values if weight_col else None
        if class_mode == "multi_output":
            self._targets = [np.array(df[c].tolist()) for c in y_col]
        elif class_mode == "raw":
            self._targets = df[y_col].values
        self.samples = len(self.filenames)
        self._filepaths = [os.path.join(self.directory, f) for f in self.filenames]
        checked = "validated" if validate_filenames else "non-validated"
        if class_mode in _CLASSIFYING:
            print(f"Found {self.samples} {checked} image filenames belonging to "
                  f"{self.num_classes} classes.")
        else:
            print(f"Found {self.samples} {checked} image filenames.")
        super().__init__(self.samples, batch_size, shuffle, seed)

    def _valid_rows(self, df, x_col):
        paths = df[x_col].map(lambda f: os.path.join(self.directory, f))
        ok = paths.map(lambda p: os.path.isfile(p) and p.lower().endswith(WHITE_LIST_FORMATS))
        bad = int((~ok).sum())
        if bad:
            warnings.warn(f'Found {bad} invalid image filename(s) in x_col="{x_col}". These '
                          f'filename(s) will be ignored.', stacklevel=4)
        return df[ok]

    @property
    def labels(self):
        if self.class_mode in ("multi_output", "raw"):
            return self._targets
        return getattr(self, "classes", None)

    @property
    def sample_weight(self):
        return self._sample_weight

    def _get_batches_of_transformed_samples(self, index_array):
        batch_x = self._load_batch(index_array)
        mode = self.class_mode
        if mode is None:
            return batch_x
        if mode == "input":
            batch_y = batch_x.copy()
        elif mode in ("binary", "sparse"):
            batch_y = np.array([self.classes[i] for i in index_array], dtype=self.dtype)
        elif mode == "categorical":
            batch_y = np.zeros((len(batch_x), self.num_classes), dtype=self.dtype)
            for row, i in enumerate(index_array):
                batch_y[row, self.classes[i]] = 1.0
        elif mode == "multi_output":
            batch_y = [t[index_array] for t in self._targets]
        else:
            batch_y = self._targets[index_array]
        if self._sample_weight is None:
            return batch_x, batch_y
        return batch_x, batch_y, self._sample_weight[index_array]


def _check_arguments(df, x_col, y_col, weight_col, classes, class_mode):
    if class_mode not in _CLASS_MODES:
        raise ValueError(f"Invalid class_mode: {class_mode}; expected one of "
                         f"{sorted(m for m in _CLASS_MODES if m)} or None.")
    if class_mode == "multi_output" and not isinstance(y_col, list):
        raise TypeError(f'If class_mode="multi_output", y_col must be a list of column '
                        f'names. Received: {y_col!r}.')
    if x_col not in df.columns:
        raise KeyError(f"flow_from_dataframe: x_col={x_col!r} is not a column of the "
                       f"dataframe (columns: {list(df.columns)}).")
    if not all(isinstance(v, str) for v in df[x_col]):
        raise TypeError(f'All values in column x_col="{x_col}" must be strings.')
    if class_mode in _CLASSIFYING:
        allowed = (str, list, tuple) if class_mode == "categorical" else (str,)
        if not all(isinstance(v, allowed) for v in df[y_col]):
            kinds = "string, list or tuple" if class_mode == "categorical" else "string"
            raise TypeError(f'If class_mode="{class_mode}", y_col="{y_col}" column values '
                            f'must be type {kinds}.')
    if classes is not None and class_mode not in _CLASSIFYING:
        warnings.warn(f'`classes` will be ignored given the class_mode="{class_mode}".',
                      stacklevel=4)
    if weight_col is not None and not np.issubdtype(df[weight_col].dtype, np.number):
        raise TypeError(f'Column weight_col="{weight_col}" must be numeric.')


def _filter_classes(df, y_col, classes):
    """Rows whose label (or any of whose labels) is one of ``classes``, and the classes:
    ``classes`` as given, or the sorted labels of the frame."""
    def labels_of(v):
        return list(v) if isinstance(v, (list, tuple)) else [v]
    if classes:
        wanted = set(classes)
        keep = df[y_col].map(lambda v: any(lab in wanted for lab in labels_of(v)))
        return df[keep], list(classes)
    found = set()
    for v in df[y_col]:
        found.update(labels_of(v))
    return df, sorted(found)


def _class_indices(column, class_indices):
    """Each row's class index, or list of indices for rows labelled with several."""
    out = []
    for v in column:
        if isinstance(v, (list, tuple)):
            out.append([class_indices[lab] for lab in v if lab in class_indices])
        else:
            out.append(class_indices[v])
    if any(isinstance(v, list) for v in out):
        return out
    return np.array(out, dtype="int32")
