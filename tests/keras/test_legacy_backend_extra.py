"""tf.keras backend functions beyond tests/keras/test_legacy_backend.py: CTC, locally
connected products and normalize_batch_in_training against real tf.keras (fixture:
tests/fixtures/legacy_backend_extra), and the learning phase, function and placeholder."""
import importlib.util
import json
import os

import numpy as np
import pytest

import ember
from ember import keras

K = keras.backend
HERE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "legacy_backend_extra")
_spec = importlib.util.spec_from_file_location("legacy_backend_extra_cases",
                                               os.path.join(HERE, "extra_cases.py"))
_cases = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_cases)
DATA = np.load(os.path.join(HERE, "extra_cases.npz"))
META = json.loads(str(DATA["__meta__"]))


def _flat(out):
    if isinstance(out, (list, tuple)):
        return [a for o in out for a in _flat(o)]
    return [np.asarray(out.numpy() if hasattr(out, "numpy") else out)]


@pytest.mark.parametrize("case", _cases.CASES, ids=[c[0] for c in _cases.CASES])
def test_against_tf_keras(case):
    id_, fn, inputs, kwargs = case
    args = [ember.constant(DATA[f"{id_}/in{i}"]) if f"{id_}/in{i}" in DATA.files else v
            for i, v in enumerate(inputs)]
    outs = _flat(getattr(K, fn)(*args, **kwargs))
    assert len(outs) == META[id_]
    for k, got in enumerate(outs):
        want = DATA[f"{id_}/out{k}"]
        assert got.shape == want.shape, (id_, k, got.shape, want.shape)
        if want.dtype.kind in "biu":
            np.testing.assert_array_equal(got, want, err_msg=id_)
        else:
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5, err_msg=id_)


def test_learning_phase_function_and_placeholder():
    assert K.learning_phase() == 0
    with K.learning_phase_scope(1):
        assert K.learning_phase() == 1
        assert K.in_train_phase(lambda: 1.0, 2.0) == 1.0
    assert K.in_train_phase(1.0, lambda: 2.0) == 2.0
    assert K.in_test_phase(1.0, 2.0, training=True) == 2.0
    with pytest.raises(ValueError, match="0 or 1"):
        K.set_learning_phase(3)
    x = np.random.RandomState(0).randn(4, 3).astype("float32")
    inp = K.placeholder(shape=(None, 3))
    f = K.function([inp], [K.sum(K.square(inp), axis=1)])
    np.testing.assert_allclose(f([x])[0], (x ** 2).sum(1), rtol=1e-5)
    assert K.random_binomial((3,), p=1.0).numpy().tolist() == [1.0, 1.0, 1.0]
