"""compat.v1 MonitoredSession / MonitoredTrainingSession and the SessionRunHook family:
hook order and arguments as TensorFlow calls them, stopping, checkpoints that restore on
a second run, summaries, logging, NaN checks and the errors for bad arguments."""
import logging as pylogging
import os

import numpy as np
import pytest

import ember.compat.v1 as tf
from ember.framework.errors import OutOfRangeError
from tests.compat.test_v1 import graph_mode  # noqa: F401 - the TF1 default-graph fixture

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "tf1")


def _model(lr=0.1):
    """w starts at 1; each step multiplies it by (1 - 2 lr) (gradient descent on w*w)."""
    gs = tf.train.get_or_create_global_step()
    w = tf.Variable(1.0, name="w")
    loss = w * w
    train = tf.train.GradientDescentOptimizer(lr).minimize(loss, global_step=gs)
    return gs, w, loss, train


class Recorder(tf.train.SessionRunHook):
    def __init__(self, gs):
        self.gs, self.calls = gs, []

    def begin(self):
        self.calls.append(("begin", tf.get_default_graph().finalized))

    def after_create_session(self, session, coord):
        self.calls.append(("after_create_session", type(session).__name__,
                           type(coord).__name__, int(session.run(self.gs))))

    def before_run(self, run_context):
        assert isinstance(run_context.original_args, tf.train.SessionRunArgs)
        self.calls.append(("before_run", run_context.original_args.fetches is not None))
        return tf.train.SessionRunArgs({"gs": self.gs})

    def after_run(self, run_context, run_values):
        assert isinstance(run_values, tf.train.SessionRunValues)
        self.calls.append(("after_run", int(run_values.results["gs"])))

    def end(self, session):
        self.calls.append(("end", int(session.run(self.gs))))


def test_training_loop_stops_checkpoints_and_resumes(graph_mode, tmp_path):
    ckpt = str(tmp_path)
    ws = []
    for run in range(2):
        tf.reset_default_graph()
        gs, w, loss, train = _model()
        rec = Recorder(gs)
        with tf.train.MonitoredTrainingSession(
                checkpoint_dir=ckpt, save_checkpoint_steps=2, save_summaries_steps=None,
                log_step_count_steps=None,
                hooks=[rec, tf.train.StopAtStepHook(num_steps=3)]) as sess:
            assert tf.get_default_graph().finalized
            n = 0
            while not sess.should_stop():
                _, step, wv = sess.run([train, gs, w])
                n += 1
        assert sess.should_stop()
        assert not tf.get_default_graph().finalized      # unfinalized again on close
        ws.append(wv)
        start = 3 * run
        assert n == 3 and step == start + 3
        names = [c[0] for c in rec.calls]
        assert names == ["begin", "after_create_session"] + \
            ["before_run", "after_run"] * 3 + ["end"]
        assert rec.calls[0] == ("begin", False)
        assert rec.calls[1] == ("after_create_session", "Session", "Coordinator", start)
        assert rec.calls[-1] == ("end", start + 3)
        # the step fetched by a hook is that of the run (either side of the increment)
        seen = [c[1] for c in rec.calls if c[0] == "after_run"]
        assert all(start + k <= s <= start + k + 1 for k, s in enumerate(seen))
    # w = 0.8 ** steps: the second run continued from the first's checkpoint
    np.testing.assert_allclose(ws, [0.8 ** 3, 0.8 ** 6], rtol=1e-5)
    # checkpoints at session creation, every 2 steps and at the end (TF's schedule)
    assert tf.train.get_checkpoint_state(ckpt).all_model_checkpoint_paths == \
        [os.path.join(ckpt, f"model.ckpt-{k}") for k in (0, 2, 3, 5, 6)]
    assert tf.train.latest_checkpoint(ckpt) == os.path.join(ckpt, "model.ckpt-6")
    reader = tf.train.load_checkpoint(os.path.join(ckpt, "model.ckpt-6"))
    assert reader.get_tensor("global_step") == 6
    np.testing.assert_allclose(reader.get_tensor("w"), 0.8 ** 6, rtol=1e-5)


def test_restores_a_checkpoint_real_tensorflow_wrote(graph_mode, tmp_path):
    """A TF1 MonitoredTrainingSession's checkpoint directory (written by real TF, see
    tests/fixtures/tf1/make_fixtures.py) resumes in ember at TF's step and values."""
    import shutil
    src = os.path.join(FIXTURES, "mts_ckpt")
    for name in os.listdir(src):
        shutil.copy(os.path.join(src, name), tmp_path / name)
    want = dict(np.load(os.path.join(FIXTURES, "mts_ckpt_values.npz")))
    gs, w, loss, train = _model()
    with tf.train.MonitoredTrainingSession(checkpoint_dir=str(tmp_path),
                                           save_checkpoint_secs=None,
                                           save_summaries_steps=None,
                                           log_step_count_steps=None) as sess:
        step, wv = sess.run([gs, w])
        assert step == want["global_step"]
        np.testing.assert_allclose(wv, want["w"], rtol=1e-6)
        sess.run(train)
        np.testing.assert_allclose(sess.run(w), want["w"] * 0.8, rtol=1e-5)


