"""GraphDef interop: frozen graphs real TensorFlow wrote run in ember to TF's outputs,
ember's graphs round-trip (and real TF read them: checks.json), meta graphs with
checkpoints, write_graph, graph_util, make_tensor_proto/make_ndarray, and clear errors."""
import json
import os
import sys

import numpy as np
import pytest

pytest.importorskip("tensorboard")

import ember  # noqa: E402
import ember.compat.v1 as tf  # noqa: E402
from tests.compat.test_v1 import graph_mode  # noqa: E402,F401 - the TF1 graph fixture

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "tf1")


def _graph_def(name):
    from ember.compat.v1.graph_io import read_graph_def
    return read_graph_def(os.path.join(FIXTURES, name))


def _io(name):
    return dict(np.load(os.path.join(FIXTURES, name)))


# ------------------------------------------------------------ frozen TF graphs ---

def test_frozen_mlp_from_tensorflow_runs_to_tfs_outputs():
    io = _io("frozen_io.npz")
    g = tf.Graph()
    with g.as_default():
        probs, top = tf.import_graph_def(_graph_def("frozen_mlp.pb"),
                                         return_elements=["probs:0", "top:0"])
        assert probs.name == "import/probs:0"
        assert g.get_tensor_by_name("import/probs:0") is probs
        with tf.Session(graph=g) as sess:
            got = sess.run([probs, top], {"import/x:0": io["mlp_x"]})
    np.testing.assert_allclose(got[0], io["mlp_probs"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got[1], io["mlp_top"], rtol=1e-5, atol=1e-6)


def test_frozen_cnn_from_tensorflow_with_input_map():
    """Conv2D (strided, dilated), depthwise, inference FusedBatchNormV3, pooling, pad,
    concat, transpose, strided slice, argmax, cast, squeeze: TF's outputs."""
    io = _io("frozen_io.npz")
    g = tf.Graph()
    with g.as_default():
        image = tf.placeholder(tf.float32, [None, 12, 12, 3], name="my_image")
        logits, label, total = tf.import_graph_def(
            _graph_def("frozen_cnn.pb"), input_map={"image:0": image},
            return_elements=["logits:0", "label:0", "total:0"], name="net")
        with tf.Session(graph=g) as sess:
            got = sess.run([logits, label, total], {image: io["cnn_x"]})
    np.testing.assert_allclose(got[0], io["cnn_logits"], rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(got[1], io["cnn_label"])
    assert got[1].dtype == np.int64 and got[2].dtype == np.float64
    np.testing.assert_allclose(got[2], io["cnn_total"], rtol=1e-4, atol=1e-5)


def test_frozen_graph_of_more_op_types_from_tensorflow():
    """Transposed convolution, TF1 resize_bilinear sampling, Split/SplitV, Tile, Slice,
    GatherV2, OneHot, Select, Range, AddN, Relu6, LRN, Unpack, MirrorPad: TF's outputs."""
    io = _io("frozen_io.npz")
    names = ["total", "mirrored", "clip", "tiled"]
    g = tf.Graph()
    with g.as_default():
        outs = tf.import_graph_def(_graph_def("frozen_misc.pb"),
                                   return_elements=[n + ":0" for n in names], name="")
        with tf.Session(graph=g) as sess:
            got = sess.run(outs, {"feat:0": io["misc_feat"], "ids:0": io["misc_ids"]})
    for name, value in zip(names, got):
        np.testing.assert_allclose(value, io["misc_" + name], rtol=1e-5, atol=1e-5,
                                   err_msg=name)


def test_imported_graph_differentiates_like_the_original(graph_mode):
    """Gradients through an imported frozen graph equal finite differences of it."""
    io = _io("frozen_io.npz")
    x = tf.placeholder(tf.float32, [5, 6])
    (probs,) = tf.import_graph_def(_graph_def("frozen_mlp.pb"), input_map={"x": x},
                                   return_elements=["probs:0"], name="")
    loss = tf.reduce_sum(probs * tf.constant(np.arange(3, dtype=np.float32)))
    (grad,) = tf.gradients(loss, [x])
    xv = io["mlp_x"].astype(np.float32)
    with tf.Session() as sess:
        g = sess.run(grad, {x: xv})
        eps, (i, j) = 1e-2, (2, 3)
        up, down = xv.copy(), xv.copy()
        up[i, j] += eps
        down[i, j] -= eps
        numeric = (sess.run(loss, {x: up}) - sess.run(loss, {x: down})) / (2 * eps)
    assert g.shape == (5, 6)
    np.testing.assert_allclose(g[i, j], numeric, rtol=2e-2, atol=1e-4)


# ------------------------------------------------------------ ember -> GraphDef ---

def _maker():
    sys.path.insert(0, FIXTURES)
    try:
        import make_ember_graphs
    finally:
        sys.path.pop(0)
    return make_ember_graphs


def _small_model(tf):
    return _maker().build_model(tf)


def test_training_graph_with_gradients_runs_in_tensorflow_and_back(graph_mode):
    """ember's training graph (its gradient ops written as TF nodes) is what real TF
    trained to ember's loss (checks.json); imported back into ember it trains the same."""
    maker = _maker()
    maker.build_training(tf)
    gdef = tf.get_default_graph().as_graph_def()
    committed = _graph_def("ember_train.pb")
    assert [(n.name, n.op, dict(n.attr)) for n in gdef.node] == \
        [(n.name, n.op, dict(n.attr)) for n in committed.node]
    with open(os.path.join(FIXTURES, "checks.json")) as f:
        check = json.load(f)["ember_train.pb"]
    assert check["matches"] and check["global_step"] == maker.TRAIN_STEPS
    io = _io("ember_train_io.npz")
    g = tf.Graph()
    with g.as_default():
        tf.import_graph_def(committed, name="")
        feed = {"x:0": io["x"], "y:0": io["y"]}
        with tf.Session(graph=g) as sess:
            sess.run(maker.INIT_OPS)
            for _ in range(maker.TRAIN_STEPS):
                sess.run("train", feed)
            loss = sess.run("loss:0", feed)
            assert sess.run("global_step/read:0") == maker.TRAIN_STEPS
    np.testing.assert_allclose(loss, check["tf_loss_after_3_steps"], rtol=1e-5)


def test_round_trip_and_what_real_tensorflow_read(graph_mode):
    x, out = _small_model(tf)
    io = _io("ember_io.npz")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        want = sess.run(out, {x: io["x"]})
        frozen = tf.graph_util.convert_variables_to_constants(
            sess, tf.get_default_graph().as_graph_def(), ["out"])
    np.testing.assert_allclose(want, io["out"], rtol=1e-5, atol=1e-6)
    ops = {n.op for n in frozen.node}
    assert {"Conv2D", "BiasAdd", "MatMul", "MaxPool", "AvgPool", "ConcatV2", "Softmax",
            "Const", "Identity", "Placeholder"} <= ops
    assert not ops & {"VarHandleOp", "ReadVariableOp", "AssignVariableOp"}
    # the GraphDef real TensorFlow ran (checks.json) is what ember writes today
    committed = _graph_def("ember_graph.pb")
    assert [(n.name, n.op, dict(n.attr)) for n in frozen.node] == \
        [(n.name, n.op, dict(n.attr)) for n in committed.node]
    with open(os.path.join(FIXTURES, "checks.json")) as f:
        checks = json.load(f)
    assert checks["ember_graph.pb"]["matches"] and checks["ember_model.meta"]["matches"]
    # and it imports back into ember, serialized
    g = tf.Graph()
    with g.as_default():
        (back,) = tf.import_graph_def(frozen.SerializeToString(), return_elements=["out:0"])
        with tf.Session(graph=g) as sess:
            got = sess.run(back, {"import/x:0": io["x"]})
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


def test_graph_def_attributes_are_tensorflows(graph_mode):
    x = tf.placeholder(tf.float32, [None, 4, 4, 2], name="x")
    w = tf.constant(np.ones((2, 2, 2, 3), np.float32))
    y = tf.nn.conv2d(x, w, strides=[1, 2, 2, 1], padding="VALID", name="conv")
    m = tf.matmul(tf.reshape(y, [-1, 12]), tf.ones([3, 12]), transpose_b=True, name="mm")
    tf.reduce_sum(m, axis=1, name="total")
    gdef = tf.get_default_graph().as_graph_def(add_shapes=True)
    nodes = {n.name: n for n in gdef.node}
    conv = nodes["conv"]
    assert conv.op == "Conv2D" and list(conv.attr["strides"].list.i) == [1, 2, 2, 1]
    assert conv.attr["padding"].s == b"VALID" and conv.attr["data_format"].s == b"NHWC"
    assert nodes["mm"].op == "MatMul" and nodes["mm"].attr["transpose_b"].b
    total = nodes["total"]
    assert total.op == "Sum" and total.attr["keep_dims"].b is False
    axis = nodes[total.input[1]]
    assert axis.op == "Const" and tf.make_ndarray(axis.attr["value"].tensor).tolist() == [1]
    assert nodes["x"].attr["shape"].shape.dim[0].size == -1
    assert len(conv.attr["_output_shapes"].list.shape) == 1


def test_variables_export_as_resource_ops(graph_mode):
    v = tf.Variable(np.zeros(3, np.float32), name="v")
    up = v.assign_add(tf.ones([3]))
    gdef = tf.get_default_graph().as_graph_def()
    types = {n.name: n.op for n in gdef.node}
    assert types["v"] == "VarHandleOp"
    assert "AssignVariableOp" in types.values() and "AssignAddVariableOp" in types.values()
    # imported into ember again: its own variables, initialized by the imported Assign
    g = tf.Graph()
    with g.as_default():
        (read,) = tf.import_graph_def(gdef, return_elements=[up.name], name="copy")
        with tf.Session(graph=g) as sess:
            sess.run(g.get_operation_by_name("copy/" + v.initializer.name))
            np.testing.assert_array_equal(sess.run(read), [1, 1, 1])
            np.testing.assert_array_equal(sess.run(read), [2, 2, 2])


def test_write_graph_text_and_binary(graph_mode, tmp_path):
    from ember.compat.v1.graph_io import read_graph_def
    tf.nn.relu(tf.placeholder(tf.float32, [2]), name="r")
    text = tf.train.write_graph(tf.get_default_graph(), str(tmp_path), "g.pbtxt")
    binary = ember.io.write_graph(tf.get_default_graph().as_graph_def(), str(tmp_path),
                                  "g.pb", as_text=False)
    with open(text) as f:
        assert 'op: "Relu"' in f.read()
    assert read_graph_def(text) == read_graph_def(binary)


# ---------------------------------------------------------------- meta graphs ---

def test_import_meta_graph_from_tensorflow_and_restore():
    io = _io("meta_model_io.npz")
    prefix = os.path.join(FIXTURES, "meta_model", "model")
    g = tf.Graph()
    with g.as_default():
        saver = tf.train.import_meta_graph(prefix + ".meta")
        names = sorted(v.name for v in tf.global_variables())
        assert names == ["b:0", "global_step:0", "w:0"]
        train = tf.get_collection("train_op")[0]
        with tf.Session() as sess:
            saver.restore(sess, prefix)
            np.testing.assert_allclose(sess.run("y:0", {"x:0": io["x"]}), io["y"],
                                       rtol=1e-5, atol=1e-6)
            sess.run(train, {"x:0": io["x"]})          # TF's training step, in ember
            np.testing.assert_allclose(sess.run("y:0", {"x:0": io["x"]}),
                                       io["y_after_step"], rtol=1e-5, atol=1e-5)
            assert sess.run(tf.train.get_global_step() or "global_step:0") == 2


def test_saver_meta_graph_round_trip(graph_mode, tmp_path):
    x, out = _small_model(tf)
    xv = _io("ember_io.npz")["x"]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        want = sess.run(out, {x: xv})
        path = tf.train.Saver().save(sess, str(tmp_path / "model"))
    assert os.path.exists(path + ".meta")
    g = tf.Graph()
    with g.as_default():
        saver = tf.train.import_meta_graph(path + ".meta")
        assert len(tf.trainable_variables()) == 3
        with tf.Session() as sess:
            saver.restore(sess, path)
            np.testing.assert_allclose(sess.run("out:0", {"x:0": xv}), want, rtol=1e-6)


# --------------------------------------------------------------- graph_util ---

def test_extract_sub_graph_and_remove_training_nodes(graph_mode):
    a = tf.placeholder(tf.float32, [], name="a")
    b = tf.identity(a * 2.0, name="b")
    tf.math.exp(a, name="unrelated")
    c = tf.identity(b + 1.0, name="c")
    gdef = tf.get_default_graph().as_graph_def()
    sub = tf.graph_util.extract_sub_graph(gdef, ["c"])
    assert "unrelated" not in {n.name for n in sub.node} and "a" in {n.name for n in sub.node}
    slim = tf.graph_util.remove_training_nodes(sub, protected_nodes=["c"])
    assert [n.name for n in slim.node if n.op == "Identity"] == ["c"]
    g = tf.Graph()
    with g.as_default():
        (out,) = tf.import_graph_def(slim, return_elements=["c:0"], name="")
        with tf.Session(graph=g) as sess:
            assert sess.run(out, {"a:0": 3.0}) == 7.0
    with pytest.raises(AssertionError, match="nope is not in graph"):
        tf.graph_util.extract_sub_graph(gdef, ["nope"])
    del c


# ----------------------------------------------------------- tensor protos ---

def test_make_tensor_proto_matches_tensorflow():
    from tensorboard.compat.proto import tensor_pb2
    stored = np.load(os.path.join(FIXTURES, "tensor_protos.npz"))
    src = open(os.path.join(FIXTURES, "make_fixtures.py")).read()
    namespace = {}
    exec(src[src.index("TENSOR_PROTO_CASES = ["):src.index("def tensor_protos")],
         {"np": np}, namespace)
    for name, expr, dtype, shape in namespace["TENSOR_PROTO_CASES"]:
        mine = ember.make_tensor_proto(eval(expr), dtype=dtype, shape=shape)
        theirs = tensor_pb2.TensorProto.FromString(stored[name].tobytes())
        assert mine == theirs, name
        a, b = ember.make_ndarray(theirs), ember.make_ndarray(mine)
        assert a.dtype == b.dtype and np.array_equal(a, b), name
    np.testing.assert_array_equal(
        tf.make_ndarray(tf.make_tensor_proto([1, 2], dtype=tf.int32, shape=[4])),
        [1, 2, 2, 2])
    with pytest.raises(ValueError, match="Too many elements"):
        ember.make_tensor_proto([1, 2, 3], shape=[2])
    with pytest.raises(TypeError, match="Expected Tensor's shape"):
        ember.make_tensor_proto([1, 2], shape=[2, 1], verify_shape=True)


# -------------------------------------------------------------------- errors ---

def test_clear_errors(graph_mode, monkeypatch):
    from tensorboard.compat.proto import graph_pb2
    gdef = graph_pb2.GraphDef()
    gdef.node.add(name="in", op="Placeholder").attr["dtype"].type = 1
    weird = gdef.node.add(name="odd", op="FancyNewOp")
    weird.input.append("in")
    with pytest.raises(ValueError, match="node 'odd' has op type 'FancyNewOp'"):
        tf.import_graph_def(gdef)
    gdef.node.pop()
    with pytest.raises(ValueError, match="not found in graph_def"):
        tf.import_graph_def(gdef, input_map={"missing:0": tf.constant(1.0)})
    with pytest.raises(ValueError, match="return_element 'nope:0' not found"):
        tf.import_graph_def(gdef, return_elements=["nope:0"])
    with pytest.raises(TypeError, match="GraphDef"):
        tf.import_graph_def("not a graph")
    tf.math.cumsum(tf.placeholder(tf.float32, [3]), name="running")
    with pytest.raises(ValueError, match="'running' of type Cumsum"):
        tf.get_default_graph().as_graph_def()
    import ember.compat.v1.tensor_util as tu
    monkeypatch.setitem(sys.modules, "tensorboard.compat.proto", None)
    with pytest.raises(ImportError, match="pip install tensorboard"):
        tu.protos()


def test_tf1_loading_idiom_and_a_tf2_function_graph():
    """``graph_def = tf.GraphDef(); graph_def.ParseFromString(...)`` as TF1 loaders do,
    and a tf.function's graph written as a GraphDef (no compat.v1 graph needed)."""
    io = _io("frozen_io.npz")
    graph_def = tf.GraphDef()
    with tf.gfile.GFile(os.path.join(FIXTURES, "frozen_mlp.pb"), "rb") as f:
        graph_def.ParseFromString(f.read())
    with tf.Graph().as_default() as g:
        tf.import_graph_def(graph_def, name="")
        with tf.Session(graph=g) as sess:
            got = sess.run("probs:0", {"x:0": io["mlp_x"]})
    np.testing.assert_allclose(got, io["mlp_probs"], rtol=1e-5, atol=1e-6)

    v = ember.Variable(np.full((3, 2), 0.5, np.float32))

    @ember.function
    def f(x):
        return ember.nn.relu(ember.matmul(x, v))

    gdef = f.get_concrete_function(ember.TensorSpec([None, 3], ember.float32)).graph \
        .as_graph_def()
    assert [n.op for n in gdef.node] == ["Placeholder", "VarHandleOp", "ReadVariableOp",
                                         "MatMul", "Relu"]


def test_saver_still_checkpoints_a_graph_tensorflow_cannot_hold(graph_mode, tmp_path, caplog):
    v = tf.Variable(np.arange(3, dtype=np.float32), name="v")
    tf.math.cumsum(v, name="running")               # no TensorFlow node ember writes
    with tf.Session() as sess:
        sess.run(v.initializer)
        with caplog.at_level("WARNING", logger="tensorflow"):
            path = tf.train.Saver().save(sess, str(tmp_path / "m"))
    assert os.path.exists(path + ".index") and not os.path.exists(path + ".meta")
    assert any("no meta graph written" in r.getMessage() for r in caplog.records)
