"""tf.keras's legacy keras.backend functions against real tf.keras (tf_keras) results
(tests/fixtures/keras_backend), plus variables, the learning phase and rnn."""
import json
import os
import sys

import numpy as np
import pytest

import ember
from ember import keras

HERE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "keras_backend")
sys.path.insert(0, HERE)
from backend_cases import CASES  # noqa: E402

DATA = np.load(os.path.join(HERE, "keras_backend.npz"))
META = json.loads(str(DATA["__meta__"]))
K = keras.backend


def _flat(out):
    if isinstance(out, (list, tuple)):
        items = []
        for o in out:
            items.extend(_flat(o))
        return items
    return [np.asarray(out.numpy() if hasattr(out, "numpy") else out)]


def _args(id_, inputs):
    return [ember.constant(DATA[f"{id_}/in{i}"]) if f"{id_}/in{i}" in DATA.files else v
            for i, v in enumerate(inputs)]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_against_tf_keras(case):
    id_, fn, inputs, kwargs = case
    outs = _flat(getattr(K, fn)(*_args(id_, inputs), **kwargs))
    assert len(outs) == META[id_], f"{id_}: {len(outs)} outputs, tf.keras gives {META[id_]}"
    for k, got in enumerate(outs):
        want = DATA[f"{id_}/out{k}"]
        assert got.shape == want.shape, f"{id_} output {k}: {got.shape} vs {want.shape}"
        if want.dtype.kind in "biu":
            np.testing.assert_array_equal(got, want, err_msg=id_)
        else:
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5, err_msg=id_)


def test_variables_values_and_updates():
    v = K.variable([[1.0, 2.0]], name="v")
    assert K.dtype(v) == "float32" and K.int_shape(v) == (1, 2) and K.ndim(v) == 2
    K.set_value(v, [[3.0, 4.0]])
    K.update_add(v, [[1.0, 1.0]])
    K.update_sub(v, [[0.5, 0.5]])
    np.testing.assert_array_equal(K.get_value(v), [[3.5, 4.5]])
    K.batch_set_value([(v, [[0.0, 1.0]])])
    assert K.batch_get_value([v])[0].tolist() == [[0.0, 1.0]]
    K.moving_average_update(v, [[10.0, 10.0]], 0.9)
    np.testing.assert_allclose(K.eval(v), [[1.0, 1.9]], rtol=1e-6)
    assert K.count_params(K.zeros((3, 4))) == 12
    np.testing.assert_array_equal(K.eval(K.eye(2)), np.eye(2))
    assert K.cast_to_floatx([1, 2]).dtype == np.float32
    with pytest.raises(NotImplementedError, match="GradientTape"):
        K.gradients(v, [v])


def test_learning_phase_and_train_test_switch():
    assert K.learning_phase() == 0
    with K.learning_phase_scope(1):
        assert K.learning_phase() == 1
        assert K.in_train_phase(lambda: 1.0, 2.0) == 1.0
    assert K.in_train_phase(1.0, lambda: 2.0) == 2.0
    assert K.in_test_phase(1.0, 2.0, training=True) == 2.0
    with pytest.raises(ValueError, match="0 or 1"):
        K.set_learning_phase(3)


def test_rnn_function_placeholder():
    x = np.random.RandomState(0).randn(2, 4, 3).astype("float32")
    w = np.random.RandomState(1).randn(3, 2).astype("float32")

    def step(inp, states):
        h = ember.tanh(ember.matmul(inp, w) + states[0])
        return h, [h]

    last, outputs, states = K.rnn(step, ember.constant(x), [ember.zeros([2, 2])])
    h = np.zeros((2, 2), "float32")
    expect = []
    for t in range(4):
        h = np.tanh(x[:, t] @ w + h)
        expect.append(h)
    np.testing.assert_allclose(outputs.numpy(), np.stack(expect, 1), rtol=1e-5)
    np.testing.assert_allclose(last.numpy(), expect[-1], rtol=1e-5)
    mask = np.array([[1, 1, 0, 0], [1, 1, 1, 1]], bool)
    last_m, _, states_m = K.rnn(step, ember.constant(x), [ember.zeros([2, 2])], mask=mask)
    np.testing.assert_allclose(states_m[0].numpy()[1], expect[-1][1], rtol=1e-5)
    np.testing.assert_allclose(last_m.numpy()[0],
                               np.tanh(x[0, 1] @ w + np.tanh(x[0, 0] @ w)), rtol=1e-5)
    inp = K.placeholder(shape=(None, 3))
    f = K.function([inp], [K.sum(K.square(inp), axis=1)])
    np.testing.assert_allclose(f([x[:, 0]])[0], (x[:, 0] ** 2).sum(1), rtol=1e-5)
