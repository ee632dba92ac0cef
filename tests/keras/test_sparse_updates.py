"""Sparse gradients: gather / embedding lookups give IndexedSlices (as TensorFlow), the
backward walker adds and densifies them as TensorFlow does, optimizers and
``Variable.scatter_*`` update only the rows listed; results against NumPy, the dense
gradient and real TF/Keras fixtures (tests/fixtures/sparse/make_sparse_fixtures.py)."""
import importlib.util
import os

import numpy as np
import pytest

import ember
from ember import keras
from ember.compat import v1
from ember.framework.errors import InvalidArgumentError

_HERE = os.path.join(os.path.dirname(__file__), os.pardir, "fixtures", "sparse")
_spec = importlib.util.spec_from_file_location(
    "make_sparse_fixtures", os.path.join(_HERE, "make_sparse_fixtures.py"))
fx = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fx)
DATA = np.load(fx.PATH)


def _table():
    return np.arange(15, dtype=np.float32).reshape(5, 3) / 7.0


# -------------------------------------------------------------------------- gradients ---

@pytest.mark.parametrize("lookup", [
    lambda p, i: ember.gather(p, i),
    lambda p, i: ember.nn.embedding_lookup(p, i),
    lambda p, i: ember.ops.embedding_ops.embedding_lookup_checked(p, i),
    lambda p, i: p.sparse_read(i) if hasattr(p, "sparse_read") else ember.gather(p, i),
], ids=["gather", "embedding_lookup", "embedding_op", "sparse_read"])
@pytest.mark.parametrize("source", ["variable", "tensor"])
def test_lookup_gradient_is_slices_equal_to_dense_gradient(lookup, source):
    ids = np.array([[1, 4, 1], [0, 1, 3]])
    w = np.random.default_rng(0).standard_normal((2, 3, 3)).astype(np.float32)
    p = ember.Variable(_table()) if source == "variable" else ember.constant(_table())
    with ember.GradientTape() as tape:
        if source == "tensor":
            tape.watch(p)
        y = ember.reduce_sum(lookup(p, ember.constant(ids)) * w)
    g = tape.gradient(y, p)
    assert isinstance(g, ember.IndexedSlices)
    assert g.values.shape == (6, 3) and g.indices.numpy().tolist() == ids.reshape(-1).tolist()
    assert g.dense_shape.numpy().tolist() == [5, 3]
    dense = np.zeros((5, 3), np.float32)
    np.add.at(dense, ids.reshape(-1), w.reshape(-1, 3))     # repeated ids sum
    np.testing.assert_allclose(ember.convert_to_tensor(g).numpy(), dense, rtol=1e-6)


def test_lookup_gradient_numerically():
    ids = ember.constant([3, 0, 3])
    theo, num = ember.test.compute_gradient(
        lambda t: ember.gather(t, ids) ** 2, [ember.constant(_table().astype(np.float64))])
    np.testing.assert_allclose(theo[0], num[0], rtol=1e-6, atol=1e-6)


def test_gradients_add_as_tensorflow():
    v = ember.Variable(_table())
    with ember.GradientTape(persistent=True) as tape:
        two_lookups = ember.reduce_sum(ember.gather(v, [1])) + \
            ember.reduce_sum(ember.gather(v, [3, 1]))
        mixed = ember.reduce_sum(ember.gather(v, [1])) + ember.reduce_sum(v * v)
        through_identity = ember.reduce_sum(ember.gather(ember.identity(v), [2]))
        other_axis = ember.reduce_sum(ember.gather(v, [0, 2], axis=1))
    g = tape.gradient(two_lookups, v)          # slices + slices: concatenated
    assert isinstance(g, ember.IndexedSlices)
    assert sorted(g.indices.numpy().tolist()) == [1, 1, 3]
    np.testing.assert_allclose(ember.convert_to_tensor(g).numpy()[1], [2, 2, 2])
    g = tape.gradient(mixed, v)                # slices + dense: dense
    assert not isinstance(g, ember.IndexedSlices)
    want = 2 * _table()
    want[1] += 1
    np.testing.assert_allclose(g.numpy(), want, rtol=1e-6)
    assert isinstance(tape.gradient(through_identity, v), ember.IndexedSlices)
    assert not isinstance(tape.gradient(other_axis, v), ember.IndexedSlices)


