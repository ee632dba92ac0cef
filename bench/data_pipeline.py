"""tf.data speed: fit on a Dataset vs fit on the same arrays, and a parallel map.

    PYTHONPATH=$PWD python bench/data_pipeline.py [fit|map|all]

fit: a W1-like MLP (784-128-10, batch 128, 60000 random samples, 3 epochs after a warm-up
epoch), ``fit(x, y, batch_size=128, shuffle=True)`` against
``fit(Dataset.from_tensor_slices((x, y)).shuffle(60000).batch(128).prefetch(AUTOTUNE))``;
runs alternate, best of 3 each.
map: decoding 256x256 PNGs (Pillow releases the GIL) with num_parallel_calls=None vs
AUTOTUNE.
"""
import sys
import time

import numpy as np

import ember as tf
from ember import keras


def fit_benchmark(repeats=3, epochs=2):
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

    def on_arrays():
        m = model()
        m.fit(x, y, batch_size=128, epochs=1, verbose=0)
        t = time.perf_counter()
        m.fit(x, y, batch_size=128, epochs=epochs, verbose=0, shuffle=True)
        return time.perf_counter() - t

    def on_dataset(thread=False):
        from ember.data import prefetch
        prefetch.INLINE_IN_MEMORY = not thread
        m = model()
        ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(60000).batch(128) \
            .prefetch(tf.data.AUTOTUNE)
        m.fit(ds, epochs=1, verbose=0)
        t = time.perf_counter()
        m.fit(ds, epochs=epochs, verbose=0)
        return time.perf_counter() - t
    arrays, dataset, threaded = [], [], []
    for _ in range(repeats):
        arrays.append(on_arrays())
        dataset.append(on_dataset())
        threaded.append(on_dataset(thread=True))
    a, d, t = min(arrays), min(dataset), min(threaded)
    print(f"fit {epochs} epochs: arrays {a:.2f}s, dataset {d:.2f}s (ratio {d / a:.3f}); "
          f"dataset with prefetch on a thread {t:.2f}s (ratio {t / a:.3f})\n  all runs: "
          f"arrays {[round(v, 2) for v in arrays]}, dataset {[round(v, 2) for v in dataset]}"
          f", threaded {[round(v, 2) for v in threaded]}")


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
