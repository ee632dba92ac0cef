"""Linear algebra: matmul, einsum, tensordot, norms, inverse, determinant."""
from __future__ import annotations

import collections
import string

import numpy as np

from ember.framework import dtypes
from ember.runtime import matmul_kernels
from ember.framework.errors import InvalidArgumentError
from ember.framework.op import Op
from ember.engine.dispatch import execute
from ember.framework.tensor_shape import TensorShape, broadcast_static
from ember.framework.tensor import EagerTensor, Tensor
from ember.ops import array_ops, math_ops, reduce_ops
from ember.ops._base import (
    BOOL, COMPLEX, EMPTY, FLOATS, INTS, NUMERIC, binary_args, check_dtype, mismatch_error,
    static_axes, static_int, tensor,
)

__all__ = [
    "adjoint",
    "band_part",
    "cholesky",
    "cholesky_solve",
    "det",
    "diag",
    "diag_part",
    "eigh",
    "eigvalsh",
    "einsum",
    "inv",
    "logdet",
    "matmul",
    "matrix_transpose",
    "matvec",
    "norm",
    "qr",
    "slogdet",
    "solve",
    "svd",
    "tensordot",
    "trace",
    "triangular_solve",
]

_MATMUL_TYPES = FLOATS | COMPLEX | INTS


class _MatMul(Op):
    """Batched matrix product ``a @ b`` with optional transposes (adjoints for complex)."""

    name = "BatchMatMulV2"
    fresh_output = True   # always a new array: the compiler may compute in place in it

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
                f"Matrix size-incompatible: In[0]: {_dims(sa)}, In[1]: {_dims(sb)}: matmul "
                f"needs inputs of rank >= 2 [Op:MatMul]")
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
            self.infer([_spec(a), _spec(b)], transpose_a=transpose_a, transpose_b=transpose_b)
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
        return matmul_kernels.matmul_kernel(a, b)

    def grad(self, call, g):
        a, b = call.inputs
        ta, tb = call.attrs["transpose_a"], call.attrs["transpose_b"]
        need_a, need_b = call.needs or (True, True)
        if not ta and not tb:
            ga = need_a and matmul(g, b, transpose_b=True)
            gb = need_b and matmul(a, g, transpose_a=True)
        elif not ta and tb:
            ga = need_a and matmul(g, b)
            gb = need_b and matmul(g, a, transpose_a=True)
        elif ta and not tb:
            ga = need_a and matmul(b, g, transpose_b=True)
            gb = need_b and matmul(a, g)
        else:
            ga = need_a and matmul(b, g, transpose_a=True, transpose_b=True)
            gb = need_b and matmul(g, a, transpose_a=True, transpose_b=True)
        return (ga if need_a else None), (gb if need_b else None)


def _dims(s):
    return list(s.as_list()) if s.rank is not None else s


MATMUL = _MatMul()


class _MatMulEx(Op):
    """A 2-D float product and an elementwise tree reading it (an optimizer's update of
    the weight whose gradient the product makes), as one kernel; made by the compiler
    (ember.engine.fusion). Inputs (a, b, *operands): the product goes into the tree's
    arguments at position ``at``; operands are (M, N), (N,), (1, N) or single values.
    Attrs transpose_a, transpose_b, ``steps`` and ``dtype`` (the tree's result's). Where
    ember's threads run products, the product is made in blocks of rows (or of columns,
    for a short wide result) shared out across threads, each followed by the tree on it."""

    uses_threads = True
    fresh_output = True
    plan_only = True

    def infer(self, inputs, transpose_a, transpose_b, steps, dtype, at):
        shape, _ = MATMUL.infer(inputs[:2], transpose_a, transpose_b)
        return shape, dtypes.as_dtype(dtype)

    def kernel(self, xp, a, b, *operands, transpose_a, transpose_b, steps, dtype, at):
        return matmul_kernels.product_then_trees(a, b, transpose_a, transpose_b,
                                                 [(operands, steps, dtype, at)])[0]


class _MatMulTreesEx(Op):
    """A 2-D float product and several elementwise trees reading it (an optimizer whose
    update reads the gradient more than once: Adam's two moments, RMSprop, SGD with
    Nesterov momentum), as one kernel made by the compiler (ember/ops/fusions.py).
    Inputs (a, b, *operands): each tree's operands in turn; attr ``trees`` holds
    (steps, dtype, at, number of operands) per tree; one output per tree. See
    ``ember.runtime.matmul_kernels.product_then_trees``."""

    uses_threads = True
    fresh_output = True
    plan_only = True

    def output_count(self, attrs):
        return len(attrs["trees"])

    def infer(self, inputs, transpose_a, transpose_b, trees):
        shape, _ = MATMUL.infer(inputs[:2], transpose_a, transpose_b)
        return [(shape, dtypes.as_dtype(dtype)) for _, dtype, _, _ in trees]

    def kernel(self, xp, a, b, *operands, transpose_a, transpose_b, trees):
        parts, i = [], 0
        for steps, dtype, at, count in trees:
            parts.append((operands[i:i + count], steps, np.dtype(dtype), at))
            i += count
        return tuple(matmul_kernels.product_then_trees(a, b, transpose_a, transpose_b,
                                                       parts))


MATMUL_EX = _MatMulEx("_MatMulEx")
MATMUL_TREES_EX = _MatMulTreesEx("_MatMulTreesEx")


class _MatMulGradUpdate(Op):
    """A dense layer's input gradient g @ w^T and the momentum update of its weight w that
    follows from x^T @ g, as one kernel; made by the compiler (ember/ops/fusions.py
    ``fold_updates_into_input_grads``) from the input gradient's product, the
    ``_MatMulEx`` making the slot variable's new value from x^T @ g, that value's
    assignment to the slot, and its addition to the weight variable.

    Plain dataflow: inputs (g, w, x, *operands), where w is the weight's value and the
    operands are the tree's inputs but the product (which goes in at ``at``); the slot's
    old value is the tree's argument at ``slot_at``. Outputs (g @ w^T from w before the
    update, the slot's new value, the weight's new value); the plan assigns the last two
    to the variables (``AssignVariable`` taking over their buffers). The kernel may write
    the new values into the buffers of w and the slot's old value: the plan reads both for
    the update (``ReadVariable`` with ``for_update``, which copies an array that an eager
    read handed out), and nothing reads them afterwards. The blocked kernel is
    ``ember.runtime.matmul_kernels.grad_update``."""

    uses_threads = True
    plan_only = True

    def output_count(self, attrs):
        return 3

    def infer(self, inputs, steps, dtype, at, slot_at):
        dx, _ = MATMUL.infer(inputs[:2], False, True)
        w = inputs[1]
        return [(dx, w.dtype), (w.shape, w.dtype), (w.shape, w.dtype)]

    def kernel(self, xp, g, w, x, *operands, steps, dtype, at, slot_at):
        return matmul_kernels.grad_update(g, w, x, operands, steps, dtype, at, slot_at)


