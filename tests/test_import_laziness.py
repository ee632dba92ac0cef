"""``import ember`` loads the core only; the rest loads on first use and behaves the same.

Each check runs in a fresh interpreter (what a module set looks like depends on what the
process imported before). Nothing here measures time: bench/import_time.py does.
"""
from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _run(code: str, *flags: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, *flags, "-c", textwrap.dedent(code)], env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return out


def _imported_by(statement: str, importtime: bool = False) -> set[str]:
    """The modules ``python -X importtime -c statement`` reports importing, with the ones
    in ``sys.modules`` afterwards (importtime does not report ``importlib.import_module``,
    through which lazy names load)."""
    out = _run(statement + "\nimport sys as _s; print(' '.join(_s.modules))",
               *(("-X", "importtime") if importtime else ()))
    names = set(out.stdout.split())
    for line in out.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip())
    assert "numpy" in names, out.stderr
    return names


# Rarely used parts of ember, Keras and heavy optional packages: none loads with ember.
NOT_AT_IMPORT = ("ember.ops.linear_operator", "ember.ops.linear_operator_structured",
                 "ember.ops.ctc_ops", "ember.ops.linalg_extra_ops", "ember.ops.special_ops",
                 "ember.ops.rnn_ops", "ember.ops.embedding_ops", "ember.ops.fusions",
                 "ember.engine.compiler",
                 "ember.ops.sparse_ops", "ember.ops.image_geometry", "ember.ops.fft_ops",
                 "ember.keras", "ember.compat", "ember.linalg", "ember.image", "ember.signal",
                 "ember.strings", "ember.lookup", "ember.profiler", "ember.saved_model",
                 "ember.train", "ember.data", "ember.io", "ember.summary",
                 "h5py", "PIL", "scipy", "tensorboard", "ml_dtypes", "pandas", "matplotlib")


def _loaded(names: set[str], prefix: str) -> list[str]:
    return sorted(n for n in names if n == prefix or n.startswith(prefix + "."))


def test_import_ember_loads_the_core_only():
    names = _imported_by("import ember", importtime=True)
    assert "ember.ops.math_ops" in names and "ember.engine.function" in names
    for prefix in NOT_AT_IMPORT:
        assert not _loaded(names, prefix), f"import ember loads {_loaded(names, prefix)}"


@pytest.mark.parametrize("statement", ["import ember.keras", "from ember import keras",
                                       "import ember as tf; tf.keras"])
def test_import_keras_loads_no_keras_namespace(statement):
    names = _imported_by(statement)
    assert "ember.keras" in names
    for prefix in ("ember.keras.layers", "ember.keras.models", "ember.keras.optimizers",
                   "ember.keras.applications",
                   "ember.keras.utils", "ember.keras.saving", "ember.compat", "h5py", "PIL"):
        assert not _loaded(names, prefix), f"{statement} loads {_loaded(names, prefix)}"


def test_first_use_loads_only_what_it_needs():
    names = _imported_by("from ember import keras; keras.config.floatx()")
    assert not _loaded(names, "ember.keras.layers")
    names = _imported_by("import ember; ember.linalg.inv")
    assert "ember.linalg" in names and not _loaded(names, "ember.ops.linear_operator")
    names = _imported_by("from ember import keras; keras.layers.Dense")
    for prefix in ("ember.keras.layers.preprocessing", "ember.keras.layers.rnn",
                   "ember.keras.layers.attention", "ember.keras.layers.foreign"):
        assert not _loaded(names, prefix), _loaded(names, prefix)


def test_fused_kernels_load_with_the_first_compiled_plan():
    code = """
    import sys
    import ember
    from ember.engine import fusion
    assert "ember.ops.fusions" not in sys.modules
    f = ember.function(lambda x: ember.nn.relu(x * 2.0), jit_compile=True)
    assert f(ember.constant([-1.0, 1.0])).numpy().tolist() == [0.0, 2.0]
    assert "ember.ops.fusions" in sys.modules
    assert fusion.by_name.conv_backprops.stage in fusion.STAGES
    """
    _run(code)


