"""Array ops: creation, shapes, joining, gather/scatter, slicing and ``Tensor.__getitem__``."""
import numpy as np
import pytest

import ember as tf
from ember.errors import InvalidArgumentError
from tests.ops.optest import check_forward, check_gradient, check_second_order

R = np.random.default_rng(42)


def rand(*shape, dtype=np.float32):
    return R.standard_normal(shape).astype(dtype)


def ar(n, shape, dtype=np.float32):
    return np.arange(n, dtype=dtype).reshape(shape)


X234 = ar(24, (2, 3, 4))
X34 = ar(12, (3, 4))


def np_pad(mode, cv=0):
    def f(a, p):
        p = [tuple(r) for r in np.asarray(p)]
        if mode == "CONSTANT":
            return np.pad(a, p, mode="constant", constant_values=cv)
        return np.pad(a, p, mode=mode.lower())
    return f


def np_gather(axis=0, batch_dims=0):
    def f(p, i):
        if batch_dims == 0:
            return np.take(p, i, axis=axis)
        # reference by explicit loop over batch entries (test-only)
        out = [np.take(p[b], i[b], axis=axis - 1) for b in range(p.shape[0])]
        return np.stack(out)
    return f


def np_gather_nd(p, i):
    k = i.shape[-1]
    return p[tuple(np.moveaxis(i, -1, 0))] if k else np.broadcast_to(p, i.shape[:-1] + p.shape)


def np_scatter_nd(i, u, shape):
    out = np.zeros(shape, u.dtype)
    np.add.at(out, tuple(np.moveaxis(i, -1, 0)), u)
    return out


def np_unique(a):
    _, first = np.unique(a, return_index=True)
    return a[np.sort(first)]


def np_one_hot(i, depth, on=1.0, off=0.0, axis=-1, dtype=np.float32):
    out = np.where(np.asarray(i)[..., None] == np.arange(depth), on, off).astype(dtype)
    return np.moveaxis(out, -1, axis) if axis != -1 else out


