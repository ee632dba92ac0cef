"""String tensors: conversion, printing, the ops that take strings, and a clear error from
every op that does not (eagerly and while building graphs)."""
import numpy as np
import pytest

import ember as tf
import ember.compat.v1 as v1
from ember.engine.dispatch import execute
from ember.engine.graph import FuncGraph
from ember.framework.op import _REGISTRY
from ember.ops._base import BinaryOp, UnaryOp


def test_constants_hold_bytes():
    s = tf.constant("abc")
    assert s.dtype is tf.string and s.shape == ()
    assert s.numpy() == b"abc" and type(s.numpy()) is bytes
    assert repr(s) == "<ember.Tensor: shape=(), dtype=string, numpy=b'abc'>"
    v = tf.constant(["a", "héllo"])
    out = v.numpy()
    assert out.dtype == object and out.tolist() == [b"a", "héllo".encode("utf-8")]
    assert all(type(b) is bytes for b in out)
    assert tf.constant(np.array(["x", "yz"])).numpy().tolist() == [b"x", b"yz"]
    assert tf.constant(np.array([[b"p"], [b"qq"]])).numpy().tolist() == [[b"p"], [b"qq"]]
    assert tf.constant([b"\xff", "a"]).numpy().tolist() == [b"\xff", b"a"]


def test_conversion_errors_follow_tensorflow():
    with pytest.raises(TypeError, match="Cannot convert 1.0 to EagerTensor of dtype string"):
        tf.constant(1.0, dtype=tf.string)
    with pytest.raises(TypeError, match="dtype string"):
        tf.constant([1, 2], dtype=tf.string)
    with pytest.raises(ValueError, match="mixed types"):
        tf.constant(["a", 1])
    with pytest.raises(ValueError, match="expected str or bytes"):
        tf.constant(np.array([1, "a"], dtype=object))
    with pytest.raises(TypeError, match="dtype float32"):
        tf.constant("a", dtype=tf.float32)
    with pytest.raises(TypeError, match="dtype string"):
        tf.ones([2], tf.string)
    assert tf.zeros([2], tf.string).numpy().tolist() == [b"", b""]


def test_add_joins_and_mixing_with_numbers_raises():
    """Issue #15 item 5."""
    assert tf.constant("abc") + tf.constant("d") == b"abcd"
    out = tf.add(tf.constant(["a", "b"]), "_")
    assert out.numpy().tolist() == [b"a_", b"b_"] and type(out.numpy()[0]) is bytes
    for bad in (lambda: tf.constant(["abc"]) + 1.0, lambda: 1.0 + tf.constant(["abc"]),
                lambda: tf.constant(["abc"]) * 2):
        with pytest.raises(TypeError, match="dtype string"):
            bad()
    with pytest.raises(TypeError, match="float32"):
        tf.constant([1.0]) + "a"
    with pytest.raises(tf.errors.InvalidArgumentError, match="Add"):
        tf.add(tf.constant(["a"]), tf.constant([1.0]))


def test_cast_refuses_strings_with_the_right_hint():
    with pytest.raises(tf.errors.UnimplementedError, match="to_number"):
        tf.cast(tf.constant("1"), tf.float32)
    with pytest.raises(tf.errors.UnimplementedError, match="as_string"):
        tf.cast(tf.constant(1), tf.string)
    s = tf.constant(["a"])
    assert tf.cast(s, tf.string) is s


def test_equality():
    s = tf.constant(["a", "b", "a"])
    assert tf.equal(s, "a").numpy().tolist() == [True, False, True]
    assert tf.not_equal(s, tf.constant(["a", "a", "a"])).numpy().tolist() == [False, True, False]
    assert (s == "b").numpy().tolist() == [False, True, False]


S = [["a", "b", "c"], ["d", "e", "f"]]

