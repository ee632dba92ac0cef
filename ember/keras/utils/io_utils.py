"""Interactive logging switches (keras.config / keras.utils): with interactive logging on
(the default) progress bars and summaries write to stdout; off, they go to the Python
logger ``"keras"`` at INFO level instead."""
from __future__ import annotations

import logging
import sys

__all__ = ["disable_interactive_logging", "enable_interactive_logging",
           "is_interactive_logging_enabled", "print_msg"]

_INTERACTIVE = True


def enable_interactive_logging():
    """Progress bars and messages write to stdout (the default)."""
    global _INTERACTIVE
    _INTERACTIVE = True


def disable_interactive_logging():
    """Progress bars and messages go to the ``"keras"`` logger instead of stdout."""
    global _INTERACTIVE
    _INTERACTIVE = False


def is_interactive_logging_enabled() -> bool:
    return _INTERACTIVE


def print_msg(message, line_break=True):
    """Writes message to stdout, or logs it when interactive logging is off."""
    if _INTERACTIVE:
        sys.stdout.write(message + ("\n" if line_break else ""))
        sys.stdout.flush()
    else:
        logging.getLogger("keras").info(message.rstrip("\r\n"))
