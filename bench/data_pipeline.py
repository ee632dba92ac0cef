"""tf.data speed: fit on a Dataset vs fit on the same arrays, and a parallel map.

    PYTHONPATH=$PWD python bench/data_pipeline.py [fit|map|all]

fit: a W1-like MLP (784-128-10, batch 128, 60000 random samples), one epoch of
``fit(x, y, batch_size=128, shuffle=True)`` and one of
``fit(Dataset.from_tensor_slices((x, y)).shuffle(60000).batch(128).prefetch(AUTOTUNE))``
in turn, 10 rounds after a warm-up epoch (medians of wall and CPU time and page faults
per epoch, and of the per-round ratios).
map: decoding 256x256 PNGs (Pillow releases the GIL) with num_parallel_calls=None vs
AUTOTUNE.
"""
import sys
import time

import numpy as np

import ember as tf
from ember import keras


def fit_benchmark(rounds=10):
    """Two models, one fed arrays and one a Dataset, train alternating epochs (so both see
    the same machine load; the order within a round alternates too, as what one epoch
    leaves in the C heap can speed up or slow down the next); per-epoch wall and CPU
    times and minor page faults, and the median of the per-round dataset/arrays ratios."""
    import resource
    rng = np.random.default_rng(0)
    x = rng.random((60000, 784), dtype=np.float32)
    y = rng.integers(0, 10, 60000)

    def model():
        keras.utils.set_random_seed(0)
        m = keras.Sequential([keras.Input((784,)), keras.layers.Dense(128, activation="relu"),
                              keras.layers.Dense(10)])
        m.compile(keras.optimizers.SGD(0.01),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        return m
    ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(60000).batch(128) \
        .prefetch(tf.data.AUTOTUNE)
    feeds = {"arrays": lambda m: m.fit(x, y, batch_size=128, epochs=1, verbose=0,
                                       shuffle=True),
             "dataset": lambda m: m.fit(ds, epochs=1, verbose=0)}
    models = {k: model() for k in feeds}
    for k, f in feeds.items():        # warm-up epoch: traces and compiles
        f(models[k])
    times = {k: [] for k in feeds}
    for r in range(rounds):
        for k in (list(feeds) if r % 2 == 0 else list(feeds)[::-1]):
            faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            t, c = time.perf_counter(), time.process_time()
            feeds[k](models[k])
            times[k].append((time.perf_counter() - t, time.process_time() - c,
                             resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults))
    med = {k: [float(np.median([v[i] for v in vs])) for i in range(3)]
           for k, vs in times.items()}
    ratio = [float(np.median([d[i] / a[i] for a, d in zip(times["arrays"],
                                                          times["dataset"])]))
             for i in range(2)]
    (aw, ac, af), (dw, dc, df) = med["arrays"], med["dataset"]
    print(f"fit, one epoch (medians of {rounds} rounds): arrays {aw:.2f}s wall / {ac:.2f}s "
          f"cpu / {af:.0f} page faults; dataset {dw:.2f}s wall / {dc:.2f}s cpu / {df:.0f} "
          f"page faults; dataset/arrays (median of per-round ratios) {ratio[0]:.3f} wall, "
          f"{ratio[1]:.3f} cpu")
    print("  per-epoch wall times: " + "; ".join(
        f"{k} {[round(v[0], 2) for v in vs]}" for k, vs in times.items()))


def map_benchmark(n=400):
    rng = np.random.default_rng(0)
    img = (rng.random((256, 256, 3)) * 255).astype(np.uint8)
    png = tf.io.encode_png(img).numpy()
    ds = tf.data.Dataset.from_tensors(np.array(png, dtype=object)).repeat(n)

    def run(parallel):
        t, c = time.perf_counter(), time.process_time()
        for _ in ds.map(lambda s: tf.io.decode_png(s), num_parallel_calls=parallel):
            pass
        return time.perf_counter() - t, time.process_time() - c
    run(None)
    seq = min(run(None) for _ in range(3))
    par = min(run(tf.data.AUTOTUNE) for _ in range(3))
    print(f"map decode_png x{n}: sequential {seq[0]:.2f}s, AUTOTUNE {par[0]:.2f}s, speedup "
          f"{seq[0] / par[0]:.2f}x; cores busy (cpu/wall): sequential "
          f"{seq[1] / seq[0]:.2f}, AUTOTUNE {par[1] / par[0]:.2f}")


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "all"
    if what in ("map", "all"):
        map_benchmark()
    if what in ("fit", "all"):
        fit_benchmark()
