"""Session: runs fetches of a v1 Graph with a feed_dict, through compiled plans."""
from __future__ import annotations

import contextlib

import numpy as np

from ember.framework import dtypes, nest
from ember.framework.context import context
from ember.framework.errors import InvalidArgumentError
from ember.engine.graph import Operation, SymbolicTensor
from ember.framework import hooks
from ember.framework.tensor import EagerTensor, convert_to_tensor

__all__ = ["Session", "InteractiveSession", "get_default_session"]

_default_sessions = []


def get_default_session():
    return _default_sessions[-1] if _default_sessions else None


hooks.set_default_session_getter(get_default_session)


class Session:
    """Runs parts of a graph: ``sess.run(fetches, feed_dict={placeholder: value})``.

    Fetches may be tensors, operations, variables, tensor names or any nesting of them
    in lists, tuples and dicts; the result has the same structure.
    """

    def __init__(self, target="", graph=None, config=None):
        from ember.compat.v1 import get_default_graph
        self.graph = graph if graph is not None else get_default_graph()
        self._calls = {}          # (fetch ids, feed ids) -> elements, feeds, compiled plan
        self._closed = False
        self._variable_reads = {}
        self._context = None

    # -- context management ------------------------------------------------------------
    def __enter__(self):
        self._context = self.graph.as_default()
        self._context.__enter__()
        _default_sessions.append(self)
        return self

    def __exit__(self, *exc):
        if _default_sessions and _default_sessions[-1] is self:
            _default_sessions.pop()
        if self._context is not None:
            self._context.__exit__(*exc)
            self._context = None
        self.close()
        return False

    def as_default(self):
        session = self

        class _Default:
            def __enter__(self):
                _default_sessions.append(session)
                return session

            def __exit__(self, *exc):
                _default_sessions.remove(session)
                return False
        return _Default()

    def close(self):
        self._closed = True
        self._calls.clear()

    # -- running -----------------------------------------------------------------------
    def _element(self, f):
        if isinstance(f, str):
            return self.graph.as_graph_element(f)
        if getattr(f, "_is_ember_variable", False):
            read = self._variable_reads.get(id(f))
            if read is None:
                prev = context.graph
                context.graph = self.graph
                try:
                    read = self.graph.read_variable(f)
                finally:
                    context.graph = prev
                self._variable_reads[id(f)] = read
            return read
        if isinstance(f, (SymbolicTensor, Operation)):
            if f.graph is not self.graph:
                raise ValueError(f"Fetch {f.name} is not an element of this session's graph")
            return f
        if isinstance(f, EagerTensor):
            return f
        raise TypeError(f"Fetch argument {f!r} has invalid type {type(f).__name__}; it must "
                        f"be a tensor, an operation, a variable or a name")

    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        """Computes ``fetches``, feeding ``feed_dict`` values for the keyed tensors."""
        if self._closed:
            raise RuntimeError("Attempted to use a closed Session.")
        leaves = nest.flatten(fetches)
        # a RaggedTensor is fetched as its component tensors and rebuilt from their values
        parts = [f._components() if getattr(f, "_is_ragged", False) else [f] for f in leaves]
        raw = [p for ps in parts for p in ps]
        feed_dict = feed_dict or {}
        call_key = (tuple(map(id, raw)), tuple(map(id, feed_dict)))
        cached = self._calls.get(call_key)
        if cached is None:
            flat = [self._element(f) for f in raw]
            tensors = [f for f in flat if isinstance(f, SymbolicTensor)]
            targets = [f for f in flat if isinstance(f, Operation)]
            feed_keys = []
            for key in feed_dict:
                t = self._element(key)
                if not isinstance(t, SymbolicTensor):
                    raise TypeError(f"Cannot feed {key!r}: feed keys must be tensors of the "
                                    f"graph")
                feed_keys.append(t)
            from ember.engine.compiler import compile_plan
            plan = compile_plan(self.graph, tensors, feed_keys, targets)
            # keep the fetched objects alive: the cache is keyed by their ids
            cached = (flat, feed_keys, plan, raw, list(feed_dict))
            self._calls[call_key] = cached
        flat, feed_keys, plan, _, _ = cached
        feed_vals = [_feed_array(t, v) for t, v in zip(feed_keys, feed_dict.values())]
        if run_metadata is not None and getattr(options, "trace_level", 0):
            results = iter(_traced_run(plan, feed_vals, run_metadata))
        else:
            results = iter(plan.run(feed_vals))
        out = []
        for f in flat:
            if isinstance(f, SymbolicTensor):
                out.append(_as_output(next(results)))
            elif isinstance(f, EagerTensor):
                out.append(f.numpy())
            else:
                out.append(None)
        if len(raw) != len(leaves):
            values = iter(out)
            out = [f._from_components([EagerTensor(np.asarray(next(values))) for _ in ps])
                   if getattr(f, "_is_ragged", False) else next(values)
                   for f, ps in zip(leaves, parts)]
        return nest.pack_sequence_as(fetches, out)

    def make_callable(self, fetches, feed_list=None):
        feed_list = list(feed_list or [])

        def call(*values):
            return self.run(fetches, dict(zip(feed_list, values)))
        return call

    def list_devices(self):
        return []


