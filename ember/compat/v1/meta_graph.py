"""``tf.compat.v1.train.export_meta_graph`` / ``import_meta_graph``: a graph with its
variables and collections as TensorFlow's ``MetaGraphDef`` (what a ``.meta`` file holds).

Exported: the GraphDef, and the collections (variables as ``VariableDef``s naming each
variable's ``VarHandleOp``, initializer and read; ops and tensors by name; numbers and
strings as values). No SaverDef is written (ember's Saver has no save nodes in the
graph), so TensorFlow's ``import_meta_graph`` makes a new Saver, which restores ember's
checkpoints (same keys: the variable names).

Imported (from TensorFlow's or ember's ``.meta``): the graph without the Saver's own
``save/...`` nodes, the variables (in their collections, with their initializers) and the
other collections; returns a ``Saver`` of the variables (None when there are none).
"""
from __future__ import annotations

import os

from ember.compat.v1.tensor_util import protos

__all__ = ["export_meta_graph", "import_meta_graph", "create_meta_graph_def",
           "saver_def_proto", "read_meta_graph_file"]

_VARIABLE_COLLECTIONS = ("variables", "trainable_variables", "local_variables",
                         "model_variables", "global_step", "moving_average_variables")


def _base(name):
    return name[:-2] if name.endswith(":0") else name


def saver_def_proto(saver):
    """A SaverDef with TensorFlow's conventional node names and ``saver``'s settings."""
    p = protos()
    return p.saver_pb2.SaverDef(filename_tensor_name="save/Const:0",
                                save_tensor_name="save/control_dependency:0",
                                restore_op_name="save/restore_all",
                                max_to_keep=saver._max_to_keep or 0, sharded=True,
                                keep_checkpoint_every_n_hours=10000.0,
                                version=p.saver_pb2.SaverDef.V2)


def _variable_def(v, graph):
    p = protos()
    reads = graph._variable_reads.get(id(v), [])
    init = v.initializer
    proto = p.variable_pb2.VariableDef(variable_name=_base(v.name) + ":0",
                                       initializer_name=init.name if init is not None
                                       else "", is_resource=True, trainable=v.trainable)
    if reads:
        proto.snapshot_name = reads[0].name
    initial = getattr(v, "_initial_value", None)
    if initial is not None and hasattr(initial, "op") and initial.graph is graph:
        proto.initial_value_name = initial.name
    return proto


def create_meta_graph_def(graph=None, saver=None, collection_list=None, graph_def=None,
                          meta_info_def=None, clear_devices=False):
    """The MetaGraphDef of ``graph`` (default: the default graph)."""
    p = protos()
    if graph is None:
        from ember.compat.v1 import get_default_graph
        graph = get_default_graph()
    meta = p.meta_graph_pb2.MetaGraphDef()
    if meta_info_def is not None:
        meta.meta_info_def.CopyFrom(meta_info_def)
    else:
        import ember
        meta.meta_info_def.tensorflow_version = "2.21.0"
        meta.meta_info_def.tensorflow_git_version = f"ember-{ember.__version__}"
    meta.graph_def.CopyFrom(graph_def if graph_def is not None else graph.as_graph_def(
        add_shapes=True))
    names = collection_list if collection_list is not None else list(graph._collections)
    exported = {n.name for n in meta.graph_def.node}
    for key in names:
        items = graph.get_collection(key)
        if not items:
            continue
        col = meta.collection_def[key]
        if all(getattr(i, "_is_ember_variable", False) for i in items):
            col.bytes_list.value.extend(_variable_def(v, graph).SerializeToString()
                                        for v in items)
        elif all(hasattr(i, "name") and hasattr(i, "graph") for i in items):
            kept = [i.name for i in items if i.name.split(":")[0] in exported]
            if kept:
                col.node_list.value.extend(kept)
            else:
                del meta.collection_def[key]
        elif all(isinstance(i, bool) or isinstance(i, int) for i in items):
            col.int64_list.value.extend(int(i) for i in items)
        elif all(isinstance(i, float) for i in items):
            col.float_list.value.extend(items)
        elif all(isinstance(i, (str, bytes)) for i in items):
            col.bytes_list.value.extend(i.encode() if isinstance(i, str) else i
                                        for i in items)
        else:
            del meta.collection_def[key]      # Python objects TensorFlow cannot hold
    return meta


