"""Reductions, arg-reductions, sorting, top-k and bincount: forward vs NumPy, gradients."""
import numpy as np
import pytest

import ember as tf
from ember.framework.errors import InvalidArgumentError
from tests.ops.optest import check_forward, check_gradient, check_second_order
from tests.docexamples import run_examples

R = np.random.default_rng(1)
F32 = R.standard_normal((2, 3, 4)).astype(np.float32)
F64 = R.standard_normal((3, 4))
I32 = R.integers(-9, 10, (3, 4)).astype(np.int32)
I64 = R.integers(-9, 10, (2, 5)).astype(np.int64)
U8 = R.integers(0, 200, (4, 3)).astype(np.uint8)
B = R.random((3, 4)) > 0.5
EMPTY = np.zeros((0, 3), np.float32)


def _np_red(fn):
    def run(a, axis=None, keepdims=False):
        ax = tuple(axis) if isinstance(axis, list) else axis
        return fn(a, axis=ax, keepdims=keepdims)
    return run


def _np_int_mean(a, axis=None, keepdims=False):
    ax = tuple(axis) if isinstance(axis, list) else axis
    if a.dtype.kind in "iu":
        s = np.sum(a, axis=ax, keepdims=keepdims, dtype=np.int64)
        n = a.size // max(s.size, 1) if a.size else 0
        return np.trunc(s / max(n, 1)).astype(a.dtype)
    return np.mean(a, axis=ax, keepdims=keepdims)


def _np_sum(a, axis=None, keepdims=False):
    ax = tuple(axis) if isinstance(axis, list) else axis
    return np.sum(a, axis=ax, keepdims=keepdims, dtype=a.dtype)


def _np_prod(a, axis=None, keepdims=False):
    ax = tuple(axis) if isinstance(axis, list) else axis
    return np.prod(a, axis=ax, keepdims=keepdims, dtype=a.dtype)


