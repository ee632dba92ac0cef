"""TensorFlow Serving's JSON <-> tensor encoding (ember.serving.json_tensors)."""
import base64
import json

import numpy as np
import pytest

import ember
from ember.serving import json_tensors as jt
from ember.serving.errors import ServingError


def spec(shape, dtype=ember.float32):
    return ember.TensorSpec(shape, dtype)


def test_nested_lists_become_arrays_of_the_signature_dtype():
    arr = jt.tensor_from_json([[1, 2.5], [3, -4]], ember.float32)
    assert arr.dtype == np.float32 and arr.shape == (2, 2)
    np.testing.assert_array_equal(arr, [[1, 2.5], [3, -4]])
    arr = jt.tensor_from_json([[1, 2]], ember.int64)
    assert arr.dtype == np.int64 and arr.tolist() == [[1, 2]]
    assert jt.tensor_from_json(7, ember.int32).shape == ()
    assert jt.tensor_from_json([True, False], ember.bool).tolist() == [True, False]
    assert jt.tensor_from_json([], ember.float32).shape == (0,)
    nan = jt.tensor_from_json([float("nan"), float("inf")], ember.float32)
    assert np.isnan(nan[0]) and np.isposinf(nan[1])


def test_strings_and_b64_objects_become_bytes():
    blob = bytes(range(250, 256)) + b"\x00ab"
    arr = jt.tensor_from_json(["héllo", {"b64": base64.b64encode(blob).decode()}],
                              ember.string)
    assert arr.dtype == object and arr.tolist() == ["héllo".encode(), blob]
    with pytest.raises(ServingError, match="Unable to base64 decode"):
        jt.tensor_from_json([{"b64": "!!not base64!!"}], ember.string)
    with pytest.raises(ServingError, match="not formatted correctly for base64"):
        jt.tensor_from_json([{"b64": "YQ==", "x": 1}], ember.string)


@pytest.mark.parametrize("value,dtype,message", [
    ([[1, 2], [3]], ember.float32, "Encountered list at unexpected size: 1 at level: 1 "
                                    "expected size: 2"),
    ([[1, 2], 3], ember.float32, "JSON Value: 3 found at incorrect level: 2"),
    ([1, [2]], ember.float32, "Encountered list at unexpected level: 1 expected < 1"),
    ([1.5], ember.int32, r"JSON Value: 1.5 Type: Number is not of expected type: int32"),
    (["a"], ember.float32, "JSON Value: \"a\" Type: String is not of expected type: float"),
    ([True], ember.float32, "Type: True is not of expected type: float"),
    ([1], ember.bool, "Type: Number is not of expected type: bool"),
    ([2 ** 31], ember.int32, "is not of expected type: int32"),
    ([-1], ember.uint8, "is not of expected type: uint8"),
    ([16777217], ember.float32, "Cannot convert JSON value: 16777217 to float without loss"),
    ([1e300], ember.float32, "to float without loss of precision"),
])
def test_bad_values_are_refused_with_tf_serving_messages(value, dtype, message):
    with pytest.raises(ServingError, match=message) as e:
        jt.tensor_from_json(value, dtype)
    assert e.value.http_status == 400


