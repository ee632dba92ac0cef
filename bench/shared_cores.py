"""The compiled MiniVGG step alone and with a second training on the same cores.

    python bench/shared_cores.py [--epochs 3] [--shape 28,28,1]

While a compiled plan runs, ember's worker waits for its next share spinning
(ember.runtime.parallel.spinning), which pays only while each thread has a core of its
own; when the process's threads are preempted often (another process on the same cores)
spinning backs off. This script times the step with spinning on and off (``EMBER_SPIN``),
first in one process alone, then in two processes at once, in ``--rounds`` rounds that
alternate the two settings (these machines' speed drifts by several percent within a
minute), and prints the median over rounds of each process's mean step time and of how
often its threads were preempted per second. bench/step_ab.py measures spinning alone more
precisely (``ember.runtime.parallel:SPIN True False``), toggling it step by step.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CHILD = r"""
import os, resource, sys, time
sys.path.insert(0, {root!r}); sys.path.insert(0, os.path.join({root!r}, "bench"))
import numpy as np
from minivgg import mini_vgg
shape = tuple(int(v) for v in {shape!r}.split(","))
rng = np.random.default_rng(0)
x = rng.random((64 * 8,) + shape).astype("float32")
y = rng.integers(0, 10, 64 * 8).astype("int32")
model = mini_vgg(shape)
model.fit(x, y, batch_size=64, epochs=1, verbose=0)
before = resource.getrusage(resource.RUSAGE_SELF).ru_nivcsw
start = time.perf_counter()
model.fit(x, y, batch_size=64, epochs={epochs}, verbose=0)
elapsed = time.perf_counter() - start
preempted = resource.getrusage(resource.RUSAGE_SELF).ru_nivcsw - before
print(f"{{elapsed / ({epochs} * 8) * 1e3:.1f}} {{preempted / elapsed:.0f}}")
"""


def run(count, spin, args):
    env = dict(os.environ)
    if spin:
        env.pop("EMBER_SPIN", None)
    else:
        env["EMBER_SPIN"] = "off"
    code = CHILD.format(root=ROOT, shape=args.shape, epochs=args.epochs)
    procs = [subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE,
                              text=True) for _ in range(count)]
    out = []
    for p in procs:
        text, _ = p.communicate()
        if p.returncode != 0:
            raise SystemExit(f"a training process failed (exit code {p.returncode})")
        step, rate = text.split()
        out.append((float(step), float(rate)))
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=3, help="timed epochs of 8 steps")
    p.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    p.add_argument("--shape", default="28,28,1", help="input shape (default 28,28,1)")
    args = p.parse_args()
    print(f"MiniVGG training step, batch 64, {args.shape}: ms per step (preemptions/s), "
          f"median of {args.rounds} round(s)")
    for count in (1, 2):
        results = {True: [], False: []}
        for i in range(args.rounds):
            for spin in ((True, False) if i % 2 == 0 else (False, True)):
                results[spin].append(run(count, spin, args))
        for spin in (True, False):
            cells = []
            for k in range(count):
                steps = sorted(r[k][0] for r in results[spin])
                rates = sorted(r[k][1] for r in results[spin])
                cells.append(f"{steps[len(steps) // 2]:7.1f} ({rates[len(rates) // 2]:4.0f}/s)")
            print(f"{count} process(es), spinning {'on ' if spin else 'off'}: "
                  + "  ".join(cells))


if __name__ == "__main__":
    main()
