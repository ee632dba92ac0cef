"""Which strategy is in effect, and whether code runs in a replica or cross-replica
context.

Inside ``strategy.scope()`` the code is in the strategy's *cross-replica* context; inside
the function ``strategy.run`` calls, in one replica's *replica* context; elsewhere in the
replica context of the default strategy (one replica, no distribution). Both are
``contextvars``: per thread (and per asyncio task), and handed on to the threads that run
a strategy's local replicas.
"""
from __future__ import annotations

import contextvars

__all__ = ["get_strategy", "has_strategy", "in_cross_replica_context",
           "get_replica_context", "get_cross_replica_context", "experimental_set_strategy"]

# the strategy whose scope is entered (cross-replica), and the replica context of the
# replica running now (inside strategy.run or a merge_call's merge_fn: None)
_SCOPE = contextvars.ContextVar("ember_distribute_scope", default=None)
_REPLICA = contextvars.ContextVar("ember_distribute_replica", default=None)
_default = {}


def default_strategy():
    """The default strategy (one replica on the current device), made on first use."""
    s = _default.get("strategy")
    if s is None:
        from ember.distribute.strategy import _DefaultDistributionStrategy
        s = _default["strategy"] = _DefaultDistributionStrategy()
    return s


def current_scope_strategy():
    """The strategy whose scope is entered, or None."""
    return _SCOPE.get()


def current_replica_context():
    """The replica context set by ``strategy.run``, or None."""
    return _REPLICA.get()


def get_strategy():
    """The strategy in effect: the one whose ``scope()`` (or ``run``) the code is in, else
    the default strategy.

    >>> tf.distribute.get_strategy().num_replicas_in_sync
    1
    """
    ctx = _REPLICA.get()
    if ctx is not None:
        return ctx.strategy
    s = _SCOPE.get()
    return s if s is not None else default_strategy()


def has_strategy() -> bool:
    """True inside a non-default strategy's scope (or ``run``)."""
    return get_strategy() is not default_strategy()


def in_cross_replica_context() -> bool:
    """True inside ``strategy.scope()`` outside ``strategy.run`` (and inside a
    ``merge_call``'s function)."""
    return _SCOPE.get() is not None and _REPLICA.get() is None


def get_replica_context():
    """The current ``ReplicaContext``: the running replica's inside ``strategy.run``, None
    in a cross-replica context, the default strategy's one replica elsewhere."""
    ctx = _REPLICA.get()
    if ctx is not None:
        return ctx
    if _SCOPE.get() is not None:
        return None
    return default_strategy()._default_replica_context()


def get_cross_replica_context():
    """The strategy when in a cross-replica context, else None."""
    return _SCOPE.get() if in_cross_replica_context() else None


def enter_scope(strategy):
    """Enters ``strategy``'s cross-replica context; returns the token ``exit`` needs."""
    return _SCOPE.set(strategy), _REPLICA.set(None)


def exit_scope(tokens):
    scope_token, replica_token = tokens
    _REPLICA.reset(replica_token)
    _SCOPE.reset(scope_token)


def enter_replica(replica_context):
    return _SCOPE.set(replica_context.strategy), _REPLICA.set(replica_context)


exit_replica = exit_scope

_global = {}


def experimental_set_strategy(strategy) -> None:
    """Enters ``strategy``'s scope for the rest of the program (None leaves it)."""
    old = _global.pop("scope", None)
    if old is not None:
        old.__exit__(None, None, None)
    if strategy is not None:
        scope = strategy.scope()
        scope.__enter__()
        _global["scope"] = scope
