"""MiniVGGNet on MNIST: the issue's acceptance run, plus training-step time beside PyTorch.

    python bench/minivgg.py [--epochs 2] [--threads N] [--torch-python /tmp/torchvenv/bin/python]
                            [--timing-only] [--timing-steps 15] [--rounds 3]

1. Trains the user's MiniVGGNet (Conv2D 32 -> BN -> ReLU -> Conv2D 32 -> BN -> ReLU -> MaxPool
   -> Dropout 0.25, the same with 64 filters, Flatten -> Dense 512 -> BN -> ReLU -> Dropout 0.5
   -> Dense 10 softmax; SGD(0.01, momentum 0.9), batch 64) for ``--epochs`` epochs on
   28x28x1 MNIST from ../shared/data/mnist.npz and prints the test accuracy (target >= 98.5%
   after 2 epochs) and the median time per training step.
2. Times the same training step (batch 64) on random 28x28x1 and 32x32x3 (CIFAR-sized) inputs,
   and, when PyTorch is importable here or through ``--torch-python``, PyTorch's time for the
   same network and step (conv+BN+ReLU blocks, SGD momentum 0.9) in the same run, in
   ``--rounds`` interleaved rounds; the summary is the median of the rounds' ratios.

``--threads N`` sets OPENBLAS/OMP/MKL thread counts (and torch.set_num_threads) before
anything is imported, so both libraries use the same number of cores (ember's own kernel
threads follow OMP_NUM_THREADS); on a shared, loaded machine ``--threads 1`` gives steadier
numbers.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MNIST = os.path.join(ROOT, "..", "shared", "data", "mnist.npz")
BATCH = 64
TIMING_SHAPES = [(28, 28, 1), (32, 32, 3)]


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--torch-python", default=None,
                   help="a Python interpreter with torch installed (default: this one, if "
                        "it can import torch)")
    p.add_argument("--timing-only", action="store_true",
                   help="skip the MNIST training run; only time training steps")
    p.add_argument("--timing-steps", type=int, default=15)
    p.add_argument("--rounds", type=int, default=3,
                   help="interleaved ember/PyTorch rounds (the machine's speed drifts; each "
                        "round's ratio compares runs made minutes apart at most)")
    p.add_argument("--mnist", default=MNIST)
    return p.parse_args(argv)


# the defaults when imported (bench/step_ab.py builds its model with mini_vgg)
ARGS = parse_args(sys.argv[1:] if __name__ == "__main__" else [])
if ARGS.threads:
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(ARGS.threads)

import numpy as np  # noqa: E402

sys.path.insert(0, ROOT)

from ember import keras  # noqa: E402
from ember.keras.layers.convolutional import Conv2D  # noqa: E402
from ember.keras.layers.core import Activation, Dense, Dropout, Flatten  # noqa: E402
from ember.keras.layers.normalization import BatchNormalization  # noqa: E402
from ember.keras.layers.pooling import MaxPooling2D  # noqa: E402


def mini_vgg(input_shape, classes=10):
    def block(filters):
        return [Conv2D(filters, (3, 3), padding="same"), BatchNormalization(axis=-1),
                Activation("relu")]
    model = keras.Sequential(
        [keras.Input(input_shape)] + block(32) + block(32) +
        [MaxPooling2D(pool_size=(2, 2)), Dropout(0.25)] + block(64) + block(64) +
        [MaxPooling2D(pool_size=(2, 2)), Dropout(0.25), Flatten(), Dense(512),
         BatchNormalization(), Activation("relu"), Dropout(0.5), Dense(classes),
         Activation("softmax")])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


class StepTimer(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.times = []
        self._t = None

    def on_train_batch_begin(self, batch, logs=None):
        self._t = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.times.append(time.perf_counter() - self._t)


class EpochPrinter(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self._t = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        print(f"  epoch {epoch + 1}: loss {logs.get('loss', float('nan')):.4f}  accuracy "
              f"{logs.get('accuracy', float('nan')):.4f}  "
              f"({time.perf_counter() - self._t:.0f} s)", flush=True)


def train_mnist(epochs, path):
    data = np.load(path)
    x_train = (data["x_train"].astype("float32") / 255.0)[..., None]
    x_test = (data["x_test"].astype("float32") / 255.0)[..., None]
    y_train = data["y_train"].astype("int32")
    y_test = data["y_test"].astype("int32")
    keras.utils.set_random_seed(0)
    model = mini_vgg((28, 28, 1))
    timer = StepTimer()
    print(f"MiniVGGNet on MNIST 28x28x1: {len(x_train)} training images, batch {BATCH}, "
          f"{epochs} epoch(s)", flush=True)
    t0 = time.perf_counter()
    model.fit(x_train, y_train, batch_size=BATCH, epochs=epochs, verbose=0,
              callbacks=[timer, EpochPrinter()])
    train_s = time.perf_counter() - t0
    _, accuracy = model.evaluate(x_test, y_test, batch_size=500, verbose=0)
    step_ms = 1000 * float(np.median(timer.times[5:] or timer.times))
    return {"accuracy": float(accuracy), "train_s": train_s, "step_ms": step_ms,
            "steps": len(timer.times)}


def ember_step_ms(shape, steps, model=None):
    """Median training-step time (ms) of MiniVGGNet on random data, and the model (built
    and compiled on the first call, reused by later rounds)."""
    rng = np.random.default_rng(0)
    n = BATCH * (steps + 3)
    x = rng.random((n,) + shape).astype("float32")
    y = rng.integers(0, 10, n).astype("int32")
    if model is None:
        model = mini_vgg(shape)
        model.fit(x[:2 * BATCH], y[:2 * BATCH], batch_size=BATCH, epochs=1, verbose=0)
    timer = StepTimer()
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0, callbacks=[timer],
              shuffle=False)
    return 1000 * float(np.median(timer.times[2:])), model


TORCH_SCRIPT = r"""
import json, sys, time
import torch
from torch import nn
threads, steps, batch = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
shapes = json.loads(sys.argv[4])
if threads:
    torch.set_num_threads(threads)
