"""RaggedTensor: construction, accessors, dense conversion, indexing, inside functions."""
import numpy as np
import pytest

import ember as tf


def test_constant_and_accessors():
    rt = tf.ragged.constant([[1, 2], [], [3]])
    assert rt.dtype is tf.int32 and rt.shape.as_list() == [3, None] and rt.ragged_rank == 1
    assert rt.to_list() == [[1, 2], [], [3]]
    assert rt.values.numpy().tolist() == [1, 2, 3]
    assert rt.row_splits.numpy().tolist() == [0, 2, 2, 3]
    assert rt.row_splits.dtype is tf.int64
    assert rt.row_lengths().numpy().tolist() == [2, 0, 1]
    assert rt.value_rowids().numpy().tolist() == [0, 0, 2]
    assert int(rt.nrows()) == 3 and len(rt) == 3
    assert rt.bounding_shape().numpy().tolist() == [3, 2]
    assert [r.numpy().tolist() for r in rt] == [[1, 2], [], [3]]
    assert repr(rt) == "<ember.RaggedTensor [[1, 2], [], [3]]>"
    assert [a.tolist() for a in rt.numpy()] == [[1, 2], [], [3]]


def test_nested_and_strings():
    rt = tf.ragged.constant([[["a", "b"], ["c"]], [["d"]]])
    assert rt.ragged_rank == 2 and rt.dtype is tf.string
    assert rt.shape.as_list() == [2, None, None]
    assert rt.flat_values.numpy().tolist() == [b"a", b"b", b"c", b"d"]
    assert [s.numpy().tolist() for s in rt.nested_row_splits] == [[0, 2, 3], [0, 2, 3, 4]]
    assert rt[0].to_list() == [[b"a", b"b"], [b"c"]]
    assert rt.to_tensor().numpy().tolist() == [[[b"a", b"b"], [b"c", b""]],
                                               [[b"d", b""], [b"", b""]]]
    uniform = tf.ragged.constant([[[1, 2], [3, 4]], [[5, 6]]], ragged_rank=1)
    assert uniform.shape.as_list() == [2, None, 2]
    assert uniform.to_tensor(default_value=-1).numpy().tolist() == \
        [[[1, 2], [3, 4]], [[5, 6], [-1, -1]]]


def test_factories_agree():
    want = [[1], [], [2, 3]]
    vals = [1, 2, 3]
    RT = tf.RaggedTensor
    assert RT.from_row_splits(vals, [0, 1, 1, 3]).to_list() == want
    assert RT.from_row_lengths(vals, [1, 0, 2]).to_list() == want
    assert RT.from_value_rowids(vals, [0, 2, 2], nrows=3).to_list() == want
    assert RT.from_row_starts(vals, [0, 1, 1]).to_list() == want
    assert RT.from_row_limits(vals, [1, 1, 3]).to_list() == want
    assert RT.from_uniform_row_length([1, 2, 3, 4], 2).to_list() == [[1, 2], [3, 4]]
    assert RT.from_tensor([[1, 0, 0], [2, 3, 0]], padding=0).to_list() == [[1], [2, 3]]
    assert RT.from_tensor([[1, 9], [2, 3]], lengths=[1, 2]).to_list() == [[1], [2, 3]]
    nested = RT.from_nested_row_lengths([1, 2, 3], [[2, 1], [1, 0, 2]])
    assert nested.to_list() == [[[1], []], [[2, 3]]]
    with pytest.raises(ValueError, match="row_splits"):
        RT.from_row_splits(vals, [0, 2, 1, 3])
    with pytest.raises(ValueError, match="row_splits"):
        RT.from_row_splits(vals, [0, 1, 2])


def test_indexing_and_dense():
    rt = tf.ragged.constant([[1.0, 2.0], [], [3.0, 4.0, 5.0]])
    assert rt[2].numpy().tolist() == [3.0, 4.0, 5.0]
    assert rt[-1].numpy().tolist() == [3.0, 4.0, 5.0]
    assert rt[1:].to_list() == [[], [3.0, 4.0, 5.0]]
    assert rt[:1].to_list() == [[1.0, 2.0]]
    with pytest.raises(IndexError):
        rt[3]
    dense = rt.to_tensor()
    np.testing.assert_array_equal(dense.numpy(), [[1, 2, 0], [0, 0, 0], [3, 4, 5]])
    assert dense.dtype is tf.float32
    assert rt.to_tensor(shape=[3, 2]).numpy().tolist() == [[1, 2], [0, 0], [3, 4]]


