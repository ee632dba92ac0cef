import json
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest

import ember as tf
from ember.engine.graph_io import load_graph, save_graph


def _mlp_function():
    rng = np.random.default_rng(0)
    w1 = tf.Variable(rng.standard_normal((4, 8)).astype(np.float32), name="w1")
    b1 = tf.Variable(np.zeros(8, np.float32), name="b1")
    w2 = tf.Variable(rng.standard_normal((8, 3)).astype(np.float32), name="w2")

    @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32)])
    def predict(x):
        h = tf.nn.relu(tf.matmul(x, w1) + b1)
        return {"probs": tf.nn.softmax(tf.matmul(h, w2)), "hidden": h}
    return predict


def test_round_trip_in_process(tmp_path):
    predict = _mlp_function()
    x = np.random.default_rng(1).standard_normal((5, 4)).astype(np.float32)
    want = predict(tf.constant(x))
    path = save_graph(str(tmp_path / "mlp.embergraph"), predict.get_concrete_function())
    loaded = load_graph(path)
    got = loaded(x)
    assert set(got) == {"probs", "hidden"}
    np.testing.assert_array_equal(got["probs"].numpy(), want["probs"].numpy())
    np.testing.assert_array_equal(got["hidden"].numpy(), want["hidden"].numpy())
    # a different batch size works: the placeholder kept its None dimension
    assert loaded(x[:2])["probs"].shape == (2, 3)


def test_file_is_json_and_npy_without_pickle(tmp_path):
    predict = _mlp_function()
    path = save_graph(str(tmp_path / "mlp.embergraph"), predict.get_concrete_function())
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        doc = json.loads(z.read("graph.json"))
    assert "graph.json" in names and all(n.endswith(".npy") for n in names if n != "graph.json")
    assert {v["name"] for v in doc["variables"]} == {"w1:0", "b1:0", "w2:0"}
    assert "BatchMatMulV2" in {n["op"] for n in doc["nodes"]}


def test_loads_and_runs_in_a_fresh_process(tmp_path):
    predict = _mlp_function()
    x = np.arange(8, dtype=np.float32).reshape(2, 4) / 10
    want = predict(tf.constant(x))["probs"].numpy()
    path = save_graph(str(tmp_path / "mlp.embergraph"), predict.get_concrete_function())
    np.save(tmp_path / "want.npy", want)
    script = textwrap.dedent(f"""
        import numpy as np
        from ember.engine.graph_io import load_graph
        g = load_graph({path!r})
        x = np.arange(8, dtype=np.float32).reshape(2, 4) / 10
        got = g(x)["probs"].numpy()
        np.testing.assert_array_equal(got, np.load({str(tmp_path / 'want.npy')!r}))
        print("ok")
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_control_flow_and_variable_binding(tmp_path):
    v = tf.Variable(2.0, name="scale")

    @tf.function
    def f(x, n):
        _, acc = tf.while_loop(lambda i, a: i < n, lambda i, a: (i + 1, a * v),
                               [tf.constant(0), x])
        return tf.cond(tf.reduce_sum(acc) > 100.0, lambda: acc, lambda: -acc)

    x = tf.constant([1.0, 2.0])
    path = save_graph(str(tmp_path / "cf.embergraph"), f.get_concrete_function(x, tf.constant(3)))
    loaded = load_graph(path)
    np.testing.assert_array_equal(loaded(x, np.int32(3)).numpy(), [-8.0, -16.0])
    np.testing.assert_array_equal(loaded(x, np.int32(6)).numpy(), [64.0, 128.0])
    other = tf.Variable(3.0, name="scale")
    rebound = load_graph(path, variables={"scale:0": other})
    np.testing.assert_array_equal(rebound(x, np.int32(2)).numpy(), [-9.0, -18.0])


def test_input_checks(tmp_path):
    predict = _mlp_function()
    loaded = load_graph(save_graph(str(tmp_path / "m.embergraph"),
                                   predict.get_concrete_function()))
    with pytest.raises(TypeError, match="takes 1 inputs"):
        loaded()
    with pytest.raises(ValueError, match="expects shape"):
        loaded(np.zeros((2, 5), np.float32))
