"""``ember.profiler.experimental``: take a profile of what a program runs, for TensorBoard.

>>> ember.profiler.experimental.start("logs")
>>> model.fit(x, y)                      # every op, compiled step and marked region is timed
>>> ember.profiler.experimental.stop()   # writes logs/plugins/profile/<run>/<host>.xplane.pb

The file is the XPlane that TensorBoard's profile plugin reads (its trace viewer shows one
row per thread). Recorded, by ``ProfilerOptions.host_tracer_level``: 1, the regions marked
with ``Trace``; 2 (the default) and 3, also every eager op (named by its op type, e.g.
``MatMul``) and every step of a compiled function or model (``node name:op type``).
``python_tracer_level=1`` adds every Python function call. ember runs on the CPU only, so
``device_tracer_level`` has nothing to trace. ``delay_ms`` postpones the start.

The profiler server and client (``server.start``, ``client.trace``, ``client.monitor``)
sample a remote process over gRPC: ember has no gRPC service, and they raise.
"""
from __future__ import annotations

import collections
import threading

from ember.runtime import profiling as _profiling

__all__ = ["start", "stop", "Profile", "Trace", "ProfilerOptions", "server", "client"]


class ProfilerOptions(collections.namedtuple(
        "ProfilerOptions", ["host_tracer_level", "python_tracer_level",
                            "device_tracer_level", "delay_ms"])):
    """What a profile records (see the module docstring); TensorFlow's fields and defaults."""

    def __new__(cls, host_tracer_level=2, python_tracer_level=0, device_tracer_level=1,
                delay_ms=None):
        return super().__new__(cls, host_tracer_level, python_tracer_level,
                               device_tracer_level, delay_ms)


_state = threading.local()
_logdir = None
_delayed = None


def _check_options(options):
    if options is None:
        return ProfilerOptions()
    if not isinstance(options, ProfilerOptions):
        raise TypeError(f"profiler.experimental.start: options must be a ProfilerOptions, "
                        f"got {type(options).__name__}")
    for field in ("host_tracer_level", "python_tracer_level", "device_tracer_level"):
        level = getattr(options, field)
        if not isinstance(level, int) or level < 0:
            raise ValueError(f"profiler.experimental.start: ProfilerOptions.{field} must be a "
                             f"non-negative integer, got {level!r}")
    if options.delay_ms is not None and (not isinstance(options.delay_ms, (int, float))
                                         or options.delay_ms < 0):
        raise ValueError(f"profiler.experimental.start: ProfilerOptions.delay_ms must be None "
                         f"or a non-negative number of milliseconds, got {options.delay_ms!r}")
    return options


def start(logdir, options=None):
    """Starts profiling; ``stop()`` writes the profile under ``logdir``. Only one profile
    runs at a time: AlreadyExistsError when another is running."""
    global _logdir, _delayed
    options = _check_options(options)
    if not isinstance(logdir, str) and not hasattr(logdir, "__fspath__"):
        raise TypeError(f"profiler.experimental.start: logdir must be a path, got "
                        f"{type(logdir).__name__}")

    def begin():
        _profiling.start(ops=options.host_tracer_level >= 2,
                         python=options.python_tracer_level >= 1)

    if _logdir is not None or _profiling.active is not None:
        from ember.framework.errors import AlreadyExistsError
        raise AlreadyExistsError("Another profiler is running.")
    _logdir = logdir
    if options.delay_ms:
        _delayed = threading.Timer(options.delay_ms / 1000.0, begin)
        _delayed.daemon = True
        _delayed.start()
    else:
        try:
            begin()
        except BaseException:
            _logdir = None
            raise


def stop(save=True):
    """Stops profiling and, with ``save``, writes the profile (returns nothing, as
    TensorFlow). UnavailableError when no profiler is running."""
    global _logdir, _delayed
    logdir = _logdir
    if _delayed is not None:
        _delayed.cancel()
        _delayed.join()
        _delayed = None
    if logdir is None:
        from ember.framework.errors import UnavailableError
        raise UnavailableError("Cannot export profiling results. No profiler is running.")
    _logdir = None
    if _profiling.active is None:       # stopped before a delayed start began
        return
    collector = _profiling.stop()
    if save:
        from ember.profiler.xplane import write_profile
        write_profile(collector, logdir)


class Profile:
    """``with Profile(logdir):`` profiles the block (``start`` on entry, ``stop`` on exit)."""

    def __init__(self, logdir, options=None):
        self._logdir = logdir
        self._options = options

    def __enter__(self):
        start(self._logdir, self._options)
        return self

    def __exit__(self, *exc):
        stop()
        return False


class Trace:
    """Marks a region of the program as one event in the profile, named ``name``; keyword
    arguments become the event's statistics (``step_num=`` with ``_r=1`` marks a training
    step, which TensorBoard's step views group by). Costs nothing while no profile runs.

    >>> with ember.profiler.experimental.Trace("train", step_num=step, _r=1):
    ...     train_step(x, y)
    """

    __slots__ = ("name", "stats", "_started", "_collector")

    def __init__(self, name, **kwargs):
        self.name = name
        self.stats = kwargs
        self._collector = None

    def __enter__(self):
        collector = _profiling.active
        if collector is not None:
            self._collector = collector
            self._started = _profiling.now()
        return self

    def __exit__(self, *exc):
        collector, self._collector = self._collector, None
        if collector is not None:
            collector.add(self.name, self._started, self.stats or None)
        return False

    def set_metadata(self, **kwargs):
        """Adds statistics to the event while the region runs."""
        self.stats = {**self.stats, **kwargs}


class _Remote:
    def __init__(self, namespace, names):
        self._namespace = namespace
        self.__all__ = list(names)

    def __getattr__(self, name):
        if name not in self.__all__:
            raise AttributeError(f"module 'ember.profiler.experimental.{self._namespace}' has "
                                 f"no attribute {name!r}")

        def unavailable(*args, **kwargs):
            raise NotImplementedError(
                f"ember.profiler.experimental.{self._namespace}.{name}: the remote profiler "
                f"service needs gRPC, which ember does not have; profile in-process with "
                f"ember.profiler.experimental.start/stop or Profile")
        return unavailable


server = _Remote("server", ["start"])
client = _Remote("client", ["trace", "monitor"])
