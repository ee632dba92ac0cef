"""One-sample inference latency: ``model.predict(x1)`` and ``model(x)`` on a small Dense
MLP (the W1 model: 784-512-512-10) and on MiniVGGNet (28x28x1), median microseconds.

    python bench/predict_latency.py [--rounds 3] [--calls 200] [--ember-root PATH ...]
                                    [--setting MODULE:ATTR=VALUE]

Each round measures every ember tree (``--ember-root``, this tree by default; give two,
e.g. main and a branch, to compare them in one run) in a fresh process, in turn: 20
warm-up calls, then ``--calls`` calls each timed on its own, the median. Printed: each
round's medians, then per tree the median over rounds, and with two trees the ratio of
the second to the first (< 1: the second is faster). ``--setting`` instead compares one
tree as it is with the same tree with a module attribute set (e.g.
``ember.runtime.tuning:MATMUL_SMALL_MACS=1073741824``: every product below 2**30
multiply-adds left to BLAS's own threads). On a shared machine only the ratio means
anything.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CHILD = r"""
import json, sys, time
import numpy as np
import ember as tf
from ember import keras
from ember.keras import layers

calls = int(sys.argv[1])
if len(sys.argv) > 2 and sys.argv[2]:      # module:attr=value
    import importlib
    target, value = sys.argv[2].split("=", 1)
    module, attr = target.split(":")
    setattr(importlib.import_module(module), attr, type(getattr(
        importlib.import_module(module), attr))(value))
rng = np.random.default_rng(0)
keras.utils.set_random_seed(1)

def mlp():
    m = keras.Sequential([keras.Input((784,)), layers.Dense(512, activation="relu"),
                          layers.Dropout(0.2), layers.Dense(512, activation="relu"),
                          layers.Dropout(0.2), layers.Dense(10, activation="softmax")])
    m.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
    return m, rng.random((1, 784), dtype=np.float32)

def minivgg():
    def block(f):
        return [layers.Conv2D(f, 3, padding="same"), layers.BatchNormalization(),
                layers.Activation("relu")]
    m = keras.Sequential([keras.Input((28, 28, 1))] + block(32) + block(32) +
                         [layers.MaxPooling2D(), layers.Dropout(0.25)] + block(64) +
                         block(64) + [layers.MaxPooling2D(), layers.Dropout(0.25),
                                      layers.Flatten(), layers.Dense(512),
                                      layers.BatchNormalization(), layers.Activation("relu"),
                                      layers.Dropout(0.5), layers.Dense(10, activation="softmax")])
    m.compile(optimizer=keras.optimizers.SGD(0.01, momentum=0.9),
              loss="sparse_categorical_crossentropy")
    return m, rng.random((1, 28, 28, 1), dtype=np.float32)

def median_us(fn):
    for _ in range(20):
        fn()
    times = []
    for _ in range(calls):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return 1e6 * float(np.median(times))

out = {}
for name, build in (("mlp", mlp), ("minivgg", minivgg)):
    model, x1 = build()
    xt = tf.convert_to_tensor(x1)
    out[f"{name} predict"] = median_us(lambda: model.predict(x1, verbose=0))
    out[f"{name} call"] = median_us(lambda: model(xt))
print(json.dumps(out))
"""


def measure(root, calls, setting=""):
    env = dict(os.environ, PYTHONPATH=root)
    out = subprocess.run([sys.executable, "-c", CHILD, str(calls), setting], env=env,
                         capture_output=True, text=True, timeout=1800)
    if out.returncode != 0:
        raise RuntimeError(f"{root}: {out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--calls", type=int, default=200)
    p.add_argument("--ember-root", action="append", default=None)
    p.add_argument("--setting", default=None, help="MODULE:ATTR=VALUE to compare against")
    a = p.parse_args(argv)
    if a.setting:
        root = os.path.abspath((a.ember_root or [ROOT])[0])
        runs = [(root, ""), (root, a.setting)]
    else:
        runs = [(os.path.abspath(r), "") for r in (a.ember_root or [ROOT])]
    roots = [f"{os.path.basename(r)}{' ' + s if s else ''}" for r, s in runs]
    results = {r: [] for r in roots}
    for k in range(a.rounds):
        for r, (root, setting) in zip(roots, runs):
            res = measure(root, a.calls, setting)
            results[r].append(res)
            print(f"round {k + 1} {r}: " +
                  ", ".join(f"{n} {v:.0f} us" for n, v in res.items()), flush=True)
    names = list(results[roots[0]][0])
    med = {r: {n: statistics.median(x[n] for x in results[r]) for n in names} for r in roots}
    for r in roots:
        print(f"{r}: " + ", ".join(f"{n} {med[r][n]:.0f} us" for n in names))
    if len(roots) == 2:
        first, second = roots
        # ratio per round (same round, same machine load), then the median
        for n in names:
            per_round = [b[n] / f[n] for f, b in zip(results[first], results[second])]
            print(f"{n}: {second} / {first} = "
                  f"x{statistics.median(per_round):.3f} {[round(x, 3) for x in per_round]}")


if __name__ == "__main__":
    main()
