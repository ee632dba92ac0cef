"""TensorFlow Serving's JSON encoding of tensors, both ways.

Requests: the ``predict`` body's row format (``"instances"``: one item per batch row, an
object of named inputs per row when the signature has several) and columnar format
(``"inputs"``: the whole tensor, or an object of named tensors); values are JSON numbers,
booleans, strings or ``{"b64": "..."}`` for binary strings, with ``NaN``/``Infinity``
accepted. A value converts to the signature's dtype only without loss (an integer too
large for float32 is refused, a float is never an integer). The ``classify``/``regress``
body (``"examples"``, optional ``"context"``) becomes serialized ``tf.train.Example``s.

Responses: ``"predictions"`` (row format) or ``"outputs"`` (columnar), one unnamed value
when the signature has one output and an object of named ones otherwise; floats written in
their shortest form that reads back to the same float32 (``0.1``, not
``0.10000000149011612``), whole ones with ``.0``; string outputs whose name ends in
``_bytes`` (and any that are not UTF-8) as ``{"b64": ...}``.
"""
from __future__ import annotations

import base64
import binascii
import json

import numpy as np

from ember.framework import dtypes
from ember.serving.errors import ServingError, invalid_argument

__all__ = ["parse_request", "tensors_from_predict_request", "predict_response",
           "examples_from_request", "classify_response", "regress_response",
           "tf_type_name", "tf_enum_name"]

_B64 = "b64"
_BYTES_SUFFIX = "_bytes"

# TensorFlow's DataType names (the metadata's "dtype") and its short type names (errors)
_ENUM = {"float32": "DT_FLOAT", "float64": "DT_DOUBLE", "int32": "DT_INT32",
         "uint8": "DT_UINT8", "int16": "DT_INT16", "int8": "DT_INT8", "string": "DT_STRING",
         "complex64": "DT_COMPLEX64", "int64": "DT_INT64", "bool": "DT_BOOL",
         "bfloat16": "DT_BFLOAT16", "uint16": "DT_UINT16", "complex128": "DT_COMPLEX128",
         "float16": "DT_HALF", "uint32": "DT_UINT32", "uint64": "DT_UINT64"}
_SHORT = {"float32": "float", "float64": "double", "float16": "half"}


def tf_enum_name(dtype) -> str:
    """``DT_FLOAT`` for float32: the name TensorFlow Serving's metadata gives a dtype."""
    return _ENUM.get(dtypes.as_dtype(dtype).name, "DT_INVALID")


def tf_type_name(dtype) -> str:
    """``float`` for float32, ``int64`` for int64: TensorFlow's short name of a dtype."""
    name = dtypes.as_dtype(dtype).name
    return _SHORT.get(name, name)


# ------------------------------------------------------------------------ requests ---

def parse_request(body: bytes) -> dict:
    """The request body as a JSON object (``NaN``, ``Infinity`` accepted)."""
    if not body or not body.strip():
        raise invalid_argument("JSON Parse error: The document is empty")
    try:
        doc = json.loads(body)
    except UnicodeDecodeError as e:
        raise invalid_argument(f"JSON Parse error: Invalid encoding in string "
                               f"(not UTF-8) at offset: {e.start}") from None
    except json.JSONDecodeError as e:
        raise invalid_argument(f"JSON Parse error: {e.msg} at offset: {e.pos}") from None
    except RecursionError:
        raise invalid_argument("JSON Parse error: the document is nested too deeply") \
            from None
    if not isinstance(doc, dict):
        raise invalid_argument(f"JSON Value: {_show(doc)} Is not object")
    return doc


def _show(value, limit=200) -> str:
    """A JSON value as text for an error message (long ones cut)."""
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _json_type(value) -> str:
    if value is None:
        return "Null"
    if value is True:
        return "True"
    if value is False:
        return "False"
    if isinstance(value, dict):
        return "Object"
    if isinstance(value, list):
        return "Array"
    if isinstance(value, str):
        return "String"
    return "Number"


