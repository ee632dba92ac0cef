"""keras.random, keras.config, keras.tree, the added keras.utils names and the top-level
Keras 3 classes."""
import logging

import numpy as np
import pytest

import ember
from ember import keras


# ---------------------------------------------------------------- keras.random
def test_int_seed_is_stateless_and_generator_advances():
    r = keras.random
    a = r.normal((4,), seed=7).numpy()
    np.testing.assert_array_equal(a, r.normal((4,), seed=7).numpy())
    gen = r.SeedGenerator(7)
    x, y = r.uniform((4,), seed=gen).numpy(), r.uniform((4,), seed=gen).numpy()
    assert not np.allclose(x, y)
    gen2 = r.SeedGenerator(7)
    np.testing.assert_array_equal(x, r.uniform((4,), seed=gen2).numpy())


def test_generator_advances_inside_a_traced_function():
    gen = keras.random.SeedGenerator(3)
    f = ember.function(lambda: keras.random.normal((3,), seed=gen))
    a, b = f().numpy(), f().numpy()
    assert not np.allclose(a, b)


def test_global_draws_follow_set_random_seed():
    keras.utils.set_random_seed(11)
    a = [keras.random.normal((3,)).numpy() for _ in range(2)]
    keras.utils.set_random_seed(11)
    b = [keras.random.normal((3,)).numpy() for _ in range(2)]
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.allclose(a[0], a[1])


def test_distributions_have_the_right_moments():
    r = keras.random
    n = 20000
    u = r.uniform((n,), minval=2.0, maxval=4.0, seed=1).numpy()
    assert u.min() >= 2 and u.max() < 4 and abs(u.mean() - 3) < 0.03
    z = r.normal((n,), mean=1.0, stddev=2.0, seed=2).numpy()
    assert abs(z.mean() - 1) < 0.06 and abs(z.std() - 2) < 0.06
    t = r.truncated_normal((n,), seed=3).numpy()
    assert np.abs(t).max() <= 2.0
    k = r.randint((n,), 3, 7, seed=4).numpy()
    assert k.dtype == np.int32 and set(np.unique(k)) == {3, 4, 5, 6}
    g = r.gamma((n,), 3.0, seed=5).numpy()
    assert abs(g.mean() - 3) < 0.1
    b = r.beta((n,), 2.0, 6.0, seed=6).numpy()
    assert abs(b.mean() - 0.25) < 0.01
    bi = r.binomial((n,), 10, 0.3, seed=7).numpy()
    assert abs(bi.mean() - 3) < 0.06 and bi.max() <= 10
    c = r.categorical(ember.math.log([[0.2, 0.8]]), 5000, seed=8).numpy()
    assert abs(c.mean() - 0.8) < 0.03


def test_shuffle_and_dropout():
    x = np.arange(10.0, dtype="float32")
    s = keras.random.shuffle(x, seed=1).numpy()
    assert sorted(s.tolist()) == x.tolist() and s.tolist() != x.tolist()
    d = keras.random.dropout(np.ones(10000, "float32"), 0.25, seed=2).numpy()
    assert set(np.unique(d)) <= {0.0, np.float32(1 / 0.75)}
    assert abs((d == 0).mean() - 0.25) < 0.02
    with pytest.raises(ValueError, match="rate"):
        keras.random.dropout(x, 1.5)


# ---------------------------------------------------------------- keras.config
def test_config_settings_round_trip():
    c = keras.config
    assert c.backend() == "tensorflow"
    assert c.floatx() == "float32" and c.epsilon() == 1e-7
    c.disable_traceback_filtering()
    assert not c.is_traceback_filtering_enabled()
    c.enable_traceback_filtering()
    assert c.is_traceback_filtering_enabled()
    assert c.dtype_policy().name == "float32"
    with pytest.raises(ValueError, match="mixed_float8"):
        c.set_dtype_policy("mixed_float8")
    with pytest.raises(NotImplementedError):
        c.set_backend("jax")


