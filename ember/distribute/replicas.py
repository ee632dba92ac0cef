"""Running a function once per local replica, as ``strategy.run`` does with several
replicas in one process (a CPU split into logical devices).

Each replica runs in a thread of its own, as in TensorFlow's MirroredStrategy, but the
threads take turns: one replica runs at a time, handing the turn on when it reaches a
collective (``all_reduce``, ``merge_call``...) or ends. The last replica to reach a
collective combines every replica's contribution, once, and each replica then goes on in
order with the result. So a collective sees all replicas' values, a ``merge_call``
function runs once, the replicas' updates of shared state (metrics) happen one after the
other without races, and the results are the same on every run. Replica threads start
with the caller's context: inside ``ember.function`` they add their ops to the graph
being traced (so one trace holds every replica's computation, combined symbolically).

Every replica must call the same collectives in the same order; when one ends (or fails)
while others wait in a collective it never joined, those raise a RuntimeError instead of
waiting forever, and a collective the other replicas do not reach within the collective
timeout (``EMBER_COLLECTIVE_TIMEOUT``, 300 s) raises one too.
"""
from __future__ import annotations

import contextvars
import threading
import time

from ember.framework import context as _context
from ember.distribute.collective import default_timeout

__all__ = ["LocalReplicaGroup"]


class _Collective:
    __slots__ = ("values", "result", "done", "error")

    def __init__(self, n):
        self.values = [None] * n
        self.result = None
        self.done = False
        self.error = None


class LocalReplicaGroup:
    """``n`` local replicas taking turns (see the module docstring)."""

    def __init__(self, n: int, timeout: float | None = None):
        self.n = n
        self.timeout = timeout if timeout is not None else default_timeout()
        self._cond = threading.Condition()
        self._turn = 0
        self._finished = [False] * n
        self._waiting = [None] * n        # the collective a replica waits in
        self._seq = [0] * n               # collectives each replica has reached
        self._collectives = {}

    # -- turns ----------------------------------------------------------------------
    def _wait_turn(self, i, seq=None):
        deadline = None if seq is None else time.monotonic() + self.timeout
        while self._turn != i:
            if deadline is None:
                self._cond.wait()
                continue
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError(
                    f"strategy.run: replica {i} waited {self.timeout:g} s in collective "
                    f"#{seq} for the other replicas, which did not get there (blocked? an "
                    f"ember.function called inside the replica function is traced by one "
                    f"replica at a time, so its collectives cannot complete: make the "
                    f"function given to strategy.run the ember.function instead)")
            self._cond.wait(left)

    def _pass_turn(self, i):
        """Hands the turn to the next replica after ``i`` that has not finished."""
        for k in range(1, self.n + 1):
            j = (i + k) % self.n
            if not self._finished[j]:
                self._turn = j
                self._cond.notify_all()
                return
        self._turn = -1
        self._cond.notify_all()

    # -- collectives -------------------------------------------------------------------
    def collective(self, i: int, value, combine):
        """Replica ``i`` contributes ``value``; the last replica to arrive calls
        ``combine(values)`` (values in replica order) once; every replica returns its
        result."""
        with self._cond:
            seq = self._seq[i]
            self._seq[i] += 1
            c = self._collectives.get(seq)
            if c is None:
                c = self._collectives[seq] = _Collective(self.n)
            c.values[i] = (value,)
            arrived = sum(v is not None for v in c.values)
            if arrived == self.n:
                try:
                    c.result = combine([v[0] for v in c.values])
                except BaseException as e:  # noqa: BLE001  (handed to every replica)
                    c.error = e
                c.done = True
            else:
                self._waiting[i] = seq
                self._pass_turn(i)
                try:
                    self._wait_turn(i, seq)
                finally:
                    self._waiting[i] = None
                if not c.done:
                    missing = [j for j in range(self.n) if c.values[j] is None]
                    raise RuntimeError(
                        f"strategy.run: replica {i} is waiting in collective #{seq} (an "
                        f"all_reduce, merge_call or similar) that replica(s) {missing} ended "
                        f"without calling; every replica must call the same collectives "
                        f"in the same order")
            if c.error is not None:
                raise c.error
            return c.result

    # -- running ---------------------------------------------------------------------
    def run(self, replica_fn):
        """Runs ``replica_fn(i)`` for each replica ``i`` (taking turns); returns their
        results in replica order, or raises the first replica's error."""
        outer = _context.state()
        results = [None] * self.n
        failures = []

        def main(i):
            st = _context.new_state()        # this thread's execution state: the caller's
            st.graph = outer.graph           # graph, tapes and eager name scopes
            st.tapes = list(outer.tapes)
            st.eager_scope = list(outer.eager_scope)
            with self._cond:
                self._wait_turn(i)
            try:
                results[i] = replica_fn(i)
            except BaseException as e:  # noqa: BLE001  (raised in the caller)
                failures.append((i, e))
            finally:
                with self._cond:
                    self._finished[i] = True
                    self._pass_turn(i)

        threads = []
        for i in range(self.n):
            ctx = contextvars.copy_context()
            t = threading.Thread(target=ctx.run, args=(main, i), daemon=True,
                                 name=f"ember-replica-{i}")
            threads.append(t)
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if failures:
            primary = [f for f in failures if not isinstance(f[1], RuntimeError) or
                       "is waiting in collective" not in str(f[1])]
            raise (primary or failures)[0][1]
        return results