MATMUL_GRAD_UPDATE = _MatMulGradUpdate("_MatMulGradUpdate")


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


# -------------------------------------------------------------------------- einsum ---

_LETTERS = string.ascii_letters


def _fresh(used):
    for ch in _LETTERS:
        if ch not in used:
            used.add(ch)
            yield ch
    raise ValueError("einsum: ran out of subscript letters (at most 52 distinct indices)")


def _parse_einsum(equation, ranks):
    """The equation with every ``...`` spelled out as letters, and those letters."""
    if not isinstance(equation, str):
        raise TypeError(f"einsum: equation must be a string, got {equation!r}")
    eq = equation.replace(" ", "")
    if eq.count("->") > 1:
        raise ValueError(f"einsum: equation {equation!r} has more than one '->'")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(ranks):
        raise ValueError(f"einsum: equation {equation!r} names {len(terms)} inputs but "
                         f"{len(ranks)} were given")
    for t in terms + ([rhs] if arrow else []):
        bare = t.replace("...", "")
        if any(ch not in _LETTERS for ch in bare):
            raise ValueError(f"einsum: invalid subscript {t!r} in equation {equation!r}: "
                             f"only letters and '...' are allowed")
    used = set(ch for ch in eq if ch in _LETTERS)
    ell_rank = 0
    for t, r in zip(terms, ranks):
        if r is None:
            raise ValueError("einsum: every input needs a known rank")
        n_named = len(t.replace("...", ""))
        if "..." in t:
            if r < n_named:
                raise ValueError(f"einsum: input subscripts {t!r} name {n_named} dimensions "
                                 f"but the input has rank {r}")
            ell_rank = max(ell_rank, r - n_named)
        elif n_named != r:
            raise ValueError(f"einsum: input subscripts {t!r} name {n_named} dimensions but "
                             f"the input has rank {r}")
    gen = _fresh(used)
    ell = "".join(next(gen) for _ in range(ell_rank))
    expanded = []
    for t, r in zip(terms, ranks):
        if "..." in t:
            n = r - len(t.replace("...", ""))
            t = t.replace("...", ell[ell_rank - n:] if n else "")
        expanded.append(t)
    if arrow:
        if "..." in rhs:
            rhs = rhs.replace("...", ell)
        elif ell_rank:
            raise ValueError(f"einsum: equation {equation!r} has '...' in its inputs but not "
                             f"in its output")
        if len(set(rhs)) != len(rhs):
            raise ValueError(f"einsum: output subscripts {rhs!r} repeat an index")
        present = set("".join(expanded))
        for ch in rhs:
            if ch not in present:
                raise ValueError(f"einsum: output index {ch!r} does not appear in any input "
                                 f"of {equation!r}")
    else:
        counts = collections.Counter("".join(expanded))
        rhs = ell + "".join(sorted(ch for ch, c in counts.items() if c == 1 and ch not in ell))
    return ",".join(expanded) + "->" + rhs, ell


def _split_eq(eq):
    lhs, rhs = eq.split("->")
    return lhs.split(","), rhs


class _Einsum(Op):
    name = "Einsum"

    def infer(self, inputs, equation, bcast):
        terms, rhs = _split_eq(equation)
        d0 = inputs[0].dtype
        for i, x in enumerate(inputs):
            if x.dtype is not d0:
                raise InvalidArgumentError(
                    f"einsum: all inputs must have one dtype, input 0 is {d0.name} and input "
                    f"{i} is {x.dtype.name} [Op:Einsum]")
        check_dtype(self.name, d0, _MATMUL_TYPES)
        sizes = {}
        for k, (t, x) in enumerate(zip(terms, inputs)):
            dims = x.shape.as_list()
            for pos, (ch, d) in enumerate(zip(t, dims)):
                prev = sizes.get(ch, 1 if ch in bcast else None)
                if d is None or (ch in bcast and d == 1):
                    sizes.setdefault(ch, prev)
                    continue
                if prev is None or (ch in bcast and prev == 1):
                    sizes[ch] = d
                elif prev != d:
                    raise InvalidArgumentError(
                        f"Expected dimension {prev} at axis {pos} of input {k} shaped "
                        f"{dims} but got dimension {d} (index {ch!r} of {equation!r}) "
                        f"[Op:Einsum]")
        return TensorShape([sizes.get(ch) for ch in rhs]), d0

    def kernel(self, xp, *arrays, equation, bcast):
        out = np.einsum(equation, *arrays, optimize=len(arrays) > 2)
        return np.asarray(out, dtype=arrays[0].dtype)

    def grad(self, call, g):
        terms, rhs = _split_eq(call.attrs["equation"])
        xs = call.inputs
        grads = []
        for k, x in enumerate(xs):
            if not (x.dtype.is_floating or x.dtype.is_complex):
                grads.append(None)
                continue
            others = [j for j in range(len(xs)) if j != k]
            subs = [rhs] + [terms[j] for j in others]
            ops = [g] + [math_ops.conj(xs[j]) if xs[j].dtype.is_complex else xs[j]
                         for j in others]
            avail = set("".join(subs))
            used = set(call.attrs["equation"])
            gen = _fresh(used)
            dims = x.shape.as_list()
            target, seen = [], set()
            for ch, d in zip(terms[k], dims):
                if d is None:
                    raise ValueError("einsum gradient needs statically known input shapes")
                if ch in seen:
                    t = next(gen)
                    target.append(t)
                    subs.append(ch + t)
                    ops.append(EagerTensor(np.eye(d, dtype=x.dtype.np)))
                    continue
                seen.add(ch)
                target.append(ch)
                if ch not in avail:
                    subs.append(ch)
                    ops.append(EagerTensor(np.ones(d, dtype=x.dtype.np)))
                    avail.add(ch)
            eq = ",".join(subs) + "->" + "".join(target)
            grads.append(execute(EINSUM, tuple(ops), {"equation": eq,
                                                       "bcast": call.attrs["bcast"]}))
        return tuple(grads)


