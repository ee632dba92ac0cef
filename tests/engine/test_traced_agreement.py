"""Eager, traced (ember.function) and compiled (compat.v1 Graph + Session) results agree for
the whole op table: values, shapes and dtypes; gradients too for the differentiable ops.

The cases come from the op families' own tables in tests/ops, so a case added there is
checked here as well.
"""
import numpy as np
import pytest

import ember as tf
import ember.compat.v1 as v1
from tests.ops import test_array_ops as A
from tests.ops import test_linalg_ops as L
from tests.ops import test_math_ops as M
from tests.ops import test_nn_ops as N
from tests.ops import test_reduce_ops as R

RNG = np.random.default_rng(123)

# ------------------------------------------------------------------ forward table ---
# (id, fn, args): fn takes one tensor per arg.
FORWARD = []


def case(name, fn, args):
    FORWARD.append((name, fn, [np.asarray(a) for a in args]))


for dtype in (np.float32, np.float64):
    for name, fn, ref, (lo, hi), away, _ in M.UNARY:
        case(f"math.{name}.{np.dtype(dtype).name}", fn,
             [M._sample(RNG, lo, hi, (2, 3), away).astype(dtype)])
for name, fn, _ in M.INT_UNARY:
    case(f"math.{name}.int32", fn, [np.array([[-3, 0, 2], [5, -1, 7]], np.int32)])
for b in M.BINARY:
    for dtype in b[5]:
        case(f"math.{b[0]}.{np.dtype(dtype).name}", b[1], M._binary_inputs(RNG, b, dtype))
for fn, _ in M.COMPARISONS:
    for dtype in (np.float32, np.int32):
        case(f"math.{fn.__name__}.{np.dtype(dtype).name}", fn,
             [RNG.integers(0, 4, (3, 4)).astype(dtype), RNG.integers(0, 4, (4,)).astype(dtype)])
for fn, _ in M.LOGICAL:
    case(f"math.{fn.__name__}", fn, [np.array([[True, False], [True, True]]),
                                     np.array([True, False])])
case("math.logical_not", tf.logical_not, [np.array([True, False])])
for fn in (tf.math.is_nan, tf.math.is_inf, tf.math.is_finite):
    case(f"math.{fn.__name__}", fn, [np.array([0.0, np.nan, np.inf, -np.inf, 2.0], np.float32)])
for kind, cfn in (("cumsum", tf.cumsum), ("cumprod", tf.math.cumprod)):
    for axis, ex, rev in M.CUM_ATTRS:
        case(f"math.{kind}.{axis}.{ex}.{rev}",
             lambda t, cfn=cfn, axis=axis, ex=ex, rev=rev: cfn(t, axis=axis, exclusive=ex,
                                                               reverse=rev),
             [RNG.uniform(0.5, 2, (2, 3, 4)).astype(np.float32)])
for k, (x, lo, hi) in enumerate(M.CLIP_CASES):
    case(f"math.clip_by_value.{k}", lambda t, lo_, hi_: tf.clip_by_value(t, lo_, hi_),
         [x, np.asarray(lo, x.dtype), np.asarray(hi, x.dtype)])
for value, src, dst, _ in M.CASTS:
    case(f"math.cast.{src.name}.{dst.name}", lambda t, dst=dst: tf.cast(t, dst),
         [np.asarray(value).astype(src.as_numpy_dtype)])
for value, src, dst, _ in M.SATURATE:
    case(f"math.saturate_cast.{src.name}.{dst.name}", lambda t, dst=dst: tf.saturate_cast(t, dst),
         [np.array(value).astype(src.as_numpy_dtype)])
for k, (data, ids, n) in enumerate(M.SEGMENTS):
    case(f"math.unsorted_segment_sum.{k}",
         lambda d, i, n=n: tf.math.unsorted_segment_sum(d, i, n), [data, ids])
for k, (data, ids) in enumerate(M.SORTED_SEGMENTS):
    case(f"math.segment_sum.{k}", tf.math.segment_sum, [data, ids])
Z = np.array([0.7 + 0.4j, -1.2 + 0.9j, 1.5 - 0.6j], np.complex128)
for name, fn in M.COMPLEX_FUNCS:
    case(f"math.complex.{name}", fn, [Z])
