"""ember.profiler: profiles written as the XPlane files TensorBoard's profile plugin reads."""
import glob
import json
import os
import subprocess
import textwrap
import threading

import numpy as np
import pytest

import ember
from ember import keras

pytest.importorskip("google.protobuf")

from ember.profiler.xplane import parse_xspace  # noqa: E402

profiler = ember.profiler.experimental
REFENV = "/work/refenv/bin/python"


def _profile_files(logdir):
    return sorted(glob.glob(os.path.join(str(logdir), "plugins", "profile", "*",
                                         "*.xplane.pb")))


def _read(logdir):
    """{thread name: [(event name, start ps, duration ps, {stat: value})]} of the one
    profile under ``logdir``, and the XSpace."""
    files = _profile_files(logdir)
    assert len(files) == 1, files
    space = parse_xspace(open(files[0], "rb").read())
    host = [p for p in space.planes if p.name == "/host:CPU"][0]
    lines = {}
    for line in host.lines:
        events = []
        for e in line.events:
            stats = {}
            for s in e.stats:
                stats[host.stat_metadata[s.metadata_id].name] = getattr(s, s.WhichOneof("value"))
            start = line.timestamp_ns * 1000 + e.offset_ps
            events.append((host.event_metadata[e.metadata_id].name, start, e.duration_ps, stats))
        lines[line.name] = events
    return lines, space


def test_start_stop_records_eager_ops_compiled_steps_and_marked_regions(tmp_path):
    x = ember.constant(np.arange(16.0, dtype=np.float32).reshape(4, 4))

    @ember.function
    def f(a):
        return ember.nn.relu(ember.matmul(a, a) - 100.0)

    expected = np.maximum(x.numpy() @ x.numpy() - 100.0, 0)
    f(x)                                  # traced before the profile
    profiler.start(str(tmp_path))
    for step in range(3):
        with profiler.Trace("train", step_num=step, _r=1):
            eager = ember.math.reduce_sum(x)
            compiled = f(x)
    profiler.stop()
    # results while profiling are the same as without
    np.testing.assert_allclose(compiled.numpy(), expected, rtol=1e-6)
    assert float(eager) == pytest.approx(120.0)

    lines, space = _read(tmp_path)
    assert space.hostnames and space.hostnames[0]
    main = lines[threading.main_thread().name]
    names = [e[0] for e in main]
    regions = [e for e in main if e[0] == "train"]
    assert [r[3] for r in regions] == [{"step_num": i, "_r": 1} for i in range(3)]
    assert names.count("Sum") == 3
    steps = [n for n in names if ":" in n]
    assert any(n.endswith(":Relu") for n in steps), steps
    # every op of a step lies inside that step's region
    for name, start, duration, _ in main:
        if name == "train":
            continue
        assert any(r[1] <= start and start + duration <= r[1] + r[2] for r in regions), name
    env = [p for p in space.planes if p.name == "Task Environment"][0]
    times = {env.stat_metadata[s.metadata_id].name: s.uint64_value for s in env.stats}
    assert 0 < times["profile_start_time"] <= times["profile_stop_time"]


