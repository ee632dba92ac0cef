"""Iterating any Dataset inside ``ember.function``: the Python pipeline runs from graph ops.

TensorFlow runs a dataset inside the graph; ember's pipelines are Python, so a traced
``for x in ds`` (AutoGraph) becomes a graph ``while_loop`` around three stateful ops that
call into the pipeline when the graph runs:

- ``DatasetIteratorStart``: a fresh iterator over the dataset (one per run of the graph,
  so each call of the function makes a new pass, as iterating eagerly again does: a
  reshuffling ``shuffle`` draws a new order), returns a token;
- ``DatasetIteratorHasNext`` (the loop's condition): reads the next element ahead;
- ``DatasetIteratorGetNext`` (in the body): hands it out, as tensors of the dataset's
  ``element_spec``.

Each op takes the token and the loop's element count, so the graph orders them. The
iterator belongs to the thread that runs the graph.
"""
from __future__ import annotations

import threading

import numpy as np

from ember.data import structure
from ember.engine.dispatch import execute
from ember.framework import dtypes
from ember.framework.context import context
from ember.framework.errors import OutOfRangeError
from ember.framework.op import Op
from ember.framework.tensor_shape import TensorShape

__all__ = ["graph_for_loop", "GraphIterator", "Cursor"]

_NOTHING = object()


class _outside_graphs:
    """The pipeline's own functions run eagerly/compiled, not into the graph being run."""

    def __enter__(self):
        self._prev = context.graph
        context.graph = None

    def __exit__(self, *exc):
        context.graph = self._prev


class Cursor:
    """A pass over a dataset (its Python iterator) with one element of read-ahead: what an
    eager ``iter(ds)`` holds, so that eager ``next`` and graph ops read the same pass."""

    def __init__(self, iterator):
        self.iterator = iterator
        self.ahead = _NOTHING

    def peek(self):
        """The next element, or None at the end (kept for the next ``take``)."""
        if self.ahead is _NOTHING:
            with _outside_graphs():
                try:
                    self.ahead = next(self.iterator)
                except StopIteration:
                    self.ahead = None
                    self.iterator = iter(())
        return self.ahead

    def take(self):
        element = self.peek()
        if element is not None:
            self.ahead = _NOTHING
        return element


class _IteratorState:
    """The dataset a graph iterates and where its pass lives (op attribute: hashed by
    identity): a fixed ``cursor`` (an iterator made eagerly and used inside the function),
    or one per thread that ``start`` makes anew each time the graph runs."""

    def __init__(self, dataset, cursor=None):
        self.dataset = dataset
        self.specs = structure.flatten(dataset.element_spec)
        self._fixed = cursor
        self._local = threading.local()
        self._count = 0

    def _cursor(self):
        if self._fixed is not None:
            return self._fixed
        cursor = getattr(self._local, "cursor", None)
        if cursor is None:
            raise OutOfRangeError("Dataset iterator: get_next before the iterator started.")
        return cursor

    def start(self):
        with _outside_graphs():
            self._local.cursor = Cursor(self.dataset._iter())
        self._count += 1
        return np.int64(self._count)

    def has_next(self):
        return np.bool_(self._cursor().peek() is not None)

    def get_next(self):
        element = self._cursor().take()
        if element is None:
            raise OutOfRangeError("End of sequence: the dataset has no more elements.")
        out = []
        for spec, a in zip(self.specs, structure.flatten(element)):
            a = np.asarray(a)
            if spec.dtype is not dtypes.string and a.dtype != spec.dtype.as_numpy_dtype:
                a = a.astype(spec.dtype.as_numpy_dtype)
            out.append(a)
        return tuple(out)


class _IteratorOp(Op):
    """Calls ``state``'s method ``call`` on the inputs (token, count); its Python runs for
    its effect on the iterator whatever reads the result."""

    side_effect = True
    stateful = True
    differentiable = False
    call = None
    result = None      # (shape, dtype) of a one-output op

    def infer(self, inputs, state):
        return self.result

    def kernel(self, xp, *inputs, state):
        return getattr(state, self.call)()