# ----------------------------------------------------------------------------- forward ---
# (id, ember fn, numpy fn, args[, dtype])
FORWARD = [
    # existing ops
    ("fill", lambda v: tf.fill([2, 3], v), lambda v: np.full((2, 3), v, np.float32),
     [np.float32(7)]),
    ("fill_empty", lambda v: tf.fill([0, 3], v), lambda v: np.full((0, 3), v, np.int32),
     [np.int32(1)]),
    ("zeros_like", tf.zeros_like, np.zeros_like, [X34]),
    ("ones_like_int", tf.ones_like, np.ones_like, [np.arange(4, dtype=np.int64)]),
    ("zeros_like_dtype", lambda x: tf.zeros_like(x, dtype=tf.int32),
     lambda x: np.zeros(x.shape, np.int32), [X34]),
    ("reshape_-1", lambda x: tf.reshape(x, [4, -1]), lambda x: x.reshape(4, -1), [X234]),
    ("reshape_scalar", lambda x: tf.reshape(x, []), lambda x: x.reshape(()),
     [np.ones((1, 1), np.float32)]),
    ("reshape_empty", lambda x: tf.reshape(x, [0, 5]), lambda x: x.reshape(0, 5),
     [np.zeros((3, 0), np.float32)]),
    ("expand_dims_neg", lambda x: tf.expand_dims(x, -1), lambda x: x[..., None], [X34]),
    ("expand_dims_0", lambda x: tf.expand_dims(x, 0), lambda x: x[None], [X34]),
    ("squeeze_all", tf.squeeze, np.squeeze, [np.ones((1, 3, 1, 2), np.float32)]),
    ("squeeze_axis", lambda x: tf.squeeze(x, [-2]), lambda x: np.squeeze(x, -2),
     [np.ones((1, 3, 1, 2), np.float32)]),
    ("transpose_default", tf.transpose, np.transpose, [X234]),
    ("transpose_perm", lambda x: tf.transpose(x, [1, -1, 0]),
     lambda x: np.transpose(x, (1, 2, 0)), [X234]),
    ("broadcast_to", lambda x: tf.broadcast_to(x, [2, 3, 4]),
     lambda x: np.broadcast_to(x, (2, 3, 4)), [ar(4, (4,))]),
    ("where3", lambda c, x, y: tf.where(c, x, y), np.where,
     [np.array([True, False, True]), ar(3, (3,)), ar(6, (2, 3))]),
    ("where1", tf.where, lambda c: np.argwhere(c).astype(np.int64),
     [np.array([[True, False], [False, True]])]),
    ("where1_empty", tf.where, lambda c: np.argwhere(c).astype(np.int64),
     [np.zeros((0, 2), bool)]),
    ("stack_neg", lambda a, b: tf.stack([a, b], axis=-1),
     lambda a, b: np.stack([a, b], -1), [X34, X34 + 1]),
    ("unstack", lambda x: tf.unstack(x, axis=1), lambda x: [x[:, i] for i in range(3)],
     [X234]),
    ("concat_neg", lambda a, b: tf.concat([a, b], -1), lambda a, b: np.concatenate([a, b], -1),
     [X34, ar(6, (3, 2))]),
    ("concat_empty", lambda a, b: tf.concat([a, b], 0), lambda a, b: np.concatenate([a, b]),
     [np.zeros((0, 2), np.float32), ar(4, (2, 2))]),
    ("split_even", lambda x: tf.split(x, 2, axis=-1), lambda x: np.split(x, 2, -1), [X234]),
    ("split_sizes", lambda x: tf.split(x, [1, -1], axis=1), lambda x: [x[:, :1], x[:, 1:]],
     [X234]),
    ("identity", tf.identity, lambda x: x, [X34]),
    ("stop_gradient", tf.stop_gradient, lambda x: x, [X34]),
    ("shape", tf.shape, lambda x: np.array(x.shape, np.int32), [X234]),
    ("shape_int64", lambda x: tf.shape(x, out_type=tf.int64),
     lambda x: np.array(x.shape, np.int64), [X234]),
    ("size", tf.size, lambda x: np.int32(x.size), [X234]),
    ("rank", tf.rank, lambda x: np.int32(x.ndim), [X234]),
    # tile
    ("tile", lambda x: tf.tile(x, [2, 1, 3]), lambda x: np.tile(x, (2, 1, 3)), [X234]),
    ("tile_zero", lambda x: tf.tile(x, [0, 2]), lambda x: np.tile(x, (0, 2)), [X34]),
    ("tile_int", lambda x: tf.tile(x, [3]), lambda x: np.tile(x, 3),
     [np.array([1, 2], np.int64)]),
    ("tile_scalar", lambda x: tf.tile(x, []), lambda x: x, [np.float32(2)]),
    # pad
    ("pad_constant", lambda x: tf.pad(x, [[1, 2], [0, 3]]),
     lambda x: np_pad("CONSTANT")(x, [[1, 2], [0, 3]]), [X34]),
    ("pad_value", lambda x: tf.pad(x, [[1, 1]], constant_values=-5),
     lambda x: np.pad(x, 1, constant_values=-5), [np.array([1, 2], np.int32)]),
    ("pad_reflect", lambda x: tf.pad(x, [[2, 1], [3, 3]], "reflect"),
     lambda x: np_pad("REFLECT")(x, [[2, 1], [3, 3]]), [X34]),
    ("pad_symmetric", lambda x: tf.pad(x, [[3, 0], [4, 2]], mode="Symmetric"),
     lambda x: np_pad("SYMMETRIC")(x, [[3, 0], [4, 2]]), [X34]),
    ("pad_empty", lambda x: tf.pad(x, [[1, 1], [0, 0]]),
     lambda x: np.pad(x, [(1, 1), (0, 0)]), [np.zeros((0, 3), np.float32)]),
    ("pad_scalar", lambda x: tf.pad(x, np.zeros((0, 2), np.int32)), lambda x: x,
     [np.float32(3)]),
    # gather
    ("gather", lambda p: tf.gather(p, [2, 0, 2]), lambda p: p[[2, 0, 2]], [X34]),
    ("gather_axis_neg", lambda p: tf.gather(p, [[3, 0], [1, 1]], axis=-1),
     lambda p: np.take(p, [[3, 0], [1, 1]], axis=-1), [X234]),
    ("gather_scalar_idx", lambda p: tf.gather(p, 1, axis=1), lambda p: p[:, 1], [X234]),
    ("gather_int64_idx", lambda p: tf.gather(p, np.array([1, 0], np.int64)),
     lambda p: p[[1, 0]], [np.array([5, 6], np.int32)]),
    ("gather_empty_idx", lambda p: tf.gather(p, np.zeros((0,), np.int32), axis=1),
     lambda p: p[:, :0], [X34]),
    ("gather_batch", lambda p: tf.gather(p, [[2, 0], [1, 1]], axis=1, batch_dims=1),
     lambda p: np_gather(1, 1)(p, np.array([[2, 0], [1, 1]])), [ar(12, (2, 3, 2))]),
    ("gather_batch_axis2", lambda p: tf.gather(p, [[3], [0]], axis=2, batch_dims=-1),
     lambda p: np.stack([p[0][:, [3]], p[1][:, [0]]]), [X234]),
    # gather_nd
    ("gather_nd_elems", lambda p: tf.gather_nd(p, [[1, 0], [0, 3]]),
     lambda p: np_gather_nd(p, np.array([[1, 0], [0, 3]])), [X34]),
    ("gather_nd_rows", lambda p: tf.gather_nd(p, [[[1]], [[0]]]),
     lambda p: np_gather_nd(p, np.array([[[1]], [[0]]])), [X234]),
    ("gather_nd_k0", lambda p: tf.gather_nd(p, np.zeros((2, 0), np.int32)),
     lambda p: np.stack([p, p]), [X34]),
    ("gather_nd_batch", lambda p: tf.gather_nd(p, [[[1], [0]], [[2], [2]]], batch_dims=1),
     lambda p: np.stack([p[0][[1, 0]], p[1][[2, 2]]]), [X234[:, :3]]),
    # scatter
    ("scatter_nd_dupes", lambda u: tf.scatter_nd([[1], [3], [1]], u, [5]),
     lambda u: np_scatter_nd(np.array([[1], [3], [1]]), u, (5,)),
     [np.array([1., 2., 3.], np.float32)]),
    ("scatter_nd_slices", lambda u: tf.scatter_nd([[0], [2]], u, [3, 4]),
     lambda u: np_scatter_nd(np.array([[0], [2]]), u, (3, 4)), [ar(8, (2, 4))]),
    ("scatter_nd_int", lambda u: tf.scatter_nd([[0, 1], [1, 0]], u, tf.constant([2, 2])),
     lambda u: np.array([[0, 5], [6, 0]], np.int32), [np.array([5, 6], np.int32)]),
    ("tsnu", lambda t, u: tf.tensor_scatter_nd_update(t, [[0], [2]], u),
     lambda t, u: np.where(np.isin(np.arange(3), [0, 2])[:, None], np.concatenate(
         [u[:1], t[1:2], u[1:]]), t), [X34, -ar(8, (2, 4))]),
    ("tsna_dupes", lambda t, u: tf.tensor_scatter_nd_add(t, [[0, 1], [0, 1], [2, 3]], u),
     lambda t, u: t + np_scatter_nd(np.array([[0, 1], [0, 1], [2, 3]]), u, t.shape),
     [X34, np.array([1., 2., 3.], np.float32)]),
    ("tsns", lambda t, u: tf.tensor_scatter_nd_sub(t, [[1]], u),
     lambda t, u: t - np_scatter_nd(np.array([[1]]), u, t.shape), [X34, ar(4, (1, 4))]),
    # slice / strided_slice
    ("slice", lambda x: tf.slice(x, [1, 0, 1], [1, -1, 2]), lambda x: x[1:2, :, 1:3], [X234]),
    ("slice_empty", lambda x: tf.slice(x, [3, 0], [0, 2]), lambda x: x[3:3, 0:2], [X34]),
    ("slice_int64", lambda x: tf.slice(x, np.array([1], np.int64), np.array([-1], np.int64)),
     lambda x: x[1:], [np.arange(5, dtype=np.int32)]),
    ("ss_basic", lambda x: tf.strided_slice(x, [0, 1], [2, 3], [1, 1]),
     lambda x: x[0:2, 1:3], [X234]),
    ("ss_neg_stride", lambda x: tf.strided_slice(x, [-1, 0], [0, 4], [-1, 2]),
     lambda x: x[-1:0:-1, 0:4:2], [X34]),
    ("ss_masks", lambda x: tf.strided_slice(x, [1, 0, 5], [0, 2, 0], [1, 1, -2],
                                            begin_mask=0b010, end_mask=0b001),
     lambda x: x[1:, :2, 5:0:-2], [ar(48, (3, 2, 8))]),
    ("ss_ellipsis_newaxis", lambda x: tf.strided_slice(x, [0, 0, 1], [0, 0, 3], [1, 1, 1],
                                                       ellipsis_mask=1, new_axis_mask=2),
     lambda x: x[..., None, 1:3], [X234]),
    ("ss_shrink", lambda x: tf.strided_slice(x, [1, -1], [2, 0], [1, 1],
                                             shrink_axis_mask=0b11),
     lambda x: x[1, -1], [X234]),
    ("ss_clamp", lambda x: tf.strided_slice(x, [-100], [100], [1]), lambda x: x[-100:100],
     [np.arange(4, dtype=np.float32)]),
    ("ss_empty", lambda x: tf.strided_slice(x, [3], [1], [1]), lambda x: x[3:1],
     [np.arange(4, dtype=np.float32)]),
    # boolean_mask
    ("bmask_1d", lambda x, m: tf.boolean_mask(x, m), lambda x, m: x[m],
     [np.arange(4, dtype=np.float32), np.array([True, False, True, True])]),
    ("bmask_2d_mask", lambda x, m: tf.boolean_mask(x, m), lambda x, m: x[m],
     [X234, X234[..., 0] > 5]),
    ("bmask_axis", lambda x, m: tf.boolean_mask(x, m, axis=-1), lambda x, m: x[..., m],
     [X234, np.array([False, True, False, True])]),
    ("bmask_int_mask", lambda x, m: tf.boolean_mask(x, m), lambda x, m: x[m != 0],
     [np.arange(3, dtype=np.float32), np.array([2, 0, 1], np.int32)]),
    ("bmask_none", lambda x, m: tf.boolean_mask(x, m, axis=1), lambda x, m: x[:, m],
     [X234, np.zeros(3, bool)]),
    # one_hot
    ("one_hot", lambda i: tf.one_hot(i, 4), lambda i: np_one_hot(i, 4),
     [np.array([0, 3, -1, 7], np.int32)]),
    ("one_hot_axis0", lambda i: tf.one_hot(i, 3, axis=0),
     lambda i: np_one_hot(i, 3, axis=0), [np.array([[0, 2], [1, 1]], np.int64)]),
    ("one_hot_values", lambda i: tf.one_hot(i, 3, on_value=5, off_value=-1),
     lambda i: np_one_hot(i, 3, 5, -1, dtype=np.int32), [np.array([2, 0], np.int32)]),
    ("one_hot_dtype", lambda i: tf.one_hot(i, 2, dtype=tf.float64),
     lambda i: np_one_hot(i, 2, dtype=np.float64), [np.array(1, np.int32)]),
    ("one_hot_bool", lambda i: tf.one_hot(i, 3, on_value=True, off_value=False),
     lambda i: np_one_hot(i, 3, True, False, dtype=bool), [np.array([1, 2], np.int32)]),
    # reverse / roll / repeat
    ("reverse", lambda x: tf.reverse(x, [0, -1]), lambda x: x[::-1, :, ::-1], [X234]),
    ("reverse_none", lambda x: tf.reverse(x, []), lambda x: x, [X34]),
    ("roll", lambda x: tf.roll(x, 1, 0), lambda x: np.roll(x, 1, 0), [X34]),
    ("roll_multi", lambda x: tf.roll(x, [2, -1, 3], [0, 2, 0]),
     lambda x: np.roll(x, (2, -1, 3), (0, 2, 0)), [X234]),
    ("roll_big", lambda x: tf.roll(x, -7, -1), lambda x: np.roll(x, -7, -1), [X34]),
    ("repeat_flat", lambda x: tf.repeat(x, 2), lambda x: np.repeat(x, 2), [X34]),
    ("repeat_axis", lambda x: tf.repeat(x, [1, 0, 3], axis=0),
     lambda x: np.repeat(x, [1, 0, 3], axis=0), [X34]),
    ("repeat_neg_axis", lambda x: tf.repeat(x, 2, axis=-1),
     lambda x: np.repeat(x, 2, axis=-1), [np.array([[1, 2]], np.int32)]),
    ("repeat_zero", lambda x: tf.repeat(x, 0, axis=1), lambda x: np.repeat(x, 0, axis=1),
     [X34]),
    # creation
    ("range1", lambda: tf.range(5), lambda: np.arange(5, dtype=np.int32), []),
    ("range3", lambda: tf.range(3, 18, 3), lambda: np.arange(3, 18, 3, dtype=np.int32), []),
    ("range_neg", lambda: tf.range(10, 0, -3), lambda: np.arange(10, 0, -3, dtype=np.int32),
     []),
    ("range_float", lambda: tf.range(0., 1., 0.25),
     lambda: np.arange(0, 1, 0.25, dtype=np.float32), []),
    ("range_mixed", lambda: tf.range(1, 2.5, 0.5),
     lambda: np.arange(1, 2.5, 0.5, dtype=np.float32), []),
    ("range_dtype", lambda: tf.range(4, dtype=tf.float64),
     lambda: np.arange(4, dtype=np.float64), []),
    ("range_int64", lambda: tf.range(np.int64(3)), lambda: np.arange(3, dtype=np.int64), []),
    ("range_empty", lambda: tf.range(3, 3), lambda: np.arange(3, 3, dtype=np.int32), []),
    ("range_tensor", lambda n: tf.range(n), lambda n: np.arange(n), [np.int64(4)]),
    ("linspace", lambda a, b: tf.linspace(a, b, 5), lambda a, b: np.linspace(a, b, 5),
     [np.float32(-1), np.float32(3)]),
    ("linspace_nd", lambda a, b: tf.linspace(a, b, 4, axis=-1),
     lambda a, b: np.linspace(a, b, 4, axis=-1), [ar(2, (2,)), np.array([10., 40.],
                                                                      np.float32)]),
    ("linspace_f64", lambda a, b: tf.linspace(a, b, 3, axis=0),
     lambda a, b: np.linspace(a, b, 3), [np.float64(0), np.array([1., 2.])]),
    ("linspace_one", lambda a, b: tf.linspace(a, b, 1), lambda a, b: np.linspace(a, b, 1),
     [np.float32(2), np.float32(3)]),
    ("eye", lambda: tf.eye(3), lambda: np.eye(3, dtype=np.float32), []),
    ("eye_rect", lambda: tf.eye(2, 4, dtype=tf.int32), lambda: np.eye(2, 4, dtype=np.int32),
     []),
    ("eye_batch", lambda: tf.eye(2, batch_shape=[3, 1]),
     lambda: np.broadcast_to(np.eye(2, dtype=np.float32), (3, 1, 2, 2)), []),
    ("meshgrid_xy", lambda a, b: tf.meshgrid(a, b), lambda a, b: np.meshgrid(a, b),
     [np.arange(3, dtype=np.int32), np.arange(2, dtype=np.int32)]),
    ("meshgrid_ij", lambda a, b, c: tf.meshgrid(a, b, c, indexing="ij"),
     lambda a, b, c: np.meshgrid(a, b, c, indexing="ij"),
     [ar(2, (2,)), ar(3, (3,)), ar(4, (4,))]),
]


