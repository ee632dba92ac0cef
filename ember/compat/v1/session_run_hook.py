"""``tf.compat.v1.train.SessionRunHook`` and the values passed to and from hooks.

A hook watches a ``MonitoredSession``: ``begin()`` before the graph is finalized,
``after_create_session(session, coord)`` once variables are initialized or restored, then
around every ``run`` call ``before_run(run_context)`` (may return ``SessionRunArgs`` with
extra fetches, feeds or options) and ``after_run(run_context, run_values)`` (``run_values
.results`` holds what the hook's ``SessionRunArgs.fetches`` evaluated to), and ``end(session)``
when the session closes normally.
"""
from __future__ import annotations

import collections

__all__ = ["SessionRunHook", "SessionRunArgs", "SessionRunContext", "SessionRunValues"]


class SessionRunHook:
    """Base class of hooks: every method does nothing; override the ones you need."""

    def begin(self):
        """Called once before the session is created; the graph may still be changed."""

    def after_create_session(self, session, coord):  # pylint: disable=unused-argument
        """Called once the session is created and the model initialized or restored."""

    def before_run(self, run_context):  # pylint: disable=unused-argument
        """Called before each ``run``; may return a ``SessionRunArgs`` or None."""
        return None

    def after_run(self, run_context, run_values):  # pylint: disable=unused-argument
        """Called after each ``run`` with the results of this hook's requested fetches."""

    def end(self, session):  # pylint: disable=unused-argument
        """Called when the session closes without an error."""


class SessionRunArgs(collections.namedtuple("SessionRunArgs",
                                            ["fetches", "feed_dict", "options"])):
    """What a hook adds to a ``run`` call: fetches (any structure ``Session.run`` takes),
    a feed_dict, and ``RunOptions``."""

    def __new__(cls, fetches, feed_dict=None, options=None):
        return super().__new__(cls, fetches, feed_dict, options)


class SessionRunValues(collections.namedtuple("SessionRunValues",
                                              ["results", "options", "run_metadata"])):
    """What a hook receives after a ``run``: ``results`` (its fetches evaluated, with their
    structure; None when it asked for nothing), the options and the run metadata."""


class SessionRunContext:
    """The ``run`` call hooks see: ``original_args`` (the caller's fetches and feeds as a
    ``SessionRunArgs``), ``session`` (the raw session, to run extra fetches), and
    ``request_stop()`` which makes ``should_stop()`` true after this call."""

    def __init__(self, original_args, session):
        self._original_args = original_args
        self._session = session
        self._stop_requested = False

    @property
    def original_args(self):
        return self._original_args

    @property
    def session(self):
        return self._session

    @property
    def stop_requested(self):
        return self._stop_requested

    def request_stop(self):
        """Asks the monitored session to stop after the current ``run``."""
        self._stop_requested = True