def test_slices_densified_for_ops_that_need_dense():
    x = ember.constant(_table())
    with ember.GradientTape() as tape:
        tape.watch(x)
        y = ember.reduce_sum(ember.gather(x * 3.0, [4, 4]))
    g = tape.gradient(y, x)                    # through Mul: dense
    want = np.zeros((5, 3), np.float32)
    want[4] = 6
    np.testing.assert_allclose(g.numpy(), want)


def test_traced_gradient_returns_slices():
    v = ember.Variable(_table())

    @ember.function
    def grad(ids):
        with ember.GradientTape() as tape:
            y = ember.reduce_sum(ember.gather(v, ids) ** 2)
        return tape.gradient(y, v)

    g = grad(ember.constant([0, 0, 2]))
    assert isinstance(g, ember.IndexedSlices)
    want = np.zeros((5, 3), np.float32)
    want[0] = 4 * _table()[0]
    want[2] = 2 * _table()[2]
    np.testing.assert_allclose(ember.convert_to_tensor(g).numpy(), want, rtol=1e-6)


def test_keras_embedding_gradient_is_slices():
    layer = keras.layers.Embedding(6, 2)
    ids = np.array([[1, 1, 5]])
    with ember.GradientTape() as tape:
        y = ember.reduce_sum(layer(ids))
    (g,) = tape.gradient(y, layer.trainable_weights)
    assert isinstance(g, ember.IndexedSlices)
    np.testing.assert_array_equal(ember.convert_to_tensor(g).numpy()[:, 0], [0, 2, 0, 0, 0, 1])


def test_clipping_slices_keeps_slices():
    s = ember.IndexedSlices(ember.constant([[3.0, 4.0]]), ember.constant([1]),
                            ember.constant([3, 2]))
    c = ember.clip_by_norm(s, 1.0)
    assert isinstance(c, ember.IndexedSlices)
    np.testing.assert_allclose(c.values.numpy(), [[0.6, 0.8]], rtol=1e-6)
    clipped, norm = ember.clip_by_global_norm([s, ember.constant([0.0])], 2.5)
    assert float(norm) == pytest.approx(5.0)
    np.testing.assert_allclose(clipped[0].values.numpy(), [[1.5, 2.0]], rtol=1e-6)


# ------------------------------------------------------------------ Variable.scatter_* ---

def _ref(kind, idx, upd):
    out = _table()
    f = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide,
         "min": np.minimum, "max": np.maximum}
    if kind == "update":
        out[idx] = upd
    else:
        f[kind].at(out, idx, upd)
    return out


@pytest.mark.parametrize("kind", ["update", "add", "sub", "mul", "div", "min", "max"])
@pytest.mark.parametrize("traced", [False, True], ids=["eager", "traced"])
def test_variable_scatter_matches_numpy(kind, traced):
    idx = np.array([3, 0, 3] if kind != "update" else [3, 0])
    upd = np.random.default_rng(1).uniform(0.5, 2.0, (idx.size, 3)).astype(np.float32)
    v = ember.Variable(_table())
    before = v.read_value()

    def run(i, u):
        getattr(v, f"scatter_{kind}")(ember.IndexedSlices(u, i))
    if traced:
        run = ember.function(run)
    run(ember.constant(idx), ember.constant(upd))
    np.testing.assert_allclose(v.numpy(), _ref(kind, idx, upd), rtol=1e-6)
    np.testing.assert_array_equal(before.numpy(), _table())     # earlier reads: snapshots


