"""ember.serving.ModelServer: TensorFlow Serving's REST API on SavedModels written by
``model.export`` and ``ember.saved_model.save``, hit over HTTP with urllib."""
import base64
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import numpy as np
import pytest

import ember
from ember import keras
from ember.serving import ModelConfig, ModelServer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def request(url, body=None, raw=None):
    """(HTTP status, parsed JSON answer) of a GET (no body) or POST."""
    data = raw if raw is not None else None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method="GET" if data is None else "POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


FEATURES = {"x": ember.io.FixedLenFeature([2], ember.float32),
            "bias": ember.io.FixedLenFeature([], ember.float32, default_value=0.0)}


class Strings(ember.Module):
    """String signatures: bytes in and out, and regression/classification of serialized
    tf.Examples (parsed in the graph, as an Estimator's export would)."""

    def __init__(self):
        self.w = ember.Variable([0.5, -1.0], name="w")
        self.k = ember.Variable([[1.0, -1.0], [0.5, 2.0]], name="k")

    @ember.function(input_signature=[ember.TensorSpec([None], ember.string,
                                                      name="text_bytes")])
    def echo(self, text):
        return {"length": ember.strings.length(text), "echo_bytes": text,
                "upper": ember.strings.upper(text)}

    @ember.function(input_signature=[ember.TensorSpec([None], ember.string, name="inputs")])
    def regress(self, serialized):
        f = ember.io.parse_example(serialized, FEATURES)
        return {"outputs": ember.reduce_sum(f["x"] * self.w, 1) + f["bias"]}

    @ember.function(input_signature=[ember.TensorSpec([None], ember.string, name="inputs")])
    def classify(self, serialized):
        x = ember.io.parse_example(serialized, FEATURES)["x"]
        labels = ember.constant([[b"cat", b"dog"]])
        return {"classes": ember.tile(labels, ember.stack([ember.shape(x)[0], 1])),
                "scores": ember.nn.softmax(ember.matmul(x, self.k))}


def dense_model(seed):
    keras.utils.set_random_seed(seed)
    i = keras.Input((3,), name="feat")
    return keras.Model(i, keras.layers.Dense(2)(i))


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    base = tmp_path_factory.mktemp("models")
    lin = dense_model(0)
    lin.export(str(base / "lin" / "1"), verbose=False)
    keras.utils.set_random_seed(1)
    a, b = keras.Input((3,), name="a"), keras.Input((2,), name="b")
    d = keras.layers.Concatenate()([a, b])
    multi = keras.Model({"a": a, "b": b}, {"x": keras.layers.Dense(1)(d),
                                           "y": keras.layers.Dense(2)(d)})
    multi.export(str(base / "multi" / "7"), verbose=False)
    conv = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(4, 3),
                             keras.layers.Flatten(), keras.layers.Dense(3)])
    ember.saved_model.save(conv, str(base / "conv" / "1"))
    s = Strings()
    ember.saved_model.save(s, str(base / "strings" / "1"), signatures={
        "serving_default": s.echo, "regress_sig": s.regress, "classify_sig": s.classify})
    configs = [ModelConfig(n, str(base / n)) for n in ("lin", "multi", "conv", "strings")]
    server = ModelServer(model_configs=configs, rest_api_port=0, rest_api_host="127.0.0.1",
                         file_system_poll_wait_seconds=0).start()
    yield {"url": server.url, "lin": lin, "multi": multi, "conv": conv, "base": base}
    server.stop()


