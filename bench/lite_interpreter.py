"""ember.lite: conversion time of a small MobileNet-style CNN and the latency of running
its .tflite file in ember's Interpreter next to ``model.predict`` (batch 8), interleaved
call by call so both see the same machine load; with ``--tf PYTHON`` (a Python with
TensorFlow) TensorFlow Lite's own Interpreter runs the same file in a subprocess too.

    python bench/lite_interpreter.py [--calls 100] [--tf /work/refenv/bin/python]

On a shared machine only the ratios mean anything.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

TF_CHILD = r"""
import statistics, sys, time, numpy as np, warnings
warnings.filterwarnings("ignore")
import tensorflow as tf
path, calls = sys.argv[1], int(sys.argv[2])
x = np.load(path + ".x.npy")
it = tf.lite.Interpreter(model_path=path, num_threads=1)
d = it.get_input_details()[0]
it.resize_tensor_input(d["index"], x.shape); it.allocate_tensors()
times = []
for _ in range(calls + 10):
    t = time.perf_counter(); it.set_tensor(d["index"], x); it.invoke()
    it.get_tensor(it.get_output_details()[0]["index"]); times.append(time.perf_counter() - t)
print(statistics.median(times[10:]))
"""


def build():
    import ember  # noqa: F401
    from ember import keras
    L = keras.layers
    keras.utils.set_random_seed(0)
    inp = keras.Input((32, 32, 3), name="image")
    h = L.Conv2D(16, 3, strides=2, padding="same", use_bias=False)(inp)
    h = L.ReLU(6.0)(L.BatchNormalization()(h))
    for c in (16, 24, 24):
        r = L.Conv2D(c * 2, 1, use_bias=False)(h)
        r = L.ReLU(6.0)(L.BatchNormalization()(r))
        r = L.DepthwiseConv2D(3, padding="same", use_bias=False)(r)
        r = L.ReLU(6.0)(L.BatchNormalization()(r))
        r = L.BatchNormalization()(L.Conv2D(c, 1, use_bias=False)(r))
        h = L.Add()([h, r]) if h.shape[-1] == c else r
    h = L.GlobalAveragePooling2D()(h)
    return keras.Model(inp, L.Dense(10, activation="softmax")(h))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--tf", default=None, help="a Python with TensorFlow")
    args = parser.parse_args()
    import ember
    model = build()
    x = np.random.RandomState(0).rand(8, 32, 32, 3).astype("float32")
    t = time.perf_counter()
    data = ember.lite.TFLiteConverter.from_keras_model(model).convert()
    print(f"convert: {1e3 * (time.perf_counter() - t):.1f} ms, {len(data)} bytes "
          f"({4 * model.count_params()} bytes of float32 weights)")
    interp = ember.lite.Interpreter(model_content=data)
    d = interp.get_input_details()[0]
    interp.resize_tensor_input(d["index"], x.shape)
    interp.allocate_tensors()
    model.predict(x, verbose=0)
    lite, predict = [], []
    for _ in range(args.calls):
        t = time.perf_counter()
        interp.set_tensor(d["index"], x)
        interp.invoke()
        interp.get_tensor(interp.get_output_details()[0]["index"])
        lite.append(time.perf_counter() - t)
        t = time.perf_counter()
        model.predict(x, verbose=0)
        predict.append(time.perf_counter() - t)
    ml, mp = statistics.median(lite), statistics.median(predict)
    print(f"ember Interpreter invoke: {1e3 * ml:.2f} ms   model.predict: {1e3 * mp:.2f} ms   "
          f"ratio {ml / mp:.2f}")
    if args.tf:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "m.tflite")
            with open(path, "wb") as f:
                f.write(data)
            np.save(path + ".x.npy", x)
            out = subprocess.run([args.tf, "-c", TF_CHILD, path, str(args.calls)],
                                 capture_output=True, text=True, check=True)
            tf_time = float(out.stdout.strip().splitlines()[-1])
            print(f"TensorFlow Lite Interpreter (1 thread) invoke: {1e3 * tf_time:.2f} ms "
                  f"(separate process)")


if __name__ == "__main__":
    sys.exit(main())