def is_b64(value) -> bool:
    """True for ``{"b64": "<string>"}`` (one key only)."""
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get(_B64), str)


def _b64decode(value) -> bytes:
    text = value[_B64]
    try:
        text = text.strip()
        padded = text + "=" * (-len(text) % 4)
        if "-" in text or "_" in text:
            return base64.urlsafe_b64decode(padded)
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        raise invalid_argument("Unable to base64 decode") from None


def _type_error(value, dtype):
    return invalid_argument(f"JSON Value: {_show(value)} Type: {_json_type(value)} is not of "
                            f"expected type: {tf_type_name(dtype)}")


def _lossy(value, target):
    return invalid_argument(f"Cannot convert JSON value: {_show(value)} to {target} without "
                            f"loss of precision.")


_INT_RANGE = {"int8": (-2 ** 7, 2 ** 7 - 1), "int16": (-2 ** 15, 2 ** 15 - 1),
              "int32": (-2 ** 31, 2 ** 31 - 1), "int64": (-2 ** 63, 2 ** 63 - 1),
              "uint8": (0, 2 ** 8 - 1), "uint16": (0, 2 ** 16 - 1),
              "uint32": (0, 2 ** 32 - 1), "uint64": (0, 2 ** 64 - 1)}
# (largest integer held exactly, largest finite value) of each float type
_FLOAT_LIMITS = {"float16": (2 ** 11 - 1, 65504.0), "bfloat16": (2 ** 8 - 1, 3.3895e38),
                 "float32": (2 ** 24 - 1, float(np.finfo(np.float32).max)),
                 "float64": (2 ** 53 - 1, float(np.finfo(np.float64).max))}


def _leaf_converter(dtype):
    """A function checking one JSON leaf for ``dtype`` and returning the value to store."""
    name = dtype.name
    if name in _FLOAT_LIMITS:
        exact, largest = _FLOAT_LIMITS[name]
        target = "double" if name == "float64" else "float"

        def to_float(v):
            t = type(v)
            if t is float:
                if abs(v) > largest and v == v and abs(v) != float("inf"):
                    raise _lossy(v, target)
                return v
            if t is int:
                if abs(v) > exact:
                    raise _lossy(v, target)
                return v
            raise _type_error(v, dtype)
        return to_float
    if name in _INT_RANGE:
        lo, hi = _INT_RANGE[name]

        def to_int(v):
            if type(v) is not int or not lo <= v <= hi:
                raise _type_error(v, dtype)
            return v
        return to_int
    if dtype is dtypes.bool:
        def to_bool(v):
            if type(v) is not bool:
                raise _type_error(v, dtype)
            return v
        return to_bool
    if dtype is dtypes.string:
        def to_bytes(v):
            if type(v) is str:
                return v.encode("utf-8")
            if isinstance(v, dict):
                if is_b64(v):
                    return _b64decode(v)
                raise invalid_argument(f"JSON Value: {_show(v)} not formatted correctly "
                                       f"for base64 data")
            raise _type_error(v, dtype)
        return to_bytes

    def unsupported(v):
        raise ServingError("UNIMPLEMENTED", f"Conversion of JSON Value: {_show(v)} to type: "
                                            f"{tf_type_name(dtype)}")
    return unsupported


def _fast_leaves(dtype):
    """(leaf types, check) for taking a whole innermost list at once: when every leaf's
    type is one of them and ``check(leaves)`` holds, none needs converting one by one."""
    name = dtype.name
    if name in _FLOAT_LIMITS:
        exact = _FLOAT_LIMITS[name][0]
        return {int, float}, lambda leaves: max(map(abs, leaves)) <= exact
    if name in _INT_RANGE:
        lo, hi = _INT_RANGE[name]
        return {int}, lambda leaves: lo <= min(leaves) and max(leaves) <= hi
    if dtype is dtypes.bool:
        return {bool}, lambda leaves: True
    return set(), None


