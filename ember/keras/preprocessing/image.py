"""keras.preprocessing.image: image file helpers and the legacy ``ImageDataGenerator``
(Keras 2's real-time augmentation), with its iterators and transform functions.

>>> gen = ImageDataGenerator(rescale=1 / 255, horizontal_flip=True)
>>> x, y = next(gen.flow(np.ones((4, 8, 8, 3)) * 255, np.arange(4), batch_size=2, seed=0))
>>> x.shape, float(x.max())
((2, 8, 8, 3), 1.0)
"""
from __future__ import annotations

import warnings

import numpy as np

from ember.keras.preprocessing.image_iterators import (  # noqa: F401
    DirectoryIterator, Iterator, NumpyArrayIterator,
)
from ember.keras.preprocessing.image_transforms import (  # noqa: F401
    apply_affine_transform, apply_brightness_shift, apply_channel_shift, flip_axis,
    random_brightness, random_channel_shift, random_rotation, random_shear, random_shift,
    random_zoom,
)
from ember.keras.utils.image_utils import (  # noqa: F401
    array_to_img, img_to_array, load_img, save_img, smart_resize,
)

from ember.keras.preprocessing.image_dataframe import DataFrameIterator  # noqa: F401

__all__ = ["ImageDataGenerator", "Iterator", "NumpyArrayIterator", "DirectoryIterator",
           "DataFrameIterator",
           "array_to_img", "img_to_array", "load_img", "save_img", "smart_resize",
           "apply_affine_transform", "apply_brightness_shift", "apply_channel_shift",
           "random_rotation", "random_shift", "random_shear", "random_zoom",
           "random_channel_shift", "random_brightness"]


def _range_pair(value, what):
    if isinstance(value, (float, int)):
        return [1 - value, 1 + value]
    if len(value) == 2 and all(isinstance(v, (float, int)) for v in value):
        return [value[0], value[1]]
    raise ValueError(f"`{what}` should be a float or a tuple or list of two floats. "
                     f"Received: {value}")