def test_stop_requests_and_run_after_stop(graph_mode):
    gs, w, loss, train = _model()

    class StopAfterTwo(tf.train.SessionRunHook):
        def __init__(self):
            self.n = 0

        def after_run(self, run_context, run_values):
            self.n += 1
            if self.n == 2:
                run_context.request_stop()
                assert run_context.stop_requested

    with tf.train.MonitoredSession(hooks=[StopAfterTwo()]) as sess:
        sess.run(train)
        assert not sess.should_stop()
        sess.run(train)
        assert sess.should_stop()
        with pytest.raises(RuntimeError, match="should_stop"):
            sess.run(train)
    with tf.train.MonitoredSession(hooks=[tf.train.StopAtStepHook(last_step=4)]) as sess:
        n = 0
        while not sess.should_stop():
            _, step = sess.run([train, gs])
            n += 1
        assert n == 4 and step == 4     # a new session initializes the variables again


def test_hook_feeds_fetches_and_final_ops(graph_mode):
    x = tf.placeholder(tf.float32, [], name="x")
    gs = tf.train.get_or_create_global_step()
    acc = tf.Variable(0.0, name="acc")
    add = tf.group(acc.assign_add(x), gs.assign_add(1))
    feeds = iter([1.0, 2.0, 3.0])
    final = tf.train.FinalOpsHook(acc * 10.0)
    with tf.train.SingularMonitoredSession(
            hooks=[tf.train.FeedFnHook(lambda: {x: next(feeds)}), final,
                   tf.train.StopAtStepHook(last_step=3)]) as sess:
        assert isinstance(sess.raw_session(), tf.Session)
        while not sess.should_stop():
            sess.run(add)
    assert final.final_ops_values == pytest.approx(60.0)

    class AlsoFeedsX(tf.train.SessionRunHook):
        def before_run(self, run_context):
            return tf.train.SessionRunArgs(None, feed_dict={x: 5.0})

    with tf.train.MonitoredSession(hooks=[AlsoFeedsX()]) as sess:
        with pytest.raises(RuntimeError, match="fed by a SessionRunHook and user"):
            sess.run(add, feed_dict={x: 1.0})


def test_out_of_range_ends_the_session_cleanly(graph_mode):
    gs, w, loss, train = _model()
    rec = Recorder(gs)
    with tf.train.MonitoredSession(hooks=[rec]) as sess:
        sess.run(train)
        raise OutOfRangeError("input exhausted")
    assert rec.calls[-1] == ("end", 1)
    rec2 = Recorder(gs)
    with pytest.raises(ValueError, match="boom"):
        with tf.train.MonitoredSession(hooks=[rec2]) as sess:
            raise ValueError("boom")
    assert rec2.calls[-1][0] == "after_create_session"       # no end() after an error


def test_nan_tensor_hook(graph_mode):
    gs = tf.train.get_or_create_global_step()
    loss = tf.placeholder(tf.float32, [])
    step = gs.assign_add(1)
    with tf.train.MonitoredSession(hooks=[tf.train.NanTensorHook(loss)]) as sess:
        sess.run(step, feed_dict={loss: 1.0})
        with pytest.raises(tf.train.NanLossDuringTrainingError, match="NaN loss"):
            sess.run(step, feed_dict={loss: np.nan})
    with tf.train.MonitoredSession(
            hooks=[tf.train.NanTensorHook(loss, fail_on_nan_loss=False)]) as sess:
        sess.run(step, feed_dict={loss: np.nan})
        assert sess.should_stop()


def test_checkpoint_listener_calls_and_stop(graph_mode, tmp_path):
    gs, w, loss, train = _model()
    events = []

    class Listener(tf.train.CheckpointSaverListener):
        def begin(self):
            events.append("begin")

        def before_save(self, session, step):
            events.append(("before_save", int(step)))

        def after_save(self, session, step):
            events.append(("after_save", int(step)))
            return step >= 4

        def end(self, session, step):
            events.append(("end", int(step)))

    hook = tf.train.CheckpointSaverHook(str(tmp_path), save_steps=2, listeners=[Listener()])
    with tf.train.MonitoredSession(hooks=[hook]) as sess:
        n = 0
        while not sess.should_stop():
            sess.run(train)
            n += 1
    assert n == 4
    assert events == ["begin", ("before_save", 0), ("after_save", 0), ("before_save", 2),
                      ("after_save", 2), ("before_save", 4), ("after_save", 4), ("end", 4)]
    assert sorted(f for f in os.listdir(tmp_path) if f.endswith(".index")) == \
        ["model.ckpt-0.index", "model.ckpt-2.index", "model.ckpt-4.index"]