class _Start(_IteratorOp):
    name = "DatasetIteratorStart"
    call = "start"
    result = (TensorShape([]), dtypes.int64)


class _HasNext(_IteratorOp):
    name = "DatasetIteratorHasNext"
    call = "has_next"
    result = (TensorShape([]), dtypes.bool)


class _GetNext(_IteratorOp):
    name = "DatasetIteratorGetNext"
    call = "get_next"
    relaxed_shape = True
    strings = True

    def output_count(self, attrs):
        return len(attrs["state"].specs)

    def infer(self, inputs, state):
        return [(s.shape, s.dtype) for s in state.specs]


START, HAS_NEXT, GET_NEXT = _Start(), _HasNext(), _GetNext()


class GraphIterator:
    """What ``iter(dataset)`` / ``next`` mean inside a traced function: ``next`` adds an op
    that hands out the next element when the graph runs (OutOfRangeError at the end). An
    iterator made inside the function starts a new pass each time the graph runs; one
    made eagerly (``cursor``) goes on with its pass on every call, as in TensorFlow."""

    _UNROLL_LIMIT = 1000

    def __init__(self, dataset, cursor=None):
        self.state = _IteratorState(dataset, cursor)
        self.spec = dataset.element_spec
        self._graph = None
        self._token = None
        self._calls = 0

    def token(self):
        """The op that orders this iterator's ops in the current graph (a new pass's
        start, or a constant for an eager iterator's going-on pass)."""
        import ember
        graph = context.graph
        if self._graph is not graph:
            self._graph, self._calls = graph, 0
            self._token = ember.constant(0, ember.int64) if self.state._fixed is not None \
                else execute(START, [], {"state": self.state})
        return self._token

    def get_next(self):
        token = self.token()
        self._calls += 1
        if self._calls > self._UNROLL_LIMIT:
            raise ValueError(
                f"next() was called {self._calls} times on a tf.data iterator while one "
                f"function was traced: a Python loop over a dataset in a traced function "
                f"unrolls without end. Write `for element in dataset:` with AutoGraph (on "
                f"by default in ember.function), or call next() inside a `tf.range` loop.")
        parts = execute(GET_NEXT, [token, self._token], {"state": self.state})
        parts = parts if isinstance(parts, list) else [parts]
        self._token = parts[0]            # the next op on this iterator comes after
        return structure.pack(self.spec, parts)

    def for_loop(self, extra_test, body, get_state, set_state, names, opts):
        graph_for_loop(self, extra_test, body, get_state, set_state, names, opts)


def graph_for_loop(source, extra_test, body, get_state, set_state, names, opts):
    """AutoGraph's ``for element in source: body(element)`` (a Dataset, or a
    ``GraphIterator`` going on with its pass) as one graph loop that pulls elements when
    the graph runs (stopping early when ``extra_test()`` is false: ``break``/``return``
    in the body)."""
    import ember
    from ember.autograph import operators
    it = source if isinstance(source, GraphIterator) else GraphIterator(source)
    state, spec = it.state, it.spec
    token = it.token()
    count = [ember.constant(0, ember.int64)]

    def get_state2():
        return tuple(get_state()) + (count[0],)

    def set_state2(values):
        set_state(tuple(values[:-1]))
        count[0] = values[-1]

    def test():
        def more():
            return execute(HAS_NEXT, [token, count[0]], {"state": state})
        if extra_test is None:
            return more()
        return operators.and_(extra_test, more)

    def body2():
        parts = execute(GET_NEXT, [token, count[0]], {"state": state})
        parts = parts if isinstance(parts, list) else [parts]
        body(structure.pack(spec, parts))
        count[0] = count[0] + 1

    operators._graph_while(None, test, body2, get_state2, set_state2,
                           tuple(names) + ("<dataset element count>",), opts,
                           "for loop over a tf.data.Dataset")
    it._token = count[0]              # a next() after the loop comes after it