case("math.complex_parts", lambda a, b: [tf.complex(a, b), tf.math.real(tf.complex(a, b)),
                                         tf.math.imag(tf.complex(a, b)),
                                         tf.abs(tf.complex(a, b))],
     [np.array([1.0, -2.0], np.float32), np.array([0.5, 3.0], np.float32)])
for name, op in M.ARITH:
    case(f"operator.{name}", op, [np.array([[1.5, -2.0, 3.0], [0.5, 4.0, -1.0]], np.float32),
                                  np.array([2.0, -0.5, 1.5], np.float32)])
case("math.add_n", lambda a, b, c: tf.add_n([a, b, c]),
     [RNG.standard_normal((2, 3)).astype(np.float32) for _ in range(3)])
case("math.polyval", lambda x: tf.math.polyval([2.0, -1.0, 0.5], x),
     [RNG.standard_normal((2, 3)).astype(np.float32)])
case("math.scalar_mul", lambda x: tf.math.scalar_mul(3.0, x), [np.array([1.0, -2.0], np.float32)])
case("math.reciprocal_no_nan", tf.math.reciprocal_no_nan, [np.array([0.0, 2.0, -4.0], np.float32)])
case("math.bitwise", lambda a, b: [a & b, a | b, a ^ b, ~a],
     [np.array([12, 5, 0, 7], np.int32), np.array([10, 3, 6, 7], np.int32)])
case("math.count_nonzero", lambda x: [tf.math.count_nonzero(x),
                                      tf.math.count_nonzero(x, axis=1, keepdims=True)],
     [np.array([[0, 1, 2], [0, 0, 3]], np.int32)])
case("math.bincount", lambda x: tf.math.bincount(x, minlength=6), [np.array([1, 1, 3], np.int32)])

for c in A.FORWARD:
    case(f"array.{c[0]}", c[1], c[3])
for name, key in A.GETITEM_KEYS:
    case(f"array.getitem.{name}", lambda x, key=A._key(key)[0]: x[key], [A.X234])

for red, x, axis, keepdims in R.FORWARD:
    case(f"reduce.{red}.{x.dtype}.{axis}.{keepdims}",
         lambda t, red=red, axis=axis, keepdims=keepdims: R.REDUCERS[red][0](
             t, axis=axis, keepdims=keepdims), [x])
for fn in (tf.math.argmax, tf.math.argmin):
    for x, axis, out in R.ARG_CASES:
        case(f"reduce.{fn.__name__}.{x.dtype}.{axis}",
             lambda t, fn=fn, axis=axis, out=out: fn(t, axis=axis, output_type=out), [x])
for x, axis, direction in R.SORT_CASES:
    case(f"reduce.sort.{x.dtype}.{axis}.{direction}",
         lambda t, axis=axis, d=direction: [tf.sort(t, axis=axis, direction=d),
                                            tf.argsort(t, axis=axis, direction=d)], [x])
for x, k in R.TOPK_CASES:
    case(f"reduce.top_k.{x.dtype}.{k}", lambda t, k=k: list(tf.math.top_k(t, k=k)), [x])

for a, b, kw in L.MATMUL:
    case(f"linalg.matmul.{a.shape}.{b.shape}.{sorted(kw)}",
         lambda x, y, kw=kw: tf.matmul(x, y, **kw), [a, b])
for eq, args in L.EINSUM:
    case(f"linalg.einsum.{eq}", lambda *ts, eq=eq: tf.einsum(eq, *ts), args)
for a, b, axes in L.TENSORDOT:
    case(f"linalg.tensordot.{axes}", lambda x, y, axes=axes: tf.tensordot(x, y, axes), [a, b])
for x, ord_, axis, keepdims in L.NORMS:
    case(f"linalg.norm.{x.shape}.{ord_}.{axis}.{keepdims}",
         lambda t, o=ord_, a=axis, k=keepdims: tf.norm(t, ord=o, axis=a, keepdims=k), [x])
for a in L.INV_CASES:
    case(f"linalg.inverses.{a.shape}.{a.dtype}",
         lambda t: [tf.linalg.inv(t), tf.linalg.inv(t, adjoint=True), tf.linalg.det(t),
                    *tf.linalg.slogdet(t)], [a])
