"""Where Keras's messages go: stdout while interactive logging is on (the default), the
``ember`` logger otherwise (``keras.config.disable_interactive_logging()``)."""
from __future__ import annotations

import logging
import sys

__all__ = ["enable_interactive_logging", "disable_interactive_logging",
           "is_interactive_logging_enabled", "print_msg"]

_INTERACTIVE = [True]


def enable_interactive_logging():
    """Messages and progress bars (``get_file``'s) print to stdout."""
    _INTERACTIVE[0] = True


def disable_interactive_logging():
    """Messages go to the ``ember`` logger and progress bars are not shown."""
    _INTERACTIVE[0] = False


def is_interactive_logging_enabled() -> bool:
    return _INTERACTIVE[0]


def print_msg(message, line_break=True):
    """A message to stdout, or to the ``ember`` logger when interactive logging is off."""
    if _INTERACTIVE[0]:
        sys.stdout.write(message + ("\n" if line_break else ""))
        sys.stdout.flush()
    else:
        logging.getLogger("ember").info(message)
