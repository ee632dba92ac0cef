"""Cold import time of ember in fresh processes, against NumPy's own import.

    python bench/import_time.py            # 9 interleaved rounds, both bytecode modes
    python bench/import_time.py --rounds 15 --mode cached
    python bench/import_time.py --compare /path/to/other/checkout   # before/after, same run

Each round starts one fresh interpreter per target, in turn (numpy, ember, ember.keras,
...), so a loaded machine slows every target of a round alike; the figures are medians
over rounds of the time, of the time above ``import numpy`` and of the ratio to it.

Two bytecode modes:
- ``cached``: compiled bytecode is written once (to a private ``PYTHONPYCACHEPREFIX``)
  and then read, as after ``pip install`` — what users see.
- ``source``: no bytecode is written (``PYTHONDONTWRITEBYTECODE=1``), so in a checkout
  without ``__pycache__`` directories every ember module is compiled from source on each
  import (NumPy still reads its installed bytecode) — what this project's development
  environment, which sets ``PYTHONDONTWRITEBYTECODE``, sees. Compiling costs about 0.3 ms per
  kilobyte of source, so this mode measures how much code an import loads.

The module counts are how many ``ember`` modules each import loads.
"""
from __future__ import annotations

import argparse
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]     # the checkout this script is in
TARGETS = {
    "numpy": "import numpy",
    "ember": "import ember",
    "ember.keras": "import ember.keras",
    "from ember import keras": "from ember import keras",
    "keras.layers.Dense": "from ember import keras; keras.layers.Dense",
}
CODE = ("import time, sys; t = time.perf_counter(); {stmt}; t = time.perf_counter() - t; "
        "print(t, sum(1 for m in list(sys.modules) if m.split('.')[0] == 'ember'))")


def _env(mode: str, cache_dir: str) -> dict:
    env = dict(os.environ)
    if mode == "cached":
        env["PYTHONPYCACHEPREFIX"] = cache_dir
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    else:                       # NumPy still reads its installed bytecode
        env.pop("PYTHONPYCACHEPREFIX", None)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _targets(compare):
    """(label, statement, the checkout on PYTHONPATH) for each measurement of a round."""
    rows = [(name, stmt, str(ROOT)) for name, stmt in TARGETS.items()]
    if compare:
        rows += [(f"{name} [compare]", stmt, compare) for name, stmt in TARGETS.items()
                 if name != "numpy"]
    return rows


def _run(stmt: str, env: dict) -> tuple[float, int]:
    # run from an empty directory: ``python -c`` puts the working directory first on
    # sys.path, which would shadow PYTHONPATH's checkout
    out = subprocess.run([sys.executable, "-c", CODE.format(stmt=stmt)], env=env,
                         cwd=env["_EMBER_BENCH_CWD"], capture_output=True, text=True,
                         check=True)
    seconds, modules = out.stdout.split()
    return float(seconds), int(modules)


def measure(mode: str, rounds: int, compare=None) -> dict:
    targets = _targets(compare)
    with tempfile.TemporaryDirectory(prefix="ember-pyc-") as cache_dir:
        env = _env(mode, cache_dir)
        env["_EMBER_BENCH_CWD"] = cache_dir
        envs = {path: dict(env, PYTHONPATH=path) for _, _, path in targets}
        if mode == "cached":                       # write every module's bytecode once
            for _, stmt, path in targets:
                _run(stmt, envs[path])
        times = {name: [] for name, _, _ in targets}
        counts = {}
        for _ in range(rounds):
            for name, stmt, path in targets:
                seconds, counts[name] = _run(stmt, envs[path])
                times[name].append(seconds)
    base = times["numpy"]
    result = {}
    for name, ts in times.items():
        result[name] = {
            "ms": statistics.median(ts) * 1000,
            "above_numpy_ms": statistics.median(t - b for t, b in zip(ts, base)) * 1000,
            "ratio": statistics.median(t / b for t, b in zip(ts, base)),
            "ember_modules": counts[name],
        }
    return result


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--mode", choices=("cached", "source", "both"), default="both")
    parser.add_argument("--compare", metavar="DIR",
                        help="another checkout (its directory holding ember/) measured in "
                             "the same rounds, e.g. the tree before a change")
    args = parser.parse_args(argv)
    modes = ("cached", "source") if args.mode == "both" else (args.mode,)
    for mode in modes:
        result = measure(mode, args.rounds, args.compare)
        print(f"[{mode} bytecode, median of {args.rounds} interleaved rounds]")
        print(f"  {'target':36s} {'ms':>8s} {'above numpy':>12s} {'x numpy':>8s} "
              f"{'ember modules':>14s}")
        for name, r in result.items():
            print(f"  {name:36s} {r['ms']:8.1f} {r['above_numpy_ms']:12.1f} "
                  f"{r['ratio']:8.2f} {r['ember_modules']:14d}")


if __name__ == "__main__":
    main()