for a, b, adj in L.SOLVE_CASES:
    case(f"linalg.solve.{b.shape}.{adj}", lambda x, y, adj=adj: tf.linalg.solve(x, y, adj), [a, b])
for k, (fn, _, x) in enumerate(L.DIAG_FORWARD):
    case(f"linalg.structure.{k}", fn, [x])
SPD = L.spd(2, n=3)
case("linalg.cholesky", lambda a: [tf.linalg.cholesky(a), tf.linalg.logdet(a)], [SPD])
case("linalg.cholesky_solve", lambda a, b: tf.linalg.cholesky_solve(tf.linalg.cholesky(a), b),
     [SPD, L.rn(2, 3, 2)])
case("linalg.triangular_solve", lambda a, b: tf.linalg.triangular_solve(a, b),
     [np.tril(L.well()), L.rn(3, 2)])
case("linalg.matvec", tf.linalg.matvec, [L.rn(2, 3, 4), L.rn(4)])
case("linalg.svd", lambda a: list(tf.linalg.svd(a)), [L.rn(2, 4, 3)])
case("linalg.svd_full", lambda a: list(tf.linalg.svd(a, full_matrices=True)), [L.rn(4, 3)])
case("linalg.qr", lambda a: list(tf.linalg.qr(a)), [L.rn(2, 4, 3)])
case("linalg.eigh", lambda a: list(tf.linalg.eigh(a)) + [tf.linalg.eigvalsh(a)], [SPD])
case("linalg.eye_and_l2", lambda x: [tf.linalg.eye(3) + x[0, 0], tf.linalg.l2_normalize(x, 1)],
     [L.rn(3, 3, dtype=np.float32)])

for name, fn, _, args in N.FORWARD:
    case(f"nn.{name}", fn, args)
for name, labels, logits in N.SPARSE_FORWARD:
    case(f"nn.sparse_xent.{name}",
         lambda lb, lg: tf.nn.sparse_softmax_cross_entropy_with_logits(labels=lb, logits=lg),
         [labels, logits])
case("nn.embedding_lookup", lambda p, i: tf.nn.embedding_lookup(p, i),
     [N.f32(5, 3), np.array([[4, 0], [2, 2]], np.int32)])
case("nn.embedding_lookup_max_norm", lambda p: tf.nn.embedding_lookup(p, [0, 1, 0], max_norm=1.5),
     [np.array([[3.0, 4.0], [0.3, 0.4]], np.float32)])

IMG = RNG.standard_normal((2, 6, 6, 3)).astype(np.float32)
KERNEL = RNG.standard_normal((3, 3, 3, 4)).astype(np.float32)
SPATIAL = [
    ("conv2d_same", lambda x, w: tf.nn.conv2d(x, w, 1, "SAME"), [IMG, KERNEL]),
    ("conv2d_valid_stride2", lambda x, w: tf.nn.conv2d(x, w, 2, "VALID"), [IMG, KERNEL]),
    ("conv2d_dilated", lambda x, w: tf.nn.conv2d(x, w, 1, "SAME", dilations=2), [IMG, KERNEL]),
    ("depthwise_conv2d", lambda x, w: tf.nn.depthwise_conv2d(x, w, [1, 1, 1, 1], "SAME"),
     [IMG, RNG.standard_normal((3, 3, 3, 2)).astype(np.float32)]),
    ("conv2d_transpose", lambda x, w: tf.nn.conv2d_transpose(x, w, [2, 12, 12, 5], 2, "SAME"),
     [IMG, RNG.standard_normal((3, 3, 5, 3)).astype(np.float32)]),
    ("conv1d", lambda x, w: tf.nn.conv1d(x, w, 1, "SAME"),
     [IMG[:, 0], RNG.standard_normal((3, 3, 4)).astype(np.float32)]),
    ("max_pool2d", lambda x: tf.nn.max_pool2d(x, 2, 2, "VALID"), [IMG]),
    ("avg_pool2d", lambda x: tf.nn.avg_pool2d(x, 3, 1, "SAME"), [IMG]),
    ("batch_normalization", lambda x, m, v: tf.nn.batch_normalization(x, m, v, 0.5, 1.5, 1e-3),
     [IMG, IMG.mean((0, 1, 2)), IMG.var((0, 1, 2))]),
    ("fused_batch_norm", lambda x, s, o: list(tf.nn.fused_batch_norm(x, s, o)),
     [IMG, np.full(3, 1.5, np.float32), np.full(3, 0.5, np.float32)]),
    ("lrn", tf.nn.local_response_normalization, [IMG]),
    ("space_to_depth", lambda x: tf.nn.space_to_depth(x, 2), [IMG]),
    ("depth_to_space", lambda x: tf.nn.depth_to_space(x, 2), [IMG.repeat(4, -1)[..., :8]]),
    ("resize_bilinear", lambda x: tf.image.resize(x, [9, 9]), [IMG]),
    ("extract_patches", lambda x: tf.image.extract_patches(x, [1, 2, 2, 1], [1, 2, 2, 1],
                                                           [1, 1, 1, 1], "VALID"), [IMG]),
]
for name, fn, args in SPATIAL:
    case(f"nn.{name}", fn, args)