def _dense_shape(value) -> list:
    """The shape a nested JSON list has, read along its first elements."""
    shape = []
    while isinstance(value, list):
        shape.append(len(value))
        if not value:
            break
        value = value[0]
    return shape


def tensor_from_json(value, dtype) -> np.ndarray:
    """A JSON value (a scalar or nested lists of equal lengths) as an array of ``dtype``."""
    dtype = dtypes.as_dtype(dtype)
    shape = _dense_shape(value)
    rank = len(shape)
    convert = _leaf_converter(dtype)
    fast_types, fast_check = _fast_leaves(dtype)
    flat = []

    def fill(v, level):
        if not isinstance(v, list):
            if level != rank:
                raise invalid_argument(f"JSON Value: {_show(v)} found at incorrect level: "
                                       f"{level + 1} in the JSON DOM. Expected at level: "
                                       f"{rank}")
            flat.append(convert(v))
            return
        if level >= rank:
            raise invalid_argument(f"Encountered list at unexpected level: {level} "
                                   f"expected < {rank}")
        if len(v) != shape[level]:
            raise invalid_argument(f"Encountered list at unexpected size: {len(v)} at "
                                   f"level: {level} expected size: {shape[level]}")
        if level == rank - 1:
            if v and set(map(type, v)) <= fast_types and fast_check(v):
                flat.extend(v)
                return
            for leaf in v:
                if isinstance(leaf, list):
                    raise invalid_argument(f"Encountered list at unexpected level: "
                                           f"{level + 1} expected < {rank}")
                flat.append(convert(leaf))
        else:
            for item in v:
                fill(item, level + 1)

    fill(value, 0)
    if dtype is dtypes.string:
        arr = np.empty(len(flat), dtype=object)
        arr[:] = flat
        return arr.reshape(shape)
    np_dtype = dtype.np
    if dtype.is_floating and dtype is not dtypes.float64:
        return np.asarray(np.array(flat, np.float64), np_dtype).reshape(shape)
    return np.array(flat, dtype=np_dtype).reshape(shape)


def _shape_text(shape) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


def _from_instances(instances, specs):
    if not isinstance(instances, list):
        raise invalid_argument("Expecting 'instances' to be an list/array")
    if not instances:
        raise invalid_argument("No values in 'instances' array")
    names = list(specs)
    first = instances[0]
    if len(names) > 1 and not isinstance(first, dict):
        raise invalid_argument("instances is a plain list, but expecting list of objects as "
                               "multiple input tensors required as per tensorinfo_map")
    objects = isinstance(first, dict) and not is_b64(first)
    rows = {n: [] for n in names}
    for i, item in enumerate(instances):
        item_is_object = isinstance(item, dict) and not is_b64(item)
        if objects and not item_is_object:
            raise invalid_argument(f"Expecting object but got list at item {i} of input list")
        if not objects and item_is_object:
            raise invalid_argument(f"Expecting value/list but got object at item {i} of "
                                   f"input list")
        pairs = item.items() if objects else [(names[0], item)]
        for name, value in pairs:
            try:
                if name not in specs:
                    raise invalid_argument(f"JSON object: does not have named input: {name}")
                arr = tensor_from_json(value, specs[name].dtype)
                if rows[name] and arr.shape != rows[name][0].shape:
                    expected = rows[name][0]
                    if arr.size != expected.size:
                        raise invalid_argument(f"Expecting tensor size: {expected.size} but "
                                               f"got: {arr.size}")
                    raise invalid_argument(f"Expecting shape {_shape_text(expected.shape)} "
                                           f"but got: {_shape_text(arr.shape)}")
            except ServingError as e:
                key = f" key: {name}" if objects else ""
                raise ServingError(e.code, f"Failed to process element: {i}{key} of "
                                           f"'instances' list. Error: {e.message}") from None
            rows[name].append(arr)
        if objects and set(item) != set(names):
            raise invalid_argument(f"Failed to process element: {i} of 'instances' list. "
                                   f"JSON object: {_show(item)} keys must be equal to: "
                                   f"{','.join(sorted(names))}")
    return {n: np.stack(rows[n]) for n in names}