@pytest.mark.parametrize("case", FORWARD, ids=[c[0] for c in FORWARD])
def test_forward(case):
    _, fn, np_fn, args = case[:4]
    check_forward(fn, np_fn, args)


def test_unique():
    x = np.array([1, 1, 2, 4, 4, 4, 7, 8, 8, -3, 2], np.int32)
    y, idx = tf.unique(x)
    np.testing.assert_array_equal(y, np_unique(x))
    assert idx.dtype == tf.int32
    np.testing.assert_array_equal(np.asarray(y)[np.asarray(idx)], x)
    assert tf.unique(x).y.shape == (6,)
    y, idx = tf.unique(np.array([3., 1., 3.], np.float32), out_idx=tf.int64)
    np.testing.assert_array_equal(y, [3., 1.])
    np.testing.assert_array_equal(idx, [0, 1, 0])
    assert idx.dtype == tf.int64 and y.dtype == tf.float32
    y, idx = tf.unique(np.zeros(0, np.int32))
    assert y.shape == (0,) and idx.shape == (0,)


def test_one_hot_dtype_mismatch_and_defaults():
    assert tf.one_hot([1], 2, on_value=2.0).dtype == tf.float32
    assert tf.one_hot([1], 2, off_value=np.float64(0.5)).dtype == tf.float64
    with pytest.raises(TypeError, match="does not match"):
        tf.one_hot([1], 2, on_value=1.0, off_value=tf.constant(0, tf.int32))


