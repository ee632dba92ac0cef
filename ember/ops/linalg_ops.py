"""Linear algebra: matmul, einsum, tensordot, norms, inverse, determinant."""
from __future__ import annotations

import numpy as np

from ember.framework import dtypes
from ember.framework.errors import InvalidArgumentError
from ember.framework.op import Op, execute
from ember.framework.tensor_shape import TensorShape, broadcast_static
from ember.ops import array_ops, math_ops
from ember.ops._base import COMPLEX, FLOATS, INTS, binary_args, check_dtype, mismatch_error

__all__ = [
    "matmul",
]

_MATMUL_TYPES = FLOATS | COMPLEX | INTS


class _MatMul(Op):
    """Batched matrix product ``a @ b`` with optional transposes (adjoints for complex)."""

    name = "BatchMatMulV2"

    def infer(self, inputs, transpose_a, transpose_b):
        a, b = inputs
        if a.dtype is not b.dtype:
            raise mismatch_error(self.name, a.dtype, b.dtype)
        check_dtype(self.name, a.dtype, _MATMUL_TYPES)
        sa, sb = a.shape, b.shape
        if sa.rank is None or sb.rank is None:
            return TensorShape(None), a.dtype
        if sa.rank < 2 or sb.rank < 2:
            raise InvalidArgumentError(
                f"Matrix size-incompatible: In[0]: {sa}, In[1]: {sb}: matmul needs inputs of "
                f"rank >= 2 [Op:MatMul]")
        m, ka = (sa[-1], sa[-2]) if transpose_a else (sa[-2], sa[-1])
        kb, n = (sb[-1], sb[-2]) if transpose_b else (sb[-2], sb[-1])
        if ka is not None and kb is not None and ka != kb:
            raise InvalidArgumentError(
                f"Matrix size-incompatible: In[0]: {_dims(sa)}, In[1]: {_dims(sb)} "
                f"[Op:MatMul]")
        batch = broadcast_static(sa[:-2], sb[:-2], self.name)
        return batch.concatenate([m, n]), a.dtype

    def kernel(self, xp, a, b, transpose_a, transpose_b):
        if a.dtype != b.dtype:
            raise mismatch_error("MatMul", a.dtype, b.dtype)
        if a.dtype not in _MATMUL_TYPES or a.ndim < 2 or b.ndim < 2:
            raise InvalidArgumentError(
                f"matmul needs numeric inputs of rank >= 2, got shapes {list(a.shape)} and "
                f"{list(b.shape)} ({a.dtype}) [Op:MatMul]")
        if transpose_a:
            a = np.swapaxes(a, -1, -2)
            if a.dtype.kind == "c":
                a = np.conj(a)
        if transpose_b:
            b = np.swapaxes(b, -1, -2)
            if b.dtype.kind == "c":
                b = np.conj(b)
        if a.shape[-1] != b.shape[-2]:
            raise InvalidArgumentError(
                f"Matrix size-incompatible: In[0]: {list(a.shape)}, In[1]: {list(b.shape)} "
                f"[Op:MatMul]")
        return np.matmul(a, b)

    def grad(self, call, g):
        a, b = call.inputs
        ta, tb = call.attrs["transpose_a"], call.attrs["transpose_b"]
        if not ta and not tb:
            ga = matmul(g, b, transpose_b=True)
            gb = matmul(a, g, transpose_a=True)
        elif not ta and tb:
            ga = matmul(g, b)
            gb = matmul(g, a, transpose_a=True)
        elif ta and not tb:
            ga = matmul(b, g, transpose_b=True)
            gb = matmul(a, g)
        else:
            ga = matmul(b, g, transpose_a=True, transpose_b=True)
            gb = matmul(g, a, transpose_a=True, transpose_b=True)
        return ga, gb


def _dims(s):
    return list(s.as_list()) if s.rank is not None else s


MATMUL = _MatMul()


def matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False,
           a_is_sparse=False, b_is_sparse=False, output_type=None, name=None):
    """Matrix product of the inner two dimensions, batched over the leading ones.

    >>> ember.matmul([[1, 2], [3, 4]], [[5, 6], [7, 8]]).numpy()
    array([[19, 22],
           [43, 50]], dtype=int32)
    """
    a, b = binary_args(a, b)
    ta = bool(transpose_a or adjoint_a)
    tb = bool(transpose_b or adjoint_b)
    if transpose_a and a.dtype.is_complex and not adjoint_a:
        a, ta = math_ops.conj(a), True
    if transpose_b and b.dtype.is_complex and not adjoint_b:
        b, tb = math_ops.conj(b), True
    out = execute(MATMUL, (a, b), {"transpose_a": ta, "transpose_b": tb}, name)
    if output_type is not None:
        out = math_ops.cast(out, output_type)
    return out