EINSUM = _Einsum()


def einsum(equation, *inputs, **kwargs):
    """Einstein summation, as ``np.einsum`` (``...`` broadcasts; no ``->`` means implicit
    output). Differentiable in every input.

    >>> ember.einsum("ij,jk->ik", [[1., 2.]], [[3.], [4.]]).numpy()
    array([[11.]], dtype=float32)
    """
    name = kwargs.pop("name", None)
    kwargs.pop("optimize", None)
    if kwargs:
        raise TypeError(f"einsum: unexpected keyword arguments {sorted(kwargs)}")
    if len(inputs) == 1 and isinstance(inputs[0], (list, tuple)) and inputs[0] and \
            not isinstance(inputs[0][0], (int, float, list, tuple, np.number)):
        inputs = tuple(inputs[0])
    if not inputs:
        raise ValueError("einsum: at least one input is required")
    ts = [tensor(x) for x in inputs]
    if any(t.dtype is not ts[0].dtype for t in ts) and not all(
            isinstance(x, Tensor) for x in inputs):
        first = next((t for t, x in zip(ts, inputs) if isinstance(x, Tensor)), ts[0])
        ts = [t if isinstance(x, Tensor) else tensor(x, dtype=first.dtype)
              for t, x in zip(ts, inputs)]
    eq, ell = _parse_einsum(equation, [t.shape.rank for t in ts])
    return execute(EINSUM, tuple(ts), {"equation": eq, "bcast": ell}, name)


def tensordot(a, b, axes, name=None):
    """Sums the products of ``a`` and ``b`` over ``axes``: an int N (last N of ``a`` with
    first N of ``b``) or a pair of axis lists.

    >>> ember.tensordot([[1., 2.]], [[3.], [4.]], axes=1).numpy()
    array([[11.]], dtype=float32)
    """
    a, b = binary_args(a, b)
    ra, rb = a.shape.rank, b.shape.rank
    if ra is None or rb is None:
        raise ValueError("tensordot: both inputs need a known rank")
    if isinstance(axes, (int, np.integer)) or (
            isinstance(axes, (EagerTensor, np.ndarray)) and np.ndim(axes) == 0):
        n = static_int(axes, "axes", "tensordot")
        if n < 0 or n > ra or n > rb:
            raise ValueError(f"tensordot: axes={n} must be between 0 and the ranks of a "
                             f"({ra}) and b ({rb})")
        a_axes, b_axes = list(range(ra - n, ra)), list(range(n))
    else:
        if not isinstance(axes, (list, tuple)) or len(axes) != 2:
            raise ValueError(f"tensordot: axes must be an int or a pair of axis lists, got "
                             f"{axes!r}")
        a_axes = list(static_axes(axes[0], "axes", "tensordot"))
        b_axes = list(static_axes(axes[1], "axes", "tensordot"))
        if len(a_axes) != len(b_axes):
            raise ValueError(f"tensordot: axes lists must have one length, got {a_axes} and "
                             f"{b_axes}")
        for ax, r, w in [(a_axes, ra, "a"), (b_axes, rb, "b")]:
            for i in ax:
                if not -r <= i < r:
                    raise ValueError(f"tensordot: axis {i} is out of range for {w} of rank "
                                     f"{r}")
        a_axes = [i % ra for i in a_axes]
        b_axes = [i % rb for i in b_axes]
    for i, j in zip(a_axes, b_axes):
        da, db = a.shape[i], b.shape[j]
        if da is not None and db is not None and da != db:
            raise InvalidArgumentError(
                f"tensordot: dimension {da} of a (axis {i}, shape {a.shape}) does not match "
                f"dimension {db} of b (axis {j}, shape {b.shape})")
    la = _LETTERS[:ra]
    lb = list(_LETTERS[ra:ra + rb])
    for i, j in zip(a_axes, b_axes):
        lb[j] = la[i]
    out = "".join(ch for i, ch in enumerate(la) if i not in a_axes) + \
        "".join(ch for j, ch in enumerate(lb) if j not in b_axes)
    eq = f"{la},{''.join(lb)}->{out}"
    return execute(EINSUM, (a, b), {"equation": eq, "bcast": ""}, name)


# --------------------------------------------------------- matrix helpers & shapes ---

def _square_check(op_name, shape):
    if shape.rank is None:
        return
    if shape.rank < 2:
        raise InvalidArgumentError(f"Input must have rank >= 2, got shape {_dims(shape)} "
                                   f"[Op:{op_name}]")
    m, n = shape[-2], shape[-1]
    if m is not None and n is not None and m != n:
        raise InvalidArgumentError(f"Input matrices must be square, got shape {_dims(shape)} "
                                   f"[Op:{op_name}]")


def _lapack_dtype(a):
    """Arrays NumPy's linalg cannot take (float16, bfloat16) are computed in float32."""
    return a.astype(np.float32) if a.dtype.kind == "f" and a.dtype.itemsize < 4 or \
        a.dtype not in (np.float32, np.float64, np.complex64, np.complex128) else a


def matrix_transpose(a, name="matrix_transpose", conjugate=False):
    """Transposes the last two dimensions (conjugating when ``conjugate``).

    >>> ember.linalg.matrix_transpose([[1, 2, 3]]).shape
    TensorShape([3, 1])
    """
    a = tensor(a)
    r = a.shape.rank
    if r is None:
        raise ValueError("matrix_transpose: the input needs a known rank")
    if r < 2:
        raise ValueError(f"matrix_transpose: argument `a` should be a (batch) matrix with rank "
                         f">= 2, got shape {a.shape}")
    perm = list(range(r - 2)) + [r - 1, r - 2]
    return array_ops.transpose(a, perm, conjugate=conjugate)


def adjoint(matrix, name=None):
    """Conjugate transpose of the last two dimensions."""
    return matrix_transpose(matrix, conjugate=True)


