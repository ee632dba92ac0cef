"""keras.ops functions applied to KerasTensors are recorded, saved and loaded as Keras 3's
Operation nodes (same class names, modules and config keys), so functional models using
them exchange files with real Keras (fixtures made by tests/fixtures/saving/
make_ops_fixtures.py with real Keras 3)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import ember
from ember import keras
from ember.keras import ops
from ember.keras.layers.keras_ops import KerasOp, keras_op_classes
from ember.keras.ops._operation_table import OPERATIONS

HERE = os.path.dirname(__file__)
SAVING = os.path.join(HERE, os.pardir, os.pardir, "fixtures", "saving")
OPS_FIXTURES = os.path.join(HERE, os.pardir, os.pardir, "fixtures", "keras_ops")
sys.path.insert(0, SAVING)
sys.path.insert(0, OPS_FIXTURES)
from cases import CASES  # noqa: E402
from ops_models import MODELS, inputs_for  # noqa: E402

REFENV = os.environ.get("EMBER_REFENV_PYTHON", "/work/refenv/bin/python")


def _io(name, directory=SAVING):
    with np.load(os.path.join(directory, f"{name}_io.npz")) as data:
        xs = [data[k] for k in sorted(k for k in data.files if k.startswith("x"))]
        return (xs if len(xs) > 1 else xs[0]), data["y"], int(data["iterations"])


# ------------------------------------------------------------- files real Keras wrote
@pytest.mark.parametrize("name", sorted(MODELS))
def test_keras_files_with_operations_load(name):
    pytest.importorskip("h5py")
    feed, expected, iterations = _io(name)
    model = keras.models.load_model(os.path.join(SAVING, f"{name}.keras"))
    np.testing.assert_allclose(model.predict(feed, verbose=0), expected, rtol=1e-5,
                               atol=1e-5)
    assert int(model.optimizer.iterations.numpy()) == iterations
    names = {type(l).__name__ for l in model.operations}
    if name == "masked_attention":
        assert {"NotEqual", "LogicalAnd", "GetItem", "Cast", "Sum", "Maximum",
                "TrueDivide", "MultiHeadAttention"} <= names
    else:
        assert {"Cumsum", "Take", "TakeAlongAxis", "Matmul", "Transpose", "Reshape",
                "Concatenate", "Where", "GetItem", "Clip", "OneHot", "Norm"} <= names
    # and ember writes the config Keras wrote (names, modules, settings, calls)
    with __import__("zipfile").ZipFile(os.path.join(SAVING, f"{name}.keras")) as z:
        written = json.loads(z.read("config.json"))["config"]
    mine = model.get_config()
    theirs = {l["name"]: l for l in written["layers"]}
    for entry in mine["layers"]:
        if entry["module"].startswith("keras.src.ops"):
            keras_entry = theirs[entry["name"]]
            for key in ("module", "class_name", "config", "registered_name"):
                assert _plain(entry[key]) == _plain(keras_entry[key]), (entry["name"], key)
            assert _plain(entry["inbound_nodes"]) == _plain(keras_entry["inbound_nodes"])


def _plain(value):
    return json.loads(json.dumps(value))


@pytest.mark.skipif(not os.path.exists(REFENV), reason=f"no reference Keras at {REFENV}")
def test_real_keras_loads_ember_models_with_operations_and_writes_them_today(tmp_path):
    pytest.importorskip("h5py")
    keras.utils.set_random_seed(5)
    rng = np.random.default_rng(5)
    expected = {}
    for name in sorted(MODELS):
        model = MODELS[name](keras)
        model.compile(keras.optimizers.Adam(0.01), "mse")
        xs = inputs_for(name, rng)
        feed = xs if len(xs) > 1 else xs[0]
        y = rng.normal(size=(6,) + tuple(model.outputs[0].shape.as_list()[1:]))
        model.fit(feed, y.astype("float32"), batch_size=3, epochs=1, verbose=0)
        model.save(str(tmp_path / f"{name}.keras"))
        model.save(str(tmp_path / f"{name}.h5"))
        model.save_weights(str(tmp_path / f"{name}.weights.h5"))
        np.savez(str(tmp_path / f"{name}_in.npz"), **{f"x{i}": x for i, x in enumerate(xs)})
        expected[name] = model.predict(feed, verbose=0)
    regenerated = tmp_path / "regenerated"
    regenerated.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    run = subprocess.run([REFENV, os.path.join(SAVING, "make_ops_fixtures.py"),
                          str(regenerated), "--read", str(tmp_path)],
                         capture_output=True, text=True, timeout=300, env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    for name, y in expected.items():
        with np.load(str(tmp_path / f"{name}_out.npz")) as out:
            for kind in ("keras", "h5", "weights_h5"):
                np.testing.assert_allclose(out[kind], y, rtol=1e-5, atol=1e-5,
                                           err_msg=f"{name}: real Keras reading {kind}")
            assert int(out["keras_iterations"]) == 2
    for name in MODELS:             # and what the installed Keras writes today loads here
        feed, written, _ = _io(name, str(regenerated))
        model = keras.models.load_model(str(regenerated / f"{name}.keras"))
        np.testing.assert_allclose(model.predict(feed, verbose=0), written, rtol=1e-5,
                                   atol=1e-5)


# ------------------------------------------------------------- every operation
def test_every_keras_operation_class_exists_with_its_config_keys():
    assert len(OPERATIONS) >= 300
    for class_name, (module, function, init, call, _, custom) in OPERATIONS.items():
        cls = keras_op_classes(f"keras.src.ops.{module}")[class_name]
        assert issubclass(cls, KerasOp)
        obj = cls(**{key: (default if default is not None else 1)
                     for key, _, default in init})
        config = obj.get_config() if class_name != "VectorizedMap" else None
        if config is not None:
            expected = {key for key, _, _ in init} | (set() if custom else {"name"})
            assert set(config) == expected, class_name
            again = cls.from_config(config)
            assert again.get_config() == config
        fn = getattr(getattr(ops, module, ops), function, None) or getattr(ops, function)
        assert callable(fn), function


def _spec_input(arr):
    return keras.Input(batch_shape=arr.shape, dtype=arr.dtype.name)


def _is_array_input(value, key, data):
    """A case's input spec (a tuple naming a kind of random array) stored under key."""
    return isinstance(value, tuple) and value and isinstance(value[0], str) and key in data


