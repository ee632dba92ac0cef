"""The batch iterators behind ``ImageDataGenerator.flow`` and ``flow_from_directory``.

They behave as Keras 2's: indexable like a ``keras.utils.Sequence`` (``len``, ``it[i]``,
``on_epoch_end``) and endless under ``next()``. With a ``seed``, batch ``k`` draws its
order and its random transforms from ``RandomState(seed + k)`` (the numbers Keras draws
after ``np.random.seed(seed + k)``, without touching NumPy's global generator); without
one they come from NumPy's global generator, which ``keras.utils.set_random_seed`` seeds.
"""
from __future__ import annotations

import os
import threading

import numpy as np

from ember.keras.utils.image_utils import img_to_array, load_img, save_img

__all__ = ["Iterator", "NumpyArrayIterator", "FileImageIterator", "DirectoryIterator"]

WHITE_LIST_FORMATS = ("png", "jpg", "jpeg", "bmp", "ppm", "tif", "tiff")


class Iterator:
    """Batches of indices into ``n`` samples: shuffled each epoch when ``shuffle``."""

    white_list_formats = WHITE_LIST_FORMATS

    def __init__(self, n, batch_size, shuffle, seed):
        self.n = n
        self.batch_size = batch_size
        self.seed = seed
        self.shuffle = shuffle
        self.batch_index = 0
        self.total_batches_seen = 0
        self.lock = threading.Lock()
        self.index_array = None
        self._rng = None
        self.index_generator = self._flow_index()

    def _seed_batch(self):
        self._rng = np.random.RandomState(self.seed + self.total_batches_seen) \
            if self.seed is not None else None

    def _set_index_array(self):
        self.index_array = np.arange(self.n)
        if self.shuffle:
            self.index_array = (self._rng or np.random).permutation(self.n)

    def __getitem__(self, idx):
        if idx >= len(self):
            raise ValueError(f"Asked to retrieve element {idx}, but the Sequence has length "
                             f"{len(self)}")
        self._seed_batch()
        self.total_batches_seen += 1
        if self.index_array is None:
            self._set_index_array()
        batch = self.index_array[self.batch_size * idx:self.batch_size * (idx + 1)]
        return self._get_batches_of_transformed_samples(batch)

    def __len__(self):
        return (self.n + self.batch_size - 1) // self.batch_size

    def on_epoch_end(self):
        self._set_index_array()

    def reset(self):
        self.batch_index = 0

    def _flow_index(self):
        self.reset()
        while True:
            self._seed_batch()
            if self.batch_index == 0:
                self._set_index_array()
            current = (self.batch_index * self.batch_size) % self.n if self.n else 0
            if self.n > current + self.batch_size:
                self.batch_index += 1
            else:
                self.batch_index = 0
            self.total_batches_seen += 1
            yield self.index_array[current:current + self.batch_size]

    def __iter__(self):
        return self

    def __next__(self):
        with self.lock:
            index_array = next(self.index_generator)
        return self._get_batches_of_transformed_samples(index_array)

    def _transformed(self, x):
        gen = self.image_data_generator
        if gen is None:
            return x
        params = gen._random_transform_params(x.shape, self._rng)
        return gen.standardize(gen.apply_transform(x.astype(self.dtype), params))

    def _save(self, batch_x, index_array):
        rng = self._rng or np.random
        for i, j in enumerate(index_array):
            name = f"{self.save_prefix}_{j}_{rng.randint(10000)}.{self.save_format}"
            save_img(os.path.join(self.save_to_dir, name), batch_x[i], self.data_format,
                     file_format=self.save_format, scale=True)

    def _get_batches_of_transformed_samples(self, index_array):
        raise NotImplementedError


def _data_format(data_format):
    from ember.keras import backend
    return data_format or backend.image_data_format()


