"""Registration points through which upper layers plug into lower ones.

ember's layers import only downward (see docs/architecture.md). Where a lower layer needs
something an upper layer defines, the upper layer registers it here when it is imported:

- ``library``: the few op-library functions that core types and the engine call (the
  backward walker's zeros, ones, sums and stacks; a symbolic tensor's ``==``; a v1 graph
  variable's cast). ``ember.ops`` fills it (``ember/ops/hooks.py``).
- ``graph_def_writer()``: the function that writes a graph as TensorFlow's ``GraphDef``
  (``Graph.as_graph_def``); ``ember.compat.v1.graph_export`` registers it, and is loaded
  by name on first use when nothing has imported it yet.
- ``default_session()``: compat.v1's default ``Session`` (for ``Tensor.eval()`` and
  ``Variable.eval()``); ``ember.compat.v1`` registers its getter.
- ``replicas_in_sync()``: the current tf.distribute strategy's number of replicas in sync
  (for ``nn.compute_average_loss``); ``ember.distribute`` registers its getter.

The symbolic-input handler through which Keras records ops on ``KerasTensor``s is
registered with the dispatcher (``ember.engine.dispatch.register_symbolic_input_handler``).
"""
from __future__ import annotations

__all__ = ["library", "provide", "default_session", "set_default_session_getter",
           "set_graph_def_writer", "graph_def_writer", "replicas_in_sync",
           "set_replicas_in_sync_getter"]


class _Library:
    """Op-library functions by name, provided by ``ember.ops`` at import."""

    def __getattr__(self, name):
        raise RuntimeError(f"the op library has not provided {name!r} to the engine: "
                           f"import ember (which imports ember.ops) first")


library = _Library()


def provide(**functions) -> None:
    """Called by the op library: makes ``library.<name>`` the given functions."""
    library.__dict__.update(functions)


_session_getter = None


def set_default_session_getter(getter) -> None:
    """Called by ember.compat.v1: ``getter()`` returns the default Session or None."""
    global _session_getter
    _session_getter = getter


def default_session():
    """compat.v1's default Session, or None (none registered, or compat.v1 not imported)."""
    return _session_getter() if _session_getter is not None else None


_graph_def_writer = None


def set_graph_def_writer(writer) -> None:
    """Called by ember.compat.v1.graph_export: ``writer(graph, add_shapes)`` -> GraphDef."""
    global _graph_def_writer
    _graph_def_writer = writer


def graph_def_writer():
    """The registered GraphDef writer (its module is loaded by name the first time)."""
    if _graph_def_writer is None:
        import importlib
        importlib.import_module("ember.compat.v1.graph_export")
    return _graph_def_writer


_replicas_getter = None


def set_replicas_in_sync_getter(getter) -> None:
    """Called by ember.distribute: ``getter()`` returns the current strategy's
    ``num_replicas_in_sync``."""
    global _replicas_getter
    _replicas_getter = getter


def replicas_in_sync() -> int:
    """The current strategy's number of replicas in sync (1 without ember.distribute)."""
    return _replicas_getter() if _replicas_getter is not None else 1
