"""String ops (TensorFlow's string kernels): case, strip, length, substr, regexes, joins,
number conversion, formatting, splitting, n-grams, hashing.

String tensors hold object arrays of ``bytes``. Text has no vectorized form in NumPy, so
the kernels map Python's bytes methods over the elements (hashing is vectorized by length
in ``string_hash``). None of these ops is differentiable. Ops whose result is ragged
(split, n-grams) take and give ``(values, row_splits)`` pairs; ``ember.strings`` wraps
them in ``RaggedTensor``.
"""
from __future__ import annotations

import re

import numpy as np

from ember.framework import dtypes
from ember.framework.errors import InvalidArgumentError
from ember.framework.op import Op, Spec
from ember.framework.tensor_shape import TensorShape, broadcast_static
from ember.ops import string_hash

_OBJECT = np.dtype(object)


def need_string(op_name, dtype, what="input"):
    if dtype is not dtypes.string:
        raise InvalidArgumentError(f"{op_name}: {what} must be a string tensor, got "
                                   f"{dtype.name} [Op:{op_name}]")


def need_string_array(op_name, a, what="input"):
    if a.dtype != _OBJECT:
        need_string(op_name, dtypes.from_numpy(a.dtype), what)


def bytes_array(items, shape):
    """An object array of ``shape`` from a flat list of bytes."""
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out.reshape(shape)


def map_strings(fn, a, out_dtype=dtypes.string):
    """``fn`` on each element of the object array ``a``; an array of ``out_dtype``."""
    flat = a.reshape(-1).tolist()
    if out_dtype is dtypes.string:
        return bytes_array([fn(s) for s in flat], a.shape)
    return np.array([fn(s) for s in flat], dtype=out_dtype.np).reshape(a.shape)


class StringOp(Op):
    """Base of the string ops: they take strings and have no gradient."""

    strings = True
    differentiable = False


class StringMap(StringOp):
    """An elementwise op on one string tensor: ``make(**attrs)`` gives the function applied
    to each element (made once per run, e.g. a compiled regular expression)."""

    def __init__(self, name, make, out_dtype=dtypes.string):
        super().__init__(name)
        self.make = make
        self.out_dtype = out_dtype

    def infer(self, inputs, **attrs):
        need_string(self.name, inputs[0].dtype)
        self.make(**attrs)
        return inputs[0].shape, self.out_dtype

    def kernel(self, xp, a, **attrs):
        need_string_array(self.name, a)
        return map_strings(self.make(**attrs), a, self.out_dtype)


def _case(method):
    def make(encoding):
        if not encoding:
            return getattr(bytes, method)
        return lambda s: getattr(s.decode(encoding), method)().encode(encoding)
    return make


def _utf8_chars(s):
    """Number of UTF-8 characters: the bytes that do not continue a character."""
    return len(s) - sum(1 for b in s if b & 0xC0 == 0x80)


def _length(unit):
    return len if unit == "BYTE" else _utf8_chars


def _compiled(pattern):
    try:
        return re.compile(pattern)
    except re.error as e:
        raise InvalidArgumentError(f"Invalid pattern: {pattern!r}, error: {e}") from None


def _full_match(pattern):
    rx = _compiled(pattern)
    return lambda s: rx.fullmatch(s) is not None


def _rewrite_parts(rewrite):
    """RE2 rewrite text (``\\0``..``\\9`` groups, ``\\\\`` a backslash) as literal bytes and
    group numbers."""
    parts, i, lit = [], 0, bytearray()
    while i < len(rewrite):
        c = rewrite[i:i + 1]
        if c == b"\\" and i + 1 < len(rewrite):
            nxt = rewrite[i + 1:i + 2]
            if nxt.isdigit():
                parts.append(bytes(lit))
                parts.append(int(nxt))
                lit = bytearray()
                i += 2
                continue
            if nxt == b"\\":
                lit += b"\\"
                i += 2
                continue
            raise InvalidArgumentError(f"Invalid rewrite pattern: {rewrite!r}: a backslash "
                                       f"must be followed by a digit or a backslash")
        lit += c
        i += 1
    parts.append(bytes(lit))
    return parts


