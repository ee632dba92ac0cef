"""ember.strings: operations on string tensors, as tf.strings.

Every function works eagerly and inside ``ember.function``; none is differentiable.
Elementwise functions also take a ``RaggedTensor`` (they map over its flat values), and
those whose result has rows of different lengths (``split``, ``bytes_split``,
``unicode_decode``, ``unicode_split``, ``ngrams`` of ragged input) return a ``RaggedTensor``
for inputs of rank 1 or more, and a plain tensor for a scalar input.

>>> ember.strings.split(["a b", "c"]).to_list()
[[b'a', b'b'], [b'c']]
>>> ember.strings.to_hash_bucket_fast(["hello"], 1000000).numpy().tolist()
[800296]
"""
from __future__ import annotations

import ember
from ember.framework import dtypes
from ember.engine.dispatch import execute
from ember.framework.tensor import EagerTensor, Tensor, convert_to_tensor
from ember.ops import string_ops as so
from ember.ops import unicode_ops as uo
from ember.ragged.ragged_tensor import RaggedTensor

__all__ = [
    "as_string", "bytes_split", "format", "join", "length", "lower", "ngrams", "reduce_join",
    "regex_full_match", "regex_replace", "split", "strip", "substr", "to_hash_bucket",
    "to_hash_bucket_fast", "to_hash_bucket_strong", "to_number", "unicode_decode",
    "unicode_decode_with_offsets", "unicode_encode", "unicode_script", "unicode_split",
    "unicode_split_with_offsets", "unicode_transcode", "unsorted_segment_join", "upper",
]

_UNITS = ("BYTE", "UTF8_CHAR")


def _text(x):
    return convert_to_tensor(x, dtype_hint=dtypes.string)


def _elementwise(fn, x):
    """``fn`` on a tensor, or on a RaggedTensor's flat values (keeping its rows)."""
    if isinstance(x, RaggedTensor):
        return x.with_flat_values(fn(x.flat_values))
    return fn(_text(x))


def _static_bytes(value, what, op_name):
    """A Python bytes attribute from str, bytes or a scalar eager string tensor."""
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, bytes):
        return value
    if isinstance(value, EagerTensor) and value.dtype is dtypes.string and value.ndim == 0:
        return value.numpy()
    if isinstance(value, Tensor):
        raise NotImplementedError(f"{op_name}: `{what}` must be known when the graph is built "
                                  f"(a Python string or a constant), got {value!r}")
    raise TypeError(f"{op_name}: `{what}` must be a string, got {value!r}")


def _static_str(value, what, op_name):
    return _static_bytes(value, what, op_name).decode("utf-8")


def _unit(unit, op_name):
    if unit not in _UNITS:
        raise ValueError(f"{op_name}: unit must be one of {_UNITS}, got {unit!r}")
    return unit


def _rank(t):
    r = t.shape.rank
    if r is None:
        raise ValueError("ember.strings: the input's rank must be known")
    return r


def _ragged_rows(values, splits, outer_shape):
    """A RaggedTensor of the rows (values, splits), its rows arranged as ``outer_shape``
    (uniform outer dimensions)."""
    rt = RaggedTensor.from_row_splits(values, splits, validate=False)
    for d in reversed(outer_shape[1:]):
        rt = RaggedTensor.from_uniform_row_length(rt, d, validate=False)
    return rt


def _outer_dims(t):
    """The dims of ``t`` (static ints where known, else scalar tensors)."""
    dynamic = ember.shape(t, out_type=dtypes.int64)
    return [d if d is not None else dynamic[i] for i, d in enumerate(t.shape.as_list())]


def _row_op(op, t, attrs, name, value_index=0, splits_index=-1):
    """Runs a (values, row_splits) op over every string of ``t`` (any rank): a 1-D result
    for a scalar, a RaggedTensor otherwise."""
    rank = _rank(t)
    flat = ember.reshape(t, [-1]) if rank != 1 else t
    outs = execute(op, (flat,), attrs, name)
    values, splits = outs[value_index], outs[splits_index]
    if rank == 0:
        return values if len(outs) == 2 else tuple(outs[:-1])
    shape = _outer_dims(t)
    if len(outs) == 2:
        return _ragged_rows(values, splits, shape)
    return tuple(_ragged_rows(o, splits, shape) for o in outs[:-1])


# ------------------------------------------------------------------- elementwise ---

