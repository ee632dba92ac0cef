"""Serving errors: a status code as TensorFlow Serving names it, and the HTTP status its
REST API answers with for that code."""
from __future__ import annotations

__all__ = ["ServingError", "from_exception", "http_status", "invalid_argument",
           "not_found"]

# TensorFlow Serving's mapping of error codes to HTTP statuses (its REST server's table)
_HTTP_STATUS = {
    "OK": 200, "CANCELLED": 499, "UNKNOWN": 500, "INVALID_ARGUMENT": 400,
    "DEADLINE_EXCEEDED": 504, "NOT_FOUND": 404, "ALREADY_EXISTS": 409,
    "PERMISSION_DENIED": 403, "RESOURCE_EXHAUSTED": 429, "FAILED_PRECONDITION": 400,
    "ABORTED": 409, "OUT_OF_RANGE": 400, "UNIMPLEMENTED": 501, "INTERNAL": 500,
    "UNAVAILABLE": 503, "DATA_LOSS": 500, "UNAUTHENTICATED": 401,
}


_CODE_NAMES = ("OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
               "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
               "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL",
               "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED")


class ServingError(Exception):
    """A request the server answers with ``{"error": message}``; ``code`` is the status
    code's name (``"INVALID_ARGUMENT"``, ``"NOT_FOUND"``, ...)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def http_status(self) -> int:
        return http_status(self.code)


def from_exception(e: BaseException) -> ServingError:
    """The ServingError for an exception raised while running a model: ember's op errors
    keep their code, other ValueError/TypeError are INVALID_ARGUMENT, the rest INTERNAL."""
    if isinstance(e, ServingError):
        return e
    code = getattr(e, "error_code", None)
    if isinstance(code, int) and 0 < code < len(_CODE_NAMES):
        return ServingError(_CODE_NAMES[code], str(e))
    if isinstance(e, (ValueError, TypeError)):
        return ServingError("INVALID_ARGUMENT", str(e))
    return ServingError("INTERNAL", f"{type(e).__name__}: {e}")


def http_status(code: str) -> int:
    """The HTTP status TensorFlow Serving's REST API gives an error code."""
    return _HTTP_STATUS.get(code, 500)


def invalid_argument(message: str) -> ServingError:
    return ServingError("INVALID_ARGUMENT", message)


def not_found(message: str) -> ServingError:
    return ServingError("NOT_FOUND", message)
