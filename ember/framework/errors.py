"""ember.errors: TensorFlow's error classes, with its names and codes."""
from __future__ import annotations

__all__ = [
    "OpError", "CancelledError", "UnknownError", "InvalidArgumentError", "DeadlineExceededError",
    "NotFoundError", "AlreadyExistsError", "PermissionDeniedError", "ResourceExhaustedError",
    "FailedPreconditionError", "AbortedError", "OutOfRangeError", "UnimplementedError",
    "InternalError", "UnavailableError", "DataLossError", "UnauthenticatedError",
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
    "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
    "UNAUTHENTICATED",
]


class OpError(Exception):
    """Base of the errors an op raises; ``message``, ``op`` and ``error_code`` as TensorFlow's."""

    error_code = 2

    def __init__(self, message="", node_def=None, op=None, *args):
        # TensorFlow's own signature is (node_def, op, message); accept both orders.
        if args and isinstance(args[0], str) and not isinstance(message, str):
            node_def, op, message = message, node_def, args[0]
        super().__init__(message)
        self.message = message
        self.node_def = node_def
        self.op = op

    def __str__(self):
        return self.message


def _make(name, code, base=OpError, extra=()):
    cls = type(name, (base,) + tuple(extra), {"error_code": code, "__module__": __name__})
    return cls


CancelledError = _make("CancelledError", 1)
UnknownError = _make("UnknownError", 2)
# InvalidArgumentError is also a ValueError so that code catching ValueError still works.
InvalidArgumentError = _make("InvalidArgumentError", 3, extra=(ValueError,))
DeadlineExceededError = _make("DeadlineExceededError", 4)
NotFoundError = _make("NotFoundError", 5)
AlreadyExistsError = _make("AlreadyExistsError", 6)
PermissionDeniedError = _make("PermissionDeniedError", 7)
ResourceExhaustedError = _make("ResourceExhaustedError", 8)
FailedPreconditionError = _make("FailedPreconditionError", 9)
AbortedError = _make("AbortedError", 10)
OutOfRangeError = _make("OutOfRangeError", 11)
UnimplementedError = _make("UnimplementedError", 12, extra=(NotImplementedError,))
InternalError = _make("InternalError", 13)
UnavailableError = _make("UnavailableError", 14)
DataLossError = _make("DataLossError", 15)
UnauthenticatedError = _make("UnauthenticatedError", 16)

OK, CANCELLED, UNKNOWN, INVALID_ARGUMENT, DEADLINE_EXCEEDED, NOT_FOUND = 0, 1, 2, 3, 4, 5
ALREADY_EXISTS, PERMISSION_DENIED, RESOURCE_EXHAUSTED, FAILED_PRECONDITION = 6, 7, 8, 9
ABORTED, OUT_OF_RANGE, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS = 10, 11, 12, 13, 14, 15
UNAUTHENTICATED = 16