def export_meta_graph(filename=None, meta_info_def=None, graph_def=None, saver_def=None,
                      collection_list=None, as_text=False, graph=None, export_scope=None,
                      clear_devices=False, clear_extraneous_savers=False,
                      strip_default_attrs=False, save_debug_info=False, saver=None,
                      **kwargs):
    """Writes (when ``filename`` is given) and returns the MetaGraphDef of ``graph``."""
    if export_scope:
        raise NotImplementedError("export_meta_graph(export_scope=...) is not supported by "
                                  "ember")
    meta = create_meta_graph_def(graph=graph, saver=saver, collection_list=collection_list,
                                 graph_def=graph_def, meta_info_def=meta_info_def)
    if saver_def is not None:
        meta.saver_def.CopyFrom(saver_def)
    if filename:
        from ember.compat.v1.graph_io import write_proto
        filename = os.fspath(filename)
        os.makedirs(os.path.dirname(os.path.abspath(filename)), exist_ok=True)
        write_proto(filename, meta, as_text)
    return meta


def read_meta_graph_file(filename):
    """A MetaGraphDef from a binary or text ``.meta`` file."""
    p = protos()
    filename = os.fspath(filename)
    if not os.path.exists(filename):
        from ember.framework.errors import NotFoundError
        raise NotFoundError(f"File {filename} does not exist.")
    from ember.compat.v1.graph_io import read_proto
    return read_proto(filename, p.meta_graph_pb2.MetaGraphDef())


def _saver_scope(meta):
    if not meta.HasField("saver_def") or not meta.saver_def.filename_tensor_name:
        return None
    return meta.saver_def.filename_tensor_name.split("/")[0]


def import_meta_graph(meta_graph_or_file, clear_devices=False, import_scope=None,
                      **kwargs):
    """Imports a ``.meta`` file (or MetaGraphDef) into the default graph; returns a Saver
    of its variables."""
    p = protos()
    meta = meta_graph_or_file if isinstance(meta_graph_or_file,
                                            p.meta_graph_pb2.MetaGraphDef) \
        else read_meta_graph_file(meta_graph_or_file)
    scope = _saver_scope(meta)
    graph_def = p.graph_pb2.GraphDef()
    graph_def.versions.CopyFrom(meta.graph_def.versions)
    saver_nodes = {n.name for n in meta.graph_def.node
                   if scope and (n.name == scope or n.name.startswith(scope + "/"))}
    graph_def.node.extend(n for n in meta.graph_def.node if n.name not in saver_nodes)
    from ember.compat.v1 import get_default_graph
    from ember.compat.v1.graph_import import import_graph_def
    graph = get_default_graph()
    prefix = import_scope or ""
    import_graph_def(graph_def, name=prefix)

    def full(name):
        return f"{prefix}/{name}" if prefix else name

    imported = graph.__dict__.get("_imported_variables", {})
    variables = {}
    for key, col in meta.collection_def.items():
        kind = col.WhichOneof("kind")
        if key in _VARIABLE_COLLECTIONS or (kind == "bytes_list" and col.bytes_list.value and
                                            _looks_like_variable_defs(col)):
            for raw in col.bytes_list.value:
                vdef = p.variable_pb2.VariableDef.FromString(raw)
                v = imported.get(full(_base(vdef.variable_name)))
                if v is None:
                    continue
                if vdef.initializer_name and v._initializer_op is None:
                    try:
                        v._initializer_op = graph.get_operation_by_name(
                            full(vdef.initializer_name))
                    except KeyError:
                        pass
                v._trainable = vdef.trainable or key == "trainable_variables"
                if not any(x is v for x in graph.get_collection(key)):
                    graph.add_to_collection(key, v)
                variables[_base(vdef.variable_name)] = v
        elif kind == "node_list":
            for name in col.node_list.value:
                try:
                    graph.add_to_collection(key, graph.as_graph_element(full(name)))
                except (KeyError, ValueError, IndexError):
                    pass
        elif kind in ("int64_list", "float_list"):
            for value in getattr(col, kind).value:
                graph.add_to_collection(key, value)
        elif kind == "bytes_list":
            for value in col.bytes_list.value:
                graph.add_to_collection(key, value)
    for name, v in imported.items():          # variables of no collection still save
        if not prefix or name.startswith(prefix + "/"):
            variables.setdefault(name[len(prefix) + 1:] if prefix else name, v)
    if not variables:
        return None
    from ember.compat.v1.train import Saver
    return Saver(variables)


def _looks_like_variable_defs(col):
    p = protos()
    try:
        vdef = p.variable_pb2.VariableDef.FromString(col.bytes_list.value[0])
    except Exception:  # noqa: BLE001
        return False
    return bool(vdef.variable_name) and ":" in vdef.variable_name
