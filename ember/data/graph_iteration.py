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

__all__ = ["graph_for_loop"]

_NOTHING = object()


class _IteratorState:
    """The dataset of one traced loop and, per thread, its current pass (op attribute:
    hashed by identity)."""

    def __init__(self, dataset):
        self.dataset = dataset
        self.specs = structure.flatten(dataset.element_spec)
        self._local = threading.local()
        self._count = 0

    def start(self):
        prev_graph = context.graph
        context.graph = None            # the pipeline's own functions run eagerly/compiled
        try:
            self._local.iterator = self.dataset._iter()
        finally:
            context.graph = prev_graph
        self._local.ahead = _NOTHING
        self._count += 1
        return np.int64(self._count)

    def _pull(self):
        local = self._local
        if getattr(local, "iterator", None) is None:
            raise OutOfRangeError("Dataset iterator: get_next before the iterator started.")
        if local.ahead is _NOTHING:
            prev_graph = context.graph
            context.graph = None
            try:
                local.ahead = next(local.iterator)
            except StopIteration:
                local.ahead = None
                local.iterator = iter(())
            finally:
                context.graph = prev_graph
        return local.ahead

    def has_next(self):
        return np.bool_(self._pull() is not None)

    def get_next(self):
        element = self._pull()
        if element is None:
            raise OutOfRangeError("End of sequence: the dataset has no more elements.")
        self._local.ahead = _NOTHING
        arrays = structure.flatten(element)
        out = []
        for spec, a in zip(self.specs, arrays):
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


def graph_for_loop(dataset, extra_test, body, get_state, set_state, names, opts):
    """AutoGraph's ``for element in dataset: body(element)`` as one graph loop that pulls
    the dataset's elements when the graph runs (stopping early when ``extra_test()`` is
    false: ``break``/``return`` in the body)."""
    import ember
    from ember.autograph import operators
    state = _IteratorState(dataset)
    spec = dataset.element_spec
    token = execute(START, [], {"state": state})
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
        element = structure.pack(spec, parts)
        body(element)
        count[0] = count[0] + 1

    operators._graph_while(None, test, body2, get_state2, set_state2,
                           tuple(names) + ("<dataset element count>",), opts,
                           "for loop over a tf.data.Dataset")
