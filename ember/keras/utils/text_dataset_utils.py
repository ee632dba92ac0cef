"""``keras.utils.text_dataset_from_directory``: (text, label) batches from ``.txt`` files in
one subdirectory per class, with Keras's arguments, ordering and splits."""
from __future__ import annotations

import numpy as np

from ember.keras.utils import dataset_utils

__all__ = ["text_dataset_from_directory"]


def _read_text(path, max_length):
    import ember
    data = ember.io.read_file(path).numpy()
    if max_length is not None:
        data = data[:max_length]
    return ember.framework.tensor.EagerTensor(np.array(data, dtype=object))


def text_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                class_names=None, batch_size=32, max_length=None,
                                shuffle=True, seed=None, validation_split=None, subset=None,
                                follow_links=False, format="tf", verbose=True):
    """Batches of ``(texts, labels)`` (texts as tf.string, truncated to ``max_length``
    bytes); ``subset="both"`` returns ``[train, validation]``."""
    import ember
    dataset_utils.check_label_arguments(labels, class_names, label_mode, "text")
    if format != "tf":
        raise ValueError(f'`format` must be "tf" in ember. Received: format={format}')
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    dataset_utils.check_validation_split_arg(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = np.random.randint(1e6)
    paths, labels, class_names = dataset_utils.index_directory(
        directory, labels, (".txt",), class_names, shuffle, seed, follow_links, verbose)
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(f'When passing `label_mode="binary"`, there must be exactly 2 '
                         f"class_names. Received: class_names={class_names}")
    buffer = batch_size * 8 if batch_size is not None else 1024
    num_classes = len(class_names) if class_names else 0
    D = ember.data.Dataset
    from ember.data.transforms import MapDataset
    text_spec = ember.TensorSpec([], ember.string)

    def make(sub_paths, sub_labels, sub_shuffle, what):
        if not sub_paths:
            raise ValueError(f"No {what}text files found in directory {directory}. Allowed "
                             f"format: .txt")
        path_ds = D.from_tensor_slices(np.array([p.encode() for p in sub_paths],
                                                dtype=object))
        if label_mode:
            ds = D.zip((path_ds, dataset_utils.labels_to_dataset(sub_labels, label_mode,
                                                                 num_classes)))
            if sub_shuffle:
                ds = ds.shuffle(buffer, seed=seed)
            ds = MapDataset(ds, lambda x, y: (_read_text(x, max_length), y),
                            ember.data.AUTOTUNE, None, (text_spec, ds.element_spec[1]))
        else:
            ds = path_ds.shuffle(buffer, seed=seed) if sub_shuffle else path_ds
            ds = MapDataset(ds, lambda x: _read_text(x, max_length), ember.data.AUTOTUNE,
                            None, text_spec)
        ds = dataset_utils.finish(ds, batch_size, False, buffer, seed)
        ds.class_names = class_names
        ds.file_paths = list(sub_paths)
        return ds
    return dataset_utils.make_subsets(make, paths, labels, validation_split, subset, shuffle,
                                      verbose)
