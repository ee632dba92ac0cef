"""``tf.train.Coordinator``: lets threads ask each other to stop and reports the first
exception one of them raised.

    coord = tf.train.Coordinator()
    threads = [threading.Thread(target=work, args=(coord,)) for _ in range(4)]
    for t in threads: t.start()
    coord.join(threads)          # re-raises the exception that stopped them, if any
"""
from __future__ import annotations

import contextlib
import sys
import threading
import time

from ember.framework import errors

__all__ = ["Coordinator", "LooperThread"]


class Coordinator:
    """Thread coordination: ``should_stop``, ``request_stop(ex)``, ``join(threads)``.

    ``clean_stop_exception_types`` (default ``(OutOfRangeError,)``) are exceptions that
    stop the threads cleanly: ``join`` does not re-raise them.
    """

    def __init__(self, clean_stop_exception_types=None):
        if clean_stop_exception_types is None:
            clean_stop_exception_types = (errors.OutOfRangeError,)
        self._clean_stop_exception_types = tuple(clean_stop_exception_types)
        self._lock = threading.Lock()
        self._stop_event = threading.Event()
        self._exc_info_to_raise = None
        self._joined = False
        self._registered_threads = set()

    def _filter_exception(self, ex):
        exc = ex[1] if isinstance(ex, tuple) else ex
        if isinstance(exc, self._clean_stop_exception_types):
            return None
        return ex

    def request_stop(self, ex=None):
        """Asks every thread to stop. ``ex`` (an exception or ``sys.exc_info()``) is
        reported by ``join``; only the first one is kept."""
        with self._lock:
            ex = self._filter_exception(ex)
            if self._joined:
                if isinstance(ex, tuple):
                    _, value, tb = ex
                    raise value.with_traceback(tb)
                if ex is not None:
                    raise ex
            if ex is not None and self._exc_info_to_raise is None:
                if isinstance(ex, tuple):
                    if not isinstance(ex[1], BaseException):
                        raise ValueError(f"ex must be an exception or sys.exc_info(), got "
                                         f"{ex!r}")
                    self._exc_info_to_raise = ex
                else:
                    if not isinstance(ex, BaseException):
                        raise ValueError(f"ex must be an exception or sys.exc_info(), got "
                                         f"{ex!r}")
                    self._exc_info_to_raise = (type(ex), ex, ex.__traceback__)
            self._stop_event.set()

    def clear_stop(self):
        """Makes ``should_stop`` false again (forgets any reported exception)."""
        with self._lock:
            self._joined = False
            self._exc_info_to_raise = None
            self._stop_event.clear()

    def should_stop(self):
        return self._stop_event.is_set()

    @contextlib.contextmanager
    def stop_on_exception(self):
        """A block whose exception (other than ``SystemExit``) requests a stop instead of
        propagating."""
        try:
            yield
        except Exception:  # noqa: BLE001 - reported through join()
            self.request_stop(ex=sys.exc_info())

    def wait_for_stop(self, timeout=None):
        """Waits until a stop is requested (or ``timeout`` seconds); True if requested."""
        return self._stop_event.wait(timeout)

    def register_thread(self, thread):
        with self._lock:
            self._registered_threads.add(thread)

    def join(self, threads=None, stop_grace_period_secs=120, ignore_live_threads=False):
        """Waits for ``threads`` (and the registered ones) to finish after a stop is
        requested; re-raises the exception passed to ``request_stop``. Threads still
        alive ``stop_grace_period_secs`` after the request raise RuntimeError unless
        ``ignore_live_threads``."""
        threads = set(threads or ()) | set(self._registered_threads)
        while any(t.is_alive() for t in threads) and not self.wait_for_stop(1.0):
            pass
        deadline = time.monotonic() + stop_grace_period_secs
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            self._joined = True
            self._registered_threads = set()
            exc_info = self._exc_info_to_raise
        if exc_info is not None:
            raise exc_info[1].with_traceback(exc_info[2])
        alive = [t.name for t in threads if t.is_alive()]
        if alive and not ignore_live_threads:
            raise RuntimeError(f"Coordinator stopped with threads still running: "
                               f"{' '.join(alive)}")

    @property
    def joined(self):
        return self._joined

    def raise_requested_exception(self):
        with self._lock:
            if self._exc_info_to_raise is not None:
                raise self._exc_info_to_raise[1].with_traceback(self._exc_info_to_raise[2])


class LooperThread(threading.Thread):
    """A thread that calls ``target(*args)`` every ``timer_interval_secs`` (or repeatedly
    without pause when None) until the coordinator asks it to stop."""

    def __init__(self, coord, timer_interval_secs, target=None, args=None, kwargs=None):
        if not isinstance(coord, Coordinator):
            raise ValueError(f"'coord' argument must be a Coordinator: {coord!r}")
        super().__init__(daemon=True)
        self._coord = coord
        self._timer_interval_secs = timer_interval_secs
        self._target_fn = target
        self._args = args or ()
        self._kwargs = kwargs or {}
        self._coord.register_thread(self)

    @staticmethod
    def loop(coord, timer_interval_secs, target, args=None, kwargs=None):
        thread = LooperThread(coord, timer_interval_secs, target, args, kwargs)
        thread.start()
        return thread

    def run(self):
        with self._coord.stop_on_exception():
            self.start_loop()
            if self._timer_interval_secs is None:
                while not self._coord.should_stop():
                    self.run_loop()
            else:
                while not self._coord.wait_for_stop(self._timer_interval_secs):
                    self.run_loop()
            self.stop_loop()

    def start_loop(self):
        """Called once when the thread starts."""

    def stop_loop(self):
        """Called once before the thread ends."""

    def run_loop(self):
        if self._target_fn:
            self._target_fn(*self._args, **self._kwargs)