_EMPTY_MATCHERS = re.compile(rb"\\[bBAZ]|\(\?[=!<]|[$^]")


def _replace(pattern, rewrite, replace_global):
    rx = _compiled(pattern)
    parts = _rewrite_parts(rewrite)
    if rx.match(b"") is None and _EMPTY_MATCHERS.search(pattern) is None:
        # no empty matches: Python's own substitution (in C) agrees with RE2
        template = b"".join(p.replace(b"\\", b"\\\\") if isinstance(p, bytes)
                            else b"\\g<%d>" % p for p in parts)
        count = 0 if replace_global else 1
        return lambda s: rx.sub(template, s, count)

    def one(s):
        out, pos, last_end = [], 0, -1
        for m in rx.finditer(s):
            if m.start() == m.end() == last_end:
                continue      # RE2 skips an empty match right after a match (Python takes it)
            out.append(s[pos:m.start()])
            out.extend(p if isinstance(p, bytes) else (m.group(p) or b"") for p in parts)
            pos = last_end = m.end()
            if not replace_global:
                break
        out.append(s[pos:])
        return b"".join(out)
    return one


_NUMBER_TEXT = re.compile(rb"\s*[-+]?(\d+\.?\d*([eE][-+]?\d+)?|\.\d+([eE][-+]?\d+)?|inf|"
                          rb"infinity|nan)\s*", re.IGNORECASE)
_INT_TEXT = re.compile(rb"\s*[-+]?\d+\s*")


def _to_number(s, out_type):
    pattern = _NUMBER_TEXT if out_type.is_floating else _INT_TEXT
    if pattern.fullmatch(s) is None:
        raise InvalidArgumentError(f"StringToNumberOp could not correctly convert string: "
                                   f"{s.decode('utf-8', 'replace')} [Op:StringToNumber]")
    if out_type.is_floating:
        return float(s)
    v = int(s)
    info = np.iinfo(out_type.np)
    if not info.min <= v <= info.max:
        raise InvalidArgumentError(f"StringToNumberOp could not correctly convert string: "
                                   f"{s.decode()} (out of range for {out_type.name}) "
                                   f"[Op:StringToNumber]")
    return v


LOWER = StringMap("StringLower", _case("lower"))
UPPER = StringMap("StringUpper", _case("upper"))
STRIP = StringMap("StringStrip", lambda: bytes.strip)
LENGTH = StringMap("StringLength", _length, dtypes.int32)
REGEX_FULL_MATCH = StringMap("StaticRegexFullMatch", _full_match, dtypes.bool)
REGEX_REPLACE = StringMap("StaticRegexReplace", _replace)


class _ToNumber(StringOp):
    name = "StringToNumber"

    def infer(self, inputs, out_type):
        need_string(self.name, inputs[0].dtype)
        return inputs[0].shape, out_type

    def kernel(self, xp, a, out_type):
        need_string_array(self.name, a)
        return map_strings(lambda s: _to_number(s, out_type), a, out_type)


TO_NUMBER = _ToNumber()


def _as_string_format(dtype, precision, scientific, shortest, width, fill):
    if len(fill) > 1:
        raise InvalidArgumentError(f"Fill string must be one or fewer characters, got "
                                   f"{fill!r} [Op:AsString]")
    if fill and fill not in " +-0#":
        raise InvalidArgumentError(f'Fill argument not supported: "{fill}" (one of " ", "+", '
                                   f'"-", "0", "#") [Op:AsString]')
    if scientific and shortest:
        raise InvalidArgumentError("Cannot select both scientific and shortest notation "
                                   "[Op:AsString]")
    spec = "%" + fill + (str(width) if width > -1 else "")
    if dtype.is_floating or dtype.is_complex:
        if precision > -1:
            spec += f".{precision}"
        return spec + ("g" if shortest else "e" if scientific else "f")
    if precision > -1 or scientific or shortest:
        raise InvalidArgumentError(f"Cannot select precision, scientific or shortest for "
                                   f"{dtype.name} [Op:AsString]")
    return spec + ("d" if dtype.is_integer else "s")