@pytest.mark.parametrize("traced", [False, True], ids=["eager", "traced"])
def test_variable_scatter_nd_and_batch_update(traced):
    v = ember.Variable(_table())

    def run():
        v.scatter_nd_add(ember.constant([[4, 2], [4, 2], [0, 0]]),
                         ember.constant([1.0, 2.0, 5.0]))
        v.scatter_nd_update(ember.constant([[1]]), ember.constant([[9.0, 9.0, 9.0]]))
        v.scatter_nd_sub(ember.constant([[2, 1]]), ember.constant([1.0]))
    (ember.function(run) if traced else run)()
    want = _table()
    want[4, 2] += 3
    want[0, 0] += 5
    want[1] = 9
    want[2, 1] -= 1
    np.testing.assert_allclose(v.numpy(), want, rtol=1e-6)
    b = ember.Variable([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    b.batch_scatter_update(ember.IndexedSlices(ember.constant([[9.0], [8.0]]),
                                               ember.constant([[2], [0]])))
    np.testing.assert_array_equal(b.numpy(), [[1, 2, 9], [8, 5, 6]])


def test_variable_scatter_errors():
    v = ember.Variable(_table())
    with pytest.raises(InvalidArgumentError, match=r"scatter_add.*index 5 is not in \[0, 5\)"):
        v.scatter_add(ember.IndexedSlices(ember.ones([1, 3]), ember.constant([5])))
    with pytest.raises(InvalidArgumentError, match="updates of shape"):
        v.scatter_update(ember.IndexedSlices(ember.ones([2, 2]), ember.constant([0, 1])))
    with pytest.raises(TypeError, match="IndexedSlices"):
        v.scatter_add(ember.ones([5, 3]))
    np.testing.assert_array_equal(v.numpy(), _table())


# -------------------------------------------------------------------------- optimizers ---

OPTIMIZERS = {
    "sgd": lambda: keras.optimizers.SGD(0.1),
    "sgd_momentum": lambda: keras.optimizers.SGD(0.1, momentum=0.9),
    "nesterov": lambda: keras.optimizers.SGD(0.1, momentum=0.9, nesterov=True),
    "adam": lambda: keras.optimizers.Adam(0.1),
    "adam_amsgrad": lambda: keras.optimizers.Adam(0.1, amsgrad=True),
    "adamw": lambda: keras.optimizers.AdamW(0.1),
    "rmsprop": lambda: keras.optimizers.RMSprop(0.1),
    "rmsprop_centered": lambda: keras.optimizers.RMSprop(0.1, centered=True),
    "rmsprop_momentum": lambda: keras.optimizers.RMSprop(0.1, momentum=0.5),
    "adagrad": lambda: keras.optimizers.Adagrad(0.1),
    "adadelta": lambda: keras.optimizers.Adadelta(1.0),
    "adamax": lambda: keras.optimizers.Adamax(0.1),
    "nadam": lambda: keras.optimizers.Nadam(0.1),
    "ftrl": lambda: keras.optimizers.Ftrl(0.1),
    "lion": lambda: keras.optimizers.Lion(0.1),
    "lamb": lambda: keras.optimizers.Lamb(0.1),
    "sgd_clipnorm": lambda: keras.optimizers.SGD(0.1, clipnorm=0.5),
    "loss_scale_sgd": lambda: keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(0.1)),
}
STEPS = [[1, 3, 1, 0], [2, 2, 2, 2], [1, 3, 4, 0]]


def _train(make, sparse, compiled):
    v = ember.Variable(_table())
    opt = make()

    def step(g):
        opt.apply_gradients([(g, v)])
    if compiled:
        step = ember.function(step)
    for s, idx in enumerate(STEPS):
        vals = np.arange(1, 5, dtype=np.float32)[:, None] * np.ones((1, 3), np.float32)
        g = ember.IndexedSlices(ember.constant(vals * (s + 1)), ember.constant(idx),
                                ember.constant([5, 3]))
        step(g if sparse else ember.convert_to_tensor(g))
    return v.numpy()


@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "compiled"])
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_sparse_update_equals_dense_update(name, compiled):
    np.testing.assert_allclose(_train(OPTIMIZERS[name], True, compiled),
                               _train(OPTIMIZERS[name], False, compiled), rtol=2e-6, atol=2e-6)