def _from_inputs(value, specs):
    names = list(specs)
    if not isinstance(value, dict) or is_b64(value):
        if len(names) > 1:
            raise invalid_argument("inputs is a plain value/list, but expecting an object as "
                                   "multiple input tensors required as per tensorinfo_map")
        return {names[0]: tensor_from_json(value, specs[names[0]].dtype)}
    out = {}
    for name in names:
        if name not in value:
            raise invalid_argument(f"Missing named input: {name} in 'inputs' object.")
        out[name] = tensor_from_json(value[name], specs[name].dtype)
    return out


def tensors_from_predict_request(doc: dict, specs: dict):
    """(format, {input name: array}) from a predict request body; ``format`` is
    ``"row"`` or ``"columnar"``; ``specs``: the signature's inputs (name -> TensorSpec)."""
    if not specs:
        raise invalid_argument("Failed to get input map for signature")
    has_instances, has_inputs = "instances" in doc, "inputs" in doc
    if has_instances and has_inputs:
        raise invalid_argument("Not formatted correctly expecting only one of 'inputs' or "
                               "'instances' keys to exist")
    if has_instances:
        return "row", _from_instances(doc["instances"], specs)
    if has_inputs:
        return "columnar", _from_inputs(doc["inputs"], specs)
    raise invalid_argument("Missing 'inputs' or 'instances' key")


# ----------------------------------------------------------------------- responses ---

def _float_strings(arr: np.ndarray) -> np.ndarray:
    """Each float as its shortest ``%g`` text that reads back to the same value."""
    double = arr.dtype == np.float64
    work = arr.astype(np.float64 if double else np.float32)
    text = np.char.mod("%g", work)
    with np.errstate(all="ignore"):
        back = text.astype(np.float64).astype(work.dtype)
    redo = (back != work) & np.isfinite(work)
    if redo.any():
        text = text.astype(object)
        text[redo] = np.char.mod("%.17g" if double else "%.9g", work[redo])
        text = text.astype(str)
    plain = ~(np.char.find(text, ".") >= 0) & ~(np.char.find(text, "e") >= 0) & \
        np.isfinite(work)
    text = np.where(plain, np.char.add(text, ".0"), text)
    text = np.where(np.isnan(work), "NaN", text)
    text = np.where(np.isposinf(work), "Infinity", text)
    return np.where(np.isneginf(work), "-Infinity", text)


def _string_json(value: bytes, as_b64: bool) -> str:
    if not as_b64:
        try:
            return json.dumps(value.decode("utf-8"))
        except UnicodeDecodeError:
            pass
    return '{"b64": "' + base64.b64encode(value).decode("ascii") + '"}'


def _leaf_strings(arr: np.ndarray, name: str) -> np.ndarray:
    """Every element of ``arr`` as its JSON text (an array of str, same shape)."""
    kind = arr.dtype.kind
    if kind == "f" or arr.dtype.name == "bfloat16":
        return _float_strings(arr if kind == "f" and arr.dtype.itemsize >= 4
                              else arr.astype(np.float32))
    if kind in "iu":
        return arr.astype(str)
    if kind == "b":
        return np.where(arr, "true", "false")
    if kind in "OSU":
        as_b64 = name.endswith(_BYTES_SUFFIX)
        out = np.empty(arr.shape, dtype=object)
        flat_in, flat_out = arr.reshape(-1), out.reshape(-1)
        for i, v in enumerate(flat_in):
            v = v if isinstance(v, bytes) else str(v).encode("utf-8")
            flat_out[i] = _string_json(v, as_b64)
        return out
    raise invalid_argument(f"Failed to write JSON value for tensor type: {arr.dtype.name}")


