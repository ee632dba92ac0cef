"""What summaries store, computed on NumPy arrays when a summary is written: histogram
buckets laid out as TensorBoard's histogram plugin expects, PNG images, WAV audio."""
from __future__ import annotations

import io
import struct
import wave
import zlib

import numpy as np

__all__ = ["histogram_buckets", "images_to_uint8", "encode_png", "encode_wav"]

DEFAULT_BUCKET_COUNT = 30


def histogram_buckets(data, bucket_count=None) -> np.ndarray:
    """A ``[k, 3]`` float64 array of ``[left_edge, right_edge, count]`` rows, as
    ``tf.summary.histogram`` lays them out: ``bucket_count`` (30) equal-width buckets
    between the minimum and the maximum (the last edge exactly the maximum); all data in
    the last of ``bucket_count`` zero-width buckets when every value is the same; zero
    rows of zeros for empty data, and no rows for ``bucket_count=0``."""
    count = DEFAULT_BUCKET_COUNT if bucket_count is None else max(0, int(bucket_count))
    data = np.asarray(data, dtype=np.float64).ravel()
    if data.size == 0 or count == 0:
        return np.zeros((count, 3), np.float64)
    lo, hi = data.min(), data.max()
    if lo == hi:
        counts = np.zeros(count, np.float64)
        counts[-1] = data.size
        edges = np.full(count, hi)
        return np.stack([edges, edges, counts], axis=1)
    width = (hi - lo) / count
    index = np.minimum(np.floor((data - lo) / width).astype(np.int64), count - 1)
    counts = np.bincount(index, minlength=count).astype(np.float64)
    edges = np.linspace(lo, hi, count + 1)
    edges[-1] = hi
    return np.stack([edges[:-1], edges[1:], counts], axis=1)


def images_to_uint8(images) -> np.ndarray:
    """uint8 pixels as ``tf.image.convert_image_dtype(..., tf.uint8, saturate=True)``
    makes them: floats in [0, 1] scaled by 255.5 and truncated, out-of-range saturated."""
    arr = np.asarray(images)
    if arr.dtype == np.uint8:
        return arr
    if arr.dtype.kind == "f" or arr.dtype.kind == "V":
        scaled = np.asarray(arr, np.float64) * 255.5
        return np.clip(scaled, 0, 255).astype(np.uint8)
    if arr.dtype.kind in "iu":
        shift = arr.dtype.itemsize * 8 - 8 - (arr.dtype.kind == "i")
        return np.clip(arr.astype(np.int64) >> max(shift, 0), 0, 255).astype(np.uint8)
    if arr.dtype == np.bool_:
        return arr.astype(np.uint8) * 255
    raise TypeError(f"image summary: unsupported image dtype {arr.dtype}")


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data +
            struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def encode_png(image) -> bytes:
    """A ``[height, width, channels]`` uint8 array (1, 2, 3 or 4 channels) as PNG bytes."""
    image = np.ascontiguousarray(image, dtype=np.uint8)
    if image.ndim != 3 or image.shape[-1] not in (1, 2, 3, 4):
        raise ValueError(f"encode_png: expected [height, width, 1|2|3|4] pixels, got "
                         f"shape {image.shape}")
    height, width, channels = image.shape
    color_type = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    rows = np.zeros((height, 1 + width * channels), np.uint8)    # filter byte 0 per row
    rows[:, 1:] = image.reshape(height, width * channels)
    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) +
            _png_chunk(b"IDAT", zlib.compress(rows.tobytes(), 6)) + _png_chunk(b"IEND", b""))


def encode_wav(samples, sample_rate: int) -> bytes:
    """``[frames, channels]`` floats in [-1, 1] as 16-bit PCM WAV bytes."""
    samples = np.asarray(samples, np.float64)
    if samples.ndim != 2:
        raise ValueError(f"encode_wav: expected [frames, channels] samples, got shape "
                         f"{samples.shape}")
    pcm = np.clip(np.round(samples * 32767.0), -32768, 32767).astype("<i2")
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(samples.shape[1])
        w.setsampwidth(2)
        w.setframerate(int(sample_rate))
        w.writeframes(pcm.tobytes())
    return out.getvalue()
