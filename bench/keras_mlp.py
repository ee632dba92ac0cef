"""Keras MLP (workload W1 of ../shared/bench/WORKLOADS.md) and one-sample inference (W4).

    python bench/keras_mlp.py [--epochs 3] [--tf-python PATH] [--torch-python PATH]

ember: 784-512-512-10 (relu, dropout 0.2), RMSprop, sparse categorical crossentropy,
batch 128 on 60,000 samples: epoch times (the first includes tracing) and the steady epoch
(median of the later ones); then the median latency of `predict` and of `model(x)` on one
sample. With --tf-python / --torch-python (interpreters where TensorFlow or PyTorch is
installed; neither is an ember dependency) the shared reference scripts run the same
workloads in those interpreters, interleaved, and ratios are printed.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

SHARED_BENCH = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "bench")


def w1_data():
    rng = np.random.default_rng(1234)
    x = rng.random((60000, 784), dtype=np.float32)
    y = rng.integers(0, 10, size=60000, dtype=np.int64)
    return x, y


def build_w1(keras):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input(shape=(784,)),
        keras.layers.Dense(512, activation="relu"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(512, activation="relu"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=1e-3, rho=0.9,
                                                     epsilon=1e-7),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def run_ember(epochs):
    import ember as tf
    from ember import keras
    x, y = w1_data()
    model = build_w1(keras)
    times = []

    class Clock(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter())

    t0 = time.perf_counter()
    model.fit(x, y, batch_size=128, epochs=epochs, verbose=0, callbacks=[Clock()])
    epoch_times = [b - a for a, b in zip([t0] + times[:-1], times)]

    x1 = np.random.default_rng(1234).random((1, 784), dtype=np.float32)
    for _ in range(20):
        model.predict(x1, verbose=0)
    lat_predict = []
    for _ in range(200):
        t = time.perf_counter()
        model.predict(x1, verbose=0)
        lat_predict.append(time.perf_counter() - t)
    tx = tf.constant(x1)
    for _ in range(20):
        model(tx)
    lat_call = []
    for _ in range(200):
        t = time.perf_counter()
        model(tx)
        lat_call.append(time.perf_counter() - t)
    return {"epoch_times": epoch_times,
            "steady_epoch": statistics.median(epoch_times[1:]) if len(epoch_times) > 1
            else epoch_times[0],
            "predict_1": statistics.median(lat_predict),
            "call_1": statistics.median(lat_call)}


def run_reference(python, module, workload, epochs=None, env=None):
    """One workload through ../shared/bench/bench.py in an interpreter (JSON out)."""
    cmd = [python, os.path.join(SHARED_BENCH, "bench.py"), "--module", module,
           "--workload", workload]
    if epochs:
        cmd += ["--epochs", str(epochs)]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=SHARED_BENCH, timeout=3600,
                         env=dict(os.environ, **(env or {})))
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1:] or ["failed"]}
    try:
        return json.loads(out.stdout)
    except json.JSONDecodeError:
        return {"error": ["no JSON result"]}


def compare(args):
    """ember and the given references through the same shared scripts, interleaved."""
    impls = [("ember", sys.executable, "impl_keras",
              {"BENCH_TF_MODULE": "ember", "BENCH_KERAS_MODULE": "ember.keras"})]
    if args.tf_python:
        impls.append(("TF-Keras", args.tf_python, "impl_keras", {}))
    if args.torch_python:
        impls.append(("PyTorch", args.torch_python, "impl_torch", {}))
    w1 = {name: [] for name, *_ in impls}
    w4 = {name: [] for name, *_ in impls}
    for _ in range(args.repeats):
        for name, python, module, env in impls:
            w1[name].append(run_reference(python, module, "w1", args.epochs, env))
            w4[name].append(run_reference(python, module, "w4", None, env))
    print(f"W1 steady epoch [s] and W4 latencies, median of {args.repeats} interleaved runs:")
    for name, *_ in impls:
        steady = [r.get("steady_epoch_s") for r in w1[name] if "steady_epoch_s" in r]
        first = [r.get("epoch1_s") for r in w1[name] if "epoch1_s" in r]
        lat = {k: statistics.median([r[k] for r in w4[name] if k in r])
               for k in w4[name][0] if k.endswith("_ms") and "median" in k} \
            if w4[name] and "error" not in w4[name][0] else w4[name][:1]
        print(f"  {name:9s} epoch1 {statistics.median(first) if first else float('nan'):6.2f}"
              f"  steady {statistics.median(steady) if steady else float('nan'):6.2f}  {lat}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--tf-python")
    parser.add_argument("--torch-python")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if args.epochs < 2:
        parser.error("--epochs must be at least 2 (epoch 1 includes tracing)")
    r = run_ember(args.epochs)
    print("ember  W1 MLP (784-512-512-10, batch 128, 60k samples, RMSprop)")
    print("  epoch times [s]: " + ", ".join(f"{t:.2f}" for t in r["epoch_times"]))
    print(f"  steady epoch:    {r['steady_epoch']:.2f} s   "
          f"({60000 / r['steady_epoch']:,.0f} samples/s)")
    print(f"  predict, 1 sample (median of 200): {r['predict_1'] * 1e6:8.1f} us")
    print(f"  model(x), 1 sample (median of 200): {r['call_1'] * 1e6:8.1f} us")
    if args.tf_python or args.torch_python:
        compare(args)


if __name__ == "__main__":
    main()
