"""Unicode ops: decode strings to code points, encode code points, transcode, scripts.

Encodings are Python codec names as TensorFlow spells them ("UTF-8", "UTF-16-BE",
"UTF-32-BE", "ISO-8859-1", ...). ``errors`` is TensorFlow's: "replace" puts
``replacement_char`` for each invalid sequence, "ignore" drops it, "strict" raises.
"""
from __future__ import annotations

import bisect
import codecs
import threading

import numpy as np

from ember.framework import dtypes
from ember.framework.errors import InvalidArgumentError
from ember.framework.tensor_shape import TensorShape
from ember.ops.string_ops import (
    RaggedOp, StringOp, bytes_array, need_string, need_string_array, ragged_result,
)

_ERRORS = ("strict", "replace", "ignore")


_OUTPUT_ENCODINGS = ("UTF-8", "UTF-16-BE", "UTF-32-BE")


def check_encoding(op_name, encoding, errors, output=False):
    """Any codec Python knows for input; TensorFlow's three for output."""
    if output and encoding not in _OUTPUT_ENCODINGS:
        raise InvalidArgumentError(f"{op_name}: output_encoding must be one of "
                                   f"{', '.join(_OUTPUT_ENCODINGS)}, got {encoding!r} "
                                   f"[Op:{op_name}]")
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise InvalidArgumentError(f"{op_name}: unknown encoding {encoding!r} "
                                   f"[Op:{op_name}]") from None
    if errors not in _ERRORS:
        raise InvalidArgumentError(f"{op_name}: errors must be one of {_ERRORS}, got "
                                   f"{errors!r} [Op:{op_name}]")


def _is_control(cp):
    return cp < 0x20 or 0x7F <= cp < 0xA0


def decode_one(op_name, s, encoding, errors, replacement_char, replace_controls):
    """Code points and their byte offsets for one string."""
    spans = _recorded.spans = []
    text = s.decode(encoding, "ember_record")
    if spans and errors == "strict":
        raise InvalidArgumentError(f"{op_name}: invalid {encoding} data in {s!r} at byte "
                                   f"{spans[0][0]} [Op:{op_name}]")
    enc_len = _unit_lengths(encoding)
    points, offsets = [], []
    pos, k = 0, 0
    for ch in text:
        while k < len(spans) and spans[k][0] <= pos:
            if errors == "replace":
                points.append(replacement_char)
                offsets.append(spans[k][0])
            pos = spans[k][1]
            k += 1
        cp = ord(ch)
        points.append(replacement_char if replace_controls and _is_control(cp) else cp)
        offsets.append(pos)
        pos += enc_len(ch)
    for start, _ in spans[k:]:
        if errors == "replace":
            points.append(replacement_char)
            offsets.append(start)
    return points, offsets


_recorded = threading.local()


def _record(err):
    """Codec error handler: notes where invalid input was and skips it."""
    _recorded.spans.append((err.start, err.end))
    return ("", err.end)


codecs.register_error("ember_record", _record)


def _unit_lengths(encoding):
    name = codecs.lookup(encoding).name
    if name == "utf-8":
        return lambda ch: 1 if ord(ch) < 0x80 else 2 if ord(ch) < 0x800 else \
            3 if ord(ch) < 0x10000 else 4
    return lambda ch: len(ch.encode(encoding, "surrogatepass"))


def encode_points(op_name, points, encoding, errors, replacement_char):
    chars = []
    for cp in points:
        if 0 <= cp <= 0x10FFFF and not 0xD800 <= cp <= 0xDFFF:
            chars.append(chr(cp))
        elif errors == "replace":
            chars.append(chr(replacement_char))
        elif errors == "strict":
            raise InvalidArgumentError(f"{op_name}: code point {cp} is not valid "
                                       f"[Op:{op_name}]")
    text = "".join(chars)
    try:
        return text.encode(encoding)
    except UnicodeEncodeError as e:
        if errors == "strict":
            raise InvalidArgumentError(f"{op_name}: {e} [Op:{op_name}]") from None
        sub = chr(replacement_char) if errors == "replace" else ""
        return "".join(c if _encodable(c, encoding) else sub for c in text).encode(
            encoding, "replace" if errors == "replace" else "ignore")


def _encodable(c, encoding):
    try:
        c.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