def test_row_format_batches_instances_and_checks_them():
    specs = {"a": spec([None, 2]), "b": spec([None], ember.int32)}
    fmt, t = jt.tensors_from_predict_request(
        {"instances": [{"a": [1, 2], "b": 3}, {"a": [4, 5], "b": 6}]}, specs)
    assert fmt == "row" and t["a"].shape == (2, 2) and t["b"].tolist() == [3, 6]
    _, t = jt.tensors_from_predict_request({"instances": [[1, 2], [3, 4]]},
                                           {"x": spec([None, 2])})
    assert t["x"].tolist() == [[1, 2], [3, 4]]
    cases = [
        ({"instances": [[1, 2]]}, "instances is a plain list, but expecting list of objects"),
        ({"instances": [{"a": [1, 2], "b": 1}, {"a": [1, 2, 3], "b": 2}]},
         "Failed to process element: 1 key: a of 'instances' list. Error: Expecting tensor "
         "size: 2 but got: 3"),
        ({"instances": [{"a": [1, 2]}]}, "keys must be equal to: a,b"),
        ({"instances": [{"a": [1, 2], "b": 1, "c": 0}]}, "does not have named input: c"),
        ({"instances": []}, "No values in 'instances' array"),
        ({"instances": {"a": 1}}, "'instances' to be an list/array"),
        ({"instances": [], "inputs": {}}, "only one of 'inputs' or 'instances'"),
        ({"signature_name": "x"}, "Missing 'inputs' or 'instances' key"),
    ]
    for doc, message in cases:
        with pytest.raises(ServingError, match=message):
            jt.tensors_from_predict_request(doc, specs)


def test_columnar_format_takes_named_tensors_of_any_batch():
    specs = {"a": spec([None, 2]), "b": spec([None], ember.int32)}
    fmt, t = jt.tensors_from_predict_request({"inputs": {"a": [[1, 2]], "b": [1, 2, 3]}},
                                             specs)
    assert fmt == "columnar" and t["a"].shape == (1, 2) and t["b"].shape == (3,)
    with pytest.raises(ServingError, match="Missing named input: b in 'inputs' object."):
        jt.tensors_from_predict_request({"inputs": {"a": [[1, 2]]}}, specs)
    with pytest.raises(ServingError, match="inputs is a plain value/list"):
        jt.tensors_from_predict_request({"inputs": [[1, 2]]}, specs)
    _, t = jt.tensors_from_predict_request({"inputs": {"b64": "YWJj"}},
                                           {"s": spec([], ember.string)})
    assert t["s"].shape == () and t["s"][()] == b"abc"


def test_floats_are_written_short_and_read_back_exactly():
    values = np.array([0.1, 1.0, 2.5e-7, 123456789.0, -3.0, 1 / 3], np.float32)
    out = json.loads(jt.predict_response({"y": values}, "columnar"))["outputs"]
    np.testing.assert_array_equal(np.array(out, np.float32), values)
    text = jt.predict_response({"y": values}, "columnar")
    assert "0.1," in text and "1.0," in text and "-3.0," in text      # not 0.100000001
    special = jt.predict_response({"y": np.array([np.nan, np.inf, -np.inf], np.float32)},
                                  "columnar")
    assert "[NaN, Infinity, -Infinity]" in special
    doubles = np.array([0.1, 1 / 3], np.float64)
    back = json.loads(jt.predict_response({"y": doubles}, "columnar"))["outputs"]
    assert back == doubles.tolist()


def test_row_and_columnar_responses_name_outputs_only_when_several():
    y = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    k = np.array([7, 8], np.int64)
    assert json.loads(jt.predict_response({"y": y}, "row")) == {"predictions": y.tolist()}
    assert json.loads(jt.predict_response({"y": y, "k": k}, "row")) == {
        "predictions": [{"k": 7, "y": [1.0, 2.0]}, {"k": 8, "y": [3.0, 4.0]}]}
    assert json.loads(jt.predict_response({"y": y, "k": k}, "columnar")) == {
        "outputs": {"k": [7, 8], "y": y.tolist()}}
    with pytest.raises(ServingError, match="Tensor name: y has inconsistent batch size: 2 "
                                           "expecting: 3"):
        jt.predict_response({"y": y, "a": np.zeros(3)}, "row")
    with pytest.raises(ServingError, match="Tensor name: s has no shape information"):
        jt.predict_response({"s": np.float32(1)}, "row")


