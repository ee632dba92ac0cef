"""Exported signatures are named as real TensorFlow/Keras name them
(tests/fixtures/serving/signature_names.json, made by make_signature_names.py)."""
import json
import pathlib

import numpy as np
import pytest

import ember
from ember import keras

FIXTURE = json.loads((pathlib.Path(__file__).parents[1] / "fixtures" / "serving" /
                      "signature_names.json").read_text())


def functional():
    i = keras.Input((3,), name="feat")
    return keras.Model(i, keras.layers.Dense(2)(i))


def two_in_two_out(as_dict):
    a, b = keras.Input((3,), name="a"), keras.Input((2,), name="b")
    d = keras.layers.Concatenate()([a, b])
    x, y = keras.layers.Dense(1, name="x")(d), keras.layers.Dense(2, name="y")(d)
    if as_dict:
        return keras.Model({"a": a, "b": b}, {"x": x, "y": y})
    return keras.Model([a, b], [x, y])


def sequential():
    m = keras.Sequential([keras.layers.Dense(2)])
    m(np.zeros((1, 3), "float32"))
    return m


class Module(ember.Module):
    @ember.function(input_signature=[ember.TensorSpec([None, 2], ember.float32, name="x")])
    def named(self, x):
        return x * 2.0

    @ember.function(input_signature=[ember.TensorSpec([None, 2], ember.float32)])
    def dict_out(self, x):
        return {"doubled": x * 2.0, "sum": ember.reduce_sum(x, 1)}

    @ember.function(input_signature=[ember.TensorSpec([None], ember.float32),
                                     ember.TensorSpec([None], ember.float32)])
    def two(self, a, b):
        return a + b, a - b


def export(model):
    return lambda path: model.export(path, verbose=False)


def save(obj, signatures=None):
    return lambda path: ember.saved_model.save(obj, path, signatures=signatures)


def _module_save(path):
    mod = Module()
    ember.saved_model.save(mod, path, signatures={
        "serving_default": mod.named, "dict_out": mod.dict_out, "two": mod.two})


CASES = {
    "functional_export": lambda: export(functional()),
    "functional_saved_model_save": lambda: save(functional()),
    "multi_list_export": lambda: export(two_in_two_out(False)),
    "multi_list_saved_model_save": lambda: save(two_in_two_out(False)),
    "multi_dict_export": lambda: export(two_in_two_out(True)),
    "multi_dict_saved_model_save": lambda: save(two_in_two_out(True)),
    "sequential_saved_model_save": lambda: save(sequential()),
    "module_signatures": lambda: _module_save,
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_signature_names_shapes_and_dtypes_match_tensorflow(case, tmp_path):
    CASES[case]()(str(tmp_path / "m"))
    loaded = ember.saved_model.load(str(tmp_path / "m"))
    expected = FIXTURE[case]
    for name, sig in loaded.signatures.items():
        got = {"inputs": {n: [s.shape.as_list(), s.dtype.name]
                          for n, s in sig.structured_input_signature[1].items()},
               "outputs": {n: [s.shape.as_list(), s.dtype.name]
                           for n, s in sig.structured_outputs.items()}}
        assert got == expected[name], name
    assert sorted(loaded.signatures) == sorted(expected)
