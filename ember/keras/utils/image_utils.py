"""Image files and arrays: load_img, img_to_array, array_to_img, save_img, smart_resize.

Reading and writing image files needs Pillow (``pip install ember[images]``), imported
when first used.
"""
from __future__ import annotations

import io
import os
import tempfile
import warnings

import numpy as np

__all__ = ["load_img", "img_to_array", "array_to_img", "save_img", "smart_resize"]

_RESAMPLE = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")


def pil_image():
    """Pillow's Image module, or a clear error without Pillow."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("Image loading and saving need Pillow: pip install pillow (or "
                          "ember[images])") from None
    return Image


def _data_format(data_format):
    if data_format is None:
        from ember.keras import backend
        data_format = backend.image_data_format()
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError(f"Unknown data_format: {data_format!r}; expected channels_first or "
                         f"channels_last")
    return data_format


def _floatx(dtype):
    if dtype is None:
        from ember.keras import backend
        return backend.floatx()
    return dtype


def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest",
             keep_aspect_ratio=False):
    """A PIL image from a file path (or a file-like object), converted to ``color_mode``
    ("grayscale", "rgb" or "rgba") and resized to ``target_size`` = (height, width),
    after a centred crop to that aspect ratio with ``keep_aspect_ratio``."""
    Image = pil_image()
    if isinstance(path, io.BytesIO):
        img = Image.open(path)
    elif isinstance(path, (str, bytes, os.PathLike)):
        with open(os.fspath(path), "rb") as f:
            img = Image.open(io.BytesIO(f.read()))
    else:
        raise TypeError(f"load_img: path should be a path or a BytesIO, got {type(path)}")
    if color_mode == "grayscale":
        if img.mode not in ("L", "I;16", "I"):
            img = img.convert("L")
    elif color_mode == "rgba":
        if img.mode != "RGBA":
            img = img.convert("RGBA")
    elif color_mode == "rgb":
        if img.mode != "RGB":
            img = img.convert("RGB")
    else:
        raise ValueError(f'color_mode must be "grayscale", "rgb", or "rgba", got '
                         f'{color_mode!r}')
    if target_size is None:
        return img
    width_height = (int(target_size[1]), int(target_size[0]))
    if img.size == width_height:
        return img
    if interpolation not in _RESAMPLE:
        raise ValueError(f"Invalid interpolation method {interpolation!r}; supported: "
                         f"{', '.join(_RESAMPLE)}")
    resample = getattr(Image.Resampling, interpolation.upper())
    if not keep_aspect_ratio:
        return img.resize(width_height, resample)
    width, height = img.size
    target_w, target_h = width_height
    crop_h = min(height, (width * target_h) // target_w)
    crop_w = min(width, (height * target_w) // target_h)
    top, left = (height - crop_h) // 2, (width - crop_w) // 2
    return img.resize(width_height, resample, box=[left, top, left + crop_w, top + crop_h])


def img_to_array(img, data_format=None, dtype=None):
    """A PIL image as a float array (h, w, c) (or (c, h, w) channels first).

    >>> img_to_array(array_to_img(np.zeros((2, 3, 1)))).shape
    (2, 3, 1)
    """
    data_format = _data_format(data_format)
    x = np.asarray(img, dtype=_floatx(dtype))
    if x.ndim == 3:
        return x.transpose(2, 0, 1) if data_format == "channels_first" else x
    if x.ndim == 2:
        return x.reshape((1,) + x.shape) if data_format == "channels_first" else \
            x.reshape(x.shape + (1,))
    raise ValueError(f"Unsupported image shape: {x.shape}")


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A PIL image from a 3-D array; with ``scale`` the values are stretched to 0..255."""
    Image = pil_image()
    data_format = _data_format(data_format)
    x = np.asarray(x, dtype=_floatx(dtype))
    if x.ndim != 3:
        raise ValueError(f"Expected image array to have rank 3 (single image). Got array "
                         f"with shape: {x.shape}")
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        top = np.max(x)
        if top != 0:
            x = x / top
        x = x * 255
    channels = x.shape[2]
    if channels == 4:
        return Image.fromarray(x.astype("uint8"), "RGBA")
    if channels == 3:
        return Image.fromarray(x.astype("uint8"), "RGB")
    if channels == 1:
        if np.max(x) > 255:
            return Image.fromarray(x[:, :, 0].astype("int32"), "I")
        return Image.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"Unsupported channel number: {channels}")


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Writes an image array to ``path`` (format from ``file_format`` or the suffix); the
    file appears whole or not at all."""
    if file_format is None and isinstance(path, (str, os.PathLike)):
        file_format = os.path.splitext(os.fspath(path))[1][1:].lower() or None
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format == "jpeg":
        warnings.warn("The JPEG format does not support RGBA images, converting to RGB.",
                      stacklevel=2)
        img = img.convert("RGB")
    if not isinstance(path, (str, os.PathLike)):
        img.save(path, format=file_format, **kwargs)
        return
    path = os.fspath(path)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            img.save(f, format=file_format, **kwargs)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def smart_resize(x, size, interpolation="bilinear", data_format="channels_last"):
    """Resizes images (h, w, c) or (n, h, w, c) to ``size`` after a centred crop to its
    aspect ratio, so nothing is distorted."""
    import ember
    if len(size) != 2:
        raise ValueError(f"Expected `size` to be a tuple of 2 integers, but got: {size}.")
    is_numpy = isinstance(x, np.ndarray)
    img = np.asarray(x) if is_numpy else x
    rank = len(img.shape)
    if rank not in (3, 4):
        raise ValueError(f"Expected an image array with shape `(height, width, channels)`, or "
                         f"`(batch_size, height, width, channels)`, but got input with "
                         f"incorrect rank, of shape {tuple(img.shape)}.")
    if data_format == "channels_first":
        img = ember.transpose(img, [1, 2, 0] if rank == 3 else [0, 2, 3, 1])
    height, width = int(img.shape[-3]), int(img.shape[-2])
    target_h, target_w = size
    crop_h = max(min(height, int(float(width * target_h) / target_w)), 1)
    crop_w = max(min(width, int(float(height * target_w) / target_h)), 1)
    top, left = int(float(height - crop_h) / 2), int(float(width - crop_w) / 2)
    img = img[..., top:top + crop_h, left:left + crop_w, :]
    out = ember.image.resize(ember.cast(img, "float32") if not is_numpy else
                             img.astype("float32"), size, method=interpolation)
    if data_format == "channels_first":
        out = ember.transpose(out, [2, 0, 1] if rank == 3 else [0, 3, 1, 2])
    return out.numpy() if is_numpy else out
