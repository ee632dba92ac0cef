"""ImageDataGenerator.flow_from_dataframe against real Keras's DataFrameIterator
(tests/fixtures/keras_preprocessing/dataframe.json, made by make_dataframe_fixtures.py on
the cases of dataframe_cases.py): printed summary, warnings, files, classes, batches."""
import json
import os
import sys
import warnings

import numpy as np
import pytest

from ember import keras
from ember.keras.preprocessing import image

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "keras_preprocessing")
sys.path.insert(0, FIXTURES)
from dataframe_cases import CASES, COMMON, make_frame, write_images  # noqa: E402

with open(os.path.join(FIXTURES, "dataframe.json")) as _f:
    REF = json.load(_f)


def assert_same(ours, ref, where):
    if isinstance(ref, list):
        assert isinstance(ours, (list, tuple)) and len(ours) == len(ref), where
        for i, (a, b) in enumerate(zip(ours, ref)):
            assert_same(a, b, f"{where}[{i}]")
        return
    ours = np.asarray(ours)
    want = np.array(ref["value"], dtype=ref["dtype"])
    assert ours.dtype == want.dtype, f"{where}: dtype {ours.dtype} != Keras's {want.dtype}"
    assert ours.shape == want.shape, f"{where}: shape {ours.shape} != {want.shape}"
    np.testing.assert_allclose(ours, want, rtol=1e-6, err_msg=where)


@pytest.fixture(scope="module")
def image_dir(tmp_path_factory):
    pytest.importorskip("PIL")
    d = tmp_path_factory.mktemp("frame_images")
    write_images(str(d))
    return str(d)


@pytest.mark.parametrize("name", sorted(CASES))
def test_flow_from_dataframe_matches_keras(name, image_dir, capsys):
    pd = pytest.importorskip("pandas")
    gen_kw, flow_kw = CASES[name]
    ref = REF[name]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        it = image.ImageDataGenerator(**gen_kw).flow_from_dataframe(
            make_frame(pd), directory=image_dir, **COMMON, **flow_kw)
    assert capsys.readouterr().out == ref["printed"]
    assert [str(w.message) for w in caught] == ref["warnings"]
    assert it.filenames == ref["filenames"] and it.samples == ref["samples"]
    if "class_indices" in ref:
        assert it.class_indices == ref["class_indices"]
        classes = ref["classes"]
        ours = [list(c) for c in it.classes] if isinstance(classes[0], list) else \
            np.asarray(it.classes).tolist()
        assert ours == (classes if isinstance(classes, list) else classes["value"])
    assert len(it) == len(ref["batches"])
    for i, want in enumerate(ref["batches"]):
        if isinstance(want, dict) and "error" in want:
            with pytest.raises(OSError):
                it[i]
            continue
        got = it[i]
        if isinstance(want, list):            # (x, y) or (x, y, sample_weight)
            assert isinstance(got, tuple), f"{name} batch {i}: {type(got).__name__}"
            got = list(got)
        assert_same(got, want, f"{name} batch {i}")


def test_flow_from_dataframe_trains_a_model_and_checks_its_input(image_dir):
    pd = pytest.importorskip("pandas")
    frame = make_frame(pd)
    frame["filename"] = [os.path.join(image_dir, f) for f in frame["filename"]]
    gen = image.ImageDataGenerator(rescale=1 / 255)
    with pytest.warns(UserWarning, match="2 invalid image filename"):
        it = gen.flow_from_dataframe(frame, target_size=(4, 3), batch_size=4, seed=1)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4, 3, 3)), keras.layers.Flatten(),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(keras.optimizers.Adam(0.05), "categorical_crossentropy")
    hist = model.fit(it, epochs=8, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    with pytest.raises(TypeError, match="pandas DataFrame"):
        gen.flow_from_dataframe({"filename": ["a.png"]})
    with pytest.raises(TypeError, match='class_mode="sparse", y_col="score"'):
        gen.flow_from_dataframe(frame, y_col="score", class_mode="sparse")
    with pytest.raises(ValueError, match="there must be 2 classes"), \
            pytest.warns(UserWarning, match="invalid image filename"):
        gen.flow_from_dataframe(frame, class_mode="binary")
    with pytest.raises(TypeError, match="y_col must be a list"):
        gen.flow_from_dataframe(frame, y_col="score", class_mode="multi_output")


def test_flow_from_dataframe_without_pandas_names_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)        # import pandas fails
    with pytest.raises(ImportError, match="needs pandas"):
        image.ImageDataGenerator().flow_from_dataframe(object())
