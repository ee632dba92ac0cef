"""Writes a ``LiteModel`` as a TensorFlow Lite flatbuffer and reads one back, with the
``flatbuffers`` runtime library (the optional ``lite`` extra), imported on first use.

Field ids follow TensorFlow Lite's ``schema.fbs`` (see ``schema.py``)."""
from __future__ import annotations

import struct

import numpy as np

from ember.lite import schema
from ember.lite.model_ir import LiteModel, LiteOp, LiteTensor


def _flatbuffers():
    try:
        import flatbuffers
    except ImportError:
        raise ImportError("ember.lite needs the `flatbuffers` package to write and read "
                          ".tflite files: pip install 'ember[lite]' (or pip install "
                          "flatbuffers).") from None
    return flatbuffers


# --------------------------------------------------------------------------------- writing

class _Writer:
    def __init__(self, size_hint):
        self.fb = _flatbuffers()
        self.b = self.fb.Builder(max(1024, size_hint))
        self.b.ForceDefaults(True)     # options spelled out, as TensorFlow writes them

    def ints(self, values, width="i"):
        b = self.b
        values = list(values)
        size = struct.calcsize(width)
        b.StartVector(size, len(values), size)
        prepend = {"i": b.PrependInt32, "I": b.PrependUint32, "q": b.PrependInt64,
                   "f": b.PrependFloat32, "?": b.PrependBool}[width]
        for v in reversed(values):
            prepend(v)
        return b.EndVector()

    def offsets(self, offs):
        b = self.b
        b.StartVector(4, len(offs), 4)
        for o in reversed(offs):
            b.PrependUOffsetTRelative(o)
        return b.EndVector()

    def data(self, raw: bytes):
        """A [ubyte] vector aligned to 16 bytes (``force_align: 16`` in the schema)."""
        b = self.b
        b.StartVector(1, len(raw), 16)
        b.head = b.head - len(raw)
        b.Bytes[b.head:b.head + len(raw)] = raw
        return b.EndVector()

    def table(self, fields, count):
        """``fields``: (id, kind, value) with offsets already created; kind "o" is an offset,
        others are struct formats of scalars."""
        b = self.b
        b.StartObject(count)
        for fid, kind, value in fields:
            if value is None:
                continue
            if kind == "o":
                b.PrependUOffsetTRelativeSlot(fid, value, 0)
            else:
                {"b": b.PrependInt8Slot, "B": b.PrependUint8Slot, "?": b.PrependBoolSlot,
                 "i": b.PrependInt32Slot, "I": b.PrependUint32Slot,
                 "f": b.PrependFloat32Slot, "q": b.PrependInt64Slot,
                 "Q": b.PrependUint64Slot}[kind](fid, value, 0)
        return b.EndObject()


def _options(w, op: LiteOp):
    table = schema.OP_OPTIONS.get(op.kind)
    if table is None:
        return 0, None
    code, fields = schema.OPTIONS[table]
    given = dict(op.options)
    unknown = set(given) - {f[0] for f in fields}
    if unknown:
        raise ValueError(f"ember.lite: {op.kind} has no options {sorted(unknown)}")
    entries = []
    for name, fid, kind, default in fields:
        value = given.get(name, default)
        if kind == "[i]":
            entries.append((fid, "o", None if value is None else w.ints(value)))
        else:
            if kind in ("b", "i"):
                value = int(value)
            entries.append((fid, kind, value))
    return code, w.table(entries, 1 + max((f[1] for f in fields), default=-1))


def _quantization(w, q):
    if not q:
        return None
    scale = w.ints(np.asarray(q["scale"], np.float32).tolist(), "f")
    zero = w.ints(np.asarray(q["zero_point"], np.int64).tolist(), "q")
    return w.table([(2, "o", scale), (3, "o", zero),
                    (6, "i", int(q.get("quantized_dimension", 0)))], 7)


def _tensor_table(w, t, buffer):
    name = w.b.CreateString(t.name)
    shape = w.ints([1 if d < 0 else d for d in t.shape])
    signature = w.ints(t.shape) if any(d < 0 for d in t.shape) else None
    quant = _quantization(w, t.quantization)
    dtype = np.dtype(t.dtype)
    if dtype not in schema.TYPE_CODES:
        raise ValueError(f"ember.lite: tensor {t.name!r} has dtype {dtype}, which "
                         f"TensorFlow Lite files cannot hold")
    return w.table([(0, "o", shape), (1, "b", schema.TYPE_CODES[dtype]), (2, "I", buffer),
                    (3, "o", name), (4, "o", quant), (7, "o", signature)], 9)


