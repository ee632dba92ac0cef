"""Dataset behaviour that has no single TF output to compare with: shuffle's buffer
semantics and seeding, traced vs eager functions, parallel map, cache/save/load, generators,
readers, options and errors."""
import collections
import os
import threading
import time

import numpy as np
import pytest

import ember as tf

D = tf.data.Dataset


def values(ds):
    return [int(v) for v in ds.as_numpy_iterator()]


# -- shuffle ------------------------------------------------------------------------------
def test_shuffle_is_a_permutation_and_buffer_one_is_identity():
    out = values(D.range(100).shuffle(10, seed=1))
    assert sorted(out) == list(range(100)) and out != list(range(100))
    assert values(D.range(20).shuffle(1, seed=3)) == list(range(20))


def test_shuffle_moves_elements_only_within_the_buffer_window():
    for seed in range(5):
        out = values(D.range(200).shuffle(5, seed=seed))
        for pos, v in enumerate(out):
            # an element leaves the buffer no earlier than it entered (it can wait longer)
            assert v <= pos + 4, (pos, v)
        # the first output is one of the first buffer_size elements
        assert out[0] < 5


def test_shuffle_same_seed_same_order_across_runs_and_reshuffle():
    tf.random.set_seed(42)
    ds = D.range(50).shuffle(50)
    a1, a2 = values(ds), values(ds)
    tf.random.set_seed(42)
    ds = D.range(50).shuffle(50)
    assert values(ds) == a1 and values(ds) == a2          # same seed -> same orders
    assert a1 != a2                                        # reshuffled each iteration
    fixed = D.range(50).shuffle(50, seed=7, reshuffle_each_iteration=False)
    assert values(fixed) == values(fixed)
    assert values(D.range(50).shuffle(50, seed=7)) == values(D.range(50).shuffle(50, seed=7))


def test_shuffle_seed_is_stable_in_a_fresh_process():
    import subprocess
    import sys
    code = ("import ember as tf; tf.random.set_seed(5); "
            "print(list(tf.data.Dataset.range(30).shuffle(8).as_numpy_iterator()))")
    env = dict(os.environ)
    runs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env=env).stdout for _ in range(2)}
    assert len(runs) == 1 and runs.pop().startswith("[")


def test_shuffle_then_batch_gathers_whole_batches():
    x = np.arange(100, dtype=np.float32).reshape(50, 2)
    y = np.arange(50)
    batches = list(D.from_tensor_slices((x, y)).shuffle(50, seed=1).batch(16))
    assert [len(b[1]) for b in batches] == [16, 16, 16, 2]
    ys = np.concatenate([b[1].numpy() for b in batches])
    xs = np.concatenate([b[0].numpy() for b in batches])
    assert sorted(ys.tolist()) == list(range(50))
    np.testing.assert_array_equal(xs, x[ys])          # rows stay together
    small = np.concatenate([b[1].numpy() for b in
                            D.from_tensor_slices((x, y)).shuffle(4, seed=2).repeat(2).batch(7)])
    assert sorted(small.tolist()) == sorted(list(range(50)) * 2)


# -- functions ---------------------------------------------------------------------------
def test_map_is_traced_and_spec_comes_from_the_trace():
    calls = []

    def f(x):
        calls.append(1)
        return tf.cast(x, tf.float32) * 2.0
    ds = D.range(5).map(f)
    assert ds.element_spec == tf.TensorSpec([], tf.float32)
    assert [float(v) for v in ds] == [0, 2, 4, 6, 8]
    assert len(calls) == 1              # traced once, the graph runs for every element


def test_untraceable_python_function_runs_eagerly():
    def f(x):
        v = int(x.numpy())              # needs a concrete value: cannot be traced
        return np.full([v], v, np.int32) if v % 2 else np.zeros([1], np.int32)
    out = list(D.range(4).map(f).as_numpy_iterator())
    assert [o.tolist() for o in out] == [[0], [1], [0], [3, 3, 3]]


def test_parallel_map_keeps_order_and_uses_threads():
    seen = set()

    def slow(x):
        seen.add(threading.get_ident())
        time.sleep(0.002 * (5 - int(x.numpy()) % 5))
        return x * 2
    ds = D.range(30).map(slow, num_parallel_calls=4)
    assert values(ds) == [2 * i for i in range(30)]
    assert len(seen) > 1
    opts = tf.data.Options()
    opts.deterministic = False
    loose = values(D.range(30).map(slow, num_parallel_calls=4).with_options(opts))
    assert sorted(loose) == [2 * i for i in range(30)]