class _LinalgOp(Op):
    allowed = FLOATS | COMPLEX


class _MatrixInverse(_LinalgOp):
    name = "MatrixInverse"

    def infer(self, inputs, adjoint):
        x = inputs[0]
        check_dtype(self.name, x.dtype, self.allowed)
        _square_check(self.name, x.shape)
        return x.shape, x.dtype

    def kernel(self, xp, a, adjoint):
        if a.dtype not in self.allowed or a.ndim < 2 or a.shape[-1] != a.shape[-2]:
            self.infer([_spec(a)], adjoint=adjoint)
        w = _lapack_dtype(a)
        if adjoint:
            w = np.conj(np.swapaxes(w, -1, -2))
        try:
            out = np.linalg.inv(w)
        except np.linalg.LinAlgError:
            raise InvalidArgumentError("Input is not invertible. [Op:MatrixInverse]") from None
        return out.astype(a.dtype)

    def grad(self, call, g):
        y = call.outputs[0]
        if call.attrs["adjoint"]:
            return (-matmul(y, matmul(g, y, adjoint_a=True)),)
        return (-matmul(y, matmul(g, y, adjoint_b=True), adjoint_a=True),)


MATRIX_INVERSE = _MatrixInverse()


def inv(input, adjoint=False, name=None):  # noqa: A002
    """Inverse of each square matrix in the last two dimensions (of its adjoint when
    ``adjoint``).

    >>> ember.linalg.inv([[2., 0.], [0., 4.]]).numpy()
    array([[0.5 , 0.  ],
           [0.  , 0.25]], dtype=float32)
    """
    return execute(MATRIX_INVERSE, (tensor(input),), {"adjoint": bool(adjoint)}, name)


def _spec(a):
    from ember.framework.op import Spec
    return Spec(TensorShape(a.shape), dtypes.from_numpy(a.dtype), a)


def _to_matrix(t):
    """A batch of scalars as a batch of 1x1 matrices."""
    return array_ops.expand_dims(array_ops.expand_dims(t, -1), -1)


class _MatrixDeterminant(_LinalgOp):
    name = "MatrixDeterminant"

    def infer(self, inputs):
        x = inputs[0]
        check_dtype(self.name, x.dtype, self.allowed)
        _square_check(self.name, x.shape)
        return x.shape[:-2], x.dtype

    def kernel(self, xp, a):
        if a.dtype not in self.allowed or a.ndim < 2 or a.shape[-1] != a.shape[-2]:
            self.infer([_spec(a)])
        return np.asarray(np.linalg.det(_lapack_dtype(a)), dtype=a.dtype)

    def grad(self, call, g):
        x = call.inputs[0]
        d = call.outputs[0]
        mult = g * math_ops.conj(d) if x.dtype.is_complex else g * d
        return (_to_matrix(mult) * inv(x, adjoint=True),)


MATRIX_DETERMINANT = _MatrixDeterminant()


def det(input, name=None):  # noqa: A002
    """Determinant of each square matrix in the last two dimensions.

    >>> round(float(ember.linalg.det([[1., 2.], [3., 4.]])), 4)
    -2.0
    """
    return execute(MATRIX_DETERMINANT, (tensor(input),), EMPTY, name)


class _LogMatrixDeterminant(_LinalgOp):
    name = "LogMatrixDeterminant"
    num_outputs = 2

    def infer(self, inputs):
        x = inputs[0]
        check_dtype(self.name, x.dtype, self.allowed)
        _square_check(self.name, x.shape)
        return [(x.shape[:-2], x.dtype), (x.shape[:-2], x.dtype)]

    def kernel(self, xp, a):
        if a.dtype not in self.allowed or a.ndim < 2 or a.shape[-1] != a.shape[-2]:
            self.infer([_spec(a)])
        sign, logdet = np.linalg.slogdet(_lapack_dtype(a))
        return np.asarray(sign, dtype=a.dtype), np.asarray(logdet, dtype=a.dtype)

    def grad(self, call, g_sign, g_logdet):
        x = call.inputs[0]
        return (_to_matrix(g_logdet) * inv(x, adjoint=True),)


LOG_MATRIX_DETERMINANT = _LogMatrixDeterminant()


def slogdet(input, name=None):  # noqa: A002
    """``(sign, log(|det|))`` of each square matrix, without overflow for large matrices.

    >>> s, ld = ember.linalg.slogdet([[1., 2.], [3., 4.]])
    >>> float(s), round(float(ld), 4)
    (-1.0, 0.6931)
    """
    sign, logdet = execute(LOG_MATRIX_DETERMINANT, (tensor(input),), EMPTY, name)
    return sign, logdet


def logdet(matrix, name=None):
    """``log(det(matrix))`` of Hermitian positive-definite matrices, through Cholesky.

    >>> round(float(ember.linalg.logdet([[4., 0.], [0., 1.]])), 4)
    1.3863
    """
    chol = cholesky(matrix)
    d = diag_part(chol)
    if d.dtype.is_complex:
        d = math_ops.real(d)
    return 2.0 * reduce_ops.reduce_sum(math_ops.log(d), axis=-1)


