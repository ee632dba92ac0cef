"""ember.summary: event files TensorBoard's own reader parses, values as real TensorFlow
writes them (tests/fixtures/summary), eagerly and inside ember.function."""
import glob
import io
import os
import wave

import numpy as np
import pytest

import ember as tf

pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing import event_accumulator as ea  # noqa: E402
from tensorboard.util import tensor_util  # noqa: E402

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "summary",
                       "summary_reference.npz")


def read_events(logdir):
    files = glob.glob(os.path.join(str(logdir), "events.out.tfevents.*"))
    assert len(files) == 1, files
    acc = ea.EventAccumulator(files[0], size_guidance={ea.TENSORS: 0, ea.GRAPH: 1})
    acc.Reload()
    return acc


def values(acc, tag):
    return [(e.step, tensor_util.make_ndarray(e.tensor_proto)) for e in acc.Tensors(tag)]


def plugin(acc, tag):
    return acc.SummaryMetadata(tag).plugin_data.plugin_name


def test_file_name_and_scalar_text_audio(tmp_path):
    writer = tf.summary.create_file_writer(str(tmp_path))
    with writer.as_default(step=3):
        assert bool(tf.summary.scalar("loss", tf.constant(0.5)))
        tf.summary.scalar("loss", 0.25, step=4)
        tf.summary.text("note", "hello *world*")
        clip = np.sin(np.linspace(0, 20, 160)).reshape(1, 160, 1) * 0.5
        tf.summary.audio("tone", clip, sample_rate=8000)
    writer.close()
    name = os.path.basename(glob.glob(str(tmp_path / "*"))[0])
    assert name.startswith("events.out.tfevents.") and name.endswith(".v2")
    acc = read_events(tmp_path)
    assert [(s, float(v)) for s, v in values(acc, "loss")] == [(3, 0.5), (4, 0.25)]
    assert plugin(acc, "loss") == "scalars" and plugin(acc, "note") == "text"
    assert values(acc, "note")[0][1].item() == b"hello *world*"
    assert plugin(acc, "tone") == "audio"
    wav = values(acc, "tone")[0][1]
    assert wav.shape == (1, 2)
    with wave.open(io.BytesIO(wav[0, 0])) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
        pcm = np.frombuffer(w.readframes(160), "<i2")
    np.testing.assert_allclose(pcm / 32767.0, clip.ravel(), atol=1e-4)


def test_histograms_and_images_match_tensorflow(tmp_path):
    pil = pytest.importorskip("PIL.Image")
    ref = np.load(FIXTURE)
    writer = tf.summary.create_file_writer(str(tmp_path))
    names = ["normal", "ints", "single", "empty", "wide"]
    with writer.as_default(step=0):
        for k in names:
            tf.summary.histogram(k, ref["in_" + k])
            tf.summary.histogram(k + "_b7", tf.constant(ref["in_" + k]), buckets=7)
        tf.summary.image("float_img", ref["in_float_img"], max_outputs=2)
    writer.close()
    acc = read_events(tmp_path)
    for k in names + [n + "_b7" for n in names]:
        got = values(acc, k)[0][1]
        assert plugin(acc, k) == "histograms"
        assert got.dtype == np.float64 and got.shape == ref["out_" + k].shape, k
        np.testing.assert_allclose(got, ref["out_" + k], rtol=1e-12, atol=1e-12, err_msg=k)
    img = values(acc, "float_img")[0][1]
    assert plugin(acc, "float_img") == "images"
    assert img[:2].tolist() == [b"4", b"3"]         # width, height
    pixels = np.stack([np.asarray(pil.open(io.BytesIO(p))) for p in img[2:]])
    np.testing.assert_array_equal(pixels[..., None], ref["out_float_img"])


def test_traced_summaries_write_when_the_function_runs(tmp_path):
    writer = tf.summary.create_file_writer(str(tmp_path))
    step = tf.Variable(0, dtype=tf.int64)

    @tf.function
    def f(x):
        tf.summary.scalar("x2", x * 2.0)
        with tf.summary.record_if(lambda: x > 0):
            tf.summary.histogram("hist", x + tf.zeros([4]), buckets=2)
        return x + 1.0

    tf.summary.experimental.set_step(step)
    try:
        with writer.as_default():
            f.get_concrete_function(tf.constant(1.0))     # traced: nothing written yet
            writer.flush()
            assert "x2" not in read_events(tmp_path).Tags()["tensors"]
            for k, x in enumerate([1.0, -1.0, 3.0]):
                step.assign(10 + k)
                f(tf.constant(x))
    finally:
        tf.summary.experimental.set_step(None)
    writer.close()
    acc = read_events(tmp_path)
    assert [(s, float(v)) for s, v in values(acc, "x2")] == [(10, 2.0), (11, -2.0), (12, 6.0)]
    hist = values(acc, "hist")
    assert [s for s, _ in hist] == [10, 12]           # record_if was false at step 11
    np.testing.assert_array_equal(hist[1][1], [[3.0, 3.0, 0.0], [3.0, 3.0, 4.0]])


def test_no_writer_no_step_noop_and_closed_writer(tmp_path):
    assert not bool(tf.summary.scalar("x", 1.0, step=0))     # no default writer
    with tf.summary.create_noop_writer().as_default(step=1):
        assert bool(tf.summary.scalar("x", 1.0))
    writer = tf.summary.create_file_writer(str(tmp_path))
    with writer.as_default():
        with pytest.raises(ValueError, match="No step set"):
            tf.summary.scalar("x", 1.0)
        with tf.summary.record_if(False):
            assert not bool(tf.summary.scalar("x", 1.0, step=0))
            assert not bool(tf.summary.should_record_summaries())
        assert bool(tf.summary.should_record_summaries())
        with pytest.raises(ValueError, match="scalar"):
            tf.summary.scalar("x", [1.0, 2.0], step=0)
    assert tf.summary.experimental.get_step() is None
    writer.close()
    with writer.as_default(), pytest.raises(RuntimeError, match="closed"):
        tf.summary.scalar("x", 1.0, step=0)
    assert "x" not in read_events(tmp_path).Tags()["tensors"]


def test_graph_and_trace_export(tmp_path):
    @tf.function
    def g(x):
        return tf.matmul(x, x) + 1.0

    writer = tf.summary.create_file_writer(str(tmp_path))
    tf.summary.trace_on(graph=True)
    g(tf.ones([2, 2]))
    with writer.as_default():
        tf.summary.trace_export("g_trace", step=0)
        assert tf.summary.graph(g.get_concrete_function(tf.ones([2, 2])))
    writer.close()
    acc = read_events(tmp_path)
    ops = {n.op for n in acc.Graph().node}
    assert {"AddV2", "Placeholder"} <= ops and any("MatMul" in op for op in ops)
    assert plugin(acc, "g_trace") == "graph_run_metadata_graph"
    from tensorboard.compat.proto import config_pb2
    meta = config_pb2.RunMetadata.FromString(values(acc, "g_trace")[0][1].item())
    traced = {n.op for n in meta.function_graphs[0].pre_optimization_graph.node}
    assert any("MatMul" in op for op in traced)