def _np_lse(a, axis=None, keepdims=False):
    ax = tuple(axis) if isinstance(axis, list) else axis
    m = np.max(a, axis=ax, keepdims=True)
    out = np.log(np.sum(np.exp(a - m), axis=ax, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=ax)


def _np_enorm(a, axis=None, keepdims=False):
    ax = tuple(axis) if isinstance(axis, list) else axis
    if a.dtype.kind in "iu":
        return np.floor(np.sqrt(np.sum(a.astype(np.float64) ** 2, axis=ax,
                                       keepdims=keepdims))).astype(a.dtype)
    return np.sqrt(np.sum(a * a, axis=ax, keepdims=keepdims))


REDUCERS = {
    "sum": (tf.reduce_sum, _np_sum),
    "mean": (tf.reduce_mean, _np_int_mean),
    "max": (tf.reduce_max, _np_red(np.max)),
    "min": (tf.reduce_min, _np_red(np.min)),
    "prod": (tf.reduce_prod, _np_prod),
    "any": (tf.reduce_any, _np_red(np.any)),
    "all": (tf.reduce_all, _np_red(np.all)),
    "logsumexp": (tf.reduce_logsumexp, _np_lse),
    "std": (tf.math.reduce_std, _np_red(np.std)),
    "variance": (tf.math.reduce_variance, _np_red(np.var)),
    "euclidean_norm": (tf.math.reduce_euclidean_norm, _np_enorm),
}

FORWARD = [
    # (reducer, array, axis, keepdims)
    ("sum", F32, None, False), ("sum", F32, 1, False), ("sum", F32, [0, 2], True),
    ("sum", F32, -1, False), ("sum", F32, [-1, 0], False), ("sum", F32, [], False),
    ("sum", I32, 0, False), ("sum", I64, None, True), ("sum", U8, 1, False),
    ("sum", EMPTY, 0, False), ("sum", EMPTY, None, False), ("sum", np.float32(3.5), None, False),
    ("mean", F32, None, False), ("mean", F32, [1, 2], True), ("mean", F64, -2, False),
    ("mean", I32, 1, False), ("mean", I32, None, False), ("mean", I64, 0, True),
    ("mean", U8, 0, False),
    ("max", F32, 2, False), ("max", I32, None, False), ("max", F64, [0, 1], True),
    ("max", U8, -1, False),
    ("min", F32, [0, 1], False), ("min", I64, 1, True), ("min", F64, None, False),
    ("prod", F64, 0, False), ("prod", I32[:, :2], 1, False), ("prod", F32, -1, True),
    ("prod", EMPTY, 0, False),
    ("any", B, None, False), ("any", B, 1, True), ("any", np.zeros((0, 2), bool), 0, False),
    ("all", B, 0, False), ("all", B, [-1], False), ("all", np.zeros((0, 2), bool), 0, False),
    ("logsumexp", F32, None, False), ("logsumexp", F32, 1, True), ("logsumexp", F64, -1, False),
    ("logsumexp", F32 * 1000, [0, 2], False),
    ("std", F32, None, False), ("std", F64, 0, True), ("std", F32, [1, -1], False),
    ("variance", F64, None, False), ("variance", F32, 2, False), ("variance", F64, -1, True),
    ("euclidean_norm", F32, None, False), ("euclidean_norm", F64, 1, True),
    ("euclidean_norm", I32, 0, False),
]


@pytest.mark.parametrize("red,x,axis,keepdims", FORWARD)
def test_reduce_forward(red, x, axis, keepdims):
    fn, np_fn = REDUCERS[red]
    want = np.asarray(np_fn(np.asarray(x), axis=axis, keepdims=keepdims))
    dtype = np.asarray(x).dtype
    got = check_forward(lambda t: fn(t, axis=axis, keepdims=keepdims),
                        lambda a: want.astype(dtype), [x], rtol=2e-5, atol=1e-5)
    assert got.dtype == tf.as_dtype(dtype)


def test_empty_reductions_give_identities():
    e = tf.zeros([0, 3])
    np.testing.assert_array_equal(tf.reduce_max(e, axis=0).numpy(), [-np.inf] * 3)
    np.testing.assert_array_equal(tf.reduce_min(e, axis=0).numpy(), [np.inf] * 3)
    np.testing.assert_array_equal(tf.reduce_prod(e, axis=0).numpy(), [1, 1, 1])
    assert tf.reduce_max(tf.zeros([0], tf.int32)).numpy() == np.iinfo(np.int32).min
    assert np.isnan(tf.reduce_mean(e).numpy())
    assert tf.reduce_logsumexp(e).numpy() == -np.inf
    assert tf.reduce_all(tf.zeros([0], tf.bool)).numpy()


def test_integer_mean_rounds_toward_zero():
    assert tf.reduce_mean([-1, -2]).numpy() == -1
    assert tf.reduce_mean([1, 2]).numpy() == 1
    assert tf.reduce_mean(tf.constant([[-3, -4], [5, 6]], tf.int64), axis=1).numpy().tolist() \
        == [-3, 5]


def test_logsumexp_is_stable_and_handles_infinities():
    x = tf.constant([1000., 1000., -1000.])
    np.testing.assert_allclose(tf.reduce_logsumexp(x).numpy(), 1000 + np.log(2), rtol=1e-6)
    assert tf.reduce_logsumexp([-np.inf, -np.inf]).numpy() == -np.inf
    assert tf.reduce_logsumexp([np.inf, 1.0]).numpy() == np.inf
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_logsumexp(x)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [0.5, 0.5, 0.0], atol=1e-7)


def test_axis_as_tensor_and_float32_kept():
    x = tf.constant(F32)
    out = tf.reduce_sum(x, axis=tf.constant([0, -1]))
    np.testing.assert_allclose(out.numpy(), F32.sum(axis=(0, 2)), rtol=1e-5)
    for fn in (tf.reduce_mean, tf.reduce_logsumexp, tf.math.reduce_std,
               tf.math.reduce_variance, tf.math.reduce_euclidean_norm, tf.reduce_prod):
        assert fn(x, axis=1).dtype == tf.float32


GRADIENTS = [
    (lambda x: tf.reduce_sum(x, axis=1), [F64]),
    (lambda x: tf.reduce_sum(x, axis=[0, -1], keepdims=True), [F32.astype(np.float64)]),
    (lambda x: tf.reduce_mean(x), [F64]),
    (lambda x: tf.reduce_mean(x, axis=-1, keepdims=True), [F64]),
    (lambda x: tf.reduce_max(x, axis=0), [F64]),
    (lambda x: tf.reduce_min(x, axis=[0, 1]), [F64]),
    (lambda x: tf.reduce_prod(x, axis=1), [F64]),
    (lambda x: tf.reduce_prod(x, axis=[0, 2]), [F32.astype(np.float64)]),
    (lambda x: tf.reduce_prod(x), [np.array([[0., 2.], [3., 4.]])]),
    (lambda x: tf.reduce_prod(x, axis=0), [np.array([[0., 2.], [0., 4.], [5., 6.]])]),
    (lambda x: tf.reduce_logsumexp(x, axis=1), [F64]),
    (lambda x: tf.reduce_logsumexp(x, keepdims=True), [F64]),
    (lambda x: tf.math.reduce_std(x, axis=0), [F64]),
    (lambda x: tf.math.reduce_variance(x, axis=-1, keepdims=True), [F64]),
    (lambda x: tf.math.reduce_euclidean_norm(x, axis=1), [F64]),
    (lambda x: tf.math.top_k(x, k=2).values, [F64]),
    (lambda x: tf.math.top_k(x, k=3, sorted=False)[0], [F32.astype(np.float64)]),
    (lambda x: tf.sort(x), [F64]),
    (lambda x: tf.sort(x, axis=0, direction="DESCENDING"), [F64]),
    (lambda x: tf.sort(x, axis=1) * tf.constant(np.arange(4.)), [F64]),
]


