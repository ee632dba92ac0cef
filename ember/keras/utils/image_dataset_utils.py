"""``keras.utils.image_dataset_from_directory``: a dataset of (image, label) batches from a
directory with one subdirectory per class, with Keras's arguments, ordering and splits.
Images are decoded with Pillow (``ember.io.decode_image``) on a thread pool."""
from __future__ import annotations

import numpy as np

from ember.keras.utils import dataset_utils

__all__ = ["image_dataset_from_directory", "load_image", "ALLOWLIST_FORMATS"]

ALLOWLIST_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
_INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5",
                   "gaussian", "mitchellcubic")


def _resize(img, size, interpolation):
    """ember.image.resize's own kernel on the array (the same numbers, and no op dispatch
    in the pipeline's worker threads): the image's dtype for nearest, float32 for every
    other method, as tf.image.resize."""
    from ember.ops.image_ops import RESIZE
    return RESIZE.kernel(np, img[None], size=(int(size[0]), int(size[1])),
                         method=interpolation, antialias=False)[0]


def load_image(path, image_size, num_channels, interpolation, data_format="channels_last",
               crop_to_aspect_ratio=False, pad_to_aspect_ratio=False):
    """Reads, decodes and resizes one image file -> [h, w, c] (or [c, h, w]) tensor,
    float32 (uint8 with nearest interpolation, as Keras with TensorFlow)."""
    import ember
    from ember.framework.tensor import EagerTensor
    if pad_to_aspect_ratio and crop_to_aspect_ratio:
        raise ValueError("Only one of `pad_to_aspect_ratio`, `crop_to_aspect_ratio` can be "
                         "set to `True`.")
    raw = ember.io.read_file(path)
    try:
        img = ember.io.decode_image(raw, channels=num_channels,
                                    expand_animations=False).numpy()
    except ember.errors.InvalidArgumentError as e:
        name = path.numpy() if hasattr(path, "numpy") else path
        name = name.decode() if isinstance(name, bytes) else name
        raise ember.errors.InvalidArgumentError(
            f"image_dataset_from_directory: could not decode the image file {name!r}: "
            f"{e}") from None
    h, w = img.shape[0], img.shape[1]
    th, tw = image_size
    if crop_to_aspect_ratio:
        ch, cw = min(h, int(w * th / tw)), min(w, int(h * tw / th))
        top, left = (h - ch) // 2, (w - cw) // 2
        img = _resize(img[top:top + ch, left:left + cw], image_size, interpolation)
    elif pad_to_aspect_ratio:
        scale = min(th / h, tw / w)
        nh, nw = max(1, int(round(h * scale))), max(1, int(round(w * scale)))
        small = _resize(img, (nh, nw), interpolation)
        top, left = (th - nh) // 2, (tw - nw) // 2
        img = np.pad(small, [[top, th - nh - top], [left, tw - nw - left], [0, 0]])
    else:
        img = _resize(img, image_size, interpolation)
    if data_format == "channels_first":
        img = np.ascontiguousarray(np.transpose(img, (2, 0, 1)))
    return EagerTensor(img)


def _paths_to_dataset(paths, labels, label_mode, num_classes, args, shuffle, buffer, seed):
    import ember
    D = ember.data.Dataset
    path_ds = D.from_tensor_slices(np.array([p.encode() for p in paths], dtype=object))
    if label_mode:
        ds = D.zip((path_ds, dataset_utils.labels_to_dataset(labels, label_mode,
                                                             num_classes)))
    else:
        ds = path_ds
    if shuffle:
        ds = ds.shuffle(buffer_size=buffer, seed=seed)
    (h, w), channels, data_format = args[0], args[1], args[3]
    shape = [h, w, channels] if data_format == "channels_last" else [channels, h, w]
    image_spec = ember.TensorSpec(shape, ember.uint8 if args[2] == "nearest" else
                                  ember.float32)
    from ember.data.transforms import MapDataset
    if label_mode:
        return MapDataset(ds, lambda x, y: (load_image(x, *args), y), ember.data.AUTOTUNE,
                          None, (image_spec, ds.element_spec[1]))
    return MapDataset(ds, lambda x: load_image(x, *args), ember.data.AUTOTUNE, None,
                      image_spec)


def image_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                 class_names=None, color_mode="rgb", batch_size=32,
                                 image_size=(256, 256), shuffle=True, seed=None,
                                 validation_split=None, subset=None, interpolation="bilinear",
                                 follow_links=False, crop_to_aspect_ratio=False,
                                 pad_to_aspect_ratio=False, data_format=None, verbose=True,
                                 format="tf"):
    """Batches of ``(images, labels)`` from ``directory/<class>/<image>`` files (bmp, gif,
    jpeg, png); ``subset="both"`` returns ``[train, validation]``. The datasets carry
    ``class_names`` and ``file_paths``."""
    dataset_utils.check_label_arguments(labels, class_names, label_mode, "image")
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    channels = {"rgb": 3, "rgba": 4, "grayscale": 1}.get(color_mode)
    if channels is None:
        raise ValueError(f'`color_mode` must be one of {{"rgb", "rgba", "grayscale"}}. '
                         f"Received: color_mode={color_mode}")
    if isinstance(image_size, int):
        image_size = (image_size, image_size)
    elif not isinstance(image_size, (list, tuple)) or len(image_size) != 2:
        raise ValueError(f"Invalid `image_size` value. Expected a tuple of 2 integers. "
                         f"Received: image_size={image_size}")
    interpolation = interpolation.lower()
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(f"Argument `interpolation` should be one of {_INTERPOLATIONS}. "
                         f"Received: interpolation={interpolation}")
    if format != "tf":
        raise ValueError(f'`format` must be "tf" in ember (no grain). Received: '
                         f"format={format}")
    dataset_utils.check_validation_split_arg(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = np.random.randint(1e6)
    paths, labels, class_names = dataset_utils.index_directory(
        directory, labels, ALLOWLIST_FORMATS, class_names, shuffle, seed, follow_links,
        verbose)
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(f'When passing `label_mode="binary"`, there must be exactly 2 '
                         f"class_names. Received: class_names={class_names}")
    if data_format is None:
        from ember.keras import backend
        data_format = backend.image_data_format() if hasattr(backend, "image_data_format") \
            else "channels_last"
    buffer = batch_size * 8 if batch_size is not None else 1024
    args = (tuple(image_size), channels, interpolation, data_format, crop_to_aspect_ratio,
            pad_to_aspect_ratio)
    num_classes = len(class_names) if class_names else 0

    def make(sub_paths, sub_labels, sub_shuffle, what):
        if not sub_paths:
            raise ValueError(f"No {what}images found in directory {directory}. Allowed "
                             f"formats: {ALLOWLIST_FORMATS}")
        ds = _paths_to_dataset(sub_paths, sub_labels, label_mode, num_classes, args,
                               sub_shuffle, buffer, seed)
        ds = dataset_utils.finish(ds, batch_size, False, buffer, seed)
        ds.class_names = class_names
        ds.file_paths = list(sub_paths)
        return ds
    return dataset_utils.make_subsets(make, paths, labels, validation_split, subset, shuffle,
                                      verbose)
