"""``tf.autograph.experimental``: conversion options."""
from __future__ import annotations

import enum

from ember.autograph.conversion import do_not_convert  # noqa: F401
from ember.autograph.operators import set_loop_options  # noqa: F401

__all__ = ["Feature", "do_not_convert", "set_loop_options"]


class Feature(enum.Enum):
    """Optional conversions (``to_graph(..., experimental_optional_features=...)``).

    ember always converts asserts and built-in functions (print, len, range, enumerate,
    zip, int, float); the other features are accepted and have no further effect."""

    ALL = "ALL"
    AUTO_CONTROL_DEPS = "AUTO_CONTROL_DEPS"
    ASSERT_STATEMENTS = "ASSERT_STATEMENTS"
    BUILTIN_FUNCTIONS = "BUILTIN_FUNCTIONS"
    EQUALITY_OPERATORS = "EQUALITY_OPERATORS"
    LISTS = "LISTS"
    NAME_SCOPES = "NAME_SCOPES"