STRING_OPS = [
    ("reshape", lambda s: tf.reshape(s, [3, 2]), lambda a: a.reshape(3, 2)),
    ("transpose", lambda s: tf.transpose(s), lambda a: a.T),
    ("concat", lambda s: tf.concat([s, s], 1), lambda a: np.concatenate([a, a], 1)),
    ("stack", lambda s: tf.stack([s, s]), lambda a: np.stack([a, a])),
    ("unstack", lambda s: tf.unstack(s)[1], lambda a: a[1]),
    ("gather", lambda s: tf.gather(s, [1, 0, 1]), lambda a: a[[1, 0, 1]]),
    ("gather_nd", lambda s: tf.gather_nd(s, [[1, 2], [0, 0]]), lambda a: a[[1, 0], [2, 0]]),
    ("where", lambda s: tf.where([[True, False, True], [False, False, True]], s, "z"),
     lambda a: np.where([[True, False, True], [False, False, True]], a, b"z")),
    ("identity", lambda s: tf.identity(s), lambda a: a),
    ("expand_squeeze", lambda s: tf.squeeze(tf.expand_dims(s, 0), [0]), lambda a: a),
    ("expand_dims", lambda s: tf.expand_dims(s, -1), lambda a: a[..., None]),
    ("tile", lambda s: tf.tile(s, [2, 1]), lambda a: np.tile(a, [2, 1])),
    ("boolean_mask", lambda s: tf.boolean_mask(s, [False, True]), lambda a: a[[1]]),
    ("slicing", lambda s: s[1, ::-1], lambda a: a[1, ::-1]),
    ("slice", lambda s: tf.slice(s, [0, 1], [2, 2]), lambda a: a[:, 1:]),
    ("pad", lambda s: tf.pad(s, [[1, 0], [0, 1]]),
     lambda a: np.array([[b""] * 4] + [list(r) + [b""] for r in a], dtype=object)),
    ("pad_value", lambda s: tf.pad(s, [[0, 0], [1, 0]], constant_values="-"),
     lambda a: np.array([[b"-"] + list(r) for r in a], dtype=object)),
    ("reverse", lambda s: tf.reverse(s, [1]), lambda a: a[:, ::-1]),
    ("roll", lambda s: tf.roll(s, 1, 1), lambda a: np.roll(a, 1, 1)),
    ("repeat", lambda s: tf.repeat(s, 2, axis=0), lambda a: np.repeat(a, 2, 0)),
    ("split", lambda s: tf.split(s, 3, axis=1)[2], lambda a: a[:, 2:]),
    ("broadcast_to", lambda s: tf.broadcast_to(s[0], [2, 3]), lambda a: np.stack([a[0]] * 2)),
    ("fill", lambda s: tf.fill(tf.shape(s), "x"), lambda a: np.full(a.shape, b"x", object)),
    ("zeros_like", lambda s: tf.zeros_like(s), lambda a: np.full(a.shape, b"", object)),
    ("scatter_update", lambda s: tf.tensor_scatter_nd_update(s, [[0, 0]], ["Z"]),
     lambda a: np.array([[b"Z", b"b", b"c"], [b"d", b"e", b"f"]], dtype=object)),
    ("stop_gradient", lambda s: tf.stop_gradient(s), lambda a: a),
    ("add", lambda s: s + "!", lambda a: np.array([[x + b"!" for x in r] for r in a],
                                                    dtype=object)),
    ("cond", lambda s: tf.cond(tf.constant(True), lambda: s[0], lambda: s[1]), lambda a: a[0]),
    ("gather_scalar", lambda s: tf.gather(s[0], 2), lambda a: np.array(a[0, 2], dtype=object)),
    ("gather_nd_scalar", lambda s: tf.gather_nd(s, [1, 0]),
     lambda a: np.array(a[1, 0], dtype=object)),
    ("unstack_scalar", lambda s: tf.unstack(s[1])[2], lambda a: np.array(a[1, 2], dtype=object)),
    ("scatter_nd", lambda s: tf.scatter_nd([[2], [0]], s[0, :2], [4]),
     lambda a: np.array([a[0, 1], b"", a[0, 0], b""], dtype=object)),
]


def _check_bytes(out, want):
    got = out.numpy()
    if want.ndim == 0:          # a scalar string tensor's numpy() is bytes, as in TF
        assert type(got) is bytes
        got = np.array(got, dtype=object)
    assert got.dtype == object and got.shape == want.shape
    assert got.tolist() == want.tolist()
    assert all(type(b) is bytes for b in got.reshape(-1))