def _symbolic(value, key, data, feeds, inputs):
    if _is_array_input(value, key, data):
        arr = data[key]
        kt = _spec_input(arr)
        inputs.append(kt)
        feeds.append(arr)
        return kt
    if isinstance(value, list):
        return [_symbolic(v, f"{key}.{i}", data, feeds, inputs) for i, v in enumerate(value)]
    return value


_DATA = {}


def _case_data():
    if not _DATA:
        with np.load(os.path.join(OPS_FIXTURES, "keras_ops.npz")) as d:
            _DATA.update({k: d[k] for k in d.files})
    return _DATA


def _function(name):
    obj = ops
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


_RECORDED = {name for _, name, *_ in OPERATIONS.values()}


def _ids_with_array_inputs():
    """The cases whose fixture holds array inputs (those the model can be fed with)."""
    with np.load(os.path.join(OPS_FIXTURES, "keras_ops.npz")) as d:
        return {k.split("/")[0] for k in d.files if "/in" in k}


_WITH_INPUTS = _ids_with_array_inputs()


@pytest.mark.parametrize("case", [c for c in CASES
                                  if c[1].split(".")[-1] in _RECORDED | {"abs", "conj"}
                                  and c[0] in _WITH_INPUTS],
                         ids=lambda c: c[0])
def test_operation_on_keras_tensors_round_trips(case):
    """The case's function applied to KerasTensors: one Keras operation node; the model
    saved as JSON and rebuilt computes what the function computes eagerly."""
    id_, fn_name, inputs, kwargs, opts = case
    data = _case_data()
    feeds, kts = [], []
    args = _symbolic(inputs, f"{id_}/in", data, feeds, kts)
    kw = {k: (ember.constant(data[f"{id_}/kw_{k}"]) if f"{id_}/kw_{k}" in data else v)
          for k, v in kwargs.items()}
    fn = _function(fn_name)
    out = fn(args, **kw) if opts.get("pack") else fn(*args, **kw)
    model = keras.Model(kts, out)
    ops_layers = [l for l in model.operations if isinstance(l, KerasOp)]
    assert len(ops_layers) == 1, [type(l).__name__ for l in model.operations]
    assert OPERATIONS[type(ops_layers[0]).__name__][1] in (fn_name.split(".")[-1],
                                                           "absolute", "conjugate")
    if any(isinstance(v, ember.Tensor) for v in ops_layers[0]._op_config.values()):
        with pytest.raises(NotImplementedError, match="cannot be serialized"):
            model.get_config()              # a tensor setting: Keras cannot either
        return
    eager_args = _load_eager(inputs, f"{id_}/in", data)
    want = fn(eager_args, **kw) if opts.get("pack") else fn(*eager_args, **kw)
    rebuilt = keras.models.model_from_json(model.to_json())
    got = rebuilt(feeds if len(feeds) > 1 else feeds[0])
    for g, w in zip(ember.nest.flatten(got), ember.nest.flatten(want)):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-6, atol=1e-6,
                                   equal_nan=True)
        if hasattr(w, "dtype"):
            assert g.dtype == w.dtype


def _load_eager(value, key, data):
    if _is_array_input(value, key, data):
        return ember.constant(data[key])
    if isinstance(value, list):
        return [_load_eager(v, f"{key}.{i}", data) for i, v in enumerate(value)]
    return value
