"""tf.train.Checkpoint: saves and restores the variables of a tree of objects.

The tree starts at the objects given to ``Checkpoint(**kwargs)`` and follows, from each
object: Variables (leaves); an object's ``_trackable_children()`` when it defines one (Keras
layers, models and optimizers do); the items of lists, tuples and dicts; and otherwise the
attributes of plain objects (``tf.Module``-like classes) that lead to variables.

Files are TensorFlow's (``tensor_bundle``): ``<prefix>.index`` and
``<prefix>.data-00000-of-00001``, with the tree as TensorFlow's object graph
(``object_graph``) and each variable under ``<path>/.ATTRIBUTES/VARIABLE_VALUE``, its
path the local names (attribute, list index, dict key) of the first breadth-first route
from the root. Restoring walks the file's graph and the live tree side by side, matching
children by local name, so checkpoints TensorFlow wrote for the same structure (a
``tf.Module`` tree of variables, lists and dicts) restore here and ember's restore in
TensorFlow. ember's earlier checkpoints (a JSON index and an ``.npz``) still load.
"""
from __future__ import annotations

import json
import os
import zipfile

import numpy as np

from ember.framework.variables import Variable
from ember.runtime.atomic_file import atomic_write
from ember.train import object_graph as graph_proto
from ember.train import tensor_bundle

__all__ = ["Checkpoint", "CheckpointLoadStatus"]

_FORMAT = "ember.train.Checkpoint/1"
_DATA_SUFFIX = ".data-00000-of-00001"


def _is_variable(obj):
    return getattr(obj, "_is_ember_variable", False)


def _children(obj):
    """(name, child) pairs of one object of the tree."""
    custom = getattr(obj, "_trackable_children", None)
    if callable(custom) and not isinstance(obj, type):
        return list(custom().items())
    if isinstance(obj, (list, tuple)):
        return [(str(i), v) for i, v in enumerate(obj)]
    if isinstance(obj, dict):
        return [(str(k), v) for k, v in obj.items()]
    attrs = getattr(obj, "__dict__", None)
    if attrs is None:
        return []
    names = sorted(attrs, key=lambda n: ("~" + n) if n.startswith("_") else n)
    return [(n, attrs[n]) for n in names if not n.startswith("__")]


def _may_hold_variables(obj):
    if obj is None or isinstance(obj, (str, bytes, int, float, bool, np.ndarray, type)) or \
            callable(obj) and not hasattr(obj, "__dict__"):
        return False
    return True


def walk(root_children):
    """{path: variable} for the tree, plus {path: object} for every object reached."""
    variables, objects, seen = {}, {}, set()
    alive = []          # containers made on the fly stay alive, so their ids stay unique

    def visit(obj, path):
        alive.append(obj)
        if _is_variable(obj):
            if id(obj) not in seen:
                seen.add(id(obj))
                variables[path] = obj
            return
        if id(obj) in seen or not _may_hold_variables(obj):
            return
        seen.add(id(obj))
        objects[path] = obj
        for name, child in _children(obj):
            visit(child, f"{path}/{name}" if path else name)

    for name, obj in root_children:
        visit(obj, name)
    return variables, objects


def _atomic_text(path, text):
    with atomic_write(path) as tmp:
        with open(tmp, "w") as f:
            f.write(text)


def _read_ember_format(index_path, data_path):
    try:
        with open(index_path) as f:
            index = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f"Cannot read the checkpoint index {index_path!r}: it is neither "
                         f"a TensorFlow checkpoint index nor ember's earlier JSON one "
                         f"({e}).") from None
    if not isinstance(index, dict) or index.get("format") != _FORMAT:
        raise ValueError(f"{index_path!r} is not a checkpoint index.")
    try:
        with np.load(data_path, allow_pickle=False) as data:
            return {key: data[f"v{i}"] for i, key in enumerate(index["keys"])}
    except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile) as e:
        raise ValueError(f"Cannot read the checkpoint data {data_path!r}: the file is "
                         f"truncated, corrupted or missing ({type(e).__name__}: {e}).") \
            from None


def read_checkpoint(save_path):
    """{key: array} of a checkpoint: TensorFlow's format (its keys, the object graph's
    included) or ember's earlier one."""
    save_path = os.fspath(save_path)
    index_path, data_path = save_path + ".index", save_path + _DATA_SUFFIX
    if not os.path.exists(index_path):
        raise FileNotFoundError(f"No checkpoint at {save_path!r} (missing {index_path}); "
                                f"pass the prefix that save() returned.")
    if tensor_bundle.is_bundle(index_path):
        try:
            return tensor_bundle.read_bundle(save_path)
        except tensor_bundle.BundleError as e:
            raise ValueError(f"Cannot read the checkpoint {save_path!r}: {e}") from None
    return _read_ember_format(index_path, data_path)


def _full_name(variable):
    name = str(getattr(variable, "name", "") or "Variable")
    return name[:-2] if name.endswith(":0") else name


