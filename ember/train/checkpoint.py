"""tf.train.Checkpoint: saves and restores the variables of a tree of objects.

The tree starts at the objects given to ``Checkpoint(**kwargs)`` and follows, from each
object: Variables (leaves); an object's ``_trackable_children()`` when it defines one (Keras
layers, models and optimizers do); the items of lists, tuples and dicts; and otherwise the
attributes of plain objects (``tf.Module``-like classes) that lead to variables. Each
variable is keyed by its path (``model/layers/dense/vars/0``); the first path that reaches
a variable names it. Restoring matches the same paths in another tree of the same shape.

Files, for a save path ``<prefix>``: ``<prefix>.index`` (JSON: the keys, shapes, dtypes)
and ``<prefix>.data-00000-of-00001`` (a NumPy ``.npz`` archive, no pickle); each is written
atomically. These are ember's own files (TensorFlow's checkpoint files are a different
binary format and are not read).
"""
from __future__ import annotations

import json
import os
import zipfile

import numpy as np

from ember.framework.variables import Variable
from ember.runtime.atomic_file import atomic_write

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

    def visit(obj, path):
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


def _atomic_savez(path, arrays):
    with atomic_write(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)


def _atomic_text(path, text):
    with atomic_write(path) as tmp:
        with open(tmp, "w") as f:
            f.write(text)


def read_checkpoint(save_path):
    """{key: array} of a checkpoint written by ``Checkpoint.write``/``save``."""
    save_path = os.fspath(save_path)
    index_path, data_path = save_path + ".index", save_path + _DATA_SUFFIX
    if not os.path.exists(index_path):
        raise FileNotFoundError(f"No checkpoint at {save_path!r} (missing {index_path}); "
                                f"pass the prefix that save() returned.")
    try:
        with open(index_path) as f:
            index = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f"Cannot read the checkpoint index {index_path!r}: {e}") from None
    if index.get("format") != _FORMAT:
        raise ValueError(f"{index_path!r} is not an ember checkpoint index (format "
                         f"{index.get('format')!r}).")
    try:
        with np.load(data_path, allow_pickle=False) as data:
            return {key: data[f"v{i}"] for i, key in enumerate(index["keys"])}
    except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile) as e:
        raise ValueError(f"Cannot read the checkpoint data {data_path!r}: the file is "
                         f"truncated, corrupted or missing ({type(e).__name__}: {e}).") \
            from None


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
        """Writes the checkpoint at exactly ``file_prefix``; returns it."""
        file_prefix = os.fspath(file_prefix)
        variables, _ = walk(self._items())
        keys = list(variables)
        arrays = {f"v{i}": np.asarray(variables[k].numpy()) for i, k in enumerate(keys)}
        _atomic_savez(file_prefix + _DATA_SUFFIX, arrays)
        index = {"format": _FORMAT, "keys": keys,
                 "shapes": [list(a.shape) for a in arrays.values()],
                 "dtypes": [str(a.dtype) for a in arrays.values()]}
        _atomic_text(file_prefix + ".index", json.dumps(index))
        return file_prefix

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
        if "save_counter" in values:
            self._counter()
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
            shape = tuple(var.shape.as_list())
            if value.shape != shape:
                raise ValueError(f"Checkpoint {save_path}: the value saved for {key!r} has "
                                 f"shape {value.shape} but the variable has shape {shape}.")
            var.assign(value.astype(var.dtype.np, copy=False))
        unmatched = [k for k in variables if k not in values]
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