@pytest.mark.parametrize("name,fn,ref", STRING_OPS, ids=[c[0] for c in STRING_OPS])
def test_ops_on_strings_eager_and_traced(name, fn, ref):
    s = tf.constant(S)
    want = ref(s.numpy())
    _check_bytes(fn(s), want)
    _check_bytes(tf.function(fn)(s), want)


def test_shape_size_unique_where():
    s = tf.constant(S)
    assert tf.shape(s).numpy().tolist() == [2, 3] and int(tf.size(s)) == 6
    assert int(tf.rank(s)) == 2
    y, idx = tf.unique(tf.constant(["b", "a", "b"]))
    assert y.numpy().tolist() == [b"b", b"a"] and idx.numpy().tolist() == [0, 1, 0]
    assert tf.where(tf.equal(s, "e")).numpy().tolist() == [[1, 1]]
    assert sorted(tf.random.shuffle(tf.constant(["a", "b", "c"])).numpy().tolist()) == \
        [b"a", b"b", b"c"]


def test_string_variables():
    v = tf.Variable(["a", "b"])
    assert v.dtype is tf.string
    v.assign(["c", "d"])
    assert v.numpy().tolist() == [b"c", b"d"]
    with pytest.raises(tf.errors.InvalidArgumentError, match="only assign takes strings"):
        v.assign_add(["x", "y"])

    @tf.function
    def flip():
        v.assign(tf.reverse(v, [0]))
        return v.read_value()

    assert flip().numpy().tolist() == [b"d", b"c"]
    assert v.numpy().tolist() == [b"d", b"c"]


def test_function_signature_and_placeholders():
    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def twice(x):
        return tf.concat([x, x], 0)

    assert twice(tf.constant(["p", "q"])).numpy().tolist() == [b"p", b"q", b"p", b"q"]
    assert twice(tf.constant(["r"])).numpy().tolist() == [b"r", b"r"]
    with tf.Graph().as_default():
        p = v1.placeholder(tf.string, [None])
        q = tf.reverse(p + "!", [0])
        with v1.Session() as sess:
            assert sess.run(q, {p: ["a", "b"]}).tolist() == [b"b!", b"a!"]
            assert sess.run(q, {p: np.array(["c"])}).tolist() == [b"c!"]
            with pytest.raises(TypeError, match="string"):
                sess.run(q, {p: [1, 2]})
        with pytest.raises(tf.errors.InvalidArgumentError, match="Exp.*string|string.*Exp"):
            tf.exp(p)


_STRING_VAR = tf.Variable(S)