def test_import_ember_is_quiet_and_changes_no_process_setting():
    code = """
    import faulthandler, gc, locale, logging, os, signal, sys, threading, warnings
    import numpy as np

    def state():
        return {
            "np_err": np.geterr(), "np_print": repr(np.get_printoptions()),
            "warnings": repr(warnings.filters), "recursion": sys.getrecursionlimit(),
            "switch": sys.getswitchinterval(), "environ": dict(os.environ),
            "signals": {s: repr(signal.getsignal(s)) for s in (signal.SIGINT, signal.SIGTERM)},
            "threads": threading.active_count(), "stack": threading.stack_size(),
            "gc": gc.get_threshold(), "gc_on": gc.isenabled(),
            "locale": locale.setlocale(locale.LC_ALL), "excepthook": repr(sys.excepthook),
            "displayhook": repr(sys.displayhook), "trace": repr(sys.gettrace()),
            "profile": repr(sys.getprofile()), "meta_path": len(sys.meta_path),
            "logging": (logging.root.level, len(logging.root.handlers)),
            "faulthandler": faulthandler.is_enabled(), "cwd": os.getcwd(),
            "umask": os.umask(0o022),
        }

    before = state()
    os.umask(before["umask"])
    import ember
    import ember.keras
    after = state()
    os.umask(after["umask"])
    changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
    assert not changed, changed
    """
    out = _run(code)
    assert out.stdout == "" and out.stderr == ""


# Every name dir() lists resolves, in a process where nothing else was touched first.
NAMESPACES = ("ember", "ember.linalg", "ember.nn", "ember.math", "ember.random",
              "ember.image", "ember.config", "ember.debugging", "ember.test", "ember.keras",
              "ember.keras.config", "ember.keras.layers", "ember.compat.v1",
              "ember.compat.v1.nn")


def test_every_listed_name_resolves():
    code = f"""
    import importlib, json
    result = {{}}
    for namespace in {NAMESPACES!r}:
        mod = importlib.import_module(namespace)
        failed = {{}}
        names = [n for n in dir(mod) if not n.startswith("_")]
        for name in names:
            try:
                getattr(mod, name)
            except Exception as e:
                failed[name] = repr(e)
        result[namespace] = {{"count": len(names), "failed": failed,
                             "unlisted": sorted(set(names) - set(dir(mod)))}}
    print(json.dumps(result))
    """
    result = json.loads(_run(code).stdout)
    for namespace in NAMESPACES:
        assert result[namespace]["count"] > 0, namespace
        assert result[namespace]["failed"] == {}, namespace
        # dir() did not change by loading the lazy names
        assert result[namespace]["unlisted"] == [], namespace


def test_from_import_forms():
    code = """
    from ember.linalg import LinearOperatorDiag, expm
    from ember.linalg.experimental import conjugate_gradient
    from ember.nn import ctc_loss, nce_loss
    from ember.nn.experimental import stateless_dropout
    from ember.math import segment_max, bessel_i0
    from ember.math.special import dawsn
    from ember.random.experimental import index_shuffle
    from ember import keras, linalg, map_fn, TensorArray
    from ember.keras import layers, Sequential, Operation
    from ember.keras.layers import LSTM, MultiHeadAttention, RandomFlip
    import ember.linalg as L
    import ember
    assert LinearOperatorDiag is ember.linalg.LinearOperatorDiag is L.LinearOperatorDiag
    assert LinearOperatorDiag.__module__ == "ember.ops.linear_operator"
    assert Operation is layers.Layer and Sequential is keras.models.Sequential
    assert ember.print is ember.ops.logging_ops.print_v2
    assert ember.matrix_square_root is ember.linalg.sqrtm
    assert hasattr(ember.nn, "ctc_loss") and not hasattr(ember.nn, "no_such_name")
    assert "LinearOperatorDiag" in dir(L) and "ctc_loss" in dir(ember.nn)
    d = L.LinearOperatorDiag(ember.constant([1.0, 2.0]))
    assert d.to_dense().numpy().tolist() == [[1.0, 0.0], [0.0, 2.0]]
    try:
        ember.no_such_name
    except AttributeError as e:
        assert "module 'ember' has no attribute 'no_such_name'" in str(e)
    else:
        raise AssertionError("no AttributeError")
    """
    _run(code)


def test_star_import_gives_the_lazy_names_too():
    code = """
    ns = {}
    exec("from ember import *", ns)
    assert {"map_fn", "TensorArray", "linalg", "image", "eig", "print"} <= ns.keys()
    assert "keras" not in ns and "compat" not in ns
    ns = {}
    exec("from ember.nn import *", ns)
    assert {"relu", "ctc_loss", "nce_loss", "experimental"} <= ns.keys()
    ns = {}
    exec("from ember.keras import *", ns)
    assert {"layers", "Sequential", "Input", "Model", "config", "version"} <= ns.keys()
    ns = {}
    exec("from ember.linalg import *", ns)
    assert {"inv", "LinearOperatorDiag", "expm"} <= ns.keys()
    """
    _run(code)


def test_pickling_lazily_loaded_objects():
    code = """
    import pickle
    import ember
    cls = ember.linalg.LinearOperatorDiag
    assert pickle.loads(pickle.dumps(cls)) is cls
    fn = ember.nn.ctc_loss
    assert pickle.loads(pickle.dumps(fn)) is fn
    """
    _run(code)


