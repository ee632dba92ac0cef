"""Image decoding and encoding through Pillow (the optional extra ``images``; imported
only when an image is decoded or encoded): decode_png/jpeg/bmp/gif/decode_image,
encode_png/jpeg. Decoding releases the GIL inside Pillow, so a parallel ``map`` of it
uses several cores."""
from __future__ import annotations

import io

import numpy as np

from ember.framework.errors import InvalidArgumentError
from ember.io.files import as_bytes

__all__ = ["decode_png", "decode_jpeg", "decode_bmp", "decode_gif", "decode_image",
           "encode_png", "encode_jpeg", "is_jpeg", "decode_and_crop_jpeg",
           "extract_jpeg_shape", "decode_webp", "decode_jxl"]


def _pil():
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("Decoding and encoding images needs Pillow: pip install "
                          "'ember[images]' (or pip install pillow).") from None
    return Image


_FORMATS = {"png": "PNG", "jpeg": "JPEG", "bmp": "BMP", "gif": "GIF"}


def _open(contents, op, want=None):
    Image = _pil()
    data = as_bytes(contents, op)
    try:
        img = Image.open(io.BytesIO(data))
        img.load()
    except Exception as e:
        raise InvalidArgumentError(f"{op}: the contents ({len(data)} bytes) are not a valid "
                                   f"image{' of format ' + want if want else ''}: "
                                   f"{type(e).__name__}: {e}") from None
    return img


def _channels(img, channels, op):
    if channels in (0, None):
        if img.mode in ("L", "1", "I", "I;16", "P") and "transparency" not in img.info:
            mode = "L" if img.mode != "I;16" else "I;16"
        elif img.mode in ("LA", "La"):
            mode = "LA"
        elif img.mode in ("RGBA", "RGBa", "P"):
            mode = "RGBA"
        else:
            mode = "RGB"
    else:
        mode = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}.get(int(channels))
        if mode is None:
            raise ValueError(f"{op}: channels must be 0, 1, 2, 3 or 4, got {channels}.")
    arr = np.asarray(img.convert(mode) if img.mode != mode else img)
    if arr.ndim == 2:
        arr = arr[..., None]
    return arr


def _result(arr, dtype):
    from ember.framework import dtypes
    from ember.framework.tensor import EagerTensor
    d = dtypes.as_dtype(dtype)
    if arr.dtype == np.uint16 and d is dtypes.uint8:
        arr = (arr >> 8).astype(np.uint8)
    if d.is_floating:
        scale = 65535.0 if arr.dtype == np.uint16 else 255.0
        arr = (arr.astype(np.float32) / scale).astype(d.as_numpy_dtype)
    elif arr.dtype != d.as_numpy_dtype:
        arr = arr.astype(d.as_numpy_dtype)
    return EagerTensor(np.ascontiguousarray(arr))


def decode_png(contents, channels=0, dtype="uint8", name=None):
    """PNG bytes -> [height, width, channels] uint8 (or uint16) tensor."""
    img = _open(contents, "decode_png", "PNG")
    return _result(_channels(img, channels, "decode_png"), dtype)


def decode_jpeg(contents, channels=0, ratio=1, fancy_upscaling=True,
                try_recover_truncated=False, acceptable_fraction=1, dct_method="",
                name=None):
    img = _open(contents, "decode_jpeg", "JPEG")
    if ratio and int(ratio) > 1:
        img = img.reduce(int(ratio))
    return _result(_channels(img, channels, "decode_jpeg"), "uint8")


def decode_bmp(contents, channels=0, name=None):
    img = _open(contents, "decode_bmp", "BMP")
    return _result(_channels(img, channels, "decode_bmp"), "uint8")


def decode_gif(contents, name=None):
    """GIF bytes -> [frames, height, width, 3] uint8."""
    Image = _pil()
    img = _open(contents, "decode_gif", "GIF")
    frames = []
    for i in range(getattr(img, "n_frames", 1)):
        img.seek(i)
        frames.append(np.asarray(img.convert("RGB")))
    from ember.framework.tensor import EagerTensor
    del Image
    return EagerTensor(np.stack(frames))


