"""What ember's profiler records while it runs: timed events, one list per thread.

``active`` is the running ``Collector`` or None. The places that time work check it with
one attribute read (the eager dispatcher for each op, a compiled plan for each step,
``ember.profiler.experimental.Trace`` for a user's region) and add an event only while a
profile is being taken, so a program that never profiles pays one comparison per op.

Events are ``(name, start_ns, duration_ns, stats)`` on the ``time.perf_counter_ns`` clock;
``Collector.wall_ns`` turns such a time into nanoseconds since the epoch. Each thread
appends to its own list (found under a lock the first time only), so threads recording at
once never wait for each other. ``ember.profiler`` turns a stopped collector into the
XPlane file TensorBoard's profile plugin reads.
"""
from __future__ import annotations

import sys
import threading
import time

from ember.framework.errors import AlreadyExistsError, UnavailableError

__all__ = ["Collector", "active", "now", "start", "stop"]

now = time.perf_counter_ns

active = None         # the Collector taking the running profile, or None


class Collector:
    """The events of one profile, grouped by the thread that recorded them.

    ``ops`` says whether ops and compiled-plan steps are recorded (host tracer level 2 and
    above) or only the regions a program marks itself (level 1)."""

    def __init__(self, ops=True, python=False):
        self.ops = ops
        self.python = python
        self.start_wall = time.time_ns()
        self._start = now()
        self.stop_wall = None
        self.threads = []          # (thread ident, thread name, [events]) per thread
        self._local = threading.local()
        self._lock = threading.Lock()

    def wall_ns(self, t):
        """Nanoseconds since the epoch for a ``now()`` reading."""
        return self.start_wall + (t - self._start)

    def events(self):
        """The calling thread's event list (a thread-local: a new thread that reuses an
        ended one's ident still gets a line of its own)."""
        try:
            return self._local.events
        except AttributeError:
            thread = threading.current_thread()
            events = self._local.events = []
            with self._lock:
                self.threads.append((thread.ident, thread.name, events))
            return events

    def add(self, name, start, stats=None):
        """Records an event named ``name`` that began at ``start`` and ends now."""
        end = now()
        self.events().append((name, start, end - start, stats))

    # -- Python function calls (ProfilerOptions(python_tracer_level=1)) -----------------
    def _python_hook(self, frame, event, arg):
        if event == "call" or event == "c_call":
            try:
                self._local.stack.append(now())
            except AttributeError:
                self._local.stack = [now()]
        elif event == "return" or event == "c_return" or event == "c_exception":
            stack = getattr(self._local, "stack", None)
            if not stack:
                return
            start = stack.pop()
            if event == "return":
                code = frame.f_code
                name = f"${code.co_filename.rsplit('/', 1)[-1]}:{code.co_firstlineno} " \
                       f"{code.co_name}"
            else:
                name = f"$ {getattr(arg, '__qualname__', getattr(arg, '__name__', '?'))}"
            self.add(name, start)

    def _start_python(self):
        threading.setprofile(self._python_hook)
        sys.setprofile(self._python_hook)

    def _stop_python(self):
        sys.setprofile(None)
        threading.setprofile(None)


_session_lock = threading.Lock()


def start(ops=True, python=False):
    """Starts a profile; AlreadyExistsError when one is already running (one profile at a
    time per process, as in TensorFlow)."""
    global active
    with _session_lock:
        if active is not None:
            raise AlreadyExistsError("Another profiler is running: stop it before "
                                     "starting a new profile.")
        collector = Collector(ops=ops, python=python)
        if python:
            collector._start_python()
        active = collector
    return collector


def stop():
    """Stops the running profile and returns its Collector; UnavailableError when none
    runs."""
    global active
    with _session_lock:
        collector = active
        if collector is None:
            raise UnavailableError("Cannot export profiling results. No profiler is "
                                   "running.")
        active = None
        if collector.python:
            collector._stop_python()
        collector.stop_wall = time.time_ns()
    return collector
