"""Keras fit under MultiWorkerMirroredStrategy: two worker processes on localhost against
one process on the same global batches (MLP, 4096 samples, global batch 256).

    PYTHONPATH=$PWD python bench/distribute_fit.py [rounds]

Prints per round the seconds per epoch of one process and of the two-worker cluster (the
slower worker), and the median ratio. Each worker gets half the cores
(``BENCH_WORKER_THREADS`` overrides). Each worker computes half of every batch, and
each step adds the collectives (one gradient all-reduce, two per metric variable pair).
"""
import json
import os
import socket
import statistics
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# threads per worker (OMP_NUM_THREADS, which ember reads): the cores split between them
THREADS = os.environ.get("BENCH_WORKER_THREADS", str(max(1, (os.cpu_count() or 2) // 2)))


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4096, 64)).astype("float32")
    y = rng.integers(0, 10, size=(4096,))
    return x, y


def epoch_seconds(strategy=None):
    import ember as tf
    from ember import keras

    def make():
        keras.utils.set_random_seed(0)
        m = keras.Sequential([keras.Input((64,)), keras.layers.Dense(256, activation="relu"),
                              keras.layers.Dense(10)])
        m.compile(optimizer="adam", metrics=["accuracy"],
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        return m
    if strategy is None:
        model = make()
    else:
        with strategy.scope():
            model = make()
    x, y = data()
    model.fit(x, y, batch_size=256, epochs=1, verbose=0)          # trace, warm up
    start = time.perf_counter()
    model.fit(x, y, batch_size=256, epochs=2, verbose=0)
    return (time.perf_counter() - start) / 2


def worker_main():
    import ember as tf
    seconds = epoch_seconds(tf.distribute.MultiWorkerMirroredStrategy())
    print(json.dumps({"seconds": seconds}), flush=True)


def cluster_seconds():
    socks = [socket.socket() for _ in range(2)]
    for s in socks:
        s.bind(("localhost", 0))
    addresses = [f"localhost:{s.getsockname()[1]}" for s in socks]
    for s in socks:
        s.close()
    procs = []
    for i in range(2):
        env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS=THREADS,
                   TF_CONFIG=json.dumps({"cluster": {"worker": addresses},
                                         "task": {"type": "worker", "index": i}}))
        procs.append(subprocess.Popen([sys.executable, __file__, "--worker"], env=env,
                                      stdout=subprocess.PIPE))
    out = [json.loads(p.communicate(timeout=600)[0].decode().strip().splitlines()[-1])
           for p in procs]
    return max(o["seconds"] for o in out)


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    ratios = []
    for r in range(rounds):
        single = epoch_seconds()
        cluster = cluster_seconds()
        ratios.append(cluster / single)
        print(f"round {r}: one process {single:.3f} s/epoch, two workers {cluster:.3f} "
              f"s/epoch, ratio {cluster / single:.2f}")
    print(f"median two-worker / one-process time per epoch: {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    if "--worker" in sys.argv:
        worker_main()
    else:
        main()
