"""Every keras.ops case of tests/fixtures/keras_ops/cases.py against real Keras 3.15
(TensorFlow backend) results stored by make_fixtures.py: values, output dtypes (Keras's
promotion rules) and the gradients of sum(out * cotangent) — eagerly and traced."""
import json
import os
import sys

import numpy as np
import pytest

import ember
from ember.keras import ops

HERE = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "keras_ops")
sys.path.insert(0, HERE)
from cases import CASES  # noqa: E402

DATA = np.load(os.path.join(HERE, "keras_ops.npz"))
META = json.loads(str(DATA["__meta__"]))
KINDS = {"f", "p", "u", "i", "b", "spd", "prob", "onehot", "d", "nan", "p01", "nn", "tf8"}


def _is_spec(v):
    return isinstance(v, tuple) and v and isinstance(v[0], str) and v[0] in KINDS


def _load(value, key, watched):
    if _is_spec(value):
        arr = DATA[key]
        t = ember.constant(arr)
        if arr.dtype == np.float32:
            watched.append(t)
        return t
    if isinstance(value, list):
        return [_load(v, f"{key}.{i}", watched) for i, v in enumerate(value)]
    return value


def _function(name):
    obj = ops
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def _call(id_, fn, inputs, kwargs, opts, watched):
    args = _load(inputs, f"{id_}/in", watched)
    kw = {k: _load(v, f"{id_}/kw_{k}", watched) for k, v in kwargs.items()}
    f = _function(fn)
    return f(args, **kw) if opts.get("pack") else f(*args, **kw)


def _outputs(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


def _value(o):
    return np.asarray(o.numpy() if hasattr(o, "numpy") else o)


def _close(got, want, opts, what):
    tol = opts.get("tol", 1e-5)
    if opts.get("abs"):
        got, want = np.abs(got), np.abs(want)
    assert got.shape == want.shape, f"{what}: shape {got.shape} != Keras's {want.shape}"
    if want.dtype == bool or want.dtype.kind in "iu":
        np.testing.assert_array_equal(got, want, err_msg=what)
    else:
        wide = "complex128" if "c" in (got.dtype.kind, want.dtype.kind) else "float64"
        np.testing.assert_allclose(got.astype(wide), want.astype(wide), rtol=tol,
                                   atol=tol, err_msg=what, equal_nan=True)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_against_keras(case):
    id_, fn, inputs, kwargs, opts = case
    meta = META[id_]
    assert "error" not in meta, meta.get("error")
    outs = _outputs(_call(id_, fn, inputs, kwargs, opts, []))
    assert len(outs) == meta["n_out"], f"{id_}: {len(outs)} outputs, Keras gives " \
                                       f"{meta['n_out']}"
    for k, o in enumerate(outs):
        _close(_value(o), DATA[f"{id_}/out{k}"], opts, f"{id_} output {k}")
        if ember.is_tensor(o):
            assert ops.dtype(o) == meta["dtypes"][k], \
                f"{id_} output {k}: dtype {ops.dtype(o)}, Keras gives {meta['dtypes'][k]}"
    if opts.get("grad") and meta.get("n_grad"):
        watched = []
        with ember.GradientTape() as tape:
            args = _load(inputs, f"{id_}/in", watched)
            kw = {k: _load(v, f"{id_}/kw_{k}", watched) for k, v in kwargs.items()}
            for w in watched:
                tape.watch(w)
            f = _function(fn)
            args_out = f(args, **kw) if opts.get("pack") else f(*args, **kw)
            loss = ember.add_n([ember.reduce_sum(o * DATA[f"{id_}/cot{k}"])
                                for k, o in enumerate(_outputs(args_out))
                                if f"{id_}/cot{k}" in DATA.files])
        grads = tape.gradient(loss, watched)
        for j, g in enumerate(grads):
            want = DATA[f"{id_}/grad{j}"]
            got = np.zeros_like(want) if g is None else _value(ember.convert_to_tensor(g))
            _close(got, want, {"tol": max(opts.get("tol", 1e-4), 1e-4)},
                   f"{id_} gradient {j}")


_NOT_TRACEABLE = {"nonzero", "unique", "size", "ndim", "histogram"}


@pytest.mark.parametrize("case", [c for c in CASES if c[0] not in _NOT_TRACEABLE],
                         ids=[c[0] for c in CASES if c[0] not in _NOT_TRACEABLE])
def test_traced_matches_keras(case):
    id_, fn, inputs, kwargs, opts = case
    traced = ember.function(lambda: _call(id_, fn, inputs, kwargs, opts, []))
    for k, o in enumerate(_outputs(traced())):
        _close(_value(o), DATA[f"{id_}/out{k}"], opts, f"{id_} traced output {k}")