@pytest.mark.parametrize("fn,args", GRADIENTS)
def test_reduce_gradient(fn, args):
    check_gradient(fn, args)


def test_prod_gradient_at_zeros_exact():
    x = tf.constant([[0., 2., 3.], [0., 0., 5.]])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_prod(x, axis=1)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [[6., 0., 0.], [0., 0., 0.]])


SECOND_ORDER = [
    (lambda x: tf.reduce_logsumexp(x, axis=1), [F64]),
    (lambda x: tf.reduce_prod(x, axis=0), [F64[:2]]),
    (lambda x: tf.math.reduce_std(x, axis=1), [F64]),
    (lambda x: tf.sort(x) * tf.constant(np.arange(4.)), [F64]),
]


@pytest.mark.parametrize("fn,args", SECOND_ORDER)
def test_reduce_second_order(fn, args):
    check_second_order(fn, args)


# ------------------------------------------------------------------ arg-reductions ---

ARG_CASES = [
    (F32, None, tf.int64), (F32, 2, tf.int32), (F64, -1, tf.int64), (I32, 1, tf.int32),
    (I64, 0, tf.int64), (U8, -2, tf.int64), (B, 1, tf.int64),
    (np.array([3., 3., 1.]), 0, tf.int64),
]


@pytest.mark.parametrize("x,axis,out", ARG_CASES)
@pytest.mark.parametrize("fn,np_fn", [(tf.math.argmax, np.argmax), (tf.math.argmin, np.argmin)])
def test_arg_reduce(fn, np_fn, x, axis, out):
    check_forward(lambda t: fn(t, axis=axis, output_type=out),
                  lambda a: np_fn(a, axis=0 if axis is None else axis), [x], dtype=out)


def test_argmax_defaults_and_ties():
    assert tf.argmax([1, 5, 5]).numpy() == 1 and tf.argmax([1, 5, 5]).dtype == tf.int64
    assert tf.argmin([[2, 1], [1, 2]]).numpy().tolist() == [1, 0]


# --------------------------------------------------------------- sort / argsort ---

SORT_CASES = [
    (F32, -1, "ASCENDING"), (F32, 0, "DESCENDING"), (F64, 1, "DESCENDING"),
    (I32, 0, "ASCENDING"), (I32, -1, "DESCENDING"), (U8, 1, "DESCENDING"),
    (np.zeros((2, 0), np.float32), -1, "ASCENDING"),
    (np.array([np.iinfo(np.int32).min, 0, 5], np.int32), 0, "DESCENDING"),
]


def _np_sort(a, axis, direction):
    out = np.sort(a, axis=axis)
    return np.flip(out, axis) if direction == "DESCENDING" else out


def _np_argsort(a, axis, direction):
    if direction == "ASCENDING":
        return np.argsort(a, axis=axis, kind="stable").astype(np.int32)
    n = a.shape[axis]
    return (n - 1 - np.flip(np.argsort(np.flip(a, axis), axis=axis, kind="stable"),
                            axis)).astype(np.int32)


@pytest.mark.parametrize("x,axis,direction", SORT_CASES)
def test_sort(x, axis, direction):
    check_forward(lambda t: tf.sort(t, axis=axis, direction=direction),
                  lambda a: _np_sort(a, axis, direction), [x])
    check_forward(lambda t: tf.argsort(t, axis=axis, direction=direction),
                  lambda a: _np_argsort(a, axis, direction), [x])


def test_argsort_is_stable_both_directions():
    x = [2, 1, 2, 1, 3]
    assert tf.argsort(x).numpy().tolist() == [1, 3, 0, 2, 4]
    assert tf.argsort(x, direction="DESCENDING").numpy().tolist() == [4, 0, 2, 1, 3]


# -------------------------------------------------------------------------- top_k ---