def test_logging_tensor_hook_is_quiet_unless_asked(graph_mode, caplog):
    gs, w, loss, train = _model()
    hook = tf.train.LoggingTensorHook({"loss": loss, "step": gs}, every_n_iter=2)
    old = tf.logging.get_verbosity()
    try:
        with caplog.at_level(pylogging.WARNING, logger="tensorflow"):
            tf.logging.set_verbosity(tf.logging.WARN)
            with tf.train.MonitoredSession(hooks=[hook]) as sess:
                for _ in range(3):
                    sess.run(train)
            assert not [r for r in caplog.records if r.name == "tensorflow"]
        caplog.clear()
        tf.logging.set_verbosity(tf.logging.INFO)
        with caplog.at_level(pylogging.INFO, logger="tensorflow"):
            with tf.train.MonitoredSession(hooks=[hook]) as sess:
                for _ in range(3):
                    sess.run(train)
        lines = [r.getMessage() for r in caplog.records if "loss = " in r.getMessage()]
    finally:
        tf.logging.set_verbosity(old)
    assert len(lines) == 2              # iterations 0 and 2
    assert lines[0].startswith("loss = ") and ", step = " in lines[0]
    assert "sec)" in lines[1]           # the second line says how long since the first
    with pytest.raises(ValueError, match="exactly one of every_n_iter"):
        tf.train.LoggingTensorHook({"loss": loss})


