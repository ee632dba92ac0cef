"""conv2d and 2x2 max pooling at the MiniVGG shapes: time and GFLOP/s beside a plain GEMM.

    python bench/conv.py [--repeat N] [--torch-python /tmp/torchvenv/bin/python]

For each 3x3 SAME conv2d layer (batch 64) it reports forward and forward+backward (input
and filter gradients, through GradientTape) time and GFLOP/s, the rate of one NumPy GEMM
with the same FLOPs as the forward pass ((N*H*W, 9*C) @ (9*C, O)), measured in the same
run, and the ratio. With PyTorch importable (here or via --torch-python), its times for the
same shapes are shown too.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

BATCH = 64
CONV_SHAPES = [(32, 3, 32), (32, 32, 32), (16, 32, 64), (16, 64, 64)]   # (size, in, out)
POOL_SHAPES = [(32, 32), (16, 64)]                                      # (size, channels)


def best_time(fn, repeat):
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def bench_ember(repeat):
    import ember as tf
    rng = np.random.default_rng(0)
    rows = []
    for size, cin, cout in CONV_SHAPES:
        x = tf.constant(rng.standard_normal((BATCH, size, size, cin)).astype(np.float32))
        w = tf.constant(rng.standard_normal((3, 3, cin, cout)).astype(np.float32) * 0.1)
        flops = 2.0 * BATCH * size * size * 9 * cin * cout

        def fwd():
            return tf.nn.conv2d(x, w, 1, "SAME")

        def fwd_bwd():
            with tf.GradientTape() as tape:
                tape.watch([x, w])
                y = tf.nn.conv2d(x, w, 1, "SAME")
            return tape.gradient(y, [x, w], output_gradients=y)

        a = rng.standard_normal((BATCH * size * size, 9 * cin)).astype(np.float32)
        b = rng.standard_normal((9 * cin, cout)).astype(np.float32)
        # ember first: after a multi-threaded GEMM, BLAS's threads spin for a while and
        # would slow whatever runs next
        t_f = best_time(fwd, repeat)
        t_fb = best_time(fwd_bwd, repeat)
        t_gemm = best_time(lambda: a @ b, repeat)
        time.sleep(0.3)
        rows.append({"shape": f"{size}x{size}x{cin}->{cout}", "flops": flops,
                     "gemm": t_gemm, "fwd": t_f, "fwd_bwd": t_fb})
    pools = []
    for size, c in POOL_SHAPES:
        x = tf.constant(rng.standard_normal((BATCH, size, size, c)).astype(np.float32))

        def pf():
            return tf.nn.max_pool2d(x, 2, 2, "VALID")

        def pfb():
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = tf.nn.max_pool2d(x, 2, 2, "VALID")
            return tape.gradient(y, x, output_gradients=y)

        pools.append({"shape": f"{size}x{size}x{c}", "fwd": best_time(pf, repeat),
                      "fwd_bwd": best_time(pfb, repeat)})
    return rows, pools


_TORCH_SCRIPT = r"""
import json, sys, time
import torch
torch.manual_seed(0)
repeat = int(sys.argv[1]); batch = int(sys.argv[2])
convs = json.loads(sys.argv[3]); pools = json.loads(sys.argv[4])
def best(fn):
    fn(); ts = []
    for _ in range(repeat):
        t = time.perf_counter(); fn(); ts.append(time.perf_counter() - t)
    return min(ts)
out = {"conv": [], "pool": [], "threads": torch.get_num_threads(), "version": torch.__version__}
for size, cin, cout in convs:
    x = torch.randn(batch, cin, size, size, requires_grad=True)
    w = (torch.randn(cout, cin, 3, 3) * 0.1).requires_grad_()
    def f():
        with torch.no_grad():
            return torch.nn.functional.conv2d(x, w, padding=1)
    def fb():
        y = torch.nn.functional.conv2d(x, w, padding=1)
        return torch.autograd.grad(y, [x, w], y.detach())
    out["conv"].append({"fwd": best(f), "fwd_bwd": best(fb)})
