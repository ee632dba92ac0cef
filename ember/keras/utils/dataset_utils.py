"""Listing a directory of labelled files, validation splits and ``split_dataset``, with
Keras's rules: classes are the sorted subdirectories, files are walked in sorted order,
and shuffling uses NumPy's ``RandomState(seed)`` as Keras does, so the same seed gives
Keras's own file order."""
from __future__ import annotations

import os
import random

import numpy as np

__all__ = ["index_directory", "check_validation_split_arg", "training_or_validation_split",
           "labels_to_dataset", "split_dataset"]


def _valid_files(directory, follow_links, formats):
    walk = os.walk(directory, followlinks=follow_links)
    for root, _, files in sorted(walk, key=lambda x: x[0]):
        for name in sorted(files):
            if name.lower().endswith(formats):
                yield root, name


def index_directory(directory, labels, formats, class_names=None, shuffle=True, seed=None,
                    follow_links=False, verbose=True):
    """(file paths, integer labels or None, class names) of the files in ``directory``."""
    if not os.path.isdir(directory):
        raise ValueError(f"Could not find directory {directory}")
    if labels == "inferred":
        subdirs = [d for d in sorted(os.listdir(directory))
                   if os.path.isdir(os.path.join(directory, d)) and not d.startswith(".")]
        if class_names is not None:
            if not set(class_names).issubset(set(subdirs)):
                raise ValueError(f"The `class_names` passed did not match the names of the "
                                 f"subdirectories of the target directory. Expected: "
                                 f"{subdirs} (or a subset of it), but received: "
                                 f"class_names={class_names}")
            subdirs = list(class_names)
    else:
        subdirs = [""]
        if class_names is not None:
            if labels is None:
                raise ValueError("When `labels=None` (no labels), argument `class_names` "
                                 "cannot be specified.")
            raise ValueError("When argument `labels` is specified, argument `class_names` "
                             "cannot be specified (the `class_names` will be the sorted "
                             "list of labels).")
    class_names = subdirs
    filenames, found_labels = [], []
    for index, sub in enumerate(subdirs):
        top = os.path.join(directory, sub)
        base = os.path.basename(top)
        for root, name in _valid_files(top, follow_links, formats):
            filenames.append(os.path.join(base, os.path.relpath(os.path.join(root, name),
                                                                top)))
            found_labels.append(index)
    if labels == "inferred":
        labels = np.asarray(found_labels, dtype="int32")
    elif labels is None:
        class_names = None
    else:
        if len(labels) != len(filenames):
            raise ValueError(f"Expected the lengths of `labels` to match the number of files "
                             f"in the target directory. len(labels) is {len(labels)} while "
                             f"we found {len(filenames)} files in directory {directory}.")
        class_names = [str(label) for label in sorted(set(labels))]
    if verbose:
        if labels is None:
            print(f"Found {len(filenames)} files.")
        else:
            print(f"Found {len(filenames)} files belonging to {len(class_names)} classes.")
    paths = [os.path.join(directory, f) for f in filenames]
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(paths)
        if labels is not None:
            np.random.RandomState(seed).shuffle(labels)
    return paths, labels, class_names


def check_validation_split_arg(validation_split, subset, shuffle, seed):
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(f"`validation_split` must be between 0 and 1, received: "
                         f"{validation_split}")
    if (validation_split or subset) and not (validation_split and subset):
        raise ValueError("If `subset` is set, `validation_split` must be set, and "
                         "inversely.")
    if subset not in ("training", "validation", "both", None):
        raise ValueError(f'`subset` must be either "training", "validation" or "both", '
                         f"received: {subset}")
    if validation_split and shuffle and seed is None:
        raise ValueError("If using `validation_split` and shuffling the data, you must "
                         "provide a `seed` argument, to make sure that there is no overlap "
                         "between the training and validation subset.")


def training_or_validation_split(samples, labels, validation_split, subset, verbose=True):
    if not validation_split:
        return samples, labels
    n_val = int(validation_split * len(samples))
    if subset == "training":
        if verbose:
            print(f"Using {len(samples) - n_val} files for training.")
        return samples[:-n_val], None if labels is None else labels[:-n_val]
    if subset == "validation":
        if verbose:
            print(f"Using {n_val} files for validation.")
        return samples[-n_val:], None if labels is None else labels[-n_val:]
    raise ValueError(f'`subset` must be either "training" or "validation", received: '
                     f"{subset}")


def labels_to_dataset(labels, label_mode, num_classes):
    import ember
    ds = ember.data.Dataset.from_tensor_slices(np.asarray(labels, dtype="int32"))
    if label_mode == "binary":
        return ds.map(lambda x: ember.expand_dims(ember.cast(x, "float32"), -1))
    if label_mode == "categorical":
        return ds.map(lambda x: ember.one_hot(x, num_classes))
    return ds


def finish(ds, batch_size, shuffle, shuffle_buffer, seed):
    """Keras's tail of every loader: shuffle (batch_size * 8 buffer), batch, prefetch."""
    import ember
    if shuffle:
        ds = ds.shuffle(buffer_size=shuffle_buffer, seed=seed)
    if batch_size is not None:
        ds = ds.batch(batch_size)
    return ds.prefetch(ember.data.AUTOTUNE)


