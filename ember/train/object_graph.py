"""The object graph TensorFlow stores in a checkpoint (``TrackableObjectGraph``, a protobuf
message under the key ``_CHECKPOINTABLE_OBJECT_GRAPH``), encoded and decoded.

Node 0 is the root (the ``tf.train.Checkpoint``). Each node lists its children (node id
and local name: the attribute, list index or dict key that holds the child), its saved
values (``attributes``: a variable's ``VARIABLE_VALUE`` with the variable's name and the
tensor's key in the bundle) and optimizer slots. A value's key is the path of escaped
local names from the root, ``/.ATTRIBUTES/VARIABLE_VALUE`` appended
(``model/dense/kernel/.ATTRIBUTES/VARIABLE_VALUE``); restoring matches objects by walking
the graph from the root, so keys need not be recomputed.
"""
from __future__ import annotations

from ember.io.example_proto import _fields, _key, _length_delimited, _varint

__all__ = ["GraphNode", "encode_object_graph", "decode_object_graph", "escape_local_name",
           "value_key", "OBJECT_GRAPH_KEY"]

OBJECT_GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH"
_VALUE_SUFFIX = "/.ATTRIBUTES/VARIABLE_VALUE"


def escape_local_name(name):
    """A local name as a key component: ``.`` doubled, ``/`` as ``.S`` (TensorFlow's)."""
    return name.replace(".", "..").replace("/", ".S")


def value_key(path_names):
    """The bundle key of the variable reached by the local names ``path_names``."""
    return "/".join(escape_local_name(n) for n in path_names) + _VALUE_SUFFIX


class GraphNode:
    """One object of the graph: ``children`` [(node id, local name)], ``attributes``
    [(name, full name, checkpoint key)], ``slot_variables`` [(original variable node id,
    slot name, slot variable node id)], ``has_checkpoint_values`` (None when unset)."""

    __slots__ = ("children", "attributes", "slot_variables", "has_checkpoint_values")

    def __init__(self, children=None, attributes=None, slot_variables=None,
                 has_checkpoint_values=None):
        self.children = list(children or [])
        self.attributes = list(attributes or [])
        self.slot_variables = list(slot_variables or [])
        self.has_checkpoint_values = has_checkpoint_values

    def __repr__(self):
        return (f"GraphNode(children={self.children}, attributes={self.attributes}, "
                f"slot_variables={self.slot_variables})")


def _string(number, text):
    return _length_delimited(number, text.encode("utf8")) if text else b""


def _int(number, value):
    return _key(number, 0) + _varint(value) if value else b""


def encode_object_graph(nodes):
    """The serialized ``TrackableObjectGraph`` of a list of ``GraphNode``."""
    out = bytearray()
    for node in nodes:
        body = bytearray()
        for node_id, name in node.children:
            body += _length_delimited(1, _int(1, node_id) + _string(2, name))
        for name, full_name, key in node.attributes:
            body += _length_delimited(2, _string(1, name) + _string(2, full_name) +
                                      _string(3, key))
        for original, slot_name, slot in node.slot_variables:
            body += _length_delimited(3, _int(1, original) + _string(2, slot_name) +
                                      _int(3, slot))
        if node.has_checkpoint_values is not None:
            body += _length_delimited(5, _int(1, int(node.has_checkpoint_values)))
        out += _length_delimited(1, bytes(body))
    return bytes(out)


def _message(data, spec):
    """{field name: value} of a flat message whose fields are ints or strings."""
    out = {name: (0 if kind == "int" else "") for name, kind in spec.values()}
    for number, wire, value in _fields(data):
        if number in spec:
            name, kind = spec[number]
            if kind == "int" and wire == 0:
                out[name] = value - (1 << 64) if value >= 1 << 63 else value
            elif kind == "str" and wire == 2:
                out[name] = bytes(value).decode("utf8")
    return out


_REFERENCE = {1: ("node_id", "int"), 2: ("local_name", "str")}
_TENSOR = {1: ("name", "str"), 2: ("full_name", "str"), 3: ("checkpoint_key", "str")}
_SLOT = {1: ("original", "int"), 2: ("slot_name", "str"), 3: ("slot", "int")}


def decode_object_graph(data):
    """The ``GraphNode`` list of a serialized ``TrackableObjectGraph``."""
    nodes = []
    for number, wire, value in _fields(bytes(data)):
        if number != 1 or wire != 2:
            continue
        node = GraphNode()
        for n2, w2, v2 in _fields(value):
            if w2 != 2:
                continue
            if n2 == 1:
                ref = _message(v2, _REFERENCE)
                node.children.append((ref["node_id"], ref["local_name"]))
            elif n2 == 2:
                t = _message(v2, _TENSOR)
                node.attributes.append((t["name"], t["full_name"], t["checkpoint_key"]))
            elif n2 == 3:
                s = _message(v2, _SLOT)
                node.slot_variables.append((s["original"], s["slot_name"], s["slot"]))
            elif n2 == 5:
                node.has_checkpoint_values = bool(_message(v2, {1: ("value", "int")})
                                                  ["value"])
        nodes.append(node)
    return nodes