case("array.unique", lambda x: list(tf.unique(x)), [np.array([3, 1, 3, 2, 1], np.int32)])
case("math.string_add", lambda a, b: [a + b, tf.add(a, b)],
     [np.array([b"ab", b"c"]), np.array([b"x", b""])])
for name, fn in [("uniform", tf.random.stateless_uniform), ("normal", tf.random.stateless_normal),
                 ("truncated_normal", tf.random.stateless_truncated_normal)]:
    case(f"random.stateless_{name}", lambda s, fn=fn: fn([2, 3], seed=s),
         [np.array([7, 11], np.int32)])
# issue 20's additions (tests/ops/test_special_ops.py, test_array_extra_ops.py,
# test_linalg_extra_ops.py, test_nn_extra_ops.py)
_X34 = RNG.uniform(0.5, 2.0, (3, 4)).astype(np.float32)
for _name in ("bessel_i0", "bessel_i1e", "erfinv", "ndtri"):
    case(f"math.{_name}", getattr(tf.math, _name), [RNG.uniform(0.1, 0.9, (2, 3))])
case("math.igamma_zeta_betainc", lambda a, x: [tf.math.igamma(a, x), tf.math.zeta(a + 1, x),
                                              tf.math.betainc(a, a, x / 3.0)], [_X34, _X34])
case("math.segment_max_prod_mean",
     lambda d, i: [tf.math.unsorted_segment_max(d, i, 3), tf.math.unsorted_segment_prod(d, i, 3),
                   tf.math.segment_mean(d, tf.sort(i))],
     [_X34, np.array([2, 0, 2], np.int32)])
case("array.reverse_sequence", lambda x: tf.reverse_sequence(x, [2, 4, 1], 1, 0), [_X34])
case("array.searchsorted_mask", lambda s, v: [tf.searchsorted(s, v), tf.sequence_mask([1, 3], 4)],
     [np.sort(_X34, axis=1), _X34[:, :2]])
case("array.space_to_batch", lambda x: tf.space_to_batch_nd(x, [2], [[1, 0]]), [_X34[None]])
case("linalg.expm_lu", lambda a: [tf.linalg.expm(a * 0.1), tf.linalg.lu(a)[0],
                                  tf.linalg.set_diag(a, [1.0, 2.0, 3.0])], [L.rn(3, 3)])
case("linalg.operators", lambda d, x: [tf.linalg.LinearOperatorDiag(d).solve(x),
                                       tf.linalg.LinearOperatorToeplitz(d, d).matmul(x),
                                       tf.linalg.LinearOperatorHouseholder(d).matmul(x)],
     [RNG.uniform(1, 2, 3).astype(np.float32), RNG.standard_normal((3, 2)).astype(np.float32)])
case("nn.max_pool_with_argmax", lambda x: list(tf.nn.max_pool_with_argmax(x, 2, 1, "SAME")),
     [RNG.standard_normal((1, 3, 3, 2)).astype(np.float32)])
case("nn.isotonic_regression", lambda x: list(tf.nn.isotonic_regression(x)), [_X34])
case("random.stateless_gamma_binomial",
     lambda s: [tf.random.stateless_gamma([4], s, 2.0), tf.random.stateless_binomial(
         [4], s, 5.0, 0.5)], [np.array([3, 4], np.int32)])

