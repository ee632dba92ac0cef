"""Python operators on Tensor and Variable, defined once with the public ops."""
from __future__ import annotations

from ember.framework.tensor import Tensor
from ember.framework.variables import Variable
from ember.ops import array_ops, linalg_ops, math_ops
from ember.ops._base import EMPTY, binary_args, run_binary, tensor
from ember.engine.dispatch import execute
from ember.framework.tensor import EagerTensor


def _binary(op):
    def forward(self, other):
        if type(self) is EagerTensor and type(other) is EagerTensor:
            return execute(op, (self, other), EMPTY)
        return run_binary(op, self, other)

    def reflected(self, other):
        return run_binary(op, other, self)
    return forward, reflected


def _logical_or_bitwise(logical, bitwise):
    def forward(self, other):
        x, y = binary_args(self, other)
        return logical(x, y) if x.dtype.is_bool else bitwise(x, y)

    def reflected(self, other):
        x, y = binary_args(other, self)
        return logical(x, y) if x.dtype.is_bool else bitwise(x, y)
    return forward, reflected


def _invert(self):
    x = tensor(self)
    return math_ops.logical_not(x) if x.dtype.is_bool else math_ops.bitwise_not(x)


def _add(self, other):
    if type(self) is EagerTensor and type(other) is EagerTensor and \
            self._value.dtype.kind != "O":
        return execute(math_ops.ADD, (self, other), EMPTY)
    return math_ops.add(self, other)


def _radd(self, other):
    return math_ops.add(other, self)


def _bitwise(op):
    return lambda x, y: run_binary(op, x, y)


def install(cls):
    cls.__add__, cls.__radd__ = _add, _radd
    cls.__sub__, cls.__rsub__ = _binary(math_ops.SUB)
    cls.__mul__, cls.__rmul__ = _binary(math_ops.MUL)
    cls.__truediv__, cls.__rtruediv__ = _binary(math_ops.TRUEDIV)
    cls.__floordiv__, cls.__rfloordiv__ = _binary(math_ops.FLOORDIV)
    cls.__mod__, cls.__rmod__ = _binary(math_ops.FLOORMOD)
    cls.__pow__, cls.__rpow__ = _binary(math_ops.POW)
    cls.__matmul__ = lambda self, other: linalg_ops.matmul(self, other)
    cls.__rmatmul__ = lambda self, other: linalg_ops.matmul(other, self)
    cls.__lt__ = lambda self, other: math_ops.less(self, other)
    cls.__le__ = lambda self, other: math_ops.less_equal(self, other)
    cls.__gt__ = lambda self, other: math_ops.greater(self, other)
    cls.__ge__ = lambda self, other: math_ops.greater_equal(self, other)
    cls.__eq__ = lambda self, other: math_ops.equal_any(self, other)
    cls.__ne__ = lambda self, other: math_ops.not_equal_any(self, other)
    cls.__neg__ = lambda self: math_ops.negative(self)
    cls.__pos__ = lambda self: self
    cls.__abs__ = lambda self: math_ops.abs(self)
    cls.__invert__ = _invert
    cls.__and__, cls.__rand__ = _logical_or_bitwise(math_ops.logical_and,
                                                    _bitwise(math_ops.BITWISE_AND))
    cls.__or__, cls.__ror__ = _logical_or_bitwise(math_ops.logical_or,
                                                  _bitwise(math_ops.BITWISE_OR))
    cls.__xor__, cls.__rxor__ = _logical_or_bitwise(math_ops.logical_xor,
                                                    _bitwise(math_ops.BITWISE_XOR))
    cls.__getitem__ = lambda self, key: array_ops.getitem(self, key)


install(Tensor)
install(Variable)