def lower(input, encoding="", name=None):  # noqa: A002
    """Lower case: ASCII letters only unless ``encoding="utf-8"``.

    >>> ember.strings.lower("CamelCase").numpy()
    b'camelcase'
    """
    return _elementwise(lambda t: execute(so.LOWER, (t,), {"encoding": encoding}, name),
                        input)


def upper(input, encoding="", name=None):  # noqa: A002
    """Upper case: ASCII letters only unless ``encoding="utf-8"``."""
    return _elementwise(lambda t: execute(so.UPPER, (t,), {"encoding": encoding}, name),
                        input)


def strip(input, name=None):  # noqa: A002
    """Removes leading and trailing whitespace.

    >>> ember.strings.strip("  hi \\n").numpy()
    b'hi'
    """
    return _elementwise(lambda t: execute(so.STRIP, (t,), {}, name), input)


def length(input, unit="BYTE", name=None):  # noqa: A002
    """Length of each string in bytes (``unit="BYTE"``) or UTF-8 characters (int32)."""
    attrs = {"unit": _unit(unit, "length")}
    return _elementwise(lambda t: execute(so.LENGTH, (t,), attrs, name), input)


def regex_full_match(input, pattern, name=None):  # noqa: A002
    """Whether each whole string matches the regular expression ``pattern`` (bool).

    Patterns use Python's ``re`` syntax, which agrees with RE2's on the common constructs.
    """
    attrs = {"pattern": _static_bytes(pattern, "pattern", "regex_full_match")}
    return _elementwise(lambda t: execute(so.REGEX_FULL_MATCH, (t,), attrs, name), input)


def regex_replace(input, pattern, rewrite, replace_global=True, name=None):  # noqa: A002
    """Replaces matches of ``pattern`` by ``rewrite`` (``\\1`` a group, ``\\0`` the match).

    >>> ember.strings.regex_replace("a1b22", r"\\d+", "#").numpy()
    b'a#b#'
    """
    attrs = {"pattern": _static_bytes(pattern, "pattern", "regex_replace"),
             "rewrite": _static_bytes(rewrite, "rewrite", "regex_replace"),
             "replace_global": bool(replace_global)}
    return _elementwise(lambda t: execute(so.REGEX_REPLACE, (t,), attrs, name), input)


def substr(input, pos, len, unit="BYTE", name=None):  # noqa: A002
    """``len`` bytes (or UTF-8 characters) from ``pos`` (negative counts from the end)."""
    attrs = {"unit": _unit(unit, "substr")}
    return _elementwise(lambda t: execute(
        so.SUBSTR, (t, convert_to_tensor(pos), convert_to_tensor(len)), attrs, name), input)


def to_number(input, out_type=dtypes.float32, name=None):  # noqa: A002
    """Parses each string as a number of ``out_type`` (float32, float64, int32, int64).

    >>> ember.strings.to_number(["1.5", "-2"]).numpy().tolist()
    [1.5, -2.0]
    """
    out_type = dtypes.as_dtype(out_type)
    if out_type not in (dtypes.float32, dtypes.float64, dtypes.int32, dtypes.int64):
        raise TypeError(f"to_number: out_type must be float32, float64, int32 or int64, got "
                        f"{out_type.name}")
    return _elementwise(lambda t: execute(so.TO_NUMBER, (t,), {"out_type": out_type}, name),
                        input)


def as_string(input, precision=-1, scientific=False, shortest=False, width=-1,  # noqa: A002
              fill="", name=None):
    """Numbers (or bools) as text, printf style.

    >>> ember.strings.as_string([3.14159], precision=2).numpy().tolist()
    [b'3.14']
    """
    attrs = {"precision": int(precision), "scientific": bool(scientific),
             "shortest": bool(shortest), "width": int(width), "fill": str(fill)}
    if isinstance(input, RaggedTensor):
        return input.with_flat_values(as_string(input.flat_values, **attrs))
    return execute(so.AS_STRING, (convert_to_tensor(input),), attrs, name)


# --------------------------------------------------------------------------- joins ---

def join(inputs, separator="", name=None):
    """Joins strings elementwise across the tensors ``inputs`` (scalars broadcast).

    >>> ember.strings.join(["a", ["b", "c"]], separator="-").numpy().tolist()
    [b'a-b', b'a-c']
    """
    tensors = [_text(t) for t in inputs]
    if not tensors:
        raise ValueError("join: inputs must hold at least one tensor")
    return execute(so.STRING_JOIN, tuple(tensors),
                   {"separator": _static_bytes(separator, "separator", "join")}, name)