TOPK_CASES = [
    (F32, 2), (F64, 4), (I32, 1), (I64, 3), (np.array([1., 3., 3., 2.], np.float32), 3),
    (F32, 0), (np.arange(5, dtype=np.float32), 5),
]


@pytest.mark.parametrize("x,k", TOPK_CASES)
def test_top_k(x, k):
    res = tf.math.top_k(x, k=k)
    idx = _np_argsort(x, -1, "DESCENDING")[..., :k]
    np.testing.assert_array_equal(res.indices.numpy(), idx)
    np.testing.assert_array_equal(res.values.numpy(), np.take_along_axis(x, idx, axis=-1))
    assert res.indices.dtype == tf.int32 and res.values.dtype == tf.as_dtype(x.dtype)
    v, i = res
    assert v is res.values and i is res.indices


def test_top_k_index_type_and_gradient_values():
    v, i = tf.math.top_k([1., 5., 3.], k=2, index_type=tf.int64)
    assert i.dtype == tf.int64 and i.numpy().tolist() == [1, 2]
    x = tf.constant([[1., 5., 3.], [4., 0., 2.]])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(tf.math.top_k(x, k=2).values * tf.constant([10., 1.]))
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [[0, 10, 1], [10, 0, 1]])


# --------------------------------------------------------- count_nonzero / bincount ---

def test_count_nonzero():
    x = np.array([[0, 1, 2], [0, 0, 3]], np.int32)
    assert tf.math.count_nonzero(x).numpy() == 3
    assert tf.math.count_nonzero(x).dtype == tf.int64
    np.testing.assert_array_equal(tf.math.count_nonzero(x, axis=1, keepdims=True).numpy(),
                                  [[2], [1]])
    assert tf.math.count_nonzero([0., 0.5], dtype=tf.int32).dtype == tf.int32
    assert tf.math.count_nonzero([True, False, True]).numpy() == 2
    assert tf.math.count_nonzero(tf.constant(["", "a", "b"])).numpy() == 2


BINCOUNT_CASES = [
    (dict(arr=[1, 1, 3]), [0, 2, 0, 1]),
    (dict(arr=[1, 1, 3], minlength=6), [0, 2, 0, 1, 0, 0]),
    (dict(arr=[1, 1, 3], maxlength=2), [0, 2]),
    (dict(arr=[[1, 2], [2, 0]]), [1, 1, 2]),
    (dict(arr=[], minlength=2), [0, 0]),
    (dict(arr=[1, 1, 3], binary_output=True), [0, 1, 0, 1]),
    (dict(arr=[[1, 2], [0, 0]], axis=-1, minlength=3), [[0, 1, 1], [2, 0, 0]]),
]


@pytest.mark.parametrize("kwargs,want", BINCOUNT_CASES)
def test_bincount(kwargs, want):
    kwargs = dict(kwargs)
    kwargs["arr"] = np.asarray(kwargs["arr"], np.int32)
    out = tf.math.bincount(**kwargs)
    assert out.dtype == tf.int32
    np.testing.assert_array_equal(out.numpy(), want)


def test_bincount_weights():
    out = tf.math.bincount(np.array([0, 2, 2], np.int32), weights=[0.5, 1.0, 2.0])
    assert out.dtype == tf.float32
    np.testing.assert_allclose(out.numpy(), [0.5, 0.0, 3.0])


# ------------------------------------------------------------------------- errors ---

ERRORS = [
    (lambda: tf.reduce_sum(tf.ones([2, 3]), axis=2), InvalidArgumentError,
     r"Invalid reduction dimension 2 for input with 2 dimensions"),
    (lambda: tf.reduce_mean(tf.ones([2, 3]), axis=[0, -3]), InvalidArgumentError,
     r"Invalid reduction dimension -3"),
    (lambda: tf.reduce_any(tf.ones([2])), InvalidArgumentError, r"float32.*Any"),
    (lambda: tf.reduce_max(tf.constant([True])), InvalidArgumentError, r"bool.*Max"),
    (lambda: tf.reduce_logsumexp(tf.constant([1, 2])), InvalidArgumentError,
     r"int32.*ReduceLogSumExp"),
    (lambda: tf.math.reduce_variance([1, 2]), TypeError, r"real or complex.*int32"),
    (lambda: tf.math.reduce_std([1, 2]), TypeError, r"real or complex"),
    (lambda: tf.argmax(tf.zeros([0, 2])), InvalidArgumentError,
     r"Reduction axis 0 is empty in shape \[0, 2\]"),
    (lambda: tf.argmax(tf.zeros([2, 2]), axis=2), InvalidArgumentError,
     r"range \[-2, 2\), but got 2.*ArgMax"),
    (lambda: tf.argmin([1, 2], output_type=tf.float32), InvalidArgumentError,
     r"output_type"),
    (lambda: tf.math.top_k([1., 2., 3.], k=4), InvalidArgumentError,
     r"at least k columns. Had 3, needed 4"),
    (lambda: tf.math.top_k([1., 2.], k=-1), InvalidArgumentError, r"Need k >= 0, got -1"),
    (lambda: tf.math.top_k(tf.constant(1.)), InvalidArgumentError, r"at least 1-D"),
    (lambda: tf.sort([1., 2.], direction="UP"), ValueError, r"ASCENDING.*DESCENDING.*'UP'"),
    (lambda: tf.argsort(tf.constant(1.)), InvalidArgumentError, r"rank >= 1"),
    (lambda: tf.sort([[1., 2.]], axis=2), InvalidArgumentError, r"axis 2 is out of range"),
    (lambda: tf.math.bincount(np.array([-1, 2], np.int32)), InvalidArgumentError,
     r"non-negative"),
    (lambda: tf.math.bincount([0.5, 1.0]), InvalidArgumentError, r"integer"),
]