for size, c in pools:
    x = torch.randn(batch, c, size, size, requires_grad=True)
    def f():
        with torch.no_grad():
            return torch.nn.functional.max_pool2d(x, 2, 2)
    def fb():
        y = torch.nn.functional.max_pool2d(x, 2, 2)
        return torch.autograd.grad(y, [x], y.detach())
    out["pool"].append({"fwd": best(f), "fwd_bwd": best(fb)})
print(json.dumps(out))
"""


def bench_torch(repeat, python):
    if python is None:
        try:
            import torch  # noqa: F401
        except ImportError:
            return None
        python = sys.executable
    args = [python, "-c", _TORCH_SCRIPT, str(repeat), str(BATCH), json.dumps(CONV_SHAPES),
            json.dumps(POOL_SHAPES)]
    try:
        res = subprocess.run(args, capture_output=True, text=True, check=True, timeout=600)
    except (OSError, subprocess.SubprocessError) as e:
        print(f"(PyTorch comparison skipped: {e})")
        return None
    return json.loads(res.stdout.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--torch-python", default=None,
                   help="a Python interpreter with torch installed (default: try import torch)")
    args = p.parse_args()
    rows, pools = bench_ember(args.repeat)
    torch_res = bench_torch(args.repeat, args.torch_python)

    print(f"conv2d 3x3 SAME, batch {BATCH}, float32; best of {args.repeat}; "
          f"fwd+bwd = 3x forward FLOPs")
    head = (f"{'layer':<18}{'GEMM GF/s':>10}{'fwd ms':>9}{'fwd GF/s':>10}{'f+b ms':>9}"
            f"{'f+b GF/s':>10}{'f+b/GEMM':>10}")
    if torch_res:
        head += f"{'torch fwd':>11}{'torch f+b':>11}"
    print(head)
    tot_e = tot_t = 0.0
    for i, r in enumerate(rows):
        g = r["flops"] / r["gemm"] / 1e9
        fb = 3 * r["flops"] / r["fwd_bwd"] / 1e9
        line = (f"{r['shape']:<18}{g:>10.1f}{r['fwd'] * 1e3:>9.2f}"
                f"{r['flops'] / r['fwd'] / 1e9:>10.1f}{r['fwd_bwd'] * 1e3:>9.2f}{fb:>10.1f}"
                f"{fb / g:>9.0%} ")
        tot_e += r["fwd_bwd"]
        if torch_res:
            t = torch_res["conv"][i]
            line += f"{t['fwd'] * 1e3:>9.2f}ms{t['fwd_bwd'] * 1e3:>9.2f}ms"
            tot_t += t["fwd_bwd"]
        print(line)
    total_flops = 3 * sum(r["flops"] for r in rows)
    total_gemm = sum(r["gemm"] for r in rows) * 3
    print(f"{'all four layers':<18}{total_flops / total_gemm / 1e9:>10.1f}{'':>9}{'':>10}"
          f"{tot_e * 1e3:>9.2f}{total_flops / tot_e / 1e9:>10.1f}"
          f"{(total_flops / tot_e) / (total_flops / total_gemm):>9.0%} "
          + (f"{'':>11}{tot_t * 1e3:>9.2f}ms" if torch_res else ""))
    print()
    print(f"max_pool2d 2x2 stride 2, batch {BATCH}")
    print(f"{'input':<18}{'fwd ms':>9}{'f+b ms':>9}" +
          (f"{'torch fwd':>11}{'torch f+b':>11}" if torch_res else ""))
    for i, r in enumerate(pools):
        line = f"{r['shape']:<18}{r['fwd'] * 1e3:>9.2f}{r['fwd_bwd'] * 1e3:>9.2f}"
        if torch_res:
            t = torch_res["pool"][i]
            line += f"{t['fwd'] * 1e3:>9.2f}ms{t['fwd_bwd'] * 1e3:>9.2f}ms"
        print(line)
    if torch_res:
        print(f"\nPyTorch {torch_res['version']} with {torch_res['threads']} threads")
    else:
        print("\n(PyTorch not importable: pass --torch-python to compare)")


if __name__ == "__main__":
    main()
