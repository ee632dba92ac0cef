"""W1 (the MNIST-shaped MLP, RMSprop, 3 epochs; ../shared/bench/WORKLOADS.md) steady
throughput: ember against TF-Keras in the same run, as a ratio.

    python bench/w1_vs_tf.py [--tf-python /work/refenv/bin/python] [--rounds 3]
                             [--ember-root PATH ...]

Each round runs ../shared/bench/bench.py's W1 once for TF-Keras (through ``--tf-python``)
and once for each ember tree (``--ember-root``, this tree by default; give two to compare
a change against main in one run), each in a fresh process, in turn. Printed per round:
each run's steady samples/s and ember's ratio to TF-Keras of that round (> 1: ember
faster); the summary is the median of the rounds' ratios. Only ratios mean anything on a
shared machine.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED_BENCH = os.path.join(ROOT, "..", "shared", "bench")
if not os.path.isdir(SHARED_BENCH):      # a worktree under /work/wt/<name>
    SHARED_BENCH = os.path.join(ROOT, "..", "..", "shared", "bench")


def run_w1(python, env_extra, epochs):
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env.update(env_extra)
    cmd = [python, os.path.join(SHARED_BENCH, "bench.py"), "--module", "impl_keras",
           "--workload", "w1"]
    if epochs:
        cmd += ["--epochs", str(epochs)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=3600,
                         cwd=SHARED_BENCH)
    if out.returncode != 0:
        raise RuntimeError(f"{python} W1 failed:\n{out.stderr[-3000:]}")
    text = out.stdout
    return json.loads(text[text.index("{"):])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--tf-python", default="/work/refenv/bin/python")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--epochs", type=int, default=None, help="default: W1's 3")
    p.add_argument("--ember-root", action="append", default=None,
                   help="an ember source tree (repeatable); default: this one")
    a = p.parse_args(argv)
    roots = [os.path.abspath(r) for r in (a.ember_root or [ROOT])]
    ratios = {r: [] for r in roots}
    for k in range(a.rounds):
        tf_res = run_w1(a.tf_python, {}, a.epochs)
        tf_rate = tf_res["steady_samples_per_s"]
        line = [f"round {k + 1}: TF-Keras {tf_rate:9.0f}/s"]
        for r in roots:
            res = run_w1(sys.executable, {"PYTHONPATH": r, "BENCH_TF_MODULE": "ember",
                                          "BENCH_KERAS_MODULE": "ember.keras"}, a.epochs)
            rate = res["steady_samples_per_s"]
            ratios[r].append(rate / tf_rate)
            line.append(f"{os.path.basename(r) or r} {rate:9.0f}/s (x{rate / tf_rate:.3f})")
        print("  ".join(line), flush=True)
    for r in roots:
        print(f"W1 steady throughput, ember ({r}) / TF-Keras: median "
              f"x{statistics.median(ratios[r]):.3f} over {a.rounds} rounds "
              f"{[round(x, 3) for x in ratios[r]]}")


if __name__ == "__main__":
    main()