class _AsString(StringOp):
    name = "AsString"

    def infer(self, inputs, **attrs):
        d = inputs[0].dtype
        _as_string_format(d, **attrs)
        return inputs[0].shape, dtypes.string

    def kernel(self, xp, a, precision, scientific, shortest, width, fill):
        d = dtypes.from_numpy(a.dtype)
        spec = _as_string_format(d, precision, scientific, shortest, width, fill)
        flat = a.reshape(-1).tolist()
        if d.is_bool:        # TensorFlow ignores width and fill for bools
            return bytes_array([b"true" if v else b"false" for v in flat], a.shape)
        if d is dtypes.string:
            flat = [v.decode("utf-8", "replace") for v in flat]
        if d.is_complex:
            out = [f"({spec % v.real},{spec % v.imag})" for v in flat]
        else:
            out = [spec % v for v in flat]
        return bytes_array([s.encode() for s in out], a.shape)


AS_STRING = _AsString()


# ---------------------------------------------------------------------------- format ---

def _float_text(v, np_type):
    """TensorFlow's float printing: %g with the type's digits, more when needed to round
    trip (6 then 9 digits for float32, 15 then 17 for float64)."""
    digits = (6, 9) if np_type in (np.float32, np.float16) else (15, 17)
    if not np.isfinite(v):
        return "nan" if np.isnan(v) else ("inf" if v > 0 else "-inf")
    text = "%.*g" % (digits[0], v)
    if np_type(float(text)) != v:
        text = "%.*g" % (digits[1], v)
    return text


def _element_text(v, kind, np_type):
    if kind == "O":
        return '"' + v.decode("utf-8", "replace") + '"'
    if kind == "b":
        return "1" if v else "0"
    if kind == "f":
        return _float_text(np_type(v), np_type)
    if kind == "c":
        return f"({_float_text(v.real, np.float64)},{_float_text(v.imag, np.float64)})"
    return str(int(v))


def summarize_value(arr, n):
    """A tensor's value as ``tf.strings.format``/``tf.print`` show it: ``n`` first and last
    entries of each dimension (all of them when ``n`` is negative), rows on new lines."""
    kind, np_type = arr.dtype.kind, arr.dtype.type
    if arr.ndim == 0:
        return _element_text(arr[()], kind, np_type)

    def block(a, depth):
        size = a.shape[0]
        cut = n >= 0 and size > 2 * n
        idx = list(range(n)) + [None] + list(range(size - n, size)) if cut else range(size)
        if a.ndim == 1:
            items = ["..." if i is None else _element_text(a[i], kind, np_type) for i in idx]
            return "[" + " ".join(items) + "]"
        sep = "\n" * (a.ndim - 1) + " " * (depth + 1)
        items = ["..." if i is None else block(a[i], depth + 1) for i in idx]
        return "[" + sep.join(items) + "]"

    return block(arr, 0)


class _StringFormat(StringOp):
    name = "StringFormat"

    def infer(self, inputs, template, placeholder, summarize):
        self._pieces(template, placeholder, len(inputs))
        return TensorShape([]), dtypes.string

    def _pieces(self, template, placeholder, n):
        pieces = template.split(placeholder)
        if len(pieces) - 1 != n:
            raise InvalidArgumentError(f"Num placeholders in template and num inputs must "
                                       f"match: {len(pieces) - 1} vs. {n} [Op:StringFormat]")
        return pieces

    def kernel(self, xp, *arrays, template, placeholder, summarize):
        pieces = self._pieces(template, placeholder, len(arrays))
        text = pieces[0]
        for a, piece in zip(arrays, pieces[1:]):
            text += summarize_value(np.asarray(a), summarize) + piece
        return np.array(text.encode("utf-8"), dtype=object)


STRING_FORMAT = _StringFormat()


# ----------------------------------------------------------------------------- joins ---