FORWARD_IDS = [c[0] for c in FORWARD]

# ----------------------------------------------------------------- gradient table ---
# (id, fn, float64 args)
GRADIENTS = []
for name, fn, ref, (lo, hi), away, kind in M.UNARY_GRAD:
    GRADIENTS.append((f"math.{name}", fn, [M._sample(RNG, lo, hi, (2, 3), away)]))
for b in M.BINARY:
    if b[6]:
        GRADIENTS.append((f"math.{b[0]}", b[1], list(M._binary_inputs(RNG, b, np.float64))))
for kind, cfn in (("cumsum", tf.cumsum), ("cumprod", tf.math.cumprod)):
    GRADIENTS.append((f"math.{kind}", lambda t, cfn=cfn: cfn(t, axis=1, exclusive=True),
                      [RNG.uniform(0.5, 2, (2, 3, 2))]))
GRADIENTS.append(("math.clip_by_value", lambda t, lo, hi: tf.clip_by_value(t, lo, hi),
                  [np.array([[-3., 0.5, 4.], [1., 2.5, -1.5]]), np.array([-1., 0., 1.]),
                   np.array(3.)]))
GRADIENTS.append(("math.unsorted_segment_sum",
                  lambda d: tf.math.unsorted_segment_sum(d * d, M.SEGMENTS[0][1], 4),
                  [M.SEGMENTS[0][0] / 10]))
for name, fn in M.COMPLEX_FUNCS:
    def through_complex(x, y, fn=fn):
        w = fn(tf.complex(x, y))
        return tf.math.real(w) + 2.0 * tf.math.imag(w) if w.dtype.is_complex else w
    GRADIENTS.append((f"math.complex.{name}", through_complex,
                      [np.array([0.7, -1.2, 1.5]), np.array([0.4, 0.9, -0.6])]))
for c in A.GRADIENTS:
    GRADIENTS.append((f"array.{c[0]}", c[1], c[2]))
for k, (fn, args) in enumerate(R.GRADIENTS):
    GRADIENTS.append((f"reduce.{k}", fn, args))
for k, (a, b, kw) in enumerate(L.MATMUL[:7]):
    GRADIENTS.append((f"linalg.matmul.{k}", lambda x, y, kw=kw: tf.matmul(x, y, **kw),
                      [a.astype(np.float64), b.astype(np.float64)]))
for eq, args in L.EINSUM:
    GRADIENTS.append((f"linalg.einsum.{eq}", lambda *ts, eq=eq: tf.einsum(eq, *ts), args))
for a, b, axes in L.TENSORDOT:
    GRADIENTS.append((f"linalg.tensordot.{axes}",
                      lambda x, y, axes=axes: tf.tensordot(x, y, axes), [a, b]))
for k, (x, ord_, axis, keepdims) in enumerate(L.NORMS):
    GRADIENTS.append((f"linalg.norm.{k}",
                      lambda t, o=ord_, a=axis, kd=keepdims: tf.norm(t, ord=o, axis=a,
                                                                     keepdims=kd), [x]))
for a in L.INV_CASES[:3]:
    GRADIENTS.append((f"linalg.inverses.{a.shape}",
                      lambda t: [tf.linalg.inv(t), tf.linalg.det(t), tf.linalg.slogdet(t)[1]],
                      [a]))
for a, b, adj in L.SOLVE_CASES:
    GRADIENTS.append((f"linalg.solve.{b.shape}.{adj}",
                      lambda x, y, adj=adj: tf.linalg.solve(x, y, adj), [a, b]))
for k, (fn, _, x) in enumerate(L.DIAG_FORWARD):
    if x.dtype == np.float64:
        GRADIENTS.append((f"linalg.structure.{k}", fn, [x]))
for k, fn in enumerate(L.SVD_GRADIENTS):
    GRADIENTS.append((f"linalg.svd.{k}", fn, [L.rn(4, 3)]))
GRADIENTS.append(("linalg.cholesky", lambda t: tf.linalg.cholesky(L._sym(t)), [L.spd()]))
GRADIENTS.append(("linalg.matvec", tf.linalg.matvec, [L.rn(2, 3, 4), L.rn(4)]))
for name, fn, args in N.GRADIENTS:
    GRADIENTS.append((f"nn.{name}", fn, args))