def _nest(strings) -> str:
    """Nested JSON lists of an array of element texts."""
    if not isinstance(strings, np.ndarray):
        return str(strings)                  # one element (a NumPy scalar or a str)
    if strings.ndim == 0:
        return str(strings[()])
    if strings.ndim == 1:
        return "[" + ", ".join(strings.tolist()) + "]"
    return "[" + ", ".join(_nest(s) for s in strings) + "]"


def _value_json(arr: np.ndarray, name: str) -> str:
    return _nest(_leaf_strings(np.asarray(arr), name))


def predict_response(outputs: dict, fmt: str) -> str:
    """The predict response body: ``{"predictions": ...}`` for the row format,
    ``{"outputs": ...}`` for the columnar one."""
    if not outputs:
        raise invalid_argument("Cannot convert empty tensor map to JSON")
    names = sorted(outputs)
    if fmt == "columnar":
        if len(names) == 1:
            body = _value_json(outputs[names[0]], names[0])
        else:
            body = "{" + ", ".join(f"{json.dumps(n)}: {_value_json(outputs[n], n)}"
                                   for n in names) + "}"
        return '{\n    "outputs": ' + body + "\n}\n"
    batch = None
    for n in names:
        arr = outputs[n]
        if arr.ndim == 0:
            raise invalid_argument(f"Tensor name: {n} has no shape information ")
        if batch is not None and arr.shape[0] != batch:
            raise invalid_argument(f"Tensor name: {n} has inconsistent batch size: "
                                   f"{arr.shape[0]} expecting: {batch}")
        batch = arr.shape[0]
    if len(names) == 1:
        rows = [_nest(s) for s in _leaf_strings(outputs[names[0]], names[0])]
    else:
        leaves = {n: _leaf_strings(outputs[n], n) for n in names}
        rows = ["{" + ", ".join(f"{json.dumps(n)}: {_nest(leaves[n][i])}" for n in names) +
                "}" for i in range(batch)]
    return '{\n    "predictions": [' + ",\n        ".join(rows) + "\n    ]\n}\n"


# -------------------------------------------------------------- classify / regress ---

def _add_to_feature(values: dict, name: str, v):
    """Appends one JSON value to the feature being built (``values``: kind -> list)."""
    kind = next(iter(values), None)

    def add(k, item):
        if kind is not None and kind != k:
            raise invalid_argument(f"Unexpected element type in feature: {name} expecting "
                                   f"type: {kind}")
        values.setdefault(k, []).append(item)

    if v is None or isinstance(v, list):
        raise invalid_argument(f"Feature: {name} has element with unexpected JSON type: "
                               f"{_json_type(v)}")
    if isinstance(v, bool):
        add("int64", int(v))
    elif isinstance(v, dict):
        if not is_b64(v):
            raise invalid_argument(f"Feature: {name} has element with unexpected JSON type: "
                                   f"Object")
        add("bytes", _b64decode(v))
    elif isinstance(v, str):
        add("bytes", v.encode("utf-8"))
    elif isinstance(v, float):
        if v == v and abs(v) != float("inf") and abs(v) > _FLOAT_LIMITS["float32"][1]:
            raise _lossy(v, "float")
        add("float", v)
    else:
        if v > _INT_RANGE["int64"][1]:
            raise invalid_argument(f"Feature: {name} has uint64 element. Only int64 is "
                                   f"supported.")
        if v < _INT_RANGE["int64"][0]:
            raise _type_error(v, dtypes.int64)
        add("int64", v)


def _features(obj) -> dict:
    """{feature name: {kind: values}} from a JSON object of features."""
    if not isinstance(obj, dict):
        raise invalid_argument(f"Example must be JSON object but got JSON {_json_type(obj)}")
    out = {}
    for name, content in obj.items():
        values = {}
        for v in (content if isinstance(content, list) else [content]):
            _add_to_feature(values, name, v)
        out[name] = values
    return out