def decode_image(contents, channels=None, dtype="uint8", name=None,
                 expand_animations=True):
    """Any of PNG, JPEG, BMP, GIF; GIFs give 4-D tensors unless
    ``expand_animations=False`` (first frame only)."""
    img = _open(contents, "decode_image")
    if img.format == "GIF" and expand_animations:
        out = decode_gif(contents)
        if channels not in (None, 0, 3):
            raise ValueError("decode_image: GIFs decode to 3 channels.")
        return _result(out.numpy(), dtype)
    return _result(_channels(img, channels, "decode_image"), dtype)


def decode_and_crop_jpeg(contents, crop_window, channels=0, ratio=1, fancy_upscaling=True,
                         try_recover_truncated=False, acceptable_fraction=1, dct_method="",
                         name=None):
    """JPEG bytes -> the [crop_height, crop_width, channels] uint8 window at
    ``crop_window`` = [crop_y, crop_x, crop_height, crop_width] of the decoded image."""
    window = np.asarray(crop_window.numpy() if hasattr(crop_window, "numpy") else crop_window)
    if window.shape != (4,):
        raise ValueError(f"decode_and_crop_jpeg: crop_window must be [crop_y, crop_x, "
                         f"crop_height, crop_width], got shape {window.shape}.")
    y, x, h, w = (int(v) for v in window)
    image = decode_jpeg(contents, channels, ratio).numpy()
    height, width = image.shape[:2]
    if h <= 0 or w <= 0 or y < 0 or x < 0 or y + h > height or x + w > width:
        raise InvalidArgumentError(f"decode_and_crop_jpeg: crop window [{y}, {x}, {h}, {w}] "
                                   f"is not inside the image of size {height}x{width}.")
    from ember.framework.tensor import EagerTensor
    return EagerTensor(np.ascontiguousarray(image[y:y + h, x:x + w]))


_SOF_MARKERS = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE,
                0xCF}


def extract_jpeg_shape(contents, output_type="int32", name=None):
    """[height, width, channels] of a JPEG, read from its frame header only."""
    from ember.framework import dtypes
    from ember.framework.tensor import EagerTensor
    data = as_bytes(contents, "extract_jpeg_shape")
    d = dtypes.as_dtype(output_type)
    if d not in (dtypes.int32, dtypes.int64):
        raise TypeError(f"extract_jpeg_shape: output_type must be int32 or int64, got "
                        f"{d.name}.")
    if data[:2] != b"\xff\xd8":
        raise InvalidArgumentError("extract_jpeg_shape: the contents are not a JPEG image "
                                   "(no start-of-image marker).")
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            i += 1
            continue
        marker = data[i + 1]
        if marker in (0xFF,):
            i += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):
            i += 2
            continue
        length = int.from_bytes(data[i + 2:i + 4], "big")
        if marker in _SOF_MARKERS:
            if i + 10 > len(data):
                break
            height = int.from_bytes(data[i + 5:i + 7], "big")
            width = int.from_bytes(data[i + 7:i + 9], "big")
            return EagerTensor(np.array([height, width, data[i + 9]], dtype=d.as_numpy_dtype))
        if marker == 0xDA:      # start of scan before any frame header
            break
        i += 2 + length
    raise InvalidArgumentError(f"extract_jpeg_shape: no JPEG frame header found in the "
                               f"contents ({len(data)} bytes).")


def decode_webp(contents, channels=0, dtype="uint8", name=None):
    """WebP bytes -> [frames, height, width, channels] uint8 (one frame for a still image;
    animations decode to RGBA). ``channels`` 0 keeps the file's, 3 or 4 must match it."""
    from ember.framework.tensor import EagerTensor
    if channels not in (0, 3, 4):
        raise ValueError(f"decode_webp: channels must be 0, 3 or 4, got {channels}.")
    img = _open(contents, "decode_webp", "WEBP")
    frames = getattr(img, "n_frames", 1)
    has_alpha = img.mode in ("RGBA", "LA", "RGBa") or "transparency" in img.info
    native = 4 if frames > 1 or has_alpha else 3
    if channels and channels != native:
        raise InvalidArgumentError(f"decode_webp: the image has {native} channels but "
                                   f"channels={channels} was requested; the number of "
                                   f"channels must match the file's.")
    mode = "RGBA" if native == 4 else "RGB"
    out = []
    for i in range(frames):
        img.seek(i)
        out.append(np.asarray(img.convert(mode)))
    from ember.framework import dtypes
    if dtypes.as_dtype(dtype) is not dtypes.uint8:
        raise TypeError(f"decode_webp: dtype must be uint8, got {dtype}.")
    return EagerTensor(np.ascontiguousarray(np.stack(out)))