def _subgraph_table(w, model, buffer_of, code_index):
    tensor_tables = [_tensor_table(w, t, buffer_of[i]) for i, t in enumerate(model.tensors)]
    op_tables = []
    for op in model.operators:
        inputs, outputs = w.ints(op.inputs), w.ints(op.outputs)
        opt_code, opt_table = _options(w, op)
        op_tables.append(w.table([(0, "I", code_index[(op.kind, op.version)]),
                                  (1, "o", inputs), (2, "o", outputs),
                                  (3, "B", opt_code if opt_table else None),
                                  (4, "o", opt_table)], 9))
    name = w.b.CreateString(model.subgraph_name)
    tensors = w.offsets(tensor_tables)
    inputs, outputs = w.ints(model.inputs), w.ints(model.outputs)
    ops = w.offsets(op_tables)
    return w.table([(0, "o", tensors), (1, "o", inputs), (2, "o", outputs), (3, "o", ops),
                    (4, "o", name)], 5)


def _signature_table(w, sig, subgraph):
    maps = []
    for side in ("inputs", "outputs"):
        entries = []
        for name, index in sig[side].items():
            n = w.b.CreateString(name)
            entries.append(w.table([(0, "o", n), (1, "I", index)], 2))
        maps.append(w.offsets(entries))
    key = w.b.CreateString(sig["key"])
    return w.table([(0, "o", maps[0]), (1, "o", maps[1]), (2, "o", key),
                    (4, "I", subgraph)], 5)


def serialize(models) -> bytes:
    """The bytes of a ``.tflite`` file holding ``models`` (a ``LiteModel`` or a list of
    them: one subgraph each, with its signatures)."""
    models = [models] if isinstance(models, LiteModel) else list(models)
    size = sum(t.data.nbytes for m in models for t in m.tensors if t.data is not None)
    w = _Writer(size + 4096 * len(models))
    # Buffers: 0 is the empty sentinel; each constant gets its own.
    raws, buffers_of = [b""], []
    for model in models:
        buffer_of = []
        for t in model.tensors:
            if t.data is None:
                buffer_of.append(0)
            else:
                buffer_of.append(len(raws))
                raws.append(np.asarray(t.data, t.dtype).tobytes(order="C"))
        buffers_of.append(buffer_of)
    buffer_tables = [w.table([(0, "o", w.data(raw) if raw else None)], 3) for raw in raws]

    codes, code_index = [], {}
    for op in (op for m in models for op in m.operators):
        op.version = max(op.version, schema.MIN_VERSION.get(op.kind, 1))
        key = (op.kind, op.version)
        if key not in code_index:
            code_index[key] = len(codes)
            codes.append(key)
    code_tables = []
    for kind, version in codes:
        code = schema.BUILTIN[kind]
        deprecated = min(code, schema.PLACEHOLDER_FOR_GREATER_OP_CODES)
        code_tables.append(w.table([(0, "b", deprecated), (2, "i", version),
                                    (3, "i", code)], 4))
    subgraphs = [_subgraph_table(w, m, buffers_of[k], code_index)
                 for k, m in enumerate(models)]
    sig_tables = [_signature_table(w, sig, k) for k, m in enumerate(models)
                  for sig in m.signatures]
    description = w.b.CreateString(models[0].description)
    code_vec = w.offsets(code_tables)
    sub_vec = w.offsets(subgraphs)
    buf_vec = w.offsets(buffer_tables)
    sig_vec = w.offsets(sig_tables)
    root = w.table([(0, "I", schema.SCHEMA_VERSION), (1, "o", code_vec), (2, "o", sub_vec),
                    (3, "o", description), (4, "o", buf_vec), (7, "o", sig_vec)], 8)
    w.b.Finish(root, file_identifier=schema.FILE_IDENTIFIER)
    return bytes(w.b.Output())


# --------------------------------------------------------------------------------- reading

class _Table:
    """Field access on one flatbuffer table by field id."""

    def __init__(self, fb, buf, pos):
        self.fb = fb
        self.t = fb.table.Table(buf, pos)

    def _off(self, fid):
        return self.t.Offset(4 + 2 * fid)

    def scalar(self, fid, fmt, default):
        o = self._off(fid)
        if not o:
            return default
        flags = {"b": "Int8Flags", "B": "Uint8Flags", "?": "BoolFlags", "i": "Int32Flags",
                 "I": "Uint32Flags", "f": "Float32Flags", "q": "Int64Flags",
                 "Q": "Uint64Flags"}[fmt]
        return self.t.Get(getattr(self.fb.number_types, flags), o + self.t.Pos)

    def string(self, fid, default=""):
        o = self._off(fid)
        return self.t.String(o + self.t.Pos).decode("utf-8") if o else default

    def vector(self, fid, dtype):
        o = self._off(fid)
        if not o:
            return None
        start, n = self.t.Vector(o), self.t.VectorLen(o)
        return np.frombuffer(self.t.Bytes, dtype, n, start)

    def tables(self, fid):
        o = self._off(fid)
        if not o:
            return []
        start, n = self.t.Vector(o), self.t.VectorLen(o)
        return [_Table(self.fb, self.t.Bytes, self.t.Indirect(start + 4 * i))
                for i in range(n)]

    def table(self, fid):
        o = self._off(fid)
        if not o:
            return None
        return _Table(self.fb, self.t.Bytes, self.t.Indirect(o + self.t.Pos))