def test_concurrent_first_access_sees_complete_modules():
    code = """
    import threading
    import ember

    N = 8
    barrier = threading.Barrier(N)
    seen, errors = [], []

    def reader():
        try:
            barrier.wait()
            dense = ember.keras.layers.Dense
            diag = ember.linalg.LinearOperatorDiag
            ctc = ember.nn.ctc_loss
            model = ember.keras.Sequential
            # a complete module: its last definitions are there
            assert hasattr(ember.keras.layers, "Input"), "half-initialized keras.layers"
            seen.append((dense, diag, ctc, model))
        except Exception as e:          # noqa: BLE001
            errors.append(repr(e))

    threads = [threading.Thread(target=reader) for _ in range(N)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(seen) == N and len(set(seen)) == 1, seen
    layer = seen[0][0](3)
    assert layer(ember.ones([2, 4])).shape == (2, 3)
    """
    for _ in range(3):          # a race shows up only sometimes: try a few fresh processes
        _run(code)


def test_graph_file_op_loads_its_module_on_demand(tmp_path):
    """A SavedModel whose graph uses ops of modules ``import ember`` skips (CTC, segment
    reductions) loads in a process that never touched them."""
    save = f"""
    import numpy as np
    import ember as tf

    @tf.function(input_signature=[tf.TensorSpec([4], tf.float32)])
    def f(x):
        return tf.math.unsorted_segment_max(x, [0, 0, 1, 1], 2)

    tf.saved_model.save(tf.Module(), {str(tmp_path / "m")!r}, signatures=f)
    print(f(tf.constant([1.0, 5.0, 3.0, 4.0])).numpy().tolist())
    """
    expected = _run(save).stdout.strip()
    assert expected == "[5.0, 4.0]"
    load = f"""
    import sys
    import ember as tf
    from ember.framework import op
    assert "UnsortedSegmentReduce" not in op._REGISTRY
    loaded = tf.saved_model.load({str(tmp_path / "m")!r})
    out = loaded.signatures["serving_default"](tf.constant([1.0, 5.0, 3.0, 4.0]))
    out = list(out.values())[0] if isinstance(out, dict) else out
    print(out.numpy().tolist())
    assert "ember.ops.segment_ops" in sys.modules
    """
    assert _run(load).stdout.strip() == expected


def test_get_op_finds_every_op_ember_defines():
    """Every op any ember module defines is found by name right after ``import ember``."""
    collect = """
    import importlib, json, pkgutil
    import ember
    from ember.framework import op
    skip = ("__main__", "tests")
    for info in pkgutil.walk_packages(ember.__path__, "ember."):
        if any(part in skip for part in info.name.split(".")):
            continue
        try:
            importlib.import_module(info.name)
        except ImportError:            # needs an optional package
            pass
    print(json.dumps(sorted(op._REGISTRY)))
    """
    names = json.loads(_run(collect).stdout)
    assert "CTCLossDense" in names and "AddV2" in names
    check = f"""
    import json
    import ember
    from ember.framework.op import get_op
    missing = []
    for name in {names!r}:
        try:
            get_op(name)
        except LookupError:
            missing.append(name)
    print(json.dumps(missing))
    """
    assert json.loads(_run(check).stdout) == []


def test_get_op_unknown_name_still_raises():
    code = """
    from ember.framework.op import get_op
    import ember
    try:
        get_op("NoSuchOpAnywhere")
    except LookupError as e:
        assert "NoSuchOpAnywhere" in str(e)
    else:
        raise AssertionError("no LookupError")
    """
    _run(code)


def test_lazy_tables_match_the_modules_they_name():
    """Every lazy attribute names an object its module defines (a stale table entry fails
    here, not in a user's program)."""
    code = """
    import importlib, json
    import ember
    from ember.framework import lazy
    checked, bad = 0, []
    for ns in ("ember", "ember.linalg", "ember.nn", "ember.math", "ember.random",
               "ember.keras", "ember.keras.config", "ember.keras.layers"):
        mod = importlib.import_module(ns)
        table = getattr(mod, "_LAZY_ATTRIBUTES", None)
        if table is None:
            continue
        for name, target in table.items():
            module, colon, attr = target.partition(":")
            module = importlib.import_module(module)
            expected = module if colon and not attr else getattr(module, attr or name, None)
            if expected is None or getattr(mod, name) is not expected:
                bad.append(f"{ns}.{name} -> {target}")
            checked += 1
    print(json.dumps([checked, bad]))
    """
    checked, bad = json.loads(_run(code).stdout)
    assert checked > 100 and bad == []
