"""``tf.compat.v1.logging``: TensorFlow's logger ("tensorflow", Python's ``logging``) with
TF1's function names (``set_verbosity``, ``info``, ``warn``, ``log_every_n``, ...)."""
from __future__ import annotations

import logging as _logging

DEBUG, INFO, WARN, ERROR, FATAL = (_logging.DEBUG, _logging.INFO, _logging.WARNING,
                                   _logging.ERROR, _logging.FATAL)

_logger = _logging.getLogger("tensorflow")
_counts = {}


def _ensure_handler():
    """As TensorFlow does: when neither its logger nor the root logger has a handler, the
    first message installs one that writes ``LEVEL:tensorflow:message`` to stderr."""
    if not _logger.handlers and not _logging.getLogger().handlers:
        handler = _logging.StreamHandler()
        handler.setFormatter(_logging.Formatter("%(levelname)s:tensorflow:%(message)s"))
        _logger.addHandler(handler)


def get_logger():
    return _logger


def set_verbosity(v):
    _logger.setLevel(v)


def get_verbosity():
    return _logger.getEffectiveLevel()


def log(level, msg, *args, **kwargs):
    _ensure_handler()
    _logger.log(level, msg, *args, **kwargs)


def debug(msg, *args, **kwargs):
    _ensure_handler()
    _logger.debug(msg, *args, **kwargs)


def info(msg, *args, **kwargs):
    _ensure_handler()
    _logger.info(msg, *args, **kwargs)


def warning(msg, *args, **kwargs):
    _ensure_handler()
    _logger.warning(msg, *args, **kwargs)


warn = warning


def error(msg, *args, **kwargs):
    _ensure_handler()
    _logger.error(msg, *args, **kwargs)


def fatal(msg, *args, **kwargs):
    _ensure_handler()
    _logger.fatal(msg, *args, **kwargs)


def _every(key, n, level, msg, args, first=False):
    count = _counts.get(key, 0)
    _counts[key] = count + 1
    if (first and count < n) or (not first and count % n == 0):
        log(level, msg, *args)


def log_every_n(level, msg, n, *args):
    """Logs on the first call and every n-th call after it from the same place."""
    import inspect
    frame = inspect.currentframe().f_back
    _every((frame.f_code.co_filename, frame.f_lineno), n, level, msg, args)


def log_first_n(level, msg, n, *args):
    import inspect
    frame = inspect.currentframe().f_back
    _every((frame.f_code.co_filename, frame.f_lineno, "first"), n, level, msg, args, first=True)


def log_if(level, msg, condition, *args):
    if condition:
        log(level, msg, *args)


def vlog(level, msg, *args, **kwargs):
    log(level, msg, *args, **kwargs)


def flush():
    for handler in _logger.handlers:
        handler.flush()


def TaskLevelStatusMessage(msg):  # noqa: N802 - TensorFlow's name
    error(msg)