def test_summary_and_step_counter_hooks_write_events(graph_mode, tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    gs, w, loss, train = _model()
    tf.summary.scalar("loss", loss)
    with tf.train.MonitoredTrainingSession(checkpoint_dir=str(tmp_path),
                                           save_summaries_steps=2, log_step_count_steps=1,
                                           save_checkpoint_secs=None) as sess:
        for _ in range(5):
            sess.run(train)
    tf.summary.FileWriterCache.clear()
    acc = EventAccumulator(str(tmp_path))
    acc.Reload()
    steps = [e.step for e in acc.Scalars("loss")]
    values = [e.value for e in acc.Scalars("loss")]
    assert steps == [1, 3, 5]
    # the summary ran in the same step as train: loss before that step's update
    np.testing.assert_allclose(values, [1.0, 0.8 ** 4, 0.8 ** 8], rtol=1e-5)
    assert [e.step for e in acc.Scalars("global_step/sec")] == [2, 3, 4, 5]


def test_profiler_hook_writes_a_chrome_trace(graph_mode, tmp_path):
    import json
    gs, w, loss, train = _model()
    hook = tf.train.ProfilerHook(save_steps=2, output_dir=str(tmp_path))
    with tf.train.MonitoredSession(hooks=[hook]) as sess:
        for _ in range(4):
            sess.run(train)
    files = sorted(f for f in os.listdir(tmp_path) if f.startswith("timeline"))
    assert files == ["timeline-2.json", "timeline-4.json"]      # as TensorFlow names them
    with open(tmp_path / files[0]) as f:
        trace = json.load(f)
    ops = {e["args"]["op"] for e in trace["traceEvents"]}
    assert "AssignVariable" in ops and all(e["dur"] >= 0 for e in trace["traceEvents"])


def test_scaffold_init_fn_and_finalize(graph_mode, tmp_path):
    gs, w, loss, train = _model()
    calls = []

    def init_fn(scaffold, session):
        calls.append(type(scaffold).__name__)
        w.load(5.0, session)

    scaffold = tf.train.Scaffold(init_fn=init_fn)
    with tf.train.MonitoredTrainingSession(checkpoint_dir=str(tmp_path), scaffold=scaffold,
                                           save_summaries_steps=None,
                                           log_step_count_steps=None) as sess:
        assert sess.run(w) == 5.0
        with pytest.raises(RuntimeError, match="finalized"):
            tf.constant(1.0) + w
    assert calls == ["Scaffold"]
    # restored from the checkpoint: init_fn is not called again
    tf.reset_default_graph()
    gs, w, loss, train = _model()
    with tf.train.MonitoredTrainingSession(
            checkpoint_dir=str(tmp_path), scaffold=tf.train.Scaffold(init_fn=init_fn),
            save_summaries_steps=None, log_step_count_steps=None) as sess:
        assert sess.run(w) == 5.0
    assert calls == ["Scaffold"]


def test_run_step_fn(graph_mode):
    gs, w, loss, train = _model()
    with tf.train.MonitoredSession() as sess:
        def step_fn(step_context):
            step_context.run_with_hooks(train)
            if step_context.session.run(gs) >= 2:
                step_context.request_stop()
            return "ran"
        assert sess.run_step_fn(step_fn) == "ran"
        assert sess.run_step_fn(step_fn) is None and sess.should_stop()
        with pytest.raises(ValueError, match="step_context"):
            sess.run_step_fn(lambda ctx: None)


def test_bad_arguments(graph_mode):
    with pytest.raises(RuntimeError, match="Global step should be created to use "
                                           "StopAtStepHook"):
        tf.train.MonitoredSession(hooks=[tf.train.StopAtStepHook(num_steps=1)])
    assert not tf.get_default_graph().finalized
    with pytest.raises(ValueError, match="Only one of num_steps or last_step"):
        tf.train.StopAtStepHook(num_steps=1, last_step=2)
    with pytest.raises(ValueError, match="One of num_steps or last_step"):
        tf.train.StopAtStepHook()
    with pytest.raises(ValueError, match="Exactly one of scaffold or summary_op"):
        tf.train.SummarySaverHook(save_steps=1)
    with pytest.raises(ValueError, match="Either every_secs or every_steps"):
        tf.train.SecondOrStepTimer()
    with pytest.raises(ValueError, match="Can not provide both"):
        tf.train.SecondOrStepTimer(every_secs=1, every_steps=1)
    with pytest.raises(ValueError, match="both checkpoint_dir and"):
        tf.train.ChiefSessionCreator(checkpoint_dir="a", checkpoint_filename_with_path="b")


def test_second_or_step_timer():
    timer = tf.train.SecondOrStepTimer(every_steps=3)
    assert timer.should_trigger_for_step(0)
    assert timer.update_last_triggered_step(0) == (None, None)
    assert not timer.should_trigger_for_step(0) and not timer.should_trigger_for_step(2)
    assert timer.should_trigger_for_step(3)
    secs, steps = timer.update_last_triggered_step(3)
    assert steps == 3 and secs >= 0 and timer.last_triggered_step() == 3


def test_coordinator_reports_a_thread_exception():
    import threading
    coord = tf.train.Coordinator()

    def work():
        with coord.stop_on_exception():
            raise ValueError("from the thread")

    def wait():
        coord.wait_for_stop()

    threads = [threading.Thread(target=work), threading.Thread(target=wait)]
    for t in threads:
        t.start()
    with pytest.raises(ValueError, match="from the thread"):
        coord.join(threads)
    assert coord.should_stop() and coord.joined
    clean = tf.train.Coordinator()
    clean.request_stop(OutOfRangeError("done"))
    clean.join([])                      # a clean-stop exception is not re-raised


def test_worker_session_waits_for_the_chief(graph_mode):
    from ember.framework.errors import DeadlineExceededError
    gs = tf.train.get_or_create_global_step()
    w = tf.get_variable("w", [], initializer=tf.random_normal_initializer())
    train = tf.group(w.assign_add(1.0), gs.assign_add(1))
    with pytest.raises(DeadlineExceededError, match="not ready after waiting"):
        tf.train.MonitoredTrainingSession(is_chief=False, max_wait_secs=0.2)
    assert not tf.get_default_graph().finalized
    with tf.Session() as chief:                 # the chief initializes the model
        chief.run(tf.global_variables_initializer())
        chief.run(w.assign(3.0))
    waiter = tf.train.GlobalStepWaiterHook(wait_until_step=0)
    with tf.train.MonitoredTrainingSession(is_chief=False, hooks=[waiter]) as sess:
        assert sess.run(w) == 3.0              # not initialized again by the worker
        sess.run(train)
        assert sess.run(gs) == 1 and sess.run(w) == 4.0


def test_singular_session_restores_a_named_checkpoint(graph_mode, tmp_path):
    gs, w, loss, train = _model()
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        first = saver.save(sess, str(tmp_path / "m"), global_step=0)
        sess.run(train)
        saver.save(sess, str(tmp_path / "m"), global_step=1)
    with tf.train.SingularMonitoredSession(checkpoint_filename_with_path=first) as sess:
        assert sess.run(gs) == 0 and sess.run(w) == 1.0     # the named one, not the latest
    with tf.train.SingularMonitoredSession(checkpoint_dir=str(tmp_path)) as sess:
        assert sess.run(gs) == 1
