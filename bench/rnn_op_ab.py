"""The W3 recurrent op alone (forward and backward kernels of RNNSequence at batch 64, 100
steps, 128 inputs and units), timed in one process: wall and process CPU per call, median
over repeats. With ``--tree DIR`` (repeatable) each tree's kernels run in a child process,
interleaved round by round, and the ratios to the first tree are printed.

    python bench/rnn_op_ab.py [--cell lstm|gru] [--rounds 5] [--tree A --tree B]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def child(cell, reps):
    import numpy as np
    import ember
    from ember.ops import rnn_ops
    rng = np.random.default_rng(0)
    B, T, K, U = 64, 100, 128, 128
    g = {"lstm": 4, "gru": 3}[cell] * U
    x = rng.standard_normal((B, T, K), dtype=np.float32) * 0.5
    W = rng.standard_normal((K, g), dtype=np.float32) / np.float32(np.sqrt(K))
    R = rng.standard_normal((U, g), dtype=np.float32) / np.float32(np.sqrt(U))
    bias = np.zeros((2, g) if cell == "gru" else (g,), np.float32)
    states = [np.zeros((B, U), np.float32)] * (2 if cell == "lstm" else 1)
    xs, Ws, Rs, bs = (ember.constant(a) for a in (x, W, R, bias))
    st = [ember.constant(s) for s in states]

    @ember.function
    def step(xs, Ws, Rs, bs):
        with ember.GradientTape() as tape:
            tape.watch([xs, Ws, Rs, bs])
            seq, last, _ = rnn_ops.rnn_sequence(cell, xs, st, Ws, Rs, bs)
            loss = ember.reduce_sum(last * last) + ember.reduce_sum(seq) * 1e-3
        return [loss] + tape.gradient(loss, [xs, Ws, Rs, bs])

    @ember.function
    def fwd(xs, Ws, Rs, bs):
        return rnn_ops.rnn_sequence(cell, xs, st, Ws, Rs, bs)[1]

    out = {}
    for name, fn in (("fwd", fwd), ("step", step)):
        fn(xs, Ws, Rs, bs)
        walls, cpus = [], []
        for _ in range(reps):
            w, c = time.perf_counter(), time.process_time()
            fn(xs, Ws, Rs, bs)
            walls.append(time.perf_counter() - w)
            cpus.append(time.process_time() - c)
        out[name] = (min(walls) * 1e3, min(cpus) * 1e3)
    r = step(xs, Ws, Rs, bs)
    out["check"] = [float(np.asarray(t).astype(np.float64).sum()) for t in r]
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cell", default="lstm")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--tree", action="append")
    ap.add_argument("--child", action="store_true")
    a = ap.parse_args()
    if a.child:
        print(json.dumps(child(a.cell, a.reps)))
        return
    trees = a.tree or [os.path.dirname(os.path.dirname(os.path.abspath(__file__)))]
    res = {t: [] for t in trees}
    for r in range(a.rounds):
        for t in trees:
            p = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", "--cell",
                                a.cell, "--reps", str(a.reps)], capture_output=True, text=True,
                               env=dict(os.environ, PYTHONPATH=t))
            if p.returncode:
                print(p.stderr[-3000:])
                return
            o = json.loads(p.stdout.strip().splitlines()[-1])
            res[t].append(o)
            print(f"round {r + 1} {t}: fwd {o['fwd'][0]:.1f} ms (cpu {o['fwd'][1]:.1f}), "
                  f"fwd+bwd {o['step'][0]:.1f} ms (cpu {o['step'][1]:.1f})  check "
                  f"{['%.4g' % v for v in o['check']]}", flush=True)
    base = trees[0]
    for t in trees:
        for k in ("fwd", "step"):
            ratio = statistics.median(o[k][0] / b[k][0] for o, b in zip(res[t], res[base]))
            print(f"{t} {k}: min wall {min(o[k][0] for o in res[t]):.1f} ms, min cpu {min(o[k][1] for o in res[t]):.1f} ms,"
                  f" / first tree {ratio:.3f}")


if __name__ == "__main__":
    main()