def build_object_graph(root_items):
    """(object graph nodes, {checkpoint key: array}) of the tree under ``root_items``
    ([(local name, object)]), breadth first as TensorFlow numbers it."""
    nodes = [graph_proto.GraphNode()]
    values, ids = {}, {}
    alive = []          # containers made on the fly stay alive, so their ids stay unique
    queue = [(0, root_items, [])]
    while queue:
        parent, items, path = queue.pop(0)
        for name, child in items:
            if not (_is_variable(child) or _may_hold_variables(child)):
                continue
            if id(child) in ids:
                nodes[parent].children.append((ids[id(child)], name))
                continue
            alive.append(child)
            node_id = ids[id(child)] = len(nodes)
            node = graph_proto.GraphNode()
            nodes.append(node)
            nodes[parent].children.append((node_id, name))
            child_path = path + [name]
            if _is_variable(child):
                key = graph_proto.value_key(child_path)
                node.attributes.append(("VARIABLE_VALUE", _full_name(child), key))
                values[key] = np.asarray(child.numpy())
            else:
                queue.append((node_id, _children(child), child_path))
    _mark_values(nodes)
    nodes = _prune(nodes)
    return nodes, values


def _mark_values(nodes):
    memo = {}

    def has(i, stack=()):
        if i not in memo:
            if i in stack:
                return False
            memo[i] = bool(nodes[i].attributes) or any(
                has(c, stack + (i,)) for c, _ in nodes[i].children)
        return memo[i]
    for i, node in enumerate(nodes):
        node.has_checkpoint_values = has(i)


def _prune(nodes):
    """Drops objects with no values under them (plain attributes that hold none)."""
    keep = [i for i, n in enumerate(nodes) if n.has_checkpoint_values or i == 0]
    new_id = {old: new for new, old in enumerate(keep)}
    out = []
    for i in keep:
        node = nodes[i]
        node.children = [(new_id[c], name) for c, name in node.children if c in new_id]
        out.append(node)
    return out


class CheckpointLoadStatus:
    """What ``Checkpoint.restore`` matched: ``assert_consumed()`` checks that every saved
    value found its variable and every variable got a value; ``expect_partial()`` silences
    that; values for variables not created yet (an optimizer's slots) are applied when the
    owner creates them."""

    def __init__(self, path, unused_keys, unmatched_variables, deferred):
        self.path = path
        self.unused_keys = sorted(unused_keys)
        self.unmatched_variables = sorted(unmatched_variables)
        self.deferred = sorted(deferred)

    def assert_consumed(self):
        if self.unused_keys or self.unmatched_variables:
            raise AssertionError(
                f"Checkpoint {self.path}: not every value was matched. Saved values with no "
                f"variable: {self.unused_keys[:10]}; variables with no saved value: "
                f"{self.unmatched_variables[:10]}.")
        return self

    def assert_existing_objects_matched(self):
        if self.unmatched_variables:
            raise AssertionError(f"Checkpoint {self.path}: variables with no saved value: "
                                 f"{self.unmatched_variables[:10]}.")
        return self

    def assert_nontrivial_match(self):
        return self

    def expect_partial(self):
        return self

    def run_restore_ops(self, session=None):
        return None

    def initialize_or_restore(self, session=None):
        return None


class Checkpoint:
    """Groups objects whose variables are saved and restored together.

    >>> ckpt = ember.train.Checkpoint(model=model, optimizer=optimizer, step=step_variable)
    >>> path = ckpt.save("/tmp/ckpts/ckpt")        # /tmp/ckpts/ckpt-1
    >>> ckpt.restore(path).assert_consumed()
    """

    def __init__(self, root=None, **kwargs):
        children = dict(kwargs)
        if root is not None:
            children.setdefault("root", root)
        for name, value in children.items():
            if value is None:
                raise ValueError(f"Checkpoint: the object passed as {name!r} is None.")
        object.__setattr__(self, "_children", children)
        object.__setattr__(self, "save_counter", None)

    def __setattr__(self, name, value):
        if name.startswith("_") or name == "save_counter":
            object.__setattr__(self, name, value)
        else:
            self._children[name] = value

    def __getattr__(self, name):
        children = object.__getattribute__(self, "_children")
        if name in children:
            return children[name]
        raise AttributeError(f"Checkpoint has no attribute {name!r}")

    def _counter(self):
        if self.save_counter is None:
            object.__setattr__(self, "save_counter",
                               Variable(np.int64(0), trainable=False, name="save_counter"))
        return self.save_counter

    def _items(self):
        items = list(self._children.items())
        if self.save_counter is not None:
            items.append(("save_counter", self.save_counter))
        return items

    def write(self, file_prefix, options=None):
        """Writes the checkpoint at exactly ``file_prefix`` in TensorFlow's format;
        returns it."""
        file_prefix = os.fspath(file_prefix)
        nodes, values = build_object_graph(self._root_items())
        graph = np.empty((), dtype=object)
        graph[()] = graph_proto.encode_object_graph(nodes)
        values[graph_proto.OBJECT_GRAPH_KEY] = graph
        tensor_bundle.write_bundle(file_prefix, values)
        return file_prefix

    def _root_items(self):
        items = sorted(self._children.items())
        if self.save_counter is not None:
            items.append(("save_counter", self.save_counter))
        return items

    def save(self, file_prefix, options=None):
        """Increments ``save_counter`` and writes ``<file_prefix>-<save_counter>``."""
        counter = self._counter()
        counter.assign_add(1)
        return self.write(f"{os.fspath(file_prefix)}-{int(counter.numpy())}", options)

    def read(self, save_path, options=None):
        return self.restore(save_path, options)

    def restore(self, save_path, options=None):
        """Assigns the saved values to the variables at the same paths; returns a
        ``CheckpointLoadStatus``. ``save_path`` None restores nothing."""
        if save_path is None:
            return CheckpointLoadStatus(None, [], [], [])
        save_path = os.fspath(save_path)
        values = read_checkpoint(save_path)
        if "save_counter" in values or \
                "save_counter/.ATTRIBUTES/VARIABLE_VALUE" in values:
            self._counter()
        graph = values.pop(graph_proto.OBJECT_GRAPH_KEY, None)
        if graph is not None:
            nodes = graph_proto.decode_object_graph(np.asarray(graph, dtype=object)[()])
            return _restore_by_graph(save_path, nodes, values, self._root_items())
        variables, objects = walk(self._items())
        unused, deferred = [], []
        for key, value in values.items():
            var = variables.get(key)
            if var is None:
                if _defer(objects, key, value):
                    deferred.append(key)
                else:
                    unused.append(key)
                continue
            _assign(var, value, key, save_path)
        unmatched = [k for k in variables if k not in values]
        return CheckpointLoadStatus(save_path, unused, unmatched, deferred)


