"""keras.ops beyond the value table: Keras's promotion lattice against every dtype pair,
control flow (eagerly and traced), custom gradients, and a custom layer and train_step
written only with keras.ops training under fit."""
import json
import os

import numpy as np
import pytest

import ember
from ember import keras
from ember.keras import ops

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "keras_ops",
                       "keras_ops.npz")


def test_result_type_matches_keras_for_every_pair():
    table = json.loads(str(np.load(FIXTURE)["__result_type__"]))
    py = {"int": int, "float": float, "bool": bool}
    wrong = {k: (ops.result_type(*(py.get(n, n) for n in k.split(","))), v)
             for k, v in table.items()
             if ops.result_type(*(py.get(n, n) for n in k.split(","))) != v}
    assert len(table) == 15 * 15
    assert not wrong


def test_binary_ops_promote_like_keras():
    i = ops.arange(3)
    assert ops.dtype(i) == "int32"
    assert ops.dtype(ops.add(i, ops.ones(3))) == "float32"
    assert ops.dtype(ops.add(ops.ones(3, "float16"), 2.0)) == "float16"
    assert ops.dtype(ops.add(ops.ones(3, "int8"), 2)) == "int8"
    assert ops.dtype(ops.divide(i, 2)) == "float32"
    np.testing.assert_allclose(ops.convert_to_numpy(ops.add(i, 0.5)), [0.5, 1.5, 2.5])


def test_shape_is_a_tuple_and_dynamic_dims_are_tensors():
    assert ops.shape(ops.zeros((2, 3))) == (2, 3)
    seen = []

    @ember.function(input_signature=[ember.TensorSpec([None, 3], "float32")])
    def f(x):
        s = ops.shape(x)
        seen.append(s)
        return ops.reshape(x, (s[0] * 3,))

    assert f(ember.ones([2, 3])).shape == (6,)
    assert seen[0][1] == 3 and ember.is_tensor(seen[0][0])


def test_control_flow_eager_and_traced():
    def run(x):
        total = ops.fori_loop(0, 4, lambda i, v: v + ops.cast(i, "float32") * x, ops.zeros(()))
        n = ops.while_loop(lambda k, v: k < 5, lambda k, v: (k + 1, v * 2.0), (0, x))[1]
        c = ops.cond(x > 0, lambda: x + 1.0, lambda: x - 1.0)
        carry, ys = ops.scan(lambda c_, e: (c_ + e, c_ * e), 0.0, ops.arange(1.0, 4.0))
        m = ops.map(lambda r: ops.sum(r), ops.reshape(ops.arange(6.0), (3, 2)))
        s = ops.switch(2, [lambda a: a, lambda a: a * 2, lambda a: a * 3], x)
        a = ops.associative_scan(lambda p, q: p + q, ops.arange(1.0, 5.0))
        v = ops.vectorized_map(lambda r: r * r, ops.arange(3.0))
        return total, n, c, carry, ys, m, s, a, v

    expected = [6 * 1.5, 1.5 * 32, 2.5, 6.0, [0.0, 2.0, 9.0], [1.0, 5.0, 9.0], 4.5,
                [1.0, 3.0, 6.0, 10.0], [0.0, 1.0, 4.0]]
    x = ops.convert_to_tensor(1.5)
    for out in (run(x), ember.function(run)(x)):
        for got, want in zip(out, expected):
            np.testing.assert_allclose(ops.convert_to_numpy(got), want, rtol=1e-6)


def test_custom_gradient_and_stop_gradient():
    @ops.custom_gradient
    def clipped_identity(x):
        def grad(*args, upstream=None):
            if upstream is None:
                (upstream,) = args
            return ops.clip(upstream, -0.5, 0.5)
        return x, grad

    x = ember.constant([1.0, 2.0])
    with ember.GradientTape() as tape:
        tape.watch(x)
        y = ops.sum(clipped_identity(x) * 3.0) + ops.sum(ops.stop_gradient(x) * 5.0)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [0.5, 0.5])


def test_sparsemax_projects_onto_the_simplex():
    # Keras 3.15's TF sparsemax returns rows that do not sum to 1, so this compares with
    # the definition: the closest point of the simplex, found here by a NumPy bisection.
    rng = np.random.default_rng(0)
    z = rng.standard_normal((4, 5)).astype("float32")
    got = ops.convert_to_numpy(ops.sparsemax(z))
    for row, out in zip(z, got):
        lo, hi = row.min() - 1, row.max()
        for _ in range(100):
            tau = (lo + hi) / 2
            lo, hi = (tau, hi) if np.maximum(row - tau, 0).sum() > 1 else (lo, tau)
        np.testing.assert_allclose(out, np.maximum(row - tau, 0), atol=1e-5)


def test_not_implemented_names_say_so():
    # every keras.ops name is built now; the helper still names what is missing
    assert ops.NOT_IMPLEMENTED == ()
    from ember.keras.ops.numpy import _NOT_DONE, _missing
    fn = _missing("some_op", "for a reason")
    _NOT_DONE.remove("some_op")
    with pytest.raises(NotImplementedError, match="keras.ops.some_op .*for a reason"):
        fn(1)