class _StepTimes:
    """Collects each plan step's time for ``RunMetadata.step_stats`` (a traced run)."""

    ops = True

    def __init__(self):
        from ember.runtime.profiling import now
        self.now = now
        self.steps = []

    def add(self, name, started):
        node, _, op_type = name.rpartition(":")
        self.steps.append((node, op_type, started / 1000.0,
                           (self.now() - started) / 1000.0))


_nothing = contextlib.nullcontext


def _traced_run(plan, feed_vals, run_metadata):
    """``plan`` run one step at a time, timing each (RunOptions.FULL_TRACE)."""
    times = _StepTimes()
    try:
        with np.errstate(all="ignore") if plan._errstate else _nothing():
            out = plan.run_interpreted(feed_vals, times)
        for v in plan.exposed_variables:
            v._exposed = True     # the caller now holds its buffer: copy on next update
    except (ValueError, TypeError, IndexError, ArithmeticError) as e:
        node = getattr(e, "ember_node", None)
        where = f" (while running node '{node.name}', op {node.op.name})" if node else ""
        raise InvalidArgumentError(f"{e}{where}") from None
    run_metadata.step_stats = list(run_metadata.step_stats) + times.steps
    return out


def _as_output(value):
    arr = np.asarray(value)
    return arr[()] if arr.ndim == 0 else arr


def _feed_array(t, value):
    if isinstance(value, EagerTensor):
        arr = value._value
    else:
        arr = np.asarray(value)
    want = t.dtype
    if arr.dtype == want._np and want is not dtypes.string:
        dims = t._shape._dims
        if dims is not None and len(dims) == arr.ndim and all(
                d is None or d == s for d, s in zip(dims, arr.shape)):
            return arr
    if want is dtypes.string:
        arr = convert_to_tensor(arr, dtype=dtypes.string)._value
    elif arr.dtype != want.np:
        if arr.dtype.kind == "f" and want.is_integer:
            raise InvalidArgumentError(f"Cannot feed a float value to the {want.name} tensor "
                                       f"{t.name}")
        arr = arr.astype(want.np)
    if not t.shape.is_compatible_with(arr.shape):
        raise ValueError(f"Cannot feed value of shape {arr.shape} for Tensor {t.name!r}, which "
                         f"has shape {str(t.shape)!r}")
    return arr


class InteractiveSession(Session):
    """A Session that installs itself as the default (for ``Tensor.eval()`` in a shell)."""

    def __init__(self, target="", graph=None, config=None):
        super().__init__(target, graph, config)
        _default_sessions.append(self)

    def close(self):
        if self in _default_sessions:
            _default_sessions.remove(self)
        super().close()
