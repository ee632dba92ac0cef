"""Sequence layers against real Keras: outputs, input gradients and weight gradients for
the same weights (fixtures made by tests/fixtures/sequence/make_sequence_fixtures.py)."""
import importlib.util
import os

import numpy as np
import pytest

import ember
from ember import keras

_HERE = os.path.join(os.path.dirname(__file__), os.pardir, "fixtures", "sequence")
_spec = importlib.util.spec_from_file_location(
    "make_sequence_fixtures", os.path.join(_HERE, "make_sequence_fixtures.py"))
fx = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fx)
DATA = np.load(fx.PATH)


def _arrays(name, prefix):
    out = []
    while f"{name}/{prefix}{len(out)}" in DATA.files:
        out.append(DATA[f"{name}/{prefix}{len(out)}"])
    return out


@pytest.mark.parametrize("name", sorted(fx.CASES))
def test_layer_equals_keras(name):
    build, shapes, mode = fx.CASES[name]
    layer = build(keras)
    arrays = _arrays(name, "x")
    fx.call_layer(layer, arrays, mode, ember.constant)
    weights = _arrays(name, "w")
    assert [tuple(w.shape) for w in layer.weights] == [w.shape for w in weights]
    layer.set_weights(weights)
    xs = [ember.constant(a) for a in arrays]
    with ember.GradientTape(persistent=True) as tape:
        for x in xs:
            tape.watch(x)
        out = fx.call_layer(layer, xs, mode, lambda a: a)
        outs = ember.nest.flatten(out)
        loss = ember.add_n([ember.reduce_sum(o * ember.constant(fx.output_weights(o), o.dtype))
                            for o in outs])
    dxs = tape.gradient(loss, xs)
    dws = tape.gradient(loss, layer.trainable_weights)
    del tape
    expect = _arrays(name, "out")
    assert len(outs) == len(expect)
    for o, e in zip(outs, expect):
        np.testing.assert_allclose(o.numpy(), e, rtol=1e-4, atol=1e-5)
    for i, g in enumerate(dxs):
        key = f"{name}/dx{i}"
        if key in DATA.files:
            np.testing.assert_allclose(g.numpy(), DATA[key], rtol=1e-4, atol=1e-5,
                                       err_msg=f"input gradient {i}")
    expect_dw = _arrays(name, "dw")
    assert len(dws) == len(expect_dw)
    for i, (g, e) in enumerate(zip(dws, expect_dw)):
        got = np.zeros_like(e) if g is None else ember.convert_to_tensor(g).numpy()
        np.testing.assert_allclose(got, e, rtol=1e-4, atol=1e-5,
                                   err_msg=f"weight gradient {i} ({layer.trainable_weights[i].name})")
