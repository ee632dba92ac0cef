"""``tf.variable_creator_scope``: every ``tf.Variable`` made in the block goes through
``variable_creator(next_creator, **kwargs)`` (innermost scope first), which may change the
arguments, wrap or replace the result, or return an existing variable:

    def creator(next_creator, **kwargs):
        kwargs["trainable"] = False
        return next_creator(**kwargs)

    with tf.variable_creator_scope(creator):
        v = tf.Variable(1.0)          # not trainable

``kwargs`` holds the Variable arguments by name (initial_value, trainable, name, dtype,
shape, constraint, synchronization, aggregation, ...). Scopes are per thread.
"""
from __future__ import annotations

import contextlib

from ember.framework.variables import _creator_stack

__all__ = ["variable_creator_scope"]


@contextlib.contextmanager
def variable_creator_scope(variable_creator):
    """Routes variable creation in this block through ``variable_creator``."""
    if not callable(variable_creator):
        raise TypeError(f"variable_creator_scope expects a callable "
                        f"(next_creator, **kwargs) -> variable, got "
                        f"{type(variable_creator).__name__}")
    stack = _creator_stack()
    stack.append(variable_creator)
    try:
        yield
    finally:
        stack.remove(variable_creator)