class _MatrixSolve(_LinalgOp):
    name = "MatrixSolve"

    def infer(self, inputs, adjoint):
        a, b = inputs
        if a.dtype is not b.dtype:
            raise mismatch_error(self.name, a.dtype, b.dtype)
        check_dtype(self.name, a.dtype, self.allowed)
        _square_check(self.name, a.shape)
        sa, sb = a.shape, b.shape
        if sa.rank is None or sb.rank is None:
            return sb, a.dtype
        if sb.rank != sa.rank:
            raise InvalidArgumentError(f"Input matrix and right-hand side must have the same "
                                       f"rank, got {_dims(sa)} and {_dims(sb)} [Op:MatrixSolve]")
        if not sa[:-2].is_compatible_with(sb[:-2]):
            raise InvalidArgumentError(f"Input matrix and right-hand side must have the same "
                                       f"batch dimensions, got {_dims(sa)} and {_dims(sb)} "
                                       f"[Op:MatrixSolve]")
        if sa[-1] is not None and sb[-2] is not None and sa[-1] != sb[-2]:
            raise InvalidArgumentError(f"Input matrix and right-hand side must have the same "
                                       f"number of rows, got {_dims(sa)} and {_dims(sb)} "
                                       f"[Op:MatrixSolve]")
        batch = sa[:-2].merge_with(sb[:-2])
        return batch.concatenate([sa[-1], sb[-1]]), a.dtype

    def kernel(self, xp, a, b, adjoint):
        if a.dtype != b.dtype or a.dtype not in self.allowed or a.ndim < 2 or \
                a.ndim != b.ndim or \
                a.shape[-1] != a.shape[-2] or a.shape[:-2] != b.shape[:-2] or \
                a.shape[-1] != b.shape[-2]:
            self.infer([_spec(a), _spec(b)], adjoint=adjoint)
        wa, wb = _lapack_dtype(a), _lapack_dtype(b)
        if adjoint:
            wa = np.conj(np.swapaxes(wa, -1, -2))
        try:
            out = np.linalg.solve(wa, wb)
        except np.linalg.LinAlgError:
            raise InvalidArgumentError("Input matrix is not invertible. "
                                       "[Op:MatrixSolve]") from None
        return out.astype(a.dtype)

    def grad(self, call, g):
        a, b = call.inputs
        x = call.outputs[0]
        adj = call.attrs["adjoint"]
        gb = solve(a, g, adjoint=not adj)
        if adj:
            ga = -matmul(x, gb, adjoint_b=True)
        else:
            ga = -matmul(gb, x, adjoint_b=True)
        return ga, gb


MATRIX_SOLVE = _MatrixSolve()


def solve(matrix, rhs, adjoint=False, name=None):
    """Solves ``matrix @ x = rhs`` (``adjoint(matrix) @ x = rhs`` when ``adjoint``) for
    each matrix in the batch.

    >>> ember.linalg.solve([[2., 0.], [0., 4.]], [[2.], [4.]]).numpy()
    array([[1.],
           [1.]], dtype=float32)
    """
    a, b = binary_args(matrix, rhs)
    return execute(MATRIX_SOLVE, (a, b), {"adjoint": bool(adjoint)}, name)


def triangular_solve(matrix, rhs, lower=True, adjoint=False, name=None):
    """Solves a triangular system; only the ``lower`` (or upper) triangle is read."""
    tri = band_part(matrix, -1, 0) if lower else band_part(matrix, 0, -1)
    return solve(tri, rhs, adjoint=adjoint, name=name)


def cholesky_solve(chol, rhs, name=None):
    """Solves ``A x = rhs`` given ``chol``, the Cholesky factor of ``A``."""
    y = triangular_solve(chol, rhs, lower=True)
    return triangular_solve(chol, y, lower=True, adjoint=True)


class _Cholesky(_LinalgOp):
    name = "Cholesky"

    def infer(self, inputs):
        x = inputs[0]
        check_dtype(self.name, x.dtype, self.allowed)
        _square_check(self.name, x.shape)
        return x.shape, x.dtype

    def kernel(self, xp, a):
        if a.dtype not in self.allowed or a.ndim < 2 or a.shape[-1] != a.shape[-2]:
            self.infer([_spec(a)])
        try:
            out = np.linalg.cholesky(_lapack_dtype(a))
        except np.linalg.LinAlgError:
            raise InvalidArgumentError("Cholesky decomposition was not successful. The input "
                                       "might not be valid. [Op:Cholesky]") from None
        return out.astype(a.dtype)

    def grad(self, call, g):
        chol = call.outputs[0]
        l_inv = inv(chol)
        middle = matmul(chol, g, adjoint_a=True)
        middle = band_part(middle, -1, 0) - 0.5 * diag(diag_part(middle))
        ga = matmul(matmul(l_inv, middle, adjoint_a=True), l_inv)
        return (0.5 * (ga + adjoint(ga)),)


CHOLESKY = _Cholesky()


def cholesky(input, name=None):  # noqa: A002
    """Lower-triangular Cholesky factor ``L`` with ``L @ adjoint(L) == input``; only the
    lower triangle of ``input`` is read.

    >>> ember.linalg.cholesky([[4., 2.], [2., 2.]]).numpy()
    array([[2., 0.],
           [1., 1.]], dtype=float32)
    """
    return execute(CHOLESKY, (tensor(input),), EMPTY, name)


# ------------------------------------------------------------- diagonals and bands ---

def _diag_len(rows, cols, k):
    return min(rows - max(-k, 0), cols - max(k, 0))


class _MatrixDiag(Op):
    name = "MatrixDiagV3"

    def infer(self, inputs, k, num_rows, num_cols, padding_value):
        v = inputs[0]
        check_dtype(self.name, v.dtype, NUMERIC | BOOL)
        if v.shape.rank is None:
            return TensorShape(None), v.dtype
        if v.shape.rank < 1:
            raise InvalidArgumentError(f"diagonal must be at least 1-D, got shape {_dims(v.shape)} "
                                       f"[Op:MatrixDiagV3]")
        n = v.shape[-1]
        rows, cols = _diag_dims(n, k, num_rows, num_cols)
        return v.shape[:-1].concatenate([rows, cols]), v.dtype

    def kernel(self, xp, v, k, num_rows, num_cols, padding_value):
        if v.ndim < 1:
            self.infer([_spec(v)], k=k, num_rows=num_rows, num_cols=num_cols,
                       padding_value=padding_value)
        n = v.shape[-1]
        rows, cols = _diag_dims(n, k, num_rows, num_cols)
        out = np.full(v.shape[:-1] + (rows, cols), padding_value, dtype=v.dtype)
        i = np.arange(n)
        out[..., i + max(-k, 0), i + max(k, 0)] = v
        return out

    def grad(self, call, g):
        return (diag_part(g, k=call.attrs["k"]),)


def _diag_dims(n, k, num_rows, num_cols):
    if n is None:
        return (num_rows if num_rows >= 0 else None), (num_cols if num_cols >= 0 else None)
    need_r, need_c = n + max(-k, 0), n + max(k, 0)
    if num_rows < 0 and num_cols < 0:
        rows = cols = n + abs(k)
    else:
        rows = num_rows if num_rows >= 0 else need_r
        cols = num_cols if num_cols >= 0 else need_c
    if _diag_len(rows, cols, k) != n:
        raise InvalidArgumentError(
            f"The number of diagonal elements ({n}) does not fit diagonal k={k} of a "
            f"{rows}x{cols} matrix [Op:MatrixDiagV3]")
    return rows, cols


