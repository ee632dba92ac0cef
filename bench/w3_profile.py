"""Where a W3 training step's time goes, per op (Embedding(10000, 128) -> LSTM/GRU(128) ->
Dense(1), batch 64, 100 steps; data and model as in bench/w3_rnn.py).

Runs the compiled training plan one kernel at a time and adds up, per op type, the wall
time and this thread's CPU time of its kernels (the recurrent ops' work on ember's other
thread shows in wall time only), after a warm-up epoch:

    python bench/w3_profile.py [--kind lstm|gru] [--samples 1280] [--epochs 2] [--nodes]
"""
from __future__ import annotations

import argparse
import collections
import os
import sys
import time

import numpy as np

SHARED = os.environ.get("BENCH_SHARED", "/work/shared/bench")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kind", default="lstm", choices=("lstm", "gru"))
    ap.add_argument("--samples", type=int, default=1280)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--nodes", action="store_true", help="per graph node, not per op type")
    a = ap.parse_args()
    sys.path.insert(0, SHARED)
    import common as C
    from ember import keras
    from ember.engine import compiler

    acc = collections.defaultdict(lambda: [0.0, 0.0, 0])
    timing = [False]
    plain = compiler.Plan._call

    def timed(plan, feeds, profile=None):
        if not timing[0]:
            return plain(plan, feeds, profile)
        vals = plan.template.copy()
        for slot, value in zip(plan.feed_slots, feeds):
            vals[slot] = value
        with np.errstate(all="ignore"):
            for fn, ins, out, node in plan.steps:
                w, c = time.perf_counter(), time.thread_time()
                r = fn(*[vals[i] for i in ins])
                row = acc[f"{node.op.name} {node.name}" if a.nodes else node.op.name]
                row[0] += time.perf_counter() - w
                row[1] += time.thread_time() - c
                row[2] += 1
                if type(out) is int:
                    vals[out] = r
                else:
                    for o, v in zip(out, r):
                        vals[o] = v
        return [vals[i] for i in plan.fetch_slots]
    compiler.Plan._call = timed

    p = C.W3
    keras.utils.set_random_seed(0)
    x, y = C.w3_data()
    x, y = x[:a.samples], y[:a.samples]
    rnn = keras.layers.LSTM if a.kind == "lstm" else keras.layers.GRU
    model = keras.Sequential([keras.Input(shape=(p["seq_len"],), dtype="int64"),
                              keras.layers.Embedding(p["vocab"], p["embed"]),
                              rnn(p["units"]), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=p["lr"]),
                  loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=p["batch"], epochs=1, verbose=0)
    timing[0] = True
    w0, c0 = time.perf_counter(), time.process_time()
    model.fit(x, y, batch_size=p["batch"], epochs=a.epochs, verbose=0)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    steps = a.epochs * -(-a.samples // p["batch"])
    in_ops = sum(r[0] for r in acc.values())
    print(f"W3 {a.kind}: step wall {wall / steps * 1e3:.1f} ms (in plan ops "
          f"{in_ops / steps * 1e3:.1f}), process CPU {cpu / steps * 1e3:.1f} ms")
    for name, (w, c, n) in sorted(acc.items(), key=lambda kv: -kv[1][0])[:12]:
        print(f"  {name[:60]:24s} wall {w / steps * 1e3:7.2f} ms ({100 * w / in_ops:4.1f}%)  "
              f"thread CPU {c / steps * 1e3:7.2f} ms  calls/step {n / steps:.0f}")


if __name__ == "__main__":
    main()
