"""ember.lookup (tf.lookup) against real TensorFlow (tests/fixtures/lookup)."""
import os
import sys

import numpy as np
import pytest

import ember

HERE = os.path.join(os.path.dirname(__file__), "fixtures", "lookup")
sys.path.insert(0, HERE)
from make_lookup_fixtures import INTS, LINES, WORDS, cases  # noqa: E402

FIX = np.load(os.path.join(HERE, "lookup.npz"))
GOT = {k: v for k, v in cases(ember).items()}


@pytest.mark.parametrize("name", sorted(FIX.files))
def test_matches_tensorflow(name):
    got = np.asarray(GOT[name].numpy())
    if got.dtype == object:
        got = got.astype(str)
    want = FIX[name]
    assert got.shape == want.shape
    if want.dtype.kind == "f":
        np.testing.assert_allclose(got, want)
    else:
        np.testing.assert_array_equal(got, want)


def test_hash_table_traced_ragged_sparse_dataset():
    init = ember.lookup.KeyValueTensorInitializer(["a", "b"], [1.5, 2.5])
    table = ember.lookup.StaticHashTable(init, -1.0)
    traced = ember.function(lambda k: table.lookup(k))
    np.testing.assert_array_equal(traced(ember.constant(["b", "q"])).numpy(), [2.5, -1.0])
    assert table.lookup(ember.ragged.constant([["a"], ["x", "b"]])).to_list() == \
        [[1.5], [-1.0, 2.5]]
    sparse = ember.sparse.from_dense(ember.constant([["a", ""], ["", "b"]]))
    np.testing.assert_array_equal(table.lookup(sparse).values.numpy(), [1.5, 2.5])
    ds = ember.data.Dataset.from_tensor_slices(["a", "q"]).map(table.lookup)
    assert [float(v) for v in ds.as_numpy_iterator()] == [1.5, -1.0]
    keys, values = table.export()
    assert sorted(keys.numpy().tolist()) == [b"a", b"b"] and int(table.size()) == 2
    vocab = ember.lookup.StaticVocabularyTable(
        ember.lookup.KeyValueTensorInitializer(["a"], ember.constant([0], "int64")), 2)
    assert int(vocab.size()) == 3


def test_errors():
    with pytest.raises(ValueError, match="same length"):
        ember.lookup.KeyValueTensorInitializer(["a", "b"], [1])
    init = ember.lookup.KeyValueTensorInitializer(["a"], [1])
    with pytest.raises(TypeError, match="keys must be string"):
        ember.lookup.StaticHashTable(init, 0).lookup(ember.constant([1]))
    with pytest.raises(ValueError, match="num_oov_buckets"):
        ember.lookup.StaticVocabularyTable(init, 0)
    with pytest.raises(TypeError, match="int64"):
        ember.lookup.StaticVocabularyTable(init, 2)
    with pytest.raises(ValueError, match="line number"):
        ember.lookup.TextFileInitializer("x", "string", -1, "int64", -2)
    assert LINES and WORDS and INTS