class ImageDataGenerator:
    """Batches of images with random augmentation (rotation, shifts, shear, zoom, channel
    shift, brightness, flips) and normalization (rescale, sample- or feature-wise centring
    and scaling, ZCA whitening), as Keras 2's ``ImageDataGenerator``.

    Feature-wise statistics come from ``fit(x)``; ``validation_split`` with
    ``flow(..., subset="training"/"validation")`` (or ``flow_from_directory``) splits off
    the first fraction of the samples (of each class directory) for validation.
    """

    def __init__(self, featurewise_center=False, samplewise_center=False,
                 featurewise_std_normalization=False, samplewise_std_normalization=False,
                 zca_whitening=False, zca_epsilon=1e-6, rotation_range=0,
                 width_shift_range=0.0, height_shift_range=0.0, brightness_range=None,
                 shear_range=0.0, zoom_range=0.0, channel_shift_range=0.0, fill_mode="nearest",
                 cval=0.0, horizontal_flip=False, vertical_flip=False, rescale=None,
                 preprocessing_function=None, data_format=None, validation_split=0.0,
                 interpolation_order=1, dtype=None):
        from ember.keras import backend
        self.dtype = dtype or backend.floatx()
        self.featurewise_center = featurewise_center
        self.samplewise_center = samplewise_center
        self.featurewise_std_normalization = featurewise_std_normalization
        self.samplewise_std_normalization = samplewise_std_normalization
        self.zca_whitening = zca_whitening
        self.zca_epsilon = zca_epsilon
        self.rotation_range = rotation_range
        self.width_shift_range = width_shift_range
        self.height_shift_range = height_shift_range
        self.shear_range = shear_range
        self.channel_shift_range = channel_shift_range
        if fill_mode not in ("constant", "nearest", "reflect", "wrap"):
            raise ValueError(f"fill_mode must be one of 'constant', 'nearest', 'reflect', "
                             f"'wrap'; got {fill_mode!r}")
        self.fill_mode = fill_mode
        self.cval = cval
        self.horizontal_flip = horizontal_flip
        self.vertical_flip = vertical_flip
        self.rescale = rescale
        self.preprocessing_function = preprocessing_function
        self.interpolation_order = interpolation_order
        data_format = data_format or backend.image_data_format()
        if data_format not in ("channels_last", "channels_first"):
            raise ValueError(f"`data_format` should be 'channels_last' or 'channels_first'. "
                             f"Received: {data_format}")
        self.data_format = data_format
        self.channel_axis, self.row_axis, self.col_axis = (1, 2, 3) if \
            data_format == "channels_first" else (3, 1, 2)
        if not 0 <= validation_split < 1:
            raise ValueError(f"`validation_split` must be strictly between 0 and 1. "
                             f"Received: {validation_split}")
        self._validation_split = validation_split
        self.mean = self.std = self.zca_whitening_matrix = None
        self.zoom_range = _range_pair(zoom_range, "zoom_range")
        if zca_whitening and not featurewise_center:
            self.featurewise_center = True
            warnings.warn("This ImageDataGenerator specifies `zca_whitening`, which overrides "
                          "setting of `featurewise_center`.", stacklevel=2)
        if featurewise_std_normalization and not featurewise_center:
            self.featurewise_center = True
            warnings.warn("This ImageDataGenerator specifies `featurewise_std_normalization`, "
                          "which overrides setting of `featurewise_center`.", stacklevel=2)
        if brightness_range is not None and (not isinstance(brightness_range, (tuple, list))
                                             or len(brightness_range) != 2):
            raise ValueError(f"`brightness_range` should be tuple or list of two floats. "
                             f"Received: {brightness_range}")
        self.brightness_range = brightness_range

    # ----------------------------------------------------------------------- flows ---
    def flow(self, x, y=None, batch_size=32, shuffle=True, sample_weight=None, seed=None,
             save_to_dir=None, save_prefix="", save_format="png", ignore_class_split=False,
             subset=None):
        """An iterator of augmented batches ``(x, y)`` (``x`` alone without ``y``) of a 4-D
        image array."""
        return NumpyArrayIterator(x, y, self, batch_size=batch_size, shuffle=shuffle,
                                  sample_weight=sample_weight, seed=seed,
                                  data_format=self.data_format, save_to_dir=save_to_dir,
                                  save_prefix=save_prefix, save_format=save_format,
                                  ignore_class_split=ignore_class_split, subset=subset,
                                  dtype=self.dtype)

    def flow_from_directory(self, directory, target_size=(256, 256), color_mode="rgb",
                            classes=None, class_mode="categorical", batch_size=32,
                            shuffle=True, seed=None, save_to_dir=None, save_prefix="",
                            save_format="png", follow_links=False, subset=None,
                            interpolation="nearest", keep_aspect_ratio=False):
        """An iterator of augmented batches of the images in ``directory/<class>/``, with
        labels by ``class_mode`` (categorical one-hot, binary, sparse, input or None)."""
        return DirectoryIterator(directory, self, target_size=target_size,
                                 color_mode=color_mode, classes=classes,
                                 class_mode=class_mode, batch_size=batch_size,
                                 shuffle=shuffle, seed=seed, data_format=self.data_format,
                                 save_to_dir=save_to_dir, save_prefix=save_prefix,
                                 save_format=save_format, follow_links=follow_links,
                                 subset=subset, interpolation=interpolation,
                                 keep_aspect_ratio=keep_aspect_ratio, dtype=self.dtype)

    def flow_from_dataframe(self, dataframe, directory=None, x_col="filename", y_col="class",
                            weight_col=None, target_size=(256, 256), color_mode="rgb",
                            classes=None, class_mode="categorical", batch_size=32,
                            shuffle=True, seed=None, save_to_dir=None, save_prefix="",
                            save_format="png", subset=None, interpolation="nearest",
                            validate_filenames=True, **kwargs):
        """An iterator of augmented batches of the image files a pandas DataFrame names
        (``x_col``), with targets from its columns by ``class_mode`` (categorical, binary,
        sparse, raw, multi_output, input or None) and weights from ``weight_col``; see
        ``DataFrameIterator``. Needs pandas."""
        from ember.keras.preprocessing.image_dataframe import DataFrameIterator
        for old in ("has_ext", "sort", "drop_duplicates"):
            if old in kwargs:
                kwargs.pop(old)
                warnings.warn(f"flow_from_dataframe: the `{old}` argument is deprecated and "
                              f"ignored.", DeprecationWarning, stacklevel=2)
        if kwargs:
            raise TypeError(f"flow_from_dataframe() got unexpected keyword arguments "
                            f"{sorted(kwargs)}")
        return DataFrameIterator(dataframe, directory, self, x_col=x_col, y_col=y_col,
                                 weight_col=weight_col, target_size=target_size,
                                 color_mode=color_mode, classes=classes,
                                 class_mode=class_mode, batch_size=batch_size,
                                 shuffle=shuffle, seed=seed, data_format=self.data_format,
                                 save_to_dir=save_to_dir, save_prefix=save_prefix,
                                 save_format=save_format, subset=subset,
                                 interpolation=interpolation,
                                 validate_filenames=validate_filenames, dtype=self.dtype)

    # ------------------------------------------------------------- normalization ---
    def standardize(self, x):
        """Applies the generator's normalization to one image or a batch (in place when
        ``x`` is a float array)."""
        if self.preprocessing_function:
            x = self.preprocessing_function(x)
        if self.rescale:
            x *= self.rescale
        if self.samplewise_center:
            x -= np.mean(x, keepdims=True)
        if self.samplewise_std_normalization:
            x /= np.std(x, keepdims=True) + 1e-6
        if self.featurewise_center:
            if self.mean is not None:
                x -= self.mean
            else:
                warnings.warn("This ImageDataGenerator specifies `featurewise_center`, but it "
                              "hasn't been fit on any training data. Fit it first by calling "
                              "`.fit(numpy_data)`.", stacklevel=2)
        if self.featurewise_std_normalization:
            if self.std is not None:
                x /= self.std + 1e-6
            else:
                warnings.warn("This ImageDataGenerator specifies "
                              "`featurewise_std_normalization`, but it hasn't been fit on any "
                              "training data. Fit it first by calling `.fit(numpy_data)`.",
                              stacklevel=2)
        if self.zca_whitening:
            if self.zca_whitening_matrix is not None:
                flat = x.reshape(-1, int(np.prod(x.shape[-3:])))
                x = (flat @ self.zca_whitening_matrix).reshape(x.shape)
            else:
                warnings.warn("This ImageDataGenerator specifies `zca_whitening`, but it "
                              "hasn't been fit on any training data. Fit it first by calling "
                              "`.fit(numpy_data)`.", stacklevel=2)
        return x

    def fit(self, x, augment=False, rounds=1, seed=None):
        """Computes the feature-wise mean, std and ZCA matrix from sample images ``x``
        (optionally augmented ``rounds`` times)."""
        x = np.asarray(x, dtype=self.dtype)
        if x.ndim != 4:
            raise ValueError(f"Input to `.fit()` should have rank 4. Got array with shape: "
                             f"{x.shape}")
        if x.shape[self.channel_axis] not in (1, 3, 4):
            warnings.warn(f"Expected input to be images (as Numpy array) following the data "
                          f"format convention \"{self.data_format}\" (channels on axis "
                          f"{self.channel_axis}), i.e. expected either 1, 3 or 4 channels on "
                          f"axis {self.channel_axis}. However, it was passed an array with "
                          f"shape {x.shape} ({x.shape[self.channel_axis]} channels).",
                          stacklevel=2)
        rng = np.random.RandomState(seed) if seed is not None else None
        x = np.copy(x)
        if self.rescale:
            x *= self.rescale
        if augment:
            out = np.zeros((rounds * x.shape[0],) + x.shape[1:], dtype=self.dtype)
            for r in range(rounds):
                for i in range(x.shape[0]):
                    params = self._random_transform_params(x[i].shape, rng)
                    out[i + r * x.shape[0]] = self.apply_transform(x[i], params)
            x = out
        axes = (0, self.row_axis, self.col_axis)
        shape = [1, 1, 1]
        shape[self.channel_axis - 1] = x.shape[self.channel_axis]
        if self.featurewise_center:
            self.mean = np.mean(x, axis=axes).reshape(shape)
            x -= self.mean
        if self.featurewise_std_normalization:
            self.std = np.std(x, axis=axes).reshape(shape)
            x /= self.std + 1e-6
        if self.zca_whitening:
            n = len(x)
            flat = x.reshape(n, -1)
            u, s, _ = np.linalg.svd(flat.T, full_matrices=False)
            s_inv = np.sqrt(n) / (s + self.zca_epsilon)
            self.zca_whitening_matrix = (u * s_inv) @ u.T

    # -------------------------------------------------------------- augmentation ---
    def _shift(self, rng, shift_range, size):
        if not shift_range:
            return 0
        if isinstance(shift_range, (list, tuple, np.ndarray, int, np.integer)):
            # Keras: an int n draws whole pixels from -(n-1)..n-1, a list from its values
            value = rng.choice(shift_range) * rng.choice([-1, 1])
        else:
            value = rng.uniform(-shift_range, shift_range)
        if np.max(shift_range) < 1:
            value *= size
        return value

    def _random_transform_params(self, img_shape, rng=None):
        rng = rng or np.random
        row, col = self.row_axis - 1, self.col_axis - 1
        theta = rng.uniform(-self.rotation_range, self.rotation_range) \
            if self.rotation_range else 0
        tx = self._shift(rng, self.height_shift_range, img_shape[row])
        ty = self._shift(rng, self.width_shift_range, img_shape[col])
        shear = rng.uniform(-self.shear_range, self.shear_range) if self.shear_range else 0
        if self.zoom_range[0] == 1 and self.zoom_range[1] == 1:
            zx = zy = 1
        else:
            zx, zy = rng.uniform(self.zoom_range[0], self.zoom_range[1], 2)
        flip_h = bool(rng.random_sample() < 0.5) and self.horizontal_flip
        flip_v = bool(rng.random_sample() < 0.5) and self.vertical_flip
        shift = rng.uniform(-self.channel_shift_range, self.channel_shift_range) \
            if self.channel_shift_range != 0 else None
        brightness = rng.uniform(self.brightness_range[0], self.brightness_range[1]) \
            if self.brightness_range is not None else None
        return {"theta": theta, "tx": tx, "ty": ty, "shear": shear, "zx": zx, "zy": zy,
                "flip_horizontal": flip_h, "flip_vertical": flip_v,
                "channel_shift_intensity": shift, "brightness": brightness}

    def get_random_transform(self, img_shape, seed=None):
        """Random parameters for ``apply_transform`` (reproducible with ``seed``)."""
        return self._random_transform_params(
            img_shape, np.random.RandomState(seed) if seed is not None else None)

    def apply_transform(self, x, transform_parameters):
        """Applies the parameters of ``get_random_transform`` to one image."""
        row, col, channel = self.row_axis - 1, self.col_axis - 1, self.channel_axis - 1
        p = transform_parameters
        x = apply_affine_transform(x, p.get("theta", 0), p.get("tx", 0), p.get("ty", 0),
                                   p.get("shear", 0), p.get("zx", 1), p.get("zy", 1),
                                   row_axis=row, col_axis=col, channel_axis=channel,
                                   fill_mode=self.fill_mode, cval=self.cval,
                                   order=self.interpolation_order)
        if p.get("channel_shift_intensity") is not None:
            x = apply_channel_shift(x, p["channel_shift_intensity"], channel)
        if p.get("flip_horizontal", False):
            x = flip_axis(x, col)
        if p.get("flip_vertical", False):
            x = flip_axis(x, row)
        if p.get("brightness") is not None:
            x = apply_brightness_shift(x, p["brightness"], False)
        return x

    def random_transform(self, x, seed=None):
        """``x`` through a random transform (reproducible with ``seed``)."""
        return self.apply_transform(x, self.get_random_transform(x.shape, seed))
