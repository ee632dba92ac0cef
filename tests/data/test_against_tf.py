"""Dataset pipelines against real TensorFlow's outputs (tests/fixtures/data/datasets.json,
made by make_data_fixtures.py with /work/refenv): element values, order, shapes, dtypes,
element_spec and cardinality."""
import json
import os

import numpy as np
import pytest

import ember as tf

D = tf.data.Dataset
FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "data")
with open(os.path.join(FIXTURES, "datasets.json")) as f:
    REF = json.load(f)


class SparseParts(tuple):
    """A SparseTensor of TF's, as (indices, values, dense_shape)."""

    def __new__(cls, *parts):
        return super().__new__(cls, parts)


def decode(obj):
    if "dict" in obj:
        return {k: decode(v) for k, v in obj["dict"].items()}
    if "tuple" in obj:
        return tuple(decode(v) for v in obj["tuple"])
    if "sparse" in obj:
        return SparseParts(*(decode(v) for v in obj["sparse"]))
    if "bytes" in obj:
        return np.array([v.encode("latin1") for v in obj["bytes"]], dtype=object).reshape(
            obj["shape"])
    return np.array(obj["value"], dtype=obj["dtype"]).reshape(obj["shape"])


def assert_same(ours, ref, where):
    if isinstance(ref, dict):
        assert isinstance(ours, dict) and sorted(ours) == sorted(ref), where
        for k in ref:
            assert_same(ours[k], ref[k], f"{where}[{k!r}]")
        return
    if isinstance(ref, SparseParts):
        assert isinstance(ours, tf.sparse.SparseTensor), f"{where}: {type(ours).__name__}"
        for part, r in zip(("indices", "values", "dense_shape"), ref):
            assert_same(getattr(ours, part), r, f"{where}.{part}")
        return
    if isinstance(ref, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(ref), where
        for i, (a, b) in enumerate(zip(ours, ref)):
            assert_same(a, b, f"{where}[{i}]")
        return
    ours = np.asarray(ours)
    assert ours.shape == ref.shape, f"{where}: shape {ours.shape} != {ref.shape}"
    assert ours.dtype == ref.dtype, f"{where}: dtype {ours.dtype} != {ref.dtype}"
    np.testing.assert_array_equal(ours, ref, err_msg=where)


def assert_spec(spec, ref, where):
    if "dict" in ref:
        for k in ref["dict"]:
            assert_spec(spec[k], ref["dict"][k], f"{where}[{k!r}]")
        return
    if "tuple" in ref:
        assert len(spec) == len(ref["tuple"]), where
        for i, r in enumerate(ref["tuple"]):
            assert_spec(spec[i], r, f"{where}[{i}]")
        return
    assert isinstance(spec, tf.SparseTensorSpec) == bool(ref.get("sparse")), where
    shape = spec.shape.as_list() if spec.shape.rank is not None else None
    assert shape == ref["shape"], f"{where}: spec shape {shape} != TF's {ref['shape']}"
    assert spec.dtype.name == ref["dtype"], where


@pytest.mark.parametrize("name", sorted(REF["pipelines"]))
def test_pipeline_matches_tensorflow(name):
    ds = eval(REF["pipelines"][name])
    ref = REF["results"][name]
    elements = list(ds.as_numpy_iterator())
    assert len(elements) == len(ref["elements"]), name
    for i, (e, r) in enumerate(zip(elements, ref["elements"])):
        assert_same(e, decode(r), f"{name} element {i}")
    assert int(ds.cardinality()) == ref["cardinality"], name
    assert_spec(ds.element_spec, ref["spec"], name)


def test_reduce_matches_tensorflow():
    assert int(eval(REF["reduce"]["source"])) == REF["reduce"]["value"]


def test_iteration_gives_ember_tensors():
    x, y = next(iter(D.from_tensor_slices((np.arange(4), np.ones((4, 2), "float32")))))
    assert isinstance(x, tf.Tensor) and x.dtype == tf.int64
    assert isinstance(y, tf.Tensor) and y.shape == (2,)
