"""``ember.io``: files, TFRecords, Example parsing and image codecs (``tf.io``)."""
from ember.io import gfile  # noqa: F401
from ember.io.csv_records import decode_csv  # noqa: F401
from ember.io.files import read_file, write_file  # noqa: F401
from ember.io.images import (  # noqa: F401
    decode_and_crop_jpeg, decode_bmp, decode_gif, decode_image, decode_jpeg, decode_jxl,
    decode_png, decode_webp, encode_jpeg, encode_png, extract_jpeg_shape, is_jpeg,
)
from ember.io.parsing import (  # noqa: F401
    FixedLenFeature, FixedLenSequenceFeature, VarLenFeature,
    parse_example, parse_single_example,
)
from ember.io.tensor_proto import decode_raw, parse_tensor, serialize_tensor  # noqa: F401
from ember.io.tfrecord import (  # noqa: F401
    TFRecordCompressionType, TFRecordOptions, TFRecordWriter, tf_record_iterator,
)


__all__ = ["gfile", "read_file", "write_file", "decode_bmp", "decode_gif", "decode_image",
           "decode_jpeg", "decode_png", "encode_jpeg", "encode_png", "is_jpeg",
           "decode_and_crop_jpeg", "extract_jpeg_shape", "decode_webp", "decode_jxl",
           "FixedLenFeature", "FixedLenSequenceFeature", "VarLenFeature",
           "parse_example", "parse_single_example", "TFRecordOptions", "TFRecordWriter",
           "TFRecordCompressionType", "tf_record_iterator", "decode_raw", "parse_tensor",
           "serialize_tensor", "decode_csv"]


def __getattr__(name):
    """``tf.io.write_graph`` (with the GraphDef support, loaded on first use)."""
    if name == "write_graph":
        import importlib
        return importlib.import_module("ember.compat.v1.graph_io").write_graph
    raise AttributeError(f"module 'ember.io' has no attribute {name!r}")