class _UnicodeDecode(RaggedOp):
    """(code points, row_splits) or, with offsets, (code points, offsets, row_splits)."""

    def __init__(self, name, with_offsets):
        super().__init__(name)
        self.with_offsets = with_offsets
        self.out_dtypes = (dtypes.int32, dtypes.int64, dtypes.int64) if with_offsets else \
            (dtypes.int32, dtypes.int64)
        self.num_outputs = len(self.out_dtypes)
        self.multi_output = True

    def infer(self, inputs, input_encoding, errors, replacement_char,
              replace_control_characters):
        check_encoding(self.name, input_encoding, errors)
        return super().infer(inputs)

    def kernel(self, xp, a, input_encoding, errors, replacement_char,
               replace_control_characters):
        need_string_array(self.name, a)
        check_encoding(self.name, input_encoding, errors)
        decoded = [decode_one(self.name, s, input_encoding, errors, replacement_char,
                              replace_control_characters) for s in a.tolist()]
        points, splits = ragged_result(self.name, [d[0] for d in decoded], dtypes.int32)
        if not self.with_offsets:
            return points, splits
        offsets, _ = ragged_result(self.name, [d[1] for d in decoded], dtypes.int64)
        return points, offsets, splits


UNICODE_DECODE = _UnicodeDecode("UnicodeDecode", False)
UNICODE_DECODE_WITH_OFFSETS = _UnicodeDecode("UnicodeDecodeWithOffsets", True)


class _UnicodeEncode(StringOp):
    """Strings from (code points, row_splits): one string per row."""

    name = "UnicodeEncode"

    def infer(self, inputs, output_encoding, errors, replacement_char):
        check_encoding(self.name, output_encoding, errors, output=True)
        points, splits = inputs
        if not points.dtype.is_integer:
            raise InvalidArgumentError(f"UnicodeEncode: input must hold integer code points, "
                                       f"got {points.dtype.name} [Op:UnicodeEncode]")
        n = splits.shape[0] if splits.shape.rank == 1 else None
        return TensorShape([None if n is None else n - 1]), dtypes.string

    def kernel(self, xp, points, splits, output_encoding, errors, replacement_char):
        check_encoding(self.name, output_encoding, errors, output=True)
        pts = points.tolist()
        s = splits.tolist()
        return bytes_array([encode_points(self.name, pts[a:b], output_encoding, errors,
                                          replacement_char) for a, b in zip(s[:-1], s[1:])],
                           (max(len(s) - 1, 0),))


UNICODE_ENCODE = _UnicodeEncode()


class _UnicodeTranscode(StringOp):
    name = "UnicodeTranscode"

    def infer(self, inputs, input_encoding, output_encoding, errors, replacement_char,
              replace_control_characters):
        need_string(self.name, inputs[0].dtype)
        check_encoding(self.name, input_encoding, errors)
        check_encoding(self.name, output_encoding, errors, output=True)
        return inputs[0].shape, dtypes.string

    def kernel(self, xp, a, input_encoding, output_encoding, errors, replacement_char,
               replace_control_characters):
        need_string_array(self.name, a)
        check_encoding(self.name, input_encoding, errors)
        check_encoding(self.name, output_encoding, errors, output=True)

        def one(s):
            pts, _ = decode_one(self.name, s, input_encoding, errors, replacement_char,
                                replace_control_characters)
            return encode_points(self.name, pts, output_encoding, errors, replacement_char)
        return bytes_array([one(s) for s in a.reshape(-1).tolist()], a.shape)


UNICODE_TRANSCODE = _UnicodeTranscode()