class _MatrixDiagPart(Op):
    name = "MatrixDiagPartV3"

    def infer(self, inputs, k):
        x = inputs[0]
        check_dtype(self.name, x.dtype, NUMERIC | BOOL)
        if x.shape.rank is None:
            return TensorShape(None), x.dtype
        if x.shape.rank < 2:
            raise InvalidArgumentError(f"input must be at least 2-D, got shape {_dims(x.shape)} "
                                       f"[Op:MatrixDiagPartV3]")
        m, n = x.shape[-2], x.shape[-1]
        if m is None or n is None:
            return x.shape[:-2].concatenate([None]), x.dtype
        if (m or n) and k != 0 and not -m < k < n:
            raise InvalidArgumentError(f"Diagonal index k={k} is out of bounds for a {m}x{n} "
                                       f"matrix [Op:MatrixDiagPartV3]")
        return x.shape[:-2].concatenate([max(_diag_len(m, n, k), 0)]), x.dtype

    def kernel(self, xp, a, k):
        if a.ndim < 2 or (k != 0 and not -a.shape[-2] < k < a.shape[-1]):
            self.infer([_spec(a)], k=k)
        return np.ascontiguousarray(np.diagonal(a, offset=k, axis1=-2, axis2=-1))

    def grad(self, call, g):
        x = call.inputs[0]
        m, n = x.shape[-2], x.shape[-1]
        return (diag(g, k=call.attrs["k"], num_rows=m, num_cols=n),)


MATRIX_DIAG = _MatrixDiag()
MATRIX_DIAG_PART = _MatrixDiagPart()


def diag(diagonal, name="diag", k=0, num_rows=-1, num_cols=-1, padding_value=0,
         align="RIGHT_LEFT"):
    """Batched diagonal matrices: ``[..., n]`` becomes ``[..., n, n]`` (diagonal ``k``,
    with ``padding_value`` elsewhere).

    >>> ember.linalg.diag([1, 2]).numpy()
    array([[1, 0],
           [0, 2]], dtype=int32)
    """
    v = tensor(diagonal)
    attrs = {"k": static_int(k, "k", "MatrixDiagV3"),
             "num_rows": static_int(num_rows, "num_rows", "MatrixDiagV3"),
             "num_cols": static_int(num_cols, "num_cols", "MatrixDiagV3"),
             "padding_value": _py_scalar(padding_value)}
    return execute(MATRIX_DIAG, (v,), attrs)


def _py_scalar(v):
    v = np.asarray(v)
    if v.ndim:
        raise ValueError(f"padding_value must be a scalar, got shape {v.shape}")
    return v.item()


def diag_part(input, name="diag_part", k=0, padding_value=0,  # noqa: A002
              align="RIGHT_LEFT"):
    """Diagonal ``k`` of each matrix in the last two dimensions.

    >>> ember.linalg.diag_part([[1, 2], [3, 4]]).numpy()
    array([1, 4], dtype=int32)
    """
    return execute(MATRIX_DIAG_PART, (tensor(input),),
                   {"k": static_int(k, "k", "MatrixDiagPartV3")})


def trace(x, name=None):
    """Sum of the main diagonal of each matrix in the last two dimensions.

    >>> float(ember.linalg.trace([[1., 2.], [3., 4.]]))
    5.0
    """
    return reduce_ops.reduce_sum(diag_part(x), axis=-1, name=name)


class _MatrixBandPart(Op):
    name = "MatrixBandPart"

    def infer(self, inputs, num_lower, num_upper):
        x = inputs[0]
        check_dtype(self.name, x.dtype, NUMERIC | BOOL)
        if x.shape.rank is not None and x.shape.rank < 2:
            raise InvalidArgumentError(f"input must be at least 2-D, got shape {_dims(x.shape)} "
                                       f"[Op:MatrixBandPart]")
        if x.shape.rank is not None:
            m, n = x.shape[-2], x.shape[-1]
            if m is not None and num_lower > m:
                raise InvalidArgumentError(f"num_lower must be negative or less or equal to "
                                           f"number of rows ({m}) got: {num_lower} "
                                           f"[Op:MatrixBandPart]")
            if n is not None and num_upper > n:
                raise InvalidArgumentError(f"num_upper must be negative or less or equal to "
                                           f"number of columns ({n}) got: {num_upper} "
                                           f"[Op:MatrixBandPart]")
        return x.shape, x.dtype

    def kernel(self, xp, a, num_lower, num_upper):
        self.infer([_spec(a)], num_lower=num_lower, num_upper=num_upper)
        i = np.arange(a.shape[-2])[:, None]
        j = np.arange(a.shape[-1])[None, :]
        keep = np.ones((a.shape[-2], a.shape[-1]), dtype=bool)
        if num_lower >= 0:
            keep &= (i - j) <= num_lower
        if num_upper >= 0:
            keep &= (j - i) <= num_upper
        return np.where(keep, a, np.zeros((), a.dtype))

    def grad(self, call, g):
        return (band_part(g, call.attrs["num_lower"], call.attrs["num_upper"]),)


MATRIX_BAND_PART = _MatrixBandPart()


def band_part(input, num_lower, num_upper, name=None):  # noqa: A002
    """Keeps ``num_lower`` sub- and ``num_upper`` super-diagonals (negative: all) of each
    matrix, zeroing the rest.

    >>> ember.linalg.band_part([[1, 2], [3, 4]], 0, -1).numpy()
    array([[1, 2],
           [0, 4]], dtype=int32)
    """
    return execute(MATRIX_BAND_PART, (tensor(input),),
                   {"num_lower": static_int(num_lower, "num_lower", "MatrixBandPart"),
                    "num_upper": static_int(num_upper, "num_upper", "MatrixBandPart")}, name)


def matvec(a, b, transpose_a=False, adjoint_a=False, a_is_sparse=False, b_is_sparse=False,
           name=None):
    """Matrix-vector product ``a @ b`` over the last dimensions, batched.

    >>> ember.linalg.matvec([[1., 2.], [3., 4.]], [1., 1.]).numpy()
    array([3., 7.], dtype=float32)
    """
    a, b = binary_args(a, b)
    if b.shape.rank is not None and b.shape.rank < 1:
        raise ValueError(f"matvec: b must be at least 1-D, got shape {b.shape}")
    out = matmul(a, array_ops.expand_dims(b, -1), transpose_a=transpose_a,
                 adjoint_a=adjoint_a)
    return array_ops.squeeze(out, axis=-1)


