"""tf.sparse.cross / cross_hashed and tf.ragged.cross / cross_hashed give TensorFlow's
crosses and hashes (fixture made by tests/fixtures/cross/make_cross.py)."""
import importlib.util
import json
import os

import pytest

import ember as tf

_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures", "cross")
_spec = importlib.util.spec_from_file_location("cross_cases", os.path.join(_DIR, "cases.py"))
_cases = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_cases)
with open(os.path.join(_DIR, "cross.json")) as _f:
    REF = json.load(_f)
GOT = _cases.cases(tf)


@pytest.mark.parametrize("name", sorted(REF))
def test_matches_tensorflow(name):
    assert GOT[name] == REF[name]


def test_traced_and_errors():
    f = tf.function(lambda a, b: tf.sparse.cross_hashed([a, b], num_buckets=100).values)
    a = tf.constant([["x", "y"], ["z", "w"]])
    b = tf.constant([[1], [2]], tf.int64)
    assert f(a, b).numpy().tolist() == \
        tf.sparse.cross_hashed([a, b], num_buckets=100).values.numpy().tolist()
    with pytest.raises(ValueError, match="2-D"):
        tf.sparse.cross([tf.constant(["a", "b"])])
    with pytest.raises(ValueError, match="non-empty"):
        tf.sparse.cross([])