class NumpyArrayIterator(Iterator):
    """Batches ``(x, y[, sample_weight])`` (or ``x`` alone without labels) from arrays,
    each image through the generator's random transform and standardization."""

    def __init__(self, x, y, image_data_generator, batch_size=32, shuffle=False,
                 sample_weight=None, seed=None, data_format=None, save_to_dir=None,
                 save_prefix="", save_format="png", subset=None, ignore_class_split=False,
                 dtype=None):
        from ember.keras import backend
        self.dtype = dtype or backend.floatx()
        if isinstance(x, (tuple, list)):
            raise NotImplementedError("flow: x as a tuple (images, extra arrays) is not "
                                      "supported yet; pass the image array")
        if y is not None and len(x) != len(y):
            raise ValueError(f"`x` (images tensor) and `y` (labels) should have the same "
                             f"length. Found: x.shape = {np.asarray(x).shape}, y.shape = "
                             f"{np.asarray(y).shape}")
        if sample_weight is not None and len(x) != len(sample_weight):
            raise ValueError(f"`x` (images tensor) and `sample_weight` should have the same "
                             f"length. Found: x.shape = {np.asarray(x).shape}, "
                             f"sample_weight.shape = {np.asarray(sample_weight).shape}")
        if subset is not None:
            if subset not in ("training", "validation"):
                raise ValueError(f"Invalid subset name: {subset}; expected 'training' or "
                                 f"'validation'")
            cut = int(len(x) * image_data_generator._validation_split)
            if not ignore_class_split and y is not None and not np.array_equal(
                    np.unique(y[:cut]), np.unique(y[cut:])):
                raise ValueError("Training and validation subsets have different number of "
                                 "classes after the split. If your numpy arrays are sorted "
                                 "by the label, you might want to shuffle them.")
            part = slice(None, cut) if subset == "validation" else slice(cut, None)
            x = x[part]
            y = y[part] if y is not None else None
            sample_weight = sample_weight[part] if sample_weight is not None else None
        self.x = np.asarray(x, dtype=self.dtype)
        if self.x.ndim != 4:
            raise ValueError(f"Input data in `NumpyArrayIterator` should have rank 4. You "
                             f"passed an array with shape {self.x.shape}")
        self.y = np.asarray(y) if y is not None else None
        self.sample_weight = np.asarray(sample_weight) if sample_weight is not None else None
        self.image_data_generator = image_data_generator
        self.data_format = _data_format(data_format)
        self.save_to_dir, self.save_prefix, self.save_format = save_to_dir, save_prefix, \
            save_format
        super().__init__(self.x.shape[0], batch_size, shuffle, seed)

    def _get_batches_of_transformed_samples(self, index_array):
        batch_x = np.zeros((len(index_array),) + self.x.shape[1:], dtype=self.dtype)
        for i, j in enumerate(index_array):
            batch_x[i] = self._transformed(self.x[j])
        if self.save_to_dir:
            self._save(batch_x, index_array)
        if self.y is None:
            return batch_x
        out = (batch_x, self.y[index_array])
        if self.sample_weight is not None:
            out += (self.sample_weight[index_array],)
        return out


def _valid_files(directory, follow_links):
    for root, _, files in sorted(os.walk(directory, followlinks=follow_links),
                                 key=lambda item: item[0]):
        for name in sorted(files):
            if name.lower().endswith(WHITE_LIST_FORMATS):
                yield root, name