def _read_options(table, kind):
    name = schema.OP_OPTIONS.get(kind)
    if name is None:
        return {}
    fields = schema.OPTIONS[name][1]
    out = {}
    for fname, fid, fkind, default in fields:
        if table is None:
            out[fname] = default
        elif fkind == "[i]":
            v = table.vector(fid, "<i4")
            out[fname] = None if v is None else [int(x) for x in v]
        else:
            out[fname] = table.scalar(fid, fkind, default)
    return out


def parse(content: bytes) -> LiteModel:
    """The ``LiteModel`` of the first subgraph in the bytes of a ``.tflite`` file."""
    return parse_all(content)[0]


def _ints(table, fid):
    v = table.vector(fid, "<i4")
    return [] if v is None else [int(i) for i in v]


def _read_tensor(t, buffers):
    code = t.scalar(1, "b", 0)
    if code not in schema.TENSOR_TYPES:
        raise NotImplementedError(f"ember.lite: tensor {t.string(3)!r} has TensorFlow "
                                  f"Lite type {code}, which ember does not run.")
    dtype = np.dtype(schema.TENSOR_TYPES[code])
    shape = _ints(t, 0)
    signature = t.vector(7, "<i4")
    dims = tuple(int(d) for d in signature) if signature is not None else tuple(shape)
    raw = buffers[t.scalar(2, "I", 0)]
    data = None
    if raw is not None and raw.size:
        data = np.frombuffer(raw.tobytes(), dtype).reshape(shape)
    quant = None
    q = t.table(4)
    if q is not None and q.vector(2, "<f4") is not None:
        quant = {"scale": q.vector(2, "<f4").astype(np.float32),
                 "zero_point": q.vector(3, "<i8").astype(np.int64),
                 "quantized_dimension": q.scalar(6, "i", 0)}
    return LiteTensor(t.string(3), dims, dtype, data, quant)


def parse_all(content: bytes) -> list:
    """One ``LiteModel`` per subgraph of a ``.tflite`` file, each with its signatures."""
    fb = _flatbuffers()
    content = bytes(content)
    if len(content) < 8 or content[4:8] != schema.FILE_IDENTIFIER:
        raise ValueError("The model is not a valid TensorFlow Lite flatbuffer (no 'TFL3' "
                         "file identifier).")
    root = _Table(fb, content, fb.encode.Get(fb.packer.uoffset, content, 0))
    version = root.scalar(0, "I", 0)
    if version != schema.SCHEMA_VERSION:
        raise ValueError(f"TensorFlow Lite schema version {version} is not supported "
                         f"(ember reads version {schema.SCHEMA_VERSION}).")
    buffers = []
    for t in root.tables(4):
        data = t.vector(0, np.uint8)
        offset, size = t.scalar(1, "Q", 0), t.scalar(2, "Q", 0)
        if data is None and offset > 1:
            data = np.frombuffer(content, np.uint8, size, offset)
        buffers.append(data)
    codes = []
    for c in root.tables(1):
        code = max(c.scalar(0, "b", 0), c.scalar(3, "i", 0))
        if c._off(1) and code == schema.BUILTIN.get("CUSTOM", 32):
            raise NotImplementedError(f"ember.lite: custom operator "
                                      f"{c.string(1)!r} is not supported.")
        if code not in schema.BUILTIN_NAMES:
            raise NotImplementedError(f"ember.lite: builtin operator code {code} is not "
                                      f"supported by ember's interpreter.")
        codes.append((schema.BUILTIN_NAMES[code], c.scalar(2, "i", 1)))
    subgraphs = root.tables(2)
    if not subgraphs:
        raise ValueError("The TensorFlow Lite model has no subgraph.")
    models = []
    for sg in subgraphs:
        model = LiteModel(description=root.string(3), subgraph_name=sg.string(4))
        model.tensors = [_read_tensor(t, buffers) for t in sg.tables(0)]
        for o in sg.tables(3):
            kind, version = codes[o.scalar(0, "I", 0)]
            model.operators.append(LiteOp(kind, _ints(o, 1), _ints(o, 2),
                                          _read_options(o.table(4), kind), version))
        model.inputs, model.outputs = _ints(sg, 1), _ints(sg, 2)
        models.append(model)
    for s in root.tables(7):
        k = s.scalar(4, "I", 0)
        if not 0 <= k < len(models):
            raise ValueError(f"signature {s.string(2)!r} names subgraph {k}, which does "
                             f"not exist")
        models[k].signatures.append({
            "key": s.string(2),
            "inputs": {m.string(0): m.scalar(1, "I", 0) for m in s.tables(0)},
            "outputs": {m.string(0): m.scalar(1, "I", 0) for m in s.tables(1)}})
    return models
