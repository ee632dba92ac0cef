"""CheckpointManager and latest_checkpoint: numbered checkpoints in a directory, the newest
``max_to_keep`` kept, listed in a ``checkpoint`` state file (TensorFlow's text layout:
``model_checkpoint_path: "ckpt-3"`` and one ``all_model_checkpoint_paths`` line each)."""
from __future__ import annotations

import os
import re
import time

from ember.train.checkpoint import _DATA_SUFFIX, _atomic_text, read_checkpoint

__all__ = ["CheckpointManager", "CheckpointReader", "latest_checkpoint", "list_variables",
           "load_checkpoint", "load_variable", "update_checkpoint_state"]

_STATE = "checkpoint"


def _read_state(directory):
    path = os.path.join(os.fspath(directory), _STATE)
    if not os.path.exists(path):
        return None, []
    latest, paths = None, []
    with open(path) as f:
        for line in f:
            m = re.match(r'\s*(model_checkpoint_path|all_model_checkpoint_paths):\s*"(.*)"',
                         line)
            if not m:
                continue
            value = m.group(2)
            if not os.path.isabs(value):
                value = os.path.join(os.fspath(directory), value)
            if m.group(1) == "model_checkpoint_path":
                latest = value
            else:
                paths.append(value)
    return latest, paths


def _write_state(directory, latest, paths):
    def rel(p):
        return os.path.relpath(p, directory)
    lines = [f'model_checkpoint_path: "{rel(latest)}"'] if latest else []
    lines += [f'all_model_checkpoint_paths: "{rel(p)}"' for p in paths]
    _atomic_text(os.path.join(directory, _STATE), "\n".join(lines) + "\n")


def latest_checkpoint(checkpoint_dir, latest_filename=None):
    """The prefix of the newest checkpoint in ``checkpoint_dir``, or None."""
    latest, _ = _read_state(checkpoint_dir)
    if latest is not None and os.path.exists(latest + ".index"):
        return latest
    return None


def list_variables(ckpt_dir_or_file):
    """``[(key, shape), ...]`` of a checkpoint (a prefix or a directory)."""
    path = _resolve(ckpt_dir_or_file)
    return sorted((k, list(v.shape)) for k, v in read_checkpoint(path).items())


def _key(values, name):
    name = name[:-2] if name.endswith(":0") else name
    if name not in values and name + "/.ATTRIBUTES/VARIABLE_VALUE" in values:
        name += "/.ATTRIBUTES/VARIABLE_VALUE"       # a variable's path in the object graph
    if name not in values:
        raise ValueError(f"The checkpoint holds no value named {name!r}; it has "
                         f"{sorted(values)[:10]}")
    return name


def load_variable(ckpt_dir_or_file, name):
    """The saved value of one key as a NumPy array."""
    values = read_checkpoint(_resolve(ckpt_dir_or_file))
    return values[_key(values, name)]


class CheckpointReader:
    """What ``tf.train.load_checkpoint`` returns: the saved tensors by key."""

    def __init__(self, path):
        self._path = path
        self._values = read_checkpoint(path)

    def get_tensor(self, name):
        """The saved value of ``name`` (a NumPy array; strings as bytes objects)."""
        value = self._values[_key(self._values, name)]
        return value[()] if value.shape == () and value.dtype == object else value

    def has_tensor(self, name):
        return name in self._values

    def get_variable_to_shape_map(self):
        return {k: list(v.shape) for k, v in self._values.items()}

    def get_variable_to_dtype_map(self):
        from ember.framework import dtypes
        return {k: dtypes.string if v.dtype == object else dtypes.as_dtype(v.dtype)
                for k, v in self._values.items()}


def load_checkpoint(ckpt_dir_or_file):
    """A ``CheckpointReader`` for a checkpoint prefix, or a directory's newest one."""
    return CheckpointReader(_resolve(ckpt_dir_or_file))


def _resolve(ckpt_dir_or_file):
    path = os.fspath(ckpt_dir_or_file)
    if os.path.isdir(path):
        latest = latest_checkpoint(path)
        if latest is None:
            raise ValueError(f"No checkpoint found in directory {path!r}.")
        return latest
    return path


