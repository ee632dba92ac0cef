"""ember.lite: TensorFlow Lite files written by ember run in real TensorFlow (checked by
the fixture script, recorded in tf_check.json) and in ember; files real TensorFlow wrote
run in ember's Interpreter to TensorFlow's outputs."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("flatbuffers")

import ember  # noqa: E402
from ember import keras  # noqa: E402
from ember.lite.flatbuffer import parse  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
import lite_functions  # noqa: E402
import lite_models  # noqa: E402

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures", "lite")
NAMES = ["mlp", "cnn", "text", "misc", "quant", "transformer", "float16",
         "vision", "sequence"]
# int8 weights: TensorFlow's hybrid kernels also quantize the activations, ember's run the
# dequantized weights in float; both are within quantization error of the float model.
TOL = {"quant": 2e-2, "float16": 2e-4}


def _fixture(name):
    return os.path.join(FIXTURES, name)


def _run(interp, x):
    d = interp.get_input_details()[0]
    interp.resize_tensor_input(d["index"], x.shape)
    interp.allocate_tensors()
    interp.set_tensor(d["index"], x)
    interp.invoke()
    return interp.get_tensor(interp.get_output_details()[0]["index"])


@pytest.mark.parametrize("name", NAMES)
def test_tensorflow_written_file_runs_in_ember(name):
    ref = np.load(_fixture(f"tf_{name}.npz"))
    interp = ember.lite.Interpreter(model_path=_fixture(f"tf_{name}.tflite"))
    tol = TOL.get(name, 1e-5)
    np.testing.assert_allclose(_run(interp, ref["x"]), ref["y"], atol=tol, rtol=0)
    runner = interp.get_signature_runner()
    out = runner(**{str(ref["input_name"]): ref["x"][:2]})
    np.testing.assert_allclose(out[str(ref["output_name"])], ref["y"][:2], atol=tol, rtol=0)


@pytest.mark.parametrize("name", NAMES)
def test_ember_model_matches_keras_with_the_same_weights(name):
    ref = np.load(_fixture(f"tf_{name}.npz"))
    model = lite_models.build(keras, name)
    np.testing.assert_allclose(model.predict(ref["x"], verbose=0), ref["keras"], atol=1e-5)


@pytest.mark.parametrize("name", NAMES + lite_models.EMBER_ONLY)
def test_converted_file_gives_predict_outputs(name):
    model = lite_models.build(keras, name)
    converter = ember.lite.TFLiteConverter.from_keras_model(model)
    lite_models.configure(ember, converter, name)
    data = converter.convert()
    x = lite_models.sample(name)
    expected = model.predict(x, verbose=0)
    interp = ember.lite.Interpreter(model_content=data)
    np.testing.assert_allclose(_run(interp, x), expected, atol=TOL.get(name, 1e-5), rtol=0)
    assert interp.get_signature_list() == {
        "serving_default": {"inputs": ["x"], "outputs": ["output_0"]}}
    # The file checked with real TensorFlow is the one ember writes today.
    committed = parse(open(_fixture(f"ember_{name}.tflite"), "rb").read())
    current = parse(data)
    assert [(o.kind, o.inputs, o.outputs, o.options) for o in current.operators] == \
        [(o.kind, o.inputs, o.outputs, o.options) for o in committed.operators]
    for a, b in zip(current.tensors, committed.tensors):
        assert (a.shape, a.dtype) == (b.shape, b.dtype)
        if a.data is not None:
            np.testing.assert_allclose(a.data.astype(np.float64), b.data.astype(np.float64),
                                       rtol=1e-5, atol=1e-6)


def test_tensorflow_runs_embers_files_to_embers_outputs():
    report = json.load(open(_fixture("tf_check.json")))
    tf_outputs = np.load(_fixture("tf_on_ember.npz"))
    for name in NAMES + lite_models.EMBER_ONLY:
        entry = report[name]
        tol = TOL.get(name, 1e-5)
        assert entry["max_abs_diff_signature_runner"] < tol, name
        assert entry["max_abs_diff_invoke"] < tol, name
        assert entry["signature_list"] == {
            "serving_default": {"inputs": ["x"], "outputs": ["output_0"]}}
        ref = np.load(_fixture(f"ember_{name}.npz"))
        ours = _run(ember.lite.Interpreter(model_path=_fixture(f"ember_{name}.tflite")),
                    ref["x"])
        np.testing.assert_allclose(ours, tf_outputs[name], atol=tol, rtol=0)
    assert {"CONV_2D", "DEPTHWISE_CONV_2D", "TRANSPOSE_CONV", "FULLY_CONNECTED",
            "MAX_POOL_2D", "AVERAGE_POOL_2D", "GATHER", "MEAN", "CONCATENATION",
            "TRANSPOSE", "PAD"} <= {op for n in NAMES for op in report[n]["ops"]}


def test_batchnorm_and_bias_fold_into_convolution():
    model = lite_models.build(keras, "cnn")
    kinds = [o.kind for o in parse(
        ember.lite.TFLiteConverter.from_keras_model(model).convert()).operators]
    assert kinds == ["CONV_2D", "MAX_POOL_2D", "DEPTHWISE_CONV_2D", "CONV_2D", "LOGISTIC",
                     "AVERAGE_POOL_2D", "RESHAPE", "FULLY_CONNECTED", "SOFTMAX"]
    first = parse(ember.lite.TFLiteConverter.from_keras_model(model).convert()).operators[0]
    assert first.options["fused_activation_function"] == 1          # RELU fused


def test_file_is_about_the_size_of_the_float32_weights():
    model = keras.Sequential([keras.Input((200,)), keras.layers.Dense(128, activation="relu"),
                              keras.layers.Dense(10)])
    weights = 4 * model.count_params()
    converter = ember.lite.TFLiteConverter.from_keras_model(model)
    size = len(converter.convert())
    assert weights <= size <= weights + 4096
    converter.optimizations = [ember.lite.Optimize.DEFAULT]
    quantized = converter.convert()
    assert len(quantized) <= weights / 4 + 6000
    x = np.random.RandomState(0).uniform(-1, 1, (4, 200)).astype("float32")
    out = ember.lite.Interpreter(model_content=quantized).get_signature_runner()(
        **{model.inputs[0].name: x})
    np.testing.assert_allclose(out["output_0"], model.predict(x, verbose=0), atol=2e-2)


@pytest.mark.parametrize("name", sorted(lite_functions.FUNCTIONS))
def test_concrete_function_converts_to_its_outputs(name):
    f, inputs = lite_functions.FUNCTIONS[name](ember)
    data = ember.lite.TFLiteConverter.from_concrete_functions(
        [f.get_concrete_function()]).convert()
    interp = ember.lite.Interpreter(model_content=data)
    expected = {k: v.numpy() for k, v in f(*inputs.values()).items()}
    assert interp.get_signature_list() == {
        "serving_default": {"inputs": list(inputs), "outputs": sorted(expected)}}
    out = interp.get_signature_runner()(**inputs)
    for k in expected:
        assert out[k].dtype == expected[k].dtype, k
        np.testing.assert_allclose(out[k], expected[k], atol=1e-5, err_msg=k)
    kinds = [o.kind for o in parse(data).operators]
    expected_ops = {
        "many_ops": {"BATCH_MATMUL", "STRIDED_SLICE", "GATHER", "FULLY_CONNECTED", "PAD",
                     "TRANSPOSE", "RELU6", "LOG_SOFTMAX", "SUM", "REDUCE_MAX", "SQUEEZE"},
        "einsum_gelu": {"GELU", "BATCH_MATMUL", "FULLY_CONNECTED", "TRANSPOSE"},
        "dtypes": {"CAST", "SELECT_V2", "FLOOR_DIV", "FLOOR_MOD", "ARG_MAX", "LOGICAL_AND",
                   "LESS", "EQUAL"},
        "shapes_and_scans": {"SPLIT_V", "UNPACK", "CUMSUM", "SIN", "COS", "ROUND", "CEIL",
                             "ZEROS_LIKE", "BROADCAST_TO", "REVERSE_V2", "GATHER_ND",
                             "ONE_HOT", "MIRROR_PAD"},
        "axes": {"SOFTMAX", "LOG_SOFTMAX", "TRANSPOSE", "MEAN", "CONCATENATION", "PACK",
                 "ARG_MAX"},
        "reductions": {"TOPK_V2", "REDUCE_MAX", "SUM", "LOG", "EXP", "REDUCE_ANY",
                       "REDUCE_ALL", "REDUCE_PROD"},
        "sorting": {"TOPK_V2", "NEG", "GATHER"}}[name]
    assert expected_ops <= set(kinds)
    if name == "einsum_gelu":
        assert kinds.count("GELU") == 2                 # Erf never reaches the file
    # Real TensorFlow ran the file ember writes to the same outputs (fixture script).
    committed = parse(open(_fixture(f"ember_fn_{name}.tflite"), "rb").read())
    assert [o.kind for o in committed.operators] == kinds
    check = json.load(open(_fixture("tf_check.json")))["functions"][name]
    assert check["dtypes_match"] and check["max_abs_diff"] < 1e-5


def test_pooling_1d_and_text_cnn_from_saved_model(tmp_path):
    L = keras.layers
    inp = keras.Input((9,), dtype="int32", name="tokens")
    h = L.Embedding(30, 6)(inp)
    h = L.Conv1D(5, 3, activation="relu")(h)
    h = L.MaxPooling1D(2)(h)
    h = L.AveragePooling1D(2, padding="same")(h)
    out = L.Dense(3, activation="softmax")(L.GlobalMaxPooling1D()(h))
    model = keras.Model(inp, out)
    x = np.random.RandomState(3).randint(0, 30, (4, 9)).astype("int32")
    model.export(str(tmp_path / "exported"), verbose=False)
    converter = ember.lite.TFLiteConverter.from_saved_model(str(tmp_path / "exported"))
    path = tmp_path / "m.tflite"
    path.write_bytes(converter.convert())
    interp = ember.lite.Interpreter(model_path=str(path))
    # export names one function both serving_default and serve: converted once, as TF does
    assert interp.get_signature_list() == {
        "serving_default": {"inputs": ["tokens"], "outputs": ["output_0"]}}
    np.testing.assert_allclose(_run(interp, x), model.predict(x, verbose=0), atol=1e-5)


def test_unsupported_op_error_names_the_op():
    @ember.function(input_signature=[ember.TensorSpec([None, 3])])
    def f(x):
        return ember.math.erf(x) + 1.0

    converter = ember.lite.TFLiteConverter.from_concrete_functions(
        [f.get_concrete_function()])
    with pytest.raises(NotImplementedError, match="'Erf'"):
        converter.convert()

    @ember.function(input_signature=[ember.TensorSpec([None, 3])])
    def g(x):
        return x * ember.random.uniform([3])

    with pytest.raises(NotImplementedError, match="RandomUniform"):
        ember.lite.TFLiteConverter.from_concrete_functions(
            [g.get_concrete_function()]).convert()


def test_unsupported_settings_raise():
    model = lite_models.build(keras, "mlp")
    converter = ember.lite.TFLiteConverter.from_keras_model(model)
    converter.target_spec.supported_ops = {ember.lite.OpsSet.TFLITE_BUILTINS}
    converter.inference_input_type = ember.float32
    assert parse(converter.convert()).operators
    converter.representative_dataset = lambda: iter([])
    with pytest.raises(NotImplementedError, match="full-integer"):
        converter.convert()
    converter.representative_dataset = None
    converter.inference_input_type = ember.int8
    with pytest.raises(NotImplementedError, match="inference_input_type"):
        converter.convert()


def test_interpreter_api_errors_and_details():
    interp = ember.lite.Interpreter(model_path=_fixture("ember_mlp.tflite"))
    d = interp.get_input_details()[0]
    assert d["name"] == "x" and d["dtype"] is np.float32
    assert d["shape"].tolist() == [1, 12] and d["shape_signature"].tolist() == [-1, 12]
    with pytest.raises(RuntimeError, match="allocate_tensors"):
        interp.invoke()
    interp.allocate_tensors()
    with pytest.raises(ValueError, match="expected type FLOAT32"):
        interp.set_tensor(d["index"], np.zeros((1, 12), np.float64))
    with pytest.raises(ValueError, match="Dimension mismatch"):
        interp.set_tensor(d["index"], np.zeros((2, 12), np.float32))
    interp.resize_tensor_input(d["index"], [5, 12])
    interp.allocate_tensors()
    assert interp.get_output_details()[0]["shape"].tolist() == [5, 4]
    with pytest.raises(ValueError, match="fixed"):
        interp.resize_tensor_input(d["index"], [5, 13], strict=True)
    with pytest.raises(ValueError, match="missing"):
        interp.get_signature_runner()(y=np.zeros((1, 12), np.float32))
    with pytest.raises(ValueError, match="signature_key"):
        interp.get_signature_runner("nope")
    with pytest.raises(ValueError, match="not a valid TensorFlow Lite"):
        ember.lite.Interpreter(model_content=b"not a model at all")
    data = open(_fixture("ember_cnn.tflite"), "rb").read()
    for cut in (len(data) // 3, len(data) // 2, len(data) - 100):
        with pytest.raises(ValueError, match="not a valid TensorFlow Lite"):
            ember.lite.Interpreter(model_content=data[:cut])


def test_import_ember_does_not_load_lite():
    code = "import sys, ember; print('ember.lite' in sys.modules, 'flatbuffers' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "False"]


def test_two_inputs_two_outputs_signature():
    L = keras.layers
    a, b = keras.Input((4,), name="alpha"), keras.Input((3,), name="beta")
    h = L.Concatenate()([L.Dense(5, activation="relu")(a), b])
    model = keras.Model([a, b], [L.Dense(2)(h), L.Dense(3, activation="softmax")(h)])
    xa = np.random.RandomState(0).randn(2, 4).astype("float32")
    xb = np.random.RandomState(1).randn(2, 3).astype("float32")
    interp = ember.lite.Interpreter(
        model_content=ember.lite.TFLiteConverter.from_keras_model(model).convert())
    # TensorFlow names them the same way (checked side by side with TF 2.21).
    assert interp.get_signature_list() == {
        "serving_default": {"inputs": ["alpha", "beta"], "outputs": ["output_0", "output_1"]}}
    out = interp.get_signature_runner()(beta=xb, alpha=xa)
    expected = model.predict([xa, xb], verbose=0)
    np.testing.assert_allclose(out["output_0"], expected[0], atol=1e-5)
    np.testing.assert_allclose(out["output_1"], expected[1], atol=1e-5)


def test_flatbuffers_missing_gives_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "flatbuffers", None)
    converter = ember.lite.TFLiteConverter.from_keras_model(lite_models.build(keras, "mlp"))
    with pytest.raises(ImportError, match="pip install"):
        converter.convert()


def test_unused_input_and_variable_updates():
    @ember.function(input_signature=[ember.TensorSpec([None, 2], name="used"),
                                     ember.TensorSpec([None, 3], name="unused")])
    def f(used, unused):
        return used * 2.0

    interp = ember.lite.Interpreter(model_content=ember.lite.TFLiteConverter
                                    .from_concrete_functions([f.get_concrete_function()])
                                    .convert())
    out = interp.get_signature_runner()(used=np.ones((1, 2), np.float32),
                                        unused=np.zeros((1, 3), np.float32))
    np.testing.assert_allclose(out["output_0"], [[2.0, 2.0]])
    counter = ember.Variable(0.0)

    @ember.function(input_signature=[ember.TensorSpec([None, 2])])
    def g(x):
        counter.assign_add(1.0)
        return x + counter

    with pytest.raises(NotImplementedError, match="updates variables"):
        ember.lite.TFLiteConverter.from_concrete_functions([g.get_concrete_function()]).convert()


def test_several_signatures_share_one_file():
    funcs, inputs = lite_functions.two_signatures(ember)
    data = ember.lite.TFLiteConverter.from_concrete_functions(funcs).convert()
    interp = ember.lite.Interpreter(model_content=data)
    expected_list = {"encode": {"inputs": ["x"], "outputs": ["code"]},
                     "decode": {"inputs": ["code"], "outputs": ["x"]}}
    assert interp.get_signature_list() == expected_list
    for f, (key, feed) in zip(funcs, inputs.items()):
        out = interp.get_signature_runner(key)(**feed)
        for k, v in f(*feed.values()).items():
            np.testing.assert_allclose(out[k], v.numpy(), atol=1e-6)
    with pytest.raises(ValueError, match="signature_key"):
        interp.get_signature_runner()                  # two signatures: say which
    # Real TensorFlow reads the same two signatures (fixture script).
    check = json.load(open(_fixture("tf_check.json")))["two_signatures"]
    assert check["signature_list"] == expected_list and check["max_abs_diff"] < 1e-6
    assert len(parse(open(_fixture("ember_two_signatures.tflite"), "rb").read())
               .operators) == len(parse(data).operators)


def test_from_saved_model_converts_every_signature(tmp_path):
    m = lite_functions.Scaler(ember)
    ember.saved_model.save(m, str(tmp_path / "sm"),
                           signatures={"serving_default": m.encode, "decode": m.decode})
    interp = ember.lite.Interpreter(model_content=ember.lite.TFLiteConverter
                                    .from_saved_model(str(tmp_path / "sm")).convert())
    assert sorted(interp.get_signature_list()) == ["decode", "serving_default"]
    x = np.ones((1, 3), np.float32)
    np.testing.assert_allclose(interp.get_signature_runner("decode")(code=x)["x"],
                               x / np.array([1.5, -2.0, 0.5], np.float32), rtol=1e-6)
    only = ember.lite.TFLiteConverter.from_saved_model(str(tmp_path / "sm"),
                                                       signature_keys=["decode"]).convert()
    assert list(ember.lite.Interpreter(model_content=only).get_signature_list()) == ["decode"]
    with pytest.raises(ValueError, match="no signature 'nope'"):
        ember.lite.TFLiteConverter.from_saved_model(str(tmp_path / "sm"),
                                                    signature_keys=["nope"])


def test_quantized_recurrent_weights_are_stored_once():
    L = keras.layers
    inp = keras.Input((6, 20), name="x")
    model = keras.Model(inp, L.Dense(4)(L.LSTM(32)(inp)))
    converter = ember.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [ember.lite.Optimize.DEFAULT]
    parsed = parse(converter.convert())
    int8 = [t for t in parsed.tensors if t.dtype == np.int8]
    assert sorted(t.shape for t in int8) == [(128, 20), (128, 32)]    # kernel, recurrent
    x = np.random.RandomState(0).randn(2, 6, 20).astype("float32")
    out = ember.lite.Interpreter(model_content=converter.convert()).get_signature_runner()(x=x)
    np.testing.assert_allclose(out["output_0"], model.predict(x, verbose=0), atol=1e-2)


def test_tensor_gives_the_live_array():
    interp = ember.lite.Interpreter(model_path=_fixture("ember_mlp.tflite"))
    interp.allocate_tensors()
    x = lite_models.sample("mlp", batch=1)
    inp = interp.get_input_details()[0]["index"]
    interp.tensor(inp)()[...] = x                    # TensorFlow's in-place input idiom
    interp.invoke()
    out = interp.tensor(interp.get_output_details()[0]["index"])()
    np.testing.assert_allclose(out, lite_models.build(keras, "mlp").predict(x, verbose=0),
                               atol=1e-5)
    interp.reset_all_variables()
    with pytest.raises(ValueError, match="out of range"):
        interp.tensor(10_000)
