"""JPEG round trip (adjust_jpeg_quality) through Pillow, imported only when used."""
from __future__ import annotations

import io

import numpy as np

from ember.framework import dtypes
from ember.framework.op import Op


def _pillow():
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("adjust_jpeg_quality needs Pillow: pip install pillow") from None
    return Image


class _JpegRoundTrip(Op):
    """uint8 images (..., H, W, 1 or 3) and a quality scalar -> the decoded JPEG."""

    name = "AdjustJpegQuality"
    differentiable = False

    def infer(self, inputs):
        x, q = inputs
        if x.dtype != dtypes.uint8:
            raise TypeError(f"{self.name}: images must be uint8, got {x.dtype.name}")
        if x.shape.rank is not None and (x.shape.rank < 3 or x.shape[-1] not in (None, 1, 3)):
            raise ValueError(f"{self.name}: images must be (..., H, W, 1 or 3), got shape "
                             f"{x.shape}")
        return x.shape, x.dtype

    def kernel(self, xp, x, q):
        image = _pillow()
        quality = int(q)
        if not 0 <= quality <= 100:
            raise ValueError(f"{self.name}: jpeg_quality must be in [0, 100], got {quality}")
        flat = x.reshape((-1,) + x.shape[-3:])
        out = np.empty_like(flat)
        for i, img in enumerate(flat):
            pil = image.fromarray(img[..., 0] if img.shape[-1] == 1 else img)
            buf = io.BytesIO()
            pil.save(buf, format="JPEG", quality=quality)
            buf.seek(0)
            dec = np.asarray(image.open(buf).convert("L" if img.shape[-1] == 1 else "RGB"))
            out[i] = dec.reshape(img.shape)
        return out.reshape(x.shape)


JPEG_ROUND_TRIP = _JpegRoundTrip()