def decode_jxl(contents, channels=0, dtype="uint8", name=None):
    """JPEG XL bytes -> [height, width, channels] uint8, when the installed Pillow can read
    JPEG XL (a plugin such as pillow-jxl-plugin); otherwise NotImplementedError."""
    try:
        import pillow_jxl  # noqa: F401  (registers the JPEG XL plugin with Pillow)
    except ImportError:
        pass
    _pil()
    from PIL import Image, features
    Image.init()
    supported = "JXL" in Image.OPEN or "jpegxl" in features.get_supported()
    if not supported:
        raise NotImplementedError("decode_jxl: this Pillow cannot read JPEG XL; install a "
                                  "JPEG XL plugin (pip install pillow-jxl-plugin).")
    if channels not in (0, 1, 3, 4):
        raise ValueError(f"decode_jxl: channels must be 0, 1, 3 or 4, got {channels}.")
    img = _open(contents, "decode_jxl", "JPEG XL")
    return _result(_channels(img, channels, "decode_jxl"), dtype)


def is_jpeg(contents, name=None):
    from ember.framework.tensor import EagerTensor
    return EagerTensor(np.array(as_bytes(contents, "is_jpeg")[:3] == b"\xff\xd8\xff"))


def _image_array(image, op):
    arr = image.numpy() if hasattr(image, "numpy") else np.asarray(image)
    if arr.ndim != 3 or arr.shape[-1] not in (1, 2, 3, 4):
        raise ValueError(f"{op}: expected a [height, width, channels] image with 1-4 "
                         f"channels, got shape {arr.shape}.")
    return arr


def _encode(arr, fmt, **kwargs):
    Image = _pil()
    from ember.io.files import string_scalar
    mode = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}[arr.shape[-1]]
    img = Image.fromarray(arr[..., 0] if arr.shape[-1] == 1 else arr, mode
                          if arr.dtype == np.uint8 else None)
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kwargs)
    return string_scalar(buf.getvalue())


def encode_png(image, compression=-1, name=None):
    arr = _image_array(image, "encode_png")
    if arr.dtype not in (np.uint8, np.uint16):
        raise TypeError(f"encode_png: the image must be uint8 or uint16, got {arr.dtype}.")
    level = 6 if compression is None or compression < 0 else int(compression)
    if arr.dtype == np.uint16:
        if arr.shape[-1] != 1:
            raise NotImplementedError("encode_png: 16-bit images are supported with one "
                                      "channel only in ember.")
        Image = _pil()
        from ember.io.files import string_scalar
        buf = io.BytesIO()
        Image.fromarray(arr[..., 0].astype(np.uint16)).save(buf, format="PNG",
                                                            compress_level=level)
        return string_scalar(buf.getvalue())
    return _encode(arr, "PNG", compress_level=level)


def encode_jpeg(image, format="", quality=95, progressive=False, optimize_size=False,
                chroma_downsampling=True, density_unit="in", x_density=300, y_density=300,
                xmp_metadata="", name=None):
    arr = _image_array(image, "encode_jpeg")
    if arr.dtype != np.uint8:
        raise TypeError(f"encode_jpeg: the image must be uint8, got {arr.dtype}.")
    if arr.shape[-1] not in (1, 3):
        raise ValueError(f"encode_jpeg: the image must have 1 or 3 channels, got "
                         f"{arr.shape[-1]}.")
    return _encode(arr, "JPEG", quality=int(quality), progressive=bool(progressive),
                   optimize=bool(optimize_size),
                   subsampling=-1 if chroma_downsampling else 0)