class CheckpointManager:
    """Saves numbered checkpoints of ``checkpoint`` in ``directory`` and deletes all but the
    newest ``max_to_keep`` (None keeps all).

    >>> manager = ember.train.CheckpointManager(ckpt, "/tmp/ckpts", max_to_keep=3)
    >>> manager.save()                       # '/tmp/ckpts/ckpt-1'
    >>> ckpt.restore(manager.latest_checkpoint)
    """

    def __init__(self, checkpoint, directory, max_to_keep, keep_checkpoint_every_n_hours=None,
                 checkpoint_name="ckpt", step_counter=None, checkpoint_interval=None,
                 init_fn=None):
        if max_to_keep is not None and max_to_keep <= 0:
            raise ValueError(f"max_to_keep must be a positive integer or None; received "
                             f"{max_to_keep}")
        if checkpoint_interval is not None and step_counter is None:
            raise ValueError("`step_counter` should be passed if `checkpoint_interval` is "
                             "not None.")
        self._checkpoint = checkpoint
        self._directory = os.fspath(directory)
        self._max_to_keep = max_to_keep
        self._keep_every_hours = keep_checkpoint_every_n_hours
        self._name = checkpoint_name
        self._step_counter = step_counter
        self._interval = checkpoint_interval
        self._init_fn = init_fn
        self._last_step = None
        self._last_kept_time = time.time()
        latest, paths = _read_state(self._directory)
        self._checkpoints = [p for p in paths if os.path.exists(p + ".index")]
        self._latest = latest if latest in self._checkpoints else \
            (self._checkpoints[-1] if self._checkpoints else None)

    @property
    def directory(self):
        return self._directory

    @property
    def checkpoint(self):
        return self._checkpoint

    @property
    def latest_checkpoint(self):
        return self._latest

    @property
    def checkpoints(self):
        return list(self._checkpoints)

    @property
    def checkpoint_interval(self):
        return self._interval

    def save(self, checkpoint_number=None, check_interval=True, options=None):
        """Writes a checkpoint (numbered ``checkpoint_number``, else the step counter or the
        checkpoint's save counter) and returns its prefix; None when ``checkpoint_interval``
        steps have not passed."""
        step = None
        if self._step_counter is not None:
            step = int(self._step_counter.numpy() if hasattr(self._step_counter, "numpy")
                       else self._step_counter)
        if self._interval is not None and check_interval and self._last_step is not None \
                and step - self._last_step < self._interval:
            return None
        os.makedirs(self._directory, exist_ok=True)
        counter = self._checkpoint._counter()
        counter.assign_add(1)
        if checkpoint_number is None:
            checkpoint_number = step if step is not None else int(counter.numpy())
        prefix = os.path.join(self._directory, f"{self._name}-{int(checkpoint_number)}")
        self._checkpoint.write(prefix, options)
        self._last_step = step
        self._checkpoints = [p for p in self._checkpoints if p != prefix] + [prefix]
        self._latest = prefix
        self._sweep()
        _write_state(self._directory, self._latest, self._checkpoints)
        return prefix

    def _sweep(self):
        if self._max_to_keep is None:
            return
        while len(self._checkpoints) > self._max_to_keep:
            old = self._checkpoints.pop(0)
            if self._keep_every_hours is not None and \
                    time.time() - self._last_kept_time >= self._keep_every_hours * 3600:
                self._last_kept_time = time.time()
                continue
            for suffix in (".index", _DATA_SUFFIX):
                if os.path.exists(old + suffix):
                    os.remove(old + suffix)

    def restore_or_initialize(self):
        """Restores the latest checkpoint and returns its prefix, or runs ``init_fn`` (if
        given) and returns None."""
        if self._latest is not None:
            self._checkpoint.restore(self._latest)
            return self._latest
        if self._init_fn is not None:
            self._init_fn()
        return None


def update_checkpoint_state(save_dir, model_checkpoint_path, all_model_checkpoint_paths=None):
    """Writes ``save_dir``'s ``checkpoint`` state file naming ``model_checkpoint_path`` as
    the latest checkpoint (``tf.compat.v1.train.update_checkpoint_state``)."""
    save_dir = os.fspath(save_dir)
    latest = os.path.join(save_dir, model_checkpoint_path) \
        if not os.path.isabs(model_checkpoint_path) else model_checkpoint_path
    paths = [os.path.join(save_dir, p) if not os.path.isabs(p) else p
             for p in (all_model_checkpoint_paths or [model_checkpoint_path])]
    _write_state(save_dir, latest, paths)
