"""A/B of a compile-time setting on the MiniVGG training step: two models, epochs alternated.

    python bench/compile_ab.py MODULE:ATTR VALUE_A VALUE_B [--epochs 8] [--shape 28,28,1]

    e.g. python bench/compile_ab.py ember.engine.fusion:by_name.conv_backprops.enabled True False

Settings the compiler reads while it builds a plan (a pass, a flag a pass consults) cannot
be toggled step by step as ``bench/step_ab.py`` does with kernel settings. This script
builds one model with ATTR set to A and one with it set to B, then trains them in
alternating epochs of 16 steps (A first in even epochs, B first in odd ones), so both see
the machine in the same states. It prints the median step time of each and the plan steps
(matched by name) whose median time differs most. The values are Python literals; for a
callable ATTR (a compiler pass), ``on`` keeps it and ``off`` replaces it by one that does
nothing.
"""
from __future__ import annotations

import ast
import collections
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from step_ab import STEPS, ab_arguments, setting, step_data  # noqa: E402


def _value(text, current):
    if callable(current) and text in ("on", "off"):
        return current if text == "on" else (lambda *args, **kwargs: None)
    return ast.literal_eval(text)


def main():
    args = ab_arguments(__doc__, "a Python literal, or on/off for a callable", "plan steps")

    import numpy as np
    from minivgg import mini_vgg

    owner, attr = setting(args.target)
    original = getattr(owner, attr)
    values = (_value(args.a, original), _value(args.b, original))
    shape, x, y = step_data(args.shape)
    models, op_times = [], []
    try:
        for value in values:
            setattr(owner, attr, value)
            model = mini_vgg(shape)
            model.fit(x[:128], y[:128], batch_size=64, epochs=1, verbose=0)   # compiles
            models.append(model)
    finally:
        setattr(owner, attr, original)

    for model in models:
        plan = list(model.train_function._cache.values())[0]._compiled()
        times = collections.defaultdict(list)

        def timed(fn, name, times=times):
            def run(*arrays):
                t = time.perf_counter()
                out = fn(*arrays)
                times[name].append(time.perf_counter() - t)
                return out
            return run

        plan.steps = [(timed(fn, node.name), ins, out, node)
                      for fn, ins, out, node in plan.steps]
        plan._code = plan._generate()
        op_times.append(times)

    step_times = ([], [])
    for epoch in range(args.epochs):
        for k in ((0, 1) if epoch % 2 == 0 else (1, 0)):
            t = time.perf_counter()
            models[k].fit(x, y, batch_size=64, epochs=1, verbose=0, shuffle=False)
            step_times[k].append((time.perf_counter() - t) / STEPS)

    a, b = (np.median(t) * 1e3 for t in step_times)
    print(f"{args.target}: A = {args.a}, B = {args.b}; {args.epochs} epochs of {STEPS} "
          f"steps each")
    print(f"step median: A {a:.1f} ms  B {b:.1f} ms  B/A {b / a:.3f}")
    rows = []
    for name in set(op_times[0]) | set(op_times[1]):
        ta, tb = (np.median(t[name]) * 1e3 if t.get(name) else 0.0 for t in op_times)
        rows.append((abs(tb - ta), name, ta, tb))
    print(f"plan steps: A {sum(r[2] for r in rows):.1f} ms  B {sum(r[3] for r in rows):.1f} ms"
          " (a step only one plan has counts 0 in the other)")
    for _, name, ta, tb in sorted(rows, reverse=True)[:args.top]:
        print(f"  {name[:52]:52s} A {ta:6.2f}  B {tb:6.2f}  {tb - ta:+.2f} ms")


if __name__ == "__main__":
    main()
