"""Cost of keras.callbacks.TensorBoard (default settings) on the W1 MLP fit.

    python bench/tensorboard_overhead.py [--samples 60000] [--epochs 2] [--repeats 3]

Fits the W1 model (bench/keras_mlp.py) with and without the callback, interleaved, each
fit starting from the same fresh model; prints the median time of the fits' steady epochs
(all but the first, which includes tracing) and the ratio with/without.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from keras_mlp import build_w1, w1_data  # noqa: E402


def timed_fit(keras, x, y, epochs, callbacks):
    model = build_w1(keras)
    marks = []

    class Clock(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            marks.append(time.perf_counter())

        def on_epoch_end(self, epoch, logs=None):
            marks.append(time.perf_counter())

    model.fit(x, y, batch_size=128, epochs=epochs, verbose=0,
              callbacks=[Clock()] + callbacks)
    return [marks[2 * k + 1] - marks[2 * k] for k in range(1, epochs)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=60000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from ember import keras
    x, y = w1_data()
    x, y = x[:args.samples], y[:args.samples]
    without, with_tb = [], []
    with tempfile.TemporaryDirectory() as logs:
        for r in range(args.repeats):
            without += timed_fit(keras, x, y, args.epochs, [])
            tb = keras.callbacks.TensorBoard(os.path.join(logs, str(r)))
            with_tb += timed_fit(keras, x, y, args.epochs, [tb])
    a, b = statistics.median(without), statistics.median(with_tb)
    print(f"W1 steady epoch ({args.samples} samples, batch 128), median of {len(without)}:")
    print(f"  without TensorBoard  {a:.3f} s")
    print(f"  with TensorBoard     {b:.3f} s   ratio {b / a:.3f}")


if __name__ == "__main__":
    main()