def test_zeros_ones_fill():
    z = tf.zeros([2, 3])
    assert z.dtype == tf.float32 and z.shape == (2, 3) and not np.asarray(z).any()
    o = tf.ones((2,), dtype=tf.int64)
    assert o.dtype == tf.int64 and np.asarray(o).tolist() == [1, 1]
    assert tf.zeros([]).shape == ()
    assert tf.zeros(tf.constant([0, 2])).shape == (0, 2)
    assert tf.zeros([2], dtype=tf.string).numpy().tolist() == [b"", b""]
    assert tf.fill([2], 1.5).dtype == tf.float32


def test_variable_getitem_and_tensor_iteration():
    v = tf.Variable([[1., 2.], [3., 4.]])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(v[1] * 3.0)
    np.testing.assert_allclose(tape.gradient(y, v), [[0, 0], [3, 3]])
    rows = list(tf.constant(X34))
    assert len(rows) == 3
    np.testing.assert_array_equal(rows[2], X34[2])


# -------------------------------------------------------------------------- getitem ---
GETITEM_KEYS = [
    ("int", 1), ("neg_int", -1), ("two_ints", (1, 2)), ("three_ints", (1, -2, 3)),
    ("slice", np.s_[1:]), ("slice_step", np.s_[::2]), ("neg_step", np.s_[::-1]),
    ("neg_step_bounds", np.s_[:, 2:0:-1]), ("neg_step_neg_bounds", np.s_[..., -1:-4:-2]),
    ("ellipsis", np.s_[..., 1]), ("ellipsis_mid", np.s_[0, ..., 2]),
    ("newaxis", np.s_[None]), ("newaxis_mid", np.s_[:, None, 1]),
    ("newaxis_ellipsis", np.s_[..., None]), ("empty_slice", np.s_[1:1]),
    ("out_of_range_slice", np.s_[5:10]), ("full", np.s_[:]), ("full_tuple", np.s_[:, :]),
    ("list", [1, 0, 1]), ("list_axis1", np.s_[:, [2, 0]]), ("list_neg", np.s_[..., [-1, 0]]),
    ("list_after_int", np.s_[1, [0, 2]]), ("list2d", np.s_[:, [[0], [2]]]),
    ("list_newaxis", np.s_[None, :, [1]]), ("empty_list", "empty_list"),
    ("mask_full", "mask3"), ("mask_lead", "mask1"), ("mask_axis1", "mask_mid"),
    ("scalar_tensor", "tensor_idx"), ("tensor_slice", "tensor_slice"),
    ("int_tensor_list", "tensor_list"),
]


