"""W3 (Embedding(10000, 128) -> LSTM(128) -> Dense(1), batch 64, 100 steps) for ember and
PyTorch, with LSTM and with GRU, plus the latency of one sequence through the model.

Each measurement runs in a fresh process; rounds interleave the implementations
(ember-lstm, torch-lstm, ember-gru, torch-gru, ...). Data, model and training loop follow
../shared/bench (common.py, impl_keras.py, impl_torch.py); GRU replaces the LSTM layer.

    python bench/w3_rnn.py [--rounds 3] [--epochs 3] [--torch-python /work/refenv/bin/python]
                           [--baseline DIR]

``--baseline DIR`` also runs ember from another source tree (e.g. ``git archive`` of an
earlier commit unpacked in DIR) as "base", interleaved with the others in every round, and
prints each implementation's median ratio of steady throughput to PyTorch's in the same
round.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

SHARED = os.environ.get("BENCH_SHARED", "/work/shared/bench")
HERE = os.path.dirname(os.path.abspath(__file__))
TREE = os.path.dirname(HERE)


def _latency(fn, calls=50, warmup=5):
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(calls):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts) * 1e3


def child_ember(kind, epochs):
    sys.path.insert(0, SHARED)
    import common as C
    import ember
    from ember import keras
    p = C.W3
    keras.utils.set_random_seed(0)
    x, y = C.w3_data()
    rnn = keras.layers.LSTM if kind == "lstm" else keras.layers.GRU
    model = keras.Sequential([keras.Input(shape=(p["seq_len"],), dtype="int64"),
                              keras.layers.Embedding(p["vocab"], p["embed"]),
                              rnn(p["units"]), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=p["lr"], beta_1=p["beta1"],
                                                  beta_2=p["beta2"], epsilon=p["eps"]),
                  loss="binary_crossentropy", metrics=["accuracy"])
    clock = C.EpochClock()

    class Mark(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            clock.mark()
    clock.start()
    model.fit(x, y, batch_size=p["batch"], epochs=epochs, shuffle=True, verbose=0,
              callbacks=[Mark()])
    out = C.train_metrics(clock.epoch_seconds(), p["n"])
    x1 = ember.convert_to_tensor(x[:1])
    out["latency1_ms"] = _latency(lambda: model(x1))
    out["predict1_ms"] = _latency(lambda: model.predict(x[:1], verbose=0), calls=20)
    return out


def child_torch(kind, epochs):
    sys.path.insert(0, SHARED)
    import common as C
    import impl_torch as T
    import torch
    from torch import nn
    p = C.W3
    if kind == "gru":
        class GRUClassifier(nn.Module):
            def __init__(self):
                super().__init__()
                self.emb = nn.Embedding(p["vocab"], p["embed"])
                self.rnn = nn.GRU(p["embed"], p["units"], batch_first=True)
                self.fc = nn.Linear(p["units"], 1)

            def forward(self, x):
                _, h = self.rnn(self.emb(x))
                return self.fc(h[-1])
        T.LSTMClassifier = lambda _p: GRUClassifier()
    T._seed()
    x, y = C.w3_data()
    model, opt, loss_fn = T.build_w3()
    ep = T._train(model, opt, loss_fn, x, y, p["batch"], epochs, True)
    out = C.train_metrics(ep, p["n"])
    model.eval()
    x1 = torch.from_numpy(x[:1])
    with torch.no_grad():
        out["latency1_ms"] = _latency(lambda: model(x1))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--child", nargs=2, metavar=("IMPL", "KIND"))
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--kinds", default="lstm,gru")
    ap.add_argument("--torch-python", default="/work/refenv/bin/python")
    ap.add_argument("--baseline", help="another ember source tree, run as 'base'")
    a = ap.parse_args()
    if a.child:
        impl, kind = a.child
        res = (child_ember if impl == "ember" else child_torch)(kind, a.epochs)
        print(json.dumps(res))
        return
    results = {}
    impls = [("ember", sys.executable, TREE)]
    if a.baseline:
        impls.append(("base", sys.executable, os.path.abspath(a.baseline)))
    impls.append(("torch", a.torch_python, TREE))
    for r in range(a.rounds):
        for kind in a.kinds.split(","):
            for impl, py, tree in impls:
                cmd = [py, os.path.abspath(__file__), "--child",
                       "torch" if impl == "torch" else "ember", kind, "--epochs", str(a.epochs)]
                proc = subprocess.run(cmd, capture_output=True, text=True,
                                      env=dict(os.environ, PYTHONPATH=tree))
                if proc.returncode:
                    print(proc.stderr[-2000:], file=sys.stderr)
                    continue
                res = json.loads(proc.stdout.strip().splitlines()[-1])
                res["round"] = r
                results.setdefault((impl, kind), []).append(res)
                print(f"round {r + 1} {impl:5s} {kind}: steady "
                      f"{res['steady_samples_per_s']:.0f} samples/s, epoch1 "
                      f"{res['epoch1_samples_per_s']:.0f}, one sequence "
                      f"{res['latency1_ms']:.2f} ms", flush=True)
    print("\nmedians over rounds")
    for (impl, kind), rs in sorted(results.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        med = lambda k: statistics.median(x[k] for x in rs)   # noqa: E731
        print(f"{impl:5s} {kind}: steady {med('steady_samples_per_s'):.0f} samples/s "
              f"({min(x['steady_samples_per_s'] for x in rs):.0f}-"
              f"{max(x['steady_samples_per_s'] for x in rs):.0f}), epoch1 "
              f"{med('epoch1_samples_per_s'):.0f}, model(x) one sequence "
              f"{med('latency1_ms'):.2f} ms")
    for (impl, kind), rs in sorted(results.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        torch = {x["round"]: x for x in results.get(("torch", kind), [])}
        pairs = [(x, torch[x["round"]]) for x in rs if impl != "torch" and x["round"] in torch]
        if pairs:
            ratio = statistics.median(e["steady_samples_per_s"] / t["steady_samples_per_s"]
                                      for e, t in pairs)
            lat = statistics.median(e["latency1_ms"] / t["latency1_ms"] for e, t in pairs)
            print(f"{impl:5s} {kind}: steady throughput / PyTorch's (median over rounds) "
                  f"{ratio:.2f}x; one-sequence latency / PyTorch's {lat:.2f}x")


if __name__ == "__main__":
    main()