@pytest.mark.parametrize("fn,err,match", ERRORS)
def test_reduce_errors(fn, err, match):
    with pytest.raises(err, match=match):
        fn()


def test_docstring_examples():
    """Examples print float32 results to the last digit; compared within a few ulps."""
    from ember.ops import reduce_ops
    failed, attempted = run_examples(reduce_ops, {"ember": tf, "np": np})
    assert failed == 0 and attempted > 10


def test_reductions_inside_function_match_eager():
    def f(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = (tf.reduce_logsumexp(x) + tf.reduce_sum(tf.math.top_k(x, 2).values) +
                    tf.reduce_sum(tf.sort(x, axis=0) * tf.constant(np.arange(4.))) +
                    tf.reduce_prod(x) + tf.math.reduce_std(x, axis=1)[0] +
                    tf.reduce_max(x) + tf.math.reduce_euclidean_norm(x))
        return loss, tape.gradient(loss, x), tf.argmax(x, axis=1), tf.argsort(x)
    x = tf.constant(F64)
    for e, g in zip(f(x), tf.function(f)(x)):
        np.testing.assert_allclose(g.numpy(), e.numpy(), rtol=1e-10)


def test_in_top_k_as_tensorflow():
    # values from TensorFlow 2.21's tf.math.in_top_k
    p = np.array([[0.5, 0.5, 0.1], [np.inf, 1.0, 0.0], [0.2, 0.3, 0.5]], np.float32)
    np.testing.assert_array_equal(tf.math.in_top_k([1, 0, 0], p, 1).numpy(),
                                  [True, False, False])
    np.testing.assert_array_equal(tf.math.in_top_k([0, 1, 2], p, 2).numpy(),
                                  [True, False, True])            # ties in, a row with inf out
    np.testing.assert_array_equal(tf.nn.in_top_k(np.array([0, 1, 5]), p, 3).numpy(),
                                  [True, False, False])           # target out of range
    traced = tf.function(lambda t, q: tf.math.in_top_k(t, q, 1),
                         input_signature=[tf.TensorSpec([None], tf.int64),
                                          tf.TensorSpec([None, 3])])
    np.testing.assert_array_equal(traced(tf.constant([0, 2, 2], tf.int64), p).numpy(),
                                  [True, False, True])
    with pytest.raises(InvalidArgumentError, match="targets must be int"):
        tf.math.in_top_k([0.0], p[:1], 1)
    with pytest.raises(InvalidArgumentError, match="2-dimensional"):
        tf.math.in_top_k([0], p[0], 1)


def test_bincount_axis_minus_one_on_a_vector_counts_it_as_one_row():
    # TensorFlow: axis=-1 on a rank-1 input is an ordinary count (values >= maxlength dropped)
    got = tf.math.bincount(tf.constant([1, 2, 2, 9], "int64"), minlength=4, maxlength=4,
                           axis=-1, dtype="float32")
    np.testing.assert_array_equal(got.numpy(), [0.0, 1.0, 2.0, 0.0])
    assert got.shape == (4,)


def test_bincount_static_length_when_minlength_equals_maxlength():
    f = tf.function(lambda a: tf.math.bincount(a, minlength=5, maxlength=5, axis=-1))
    out = f.get_concrete_function(tf.TensorSpec([None, None], tf.int32)).outputs[0]
    assert out.shape.as_list() == [None, 5]