def test_each_thread_gets_its_own_line(tmp_path):
    x = ember.ones((8, 8))
    results = {}

    def work(i):
        results[i] = float(ember.math.reduce_sum(ember.matmul(x, x)))

    with profiler.Profile(str(tmp_path)):
        threads = [threading.Thread(target=work, args=(i,), name=f"worker{i}") for i in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert results == {0: 512.0, 1: 512.0, 2: 512.0}
    lines, _ = _read(tmp_path)
    for i in range(3):
        assert [e[0] for e in lines[f"worker{i}"]].count("Sum") == 1


def test_host_tracer_level_1_keeps_only_marked_regions(tmp_path):
    options = profiler.ProfilerOptions(host_tracer_level=1)
    profiler.start(str(tmp_path), options=options)
    with profiler.Trace("mine"):
        ember.math.reduce_sum(ember.ones((3,)))
    profiler.stop()
    lines, _ = _read(tmp_path)
    assert [e[0] for events in lines.values() for e in events] == ["mine"]


def test_python_tracer_records_function_calls(tmp_path):
    def my_python_function():
        return sum(range(10))

    profiler.start(str(tmp_path), profiler.ProfilerOptions(python_tracer_level=1))
    my_python_function()
    profiler.stop()
    lines, _ = _read(tmp_path)
    names = [e[0] for events in lines.values() for e in events]
    assert any(n.endswith(" my_python_function") and n.startswith("$test_profiler.py:")
               for n in names), names


def test_one_profile_at_a_time_and_clear_errors(tmp_path):
    with pytest.raises(ember.errors.UnavailableError, match="No profiler is running"):
        profiler.stop()
    profiler.start(str(tmp_path))
    try:
        with pytest.raises(ember.errors.AlreadyExistsError, match="Another profiler"):
            profiler.start(str(tmp_path / "other"))
    finally:
        profiler.stop(save=False)
    assert _profile_files(tmp_path) == []          # save=False writes nothing
    with pytest.raises(ValueError, match="host_tracer_level"):
        profiler.start(str(tmp_path), profiler.ProfilerOptions(host_tracer_level=-1))
    with pytest.raises(TypeError, match="ProfilerOptions"):
        profiler.start(str(tmp_path), options={"host_tracer_level": 2})
    with pytest.raises(NotImplementedError, match="gRPC"):
        profiler.server.start(6009)
    assert profiler.ProfilerOptions() == (2, 0, 1, None)


def test_delayed_start_records_only_after_the_delay(tmp_path):
    options = profiler.ProfilerOptions(delay_ms=500)
    profiler.start(str(tmp_path), options)
    with profiler.Trace("before"):
        pass
    import time
    from ember.runtime import profiling
    deadline = time.monotonic() + 10.0          # the delayed start runs on a timer thread
    while profiling.active is None and time.monotonic() < deadline:
        time.sleep(0.01)
    with profiler.Trace("after"):
        pass
    profiler.stop()
    lines, _ = _read(tmp_path)
    names = [e[0] for events in lines.values() for e in events]
    assert names == ["after"]


def test_summary_trace_on_with_profiler_writes_the_profile_at_export(tmp_path):
    pytest.importorskip("tensorboard")
    writer = ember.summary.create_file_writer(str(tmp_path / "logs"))

    @ember.function
    def double(a):
        return a * 2.0

    ember.summary.trace_on(graph=True, profiler=True, profiler_outdir=str(tmp_path / "prof"))
    double(ember.constant([1.0, 2.0]))
    with writer.as_default():
        ember.summary.trace_export("t", step=0)
    writer.close()
    lines, _ = _read(tmp_path / "prof")
    names = [e[0] for events in lines.values() for e in events]
    assert any(n.endswith(":Mul") for n in names), names
    # no outdir: a warning, and no profiler left running
    with pytest.warns(UserWarning, match="profiler_outdir"):
        ember.summary.trace_on(graph=True, profiler=True)
    ember.summary.trace_off()
    profiler.start(str(tmp_path / "free"))        # nothing left running
    profiler.stop(save=False)


def test_tensorboard_callback_profiles_the_chosen_batches(tmp_path):
    pytest.importorskip("tensorboard")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu"),
                              keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.RandomState(0).rand(40, 4).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    tb = keras.callbacks.TensorBoard(log_dir=str(tmp_path), profile_batch=(2, 3))
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[tb])
    lines, _ = _read(tmp_path / "train")
    main = [e for events in lines.values() for e in events]
    steps = [e for e in main if e[0] == "Profiled Step"]
    assert [s[3]["step_num"] for s in steps] == [1, 2]     # 0-based batch index in the epoch
    assert sum(1 for e in main if e[0].endswith(":MatMul") or "MatMul" in e[0]) >= 2
    profiler.start(str(tmp_path / "free"))        # the callback stopped its profile
    profiler.stop(save=False)


@pytest.mark.skipif(not os.path.exists(REFENV), reason="needs the reference environment "
                    "with TensorBoard's profile plugin (xprof)")
def test_tensorboards_profile_plugin_reads_the_file(tmp_path):
    x = ember.ones((16, 16))
    with profiler.Profile(str(tmp_path)):
        with profiler.Trace("region", step_num=0, _r=1):
            ember.matmul(x, x)
    path = _profile_files(tmp_path)[0]
    script = textwrap.dedent(f"""
        import json, sys
        try:
            from xprof.convert import raw_to_tool_data
        except ImportError:
            print("NO-XPROF"); sys.exit(0)
        data, _ = raw_to_tool_data.xspace_to_tool_data([{path!r}], "trace_viewer", {{}})
        events = json.loads(data)["traceEvents"]
        print(json.dumps(sorted({{e["name"] for e in events if e.get("ph") == "X"}})))
    """)
    out = subprocess.run([REFENV, "-c", script], capture_output=True, text=True, timeout=240)
    if out.stdout.strip() == "NO-XPROF":
        pytest.skip("xprof is not installed in the reference environment")
    assert out.returncode == 0, out.stderr[-2000:]
    names = json.loads(out.stdout.strip().splitlines()[-1])
    # xprof shows a region with step_num as "<name> <step>", the op under its type
    assert "region 0" in names, names
    assert any("MatMul" in n for n in names), names