for name, fn, args in SPATIAL:
    if name != "fused_batch_norm":
        small = name.startswith(("conv1d", "conv2d_", "depthwise")) and \
            name != "conv2d_transpose"
        GRADIENTS.append((f"nn.{name}", fn, [a[:1] if a.ndim == 4 else a for a in args]
                          if small else args))
GRADIENTS.append(("nn.fused_batch_norm", lambda x, s, o: tf.nn.fused_batch_norm(x, s, o)[0],
                  SPATIAL[9][2]))

# ---------------------------------------------- functional, signal, sparse, checks ---
_X = RNG.standard_normal((3, 8))
_C = (RNG.standard_normal((2, 6)) + 1j * RNG.standard_normal((2, 6))).astype(np.complex64)
_SP_IDX = np.array([[0, 1], [1, 0], [2, 3]], np.int64)


def _sparse_matmul(v, b):
    return tf.sparse.sparse_dense_matmul(tf.sparse.SparseTensor(_SP_IDX, v, [3, 4]), b)


MISC = [
    ("signal.fft", tf.signal.fft, [_C]),
    ("signal.ifft2d", tf.signal.ifft2d, [_C]),
    ("signal.rfft", lambda t: tf.signal.rfft(t, [8]), [_X]),
    ("signal.irfft", lambda t: tf.signal.irfft(tf.complex(t, t * 0.5), [10]), [_X[:, :6]]),
    ("signal.rfft2d", lambda t: tf.signal.rfft2d(t, [3, 8]), [_X]),
    ("signal.dct", lambda t: tf.signal.dct(t, norm="ortho"), [_X]),
    ("signal.frame", lambda t: tf.signal.frame(t, 3, 2, pad_end=True), [_X]),
    ("signal.overlap_and_add", lambda t: tf.signal.overlap_and_add(t, 3), [_X]),
    ("clip.clip_by_norm", lambda t: tf.clip_by_norm(t, 0.5, axes=[1]), [_X]),
    ("clip.global_norm", lambda a, b: tf.clip_by_global_norm([a, b], 1.0)[0],
     [_X, _X[0]]),
    ("check.ensure_shape", lambda t: tf.ensure_shape(t, [None, 8]) * 2.0, [_X]),
    ("check.check_numerics", lambda t: tf.debugging.check_numerics(t, "m") + 1.0, [_X]),
    ("functional.map_fn", lambda t: tf.map_fn(lambda r: tf.reduce_sum(r * r), t), [_X]),
    ("functional.scan", lambda t: tf.scan(lambda a, r: a * 0.5 + r, t), [_X]),
    ("functional.foldr", lambda t: tf.foldr(lambda a, r: a * r, t), [_X]),
    ("tensor_array.stack", lambda t: tf.TensorArray(t.dtype, size=3).unstack(t).stack(), [_X]),
    ("sparse.matmul", _sparse_matmul, [_X[0, :3], _X[:, :4].T.copy()]),
]
for name, fn, args in MISC:
    case(name, fn, args)
    if name not in ("signal.fft", "signal.ifft2d", "signal.rfft", "signal.rfft2d"):
        GRADIENTS.append((name, fn, args))
for name, fn in (("signal.rfft", lambda t: tf.signal.rfft(t, [6])),
                 ("signal.rfft2d", lambda t: tf.signal.rfft2d(t, [2, 9]))):
    GRADIENTS.append((name, lambda t, fn=fn: [tf.math.real(fn(t)), tf.math.imag(fn(t))], [_X]))

GRADIENTS += [    # issue 20's additions
    ("math.bessel_i1_erfinv", lambda t: tf.math.bessel_i1(t) * tf.math.erfinv(t / 2.0),
     [RNG.uniform(0.1, 0.9, (2, 3))]),
    ("math.unsorted_segment_max", lambda t: tf.math.unsorted_segment_max(
        t, tf.constant([1, 0, 1]), 2), [RNG.standard_normal((3, 2))]),
    ("array.reverse_sequence", lambda t: tf.reverse_sequence(t, [2, 3], 1, 0),
     [RNG.standard_normal((2, 3))]),
    ("linalg.expm", lambda t: tf.linalg.expm(t * 0.3), [RNG.standard_normal((3, 3))]),
    ("linalg.operator_diag_solve", lambda d, x: tf.linalg.LinearOperatorDiag(d).solve(x),
     [RNG.uniform(1, 2, 3), RNG.standard_normal((3, 2))]),
    ("nn.isotonic_regression", lambda t: tf.nn.isotonic_regression(t)[0],
     [np.array([[3.0, 1.0, 2.5, 0.2]])]),
]
GRADIENT_IDS = [c[0] for c in GRADIENTS]


