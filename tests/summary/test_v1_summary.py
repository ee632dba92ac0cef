"""tf.compat.v1.summary: protos byte-identical to real TensorFlow's
(tests/fixtures/summary/make_v1_fixtures.py), merge_all in a v1 graph and FileWriter."""
import glob
import os

import numpy as np
import pytest

import ember as tf

pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing import event_accumulator as ea  # noqa: E402

v1 = tf.compat.v1
FIXTURE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "summary",
                       "v1_reference.npz")


def test_protos_match_tensorflow_bytes():
    ref = np.load(FIXTURE)
    for k in ("normal", "mixed", "empty"):
        assert v1.summary.histogram(k, ref["in_" + k]).numpy() == ref["hist_" + k].tobytes()
    assert v1.summary.scalar("loss", 0.5).numpy() == ref["scalar"].tobytes()


def test_graph_summaries_through_a_session_and_file_writer(tmp_path):
    graph = v1.Graph()
    with graph.as_default():
        x = v1.placeholder(tf.float32, [None])
        v1.summary.scalar("mean", tf.reduce_mean(x))
        v1.summary.histogram("values", x)
        v1.summary.image("pic", tf.reshape(x[:4], [1, 2, 2, 1]))
        merged = v1.summary.merge_all()
        with v1.Session(graph=graph) as sess, \
                v1.summary.FileWriter(str(tmp_path), sess.graph) as writer:
            for step in range(3):
                blob = sess.run(merged, {x: np.arange(6, dtype=np.float32) + step})
                writer.add_summary(blob, global_step=step)
    files = glob.glob(str(tmp_path / "events.out.tfevents.*"))
    assert len(files) == 1
    acc = ea.EventAccumulator(files[0], size_guidance={ea.SCALARS: 0, ea.HISTOGRAMS: 0})
    acc.Reload()
    assert [(e.step, e.value) for e in acc.Scalars("mean")] == [(0, 2.5), (1, 3.5), (2, 4.5)]
    hist = acc.Histograms("values")[-1].histogram_value
    assert (hist.min, hist.max, hist.num, hist.sum) == (2.0, 7.0, 6.0, 27.0)
    assert acc.Images("pic/image")[0].width == 2
    assert any(n.op == "Placeholder" for n in acc.Graph().node)
