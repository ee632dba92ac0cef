"""TF1 input queues: ``FIFOQueue``, ``RandomShuffleQueue`` and ``PaddingFIFOQueue``.

Their methods add operations to the graph (or run at once when eager): ``enqueue``,
``enqueue_many``, ``dequeue``, ``dequeue_many``, ``dequeue_up_to``, ``size``, ``close``,
``is_closed``. A dequeue waits for enough elements and an enqueue for room, so producer
threads (``tf.train.QueueRunner``) and the training loop meet through the queue; after
``close()`` a dequeue that cannot be satisfied raises ``OutOfRangeError`` (which ends a
``MonitoredSession`` loop cleanly) and, with ``cancel_pending_enqueues=True``, waiting
enqueues raise ``CancelledError``. The queue itself lives in Python memory and is shared
by every Session of the graph.
"""
from __future__ import annotations

import collections
import threading

import numpy as np

from ember.engine.dispatch import execute
from ember.framework import dtypes as _dtypes
from ember.framework import errors
from ember.framework.op import Op
from ember.framework.tensor import convert_to_tensor
from ember.framework.tensor_shape import TensorShape, as_shape

__all__ = ["QueueBase", "FIFOQueue", "RandomShuffleQueue", "PaddingFIFOQueue"]


class _QueueState:
    """The elements (tuples of arrays) and the lock and condition threads wait on."""

    def __init__(self, name, kind, capacity, dtypes, shapes, min_after_dequeue=0,
                 seed=None):
        self.name = name
        self.kind = kind
        self.capacity = capacity
        self.dtypes = dtypes
        self.shapes = shapes
        self.min_after_dequeue = min_after_dequeue
        self.elements = collections.deque()
        self.closed = False
        self.cancelled = False
        self.cond = threading.Condition()
        self.rng = np.random.default_rng(seed)

    def __repr__(self):
        return f"<{self.kind} {self.name}>"

    def describe(self):
        return f"{self.kind} '{self.name}'"

    # -- operations (kernels call these) ------------------------------------------------
    def put(self, elements):
        with self.cond:
            for element in elements:
                while self.capacity is not None and len(self.elements) >= self.capacity:
                    if self.closed and self.cancelled:
                        raise errors.CancelledError(f"Enqueue operation was cancelled: "
                                                    f"{self.describe()} is closed")
                    self.cond.wait(0.1)
                if self.closed:
                    raise errors.CancelledError(f"{self.describe()} is closed.")
                self.elements.append(element)
                self.cond.notify_all()

    def take(self, n, up_to):
        with self.cond:
            while True:
                available = len(self.elements)
                keep = self.min_after_dequeue if not self.closed else 0
                if available - keep >= n and available >= n:
                    break
                if self.closed:
                    if up_to and available > 0:
                        n = available
                        break
                    raise errors.OutOfRangeError(
                        f"{self.describe()} is closed and has insufficient elements "
                        f"(requested {n}, current size {available})")
                self.cond.wait(0.1)
            out = []
            for _ in range(n):
                if self.kind == "RandomShuffleQueue":
                    i = int(self.rng.integers(len(self.elements)))
                    self.elements.rotate(-i)
                    out.append(self.elements.popleft())
                    self.elements.rotate(i)
                else:
                    out.append(self.elements.popleft())
            self.cond.notify_all()
            return out

    def close(self, cancel):
        with self.cond:
            self.closed = True
            self.cancelled = self.cancelled or cancel
            self.cond.notify_all()


def _element_shape(q, i, arr, what):
    want = q.shapes[i] if q.shapes is not None else None
    if want is not None and not want.is_compatible_with(arr.shape):
        raise errors.InvalidArgumentError(
            f"{q.describe()}: {what} component {i} has shape {list(arr.shape)}, which does "
            f"not match the queue's shape {want}")


class _EffectOp(Op):
    """A queue op run for its effect: no outputs (a graph node to run as a target)."""

    differentiable = False
    stateful = True
    side_effect = True
    num_outputs = 0

    def output_count(self, attrs):
        return 0


class _Enqueue(_EffectOp):
    name = "QueueEnqueueV2"
    strings = True

    def infer(self, inputs, queue, many):
        if len(inputs) != len(queue.dtypes):
            raise errors.InvalidArgumentError(
                f"{queue.describe()}: enqueue expects {len(queue.dtypes)} components, got "
                f"{len(inputs)}")
        for i, (spec, dtype) in enumerate(zip(inputs, queue.dtypes)):
            if spec.dtype is not dtype:
                raise errors.InvalidArgumentError(
                    f"{queue.describe()}: component {i} must be {dtype.name}, got "
                    f"{spec.dtype.name}")
        return []

    def kernel(self, xp, *arrays, queue, many):
        # copies: an input may be a buffer a later step updates in place (a variable's)
        arrays = [np.array(a, copy=True) for a in arrays]
        if not many:
            for i, a in enumerate(arrays):
                _element_shape(queue, i, a, "enqueued")
            queue.put([tuple(arrays)])
            return ()
        counts = {a.shape[0] if a.ndim else None for a in arrays}
        if None in counts or len(counts) != 1:
            raise errors.InvalidArgumentError(
                f"{queue.describe()}: enqueue_many needs components with the same first "
                f"dimension, got shapes {[list(a.shape) for a in arrays]}")
        n = counts.pop()
        for i, a in enumerate(arrays):
            if n:
                _element_shape(queue, i, a[0], "enqueued")
        queue.put([tuple(a[k] for a in arrays) for k in range(n)])
        return ()