# ------------------------------------------------------------------------ running ---

def flat(out):
    if isinstance(out, (list, tuple)):
        return [leaf for o in out for leaf in flat(o)]
    return [out]


def eager(fn, args):
    return [np.asarray(o) for o in flat(fn(*[tf.constant(a) for a in args]))]


def traced(fn, args, relaxed=False):
    """Under ember.function; ``relaxed``: every dimension unknown, or "batch": the first
    dimension of the first input unknown."""
    if relaxed == "batch":
        sig = [tf.TensorSpec([None] + list(a.shape[1:]) if k == 0 else a.shape,
                             tf.as_dtype(a.dtype)) for k, a in enumerate(args)]
    elif relaxed:
        sig = [tf.TensorSpec([None] * a.ndim, tf.as_dtype(a.dtype)) for a in args]
    else:
        sig = None
    f = tf.function(fn, input_signature=sig)
    return [np.asarray(o) for o in flat(f(*[tf.constant(a) for a in args]))]


def session(fn, args):
    g = tf.Graph()
    with g.as_default():
        feeds = [v1.placeholder(tf.as_dtype(a.dtype), a.shape) for a in args]
        outs = flat(fn(*feeds))
    with v1.Session(graph=g) as sess:
        got = sess.run(outs, feed_dict=dict(zip(feeds, args)))
    return [np.asarray(o) for o in got]


def assert_agree(want, got, how):
    assert len(got) == len(want), f"{how}: {len(got)} outputs, eager gave {len(want)}"
    for k, (w, g) in enumerate(zip(want, got)):
        assert g.dtype == w.dtype, f"{how} output {k}: dtype {g.dtype} != eager {w.dtype}"
        assert g.shape == w.shape, f"{how} output {k}: shape {g.shape} != eager {w.shape}"
        if w.dtype.kind in "fc":
            tol = 1e-12 if w.dtype in (np.float64, np.complex128) else 1e-6
            if w.dtype == np.float16 or w.dtype.name == "bfloat16":
                tol = 1e-3
            np.testing.assert_allclose(g, w, rtol=tol, atol=tol, equal_nan=True,
                                       err_msg=f"{how} output {k}")
        else:
            np.testing.assert_array_equal(g, w, err_msg=f"{how} output {k}")


KNOWN_BUGS = {}
# Ops that refuse to trace when every input dimension is unknown (TF's shape functions
# accept unknown dimensions and leave the output partly unknown).
KNOWN_UNKNOWN_DIM_BUGS = {
    "array.gather_nd_batch": "array_ops.gather_nd with batch_dims > 0 raises 'needs fully "
                             "known shapes' when dims are unknown",
    "array.linspace_f64": "array_ops.linspace with a broadcast start/stop calls broadcast_to "
                          "with a static shape containing None: 'shape must contain only "
                          "integers, got [None]'",
    "array.meshgrid_xy": "array_ops.meshgrid calls broadcast_to with a static shape "
                         "containing None when input lengths are unknown",
    "array.meshgrid_ij": "array_ops.meshgrid calls broadcast_to with a static shape "
                         "containing None when input lengths are unknown",
    "linalg.expm_lu": "linalg.set_diag builds its diagonal index map from the matrix's "
                      "static size: 'the input's last two dimensions must be known'",
    "linalg.operators": "LinearOperatorToeplitz and LinearOperatorHouseholder need the "
                        "matrix size when the operator is built",
    "nn.max_pool_with_argmax": "max_pool_with_argmax builds its index image from the "
                               "static height, width and channels",
    "array.getitem.list_neg": "Tensor.__getitem__ with a negative index in a list "
                              "(x[..., [-1, 0]]) on an axis of unknown size builds GatherV2 "
                              "with -1, which fails at run time ('indices[0] = -1 is not in "
                              "[0, 4)') instead of counting from the end",
}
# Channel/spatial dimensions these ops' shape inference requires (only the batch dimension
# is left unknown for them).
NEEDS_INNER_DIMS = {"nn.depthwise_conv2d", "nn.lrn", "nn.space_to_depth", "nn.depth_to_space"}
# Ops whose output shape TensorFlow itself cannot know without static input dimensions.
NEEDS_STATIC_SHAPE = {
    "array.unstack",                 # unstack needs the size of the axis (num=None)
    "array.split_even",              # an even split needs the axis size
    # the transformed/framed axes' sizes must be known (fft_length defaults, the DCT
    # matrix, the frames of overlap_and_add)
    "signal.fft", "signal.ifft2d", "signal.dct", "signal.overlap_and_add",
}


