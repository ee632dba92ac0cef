"""Training steps of Embedding(10000, 128) -> GlobalAveragePooling1D -> Dense(1) (batch 64,
sequences of 100), where the table's update dominates: CPU ms per step (process time, steadier than wall time on
a shared machine) with SGD, Adagrad and Adam. Run it once per tree to compare (e.g. main
against a branch), interleaved:

    for t in /work/main /work/wt/<branch>; do PYTHONPATH=$t python bench/sparse_embedding.py 100000; done
"""
import sys
import time

import numpy as np

import ember
from ember import keras


def run(optimizer, vocab=10000, steps=30, warmup=3):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((100,), dtype="int32"),
                              keras.layers.Embedding(vocab, 128),
                              keras.layers.GlobalAveragePooling1D(), keras.layers.Dense(1)])
    model.compile(optimizer, "mse")
    rng = np.random.default_rng(0)
    x = rng.integers(0, vocab, (64 * (steps + warmup), 100)).astype(np.int32)
    y = rng.standard_normal((x.shape[0], 1)).astype(np.float32)
    model.fit(x[:64 * warmup], y[:64 * warmup], batch_size=64, verbose=0)
    t = time.process_time()
    model.fit(x[64 * warmup:], y[64 * warmup:], batch_size=64, verbose=0)
    return (time.process_time() - t) / steps * 1e3


if __name__ == "__main__":
    vocab = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    for name in ("sgd", "adagrad", "adam"):
        times = [run(name, vocab) for _ in range(5)]
        print(f"{ember.__file__.split('/ember/')[0]:>24} vocab {vocab} {name:8s} "
              f"{np.median(times):7.2f} CPU ms/step")