class _Dequeue(Op):
    name = "QueueDequeueV2"
    strings = True
    differentiable = False
    stateful = True

    def output_count(self, attrs):
        return len(attrs["queue"].dtypes)

    def infer(self, inputs, queue, n, up_to):
        out = []
        for i, dtype in enumerate(queue.dtypes):
            shape = queue.shapes[i] if queue.shapes is not None else TensorShape(None)
            if n is not None:
                shape = TensorShape([None if up_to else n]).concatenate(shape)
            out.append((shape, dtype))
        return out

    def kernel(self, xp, queue, n, up_to):
        elements = queue.take(1 if n is None else n, up_to)
        if n is None:
            return tuple(np.array(c, copy=True) for c in elements[0])
        out = []
        for i in range(len(queue.dtypes)):
            parts = [e[i] for e in elements]
            if queue.kind == "PaddingFIFOQueue":
                parts = _pad_to_common(parts, queue.dtypes[i])
            out.append(np.stack(parts) if parts else
                       np.zeros((0,) + tuple(d or 0 for d in (
                           queue.shapes[i].as_list() if queue.shapes else [])),
                           queue.dtypes[i].np))
        return tuple(out)


def _pad_to_common(parts, dtype):
    shape = np.max([p.shape for p in parts], axis=0) if parts[0].ndim else ()
    fill = b"" if dtype is _dtypes.string else 0
    out = []
    for p in parts:
        if p.shape != tuple(shape):
            padded = np.full(tuple(shape), fill, dtype=p.dtype)
            padded[tuple(slice(0, s) for s in p.shape)] = p
            p = padded
        out.append(p)
    return out


class _QueueScalar(Op):
    """A scalar read of the queue's state: its size or whether it is closed."""

    differentiable = False
    stateful = True

    def __init__(self, name, dtype, read):
        self._dtype, self._read = dtype, read
        super().__init__(name)

    def infer(self, inputs, queue):
        return TensorShape([]), self._dtype

    def kernel(self, xp, queue):
        with queue.cond:
            return np.asarray(self._read(queue), self._dtype.np)


class _Close(_EffectOp):
    name = "QueueCloseV2"

    def infer(self, inputs, queue, cancel_pending_enqueues):
        return []

    def kernel(self, xp, queue, cancel_pending_enqueues):
        queue.close(cancel_pending_enqueues)
        return ()


ENQUEUE, DEQUEUE, CLOSE = _Enqueue(), _Dequeue(), _Close()
SIZE = _QueueScalar("QueueSizeV2", _dtypes.int32, lambda q: len(q.elements))
IS_CLOSED = _QueueScalar("QueueIsClosedV2", _dtypes.bool, lambda q: q.closed)


def _operation(op, inputs, attrs, name):
    """Runs ``op`` (no outputs) eagerly, or adds it to the graph and returns the node."""
    from ember.framework.context import context
    graph = context.graph
    if graph is None:
        execute(op, inputs, attrs, name)
        return None
    before = len(graph._operations)
    execute(op, inputs, attrs, name)
    return next(o for o in reversed(graph._operations[before:]) if o.op_def is op)


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