# --------------------------------------------------------------------- decompositions ---

def _svd_real_dtype(a):
    if a.dtype.kind == "f":
        return a.dtype
    return np.float32 if a.dtype == np.complex64 else np.float64


def _svd_infer(op_name, x, allowed):
    check_dtype(op_name, x.dtype, allowed)
    s = x.shape
    if s.rank is not None and s.rank < 2:
        raise InvalidArgumentError(f"input must have rank >= 2, got shape {_dims(s)} "
                                   f"[Op:{op_name}]")
    m, n = s[-2], s[-1]
    p = None if m is None or n is None else min(m, n)
    return s, m, n, p, x.dtype.real_dtype


class _Svd(_LinalgOp):
    """Singular values and vectors ``(s, u, v)`` with ``x = u @ diag(s) @ adjoint(v)``."""

    name = "Svd"
    num_outputs = 3

    def infer(self, inputs, full_matrices):
        s, m, n, p, real = _svd_infer(self.name, inputs[0], self.allowed)
        uc = m if full_matrices else p
        vc = n if full_matrices else p
        return [(s[:-2].concatenate([p]), real), (s[:-2].concatenate([m, uc]), inputs[0].dtype),
                (s[:-2].concatenate([n, vc]), inputs[0].dtype)]

    def kernel(self, xp, a, full_matrices):
        if a.dtype not in self.allowed or a.ndim < 2:
            self.infer([_spec(a)], full_matrices=full_matrices)
        u, s, vh = np.linalg.svd(_lapack_dtype(a), full_matrices=full_matrices)
        v = np.conj(np.swapaxes(vh, -1, -2))
        return s.astype(_svd_real_dtype(a)), u.astype(a.dtype), v.astype(a.dtype)

    def grad(self, call, gs, gu, gv):
        x = call.inputs[0]
        if x.dtype.is_complex:
            raise NotImplementedError("the SVD gradient is implemented for real matrices only")
        s, u, v = call.outputs
        m, n = x.shape[-2], x.shape[-1]
        if call.attrs["full_matrices"] and m != n:
            raise NotImplementedError("the SVD gradient with full_matrices=True needs square "
                                      "matrices")
        k = min(m, n)
        eye_k = EagerTensor(np.eye(k, dtype=bool))
        s2 = math_ops.square(s)
        diff = array_ops.expand_dims(s2, -2) - array_ops.expand_dims(s2, -1)
        safe = array_ops.where(eye_k, array_ops.ones_like(diff), diff)
        f = array_ops.where(eye_k, array_ops.zeros_like(diff), 1.0 / safe)
        ut_gu = matmul(u, gu, transpose_a=True)
        vt_gv = matmul(v, gv, transpose_a=True)
        j = f * (ut_gu - matrix_transpose(ut_gu))
        kk = f * (vt_gv - matrix_transpose(vt_gv))
        inner = j * array_ops.expand_dims(s, -2) + diag(gs) + \
            array_ops.expand_dims(s, -1) * kk
        ga = matmul(matmul(u, inner), v, transpose_b=True)
        s_inv = 1.0 / s
        if m > k:
            proj_u = gu - matmul(u, ut_gu)
            ga = ga + matmul(proj_u * array_ops.expand_dims(s_inv, -2), v, transpose_b=True)
        if n > k:
            proj_v = matrix_transpose(gv) - matmul(vt_gv, v, transpose_a=True, transpose_b=True)
            ga = ga + matmul(u, array_ops.expand_dims(s_inv, -1) * proj_v)
        return (ga,)


class _SvdValues(_LinalgOp):
    """Singular values only; the gradient goes through the full decomposition."""

    name = "SvdValues"

    def infer(self, inputs):
        s, m, n, p, real = _svd_infer(self.name, inputs[0], self.allowed)
        return s[:-2].concatenate([p]), real

    def kernel(self, xp, a):
        if a.dtype not in self.allowed or a.ndim < 2:
            self.infer([_spec(a)])
        return np.linalg.svd(_lapack_dtype(a), compute_uv=False).astype(_svd_real_dtype(a))

    def grad(self, call, gs):
        x = call.inputs[0]
        _, u, v = execute(SVD, (x,), {"full_matrices": False})
        gsm = math_ops.cast(gs, x.dtype) if x.dtype.is_complex else gs
        return (matmul(u * array_ops.expand_dims(gsm, -2), v, adjoint_b=True),)


SVD = _Svd()
SVD_VALUES = _SvdValues()


def svd(tensor, full_matrices=False, compute_uv=True, name=None):  # noqa: A002
    """Singular value decomposition ``tensor = u @ diag(s) @ adjoint(v)``; returns ``s`` or
    ``(s, u, v)``. Differentiable for real matrices (distinct singular values).

    >>> ember.linalg.svd([[3., 0.], [0., 4.]], compute_uv=False).numpy()
    array([4., 3.], dtype=float32)
    """
    x = _tensor(tensor)
    if not compute_uv:
        return execute(SVD_VALUES, (x,), EMPTY, name)
    s, u, v = execute(SVD, (x,), {"full_matrices": bool(full_matrices)}, name)
    return s, u, v



_tensor = tensor

Qr = collections.namedtuple("Qr", ["q", "r"])


class _Qr(_LinalgOp):
    name = "Qr"
    num_outputs = 2
    differentiable = False

    def infer(self, inputs, full_matrices):
        x = inputs[0]
        check_dtype(self.name, x.dtype, self.allowed)
        s = x.shape
        if s.rank is not None and s.rank < 2:
            raise InvalidArgumentError(f"input must have rank >= 2, got shape {_dims(s)} [Op:Qr]")
        m, n = s[-2], s[-1]
        p = None if m is None or n is None else min(m, n)
        k = m if full_matrices else p
        return [(s[:-2].concatenate([m, k]), x.dtype), (s[:-2].concatenate([k, n]), x.dtype)]

    def kernel(self, xp, a, full_matrices):
        if a.dtype not in self.allowed or a.ndim < 2:
            self.infer([_spec(a)], full_matrices=full_matrices)
        q, r = np.linalg.qr(_lapack_dtype(a), mode="complete" if full_matrices else "reduced")
        return q.astype(a.dtype), r.astype(a.dtype)