def _params(cases, bugs):
    return [pytest.param(*c[1:], id=c[0], marks=pytest.mark.xfail(strict=True, reason=bugs[c[0]]))
            if c[0] in bugs else pytest.param(*c[1:], id=c[0]) for c in cases]


@pytest.mark.parametrize("fn,args", _params(FORWARD, KNOWN_BUGS))
def test_forward_eager_traced_and_session_agree(fn, args):
    want = eager(fn, args)
    assert_agree(want, traced(fn, args), "ember.function")
    assert_agree(want, session(fn, args), "Session.run")


@pytest.mark.parametrize("fn,args", _params(
    [c for c in FORWARD if c[0] not in NEEDS_STATIC_SHAPE | NEEDS_INNER_DIMS],
    {**KNOWN_BUGS, **KNOWN_UNKNOWN_DIM_BUGS}))
def test_forward_traced_with_unknown_dimensions_agrees(fn, args):
    assert_agree(eager(fn, args), traced(fn, args, relaxed=True), "ember.function(None dims)")


@pytest.mark.parametrize("fn,args", _params([c for c in FORWARD if c[0] in NEEDS_INNER_DIMS],
                                            {}))
def test_forward_traced_with_unknown_batch_agrees(fn, args):
    assert_agree(eager(fn, args), traced(fn, args, relaxed="batch"), "ember.function(None batch)")


def _weights(fn, args):
    rng = np.random.default_rng(7)
    return [rng.standard_normal(o.shape) for o in eager(fn, args)]


def _loss(fn, xs, weights):
    outs = flat(fn(*xs))
    return tf.add_n([tf.reduce_sum(o * tf.constant(w, o.dtype)) for o, w in zip(outs, weights)
                     if o.dtype.is_floating])


@pytest.mark.parametrize("fn,args", [c[1:] for c in GRADIENTS], ids=GRADIENT_IDS)
def test_gradients_eager_traced_and_session_agree(fn, args):
    args = [np.asarray(a, np.float64) for a in args]
    weights = _weights(fn, args)

    def step(*xs):
        with tf.GradientTape() as tape:
            tape.watch(list(xs))
            loss = _loss(fn, xs, weights)
        grads = tape.gradient(loss, list(xs), unconnected_gradients="zero")
        return [loss] + [tf.convert_to_tensor(g) for g in grads]   # gather: IndexedSlices

    want = eager(step, args)
    assert all(w.dtype == np.float64 for w in want[1:])
    assert_agree(want, traced(step, args), "ember.function")

    g = tf.Graph()
    with g.as_default():
        feeds = [v1.placeholder(tf.float64, a.shape) for a in args]
        loss = _loss(fn, feeds, weights)
        grads = [tf.convert_to_tensor(g)
                 for g in v1.gradients(loss, feeds, unconnected_gradients="zero")]
    with v1.Session(graph=g) as sess:
        got = sess.run([loss] + grads, feed_dict=dict(zip(feeds, args)))
    assert_agree(want, [np.asarray(o) for o in got], "compat.v1.gradients")


def test_tables_are_broad():
    assert len(FORWARD) > 400 and len(GRADIENTS) > 150
    families = {c[0].split(".")[0] for c in FORWARD}
    assert {"math", "array", "reduce", "linalg", "nn", "operator"} <= families