def _split_sizes(left, right, total):
    lt, rt = type(left), type(right)
    for name, v, t in (("left_size", left, lt), ("right_size", right, rt)):
        if v is not None and t not in (int, float):
            raise TypeError(f"Invalid `{name}` type. Expected an int or a float, received: "
                            f"{name}={v} of type {t}")
    if left is None and right is None:
        raise ValueError("At least one of the `left_size` or `right_size` must be "
                         "specified. Received: left_size=None and right_size=None")
    if left == 0 and right == 0:
        raise ValueError("Both `left_size` and `right_size` are zero. At least one of the "
                         "split sizes must be non-zero.")
    for name, v, t in (("left_size", left, lt), ("right_size", right, rt)):
        if (t is int and (v <= 0 or v >= total)) or (t is float and (v <= 0 or v >= 1)):
            raise ValueError(f"`{name}` should be either a positive integer smaller than "
                             f"{total}, or a float within the range `[0, 1]`. Received: "
                             f"{name}={v}")
    if lt is rt is float and left + right > 1:
        raise ValueError("The sum of `left_size` and `right_size` is greater than 1. It "
                         "must be less than or equal to 1.")
    left = round(left * total) if lt is float else (float(left) if lt is int else None)
    right = round(right * total) if rt is float else (float(right) if rt is int else None)
    if left is None:
        left = total - right
    elif right is None:
        right = total - left
    if left + right > total:
        raise ValueError(f"The sum of `left_size` and `right_size` should be smaller than "
                         f"the {total}. Received: left_size + right_size = "
                         f"{left + right}and total_length = {total}")
    for split, side in ((left, "left"), (right, "right")):
        if split == 0:
            raise ValueError(f"With `dataset` of length={total}, `left_size`={left} and "
                             f"`right_size`={right}.Resulting {side} side dataset split "
                             f"will be empty. Adjust any of the aforementioned parameters")
    return int(left), int(right)


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None):
    """Splits a Dataset (or a list/tuple of arrays) into two datasets, as
    ``keras.utils.split_dataset`` (Python's ``random`` with ``seed`` shuffles, like Keras)."""
    import ember
    from ember.data import structure
    Dataset = ember.data.Dataset
    if isinstance(dataset, Dataset):
        source = dataset.unbatch() if hasattr(dataset, "_batch_size") else dataset
        samples = list(source._iter())
    elif isinstance(dataset, (list, tuple)):
        arrays = [np.asarray(a) for a in dataset]
        samples = list(zip(*arrays))
    elif isinstance(dataset, np.ndarray):
        samples = list(dataset)
    else:
        raise TypeError(f"The `dataset` argument must be either a `tf.data.Dataset` "
                        f"object, or a list/tuple of arrays. Received: dataset={dataset} "
                        f"of type {type(dataset)}")
    if right_size is None and left_size is None:
        raise ValueError("At least one of the `left_size` or `right_size` must be "
                         "specified. Received: left_size=None and right_size=None")
    if shuffle:
        if seed is None:
            seed = random.randint(0, int(1e6))
        random.Random(seed).shuffle(samples)
    total = len(samples)
    left_n, right_n = _split_sizes(left_size, right_size, total)

    def rebuild(part):
        like = part[0]
        if isinstance(dataset, Dataset):
            cols = zip(*[structure.flatten(s) for s in part])
            return structure.pack(like, [np.array(c) for c in cols])
        if isinstance(dataset, np.ndarray):
            return np.array(part)
        return tuple(np.array(c) for c in zip(*part))
    left = Dataset.from_tensor_slices(rebuild(samples[:left_n]))
    right = Dataset.from_tensor_slices(rebuild(samples[-right_n:]))
    size = getattr(dataset, "_batch_size", None)
    if size is not None:
        left, right = left.batch(size), right.batch(size)
    return left.prefetch(ember.data.AUTOTUNE), right.prefetch(ember.data.AUTOTUNE)


def check_label_arguments(labels, class_names, label_mode, what):
    """The checks both directory loaders make of ``labels``, ``class_names`` and
    ``label_mode``; ``what`` names the files ('image', 'text')."""
    if labels not in ("inferred", None):
        if not isinstance(labels, (list, tuple)):
            raise ValueError(
                f"labels must be 'inferred' (labels from the subdirectory names), None (no "
                f"labels) or a list or tuple with one integer label per {what} file, sorted "
                f"as the file paths are; received labels={labels!r}")
        if class_names:
            raise ValueError(
                f"class_names applies only with labels='inferred'; received labels="
                f"{labels!r} and class_names={class_names!r}")
    if label_mode not in {"int", "categorical", "binary", None}:
        raise ValueError(f"label_mode must be 'int', 'categorical', 'binary' or None; "
                         f"received label_mode={label_mode!r}")


def make_subsets(make, paths, labels, validation_split, subset, shuffle, verbose):
    """The directory loaders' ending: ``make(paths, labels, shuffle, what)`` on the files of
    ``subset`` ('training', 'validation' or None), or ``[training, validation]`` for
    'both' (the validation part never shuffled)."""
    def part(which):
        return training_or_validation_split(paths, labels, validation_split, which, verbose)
    if subset == "both":
        return [make(*part("training"), shuffle, "training "),
                make(*part("validation"), False, "validation ")]
    return make(*part(subset), shuffle, "")
