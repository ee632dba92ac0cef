"""CPU time of the compiled MiniVGG training step on one thread (no workers, no spinning):
min and median over 27 steps, at 28x28x1 and 32x32x3.

    python bench/step_cpu_time.py

Wall-clock step times on a machine other processes share are dominated by their load;
the calling thread's CPU time (time.thread_time, with every kernel run in that thread)
is not, so two versions compared this way, alternately, show a change in the work a step
does even then. It says nothing about threading gains: bench/minivgg.py measures those.
"""
import os, sys, time
os.environ["OMP_NUM_THREADS"] = os.environ["OPENBLAS_NUM_THREADS"] = "1"
sys.argv = [sys.argv[0]]
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np
from minivgg import mini_vgg, BATCH
from ember import keras
out = {}
for shape in [(28, 28, 1), (32, 32, 3)]:
    rng = np.random.default_rng(0)
    x = rng.random((BATCH * 30,) + shape).astype("float32"); y = rng.integers(0, 10, BATCH * 30)
    model = mini_vgg(shape)
    model.fit(x[:2 * BATCH], y[:2 * BATCH], batch_size=BATCH, epochs=1, verbose=0)
    times = []
    class T(keras.callbacks.Callback):
        def on_train_batch_begin(self, b, logs=None): self.t = time.thread_time()
        def on_train_batch_end(self, b, logs=None): times.append(time.thread_time() - self.t)
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0, callbacks=[T()])
    t = sorted(times[3:])
    out[shape] = (1000 * t[0], 1000 * t[len(t) // 2])
print(" ".join(f"{s[0]}x{s[1]}x{s[2]}: min {a:.1f} med {b:.1f} ms" for s, (a, b) in out.items()))