def test_filter_predicate_must_be_boolean():
    with pytest.raises(TypeError, match="scalar tf.bool"):
        D.range(3).filter(lambda x: x)


# -- generators ---------------------------------------------------------------------------
def test_from_generator_signature_and_legacy_types():
    def gen():
        for i in range(3):
            yield np.arange(i), {"k": float(i)}
    sig = (tf.TensorSpec([None], tf.int64), {"k": tf.TensorSpec([], tf.float32)})
    out = list(D.from_generator(gen, output_signature=sig))
    assert [a.numpy().tolist() for a, _ in out] == [[], [0], [0, 1]]
    assert out[2][1]["k"].dtype == tf.float32
    legacy = D.from_generator(lambda: iter([1, 2]), output_types=tf.int32, output_shapes=[])
    assert values(legacy) == [1, 2] and legacy.element_spec.shape == []
    with_args = D.from_generator(lambda n: range(int(n)), output_types=tf.int64, args=(4,))
    assert values(with_args) == [0, 1, 2, 3]


def test_generator_with_wrong_structure_or_shape_is_a_clear_error():
    def gen():
        yield (1, 2)
        yield 3
    ds = D.from_generator(gen, output_signature=(tf.TensorSpec([], tf.int32),) * 2)
    with pytest.raises(TypeError, match="element 1.*does not match the expected structure"):
        list(ds)
    bad_shape = D.from_generator(lambda: iter([np.zeros(3)]),
                                 output_signature=tf.TensorSpec([2], tf.float32))
    with pytest.raises(ValueError, match="shape \\(3,\\).*incompatible"):
        list(bad_shape)
    bad_type = D.from_generator(lambda: iter(["a"]),
                                output_signature=tf.TensorSpec([], tf.float32))
    with pytest.raises(TypeError, match="from_generator"):
        list(bad_type)


# -- cache, save/load, prefetch ---------------------------------------------------------------
def test_memory_cache_replays_first_complete_pass():
    calls = []

    def f(x):
        calls.append(int(x))
        return x
    ds = D.range(4).map(lambda x: tf.py_function(f, [x], tf.int64)
                        if hasattr(tf, "py_function") else x)
    counter = collections.Counter()

    def gen():
        counter["runs"] += 1
        yield from range(4)
    cached = D.from_generator(gen, output_types=tf.int64).cache()
    assert values(cached) == [0, 1, 2, 3] and values(cached) == [0, 1, 2, 3]
    assert counter["runs"] == 1
    assert values(ds) == [0, 1, 2, 3]


def test_file_cache(tmp_path):
    counter = collections.Counter()

    def gen():
        counter["runs"] += 1
        for i in range(3):
            yield {"a": np.full([2], i), "s": b"x%d" % i}
    sig = {"a": tf.TensorSpec([2], tf.int64), "s": tf.TensorSpec([], tf.string)}
    path = str(tmp_path / "cache")
    ds = D.from_generator(gen, output_signature=sig).cache(path)
    first = list(ds.as_numpy_iterator())
    again = list(D.from_generator(gen, output_signature=sig).cache(path).as_numpy_iterator())
    assert counter["runs"] == 1
    assert [e["s"] for e in again] == [b"x0", b"x1", b"x2"]
    np.testing.assert_array_equal(again[2]["a"], first[2]["a"])


def test_save_and_load(tmp_path):
    ds = D.from_tensor_slices(({"x": np.arange(6.0, dtype=np.float32).reshape(3, 2)},
                               np.array([b"a", b"bb", b"c"], dtype=object)))
    path = str(tmp_path / "saved")
    ds.save(path)
    loaded = D.load(path)
    assert loaded.element_spec[0]["x"] == tf.TensorSpec([2], tf.float32)
    assert int(loaded.cardinality()) == 3
    got = list(loaded.as_numpy_iterator())
    assert got[1][1] == b"bb" and got[2][0]["x"].tolist() == [4.0, 5.0]
    ds.map(lambda a, b: (a, b)).save(path, compression="GZIP")     # replaced atomically
    assert len(list(D.load(path))) == 3
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".tmp")]