def _update_kinds(make):
    v = ember.Variable(_table())
    opt = make()

    @ember.function
    def step(g):
        opt.apply_gradients([(g, v)])
    g = ember.IndexedSlices(ember.ones([2, 3]), ember.constant([1, 3]), ember.constant([5, 3]))
    graph = step.get_concrete_function(g).graph
    return [op.node_def_attrs["kind"] if hasattr(op, "node_def_attrs") else op.attrs["kind"]
            for op in graph.get_operations() if op.type == "AssignVariable" and
            op.attrs["variable"] is v]


@pytest.mark.parametrize("name,kinds", [
    ("sgd", ["scatter_sub"]), ("adagrad", ["scatter_sub"]), ("rmsprop", ["scatter_sub"]),
    ("sgd_momentum", ["assign_add"]), ("adam", ["assign_sub"]),
])
def test_which_optimizers_update_rows_only(name, kinds):
    """As Keras 3 with TensorFlow: SGD without momentum, Adagrad and RMSprop without
    momentum write the variable's listed rows only; the others update every row (their
    moments decay for rows without gradient)."""
    assert _update_kinds(OPTIMIZERS[name]) == kinds


def test_sparse_step_leaves_other_rows_untouched():
    v = ember.Variable(_table())
    opt = keras.optimizers.Adagrad(0.5)
    opt.apply_gradients([(ember.IndexedSlices(ember.ones([2, 3]), ember.constant([1, 1]),
                                              ember.constant([5, 3])), v)])
    after = v.numpy()
    np.testing.assert_array_equal(np.delete(after, 1, axis=0), np.delete(_table(), 1, axis=0))
    acc = opt.variables[-1].numpy() if opt.variables[-1].shape == (5, 3) else None
    if acc is not None:
        np.testing.assert_allclose(acc[1], 0.1 + 4.0)      # repeated rows summed first


@pytest.mark.parametrize("name", sorted(fx.KERAS_CASES))
@pytest.mark.parametrize("run_eagerly", [False, True], ids=["compiled", "eager"])
def test_embedding_model_trains_as_keras(name, run_eagerly):
    cls, kwargs = fx.KERAS_CASES[name]
    model = fx.build_model(keras)
    model.compile(getattr(keras.optimizers, cls)(**kwargs), "mse", run_eagerly=run_eagerly)
    x, y = fx.keras_data()
    hist = model.fit(x, y, batch_size=fx.BATCH, epochs=2, shuffle=False, verbose=0)
    np.testing.assert_allclose(hist.history["loss"], DATA[f"keras/{name}/loss"], rtol=1e-5)
    for i, w in enumerate(model.get_weights()):
        np.testing.assert_allclose(w, DATA[f"keras/{name}/w{i}"], rtol=1e-5, atol=1e-6)


# --------------------------------------------------------------- compat.v1 optimizers ---

def _v1_grad(step):
    idx, _ = fx.V1_STEPS[step]
    return ember.IndexedSlices(ember.constant(fx.v1_values(step)), ember.constant(idx),
                               ember.constant([5, 3]))


@pytest.mark.parametrize("name", sorted(fx.V1_CASES))
def test_v1_sparse_updates_equal_tensorflow(name):
    opt = fx.V1_CASES[name](v1.train)
    var = ember.Variable(fx.v1_initial())
    for step in range(len(fx.V1_STEPS)):
        opt.apply_gradients([(_v1_grad(step), var)])
    np.testing.assert_allclose(var.numpy(), DATA[f"v1/{name}"], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", ["momentum", "rmsprop_centered_momentum", "adagrad"])
def test_v1_sparse_updates_in_a_session(name):
    g = ember.Graph()
    with g.as_default():
        var = ember.Variable(fx.v1_initial())
        opt = fx.V1_CASES[name](v1.train)
        train = [opt.apply_gradients([(_v1_grad(step), var)])
                 for step in range(len(fx.V1_STEPS))]
        init = v1.global_variables_initializer()
    with v1.Session(graph=g) as sess:
        sess.run(init)
        for op in train:
            sess.run(op)
        got = sess.run(var)
    np.testing.assert_allclose(got, DATA[f"v1/{name}"], rtol=1e-5, atol=1e-6)