class FileImageIterator(Iterator):
    """What the iterators over image files share: the image settings, the ``subset``
    split and reading a batch of files through the generator's transforms."""

    def _image_settings(self, image_data_generator, target_size, color_mode, data_format,
                        save_to_dir, save_prefix, save_format, interpolation,
                        keep_aspect_ratio, dtype):
        from ember.keras import backend
        self.dtype = dtype or backend.floatx()
        if color_mode not in ("rgb", "rgba", "grayscale"):
            raise ValueError(f"Invalid color mode: {color_mode}; expected 'rgb', 'rgba', or "
                             f"'grayscale'.")
        self.image_data_generator = image_data_generator
        self.target_size = tuple(target_size)
        self.color_mode = color_mode
        self.data_format = _data_format(data_format)
        depth = {"rgb": 3, "rgba": 4, "grayscale": 1}[color_mode]
        self.image_shape = ((depth,) + self.target_size) if self.data_format == \
            "channels_first" else (self.target_size + (depth,))
        self.save_to_dir, self.save_prefix, self.save_format = save_to_dir, save_prefix, \
            save_format
        self.interpolation = interpolation
        self.keep_aspect_ratio = keep_aspect_ratio

    def _split(self, subset):
        """``subset``'s (start, stop) fractions of the files, or None for all of them: the
        first ``validation_split`` is the validation subset, the rest training."""
        if subset is None:
            return None
        if subset not in ("training", "validation"):
            raise ValueError(f"Invalid subset name: {subset}; expected 'training' or "
                             f"'validation'")
        gen = self.image_data_generator
        v = gen._validation_split if gen else 0.0
        return (0, v) if subset == "validation" else (v, 1)

    @property
    def filepaths(self):
        return self._filepaths

    def _load_batch(self, index_array):
        batch_x = np.zeros((len(index_array),) + self.image_shape, dtype=self.dtype)
        for i, j in enumerate(index_array):
            img = load_img(self._filepaths[j], color_mode=self.color_mode,
                           target_size=self.target_size, interpolation=self.interpolation,
                           keep_aspect_ratio=self.keep_aspect_ratio)
            x = img_to_array(img, data_format=self.data_format)
            img.close()
            batch_x[i] = self._transformed(x)
        if self.save_to_dir:
            self._save(batch_x, index_array)
        return batch_x


class DirectoryIterator(FileImageIterator):
    """Batches of images read from ``directory/<class>/...`` with their labels."""

    _CLASS_MODES = ("categorical", "binary", "sparse", "input", None)

    def __init__(self, directory, image_data_generator, target_size=(256, 256),
                 color_mode="rgb", classes=None, class_mode="categorical", batch_size=32,
                 shuffle=True, seed=None, data_format=None, save_to_dir=None, save_prefix="",
                 save_format="png", follow_links=False, subset=None, interpolation="nearest",
                 keep_aspect_ratio=False, dtype=None):
        self._image_settings(image_data_generator, target_size, color_mode, data_format,
                             save_to_dir, save_prefix, save_format, interpolation,
                             keep_aspect_ratio, dtype)
        if class_mode not in self._CLASS_MODES:
            raise ValueError(f"Invalid class_mode: {class_mode}; expected one of "
                             f"'categorical', 'binary', 'sparse', 'input' or None.")
        self.directory = directory
        self.class_mode = class_mode
        split = self._split(subset)
        if not classes:
            classes = sorted(d for d in os.listdir(directory)
                             if os.path.isdir(os.path.join(directory, d)))
        self.num_classes = len(classes)
        self.class_indices = {c: i for i, c in enumerate(classes)}
        labels, self.filenames = [], []
        for c in classes:
            sub = os.path.join(directory, c)
            found = list(_valid_files(sub, follow_links))
            if split is not None:
                found = found[int(split[0] * len(found)):int(split[1] * len(found))]
            for root, name in found:
                labels.append(self.class_indices[c])
                self.filenames.append(os.path.join(c, os.path.relpath(os.path.join(root, name),
                                                                      sub)))
        self.classes = np.array(labels, dtype="int32")
        self.samples = len(self.filenames)
        self._filepaths = [os.path.join(directory, f) for f in self.filenames]
        print(f"Found {self.samples} images belonging to {self.num_classes} classes.")
        super().__init__(self.samples, batch_size, shuffle, seed)

    @property
    def labels(self):
        return self.classes

    def _get_batches_of_transformed_samples(self, index_array):
        batch_x = self._load_batch(index_array)
        if self.class_mode is None:
            return batch_x
        if self.class_mode == "input":
            return batch_x, batch_x.copy()
        if self.class_mode == "sparse":
            return batch_x, self.classes[index_array]
        if self.class_mode == "binary":
            return batch_x, self.classes[index_array].astype(self.dtype)
        batch_y = np.zeros((len(batch_x), self.num_classes), dtype=self.dtype)
        batch_y[np.arange(len(batch_x)), self.classes[index_array]] = 1.0
        return batch_x, batch_y
