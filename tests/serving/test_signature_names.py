"""Exported signatures are named as real TensorFlow/Keras name them: the fixture's script
(tests/fixtures/serving/make_signature_names.py) builds and exports the same models with
TensorFlow; here they are built by the same code with ember in its place."""
import importlib.util
import json
import pathlib

import pytest

import ember
from ember import keras

HERE = pathlib.Path(__file__).parents[1] / "fixtures" / "serving"
FIXTURE = json.loads((HERE / "signature_names.json").read_text())
_spec = importlib.util.spec_from_file_location("make_signature_names",
                                               HERE / "make_signature_names.py")
make = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make)


@pytest.mark.parametrize("case", sorted(FIXTURE))
def test_signature_names_shapes_and_dtypes_match_tensorflow(case, tmp_path):
    make.exporters(ember, keras)[case](str(tmp_path / "m"))
    assert make.signatures(ember.saved_model.load(str(tmp_path / "m"))) == FIXTURE[case]
