"""The tuning constants live in one place (ember/runtime/tuning.py), each documented, and
kernels read them from there when they run."""
import ast
import pathlib

import numpy as np

import ember
from ember.runtime import matmul_kernels, memory, parallel, tuning

RUNTIME = pathlib.Path(tuning.__file__).parent


def _numeric_constants(tree):
    """Module-level ``NAME = <number expression>`` assignments (public upper-case names)."""
    found = []
    for node in tree.body:
        if not isinstance(node, ast.Assign) or len(node.targets) != 1:
            continue
        target = node.targets[0]
        if not isinstance(target, ast.Name) or not target.id.isupper() or \
                target.id.startswith("_"):
            continue
        values = [n for n in ast.walk(node.value) if isinstance(n, ast.Constant)]
        if values and all(isinstance(v.value, (int, float)) and not isinstance(v.value, bool)
                          for v in values):
            found.append(target.id)
    return found


# numbers that are definitions, not tuning choices
NOT_TUNING = {
    "philox.py": {"RESERVED_BLOCKS_PER_SAMPLE"},     # TensorFlow's Generator stream layout
}


def test_no_runtime_module_but_tuning_defines_a_numeric_constant():
    for path in sorted(RUNTIME.glob("*.py")):
        if path.name == "tuning.py":
            continue
        names = [n for n in _numeric_constants(ast.parse(path.read_text()))
                 if n not in NOT_TUNING.get(path.name, ())]
        assert not names, f"{path.name} defines tuning constants {names}: move them to tuning.py"


def test_every_tuning_constant_is_documented_where_it_is_defined():
    source = (RUNTIME / "tuning.py").read_text()
    lines = source.splitlines()
    tree = ast.parse(source)
    names = _numeric_constants(tree)
    assert {"MIN_ELEMENTS", "MIN_MACS", "BLOCK_BYTES", "SPIN_START_US", "SPIN_END_US",
            "SPIN_MAX_PREEMPTIONS", "SPIN_BACKOFF_RUNS", "SPIN_JUDGED_SECONDS",
            "SMALL_GEMM_MACS", "MMAP_THRESHOLD", "TRIM_THRESHOLD",
            "MATMUL_SMALL_MACS"} <= set(names)
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) in names:
            # a comment block right above it, or above the group it belongs to
            i = node.lineno - 2
            while i >= 0 and lines[i] and not lines[i].startswith("#"):
                i -= 1
            assert i >= 0 and lines[i].startswith("#"), node.targets[0].id


def test_the_moved_constants_are_gone_from_their_old_modules():
    for module, names in ((parallel, ("MIN_ELEMENTS", "MIN_MACS", "BLOCK_BYTES",
                                      "SPIN_START_US", "SMALL_GEMM_MACS")),
                          (memory, ("MMAP_THRESHOLD", "TRIM_THRESHOLD"))):
        for name in names:
            assert not hasattr(module, name), f"{module.__name__}.{name}"


def test_kernels_read_the_constants_when_they_run(monkeypatch):
    """Setting tuning.MIN_MACS decides whether a product is split across threads."""
    calls = []
    real_run = parallel.run

    def counting(fn, shares, *args, **kwargs):
        calls.append(len(shares))
        return real_run(fn, shares, *args, **kwargs)

    monkeypatch.setattr(parallel, "run", counting)
    monkeypatch.setattr(parallel, "_requested", 2)
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((64, 32)), rng.standard_normal((32, 48))
    want = a @ b
    np.testing.assert_allclose(matmul_kernels.matmul_kernel(a, b), want, rtol=1e-12)
    assert not calls                          # 98k multiply-adds: one thread
    monkeypatch.setattr(tuning, "MIN_MACS", 1000)
    np.testing.assert_allclose(matmul_kernels.matmul_kernel(a, b), want, rtol=1e-12)
    assert calls and calls[-1] == 2           # now worth two threads
    monkeypatch.setattr(tuning, "MATMUL_SMALL_MACS", 1 << 20)
    calls.clear()
    got = ember.matmul(ember.constant(a), ember.constant(b)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert not calls                          # below the small-product threshold
