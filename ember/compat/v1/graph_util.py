"""``tf.compat.v1.graph_util``: freezing a graph (variables to constants) and cutting a
GraphDef down to what some nodes need."""
from __future__ import annotations

import copy

import numpy as np

from ember.compat.v1.tensor_util import dtype_of_enum, make_tensor_proto, protos

__all__ = ["convert_variables_to_constants", "extract_sub_graph", "remove_training_nodes",
           "must_run_on_cpu", "tensor_shape_from_node_def_name", "import_graph_def"]

_VARIABLE_OPS = ("VariableV2", "Variable", "VarHandleOp")


def _node_name(name):
    name = name[1:] if name.startswith("^") else name
    base, sep, index = name.rpartition(":")
    return base if sep and index.isdigit() else name


def extract_sub_graph(graph_def, dest_nodes):
    """The GraphDef of ``dest_nodes`` and every node they depend on (graph order kept)."""
    p = protos()
    if not isinstance(graph_def, p.graph_pb2.GraphDef):
        raise TypeError("graph_def must be a graph_pb2.GraphDef proto.")
    if isinstance(dest_nodes, str):
        raise TypeError("dest_nodes must be an iterable of strings.")
    by_name = {n.name: n for n in graph_def.node}
    for d in dest_nodes:
        if _node_name(d) not in by_name:
            raise AssertionError(f"{d} is not in graph")
    keep, stack = set(), [_node_name(d) for d in dest_nodes]
    while stack:
        name = stack.pop()
        if name in keep:
            continue
        keep.add(name)
        stack.extend(_node_name(i) for i in by_name[name].input)
    out = p.graph_pb2.GraphDef()
    out.versions.CopyFrom(graph_def.versions)
    out.library.CopyFrom(graph_def.library)
    out.node.extend(copy.deepcopy(n) for n in graph_def.node if n.name in keep)
    return out


def _variables_by_name(graph):
    found = {}
    for v in list(graph.get_collection("variables")) + list(graph.variables) + \
            list(graph.get_collection("local_variables")) + \
            list(graph.__dict__.get("_imported_variables", {}).values()):
        name = v.name[:-2] if v.name.endswith(":0") else v.name
        found.setdefault(name, v)
    return found


def convert_variables_to_constants(sess, input_graph_def, output_node_names,
                                   variable_names_whitelist=None,
                                   variable_names_blacklist=None):
    """A frozen copy of ``input_graph_def``: the nodes ``output_node_names`` need, with
    every variable replaced by a ``Const`` of its current value in ``sess`` (and its
    reads by ``Identity``)."""
    p = protos()
    graph_def = extract_sub_graph(input_graph_def, output_node_names)
    variables = _variables_by_name(sess.graph)
    frozen = {}
    for node in graph_def.node:
        if node.op not in _VARIABLE_OPS:
            continue
        if variable_names_whitelist is not None and node.name not in variable_names_whitelist:
            continue
        if variable_names_blacklist is not None and node.name in variable_names_blacklist:
            continue
        v = variables.get(node.name)
        if v is None:
            raise ValueError(f"convert_variables_to_constants: variable node '{node.name}' "
                             f"has no variable of that name in the session's graph")
        frozen[node.name] = np.asarray(sess.run(v))
    out = p.graph_pb2.GraphDef()
    out.versions.CopyFrom(graph_def.versions)
    out.library.CopyFrom(graph_def.library)
    for node in graph_def.node:
        new = out.node.add()
        if node.name in frozen:
            value = frozen[node.name]
            dtype = node.attr["dtype"].type
            new.name, new.op = node.name, "Const"
            new.attr["dtype"].type = dtype
            new.attr["value"].tensor.CopyFrom(make_tensor_proto(
                value, dtype=dtype_of_enum(dtype)))
        elif node.op == "ReadVariableOp" and _node_name(node.input[0]) in frozen:
            new.CopyFrom(node)
            new.op = "Identity"
            new.attr["T"].type = node.attr["dtype"].type
            del new.attr["dtype"]
        elif node.op in ("Assign", "AssignVariableOp", "AssignAddVariableOp",
                         "AssignSubVariableOp", "AssignAdd", "AssignSub") and \
                _node_name(node.input[0]) in frozen:
            raise ValueError(f"convert_variables_to_constants: output node(s) "
                             f"{list(output_node_names)} depend on '{node.name}', which "
                             f"updates the variable '{_node_name(node.input[0])}'")
        else:
            new.CopyFrom(node)
    return out


def remove_training_nodes(input_graph, protected_nodes=None):
    """``input_graph`` without ``Identity`` and ``CheckNumerics`` nodes (their consumers
    read their inputs directly), except ``protected_nodes`` and ones with control
    inputs."""
    p = protos()
    protected = set(protected_nodes or [])
    drop = {}
    for node in input_graph.node:
        if node.op in ("Identity", "CheckNumerics") and node.name not in protected and \
                not any(i.startswith("^") for i in node.input):
            drop[node.name] = node.input[0]

    def resolve(name):
        control = name.startswith("^")
        base = _node_name(name)
        seen = set()
        while base in drop and base not in seen:
            seen.add(base)
            name = drop[base]
            base = _node_name(name)
        return "^" + base if control else name

    out = p.graph_pb2.GraphDef()
    out.versions.CopyFrom(input_graph.versions)
    for node in input_graph.node:
        if node.name in drop:
            continue
        new = out.node.add()
        new.CopyFrom(node)
        del new.input[:]
        new.input.extend(resolve(i) for i in node.input)
    return out


def must_run_on_cpu(node, pin_variables_on_cpu=False):
    """Always True: ember runs every node on the CPU."""
    return True


def tensor_shape_from_node_def_name(graph, input_name):
    name = input_name if ":" in input_name else input_name + ":0"
    return graph.get_tensor_by_name(name).shape


def import_graph_def(graph_def, input_map=None, return_elements=None, name=None,
                     op_dict=None, producer_op_list=None):
    from ember.compat.v1.graph_import import import_graph_def as _import
    return _import(graph_def, input_map, return_elements, name, op_dict, producer_op_list)