def test_prefetch_runs_ahead_on_a_thread_and_propagates_errors():
    def gen():
        yield 1
        raise RuntimeError("boom in the generator")
    ds = D.from_generator(gen, output_types=tf.int32).prefetch(2)
    it = iter(ds)
    assert int(next(it)) == 1
    with pytest.raises(RuntimeError, match="boom"):
        next(it)
    assert values(D.range(100).prefetch(tf.data.AUTOTUNE)) == list(range(100))


def test_ignore_errors_drops_failing_elements():
    def f(x):
        if int(x.numpy()) == 2:
            raise ValueError("bad element")
        return x
    assert values(D.range(5).map(f).ignore_errors()) == [0, 1, 3, 4]
    with pytest.raises(ValueError, match="bad element"):
        values(D.range(5).map(f))


# -- sampling, cardinality, misc ----------------------------------------------------------
def test_sample_from_datasets_mixes_by_weight():
    ds = D.sample_from_datasets([D.from_tensors(np.int64(0)).repeat(),
                                 D.from_tensors(np.int64(1)).repeat()],
                                weights=[0.25, 0.75], seed=3)
    v = np.array(values(ds.take(4000)))
    assert abs(v.mean() - 0.75) < 0.04
    done = values(D.sample_from_datasets([D.range(3), D.range(10, 12)], seed=1))
    assert sorted(done) == [0, 1, 2, 10, 11]


def test_cardinality_constants_len_and_single_element():
    assert int(D.range(5).repeat().cardinality()) == tf.data.INFINITE_CARDINALITY
    assert int(D.range(5).filter(lambda x: x > 1).cardinality()) == \
        tf.data.UNKNOWN_CARDINALITY
    assert len(D.range(7).batch(2)) == 4
    with pytest.raises(TypeError, match="infinite"):
        len(D.range(2).repeat())
    assert int(D.range(3).take(1).get_single_element()) == 0
    with pytest.raises(ValueError, match="more than one"):
        D.range(3).get_single_element()
    assert int(tf.data.experimental.cardinality(D.range(4))) == 4


def test_batch_of_mismatched_shapes_is_clear():
    ds = D.range(1, 4).map(lambda x: tf.fill([x], x)).batch(3)
    with pytest.raises(ValueError, match="different shapes in component 0"):
        list(ds)


def test_random_and_counter():
    a = list(D.random(seed=4).take(5).as_numpy_iterator())
    b = list(D.random(seed=4).take(5).as_numpy_iterator())
    assert a == b and len(set(a)) == 5
    assert values(D.counter(3, 2).take(3)) == [3, 5, 7]


def test_namedtuple_elements():
    Point = collections.namedtuple("Point", "x y")
    ds = D.from_tensor_slices(Point(np.arange(3), np.arange(3) * 2)).map(lambda p: p.x + p.y)
    assert values(ds) == [0, 3, 6]


