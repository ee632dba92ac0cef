"""ember.image: the tf.image namespace (resizing, geometry, color, metrics, boxes, and
the image codecs from ember.io, loaded on first use)."""
from ember.ops.image_ops import *  # noqa: F401,F403
from ember.ops.image_geometry import *  # noqa: F401,F403
from ember.ops.image_color import *  # noqa: F401,F403
from ember.ops.image_metrics import *  # noqa: F401,F403
from ember.ops.image_boxes import *  # noqa: F401,F403
from ember.ops.image_sampling import *  # noqa: F401,F403

_CODECS = ("decode_png", "decode_jpeg", "decode_bmp", "decode_gif", "decode_image",
           "encode_png", "encode_jpeg", "is_jpeg", "decode_and_crop_jpeg",
           "extract_jpeg_shape", "decode_webp", "decode_jxl")


def __getattr__(name):
    if name in _CODECS:
        from ember.io import images
        return getattr(images, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