def _key(key):
    """(ember key, numpy key) for the GETITEM_KEYS entry."""
    if key == "mask3":
        return tf.constant(X234 > 10), X234 > 10
    if key == "mask1":
        m = np.array([True, False])
        return tf.constant(m), m
    if key == "mask_mid":
        m = np.array([False, True, True])
        return (slice(None), tf.constant(m)), (slice(None), m)
    if key == "tensor_idx":
        return (tf.constant(1), tf.constant(-1, tf.int64)), (1, -1)
    if key == "tensor_slice":
        return np.s_[tf.constant(1):, :tf.constant(3):tf.constant(2)], np.s_[1:, :3:2]
    if key == "empty_list":
        return [], np.zeros(0, np.intp)
    if key == "tensor_list":
        return np.s_[:, :, tf.constant([3, 1])], np.s_[:, :, [3, 1]]
    return key, key


@pytest.mark.parametrize("key", [k for _, k in GETITEM_KEYS], ids=[n for n, _ in GETITEM_KEYS])
def test_getitem_forward(key):
    tkey, nkey = _key(key)
    check_forward(lambda x: x[tkey], lambda x: x[nkey], [X234])


@pytest.mark.parametrize("key", [k for _, k in GETITEM_KEYS], ids=[n for n, _ in GETITEM_KEYS])
def test_getitem_gradient(key):
    tkey, _ = _key(key)
    check_gradient(lambda x: x[tkey], [rand(2, 3, 4)])


def test_getitem_scalar_and_1d():
    check_forward(lambda x: x[...], lambda x: x[...], [np.float32(3)])
    check_forward(lambda x: x[None], lambda x: x[None], [np.float32(3)])
    check_forward(lambda x: x[-3], lambda x: x[-3], [np.arange(3, dtype=np.int64)])


def test_getitem_second_order():
    check_second_order(lambda x: x[::-1, 1] ** 3, [rand(3, 2)])


GETITEM_ERRORS = [
    ("int_oob", 5, InvalidArgumentError, r"slice index 5 of dimension 0 out of bounds"),
    ("neg_int_oob", np.s_[:, -4], InvalidArgumentError,
     r"slice index -4 of dimension 1 out of bounds.*size 3"),
    ("tensor_oob", np.s_[0, 0, tf.constant(4)], InvalidArgumentError,
     r"slice index 4 of dimension 2 out of bounds.*StridedSlice"),
    ("too_many", (0, 0, 0, 0), InvalidArgumentError, r"Index out of range using input dim 3"),
    ("float", 1.5, TypeError, r"valid indices"),
    ("float_tensor", tf.constant(1.0), TypeError, r"valid indices"),
    ("two_ellipsis", (Ellipsis, Ellipsis), IndexError, r"single ellipsis"),
    ("zero_step", np.s_[::0], ValueError, r"step cannot be zero"),
    ("two_lists", ([0], [1]), TypeError, r"only one"),
    ("list_oob", [0, 2], InvalidArgumentError, r"indices\[1\] = 2 is not in \[0, 2\)"),
    ("mask_shape", tf.constant([True, False, True]), ValueError, r"incompatible"),
]


@pytest.mark.parametrize("key,exc,match", [c[1:] for c in GETITEM_ERRORS],
                         ids=[c[0] for c in GETITEM_ERRORS])
def test_getitem_errors(key, exc, match):
    with pytest.raises(exc, match=match):
        tf.constant(X234)[key]


