"""Sliding-window and gated attention, channels-first ConvLSTM and LoRA layers against real
Keras: outputs, input gradients and weight gradients for the same weights (fixtures made by
tests/fixtures/sequence/make_extra_fixtures.py)."""
import importlib.util
import os

import numpy as np
import pytest

import ember
from ember import keras

_HERE = os.path.join(os.path.dirname(__file__), os.pardir, "fixtures", "sequence")
_spec = importlib.util.spec_from_file_location(
    "make_extra_fixtures", os.path.join(_HERE, "make_extra_fixtures.py"))
fx = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fx)
DATA = np.load(fx.PATH)


def _arrays(name, prefix):
    out = []
    while f"{name}/{prefix}{len(out)}" in DATA.files:
        out.append(DATA[f"{name}/{prefix}{len(out)}"])
    return out


def _run(layer, name, mode):
    arrays = _arrays(name, "x")
    xs = [ember.constant(a) for a in arrays]
    with ember.GradientTape(persistent=True) as tape:
        for x in xs:
            if x.dtype.is_floating:
                tape.watch(x)
        outs = ember.nest.flatten(fx.call_layer(layer, xs, mode, lambda a: a))
        loss = ember.add_n([ember.reduce_sum(o * ember.constant(fx.base.output_weights(o),
                                                                o.dtype)) for o in outs])
    dxs = [tape.gradient(loss, x) if x.dtype.is_floating else None for x in xs]
    dws = tape.gradient(loss, layer.trainable_weights)
    return outs, dxs, dws


@pytest.mark.parametrize("name", sorted(fx.CASES))
def test_layer_equals_keras(name):
    build, _, mode = fx.CASES[name]
    layer = build(keras)
    fx.call_layer(layer, _arrays(name, "x"), mode, ember.constant)
    assert [w.name.split("/")[-1].split(":")[0] for w in layer.weights] == \
        list(DATA[f"{name}/names"])
    assert [w.name.split("/")[-1].split(":")[0] for w in layer.trainable_weights] == \
        list(DATA[f"{name}/trainable"])
    layer.set_weights(_arrays(name, "w"))
    outs, dxs, dws = _run(layer, name, mode)
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
                                   err_msg=f"weight gradient {i}")


@pytest.mark.parametrize("name", ["mha_window_causal", "gqa_window_gate", "mha_gate"])
def test_attention_config_round_trip(name):
    build, _, mode = fx.CASES[name]
    layer = build(keras)
    config = layer.get_config()
    again = type(layer).from_config(config)
    assert again.get_config() == config
    assert config.get("sliding_window") == getattr(layer, "sliding_window")


def test_sliding_window_rejects_bad_values():
    with pytest.raises(ValueError, match="sliding_window"):
        keras.layers.MultiHeadAttention(num_heads=2, key_dim=2, sliding_window=0)
    with pytest.raises(ValueError, match="sliding_window"):
        keras.layers.GroupQueryAttention(head_dim=2, num_query_heads=2,
                                         num_key_value_heads=1, sliding_window=1.5)


def test_conv_lstm_channels_first_trains_in_a_model_and_round_trips():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((3, 2, 5, 5))
    layer = keras.layers.ConvLSTM2D(3, 3, padding="same", data_format="channels_first")
    out = layer(inputs)
    assert tuple(out.shape) == (None, 3, 5, 5)
    model = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.GlobalAveragePooling2D(
        data_format="channels_first")(out)))
    assert layer.get_config()["data_format"] == "channels_first"
    again = keras.layers.ConvLSTM2D.from_config(layer.get_config())
    assert again.get_config() == layer.get_config()
    model.compile(keras.optimizers.Adam(0.02), "mse")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 3, 2, 5, 5)).astype(np.float32)
    y = x.mean(axis=(1, 2, 3, 4))[:, None] * 3
    hist = model.fit(x, y, epochs=5, batch_size=4, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    first = model.predict(x, verbose=0)
    last = keras.Model(inputs, out)      # equals channels-last on transposed inputs
    cl = keras.layers.ConvLSTM2D(3, 3, padding="same")
    cl(np.moveaxis(x, 2, -1))
    cl.set_weights(layer.get_weights())
    np.testing.assert_allclose(np.moveaxis(last.predict(x, verbose=0), 1, -1),
                               cl(np.moveaxis(x, 2, -1)).numpy(), rtol=1e-5, atol=1e-6)
    assert np.isfinite(first).all()