class _StringJoin(StringOp):
    name = "StringJoin"

    def infer(self, inputs, separator):
        shape = TensorShape([])
        for i, s in enumerate(inputs):
            need_string(self.name, s.dtype, f"input #{i}")
            shape = broadcast_static(shape, s.shape, self.name)
        return shape, dtypes.string

    def kernel(self, xp, *arrays, separator):
        for i, a in enumerate(arrays):
            need_string_array(self.name, a, f"input #{i}")
        try:
            parts = np.broadcast_arrays(*arrays)
        except ValueError:
            raise InvalidArgumentError(f"StringJoin: inputs must have one shape or be scalars, "
                                       f"got {[list(a.shape) for a in arrays]} "
                                       f"[Op:StringJoin]") from None
        sep = separator
        flat = [p.reshape(-1).tolist() for p in parts]
        shape = parts[0].shape if parts else ()
        return bytes_array([sep.join(row) for row in zip(*flat)], shape)


STRING_JOIN = _StringJoin()


def _reduce_axes(rank, axis, op_name):
    if axis is None:
        return tuple(range(rank))
    out = []
    for a in axis:
        if not -rank <= a < max(rank, 1):
            raise InvalidArgumentError(f"{op_name}: axis {a} is out of range for a tensor of "
                                       f"rank {rank} [Op:{op_name}]")
        out.append(a % rank if rank else 0)
    return tuple(sorted(set(out)))


class _ReduceJoin(StringOp):
    name = "ReduceJoin"

    def infer(self, inputs, axis, keep_dims, separator):
        x = inputs[0]
        need_string(self.name, x.dtype)
        if x.shape.rank is None:
            return TensorShape(None), dtypes.string
        axes = _reduce_axes(x.shape.rank, axis, self.name)
        dims = [1 if i in axes else d for i, d in enumerate(x.shape.as_list())
                if keep_dims or i not in axes]
        return TensorShape(dims), dtypes.string

    def kernel(self, xp, a, axis, keep_dims, separator):
        need_string_array(self.name, a)
        axes = _reduce_axes(a.ndim, axis, self.name)
        kept = [i for i in range(a.ndim) if i not in axes]
        moved = np.transpose(a, kept + list(axes))
        rows = moved.reshape(int(np.prod([a.shape[i] for i in kept], dtype=np.int64)), -1)
        out = bytes_array([separator.join(r) for r in rows.tolist()],
                          [a.shape[i] for i in kept])
        if keep_dims:
            out = out.reshape([1 if i in axes else d for i, d in enumerate(a.shape)])
        return out


REDUCE_JOIN = _ReduceJoin()


class _UnsortedSegmentJoin(StringOp):
    name = "UnsortedSegmentJoin"

    def infer(self, inputs, separator):
        x, ids, n = inputs
        need_string(self.name, x.dtype)
        if not ids.dtype.is_integer:
            raise InvalidArgumentError(f"{self.name}: segment_ids must be integers, got "
                                       f"{ids.dtype.name} [Op:{self.name}]")
        nv = None if n.value is None else int(n.value)
        rest = x.shape[ids.shape.rank:] if x.shape.rank is not None and \
            ids.shape.rank is not None else None
        if rest is None:
            return TensorShape(None), dtypes.string
        return TensorShape([nv]).concatenate(rest), dtypes.string

    def kernel(self, xp, a, ids, n, separator):
        need_string_array(self.name, a)
        n = int(n)
        if a.shape[:ids.ndim] != ids.shape:
            raise InvalidArgumentError(f"{self.name}: segment_ids shape {list(ids.shape)} must "
                                       f"be a prefix of the input shape {list(a.shape)} "
                                       f"[Op:{self.name}]")
        flat_ids = ids.reshape(-1).tolist()
        rows = a.reshape(len(flat_ids), -1)
        inner = a.shape[ids.ndim:]
        groups = [[[] for _ in range(rows.shape[1])] for _ in range(n)]
        for r, s in enumerate(flat_ids):
            if not 0 <= s < n:
                raise InvalidArgumentError(f"{self.name}: segment_ids[{r}] = {s} is out of "
                                           f"range [0, {n}) [Op:{self.name}]")
            for j, v in enumerate(rows[r].tolist()):
                groups[s][j].append(v)
        return bytes_array([separator.join(g) for seg in groups for g in seg],
                           (n,) + inner)


UNSORTED_SEGMENT_JOIN = _UnsortedSegmentJoin()


# ------------------------------------------------------------------------- substrings ---