def test_status_and_metadata(models):
    url = models["url"]
    assert request(url + "/v1/models/lin") == (200, {"model_version_status": [
        {"version": "1", "state": "AVAILABLE",
         "status": {"error_code": "OK", "error_message": ""}}]})
    status, meta = request(url + "/v1/models/multi/metadata")
    assert status == 200 and meta["model_spec"] == {"name": "multi", "signature_name": "",
                                                    "version": "7"}
    sig = meta["metadata"]["signature_def"]["signature_def"]["serving_default"]
    assert sig["method_name"] == "tensorflow/serving/predict"
    assert sig["inputs"]["a"] == {"dtype": "DT_FLOAT", "name": "serving_default_a:0",
                                  "tensor_shape": {"dim": [{"size": "-1", "name": ""},
                                                           {"size": "3", "name": ""}],
                                                   "unknown_rank": False}}
    assert sorted(sig["outputs"]) == ["x", "y"]
    assert [d["size"] for d in sig["outputs"]["y"]["tensor_shape"]["dim"]] == ["-1", "2"]
    status, meta = request(url + "/v1/models/strings/versions/1/metadata")
    sigs = meta["metadata"]["signature_def"]["signature_def"]
    assert sorted(sigs) == ["classify_sig", "regress_sig", "serving_default"]
    assert sigs["serving_default"]["inputs"]["text_bytes"]["dtype"] == "DT_STRING"
    assert sigs["serving_default"]["outputs"]["length"]["dtype"] == "DT_INT32"


def test_predict_row_and_columnar_equal_model_predict(models):
    url, lin = models["url"], models["lin"]
    x = np.random.default_rng(0).standard_normal((5, 3)).astype("float32")
    want = lin.predict(x, verbose=0)
    status, out = request(url + "/v1/models/lin:predict", {"instances": x.tolist()})
    assert status == 200 and list(out) == ["predictions"]
    np.testing.assert_allclose(out["predictions"], want, rtol=1e-5, atol=1e-6)
    status, out = request(url + "/v1/models/lin/versions/1:predict",
                          {"signature_name": "serving_default", "inputs": {"feat": x.tolist()}})
    assert status == 200 and list(out) == ["outputs"]
    np.testing.assert_allclose(out["outputs"], want, rtol=1e-5, atol=1e-6)
    status, out = request(url + "/v1/models/lin:predict",
                          {"instances": [{"feat": row} for row in x.tolist()]})
    np.testing.assert_allclose(out["predictions"], want, rtol=1e-5, atol=1e-6)