def test_string_outputs_named_bytes_are_base64():
    s = np.array([b"ab", b"\xff\x00"], dtype=object)
    out = json.loads(jt.predict_response({"img_bytes": s, "text": s}, "columnar"))["outputs"]
    assert out["img_bytes"] == [{"b64": "YWI="}, {"b64": "/wA="}]
    assert out["text"][0] == "ab" and out["text"][1] == {"b64": "/wA="}    # not UTF-8
    assert json.loads(jt.predict_response({"b": np.array([True, False])}, "row")) == {
        "predictions": [True, False]}


def test_examples_become_serialized_tf_examples_with_the_context():
    doc = {"context": {"lang": "en"},
           "examples": [{"x": [1.5, 2.0], "n": 3, "flag": True, "img": {"b64": "AAE="}}]}
    [serialized] = jt.examples_from_request(doc, "classify")
    ex = ember.train.Example.FromString(serialized)
    f = ex.features.feature
    assert list(f["x"].float_list.value) == [1.5, 2.0]
    assert list(f["n"].int64_list.value) == [3] and list(f["flag"].int64_list.value) == [1]
    assert list(f["img"].bytes_list.value) == [b"\x00\x01"]
    assert list(f["lang"].bytes_list.value) == [b"en"]
    with pytest.raises(ServingError, match="Unexpected element type in feature: x expecting "
                                           "type: float"):
        jt.examples_from_request({"examples": [{"x": [1.5, "a"]}]}, "regress")
    with pytest.raises(ServingError, match="When method is regress, key 'examples' is "
                                           "expected"):
        jt.examples_from_request({"instances": []}, "regress")
    with pytest.raises(ServingError, match="has element with unexpected JSON type: Null"):
        jt.examples_from_request({"examples": [{"x": None}]}, "regress")


def test_request_bodies_must_be_json_objects():
    assert jt.parse_request(b'{"inputs": [NaN, Infinity]}')["inputs"][1] == float("inf")
    for body, message in [(b"", "The document is empty"), (b"{", "JSON Parse error"),
                          (b"[1]", "Is not object"), (b"\xff\xfe{", "JSON Parse error")]:
        with pytest.raises(ServingError, match=message):
            jt.parse_request(body)


def test_metadata_dtype_names_are_tensorflows():
    assert jt.tf_enum_name(ember.float32) == "DT_FLOAT"
    assert jt.tf_enum_name(ember.string) == "DT_STRING"
    assert jt.tf_enum_name(ember.float16) == "DT_HALF"
    assert jt.tf_enum_name(ember.int64) == "DT_INT64"


def test_classify_and_regress_results_are_checked_like_tf_serving():
    scores = np.array([[0.25, 0.75]], np.float32)
    assert json.loads(jt.classify_response(None, scores, 1)) == {
        "results": [[["", 0.25], ["", 0.75]]]}
    classes = np.array([[b"cat"]], dtype=object)
    assert json.loads(jt.classify_response(classes, None, 1)) == {"results": [[["cat", 0.0]]]}
    with pytest.raises(ServingError, match=r"Expected Tensor shape: \[batch_size num_classes\]"):
        jt.classify_response(None, np.zeros(2, np.float32), 2)
    with pytest.raises(ServingError, match="Expected scores Tensor of DT_FLOAT. Got: DT_DOUBLE"):
        jt.classify_response(None, np.zeros((1, 2)), 1)
    with pytest.raises(ServingError, match="Expected scores output batch size of 2. Got: 1"):
        jt.classify_response(None, scores, 2)
    with pytest.raises(ServingError, match="should match in dim_size"):
        jt.classify_response(classes, scores, 1)
    assert json.loads(jt.regress_response(np.array([[1.5], [2.0]], np.float32), 2)) == {
        "results": [1.5, 2.0]}
    with pytest.raises(ServingError, match=r"either \[batch_size\] or \[batch_size, 1\]"):
        jt.regress_response(np.zeros((2, 2), np.float32), 2)
    with pytest.raises(ServingError, match="Input batch size did not match output batch "
                                           "size: 3 vs. 2"):
        jt.regress_response(np.zeros(2, np.float32), 3)