QR = _Qr()


def qr(input, full_matrices=False, name=None):  # noqa: A002
    """QR decomposition of each matrix: ``(q, r)`` with orthonormal ``q`` and upper-triangular
    ``r`` (forward only: no gradient).

    >>> q, r = ember.linalg.qr([[1., 0.], [0., 2.]])
    """
    q, r = execute(QR, (tensor(input),), {"full_matrices": bool(full_matrices)}, name)
    return Qr(q, r)


class _SelfAdjointEig(_LinalgOp):
    name = "SelfAdjointEigV2"
    num_outputs = 2
    differentiable = False

    def infer(self, inputs):
        x = inputs[0]
        check_dtype(self.name, x.dtype, self.allowed)
        _square_check(self.name, x.shape)
        real = x.dtype.real_dtype if hasattr(x.dtype, "real_dtype") else x.dtype
        return [(x.shape[:-1], real), (x.shape, x.dtype)]

    def kernel(self, xp, a):
        if a.dtype not in self.allowed or a.ndim < 2 or a.shape[-1] != a.shape[-2]:
            self.infer([_spec(a)])
        e, v = np.linalg.eigh(_lapack_dtype(a), UPLO="L")
        real = a.dtype if a.dtype.kind == "f" else (
            np.float32 if a.dtype == np.complex64 else np.float64)
        return e.astype(real), v.astype(a.dtype)


SELF_ADJOINT_EIG = _SelfAdjointEig()


def eigh(tensor, name=None):  # noqa: A002
    """Eigenvalues (ascending) and eigenvectors of self-adjoint matrices (lower triangle read;
    forward only: no gradient).

    >>> e, v = ember.linalg.eigh([[2., 0.], [0., 1.]])
    >>> e.numpy()
    array([1., 2.], dtype=float32)
    """
    e, v = execute(SELF_ADJOINT_EIG, (_tensor(tensor),), EMPTY, name)
    return e, v


def eigvalsh(tensor, name=None):  # noqa: A002
    """Eigenvalues (ascending) of self-adjoint matrices."""
    return eigh(tensor)[0]


# --------------------------------------------------------------------------- norms ---

def _norm_axes(axis, rank):
    if axis is None:
        return None
    if isinstance(axis, (list, tuple)) or (isinstance(axis, (np.ndarray, EagerTensor)) and
                                           np.ndim(axis) == 1):
        ax = static_axes(axis, "axis", "norm")
        if len(ax) == 1:
            ax = ax[0]
    else:
        ax = static_int(axis, "axis", "norm")
    err = ValueError(f"'axis' must be None, an integer, or a tuple of 2 unique integers, got "
                     f"{axis}")
    if isinstance(ax, tuple):
        if len(ax) != 2:
            raise err
        for a in ax:
            if not -rank <= a < rank:
                raise err
        if ax[0] % rank == ax[1] % rank:
            raise err
        return tuple(a % rank for a in ax)
    if not -rank <= ax < rank:
        raise ValueError(f"norm: axis {ax} is out of range for a tensor of rank {rank}")
    return ax % rank


def norm(tensor, ord="euclidean", axis=None, keepdims=None, name=None):  # noqa: A002
    """Vector norms (p-norms, ``np.inf``) over all values or along ``axis``, or matrix norms
    ('fro'/'euclidean', 1, 2, ``np.inf``) over an ``axis`` pair.

    >>> float(ember.norm([3., 4.]))
    5.0
    >>> float(ember.norm([[1., 2.], [3., 4.]], ord=1, axis=[-2, -1]))
    6.0
    """
    x = _tensor(tensor)
    r = x.shape.rank
    if r is None:
        raise ValueError("norm: the input needs a known rank")
    keep = bool(keepdims)
    ax = _norm_axes(axis, r)
    matrix = isinstance(ax, tuple)
    if matrix:
        ok = ord in ("fro", "euclidean", 1, 2, np.inf)
        if not ok or isinstance(ord, bool):
            raise ValueError(f"'ord' must be a supported matrix norm in ['euclidean', 'fro', 1, "
                             f"2, inf], got {ord}")
    else:
        ok = ord == "euclidean" or (not isinstance(ord, (str, bool)) and
                                    isinstance(ord, (int, float, np.number)) and ord > 0)
        if not ok:
            raise ValueError(f"'ord' must be a supported vector norm, got {ord}")
    if not (x.dtype.is_floating or x.dtype.is_complex):
        raise TypeError(f"norm: tensor must be float or complex, got {x.dtype.name}")
    red = list(ax) if matrix else (None if ax is None else [ax])
    if ord in ("euclidean", "fro") or (not matrix and ord == 2):
        if x.dtype.is_complex:
            x = math_ops.abs(x)
        return reduce_ops.reduce_euclidean_norm(x, axis=red, keepdims=keep)
    ab = math_ops.abs(x)
    if not matrix:
        if ord == np.inf:
            return reduce_ops.reduce_max(ab, axis=red, keepdims=keep)
        if ord == 1:
            return reduce_ops.reduce_sum(ab, axis=red, keepdims=keep)
        p = float(ord)
        return math_ops.pow(reduce_ops.reduce_sum(math_ops.pow(ab, p), axis=red,
                                                  keepdims=keep), 1.0 / p)
    r0, r1 = ax
    if ord == 2:
        rest = [i for i in range(r) if i not in ax]
        moved = array_ops.transpose(x, rest + [r0, r1])
        top = reduce_ops.reduce_max(svd(moved, compute_uv=False), axis=-1)
        if keep:
            for a in sorted(ax):
                top = array_ops.expand_dims(top, a)
        return top
    if ord == 1:
        inner, outer = r0, r1
    else:
        inner, outer = r1, r0
    sums = reduce_ops.reduce_sum(ab, axis=inner, keepdims=True)
    out = reduce_ops.reduce_max(sums, axis=outer, keepdims=True)
    if not keep:
        out = array_ops.squeeze(out, axis=[r0, r1])
    return out
