"""sparse=True on the categorical preprocessing layers: an ember SparseTensor whose dense
form equals the layer's dense output, eagerly, traced and in a Dataset map."""
import numpy as np
import pytest

import ember
from ember import keras

L = keras.layers
INTS = np.array([[1, 2, 2], [0, 3, 3], [4, 4, 4]])
TEXT = ["the cat sat", "a dog", "the the cat"]


def _adapted_text(**kwargs):
    layer = L.TextVectorization(**kwargs)
    layer.adapt(TEXT)
    return layer


CASES = {
    "category_count": (lambda s: L.CategoryEncoding(6, "count", sparse=s), INTS),
    "category_multi_hot": (lambda s: L.CategoryEncoding(6, sparse=s), INTS),
    "category_one_hot": (lambda s: L.CategoryEncoding(6, "one_hot", sparse=s), INTS[:, 0]),
    "hashing_count": (lambda s: L.Hashing(5, output_mode="count", sparse=s), INTS),
    "hashed_crossing": (lambda s: L.HashedCrossing(7, output_mode="one_hot", sparse=s),
                        (INTS[:, 0], INTS[:, 1])),
    "discretization": (lambda s: L.Discretization([1.5, 3.5], output_mode="count",
                                                  sparse=s), INTS.astype("float32")),
    "integer_lookup": (lambda s: L.IntegerLookup(vocabulary=[4, 2, 3], output_mode="count",
                                                 sparse=s), INTS),
    "string_lookup": (lambda s: L.StringLookup(vocabulary=["a", "b"], output_mode="multi_hot",
                                               sparse=s), [["a", "z", "a"], ["b", "b", "b"]]),
    "text_tf_idf": (lambda s: _adapted_text(output_mode="tf_idf", sparse=s), TEXT),
    "text_count_ngrams": (lambda s: _adapted_text(output_mode="count", ngrams=2, sparse=s),
                          TEXT + ["cat sat the"]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_sparse_equals_dense(name):
    make, x = CASES[name]
    dense = make(False)(x)
    sparse_layer = make(True)
    out = sparse_layer(x)
    assert isinstance(out, ember.sparse.SparseTensor), type(out)
    got = ember.sparse.to_dense(out).numpy()
    np.testing.assert_allclose(got, dense.numpy(), rtol=1e-6)
    assert out.values.shape[0] == np.count_nonzero(dense.numpy())
    assert sparse_layer.get_config()["sparse"] is True
    if name in ("category_count", "text_tf_idf"):
        traced = ember.function(lambda t: ember.sparse.to_dense(sparse_layer(t)))
        np.testing.assert_allclose(traced(ember.constant(x)).numpy(), dense.numpy(), rtol=1e-6)


def test_sparse_in_a_dataset_map():
    layer = L.CategoryEncoding(6, "multi_hot", sparse=True)
    ds = ember.data.Dataset.from_tensor_slices(INTS).batch(2).map(
        lambda t: ember.sparse.to_dense(layer(t)))
    got = np.concatenate([b.numpy() for b in ds])
    np.testing.assert_array_equal(got, L.CategoryEncoding(6)(INTS).numpy())


@pytest.mark.parametrize("make", [
    lambda: L.Hashing(5, sparse=True), lambda: L.StringLookup(sparse=True),
    lambda: L.HashedCrossing(3, sparse=True), lambda: L.TextVectorization(sparse=True),
    lambda: L.Discretization([0.5], sparse=True)])
def test_sparse_int_output_is_rejected(make):
    with pytest.raises(ValueError, match="sparse"):
        make()