# -- readers ----------------------------------------------------------------------------------
def test_text_line_dataset(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_bytes(b"one\ntwo\r\n\nthree")
    b.write_bytes(b"four\n")
    lines = list(tf.data.TextLineDataset([str(a), str(b)]).as_numpy_iterator())
    assert lines == [b"one", b"two", b"", b"three", b"four"]
    par = list(tf.data.TextLineDataset([str(a), str(b)], num_parallel_reads=2)
               .as_numpy_iterator())
    assert par == [b"one", b"four", b"two", b"", b"three"]


def test_csv_dataset_and_make_csv_dataset(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("a,b,name,label\n1,2.5,x,0\n3,,y,1\n5,4.5,\"z,w\",1\n")
    ds = tf.data.experimental.CsvDataset(str(p), [tf.int32, 0.0, "", tf.int32], header=True)
    rows = list(ds.as_numpy_iterator())
    assert rows[1] == (3, 0.0, b"y", 1) and rows[2][2] == b"z,w"
    made = tf.data.experimental.make_csv_dataset(str(p), batch_size=3, label_name="label",
                                                 shuffle=False, num_epochs=1)
    features, label = next(iter(made))
    assert list(features) == ["a", "b", "name"]
    assert features["a"].dtype == tf.int32 and features["b"].dtype == tf.float32
    assert label.numpy().tolist() == [0, 1, 1]
    bad = tf.data.experimental.CsvDataset(str(p), [tf.int32, tf.float32, "", tf.int32],
                                          header=True)
    with pytest.raises(tf.errors.InvalidArgumentError, match="line 3.*required"):
        list(bad)


def test_list_files_and_io(tmp_path):
    for n in ("b.txt", "a.txt", "c.bin"):
        tf.io.write_file(str(tmp_path / n), n)
    files = list(D.list_files(str(tmp_path / "*.txt"), shuffle=False).as_numpy_iterator())
    assert files == [str(tmp_path / "a.txt").encode(), str(tmp_path / "b.txt").encode()]
    assert tf.io.read_file(str(tmp_path / "a.txt")).numpy() == b"a.txt"
    g = tf.io.gfile
    g.makedirs(str(tmp_path / "d" / "e"))
    with g.GFile(str(tmp_path / "d" / "f.txt"), "w") as f:
        f.write("hello")
    assert g.exists(str(tmp_path / "d" / "f.txt")) and g.isdir(str(tmp_path / "d"))
    assert g.listdir(str(tmp_path / "d")) == ["e", "f.txt"]
    g.copy(str(tmp_path / "d" / "f.txt"), str(tmp_path / "g.txt"))
    g.rename(str(tmp_path / "g.txt"), str(tmp_path / "h.txt"))
    assert g.GFile(str(tmp_path / "h.txt")).read() == "hello"
    assert len(g.glob(str(tmp_path / "*.txt"))) == 3
    assert [r for r, _, _ in g.walk(str(tmp_path / "d"))][0] == str(tmp_path / "d")
    g.remove(str(tmp_path / "h.txt"))
    with pytest.raises(tf.errors.NotFoundError):
        g.remove(str(tmp_path / "h.txt"))


def test_image_codecs_and_corrupt_image():
    pytest.importorskip("PIL")
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (6, 5, 3), dtype=np.uint8)
    png = tf.io.encode_png(img)
    np.testing.assert_array_equal(tf.io.decode_png(png).numpy(), img)
    np.testing.assert_array_equal(tf.io.decode_image(png).numpy(), img)
    assert tf.io.decode_png(png, channels=1).shape == (6, 5, 1)
    smooth = np.stack(list(np.meshgrid(np.arange(16) * 8, np.arange(12) * 10)) +
                      [np.full((12, 16), 90)], -1).astype(np.uint8)
    jpg = tf.io.decode_jpeg(tf.io.encode_jpeg(smooth, quality=95))
    assert jpg.shape == (12, 16, 3) and np.abs(jpg.numpy().astype(int) - smooth).mean() < 6
    assert tf.io.decode_image(png, dtype=tf.float32).numpy().max() <= 1.0
    with pytest.raises(tf.errors.InvalidArgumentError, match="decode_png.*not a valid image"):
        tf.io.decode_png(b"\x89PNG\r\n\x1a\nbroken")


def test_decode_csv_as_tensorflow():
    # expected values are TensorFlow 2.21's for the same call
    cols = tf.io.decode_csv(["1,2.5,a", '3,,"b,c"'], [tf.int32, [0.5], ["z"]])
    assert cols[0].numpy().tolist() == [1, 3] and cols[0].dtype == tf.int32
    assert cols[1].numpy().tolist() == [2.5, 0.5] and cols[1].dtype == tf.float32
    assert cols[2].numpy().tolist() == [b"a", b"b,c"]
    nested = tf.io.decode_csv([["1,2.5,a"], ["3,,b"]], [[0], [0.5], ["z"]])
    assert nested[0].shape == (2, 1)
    with pytest.raises(tf.errors.InvalidArgumentError, match="required"):
        tf.io.decode_csv(["1,,a"], [tf.int32, tf.float32, ["z"]])
    with pytest.raises(tf.errors.InvalidArgumentError, match="Expect 3 fields"):
        tf.io.decode_csv(["1,2"], [tf.int32, [0.5], ["z"]])


def test_ragged_batch_as_tensorflow():
    # TF 2.21 gives the same spec, cardinality and rows for this pipeline
    ds = D.range(1, 6).map(lambda x: (tf.fill([x], x), x)).ragged_batch(2)
    spec = ds.element_spec
    assert spec[0].shape.as_list() == [None, None] and spec[0].ragged_rank == 1
    assert spec[1] == tf.TensorSpec([None], tf.int64)
    assert int(ds.cardinality()) == 3
    got = [(a.to_list(), b.numpy().tolist()) for a, b in ds]
    assert got == [([[1], [2, 2]], [1, 2]), ([[3, 3, 3], [4, 4, 4, 4]], [3, 4]),
                   ([[5, 5, 5, 5, 5]], [5])]
    via = D.range(1, 4).map(lambda x: tf.fill([x], x)).apply(
        tf.data.experimental.dense_to_ragged_batch(3))
    assert next(iter(via)).to_list() == [[1], [2, 2], [3, 3, 3]]


def test_rejection_resample_moves_towards_the_target():
    labels = np.array([0] * 900 + [1] * 100, np.int64)
    ds = D.from_tensor_slices(labels).shuffle(1000, seed=1).repeat(3)
    out = ds.rejection_resample(lambda x: tf.cast(x, tf.int32), target_dist=[0.5, 0.5],
                                initial_dist=[0.9, 0.1], seed=4)
    classes = np.array([int(c) for c, _ in out.as_numpy_iterator()])
    elements = np.array([int(e) for _, e in out.as_numpy_iterator()])
    assert abs(classes.mean() - 0.5) < 0.07 and len(classes) > 300
    assert out.element_spec[0] == tf.TensorSpec([], tf.int32)
    np.testing.assert_array_equal(classes[:50] >= 0, True)
    assert set(elements.tolist()) <= {0, 1}
    estimated = ds.rejection_resample(lambda x: tf.cast(x, tf.int32), [0.5, 0.5], seed=5)
    est = np.array([int(c) for c, _ in estimated.as_numpy_iterator()])
    assert abs(est.mean() - 0.5) < 0.1


def test_snapshot_and_partial_cache(tmp_path):
    runs = collections.Counter()

    def gen():
        runs["n"] += 1
        yield from range(5)
    snap = D.from_generator(gen, output_types=tf.int64).snapshot(str(tmp_path / "snap"))
    assert values(snap) == list(range(5)) and values(snap) == list(range(5))
    assert runs["n"] == 1
    cached = D.from_generator(gen, output_types=tf.int64).cache()
    it = iter(cached)
    next(it)                      # a pass that stops early keeps nothing
    del it
    assert values(cached) == list(range(5)) and runs["n"] == 3
    assert values(cached) == list(range(5)) and runs["n"] == 3


def test_fixed_length_record_dataset(tmp_path):
    p = tmp_path / "r.bin"
    p.write_bytes(b"HDR" + b"aabbcc" + b"FT")
    ds = tf.data.FixedLengthRecordDataset(str(p), 2, header_bytes=3, footer_bytes=2)
    assert list(ds.as_numpy_iterator()) == [b"aa", b"bb", b"cc"]
    raw = tf.io.decode_raw(next(iter(ds)), tf.uint8)
    assert raw.numpy().tolist() == [97, 97]


def test_for_loop_over_an_in_memory_dataset_inside_a_function():
    ds = D.from_tensor_slices((np.arange(12.0, dtype=np.float32).reshape(6, 2),
                               np.arange(6))).batch(2)

    @tf.function
    def total(d):
        s = tf.zeros([2])
        n = tf.constant(0, tf.int64)
        for x, y in d:
            s += tf.reduce_sum(x, 0)
            n += tf.reduce_sum(y)
        return s, n
    s, n = total(ds)
    assert s.numpy().tolist() == [30.0, 36.0] and int(n) == 15
    graph = total.get_concrete_function(ds).graph
    assert any("While" in op.type for op in graph.get_operations())
    s, n = total(ds.shuffle(6))          # runs the pipeline from the graph
    assert s.numpy().tolist() == [30.0, 36.0] and int(n) == 15
    uneven = D.from_tensor_slices((np.ones((5, 2), np.float32), np.arange(5))).batch(2)
    s, n = total(uneven)
    assert s.numpy().tolist() == [5.0, 5.0] and int(n) == 10

    @tf.function(autograph=False)
    def plain(d):
        return [x for x in d]
    with pytest.raises(ValueError, match="AutoGraph"):      # would unroll without end
        plain(D.range(3))


def test_sparse_batch_errors_and_use_downstream():
    D = tf.data.Dataset
    rows = D.range(1, 6).map(lambda x: tf.fill([x], x))
    with pytest.raises(tf.errors.DataLossError, match="larger than the row shape"):
        list(rows.sparse_batch(2, [3]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="incompatible with the row"):
        list(rows.sparse_batch(2, [3, 3]))
    with pytest.raises(TypeError, match="single component"):
        D.range(3).map(lambda x: (x, x)).sparse_batch(2, [])
    with pytest.raises(ValueError, match="batch_size must be greater than zero"):
        D.range(3).sparse_batch(0, [])
    dense = list(rows.sparse_batch(2, [6]).map(tf.sparse.to_dense).as_numpy_iterator())
    expect = [np.array([[1, 0, 0, 0, 0, 0], [2, 2, 0, 0, 0, 0]]),
              np.array([[3, 3, 3, 0, 0, 0], [4, 4, 4, 4, 0, 0]]),
              np.array([[5, 5, 5, 5, 5, 0]])]
    for a, b in zip(dense, expect, strict=True):
        np.testing.assert_array_equal(a, b)
    # an empty element adds no entries but counts as a row
    st = next(iter(D.range(0, 3).map(lambda x: tf.fill([x], x)).sparse_batch(3, [None])))
    assert st.dense_shape.numpy().tolist() == [3, 2]
    assert st.indices.numpy().tolist() == [[1, 0], [2, 0], [2, 1]]


def _slow_and_fast(release):
    """Element 0 opens a reader that blocks until ``release`` is set; element 1 a fast
    one. In order, the slow reader's elements come first."""
    D = tf.data.Dataset

    def slow():
        assert release.wait(10), "the slow reader was never released"
        yield from (100, 101, 102)

    def reader(i):
        if int(i) == 0:
            return D.from_generator(slow, output_signature=tf.TensorSpec([], tf.int64))
        return D.range(5)
    return D.range(2), reader


@pytest.mark.parametrize("how", ["argument", "options_after", "options_before"])
def test_nondeterministic_interleave_lets_a_ready_reader_go_first(how):
    import threading
    release = threading.Event()
    source, reader = _slow_and_fast(release)
    opts = tf.data.Options()
    opts.deterministic = False
    if how == "options_before":
        source = source.with_options(opts)
    ds = source.interleave(reader, cycle_length=2, num_parallel_calls=2,
                           deterministic=False if how == "argument" else None)
    if how == "options_after":
        ds = ds.with_options(opts).prefetch(1)
    it = iter(ds)
    first = [int(next(it)) for _ in range(5)]      # the slow reader is still blocked
    assert first == [0, 1, 2, 3, 4]
    release.set()
    rest = [int(x) for x in it]
    assert sorted(first + rest) == sorted([0, 1, 2, 3, 4, 100, 101, 102])


def test_nondeterministic_interleave_has_the_same_elements_and_passes_errors():
    D = tf.data.Dataset
    ds = D.range(1, 6).interleave(lambda x: D.range(x * 10, x * 10 + x), cycle_length=3,
                                  block_length=2, num_parallel_calls=2, deterministic=False)
    got = [int(x) for x in ds]
    want = [x * 10 + k for x in range(1, 6) for k in range(x)]
    assert sorted(got) == sorted(want) and len(got) == len(want)

    def bad():
        yield 1
        raise RuntimeError("reader failed")
    ds = D.range(2).interleave(
        lambda i: D.from_generator(bad, output_signature=tf.TensorSpec([], tf.int64)),
        cycle_length=2, num_parallel_calls=2, deterministic=False)
    with pytest.raises(RuntimeError, match="reader failed"):
        list(ds)


def test_options_set_after_a_parallel_map_apply_to_it():
    import threading
    D = tf.data.Dataset
    release = threading.Event()

    def wait_on_first(x):
        if int(x) == 0:
            assert release.wait(10)
        return x
    opts = tf.data.Options()
    opts.deterministic = False
    ds = D.range(6).map(lambda x: tf.py_function(wait_on_first, [x], tf.int64),
                        num_parallel_calls=2).with_options(opts)
    it = iter(ds)
    first = int(next(it))
    assert first != 0
    release.set()
    assert sorted([first] + [int(x) for x in it]) == list(range(6))


def _collect_in_function(ds, dtype=tf.int64):
    @tf.function
    def collect():
        ta = tf.TensorArray(dtype, size=0, dynamic_size=True)
        i = tf.constant(0)
        for x in ds:
            ta = ta.write(i, x)
            i += 1
        return ta.stack()
    return collect


def test_shuffled_mapped_and_generated_datasets_iterate_inside_a_function():
    def make():
        def gen():
            yield from range(7)
        return {
            "shuffle": D.range(10).shuffle(10, seed=4),
            "map": D.range(8).map(lambda x: x * x + 1, num_parallel_calls=2),
            "generator": D.from_generator(gen, output_signature=tf.TensorSpec([], tf.int64))
                          .shuffle(3, seed=1).map(lambda x: x - 3),
        }
    eager, traced = make(), make()
    for name in eager:
        collect = _collect_in_function(traced[name])
        for _ in range(2):       # a new pass per call, as iterating again eagerly
            want = [int(x) for x in eager[name]]
            got = collect().numpy().tolist()
            assert got == want, name
    order = [int(x) for x in D.range(10).shuffle(10, seed=4)]
    assert order != sorted(order)


def test_break_over_an_infinite_dataset_and_strings_inside_a_function():
    ds = D.range(3).repeat().map(lambda x: x * 10)

    @tf.function
    def first_sum(limit):
        total = tf.constant(0, tf.int64)
        for x in ds:
            if total >= limit:
                break
            total += x + 1
        return total
    assert int(first_sum(tf.constant(40, tf.int64))) == 1 + 11 + 21 + 1 + 11
    words = D.from_tensor_slices(["a", "bb", "ccc"]).map(tf.strings.upper)

    @tf.function
    def joined():
        out = tf.constant("")
        for w in words:
            out = tf.strings.join([out, w])
        return out
    assert joined().numpy() == b"ABBCCC"


def test_a_training_loop_over_a_shuffled_dataset_inside_a_function_equals_eager():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((50, 3)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5]], np.float32)).astype(np.float32)

    def make():
        return D.from_tensor_slices((x, y)).shuffle(50, seed=7).batch(16)

    def train(in_function):
        w = tf.Variable(np.zeros((3, 1), np.float32))
        ds = make()

        def epoch():
            loss = tf.constant(0.0)
            for xb, yb in ds:
                with tf.GradientTape() as tape:
                    loss = tf.reduce_mean(tf.square(xb @ w - yb))
                w.assign_sub(0.1 * tape.gradient(loss, w))
            return loss
        step = tf.function(epoch) if in_function else epoch
        losses = [float(step()) for _ in range(3)]
        return w.numpy(), losses
    w_eager, l_eager = train(False)
    w_graph, l_graph = train(True)
    np.testing.assert_allclose(w_graph, w_eager, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(l_graph, l_eager, rtol=1e-5, atol=1e-6)
    assert l_graph[-1] < l_graph[0]


def test_next_on_an_iterator_inside_a_function_pulls_when_the_graph_runs():
    it = iter(D.range(10).map(lambda x: x * 2))

    @tf.function
    def step(iterator):
        return next(iterator) + 1
    assert [int(step(it)) for _ in range(3)] == [1, 3, 5]     # each call goes on
    assert int(next(it)) == 6                                 # and so does eager next

    @tf.function
    def rest(iterator):
        total = tf.constant(0, tf.int64)
        for x in iterator:
            total += x
        return total
    assert int(rest(it)) == sum(2 * k for k in range(4, 10))
    with pytest.raises(tf.errors.OutOfRangeError):
        step(it)

    @tf.function
    def first_two():
        inner = iter(D.range(5).shuffle(5, seed=2))
        return next(inner), next(inner)
    eager = D.range(5).shuffle(5, seed=2)
    for _ in range(2):           # an iterator made inside starts a new pass per call
        want = [int(x) for x in eager][:2]
        assert [int(v) for v in first_two()] == want


def test_parallel_batch_takes_deterministic_from_its_argument_or_the_options(monkeypatch):
    from ember.data import batching
    seen = []
    real = batching.parallel_map

    def spy(fn, items, workers, deterministic=True):
        seen.append(deterministic)
        return real(fn, items, workers, deterministic)
    monkeypatch.setattr(batching, "parallel_map", spy)
    source = D.range(10).map(lambda x: x * 2)            # not in memory: the threaded path
    opts = tf.data.Options()
    opts.deterministic = False
    runs = {"default": source.batch(3, num_parallel_calls=2),
            "argument": source.batch(3, num_parallel_calls=2, deterministic=False),
            "options": source.batch(3, num_parallel_calls=2).with_options(opts)}
    for ds in runs.values():
        got = sorted(int(v) for b in ds for v in b.numpy())
        assert got == list(range(0, 20, 2))
    assert seen == [True, False, False]