torch.manual_seed(0)
out = {"threads": torch.get_num_threads(), "version": torch.__version__, "ms": {}}
for h, w, c in shapes:
    def block(i, o):
        return [nn.Conv2d(i, o, 3, padding=1), nn.BatchNorm2d(o, eps=1e-3, momentum=0.01),
                nn.ReLU()]
    model = nn.Sequential(*block(c, 32), *block(32, 32), nn.MaxPool2d(2), nn.Dropout(0.25),
                          *block(32, 64), *block(64, 64), nn.MaxPool2d(2), nn.Dropout(0.25),
                          nn.Flatten(), nn.Linear(64 * (h // 4) * (w // 4), 512),
                          nn.BatchNorm1d(512, eps=1e-3, momentum=0.01), nn.ReLU(),
                          nn.Dropout(0.5), nn.Linear(512, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.rand(batch, c, h, w)
    y = torch.randint(0, 10, (batch,))
    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
    for _ in range(3):
        step()
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    times.sort()
    out["ms"]["%dx%dx%d" % (h, w, c)] = 1000 * times[len(times) // 2]
print(json.dumps(out))
"""


def torch_step_ms(python, threads, steps):
    if python is None:
        try:
            import torch  # noqa: F401
        except ImportError:
            return None, "PyTorch not importable (pass --torch-python)"
        python = sys.executable
    cmd = [python, "-c", TORCH_SCRIPT, str(threads or 0), str(steps), str(BATCH),
           json.dumps(TIMING_SHAPES)]
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, f"PyTorch run failed: {e}"
    if res.returncode != 0:
        return None, f"PyTorch run failed: {res.stderr.strip().splitlines()[-1:]}"
    return json.loads(res.stdout.strip().splitlines()[-1]), None


def main():
    threads = ARGS.threads
    print(f"threads: {threads or 'library default'} "
          f"(OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}), "
          f"cpus: {os.cpu_count()}, load average: "
          f"{', '.join(f'{v:.1f}' for v in os.getloadavg())}", flush=True)
    result = None
    if not ARGS.timing_only:
        if os.path.exists(ARGS.mnist):
            result = train_mnist(ARGS.epochs, ARGS.mnist)
            print(f"test accuracy after {ARGS.epochs} epoch(s): {result['accuracy']:.4f} "
                  f"(target >= 0.985); training {result['train_s']:.0f} s, "
                  f"{result['step_ms']:.0f} ms/step median over {result['steps']} steps",
                  flush=True)
        else:
            print(f"MNIST not found at {os.path.normpath(ARGS.mnist)}: skipping training")
    print(f"\ntraining step, batch {BATCH} (median of {ARGS.timing_steps} steps; "
          f"{ARGS.rounds} interleaved round(s)):", flush=True)
    models = {shape: None for shape in TIMING_SHAPES}
    rows = []
    torch_info, why = None, None
    for r in range(ARGS.rounds):
        ember_ms = {}
        for shape in TIMING_SHAPES:
            ms, models[shape] = ember_step_ms(shape, ARGS.timing_steps, models[shape])
            ember_ms["%dx%dx%d" % shape] = ms
        torch_res, why = torch_step_ms(ARGS.torch_python, threads, ARGS.timing_steps)
        torch_info = torch_res or torch_info
        for key, ms in ember_ms.items():
            t = torch_res["ms"].get(key) if torch_res else None
            rows.append((r + 1, key, ms, t))
    print(f"{'round':>5} {'input':>10} {'ember ms':>10} {'torch ms':>10} {'ember/torch':>12}")
    for r, key, ms, t in rows:
        print(f"{r:5d} {key:>10} {ms:10.1f} {t if t is None else round(t, 1)!s:>10} "
              f"{'' if t is None else f'{ms / t:.2f}':>12}")
    for shape in TIMING_SHAPES:
        key = "%dx%dx%d" % shape
        mine = [ms for _, k, ms, _ in rows if k == key]
        ratios = [ms / t for _, k, ms, t in rows if k == key and t]
        line = f"median {key:>10} {float(np.median(mine)):10.1f}"
        if ratios:
            theirs = [t for _, k, _, t in rows if k == key and t]
            line += f" {float(np.median(theirs)):10.1f} {float(np.median(ratios)):12.2f}"
        print(line)
    if torch_info:
        print(f"(torch {torch_info['version']}, {torch_info['threads']} thread(s); the median "
              f"ratio is the median of the rounds' ratios)")
    else:
        print(f"(no PyTorch figures: {why})")


if __name__ == "__main__":
    main()