def _char_starts(s):
    """Byte offsets where each UTF-8 character starts, plus the end."""
    return [i for i, b in enumerate(s) if b & 0xC0 != 0x80] + [len(s)]


class _Substr(StringOp):
    name = "Substr"

    def infer(self, inputs, unit):
        x, pos, length = inputs
        need_string(self.name, x.dtype)
        for what, t in (("pos", pos), ("len", length)):
            if not t.dtype.is_integer:
                raise InvalidArgumentError(f"Substr: {what} must be an integer tensor, got "
                                           f"{t.dtype.name} [Op:Substr]")
        shape = broadcast_static(x.shape, pos.shape, self.name)
        return broadcast_static(shape, length.shape, self.name), dtypes.string

    def kernel(self, xp, a, pos, length, unit):
        need_string_array(self.name, a)
        try:
            a, pos, length = np.broadcast_arrays(a, pos, length)
        except ValueError:
            raise InvalidArgumentError(f"Substr: pos {list(pos.shape)} and len "
                                       f"{list(length.shape)} must broadcast with the input "
                                       f"{list(a.shape)} [Op:Substr]") from None
        out = []
        for i, (s, p, n) in enumerate(zip(a.reshape(-1).tolist(), pos.reshape(-1).tolist(),
                                          length.reshape(-1).tolist())):
            starts = _char_starts(s) if unit == "UTF8_CHAR" else None
            size = len(starts) - 1 if starts is not None else len(s)
            q = p + size if p < 0 else p
            if q < 0 or q > size:
                raise InvalidArgumentError(f"pos {p} out of range for string {s!r} at index "
                                           f"{i} [Op:Substr]")
            end = size if n < 0 else min(q + n, size)     # TF: a negative len reaches the end
            out.append(s[q:end] if starts is None else s[starts[q]:starts[end]])
        return bytes_array(out, a.shape)


SUBSTR = _Substr()


# ---------------------------------------------------------------- ragged-valued ops ---

def ragged_result(op_name, rows, dtype):
    """(values, row_splits) arrays from a list of rows (lists of elements)."""
    lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
    splits = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    flat = [v for r in rows for v in r]
    values = bytes_array(flat, (len(flat),)) if dtype is dtypes.string else \
        np.array(flat, dtype=dtype.np).reshape(len(flat))
    return values, splits


class RaggedOp(StringOp):
    """An op giving a ragged result as (values, row_splits[, more]) from a 1-D input."""

    num_outputs = 2
    data_dependent_shape = True
    out_dtypes = (dtypes.string, dtypes.int64)

    def infer(self, inputs, **attrs):
        self.check_inputs(inputs)
        return [(TensorShape([None]), d) for d in self.out_dtypes[:-1]] + \
            [(TensorShape([None]), self.out_dtypes[-1])]

    def check_inputs(self, inputs):
        need_string(self.name, inputs[0].dtype)
        if inputs[0].shape.rank not in (None, 1):
            raise InvalidArgumentError(f"{self.name}: input must be 1-D, got shape "
                                       f"{inputs[0].shape} [Op:{self.name}]")


class _StringSplit(RaggedOp):
    name = "StringSplitV2"

    def kernel(self, xp, a, sep, maxsplit):
        need_string_array(self.name, a)
        if sep == b"":
            rows = [s.split(None, maxsplit) if maxsplit >= 0 else s.split()
                    for s in a.tolist()]
        else:
            rows = [s.split(sep, maxsplit) for s in a.tolist()]
        return ragged_result(self.name, rows, dtypes.string)


STRING_SPLIT = _StringSplit()


class _BytesSplit(RaggedOp):
    name = "BytesSplit"

    def kernel(self, xp, a):
        need_string_array(self.name, a)
        return ragged_result(self.name, [[s[i:i + 1] for i in range(len(s))]
                                         for s in a.tolist()], dtypes.string)


BYTES_SPLIT = _BytesSplit()


def _pad_width(pad_width, n):
    return min(n - 1 if pad_width < 0 else pad_width, n - 1)