def _axis_attr(axis):
    if axis is None:
        return None
    if isinstance(axis, (list, tuple)):
        return tuple(int(a) for a in axis)
    return (int(axis),)


def reduce_join(inputs, axis=None, keepdims=False, separator="", name=None):
    """Joins the strings along ``axis`` (all axes when None).

    >>> ember.strings.reduce_join([["a", "b"], ["c", "d"]], axis=1).numpy().tolist()
    [b'ab', b'cd']
    """
    return execute(so.REDUCE_JOIN, (_text(inputs),),
                   {"axis": _axis_attr(axis), "keep_dims": bool(keepdims),
                    "separator": _static_bytes(separator, "separator", "reduce_join")}, name)


def unsorted_segment_join(inputs, segment_ids, num_segments, separator="", name=None):
    """Joins the rows of ``inputs`` that share a segment id, in order.

    >>> ember.strings.unsorted_segment_join(["a", "b", "c"], [1, 0, 1], 2).numpy().tolist()
    [b'b', b'ac']
    """
    return execute(so.UNSORTED_SEGMENT_JOIN,
                   (_text(inputs), convert_to_tensor(segment_ids),
                    convert_to_tensor(num_segments)),
                   {"separator": _static_bytes(separator, "separator",
                                               "unsorted_segment_join")}, name)


def format(template, inputs, placeholder="{}", summarize=3, name=None):  # noqa: A001
    """A scalar string: ``template`` with each ``placeholder`` replaced by a tensor's value,
    printed as ``tf.print`` does (``summarize`` first and last entries per dimension).

    >>> ember.strings.format("x={}", [ember.constant([1, 2])]).numpy()
    b'x=[1 2]'
    """
    if isinstance(inputs, (list, tuple)):
        tensors = tuple(convert_to_tensor(t) for t in inputs)
    else:
        tensors = (convert_to_tensor(inputs),)
    return execute(so.STRING_FORMAT, tensors,
                   {"template": str(template), "placeholder": str(placeholder),
                    "summarize": int(summarize)}, name)


# ----------------------------------------------------------------------- splitting ---

def split(input, sep=None, maxsplit=-1, name=None):  # noqa: A002
    """Splits each string at ``sep`` (runs of whitespace when None), at most ``maxsplit``
    times; a RaggedTensor with one more dimension (a 1-D tensor for a scalar).

    >>> ember.strings.split("a b  c").numpy().tolist()
    [b'a', b'b', b'c']
    """
    if isinstance(input, RaggedTensor):
        inner = split(input.flat_values, sep, maxsplit)
        return input.with_flat_values(inner)
    sep_b = b"" if sep is None else _static_bytes(sep, "sep", "split")
    return _row_op(so.STRING_SPLIT, _text(input), {"sep": sep_b, "maxsplit": int(maxsplit)},
                   name)


def bytes_split(input, name=None):  # noqa: A002
    """Splits each string into its bytes.

    >>> ember.strings.bytes_split("abc").numpy().tolist()
    [b'a', b'b', b'c']
    """
    if isinstance(input, RaggedTensor):
        return input.with_flat_values(bytes_split(input.flat_values))
    return _row_op(so.BYTES_SPLIT, _text(input), {}, name)