# A public call on string tensors, for every family of ops that does not take strings:
# each must raise a clear error that names the dtype.
REJECTED = [
    ("exp", lambda s: tf.exp(s)), ("log", lambda s: tf.math.log(s)),
    ("abs", lambda s: tf.abs(s)), ("negative", lambda s: -s),
    ("sqrt", lambda s: tf.sqrt(s)), ("square", lambda s: tf.square(s)),
    ("sign", lambda s: tf.sign(s)), ("round", lambda s: tf.round(s)),
    ("sigmoid", lambda s: tf.sigmoid(s)), ("tanh", lambda s: tf.tanh(s)),
    ("relu", lambda s: tf.nn.relu(s)), ("softmax", lambda s: tf.nn.softmax(s)),
    ("subtract", lambda s: s - s), ("multiply", lambda s: s * s), ("divide", lambda s: s / s),
    ("floordiv", lambda s: s // s), ("mod", lambda s: s % s), ("pow", lambda s: s ** s),
    ("maximum", lambda s: tf.maximum(s, s)), ("minimum", lambda s: tf.minimum(s, s)),
    ("less", lambda s: s < s), ("greater_equal", lambda s: s >= s),
    ("logical_and", lambda s: tf.logical_and(s, s)), ("logical_not", lambda s: ~s),
    ("reduce_sum", lambda s: tf.reduce_sum(s)), ("reduce_mean", lambda s: tf.reduce_mean(s)),
    ("reduce_max", lambda s: tf.reduce_max(s)), ("reduce_prod", lambda s: tf.reduce_prod(s)),
    ("reduce_any", lambda s: tf.reduce_any(s)), ("argmax", lambda s: tf.argmax(s)),
    ("argmin", lambda s: tf.argmin(s)), ("sort", lambda s: tf.sort(s)),
    ("argsort", lambda s: tf.argsort(s)), ("top_k", lambda s: tf.math.top_k(s)),
    ("cumsum", lambda s: tf.cumsum(s)), ("matmul", lambda s: tf.matmul(s, s, transpose_b=True)),
    ("tensordot", lambda s: tf.tensordot(s, tf.transpose(s), 1)),
    ("einsum", lambda s: tf.einsum("ij,ij->i", s, s)),
    ("one_hot", lambda s: tf.one_hot(s, 3)), ("ones_like", lambda s: tf.ones_like(s)),
    ("clip", lambda s: tf.clip_by_value(s, "a", "b")),
    ("is_nan", lambda s: tf.math.is_nan(s)), ("l2_normalize", lambda s: tf.nn.l2_normalize(s)),
    ("bias_add", lambda s: tf.nn.bias_add(s, s[0])),
    ("conv2d", lambda s: tf.nn.conv2d(tf.reshape(s, [1, 2, 3, 1]),
                                      tf.reshape(s[0, :1], [1, 1, 1, 1]), 1, "VALID")),
    ("max_pool", lambda s: tf.nn.max_pool2d(tf.reshape(s, [1, 2, 3, 1]), 1, 1, "VALID")),
    ("segment_sum", lambda s: tf.math.unsorted_segment_sum(s[0], [0, 0, 1], 2)),
    ("range", lambda s: tf.range(s[0, 0])),
    ("scatter_add", lambda s: tf.tensor_scatter_nd_add(s, [[0, 0]], ["Z"])),
    ("assign_add", lambda s: _STRING_VAR.assign_add(s)),
    ("bincount", lambda s: tf.math.bincount(s)),
    ("linalg_inv", lambda s: tf.linalg.inv(tf.reshape(s[0, :1], [1, 1]))),
    ("cast", lambda s: tf.cast(s, tf.int32)),
]


@pytest.mark.parametrize("name,fn", REJECTED, ids=[c[0] for c in REJECTED])
def test_ops_without_strings_raise_clearly(name, fn):
    s = tf.constant(S)
    with pytest.raises((tf.errors.InvalidArgumentError, tf.errors.UnimplementedError,
                        TypeError, ValueError)) as info:
        fn(s)
    assert "string" in str(info.value)
    assert "Traceback" not in str(info.value)
    with pytest.raises((tf.errors.InvalidArgumentError, tf.errors.UnimplementedError,
                        TypeError, ValueError)) as info:
        tf.function(fn)(s)
    assert "string" in str(info.value)


def _arity(op):
    if isinstance(op, BinaryOp):
        return 2
    return 1


def test_every_registered_op_refuses_strings_unless_it_takes_them():
    """The dispatcher's rule, over the whole op registry: an op that does not declare
    ``strings`` fails on a string input with an error naming the op and the dtype, eagerly
    and while a graph is built."""
    s = tf.constant(["a"])
    refused = 0
    for name, op in sorted(_REGISTRY.items()):
        if op.strings:
            continue
        inputs = [s] * _arity(op)
        with pytest.raises(tf.errors.InvalidArgumentError) as info:
            execute(op, inputs, {})
        msg = str(info.value)
        assert name in msg and "string" in msg, (name, msg)
        if not isinstance(op, (UnaryOp, BinaryOp)):
            g = FuncGraph("strings")
            with g.as_default():
                p = g.placeholder(tf.string, [1])
                with pytest.raises(tf.errors.InvalidArgumentError) as info:
                    execute(op, [p], {})
                assert name in str(info.value) and "string" in str(info.value), name
        refused += 1
    assert refused > 150       # the registry really was walked


def test_graph_files_store_strings(tmp_path):
    from ember.engine.graph_io import load_graph, save_graph
    words = tf.Variable(["zero", "one", "", "thr\xe9e"], name="words")

    @tf.function(input_signature=[tf.TensorSpec([None], tf.int32)])
    def lookup(i):
        return tf.gather(words, i) + tf.constant(b"\x00!")

    path = save_graph(str(tmp_path / "words.embergraph"), lookup.get_concrete_function())
    got = load_graph(path)(np.array([3, 2, 0], np.int32))
    assert got.numpy().tolist() == ["thr\xe9e".encode() + b"\x00!", b"\x00!", b"zero\x00!"]