class QueueBase:
    """The methods every queue has; ``dtypes``, ``shapes`` and ``names`` describe an
    element (one tensor per component; with ``names``, elements are dicts)."""

    _kind = "FIFOQueue"

    def __init__(self, capacity, dtypes, shapes=None, names=None, shared_name=None,
                 name="fifo_queue", min_after_dequeue=0, seed=None):
        self._dtypes = [_dtypes.as_dtype(d) for d in _as_list(dtypes)]
        if shapes is not None:
            shapes = [as_shape(s) for s in (shapes if isinstance(shapes, (list, tuple)) and
                                            shapes and not isinstance(shapes[0], int)
                                            else [shapes])]
            if len(shapes) != len(self._dtypes):
                raise ValueError(f"Queue shapes must have the same length as dtypes "
                                 f"({len(shapes)} vs {len(self._dtypes)})")
        self._shapes = shapes
        self._names = list(names) if names is not None else None
        if self._names is not None and len(self._names) != len(self._dtypes):
            raise ValueError("Queue names must have the same length as dtypes")
        if capacity is not None and capacity <= 0 and self._kind != "PaddingFIFOQueue":
            raise ValueError(f"{self._kind}: capacity must be positive, got {capacity}")
        self._name = name
        self._queue = _QueueState(name, self._kind, capacity if capacity and capacity > 0
                                  else None, self._dtypes, shapes, min_after_dequeue, seed)

    @property
    def name(self):
        return self._name

    @property
    def dtypes(self):
        return list(self._dtypes)

    @property
    def shapes(self):
        return list(self._shapes) if self._shapes is not None else \
            [TensorShape(None)] * len(self._dtypes)

    @property
    def names(self):
        return self._names

    def _components(self, vals):
        if self._names is not None:
            if not isinstance(vals, dict):
                raise ValueError("Queue with names requires a dict of values to enqueue")
            vals = [vals[n] for n in self._names]
        vals = _as_list(vals)
        return tuple(convert_to_tensor(v, dtype=d) for v, d in zip(vals, self._dtypes)) \
            if len(vals) == len(self._dtypes) else tuple(convert_to_tensor(v) for v in vals)

    def _pack(self, outs):
        outs = _as_list(outs)
        if self._names is not None:
            return dict(zip(self._names, outs))
        return outs[0] if len(outs) == 1 else outs

    def enqueue(self, vals, name=None):
        """Adds one element (waits while the queue is full)."""
        return _operation(ENQUEUE, self._components(vals),
                          {"queue": self._queue, "many": False},
                          name or f"{self._name}_enqueue")

    def enqueue_many(self, vals, name=None):
        """Adds the slices along the first dimension of ``vals`` as elements."""
        return _operation(ENQUEUE, self._components(vals),
                          {"queue": self._queue, "many": True},
                          name or f"{self._name}_EnqueueMany")

    def dequeue(self, name=None):
        """Removes one element (waits until there is one)."""
        return self._pack(execute(DEQUEUE, (), {"queue": self._queue, "n": None,
                                                "up_to": False},
                                  name or f"{self._name}_Dequeue"))

    def dequeue_many(self, n, name=None):
        """Removes ``n`` elements, stacked (waits until there are ``n``)."""
        return self._pack(execute(DEQUEUE, (), {"queue": self._queue, "n": int(n),
                                                "up_to": False},
                                  name or f"{self._name}_DequeueMany"))

    def dequeue_up_to(self, n, name=None):
        """Like dequeue_many, but after ``close`` returns the fewer elements left."""
        return self._pack(execute(DEQUEUE, (), {"queue": self._queue, "n": int(n),
                                                "up_to": True},
                                  name or f"{self._name}_DequeueUpTo"))

    def size(self, name=None):
        return execute(SIZE, (), {"queue": self._queue}, name or f"{self._name}_Size")

    def close(self, cancel_pending_enqueues=False, name=None):
        """No more elements may be enqueued; dequeues drain what is left."""
        return _operation(CLOSE, (), {"queue": self._queue,
                                      "cancel_pending_enqueues": bool(cancel_pending_enqueues)},
                          name or f"{self._name}_Close")

    def is_closed(self, name=None):
        return execute(IS_CLOSED, (), {"queue": self._queue},
                       name or f"{self._name}_IsClosed")


class FIFOQueue(QueueBase):
    """Elements come out in the order they went in."""

    _kind = "FIFOQueue"

    def __init__(self, capacity, dtypes, shapes=None, names=None, shared_name=None,
                 name="fifo_queue"):
        super().__init__(capacity, dtypes, shapes, names, shared_name, name)


class RandomShuffleQueue(QueueBase):
    """Elements come out in random order; a dequeue leaves at least
    ``min_after_dequeue`` elements (until the queue is closed)."""

    _kind = "RandomShuffleQueue"

    def __init__(self, capacity, min_after_dequeue, dtypes, shapes=None, names=None,
                 seed=None, shared_name=None, name="random_shuffle_queue"):
        if min_after_dequeue >= capacity:
            raise ValueError(f"RandomShuffleQueue: min_after_dequeue ({min_after_dequeue}) "
                             f"must be less than capacity ({capacity})")
        from ember.framework.random_seed import get_seed
        seeds = get_seed(seed)        # through ember's seeding (global and op seeds)
        seed = None if seeds == (None, None) else list(seeds)
        super().__init__(capacity, dtypes, shapes, names, shared_name, name,
                         min_after_dequeue=min_after_dequeue, seed=seed)


class PaddingFIFOQueue(QueueBase):
    """A FIFOQueue whose elements may differ in the dimensions ``shapes`` leaves None;
    ``dequeue_many`` pads them (with zeros) to the largest in the batch."""

    _kind = "PaddingFIFOQueue"

    def __init__(self, capacity, dtypes, shapes, names=None, shared_name=None,
                 name="padding_fifo_queue"):
        if shapes is None:
            raise ValueError("PaddingFIFOQueue needs shapes (use None for the dimensions "
                             "that vary)")
        super().__init__(capacity, dtypes, shapes, names, shared_name, name)