def ngrams(data, ngram_width, separator=" ", pad_values=None, padding_width=None,
           preserve_short_sequences=False, name=None):
    """The n-grams of each row along the last axis, tokens joined by ``separator``.

    ``ngram_width`` is an int or a tuple of widths; ``pad_values`` (one string or a
    (left, right) pair) pads each row with ``padding_width`` (default width - 1) tokens.

    >>> ember.strings.ngrams(["a", "b", "c"], 2).numpy().tolist()
    [b'a b', b'b c']
    """
    widths = (int(ngram_width),) if isinstance(ngram_width, int) else \
        tuple(int(w) for w in ngram_width)
    if not widths or any(w < 1 for w in widths):
        raise ValueError(f"ngrams: ngram_width must be positive, got {ngram_width!r}")
    if pad_values is None:
        if padding_width is not None:
            raise ValueError("ngrams: padding_width needs pad_values")
        left = right = b""
        pad = 0
    else:
        if isinstance(pad_values, (list, tuple)):
            if len(pad_values) != 2:
                raise ValueError(f"ngrams: pad_values must be a string or a pair of strings, "
                                 f"got {pad_values!r}")
            left, right = (_static_bytes(p, "pad_values", "ngrams") for p in pad_values)
        else:
            left = right = _static_bytes(pad_values, "pad_values", "ngrams")
        if padding_width is not None and padding_width < 1:
            raise ValueError(f"ngrams: padding_width must be positive, got {padding_width}")
        pad = -1 if padding_width is None else int(padding_width)
    attrs = {"separator": _static_bytes(separator, "separator", "ngrams"),
             "ngram_widths": widths, "left_pad": left, "right_pad": right, "pad_width": pad,
             "preserve_short_sequences": bool(preserve_short_sequences)}
    if isinstance(data, RaggedTensor):
        if isinstance(data.values, RaggedTensor):
            return data.with_values(ngrams(data.values, ngram_width, separator, pad_values,
                                           padding_width, preserve_short_sequences))
        values, splits = execute(so.STRING_NGRAMS, (data.values, data.row_splits), attrs,
                                 name)
        return RaggedTensor.from_row_splits(values, splits, validate=False)
    t = _text(data)
    rank = _rank(t)
    if rank == 0:
        raise ValueError("ngrams: data must have rank >= 1")
    width = ember.shape(t, out_type=dtypes.int64)[-1]
    rows = ember.reshape(t, [-1]) if rank > 1 else t
    nrows = ember.size(t, out_type=dtypes.int64) // ember.maximum(width, 1)
    splits = ember.range(nrows + 1, dtype=dtypes.int64) * width if rank > 1 else \
        ember.stack([ember.constant(0, dtypes.int64), width])
    values, _ = execute(so.STRING_NGRAMS, (rows, splits), attrs, name)
    if rank == 1:
        return values
    return ember.reshape(values, ember.concat([ember.shape(t)[:-1], [-1]], 0))


# ------------------------------------------------------------------------- hashing ---

def to_hash_bucket_fast(input, num_buckets, name=None):  # noqa: A002
    """FarmHash Fingerprint64 of each string modulo ``num_buckets`` (int64), as TensorFlow.

    >>> ember.strings.to_hash_bucket_fast(["hello"], 1000000).numpy().tolist()
    [800296]
    """
    return _elementwise(lambda t: execute(so.HASH_FAST, (t,),
                                          {"num_buckets": int(num_buckets)}, name), input)


def to_hash_bucket_strong(input, num_buckets, key, name=None):  # noqa: A002
    """Keyed SipHash-2-4 of each string (``key``: two integers) modulo ``num_buckets``."""
    key = tuple(int(k) for k in key)
    if len(key) != 2:
        raise ValueError(f"to_hash_bucket_strong: key must hold two integers, got {key!r}")
    return _elementwise(lambda t: execute(so.HASH_STRONG, (t,),
                                          {"num_buckets": int(num_buckets), "key": key},
                                          name), input)


def to_hash_bucket(input, num_buckets, name=None):  # noqa: A002
    """TensorFlow's legacy string hash modulo ``num_buckets`` (prefer the _fast one)."""
    return _elementwise(lambda t: execute(so.HASH_LEGACY, (t,),
                                          {"num_buckets": int(num_buckets)}, name),
                        input)


# ------------------------------------------------------------------------- unicode ---

def _decode_attrs(input_encoding, errors, replacement_char, replace_control_characters):
    return {"input_encoding": str(input_encoding), "errors": str(errors),
            "replacement_char": int(replacement_char),
            "replace_control_characters": bool(replace_control_characters)}


def unicode_decode(input, input_encoding, errors="replace",  # noqa: A002
                   replacement_char=65533, replace_control_characters=False, name=None):
    """The code points (int32) of each string: a RaggedTensor (1-D for a scalar).

    >>> ember.strings.unicode_decode("h\\xe9", "UTF-8").numpy().tolist()
    [104, 233]
    """
    attrs = _decode_attrs(input_encoding, errors, replacement_char,
                          replace_control_characters)
    if isinstance(input, RaggedTensor):
        return input.with_flat_values(unicode_decode(input.flat_values, **attrs))
    return _row_op(uo.UNICODE_DECODE, _text(input), attrs, name)


def unicode_decode_with_offsets(input, input_encoding, errors="replace",  # noqa: A002
                                replacement_char=65533, replace_control_characters=False,
                                name=None):
    """(code points, byte offsets where each starts), both ragged like unicode_decode."""
    attrs = _decode_attrs(input_encoding, errors, replacement_char,
                          replace_control_characters)
    return _row_op(uo.UNICODE_DECODE_WITH_OFFSETS, _text(input), attrs, name)


