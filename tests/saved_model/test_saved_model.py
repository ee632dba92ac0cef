"""saved_model.save / load and model.export: directories that run their signatures in a
fresh process that never imports the Python code that built them."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import ember
from ember import keras

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class SmallCNN(keras.Model):
    """Defined only here: the fresh process below cannot import it."""

    def __init__(self):
        super().__init__()
        self.conv = keras.layers.Conv2D(3, 3, padding="same")
        self.norm = keras.layers.BatchNormalization()
        self.flat = keras.layers.Flatten()
        self.head = keras.layers.Dense(2)

    def call(self, x, training=None):
        return self.head(self.flat(ember.nn.relu(self.norm(self.conv(x), training=training))))


def _run_fresh(code):
    env = dict(os.environ, PYTHONPATH=ROOT)
    run = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                         text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    return run.stdout


def test_exported_model_serves_in_fresh_process(tmp_path):
    keras.utils.set_random_seed(2)
    model = SmallCNN()
    x = np.random.default_rng(0).normal(size=(4, 6, 6, 2)).astype("float32")
    model.compile("adam", "mse")
    model.fit(x, np.ones((4, 2), "float32"), epochs=2, verbose=0)   # BN statistics move
    expected = model.predict(x, verbose=0)
    export_dir = str(tmp_path / "exported")
    model.export(export_dir, verbose=False)
    np.save(str(tmp_path / "x.npy"), x)
    _run_fresh(f"""
        import sys
        import numpy as np
        import ember
        loaded = ember.saved_model.load({export_dir!r})
        x = np.load({str(tmp_path / "x.npy")!r})
        np.save({str(tmp_path / "serve.npy")!r}, loaded.serve(x).numpy())
        out = loaded.signatures["serving_default"](x)
        np.save({str(tmp_path / "sig.npy")!r}, out["output_0"].numpy())
        assert "tests" not in sys.modules and not any("test_saved_model" in m for m in sys.modules)
    """)
    np.testing.assert_allclose(np.load(str(tmp_path / "serve.npy")), expected, rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(np.load(str(tmp_path / "sig.npy")), expected, rtol=1e-5,
                               atol=1e-6)


def test_functional_model_signature_takes_named_inputs(tmp_path):
    a = keras.Input((3,), name="a")
    b = keras.Input((2,), name="b")
    model = keras.Model([a, b], keras.layers.Dense(2)(keras.layers.Concatenate()([a, b])))
    xa, xb = np.ones((2, 3), "float32"), np.arange(4, dtype="float32").reshape(2, 2)
    model.export(str(tmp_path / "m"), verbose=False)       # named after the Keras inputs
    loaded = ember.saved_model.load(str(tmp_path / "m"))
    out = loaded.signatures["serving_default"](a=xa, b=xb)
    np.testing.assert_allclose(out["output_0"].numpy(), model([xa, xb]).numpy(), rtol=1e-6)
    with pytest.raises(TypeError, match=r"inputs \['a', 'b'\]; missing \['b'\]"):
        loaded.signatures["serving_default"](a=xa)
    with pytest.raises(ValueError, match="expects shape"):
        loaded.signatures["serving_default"](a=np.ones((2, 4), "float32"), b=xb)
    ember.saved_model.save(model, str(tmp_path / "s"))     # named after call's argument
    loaded = ember.saved_model.load(str(tmp_path / "s"))
    out = loaded.signatures["serving_default"](inputs=xa, inputs_1=xb)
    np.testing.assert_allclose(out["output_0"].numpy(), model([xa, xb]).numpy(), rtol=1e-6)


class Counter:
    """A plain (tf.Module-like) object with traced methods sharing a variable."""

    def __init__(self):
        self.total = ember.Variable(np.zeros(3, "float32"), name="total")
        self.scale = ember.Variable(2.0, name="scale")

    @ember.function(input_signature=[ember.TensorSpec([3], ember.float32, name="x")])
    def add(self, x):
        self.total.assign_add(x * self.scale)
        return self.total.read_value()

    @ember.function(input_signature=[])
    def read(self):
        return {"total": self.total.read_value(), "scale": self.scale.read_value()}


def test_traced_methods_with_input_signatures_share_variables(tmp_path):
    obj = Counter()
    obj.add(ember.constant([1.0, 2.0, 3.0]))
    ember.saved_model.save(obj, str(tmp_path / "c"), signatures={"read": obj.read})
    out = _run_fresh(f"""
        import numpy as np
        import ember
        loaded = ember.saved_model.load({str(tmp_path / "c")!r})
        loaded.add(np.array([1.0, 1.0, 1.0], "float32"))
        print(loaded.signatures["read"]()["total"].numpy().tolist())
        print(loaded.read()["scale"].numpy().tolist(), len(loaded.variables))
    """)
    assert out.split("\n")[:2] == ["[4.0, 6.0, 8.0]", "2.0 2"]


def test_saved_model_errors(tmp_path):
    with pytest.raises(ValueError, match="nothing to export"):
        ember.saved_model.save(object(), str(tmp_path / "x"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="not an ember SavedModel directory"):
        ember.saved_model.load(str(tmp_path / "empty"))
    with pytest.raises(FileNotFoundError):
        ember.saved_model.load(str(tmp_path / "missing"))
    with pytest.raises(ValueError, match="has no known input signature"):
        SmallCNN().export(str(tmp_path / "unbuilt"), verbose=False)


def test_export_overwrites_previous_directory(tmp_path):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    target = str(tmp_path / "m")
    model.export(target, verbose=False)
    model.set_weights([np.ones((2, 1), "float32"), np.zeros(1, "float32")])
    model.export(target, verbose=False)
    loaded = ember.saved_model.load(target)
    np.testing.assert_allclose(loaded.serve(np.ones((1, 2), "float32")).numpy(), [[2.0]])
    assert sorted(os.listdir(tmp_path)) == ["m"]


def test_export_serve_endpoint_takes_a_python_list_and_shares_one_file(tmp_path):
    i = keras.Input((3,), name="feat")
    model = keras.Model(i, keras.layers.Dense(2)(i))
    model.export(str(tmp_path / "m"), verbose=False)
    loaded = ember.saved_model.load(str(tmp_path / "m"))
    assert sorted(loaded.signatures) == ["serve", "serving_default"]
    assert len(list((tmp_path / "m" / "functions").iterdir())) == 1
    x = [[1.0, 2.0, 3.0]]
    np.testing.assert_allclose(loaded.serve(x).numpy(), model(np.array(x, "float32")).numpy(),
                               rtol=1e-6)
    np.testing.assert_allclose(loaded.signatures["serve"](feat=np.array(x, "float32"))[
        "output_0"].numpy(), model(np.array(x, "float32")).numpy(), rtol=1e-6)