def test_interactive_logging_moves_progress_to_the_logger(capsys, caplog):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(loss="mse", optimizer="sgd")
    x = np.ones((4, 2), "float32")
    keras.config.disable_interactive_logging()
    try:
        with caplog.at_level(logging.INFO, logger="ember"):
            model.fit(x, x[:, :1], epochs=1, verbose=1)
        assert not keras.utils.is_interactive_logging_enabled()
    finally:
        keras.config.enable_interactive_logging()
    assert capsys.readouterr().out == ""
    assert any("loss" in r.getMessage() for r in caplog.records)


# ---------------------------------------------------------------- keras.tree
def test_tree_functions():
    t = keras.tree
    s = {"b": [1, (2, 3)], "a": None}
    assert t.flatten(s) == [None, 1, 2, 3]
    assert t.flatten_with_path(s)[2] == (("b", 1, 0), 2)
    assert t.pack_sequence_as(s, [0, 4, 5, 6]) == {"a": 0, "b": [4, (5, 6)]}
    assert t.map_structure(lambda v: v and v * 2, s) == {"b": [2, (4, 6)], "a": None}
    assert t.is_nested([1]) and not t.is_nested(1)
    assert t.lists_to_tuples(s) == {"b": (1, (2, 3)), "a": None}
    assert t.traverse(lambda x: t.MAP_TO_NONE if x == (2, 3) else None, s) == \
        {"b": [1, None], "a": None}
    assert t.map_structure_up_to({"a": 0, "b": 0}, len, {"a": [1, 2], "b": "xyz"}) == \
        {"a": 2, "b": 3}
    assert t.map_shape_structure(lambda sh: sh[-1], [(2, 3), {"k": (None, 4)}]) == \
        [3, {"k": 4}]
    with pytest.raises(ValueError):
        t.assert_same_structure([1, [2]], [1, 2])
    with pytest.raises(ValueError):
        t.assert_same_paths({"a": 1}, {"b": 1})


# ---------------------------------------------------------------- keras.utils and top level
def test_utils_names():
    u = keras.utils
    a, b = keras.Input((3,)), keras.Input((3,))
    out = keras.layers.Dense(2)(keras.layers.add([a, b]))
    src = u.get_source_inputs(out)
    assert len(src) == 2 and src[0] is a and src[1] is b
    assert u.is_keras_tensor(out) and not u.is_keras_tensor(ember.ones([1]))
    assert u.unpack_x_y_sample_weight((1, 2)) == (1, 2, None)
    assert u.pack_x_y_sample_weight(1, 2) == (1, 2)
    assert u.standardize_dtype("float") == "float32"
    assert u.standardize_dtype(np.int64) == "int64"
    cfg = u.Config(lr=0.1)
    cfg.epochs = 3
    assert cfg.lr == 0.1 and cfg["epochs"] == 3 and '"epochs": 3' in cfg.to_json()
    cfg.freeze()
    with pytest.raises(AttributeError):
        cfg.lr = 1.0
    u.clear_session()
    assert keras.layers.Dense(1).name == "dense"


def test_top_level_classes():
    assert keras.Layer is keras.layers.Layer and keras.Loss is keras.losses.Loss
    assert keras.Metric is keras.metrics.Metric and keras.Optimizer is keras.optimizers.Optimizer
    assert keras.Initializer is keras.initializers.Initializer
    assert keras.Regularizer is keras.regularizers.Regularizer
    assert keras.InputSpec is keras.layers.InputSpec
    assert isinstance(keras.Input((2,)), keras.KerasTensor)
    assert isinstance(keras.layers.Dense(1), keras.Operation)
    assert keras.version() == keras.__version__
    v = keras.Variable("ones", shape=(2, 3), dtype="float32", name="w")
    np.testing.assert_array_equal(v.numpy(), np.ones((2, 3)))
    assert keras.Variable(np.arange(3)).dtype == ember.int64
    with pytest.raises(ValueError, match="shape"):
        keras.Variable("zeros")
    x = keras.Input((2,))
    f = keras.Function(x, keras.layers.Dense(1, kernel_initializer="ones")(x))
    np.testing.assert_allclose(f(np.ones((1, 2), "float32")).numpy(), [[2.0]])
    with keras.name_scope("block"):
        pass