def _serialize(features: dict) -> bytes:
    from ember.io import example_proto as ep
    feature = {}
    for name, values in features.items():
        kind, vals = next(iter(values.items()), ("float", []))
        if kind == "bytes":
            feature[name] = ep.Feature(bytes_list=ep.BytesList(value=vals))
        elif kind == "float":
            feature[name] = ep.Feature(float_list=ep.FloatList(value=vals))
        else:
            feature[name] = ep.Feature(int64_list=ep.Int64List(value=vals))
    return ep.Example(features=ep.Features(feature=feature)).SerializeToString()


def examples_from_request(doc: dict, method: str) -> list:
    """The serialized ``tf.train.Example`` of each of a classify/regress request's
    ``examples``, the ``context`` features merged into each."""
    context = _features(doc["context"]) if "context" in doc else {}
    if "examples" not in doc:
        raise invalid_argument(f"JSON Value: {_show(doc)} When method is {method}, key "
                               f"'examples' is expected and was not found")
    examples = doc["examples"]
    if not isinstance(examples, list):
        raise invalid_argument("Expecting 'examples' value to be an list/array")
    if not examples:
        raise invalid_argument("'examples' value is an empty array")
    return [_serialize({**context, **_features(e)}) for e in examples]


def classify_response(classes, scores, n_examples: int) -> str:
    """``{"results": [[[label, score], ...], ...]}`` from a classification signature's
    ``classes`` (string, [batch, n]) and/or ``scores`` (float32, [batch, n])."""
    for name, t, want in (("classes", classes, np.object_), ("scores", scores, np.float32)):
        if t is None:
            continue
        if t.ndim != 2:
            raise invalid_argument(f"Expected Tensor shape: [batch_size num_classes] but got "
                                   f"{list(t.shape)}")
        if t.dtype.type is not want:
            raise invalid_argument(f"Expected {name} Tensor of "
                                   f"{'DT_STRING' if name == 'classes' else 'DT_FLOAT'}. "
                                   f"Got: {tf_enum_name(t.dtype.name)}")
        if t.shape[0] != n_examples:
            raise invalid_argument(f"Expected {name} output batch size of {n_examples}. "
                                   f"Got: {t.shape[0]}")
    if classes is not None and scores is not None and classes.shape[1] != scores.shape[1]:
        raise invalid_argument(f"Tensors class and score should match in dim_size(1). Got "
                               f"{classes.shape[1]} vs. {scores.shape[1]}")
    n_classes = (classes if classes is not None else scores).shape[1]
    labels = _leaf_strings(classes, "classes") if classes is not None else \
        np.full((n_examples, n_classes), '""', dtype=object)
    values = _float_strings(scores) if scores is not None else \
        np.full((n_examples, n_classes), "0.0")
    rows = ["[" + ", ".join(f"[{labels[i, c]}, {values[i, c]}]" for c in range(n_classes)) +
            "]" for i in range(n_examples)]
    return '{\n    "results": [' + ",\n        ".join(rows) + "\n    ]\n}\n"


def regress_response(outputs, n_examples: int) -> str:
    """``{"results": [value, ...]}`` from a regression signature's ``outputs`` (float32,
    [batch] or [batch, 1])."""
    if not (outputs.ndim == 1 or (outputs.ndim == 2 and outputs.shape[1] == 1)):
        raise invalid_argument(f"Expected output Tensor shape to be either [batch_size] or "
                               f"[batch_size, 1] but got {list(outputs.shape)}")
    if outputs.dtype != np.float32:
        raise invalid_argument(f"Expected output Tensor of DT_FLOAT. Got: "
                               f"{tf_enum_name(outputs.dtype.name)}")
    if outputs.shape[0] != n_examples:
        raise invalid_argument(f"Input batch size did not match output batch size: "
                               f"{n_examples} vs. {outputs.shape[0]}")
    return '{\n    "results": ' + _nest(_float_strings(outputs.reshape(-1))) + "\n}\n"