def test_ragged_inside_function():
    @tf.function
    def dense(values, splits):
        rt = tf.RaggedTensor.from_row_splits(values, splits)
        return rt.to_tensor(), rt.row_lengths()

    d, lengths = dense(tf.constant(["a", "b", "c"]), tf.constant([0, 2, 3], tf.int64))
    assert d.numpy().tolist() == [[b"a", b"b"], [b"c", b""]]
    assert lengths.numpy().tolist() == [2, 1]


def test_functions_return_ragged_tensors():
    @tf.function
    def words(lines):
        return {"words": tf.strings.split(lines), "n": tf.strings.length(lines),
                "codes": tf.strings.unicode_decode(tf.reshape(lines, [-1, 1]), "UTF-8")}

    out = words(tf.constant(["a b", "c"]))
    assert isinstance(out["words"], tf.RaggedTensor)
    assert out["words"].to_list() == [[b"a", b"b"], [b"c"]]
    assert out["codes"].to_list() == [[[97, 32, 98]], [[99]]]
    again = words(tf.constant(["x y z", "", "q"]))       # other row lengths
    assert again["words"].to_list() == [[b"x", b"y", b"z"], [], [b"q"]]
    assert again["n"].numpy().tolist() == [5, 0, 1]


def test_ragged_functions_inside_function_and_spec():
    @tf.function
    def ranges(starts, limits):
        r = tf.ragged.range(starts, limits)
        return r, tf.ragged.stack([r, tf.ragged.range(limits)]), r * 2

    r, stacked, doubled = ranges(tf.constant([1, 3]), tf.constant([4, 5]))
    assert r.to_list() == [[1, 2, 3], [3, 4]]
    assert stacked.to_list() == [[[1, 2, 3], [3, 4]], [[0, 1, 2, 3], [0, 1, 2, 3, 4]]]
    assert doubled.to_list() == [[2, 4, 6], [6, 8]]
    spec = tf.RaggedTensorSpec.from_value(r)
    assert spec == tf.RaggedTensorSpec([2, None], tf.int32, 1)
    assert spec.is_compatible_with(tf.ragged.constant([[7], [8, 9]]))
    assert not spec.is_compatible_with(tf.ragged.constant([[7.0]]))
    with pytest.raises(NotImplementedError, match="scalar or a RaggedTensor"):
        r + tf.constant([1, 2])


def test_session_run_fetches_ragged_tensors():
    import ember.compat.v1 as v1
    with tf.Graph().as_default():
        lines = v1.placeholder(tf.string, [None])
        words = tf.strings.split(lines)
        with v1.Session() as sess:
            out = sess.run({"words": words, "n": tf.size(lines)}, {lines: ["a b", "c"]})
            assert out["words"].to_list() == [[b"a", b"b"], [b"c"]] and out["n"] == 2
            assert sess.run(words, {lines: ["x y z"]}).to_list() == [[b"x", b"y", b"z"]]


def test_ragged_arguments_are_traced_as_tensors():
    """A RaggedTensor argument enters a trace as placeholders for its flat values and row
    splits: other row lengths reuse the trace, other row counts retrace."""
    @tf.function
    def dense(r):
        return r.to_tensor(), r.row_lengths() * 2

    for i in range(6):
        a, b = dense(tf.ragged.constant([[i] * (i % 3 + 1), [i]]))
        assert a.numpy().tolist() == [[i] * (i % 3 + 1), [i] + [0] * (i % 3)]
        assert b.numpy().tolist() == [2 * (i % 3 + 1), 2]
    assert dense._tracing_count == 1
    assert dense(tf.ragged.constant([[7], [8], [9, 9]]))[0].numpy().tolist() == \
        [[7, 0], [8, 0], [9, 9]]
    assert dense._tracing_count == 2

    @tf.function
    def lengths(words, extra):
        return tf.strings.length(words).flat_values + extra

    assert lengths(tf.strings.split(["a bb", "ccc"]), 1).numpy().tolist() == [2, 3, 4]
    nested = tf.ragged.constant([[[1], [2, 3]], [[4]]])
    assert tf.function(lambda r: r.flat_values * 10)(nested).numpy().tolist() == \
        [10, 20, 30, 40]


def test_unhashable_arguments_never_reuse_a_stale_trace():
    """Unhashable Python arguments are traced by identity; the cache key holds the object,
    so a new object at a freed one's address cannot get the old trace."""
    import gc

    class Box:
        __hash__ = None

        def __init__(self, v):
            self.v = v

    @tf.function
    def plus(box, x):
        return x + box.v

    for i in range(40):
        box = Box(i)
        assert int(plus(box, tf.constant(1))) == i + 1
        del box
        gc.collect()