class _StringNGrams(RaggedOp):
    """n-grams of each row of (data, data_splits); TensorFlow's StringNGrams."""

    name = "StringNGrams"

    def check_inputs(self, inputs):
        need_string(self.name, inputs[0].dtype, "data")

    def kernel(self, xp, data, splits, separator, ngram_widths, left_pad, right_pad,
               pad_width, preserve_short_sequences):
        need_string_array(self.name, data, "data")
        values = data.tolist()
        bounds = splits.tolist()
        if not bounds or bounds[0] != 0 or bounds[-1] != len(values) or \
                any(b < a for a, b in zip(bounds, bounds[1:])):
            raise InvalidArgumentError(f"StringNGrams: invalid data_splits {bounds} for "
                                       f"{len(values)} values [Op:StringNGrams]")
        rows = []
        for a, b in zip(bounds[:-1], bounds[1:]):
            row = values[a:b]
            grams = []
            for n in ngram_widths:
                p = _pad_width(pad_width, n)
                padded = [left_pad] * p + row + [right_pad] * p
                grams += [separator.join(padded[i:i + n])
                          for i in range(max(0, len(padded) - n + 1))]
            if preserve_short_sequences and not grams and row:
                p = _pad_width(pad_width, ngram_widths[-1])
                grams = [separator.join([left_pad] * p + row + [right_pad] * p)]
            rows.append(grams)
        return ragged_result(self.name, rows, dtypes.string)


STRING_NGRAMS = _StringNGrams()


# -------------------------------------------------------------------------- hashing ---

class _HashBucket(StringOp):
    def __init__(self, name, hash_fn):
        super().__init__(name)
        self.hash_fn = hash_fn

    def infer(self, inputs, num_buckets, **attrs):
        need_string(self.name, inputs[0].dtype)
        if num_buckets < 1:
            raise InvalidArgumentError(f"{self.name}: num_buckets must be >= 1, got "
                                       f"{num_buckets} [Op:{self.name}]")
        return inputs[0].shape, dtypes.int64

    def kernel(self, xp, a, num_buckets, **attrs):
        self.infer([Spec(a.shape, dtypes.from_numpy(a.dtype))], num_buckets)
        h = self.hash_fn(a, **attrs)
        return (h % np.uint64(num_buckets)).astype(np.int64).reshape(a.shape)


HASH_FAST = _HashBucket("StringToHashBucketFast", lambda a: string_hash.fingerprint64(a))
HASH_STRONG = _HashBucket("StringToHashBucketStrong",
                          lambda a, key: string_hash.siphash24(a, key))
HASH_LEGACY = _HashBucket("StringToHashBucket", lambda a: string_hash.legacy_hash64(a))


class _Fingerprint(StringOp):
    """FarmHash Fingerprint64 of each row (first-axis slice) of any tensor, as 8 uint8
    bytes: a row's raw bytes for numbers; for strings, the string itself when a row holds
    one, else the concatenated fingerprints of its strings."""

    name = "Fingerprint"

    def infer(self, inputs, method):
        if method != "farmhash64":
            raise InvalidArgumentError(f"Fingerprint: unsupported method {method!r}; only "
                                       f"'farmhash64' [Op:Fingerprint]")
        x = inputs[0]
        if x.shape.rank == 0:
            raise InvalidArgumentError("Fingerprint: input must have rank >= 1 [Op:Fingerprint]")
        rows = x.shape[0] if x.shape.rank is not None else None
        return TensorShape([rows, 8]), dtypes.uint8

    def kernel(self, xp, a, method):
        self.infer([Spec(a.shape, dtypes.from_numpy(a.dtype))], method)
        rows = a.reshape(a.shape[0], -1)
        if a.dtype != _OBJECT:
            data = [np.ascontiguousarray(r).astype(r.dtype.newbyteorder("<")).tobytes()
                    for r in rows]
        elif rows.shape[1] == 1:
            data = rows[:, 0]
        else:
            data = [string_hash.fingerprint64(r).astype("<u8").tobytes() for r in rows]
        h = string_hash.fingerprint64(bytes_array(list(data), (len(rows),)))
        return h.astype("<u8").view(np.uint8).reshape(len(rows), 8)


FINGERPRINT = _Fingerprint()
