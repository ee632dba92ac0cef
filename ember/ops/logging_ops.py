"""``tf.print``: prints tensors when the op runs (eagerly now; in a traced function each
time the function runs), formatted as TensorFlow formats them."""
from __future__ import annotations

import sys

import numpy as np

from ember.framework.context import context
from ember.framework.op import Op
from ember.engine.dispatch import execute
from ember.framework.tensor import Tensor, convert_to_tensor

__all__ = ["print_v2", "format_array"]


def _float_text(v, digits, more):
    """The shortest of %.{digits}g / %.{more}g that reads back as the same value."""
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    short = f"{float(v):.{digits}g}"
    return short if type(v)(float(short)) == v else f"{float(v):.{more}g}"


def _scalar_text(v, quote):
    if isinstance(v, (np.bool_, bool)):
        return "1" if v else "0"
    if isinstance(v, np.floating):
        if v.dtype == np.float64:
            return _float_text(v, 15, 17)
        return _float_text(np.float32(v), 6, 9)
    if isinstance(v, np.complexfloating):
        return f"({_scalar_text(v.real, quote)},{_scalar_text(v.imag, quote)})"
    if isinstance(v, (bytes, np.bytes_)):
        text = bytes(v).decode("utf-8", "replace")
        return f'"{text}"' if quote else text
    if isinstance(v, str):
        return f'"{v}"' if quote else v
    if hasattr(v, "dtype") and v.dtype.kind == "V":     # bfloat16 and friends
        return _float_text(np.float32(v), 6, 9)
    return str(v)


def format_array(arr, summarize=3) -> str:
    """A tensor's value as tf.print shows it: nested brackets, the first and last
    ``summarize`` entries of each dimension (all when ``summarize`` is -1)."""
    arr = np.asarray(arr)
    if arr.ndim == 0:
        return _scalar_text(arr[()], quote=False)
    return _format_dims(arr, summarize, 0)


def _format_dims(arr, summarize, depth):
    n = arr.shape[0]
    if arr.ndim == 1:
        items = ["..." if v is _ELLIPSIS else _scalar_text(v, quote=True)
                 for v in _ends(list(arr), summarize)]
        return "[" + " ".join(items) + "]"
    sep = "\n" * (arr.ndim - 1) + " " * (depth + 1)
    rows = _ends(list(range(n)), summarize)
    parts = ["..." if r is _ELLIPSIS else _format_dims(arr[r], summarize, depth + 1)
             for r in rows]
    return "[" + sep.join(parts) + "]"


_ELLIPSIS = object()


def _ends(items, summarize):
    if summarize is None or summarize < 0 or len(items) <= 2 * summarize:
        return items
    return items[:summarize] + [_ELLIPSIS] + items[len(items) - summarize:]


def _template(obj, tensors, top):
    """Pieces (strings, and input indices for tensors) that print ``obj``."""
    if type(obj).__name__ == "SparseTensor" and hasattr(obj, "dense_shape"):
        pieces = ["'SparseTensor(indices="]
        pieces += _template(obj.indices, tensors, False) + [", values="]
        pieces += _template(obj.values, tensors, False) + [", shape="]
        return pieces + _template(obj.dense_shape, tensors, False) + [")'"]
    if isinstance(obj, Tensor) or getattr(obj, "_is_ember_variable", False):
        tensors.append(convert_to_tensor(obj))
        return [len(tensors) - 1]
    if isinstance(obj, dict):
        pieces = ["{"]
        for k, key in enumerate(sorted(obj, key=repr) if not _sortable(obj) else sorted(obj)):
            if k:
                pieces.append(", ")
            pieces.append(repr(key) + ": ")
            pieces.extend(_template(obj[key], tensors, False))
        return pieces + ["}"]
    if isinstance(obj, (list, tuple)):
        open_, close = ("[", "]") if isinstance(obj, list) else ("(", ")")
        pieces = [open_]
        for k, v in enumerate(obj):
            if k:
                pieces.append(", ")
            pieces.extend(_template(v, tensors, False))
        if isinstance(obj, tuple) and len(obj) == 1:
            pieces.append(",")
        return pieces + [close]
    return [str(obj) if top or not isinstance(obj, str) else repr(obj)]


def _sortable(d):
    try:
        sorted(d)
        return True
    except TypeError:
        return False


def _resolve_stream(stream):
    if stream == "stderr" or stream is None:
        return sys.stderr
    if stream == "stdout":
        return sys.stdout
    return stream


class _Print(Op):
    """Writes its inputs, formatted by ``template``, to a stream; no outputs."""

    name = "PrintV2"
    strings = True
    stateful = True
    side_effect = True
    differentiable = False

    def output_count(self, attrs):
        return 0

    def infer(self, inputs, template, summarize, stream, end):
        return []

    def kernel(self, xp, *arrays, template, summarize, stream, end):
        text = "".join(p if isinstance(p, str) else format_array(arrays[p], summarize)
                       for p in template)
        if isinstance(stream, str) and stream.startswith("file://"):
            with open(stream[len("file://"):], "a", encoding="utf-8") as f:
                f.write(text + end)
        elif isinstance(stream, str) and stream.startswith("log("):
            import logging
            level = stream[4:-1].upper()
            logging.getLogger("ember").log(getattr(logging, level, logging.INFO), text)
        else:
            out = _resolve_stream(stream)
            out.write(text + end)
            if hasattr(out, "flush"):
                out.flush()
        return ()


PRINT = _Print()


def print_v2(*inputs, output_stream="stderr", summarize=3, sep=" ", end="\n", name=None):
    """Prints tensors and Python values (``tf.print``). In a traced function it prints
    each time the function runs; the default stream is standard error.

    >>> tf.print("loss:", tf.constant(0.25), output_stream=sys.stdout)
    loss: 0.25
    """
    if output_stream is sys.stderr:
        output_stream = "stderr"
    elif output_stream is sys.stdout:
        output_stream = "stdout"
    if isinstance(output_stream, str) and not (
            output_stream in ("stderr", "stdout") or output_stream.startswith("file://") or
            output_stream.startswith("log(")):
        raise ValueError(f"print: output_stream must be sys.stdout, sys.stderr, 'stderr', "
                         f"'stdout', 'log(info)' (warning, error) or 'file://<path>', got "
                         f"{output_stream!r}")
    tensors = []
    template = []
    for k, obj in enumerate(inputs):
        if k:
            template.append(sep)
        template.extend(_template(obj, tensors, True))
    merged = []
    for p in template:        # neighbouring strings joined: a shorter, hashable template
        if merged and isinstance(p, str) and isinstance(merged[-1], str):
            merged[-1] += p
        else:
            merged.append(p)
    summarize = -1 if summarize is None else int(summarize)
    execute(PRINT, tensors, {"template": tuple(merged), "summarize": summarize,
                             "stream": output_stream, "end": end}, name)
    graph = context.graph
    return None if graph is None else graph._operations[-1]   # the print operation