# ------------------------------------------------------------------------- scripts ---
# ICU's UScriptCode numbers for the scripts of the main Unicode blocks.
COMMON, INHERITED, UNKNOWN = 0, 1, 103
_SCRIPT_RANGES = [  # (first, last, code): sorted, not overlapping
    (0x0000, 0x0040, 0), (0x0041, 0x005A, 25), (0x005B, 0x0060, 0), (0x0061, 0x007A, 25),
    (0x007B, 0x00A9, 0), (0x00AA, 0x00AA, 25), (0x00AB, 0x00B9, 0), (0x00BA, 0x00BA, 25),
    (0x00BB, 0x00BF, 0), (0x00C0, 0x00D6, 25), (0x00D7, 0x00D7, 0), (0x00D8, 0x00F6, 25),
    (0x00F7, 0x00F7, 0), (0x00F8, 0x02B8, 25), (0x02B9, 0x02DF, 0), (0x02E0, 0x02E4, 25),
    (0x02E5, 0x02FF, 0), (0x0300, 0x036F, 1), (0x0370, 0x0373, 14), (0x0374, 0x0374, 0),
    (0x0375, 0x037D, 14), (0x037E, 0x037E, 0), (0x037F, 0x0384, 14), (0x0385, 0x0385, 0),
    (0x0386, 0x0386, 14), (0x0387, 0x0387, 0), (0x0388, 0x03E1, 14), (0x03E2, 0x03EF, 7),
    (0x03F0, 0x03FF, 14), (0x0400, 0x0484, 8), (0x0485, 0x0486, 1), (0x0487, 0x052F, 8),
    (0x0531, 0x0588, 3), (0x0589, 0x0589, 0), (0x058A, 0x058F, 3), (0x0591, 0x05FF, 19),
    (0x0600, 0x0604, 2), (0x0605, 0x0605, 0), (0x0606, 0x060B, 2), (0x060C, 0x060C, 0),
    (0x060D, 0x061A, 2), (0x061B, 0x061B, 0), (0x061C, 0x061E, 2), (0x061F, 0x061F, 0),
    (0x0620, 0x063F, 2), (0x0640, 0x0640, 0), (0x0641, 0x064A, 2), (0x064B, 0x0655, 1),
    (0x0656, 0x066F, 2), (0x0670, 0x0670, 1), (0x0671, 0x06DC, 2), (0x06DD, 0x06DD, 0),
    (0x06DE, 0x06FF, 2), (0x0700, 0x074F, 34), (0x0750, 0x077F, 2), (0x0780, 0x07B1, 37),
    (0x07C0, 0x07FA, 87), (0x0800, 0x083E, 126),
    (0x08A0, 0x08FF, 2), (0x0900, 0x0950, 10), (0x0951, 0x0954, 1), (0x0955, 0x0963, 10),
    (0x0964, 0x0965, 0), (0x0966, 0x097F, 10), (0x0980, 0x09FF, 4), (0x0A00, 0x0A7F, 16),
    (0x0A80, 0x0AFF, 15), (0x0B00, 0x0B7F, 31), (0x0B80, 0x0BFF, 35), (0x0C00, 0x0C7F, 36),
    (0x0C80, 0x0CFF, 21), (0x0D00, 0x0D7F, 26), (0x0D80, 0x0DFF, 33), (0x0E00, 0x0E3E, 38),
    (0x0E3F, 0x0E3F, 0), (0x0E40, 0x0E7F, 38), (0x0E80, 0x0EFF, 24), (0x0F00, 0x0FD4, 39),
    (0x0FD5, 0x0FD8, 0), (0x0FD9, 0x0FFF, 39), (0x1000, 0x109F, 28), (0x10A0, 0x10FA, 12),
    (0x10FB, 0x10FB, 0), (0x10FC, 0x10FF, 12), (0x1100, 0x11FF, 18), (0x1200, 0x139F, 11),
    (0x13A0, 0x13FF, 6), (0x1400, 0x167F, 40), (0x1680, 0x169F, 29), (0x16A0, 0x16EA, 32),
    (0x16EB, 0x16ED, 0), (0x16EE, 0x16F8, 32), (0x1780, 0x17FF, 23), (0x1800, 0x1801, 27),
    (0x1802, 0x1803, 0), (0x1804, 0x1804, 27), (0x1805, 0x1805, 0), (0x1806, 0x18AF, 27),
    (0x19E0, 0x19FF, 23), (0x1AB0, 0x1AC0, 1), (0x1B00, 0x1B7C, 62), (0x1B80, 0x1BBF, 113),
    (0x1C00, 0x1C4F, 82), (0x1C80, 0x1C8F, 8), (0x1D00, 0x1D25, 25),
    (0x1DC0, 0x1DFF, 1), (0x1E00, 0x1EFF, 25), (0x1F00, 0x1FFF, 14), (0x2000, 0x200B, 0),
    (0x200C, 0x200D, 1), (0x200E, 0x2070, 0), (0x2071, 0x2071, 25), (0x2072, 0x207E, 0),
    (0x207F, 0x207F, 25), (0x2080, 0x208F, 0), (0x2090, 0x209C, 25), (0x20A0, 0x20CF, 0),
    (0x20D0, 0x20FF, 1), (0x2100, 0x2125, 0), (0x2126, 0x2126, 14), (0x2127, 0x2129, 0),
    (0x212A, 0x212B, 25), (0x212C, 0x2131, 0), (0x2132, 0x2132, 25), (0x2133, 0x214D, 0),
    (0x214E, 0x214E, 25), (0x214F, 0x215F, 0), (0x2160, 0x2188, 25), (0x2189, 0x27FF, 0),
    (0x2800, 0x28FF, 46), (0x2900, 0x2BFF, 0), (0x2C00, 0x2C5F, 56),
    (0x2C60, 0x2C7F, 25), (0x2C80, 0x2CFF, 7), (0x2D00, 0x2D2F, 12), (0x2D30, 0x2D7F, 60),
    (0x2D80, 0x2DDF, 11),
    (0x2DE0, 0x2DFF, 8), (0x2E00, 0x2E7F, 0), (0x2E80, 0x2FDF, 17), (0x2FF0, 0x3004, 0),
    (0x3005, 0x3005, 17), (0x3006, 0x3006, 0), (0x3007, 0x3007, 17), (0x3008, 0x3020, 0),
    (0x3021, 0x3029, 17), (0x302A, 0x302D, 1), (0x302E, 0x3037, 0), (0x3038, 0x303B, 17),
    (0x303C, 0x303F, 0), (0x3041, 0x3096, 20), (0x3099, 0x309A, 1), (0x309B, 0x309C, 0),
    (0x309D, 0x309F, 20), (0x30A0, 0x30A0, 0), (0x30A1, 0x30FA, 22), (0x30FB, 0x30FC, 0),
    (0x30FD, 0x30FF, 22), (0x3105, 0x312F, 5), (0x3131, 0x318E, 18), (0x31A0, 0x31BF, 5),
    (0x31F0, 0x31FF, 22), (0x3400, 0x4DBF, 17), (0x4DC0, 0x4DFF, 0), (0x4E00, 0x9FFF, 17),
    (0xA000, 0xA4CF, 41), (0xA500, 0xA62B, 99), (0xA640, 0xA69F, 8),
    (0xA6A0, 0xA6F7, 130), (0xA720, 0xA721, 0), (0xA722, 0xA787, 25),
    (0xA788, 0xA78A, 0), (0xA78B, 0xA7FF, 25), (0xA960, 0xA97F, 18), (0xAB70, 0xABBF, 6),
    (0xAC00, 0xD7AF, 18), (0xD7B0, 0xD7FF, 18), (0xF900, 0xFAFF, 17), (0xFB00, 0xFB06, 25),
    (0xFB13, 0xFB17, 3), (0xFB1D, 0xFB4F, 19), (0xFB50, 0xFDFF, 2), (0xFE00, 0xFE0F, 1),
    (0xFE20, 0xFE2F, 1), (0xFE30, 0xFE6F, 0), (0xFE70, 0xFEFE, 2), (0xFEFF, 0xFF20, 0),
    (0xFF21, 0xFF3A, 25), (0xFF3B, 0xFF40, 0), (0xFF41, 0xFF5A, 25), (0xFF5B, 0xFF65, 0),
    (0xFF66, 0xFF6F, 22), (0xFF70, 0xFF70, 0), (0xFF71, 0xFF9D, 22), (0xFF9E, 0xFF9F, 0),
    (0xFFA0, 0xFFDC, 18), (0xFFE0, 0xFFFD, 0), (0x10000, 0x100FA, 49),
    (0x10400, 0x1044F, 9), (0x12000, 0x1254F, 101), (0x13000, 0x1343F, 71),
    (0x16800, 0x16A38, 130), (0x17000, 0x18AFF, 154), (0x1B001, 0x1B11F, 20),
    (0x1D000, 0x1D0F5, 0), (0x1D400, 0x1D7FF, 0), (0x1F000, 0x1FBFF, 0), (0x20000, 0x3134F, 17),
    (0xE0001, 0xE007F, 0), (0xE0100, 0xE01EF, 1),
]
_FIRSTS = [r[0] for r in _SCRIPT_RANGES]


def script_of(cp):
    """ICU's script code of a code point; UNKNOWN (103) outside the table, -1 if invalid."""
    if not 0 <= cp <= 0x10FFFF:
        return -1
    i = bisect.bisect_right(_FIRSTS, cp) - 1
    if i >= 0 and cp <= _SCRIPT_RANGES[i][1]:
        return _SCRIPT_RANGES[i][2]
    return UNKNOWN


class _UnicodeScript(StringOp):
    name = "UnicodeScript"

    def infer(self, inputs):
        if inputs[0].dtype is not dtypes.int32:
            raise InvalidArgumentError(f"UnicodeScript: input must be int32 code points, got "
                                       f"{inputs[0].dtype.name} [Op:UnicodeScript]")
        return inputs[0].shape, dtypes.int32

    def kernel(self, xp, a):
        if a.dtype != np.int32:
            raise InvalidArgumentError(f"UnicodeScript: input must be int32 code points, got "
                                       f"{a.dtype} [Op:UnicodeScript]")
        return np.array([script_of(int(c)) for c in a.reshape(-1).tolist()],
                        dtype=np.int32).reshape(a.shape)


UNICODE_SCRIPT = _UnicodeScript()