# ----------------------------------------------------------------------- gradients ---
I2 = np.array([[1], [0]])
GRADIENTS = [
    # existing ops
    ("fill", lambda v: tf.fill([2, 3], v), [np.float64(2)]),
    ("reshape", lambda x: tf.reshape(x, [-1, 2]), [rand(2, 3, 2)]),
    ("expand_dims", lambda x: tf.expand_dims(x, 1), [rand(2, 3)]),
    ("squeeze", lambda x: tf.squeeze(x, 0), [rand(1, 3)]),
    ("transpose", lambda x: tf.transpose(x, [2, 0, 1]), [rand(2, 3, 2)]),
    ("broadcast_to", lambda x: tf.broadcast_to(x, [2, 3, 2]), [rand(3, 1)]),
    ("where3", lambda x, y: tf.where(np.array([True, False, True]), x, y),
     [rand(3), rand(2, 1)]),
    ("stack", lambda a, b: tf.stack([a, b], axis=1), [rand(2, 3), rand(2, 3)]),
    ("unstack", lambda x: tf.unstack(x, axis=-1)[1] * 2.0, [rand(2, 3)]),
    ("concat", lambda a, b: tf.concat([a, b], axis=-1), [rand(2, 3), rand(2, 1)]),
    ("split", lambda x: tf.split(x, [1, 2], axis=1)[1], [rand(2, 3)]),
    ("identity", tf.identity, [rand(3)]),
    # new ops
    ("tile", lambda x: tf.tile(x, [2, 1, 3]), [rand(2, 3, 2)]),
    ("tile_scalar", lambda x: tf.tile(x, []), [np.float64(2)]),
    ("pad_constant", lambda x, c: tf.pad(x, [[1, 0], [2, 1]], constant_values=c),
     [rand(2, 3), np.float64(0.5)]),
    ("pad_reflect", lambda x: tf.pad(x, [[2, 1], [3, 2]], "REFLECT"), [rand(3, 4)]),
    ("pad_symmetric", lambda x: tf.pad(x, [[3, 0], [1, 2]], "SYMMETRIC"), [rand(3, 2)]),
    ("gather", lambda p: tf.gather(p, [2, 0, 2, 2]), [rand(3, 2)]),
    ("gather_axis", lambda p: tf.gather(p, [[1, 1], [0, 2]], axis=-1), [rand(2, 3)]),
    ("gather_batch", lambda p: tf.gather(p, [[2, 2, 0], [1, 0, 1]], axis=1, batch_dims=1),
     [rand(2, 3, 2)]),
    ("gather_nd", lambda p: tf.gather_nd(p, [[1, 0], [1, 0], [0, 2]]), [rand(2, 3)]),
    ("gather_nd_slices", lambda p: tf.gather_nd(p, I2), [rand(2, 3)]),
    ("gather_nd_batch", lambda p: tf.gather_nd(p, [[[1], [1]], [[0], [2]]], batch_dims=1),
     [rand(2, 3)]),
    ("scatter_nd", lambda u: tf.scatter_nd([[1], [3], [1]], u, [4, 2]), [rand(3, 2)]),
    ("tsnu", lambda t, u: tf.tensor_scatter_nd_update(t, [[0, 1], [2, 0]], u),
     [rand(3, 2), rand(2)]),
    ("tsna", lambda t, u: tf.tensor_scatter_nd_add(t, [[2], [2]], u),
     [rand(3, 2), rand(2, 2)]),
    ("tsns", lambda t, u: tf.tensor_scatter_nd_sub(t, [[0]], u), [rand(3, 2), rand(1, 2)]),
    ("slice", lambda x: tf.slice(x, [1, 0], [-1, 2]), [rand(3, 3)]),
    ("strided_slice", lambda x: tf.strided_slice(
        x, [0, 5, 0], [0, 0, 1], [1, -2, 1], ellipsis_mask=0, begin_mask=1, end_mask=1,
        new_axis_mask=0, shrink_axis_mask=4), [rand(2, 6, 2)]),
    ("strided_slice_newaxis", lambda x: tf.strided_slice(
        x, [0, 1], [0, 3], [1, 1], new_axis_mask=1), [rand(4)]),
    ("boolean_mask", lambda x: tf.boolean_mask(x, np.array([[True, False], [True, True]])),
     [rand(2, 2, 3)]),
    ("boolean_mask_axis", lambda x: tf.boolean_mask(x, np.array([False, True, True]), axis=1),
     [rand(2, 3)]),
    ("reverse", lambda x: tf.reverse(x, [1]), [rand(2, 3)]),
    ("roll", lambda x: tf.roll(x, [1, -2], [0, 1]), [rand(3, 4)]),
    ("repeat_scalar", lambda x: tf.repeat(x, 3, axis=1), [rand(2, 2)]),
    ("repeat_vector", lambda x: tf.repeat(x, [2, 0, 1], axis=0), [rand(3, 2)]),
    ("repeat_flat", lambda x: tf.repeat(x, 2), [rand(2, 2)]),
    ("linspace", lambda a, b: tf.linspace(a, b, 4, axis=-1), [rand(2), rand(2)]),
    ("meshgrid", lambda a, b: tf.meshgrid(a, b)[0] * tf.meshgrid(a, b)[1],
     [rand(3), rand(2)]),
]


@pytest.mark.parametrize("case", GRADIENTS, ids=[c[0] for c in GRADIENTS])
def test_gradient(case):
    _, fn, args = case
    check_gradient(fn, args)


SECOND_ORDER = [
    ("tile", lambda x: tf.tile(x, [2, 2]) ** 2, [rand(2, 2)]),
    ("gather", lambda p: tf.gather(p, [1, 1, 0]) ** 2, [rand(2, 2)]),
    ("gather_nd", lambda p: tf.gather_nd(p, [[1], [1]]) ** 2, [rand(2, 2)]),
    ("pad_reflect", lambda x: tf.pad(x, [[1, 1]], "REFLECT") ** 2, [rand(3)]),
    ("pad_constant", lambda x: tf.pad(x, [[1, 1]]) ** 2, [rand(3)]),
    ("repeat", lambda x: tf.repeat(x, [1, 2]) ** 2, [rand(2)]),
    ("slice", lambda x: tf.slice(x, [1], [2]) ** 2, [rand(4)]),
    ("tsnu", lambda t, u: tf.tensor_scatter_nd_update(t, [[0]], u) ** 2, [rand(2), rand(1)]),
]


@pytest.mark.parametrize("case", SECOND_ORDER, ids=[c[0] for c in SECOND_ORDER])
def test_second_order(case):
    _, fn, args = case
    check_second_order(fn, args)


def test_gather_gradient_is_indexed_slices_summing_repeats():
    p = tf.constant(rand(4, 2))
    with tf.GradientTape() as tape:
        tape.watch(p)
        y = tf.reduce_sum(tf.gather(p, [3, 3, 0]))
    g = tape.gradient(y, p)
    assert isinstance(g, tf.IndexedSlices)
    np.testing.assert_array_equal(g.indices.numpy(), [3, 3, 0])
    np.testing.assert_allclose(tf.convert_to_tensor(g), [[1, 1], [0, 0], [0, 0], [2, 2]])