def test_istft_inverts_stft_and_elastic_transform_moves_pixels():
    x = np.random.RandomState(0).randn(2, 64).astype("float32")
    for window in ("hann", "hamming"):
        spec = ops.stft(x, 16, 4, 16, window=window, center=False)
        y = ops.istft(spec, 16, 4, 16, window=window, center=False)
        np.testing.assert_allclose(y.numpy()[:, 12:52], x[:, 12:52], atol=1e-5)
    img = np.random.RandomState(1).rand(1, 8, 8, 1).astype("float32")
    same = ops.image.elastic_transform(img, alpha=0.0, sigma=2.0, seed=1)
    np.testing.assert_allclose(same.numpy(), img, atol=1e-6)
    moved = ops.image.elastic_transform(img, alpha=3.0, sigma=2.0, seed=1)
    again = ops.image.elastic_transform(img, alpha=3.0, sigma=2.0, seed=1)
    assert moved.shape == img.shape and np.abs(moved.numpy() - img).max() > 1e-3
    np.testing.assert_array_equal(moved.numpy(), again.numpy())    # seeded
    with pytest.raises(ValueError, match="fill_mode"):
        ops.image.affine_transform(img, np.eye(3).ravel()[:8], fill_mode="mirror")


def test_functional_model_with_ops_on_keras_tensors():
    inp = keras.Input((4,))
    out = ops.mean(ops.square(inp), axis=-1, keepdims=True)
    model = keras.Model(inp, out)
    x = np.arange(8, dtype="float32").reshape(2, 4)
    np.testing.assert_allclose(model.predict(x, verbose=0), (x ** 2).mean(-1, keepdims=True),
                               rtol=1e-6)


class OpsDense(keras.layers.Layer):
    """A dense layer written only with keras.ops."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units),
                                 initializer="glorot_uniform", name="w")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="b")

    def call(self, x):
        return ops.add(ops.matmul(x, self.w), self.b)


class OpsModel(keras.Model):
    """A model whose train_step is written only with keras.ops."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = OpsDense(16)
        self.out = OpsDense(3)

    def call(self, x):
        return self.out(ops.relu(self.hidden(x)))

    def train_step(self, data):
        x, y = data
        with ember.GradientTape() as tape:
            logits = self(x, training=True)
            loss = ops.mean(ops.sparse_categorical_crossentropy(y, logits, from_logits=True))
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        # a key other than the compiled "loss" tracker's: fit reports the last step's value
        return {"xent": loss}


@pytest.mark.parametrize("run_eagerly", [False, True])
def test_custom_layer_and_train_step_train_under_fit(run_eagerly):
    keras.utils.set_random_seed(3)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((96, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int32") + (x[:, 1] > 0.5).astype("int32")
    model = OpsModel()
    model.compile(optimizer=keras.optimizers.Adam(0.02), run_eagerly=run_eagerly)
    history = model.fit(x, y, batch_size=32, epochs=8, verbose=0)
    losses = history.history["xent"]
    assert losses[-1] < 0.6 * losses[0], losses


def test_jvp_vectorize_and_argpartition():
    x = np.array([0.3, -1.2, 2.0], "float32")
    t = np.array([1.0, 0.5, -2.0], "float32")
    out, tangent = ops.linalg.jvp(lambda v: ops.sin(v) * v, (x,), (t,))
    np.testing.assert_allclose(out.numpy(), np.sin(x) * x, rtol=1e-6)
    np.testing.assert_allclose(tangent.numpy(), (np.cos(x) * x + np.sin(x)) * t, rtol=1e-5)
    doubled = ops.vectorize(lambda r: ops.sum(r) * 2.0)(np.arange(6.0, dtype="float32")
                                                        .reshape(3, 2))
    np.testing.assert_allclose(doubled.numpy(), [2.0, 10.0, 18.0])
    v = np.array([5.0, 1.0, 4.0, 2.0, 3.0], "float32")
    idx = ops.convert_to_numpy(ops.argpartition(v, 2))
    assert sorted(idx.tolist()) == list(range(5))
    assert (v[idx[:2]] <= v[idx[2]]).all() and (v[idx[3:]] >= v[idx[2]]).all()


def test_lu_factor_reconstructs_batched_matrices():
    # Keras's TensorFlow backend refuses batches; ember factors each matrix
    a = np.random.default_rng(4).standard_normal((2, 4, 4)).astype("float32")
    lu, p = ops.lu_factor(a)
    lu, p = lu.numpy(), p.numpy()
    for m, f, perm in zip(a, lu, p):
        low = np.tril(f, -1) + np.eye(4)
        up = np.triu(f)
        np.testing.assert_allclose((low @ up)[perm], m, atol=1e-5)
        assert (np.abs(np.tril(f, -1)) <= 1 + 1e-6).all()


def test_ops_with_dynamic_batch_in_functional_models():
    inp = keras.Input((4, 6))
    builders = [
        lambda t: ops.quantile(t, [0.2, 0.5], axis=-1, keepdims=True),
        lambda t: ops.nanmedian(t, axis=(1, 2)),
        lambda t: ops.fft((t, ops.zeros_like(t)))[1],
        lambda t: ops.adaptive_max_pool(ops.expand_dims(t, -1), (2, 3)),   # two concats
        lambda t: ops.rearrange(t, "b h w -> b (w h)"),
    ]
    x = np.random.default_rng(0).standard_normal((2, 4, 6)).astype("float32")
    for build in builders:
        model = keras.Model(inp, build(inp))
        np.testing.assert_allclose(model.predict(x, verbose=0),
                                   ops.convert_to_numpy(build(x)), rtol=1e-5, atol=1e-6)