def test_multi_input_multi_output_model(models):
    url, multi = models["url"], models["multi"]
    rng = np.random.default_rng(1)
    a = rng.standard_normal((4, 3)).astype("float32")
    b = rng.standard_normal((4, 2)).astype("float32")
    want = multi.predict({"a": a, "b": b}, verbose=0)
    status, out = request(url + "/v1/models/multi:predict", {
        "instances": [{"a": ra, "b": rb} for ra, rb in zip(a.tolist(), b.tolist())]})
    assert status == 200 and len(out["predictions"]) == 4
    np.testing.assert_allclose([p["x"] for p in out["predictions"]], want["x"], rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose([p["y"] for p in out["predictions"]], want["y"], rtol=1e-5,
                               atol=1e-6)
    status, out = request(url + "/v1/models/multi:predict",
                          {"inputs": {"a": a.tolist(), "b": b.tolist()}})
    assert status == 200 and sorted(out["outputs"]) == ["x", "y"]
    np.testing.assert_allclose(out["outputs"]["y"], want["y"], rtol=1e-5, atol=1e-6)


def test_binary_strings_in_and_out(models):
    url = models["url"]
    blobs = [b"\x89PNG\x00\xff", "héllo".encode()]
    status, out = request(url + "/v1/models/strings:predict", {
        "instances": [{"b64": base64.b64encode(v).decode()} for v in blobs]})
    assert status == 200
    assert [p["length"] for p in out["predictions"]] == [6, 6]
    assert [base64.b64decode(p["echo_bytes"]["b64"]) for p in out["predictions"]] == blobs
    assert out["predictions"][1]["upper"] == "HéLLO"     # ASCII upper case, as TensorFlow
    status, out = request(url + "/v1/models/strings:predict", {"inputs": ["abc", "de"]})
    assert out["outputs"]["length"] == [3, 2] and out["outputs"]["upper"] == ["ABC", "DE"]


def test_regress_and_classify_send_tf_examples(models):
    url = models["url"]
    examples = [{"x": [1.5, 2.0]}, {"x": [-1.0, 0.25], "bias": 3.0}]
    x = np.array([[1.5, 2.0], [-1.0, 0.25]], np.float32)
    status, out = request(url + "/v1/models/strings:regress",
                          {"signature_name": "regress_sig", "examples": examples})
    assert status == 200
    np.testing.assert_allclose(out["results"], x @ [0.5, -1.0] + [0.0, 3.0], rtol=1e-6)
    status, out = request(url + "/v1/models/strings:classify", {
        "signature_name": "classify_sig", "context": {"x": [0.0, 1.0]}, "examples": [{}]})
    logits = np.array([0.0, 1.0]) @ np.array([[1.0, -1.0], [0.5, 2.0]])
    p = np.exp(logits) / np.exp(logits).sum()
    assert status == 200 and [c[0] for c in out["results"][0]] == ["cat", "dog"]
    np.testing.assert_allclose([c[1] for c in out["results"][0]], p, rtol=1e-5)
    status, out = request(url + "/v1/models/strings:regress",
                          {"signature_name": "regress_sig", "examples": [{"y": 1.0}]})
    assert status == 400 and "Feature: x (data type: float) is required" in out["error"]
    # a predict signature cannot classify: TensorFlow Serving's message, 400
    status, out = request(url + "/v1/models/lin:classify", {"examples": examples})
    assert status == 400 and "No classification inputs found in SignatureDef" in out["error"]
    status, out = request(url + "/v1/models/strings:regress",
                          {"signature_name": "classify_sig", "examples": examples})
    assert status == 400 and out["error"] == "Expected one output Tensor."


@pytest.mark.parametrize("path,body,status,message", [
    ("/v1/models/nope:predict", {"instances": [1]}, 404,
     "Servable not found for request: Latest(nope)"),
    ("/v1/models/lin/versions/9:predict", {"instances": [[1, 2, 3]]}, 404,
     "Servable not found for request: Specific(lin, 9)"),
    ("/v1/models/nope", None, 404, "Could not find any versions of model nope"),
    ("/v1/models/lin/versions/9", None, 404, "Could not find version 9 of model lin"),
    ("/v1/models/lin/labels/stable:predict", {"instances": [[1, 2, 3]]}, 400,
     "Unrecognized servable version label: stable"),
    ("/v1/models/lin:predict", b"{not json", 400, "JSON Parse error"),
    ("/v1/models/lin:predict", b"", 400, "JSON Parse error: The document is empty"),
    ("/v1/models/lin:predict", {"instances": [[1, 2, 3, 4]]}, 400,
     "Input 'feat' of signature 'serving_default' expects a float32 tensor of shape [?,3], "
     "but the request gives shape [1,4]."),
    ("/v1/models/lin:predict", {"instances": [["a", "b", "c"]]}, 400,
     "is not of expected type: float"),
    ("/v1/models/lin:predict", {"signature_name": "nope", "instances": [[1, 2, 3]]}, 400,
     'Serving signature name: "nope" not found in signature def'),
    ("/v1/models/multi:predict", {"inputs": {"a": [[1, 2, 3]]}}, 400,
     "Missing named input: b in 'inputs' object."),
    ("/v1/models/multi:predict", {"instances": [[1, 2, 3]]}, 400,
     "expecting list of objects as multiple input tensors"),
    ("/v1/models/lin:explode", {}, 400, "Malformed request: POST /v1/models/lin:explode"),
    ("/v1/models", None, 400, "Missing model name in request."),
    ("/healthz", None, 404, "Not found"),
])
def test_errors_are_json_with_tf_serving_statuses(models, path, body, status, message):
    raw = body if isinstance(body, bytes) else None
    got_status, out = request(models["url"] + path, None if raw is not None else body, raw)
    assert got_status == status and list(out) == ["error"]
    assert message in out["error"]
    assert "Traceback" not in out["error"]


def test_bad_http_never_takes_the_server_down(models):
    host, port = models["url"].rsplit("/", 1)[1].split(":")
    for garbage in (b"GARBAGE\r\n\r\n", b"\x00\x01\x02\r\n\r\n",
                    b"POST /v1/models/lin:predict HTTP/1.1\r\nContent-Length: 5\r\n\r\n{",
                    b"POST /v1/models/lin:predict HTTP/1.1\r\nContent-Length: x\r\n\r\n",
                    b"POST /v1/models/lin:predict HTTP/1.1\r\nContent-Length: 9999999999999"
                    b"\r\n\r\n"):
        with socket.create_connection((host, int(port)), timeout=10) as s:
            s.sendall(garbage)
            s.shutdown(socket.SHUT_WR)
            s.recv(4096)
    # a chunked body is read as such
    body = json.dumps({"instances": [[1.0, 2.0, 3.0]]}).encode()
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(b"POST /v1/models/lin:predict HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n" + b"%x\r\n" % 10 + body[:10] +
                  b"\r\n" + b"%x\r\n" % (len(body) - 10) + body[10:] + b"\r\n0\r\n\r\n")
        reply = b""
        while chunk := s.recv(4096):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 200") and b'"predictions"' in reply
    status, _ = request(models["url"] + "/v1/models/lin")
    assert status == 200


def test_concurrent_requests_are_all_answered_correctly(models):
    url, conv, lin = models["url"], models["conv"], models["lin"]
    rng = np.random.default_rng(2)
    jobs = []
    for i in range(16):
        if i % 2:
            x = rng.standard_normal((3, 8, 8, 1)).astype("float32")
            jobs.append(("conv", x, conv.predict(x, verbose=0)))
        else:
            x = rng.standard_normal((4, 3)).astype("float32")
            jobs.append(("lin", x, lin.predict(x, verbose=0)))
    results = [None] * len(jobs)
    start = threading.Barrier(8)

    def worker(k):
        start.wait()
        for j in range(k, len(jobs), 8):
            name, x, _ = jobs[j]
            results[j] = request(f"{url}/v1/models/{name}:predict", {"instances": x.tolist()})

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for (name, x, want), (status, out) in zip(jobs, results):
        assert status == 200, out
        np.testing.assert_allclose(out["predictions"], want, rtol=1e-4, atol=1e-5)


def test_new_versions_are_picked_up_and_old_ones_unloaded(tmp_path):
    base = tmp_path / "m"
    v1, v2 = dense_model(3), dense_model(4)
    v1.export(str(base / "1"), verbose=False)
    (base / "notes").mkdir()                           # not a version: ignored
    x = np.ones((2, 3), "float32")
    with ModelServer("m", str(base), rest_api_port=0, rest_api_host="127.0.0.1",
                     file_system_poll_wait_seconds=0.05) as server:
        _, out = request(server.url + "/v1/models/m:predict", {"instances": x.tolist()})
        np.testing.assert_allclose(out["predictions"], v1.predict(x, verbose=0), rtol=1e-5)
        v2.export(str(base / "2"), verbose=False)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            _, status = request(server.url + "/v1/models/m")
            states = {s["version"]: s["state"] for s in status["model_version_status"]}
            if states == {"2": "AVAILABLE", "1": "END"}:
                break
            time.sleep(0.05)
        assert states == {"2": "AVAILABLE", "1": "END"}
        _, out = request(server.url + "/v1/models/m:predict", {"instances": x.tolist()})
        np.testing.assert_allclose(out["predictions"], v2.predict(x, verbose=0), rtol=1e-5)
        assert request(server.url + "/v1/models/m/versions/1:predict",
                       {"instances": x.tolist()})[0] == 404


def test_config_file_with_specific_versions_and_labels(tmp_path):
    base = tmp_path / "m"
    models = {v: dense_model(v) for v in (1, 2, 3)}
    for v, m in models.items():
        m.export(str(base / str(v)), verbose=False)
    (base / "4").mkdir()          # a version being copied (no saved_model.json yet): waited for
    config = tmp_path / "models.config"
    config.write_text(f"""model_config_list {{
      config {{
        name: 'm'
        base_path: '{base}'
        model_platform: 'tensorflow'
        model_version_policy {{ specific {{ versions: 1 versions: 3 }} }}
        version_labels {{ key: 'stable' value: 1 }}
        version_labels {{ key: 'canary' value: 3 }}
      }}
    }}""")
    x = np.full((1, 3), 0.5, "float32")
    with ModelServer(model_config_file=str(config), rest_api_port=0,
                     rest_api_host="127.0.0.1", file_system_poll_wait_seconds=0) as server:
        _, status = request(server.url + "/v1/models/m")
        assert [s["version"] for s in status["model_version_status"]] == ["3", "1"]
        for path, v in (("", 3), ("/versions/1", 1), ("/labels/stable", 1),
                        ("/labels/canary", 3)):
            code, out = request(f"{server.url}/v1/models/m{path}:predict",
                                {"instances": x.tolist()})
            assert code == 200
            np.testing.assert_allclose(out["predictions"], models[v].predict(x, verbose=0),
                                       rtol=1e-5)
        assert request(server.url + "/v1/models/m/versions/2:predict",
                       {"instances": x.tolist()})[0] == 404
        assert request(server.url + "/v1/models/m/labels/canary/metadata")[1][
            "model_spec"]["version"] == "3"


def test_broken_version_is_reported_not_served(tmp_path):
    base = tmp_path / "m"
    dense_model(0).export(str(base / "1"), verbose=False)
    (base / "2").mkdir()
    (base / "2" / "saved_model.json").write_text("{broken")
    with ModelServer("m", str(base), rest_api_port=0, rest_api_host="127.0.0.1",
                     file_system_poll_wait_seconds=0) as server:
        _, status = request(server.url + "/v1/models/m")
        [v2] = [s for s in status["model_version_status"] if s["version"] == "2"]
        assert v2["state"] == "END" and v2["status"]["error_code"] == "INVALID_ARGUMENT"
        assert "Cannot read" in v2["status"]["error_message"]
        assert request(server.url + "/v1/models/m:predict", {"instances": [[1, 2, 3]]})[0] \
            == 404     # the latest version failed to load; version 1 is not the policy's


def test_server_is_quiet_unless_asked(models, capfd, tmp_path):
    request(models["url"] + "/v1/models/lin:predict", {"instances": [[1, 2, 3]]})
    request(models["url"] + "/v1/models/lin:predict", raw=b"{")
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    dense_model(0).export(str(tmp_path / "q" / "1"), verbose=False)
    with ModelServer("q", str(tmp_path / "q"), rest_api_port=0, rest_api_host="127.0.0.1",
                     file_system_poll_wait_seconds=0, log_requests=True) as server:
        request(server.url + "/v1/models/q")
    out, err = capfd.readouterr()
    assert '"GET /v1/models/q HTTP/1.1" 200' in err


def test_command_line_server(tmp_path):
    dense_model(5).export(str(tmp_path / "cli" / "1"), verbose=False)
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen(
        [sys.executable, "-m", "ember", "serve", "--model_name=cli",
         f"--model_base_path={tmp_path / 'cli'}", "--rest_api_port=0",
         "--rest_api_host=127.0.0.1", "--file_system_poll_wait_seconds=0",
         "--rest_api_num_threads=2", "--port=8500", "--enable_batching"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = seen = ""
        deadline = time.monotonic() + 60
        while "Exporting HTTP/REST API at:" not in line and time.monotonic() < deadline:
            line = proc.stderr.readline()
            seen += line
            if not line and proc.poll() is not None:
                break
        assert "Exporting HTTP/REST API at:" in line, proc.stderr.read()
        assert "--port (gRPC) is ignored" in seen
        port = int(line.split(":")[2].split()[0])
        x = np.ones((1, 3), "float32")
        status, out = request(f"http://127.0.0.1:{port}/v1/models/cli:predict",
                              {"instances": x.tolist()})
        assert status == 200
        np.testing.assert_allclose(out["predictions"], dense_model(5).predict(x, verbose=0),
                                   rtol=1e-5)
    finally:
        proc.terminate()
        rc = proc.wait(30)
    assert rc == 0
    assert proc.stdout.read() == ""


def test_server_arguments_are_checked(tmp_path):
    with pytest.raises(ValueError, match="needs a model"):
        ModelServer()
    with pytest.raises(ValueError, match="rest_api_num_threads must be at least 1"):
        ModelServer("m", str(tmp_path), rest_api_num_threads=0)
    with pytest.raises(ValueError, match="Invalid model name"):
        ModelServer("a/b", str(tmp_path))


def test_config_file_is_reread_when_it_changes(tmp_path):
    for name in ("a", "b"):
        dense_model(0).export(str(tmp_path / name / "1"), verbose=False)
    config = tmp_path / "models.config"

    def write(names):
        entries = "".join(f"config {{ name: '{n}' base_path: '{tmp_path / n}' }}\n"
                          for n in names)
        config.write_text(f"model_config_list {{\n{entries}}}\n")
        os.utime(config, (time.time() + len(names), time.time() + len(names)))

    write(["a"])
    with ModelServer(model_config_file=str(config), rest_api_port=0,
                     rest_api_host="127.0.0.1", file_system_poll_wait_seconds=0,
                     model_config_file_poll_wait_seconds=0.05) as server:
        assert request(server.url + "/v1/models/b")[0] == 404
        write(["a", "b"])
        deadline = time.monotonic() + 20
        while request(server.url + "/v1/models/b")[0] != 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert request(server.url + "/v1/models/b:predict", {"instances": [[1, 2, 3]]})[0] \
            == 200
        write(["b"])                   # a model taken out of the config is unloaded
        while request(server.url + "/v1/models/a:predict", {"instances": [[1, 2, 3]]})[0] \
                == 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert request(server.url + "/v1/models/a:predict", {"instances": [[1, 2, 3]]})[0] \
            == 404


def test_batching_runs_concurrent_requests_together(tmp_path):
    from ember.serving.batching import parse_batching_parameters
    params_file = tmp_path / "batching.config"
    params_file.write_text("max_batch_size { value: 8 }\nbatch_timeout_micros { value: 300000 }"
                           "\nnum_batch_threads { value: 1 }\nallowed_batch_sizes: 4\n"
                           "allowed_batch_sizes: 8\n")
    params = parse_batching_parameters(params_file.read_text())
    assert (params.max_batch_size, params.batch_timeout_micros, params.allowed_batch_sizes) \
        == (8, 300000, (4, 8))
    model = dense_model(6)
    model.export(str(tmp_path / "m" / "1"), verbose=False)
    rng = np.random.default_rng(3)
    xs = [rng.standard_normal((1 + i % 2, 3)).astype("float32") for i in range(6)]
    results = [None] * len(xs)
    with ModelServer("m", str(tmp_path / "m"), rest_api_port=0, rest_api_host="127.0.0.1",
                     file_system_poll_wait_seconds=0, enable_batching=True,
                     batching_parameters_file=str(params_file)) as server:
        start = threading.Barrier(len(xs))

        def client(i):
            start.wait()
            results[i] = request(server.url + "/v1/models/m:predict",
                                 {"instances": xs[i].tolist()})
        threads = [threading.Thread(target=client, args=(i,)) for i in range(len(xs))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        # one more, alone: padded to 4 rows, answered with its own row
        alone = request(server.url + "/v1/models/m:predict", {"instances": [[1.0, 2.0, 3.0]]})
        batches = server.manager.servable("m")._batchers["serving_default"].batches_run
    for x, (status, out) in zip(xs, results):
        assert status == 200
        np.testing.assert_allclose(out["predictions"], model.predict(x, verbose=0),
                                   rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(alone[1]["predictions"], model.predict(
        np.array([[1.0, 2.0, 3.0]], "float32"), verbose=0), rtol=1e-5, atol=1e-6)
    assert batches < len(xs) + 1          # concurrent requests shared batches
    with pytest.raises(ValueError, match="largest of allowed_batch_sizes"):
        parse_batching_parameters("max_batch_size { value: 8 } allowed_batch_sizes: 4")