def _assign(var, value, key, save_path):
    shape = tuple(var.shape.as_list())
    if value.shape != shape:
        raise ValueError(f"Checkpoint {save_path}: the value saved for {key!r} has "
                         f"shape {value.shape} but the variable has shape {shape}.")
    if value.dtype == object:
        var.assign(value)
    else:
        var.assign(value.astype(var.dtype.np, copy=False))


def _unescape(name):
    out, i = [], 0
    while i < len(name):
        if name[i] == "." and i + 1 < len(name):
            out.append("/" if name[i + 1] == "S" else name[i + 1])
            i += 2
        else:
            out.append(name[i])
            i += 1
    return "".join(out)


def _restore_by_graph(save_path, nodes, values, root_items):
    """Walks the file's object graph and the live tree together from the root, assigning
    each variable node's value to the live variable at the same local names."""
    used, deferred, assigned = set(), [], set()

    def subtree_values(node_id, names, seen):
        if node_id in seen:
            return
        seen.add(node_id)
        node = nodes[node_id]
        for attr, _, key in node.attributes:
            if attr == "VARIABLE_VALUE":
                yield names, key
        for child, name in node.children:
            yield from subtree_values(child, names + [name], seen)

    def defer(owners, node_id, names):
        for names_below, key in subtree_values(node_id, names, set()):
            if key not in values or key in used:
                continue
            for owner, depth in reversed(owners):
                hook = getattr(owner, "_restore_later", None)
                if callable(hook) and hook("/".join(names_below[depth:]), values[key]):
                    used.add(key)
                    deferred.append(key)
                    break

    visited = set()

    alive = []

    def visit(node_id, obj, names, owners):
        if (node_id, id(obj)) in visited:
            return
        visited.add((node_id, id(obj)))
        alive.append(obj)
        node = nodes[node_id]
        if _is_variable(obj):
            for attr, _, key in node.attributes:
                if attr == "VARIABLE_VALUE" and key in values:
                    _assign(obj, values[key], key, save_path)
                    used.add(key)
                    assigned.add(id(obj))
            return
        live = dict(_children(obj))
        owners = owners + [(obj, len(names))]
        alias = getattr(obj, "_checkpoint_alias", None)
        for child_id, name in node.children:
            child = live.get(name)
            if child is None and callable(alias):
                child = alias(name)     # the name another framework's object uses
            if child is None:
                defer(owners, child_id, names + [name])
            else:
                visit(child_id, child, names + [name], owners)

    root = dict(root_items)
    for child_id, name in nodes[0].children if nodes else []:
        if name in root:
            visit(child_id, root[name], [name], [])
    variables, _ = walk(root_items)
    unmatched = [path for path, v in variables.items() if id(v) not in assigned]
    unused = [k for k in values if k not in used]
    return CheckpointLoadStatus(save_path, unused, unmatched, deferred)


def _defer(objects, key, value):
    """Hands a value whose variable does not exist yet to the nearest owner that can
    restore it later (``_restore_later(subpath, value)``)."""
    parts = key.split("/")
    for cut in range(len(parts) - 1, 0, -1):
        owner = objects.get("/".join(parts[:cut]))
        hook = getattr(owner, "_restore_later", None)
        if callable(hook):
            return hook("/".join(parts[cut:]), value)
    return False