def test_stop_gradient_blocks_gradient():
    x = tf.constant([1.0, -2.0, 3.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(x * tf.stop_gradient(x * 2.0))
    np.testing.assert_allclose(tape.gradient(y, x), [2.0, -4.0, 6.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(tf.stop_gradient(x))
    assert tape.gradient(y, x) is None


def test_integer_inputs_get_no_gradient():
    p = tf.constant(rand(3))
    i = tf.constant([0, 1])
    with tf.GradientTape() as tape:
        tape.watch([p, i])
        y = tf.reduce_sum(tf.gather(p, i))
    gp, gi = tape.gradient(y, [p, i])
    assert gi is None and gp.dtype == tf.float32


# ---------------------------------------------------------------------------- errors ---
ERRORS = [
    # existing ops
    ("fill_nonscalar", lambda: tf.fill([2], [1, 2]), InvalidArgumentError, "must be a scalar"),
    ("fill_negative", lambda: tf.fill([-1], 1), InvalidArgumentError, "non-negative"),
    ("reshape_bad", lambda: tf.reshape(X34, [5, -1]), InvalidArgumentError,
     "12 values.*multiple of 5"),
    ("reshape_two_minus1", lambda: tf.reshape(X34, [-1, -1]), InvalidArgumentError,
     "Only one input size may be -1"),
    ("reshape_count", lambda: tf.reshape(X34, [5]), InvalidArgumentError, "12 values"),
    ("reshape_empty_infer", lambda: tf.reshape(np.zeros((3, 0)), [-1, 0]),
     InvalidArgumentError, "cannot infer the missing input size for an empty tensor"),
    ("expand_dims_axis", lambda: tf.expand_dims(X34, 3), InvalidArgumentError, "out of range"),
    ("squeeze_not_1", lambda: tf.squeeze(X34, [0]), InvalidArgumentError,
     r"Can not squeeze dim\[0\]"),
    ("transpose_perm", lambda: tf.transpose(X34, [0, 0]), InvalidArgumentError, "permutation"),
    ("broadcast_to", lambda: tf.broadcast_to(X34, [3, 5]), InvalidArgumentError,
     "Unable to broadcast"),
    ("where_dtype", lambda: tf.where(np.array([True]), tf.constant([1]),
                                     tf.constant([1.0])), InvalidArgumentError, "one dtype"),
    ("where_cond", lambda: tf.where(tf.constant([1]), 1.0, 2.0), InvalidArgumentError,
     "must be bool"),
    ("where_one_of", lambda: tf.where([True], 1.0), ValueError, "both be given"),
    ("stack_shapes", lambda: tf.stack([X34, X234]), InvalidArgumentError,
     "Shapes of all inputs must match"),
    ("stack_empty", lambda: tf.stack([]), ValueError, "non-empty"),
    ("unstack_num", lambda: tf.unstack(X34, num=4), InvalidArgumentError, "num=4"),
    ("concat_rank", lambda: tf.concat([X34, X234], 0), InvalidArgumentError, "Ranks"),
    ("concat_dims", lambda: tf.concat([X34, X34[:, :2]], 0), InvalidArgumentError,
     "Dimension 1"),
    ("split_uneven", lambda: tf.split(X34, 5, axis=1), InvalidArgumentError, "evenly divide"),
    ("split_sizes", lambda: tf.split(X34, [1, 1], axis=1), InvalidArgumentError, "2 vs 4"),
    # tile
    ("tile_len", lambda: tf.tile(X34, [2]), InvalidArgumentError, "vector of length 2"),
    ("tile_neg", lambda: tf.tile(X34, [1, -1]), InvalidArgumentError, r"multiples\[1\] >= 0"),
    ("tile_float", lambda: tf.tile(X34, [1.5, 1]), TypeError, "integers"),
    # pad
    ("pad_rank", lambda: tf.pad(X34, [[1, 1]]), InvalidArgumentError,
     "first dimension of paddings"),
    ("pad_neg", lambda: tf.pad(X34, [[1, -1], [0, 0]]), InvalidArgumentError,
     "non-negative"),
    ("pad_reflect_big", lambda: tf.pad(X34, [[3, 0], [0, 0]], "REFLECT"), InvalidArgumentError,
     "less than the dimension size"),
    ("pad_symmetric_big", lambda: tf.pad(X34, [[0, 0], [0, 5]], "SYMMETRIC"),
     InvalidArgumentError, "no greater than"),
    ("pad_mode", lambda: tf.pad(X34, [[0, 0], [0, 0]], "WRAP"), ValueError, "mode must be"),
    ("pad_cv_shape", lambda: tf.pad(X34, [[0, 0], [0, 0]], constant_values=[1., 2.]),
     InvalidArgumentError, "constant_values must be a scalar"),
    # gather
    ("gather_oob", lambda: tf.gather(X34, [0, 3]), InvalidArgumentError,
     r"indices\[1\] = 3 is not in \[0, 3\)"),
    ("gather_neg", lambda: tf.gather(X34, [[0], [-1]], axis=1), InvalidArgumentError,
     r"indices\[1,0\] = -1 is not in \[0, 4\)"),
    ("gather_axis", lambda: tf.gather(X34, [0], axis=2), InvalidArgumentError,
     "Expected axis in the range"),
    ("gather_float_idx", lambda: tf.gather(X34, [0.5]), TypeError, "integers"),
    ("gather_batch_mismatch", lambda: tf.gather(X234, np.zeros((3, 1), np.int32), axis=1,
                                                batch_dims=1),
     InvalidArgumentError, "should be equal to indices.shape"),
    ("gather_batch_gt_axis", lambda: tf.gather(X234, np.zeros((2, 1), np.int32), axis=0,
                                               batch_dims=1),
     InvalidArgumentError, "batch_dims"),
    ("gather_nd_oob", lambda: tf.gather_nd(X34, [[0, 4]]), InvalidArgumentError,
     r"indices\[0\] = \[0, 4\] does not index into param shape \[3, 4\]"),
    ("gather_nd_deep", lambda: tf.gather_nd(X34, [[0, 0, 0]]), InvalidArgumentError,
     "innermost dimension length must be <= params rank"),
    # scatter
    ("scatter_oob", lambda: tf.scatter_nd([[4]], [1.], [4]), InvalidArgumentError,
     r"indices\[0\] = \[4\] does not index into shape \[4\]"),
    ("scatter_updates_shape", lambda: tf.scatter_nd([[0], [1]], [1., 2., 3.], [4]),
     InvalidArgumentError, r"updates must have shape"),
    ("tsnu_dtype", lambda: tf.tensor_scatter_nd_update(X34, [[0]], tf.constant([[1, 2, 3, 4]])),
     InvalidArgumentError, "dtype"),
    ("tsna_oob", lambda: tf.tensor_scatter_nd_add(X34, [[-1]], np.ones((1, 4), np.float32)),
     InvalidArgumentError, "does not index into tensor shape"),
    # slice
    ("slice_begin", lambda: tf.slice(X34, [4, 0], [0, 1]), InvalidArgumentError,
     r"Expected begin\[0\] in \[0, 3\], but got 4"),
    ("slice_size", lambda: tf.slice(X34, [1, 0], [3, 1]), InvalidArgumentError,
     r"Expected size\[0\] in \[0, 2\], but got 3"),
    ("slice_len", lambda: tf.slice(X34, [0], [1]), InvalidArgumentError, "vector of length 2"),
    ("ss_stride0", lambda: tf.strided_slice(X34, [0], [1], [0]), InvalidArgumentError,
     "must be non-zero"),
    ("ss_lengths", lambda: tf.strided_slice(X34, [0, 0], [1], [1]), InvalidArgumentError,
     "1D equal size"),
    ("ss_shrink_oob", lambda: tf.strided_slice(X34, [3], [4], shrink_axis_mask=1),
     InvalidArgumentError, "slice index 3 of dimension 0 out of bounds"),
    ("ss_two_ellipsis", lambda: tf.strided_slice(X34, [0, 0], [0, 0], ellipsis_mask=3),
     InvalidArgumentError, "Multiple ellipses"),
    # boolean_mask
    ("bmask_scalar", lambda: tf.boolean_mask(X34, True), ValueError, "mask cannot be scalar"),
    ("bmask_shape", lambda: tf.boolean_mask(X34, [True, False]), ValueError, "incompatible"),
    # one_hot
    ("one_hot_axis", lambda: tf.one_hot([1, 2], 3, axis=3), InvalidArgumentError,
     "Expected axis to be -1 or between"),
    ("one_hot_depth", lambda: tf.one_hot([1, 2], -1), InvalidArgumentError, "non-negative"),
    ("one_hot_float_idx", lambda: tf.one_hot([1.0], 2), InvalidArgumentError,
     "indices must be"),
    # reverse / roll / repeat / unique
    ("reverse_dup", lambda: tf.reverse(X34, [1, -1]), InvalidArgumentError,
     "specified more than once"),
    ("reverse_axis", lambda: tf.reverse(X34, [2]), InvalidArgumentError, "out of range"),
    ("roll_sizes", lambda: tf.roll(X34, [1, 2], [0]), InvalidArgumentError,
     "same size"),
    ("roll_axis", lambda: tf.roll(X34, 1, 2), InvalidArgumentError, "out of range"),
    ("repeat_len", lambda: tf.repeat(X34, [1, 2], axis=0), InvalidArgumentError,
     "one entry per element"),
    ("repeat_neg", lambda: tf.repeat(X34, -1, axis=0), InvalidArgumentError, "non-negative"),
    ("unique_2d", lambda: tf.unique(X34), InvalidArgumentError, "1D vector"),
    # creation
    ("range_delta0", lambda: tf.range(0, 5, 0), InvalidArgumentError, "Requires delta != 0"),
    ("range_dir", lambda: tf.range(5, 1), InvalidArgumentError,
     "Requires start <= limit when delta > 0"),
    ("range_dir_neg", lambda: tf.range(1, 5, -1), InvalidArgumentError,
     "Requires start >= limit when delta < 0"),
    ("range_string", lambda: tf.range("a"), TypeError, "expected a number"),
    ("linspace_int", lambda: tf.linspace(tf.constant(0), tf.constant(1), 3), TypeError,
     "must be bfloat16"),
    ("linspace_neg", lambda: tf.linspace(0., 1., -2), InvalidArgumentError, "non-negative"),
    ("eye_neg", lambda: tf.eye(-1), InvalidArgumentError, "non-negative"),
    ("meshgrid_indexing", lambda: tf.meshgrid([1], indexing="xx"), ValueError,
     "indexing must be"),
]


@pytest.mark.parametrize("fn,exc,match", [c[1:] for c in ERRORS], ids=[c[0] for c in ERRORS])
def test_errors(fn, exc, match):
    with pytest.raises(exc, match=match):
        fn()


def test_error_names_op():
    with pytest.raises(InvalidArgumentError, match=r"\[Op:GatherV2\]"):
        tf.gather(X34, [7])
    with pytest.raises(InvalidArgumentError, match=r"\[Op:Tile\]"):
        tf.tile(X34, [1])


def test_concat_errors_name_both_shapes():
    a, b, c = tf.ones([2, 3]), tf.ones([2, 3, 1]), tf.ones([2, 4])
    with pytest.raises(InvalidArgumentError,
                       match=r"Ranks of all input tensors should match: shape\[0\] = \[2,3\] "
                             r"vs\. shape\[1\] = \[2,3,1\]"):
        tf.concat([a, b], 0)
    with pytest.raises(InvalidArgumentError,
                       match=r"shape\[0\] = \[2,3\] vs\. shape\[2\] = \[2,3,1\]"):
        tf.concat([a, a, b], 0)
    with pytest.raises(InvalidArgumentError,
                       match=r"Dimension 1 in both shapes must be equal: shape\[0\] = \[2,3\] "
                             r"vs\. shape\[1\] = \[2,4\]"):
        tf.concat([a, c], 0)

    @tf.function
    def traced(x, y):
        return tf.concat([x, y], 0)

    with pytest.raises(InvalidArgumentError, match=r"shape\[0\] = \[2,3\] vs\. shape\[1\]"):
        traced(a, b)