def unicode_encode(input, output_encoding, errors="replace",  # noqa: A002
                   replacement_char=65533, name=None):
    """Strings from code points along the last (possibly ragged) axis.

    >>> ember.strings.unicode_encode([104, 233], "UTF-8").numpy()
    b'h\\xc3\\xa9'
    """
    attrs = {"output_encoding": str(output_encoding), "errors": str(errors),
             "replacement_char": int(replacement_char)}
    if isinstance(input, RaggedTensor):
        if isinstance(input.values, RaggedTensor):
            return input.with_values(unicode_encode(input.values, **attrs))
        return execute(uo.UNICODE_ENCODE, (input.values, input.row_splits), attrs, name)
    t = convert_to_tensor(input)
    rank = _rank(t)
    if rank == 0:
        raise ValueError("unicode_encode: input must have rank >= 1 (code points along the "
                         "last axis)")
    width = ember.shape(t, out_type=dtypes.int64)[-1]
    nrows = ember.size(t, out_type=dtypes.int64) // ember.maximum(width, 1)
    splits = ember.range(nrows + 1, dtype=dtypes.int64) * width
    out = execute(uo.UNICODE_ENCODE, (ember.reshape(t, [-1]), splits), attrs, name)
    if rank == 1:
        return ember.reshape(out, [])
    return ember.reshape(out, ember.shape(t)[:-1])


def _split_points(points, output_encoding, errors, replacement_char):
    """Each code point of a 1-D tensor as its own encoded string."""
    n = ember.size(points, out_type=dtypes.int64)
    return execute(uo.UNICODE_ENCODE, (points, ember.range(n + 1, dtype=dtypes.int64)),
                   {"output_encoding": output_encoding, "errors": errors,
                    "replacement_char": replacement_char})


def unicode_split(input, input_encoding, errors="replace",  # noqa: A002
                  replacement_char=65533, name=None):
    """Each string's characters as strings: a RaggedTensor (1-D for a scalar).

    >>> ember.strings.unicode_split("h\\xe9", "UTF-8").numpy().tolist()
    [b'h', b'\\xc3\\xa9']
    """
    points = unicode_decode(input, input_encoding, errors, replacement_char)
    if isinstance(points, RaggedTensor):
        return points.with_flat_values(_split_points(points.flat_values, input_encoding,
                                                     errors, replacement_char))
    return _split_points(points, input_encoding, errors, replacement_char)


def unicode_split_with_offsets(input, input_encoding, errors="replace",  # noqa: A002
                               replacement_char=65533, name=None):
    """(characters as strings, byte offsets where each starts)."""
    points, offsets = unicode_decode_with_offsets(input, input_encoding, errors,
                                                  replacement_char)
    if isinstance(points, RaggedTensor):
        chars = points.with_flat_values(_split_points(points.flat_values, input_encoding,
                                                      errors, replacement_char))
    else:
        chars = _split_points(points, input_encoding, errors, replacement_char)
    return chars, offsets


def unicode_transcode(input, input_encoding, output_encoding, errors="replace",  # noqa: A002
                      replacement_char=65533, replace_control_characters=False, name=None):
    """Re-encodes each string from ``input_encoding`` to ``output_encoding``."""
    attrs = {"input_encoding": str(input_encoding), "output_encoding": str(output_encoding),
             "errors": str(errors), "replacement_char": int(replacement_char),
             "replace_control_characters": bool(replace_control_characters)}
    return _elementwise(lambda t: execute(uo.UNICODE_TRANSCODE, (t,), attrs, name), input)


def unicode_script(input, name=None):  # noqa: A002
    """ICU's script code of each int32 code point (25 Latin, 8 Cyrillic, 17 Han, 0 Common,
    ...; -1 for invalid code points). The table covers the scripts of the main Unicode
    blocks; code points of other scripts give 103 (USCRIPT_UNKNOWN)."""
    if isinstance(input, RaggedTensor):
        return input.with_flat_values(unicode_script(input.flat_values))
    return execute(uo.UNICODE_SCRIPT, (convert_to_tensor(input, dtype_hint=dtypes.int32),),
                   {}, name)


def fingerprint(data, method="farmhash64", name=None):
    """``tf.fingerprint``: a uint8 tensor of shape (rows, 8), FarmHash Fingerprint64 of each
    first-axis slice of ``data`` (any dtype), stable across runs and machines.

    >>> ember.fingerprint(["hello"]).numpy().tolist()
    [[232, 12, 56, 49, 169, 229, 139, 180]]
    """
    return execute(so.FINGERPRINT, (convert_to_tensor(data),), {"method": str(method)}, name)
