"""Cost of keras.callbacks.TensorBoard (default settings) on the W1 MLP fit.

    python bench/tensorboard_overhead.py [--samples 60000] [--epochs 2] [--repeats 3]

Fits the W1 model (bench/keras_mlp.py) with and without the callback, interleaved, each
fit starting from the same fresh model; prints the median time of the fits' steady epochs
(all but the first, which includes tracing) and the ratio with/without. On a loaded
machine that ratio is noisy, so it also prints the time spent inside the callback's own
hooks as a share of the fits' total time (a figure load does not skew much).
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


def clock_hooks(callback, spent):
    """Wraps the callback's hooks so that ``spent[0]`` accumulates the time inside them."""
    for name in dir(type(callback)):
        if name.startswith("on_") or name == "set_model":
            hook = getattr(callback, name)

            def timed(*a, _hook=hook, **k):
                t0 = time.perf_counter()
                try:
                    return _hook(*a, **k)
                finally:
                    spent[0] += time.perf_counter() - t0
            setattr(callback, name, timed)


def timed_fit(keras, x, y, epochs, callbacks):
    model = build_w1(keras)
    marks = []

    class Clock(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            marks.append(time.perf_counter())

        def on_epoch_end(self, epoch, logs=None):
            marks.append(time.perf_counter())

    start = time.perf_counter()
    model.fit(x, y, batch_size=128, epochs=epochs, verbose=0,
              callbacks=[Clock()] + callbacks)
    total = time.perf_counter() - start
    return [marks[2 * k + 1] - marks[2 * k] for k in range(1, epochs)], total


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
    spent, total = [0.0], 0.0
    with tempfile.TemporaryDirectory() as logs:
        for r in range(args.repeats):
            without += timed_fit(keras, x, y, args.epochs, [])[0]
            tb = keras.callbacks.TensorBoard(os.path.join(logs, str(r)))
            clock_hooks(tb, spent)
            epochs, seconds = timed_fit(keras, x, y, args.epochs, [tb])
            with_tb += epochs
            total += seconds
    a, b = statistics.median(without), statistics.median(with_tb)
    print(f"W1 steady epoch ({args.samples} samples, batch 128), median of {len(without)}:")
    print(f"  without TensorBoard  {a:.3f} s")
    print(f"  with TensorBoard     {b:.3f} s   ratio {b / a:.3f}")
    print(f"  inside the callback's hooks: {spent[0]:.3f} s of {total:.1f} s of fitting "
          f"({100 * spent[0] / total:.2f}%)")


if __name__ == "__main__":
    main()
