"""A/B of a kernel setting inside the compiled MiniVGG training step, toggled step by step.

    python bench/step_ab.py MODULE:ATTR VALUE_A VALUE_B [--epochs 8] [--shape 28,28,1]

    e.g. python bench/step_ab.py ember.runtime.tuning:CONV_SUB_BYTES 1048576 786432
         python bench/step_ab.py ember.runtime.tuning:CHANNEL_BLOCK_BYTES 1048576 2097152

The tuning constants (ember/runtime/tuning.py) are the settings meant for it; the A/B
switches it once toggled (LEAN, KSTACK, EXACT_ROWS, WIDE_FUSED, UPDATE_BLOCKS) are decided
and gone, their measurements kept in docs/performance.md. To A/B a code path again, give
it a module-level flag for the experiment and toggle that.

Sets ``ATTR`` (a dotted path inside MODULE) to A before even steps and to B before odd ones
(the other way round every other epoch), so both settings see the machine in the same
state: this machine's speed drifts by several percent within a minute, which swamps
settings timed one after the other. Prints the median step time under each setting and the
ops whose median time moved most. Only settings read while kernels run can be compared
this way (not ones the compiler reads when it builds the plan). The values are Python
literals.
"""
from __future__ import annotations

import argparse
import ast
import collections
import importlib
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


STEPS = 16          # training steps of 64 images per epoch


def ab_arguments(doc, values, listed):
    """The command line both A/B scripts take (``values``: what A and B may be)."""
    p = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    p.add_argument("target", help="MODULE:ATTR, ATTR may be dotted (Class.NAME)")
    p.add_argument("a", help=f"value A ({values})")
    p.add_argument("b", help="value B")
    p.add_argument("--epochs", type=int, default=8,
                   help=f"epochs of {STEPS} steps (default 8)")
    p.add_argument("--shape", default="28,28,1", help="input shape (default 28,28,1)")
    p.add_argument("--top", type=int, default=10, help=f"{listed} listed (default 10)")
    return p.parse_args()


def setting(target):
    """(owner, attribute name) of a MODULE:ATTR setting."""
    modname, _, path = target.partition(":")
    owner = importlib.import_module(modname)
    *parents, attr = path.split(".")
    for name in parents:
        owner = getattr(owner, name)
    return owner, attr


def step_data(shape_text):
    """(input shape, images, labels) for one epoch of STEPS random MiniVGG steps."""
    import numpy as np
    shape = tuple(int(v) for v in shape_text.split(","))
    rng = np.random.default_rng(0)
    x = rng.random((64 * STEPS,) + shape).astype("float32")
    y = rng.integers(0, 10, 64 * STEPS).astype("int32")
    return shape, x, y


def main():
    args = ab_arguments(__doc__, "a Python literal", "ops")

    import numpy as np
    import ember
    from minivgg import mini_vgg

    owner, attr = setting(args.target)
    values = (ast.literal_eval(args.a), ast.literal_eval(args.b))
    shape, x, y = step_data(args.shape)
    model = mini_vgg(shape)
    model.fit(x, y, batch_size=64, epochs=1, verbose=0)
    plan = list(model.train_function._cache.values())[0]._compiled()

    side = [0]
    op_times = (collections.defaultdict(list), collections.defaultdict(list))
    step_times = ([], [])

    def timed(fn, k):
        def run(*arrays):
            t = time.perf_counter()
            out = fn(*arrays)
            op_times[side[0]][k].append(time.perf_counter() - t)
            return out
        return run

    plan.steps = [(timed(fn, k), ins, out, node)
                  for k, (fn, ins, out, node) in enumerate(plan.steps)]
    plan._code = plan._generate()

    class Toggle(ember.keras.callbacks.Callback):
        flip = 0

        def on_train_batch_begin(self, batch, logs=None):
            side[0] = (batch + self.flip) % 2
            setattr(owner, attr, values[side[0]])
            self.start = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            step_times[side[0]].append(time.perf_counter() - self.start)

    toggle = Toggle()
    for epoch in range(args.epochs):
        toggle.flip = epoch % 2
        model.fit(x, y, batch_size=64, epochs=1, verbose=0, shuffle=False, callbacks=[toggle])

    a, b = (np.median(t) * 1e3 for t in step_times)
    print(f"{args.target}: A = {args.a}, B = {args.b}; {len(step_times[0])} steps each")
    print(f"step median: A {a:.1f} ms  B {b:.1f} ms  B/A {b / a:.3f}")
    rows = []
    for k, node in enumerate(plan.nodes):
        if op_times[0][k] and op_times[1][k]:
            ta, tb = (np.median(t[k]) * 1e3 for t in op_times)
            rows.append((abs(tb - ta), node.name, ta, tb))
    print(f"kernels: A {sum(r[2] for r in rows):.1f} ms  B {sum(r[3] for r in rows):.1f} ms")
    for _, name, ta, tb in sorted(rows, reverse=True)[:args.top]:
        print(f"  {name[:52]:52s} A {ta:6.2f}  B {tb:6.2f}  {tb - ta:+.2f} ms")


if __name__ == "__main__":
    main()
