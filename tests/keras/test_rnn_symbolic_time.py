"""keras.layers.RNN with a user's cell over an unknown number of time steps (a None time
axis while tracing): one while_loop, with results equal to the eager run."""
import numpy as np
import pytest

import ember
from ember import keras
from tests.keras.test_recurrent_layers import MinimalRNNCell


class TwoStateCell(keras.layers.Layer):
    """Two states of different sizes and an output of a third size."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.state_size = [3, 2]
        self.output_size = 5

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1] + 5, 10), name="w")

    def call(self, inputs, states):
        z = ember.matmul(ember.concat([inputs, states[0], states[1]], -1), self.w)
        return ember.sigmoid(z[:, :5]), [ember.tanh(z[:, 5:8]), z[:, 8:] * 0.5]


MASK = np.array([[1, 1, 1, 0, 0], [1, 0, 1, 1, 1]], bool)
CASES = {
    "last": (lambda: keras.layers.RNN(MinimalRNNCell(4)), False),
    "sequences": (lambda: keras.layers.RNN(MinimalRNNCell(4), return_sequences=True), False),
    "backwards_state": (lambda: keras.layers.RNN(MinimalRNNCell(4), go_backwards=True,
                                                 return_sequences=True, return_state=True),
                        False),
    "masked": (lambda: keras.layers.RNN(MinimalRNNCell(4), return_sequences=True), True),
    "masked_zero_output": (lambda: keras.layers.RNN(TwoStateCell(), return_sequences=True,
                                                    return_state=True,
                                                    zero_output_for_mask=True), True),
    "stacked": (lambda: keras.layers.RNN([MinimalRNNCell(3), TwoStateCell()],
                                         return_state=True), False),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_unknown_time_steps_trace_a_loop_equal_to_eager(name):
    make, masked = CASES[name]
    layer = make()
    x = np.random.default_rng(0).standard_normal((2, 5, 3)).astype(np.float32)
    kwargs = {"mask": ember.constant(MASK)} if masked else {}
    eager_out = ember.nest.flatten(layer(x, **kwargs))

    def grads(x, *mask):
        with ember.GradientTape() as tape:
            tape.watch(x)
            out = ember.nest.flatten(layer(x, mask=mask[0]) if mask else layer(x))
            loss = ember.add_n([ember.reduce_sum(o * o) for o in out])
        return out, tape.gradient(loss, [x] + layer.trainable_weights)

    sig = [ember.TensorSpec([None, None, 3], ember.float32)]
    args = [ember.constant(x)]
    if masked:
        sig.append(ember.TensorSpec([None, None], ember.bool))
        args.append(ember.constant(MASK))
    traced = ember.function(grads, input_signature=sig)
    graph = traced.get_concrete_function(*sig).graph
    assert any(op.type == "While" for op in graph.get_operations())
    out, dws = traced(*args)
    want_out, want_dws = grads(*args)
    for o, e, w in zip(out, eager_out, want_out):
        np.testing.assert_allclose(o.numpy(), e.numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(o.numpy(), w.numpy(), rtol=1e-5, atol=1e-6)
    for g, w in zip(dws, want_dws):
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-5, atol=1e-6)
    # another length through the same trace
    x7 = np.random.default_rng(1).standard_normal((3, 7, 3)).astype(np.float32)
    if not masked:
        np.testing.assert_allclose(ember.nest.flatten(traced(ember.constant(x7))[0])[0].numpy(),
                                   ember.nest.flatten(layer(x7))[0].numpy(), rtol=1e-5,
                                   atol=1e-6)


def test_functional_model_with_variable_length_trains():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((None, 3))
    h = keras.layers.RNN(MinimalRNNCell(8))(inputs)
    model = keras.Model(inputs, keras.layers.Dense(1)(h))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 6, 3)).astype(np.float32)
    y = x[:, :, 0].sum(axis=1, keepdims=True) * 0.3
    model.compile(keras.optimizers.Adam(0.02), "mse")
    hist = model.fit(x, y, epochs=8, batch_size=16, verbose=0)
    assert hist.history["loss"][-1] < 0.7 * hist.history["loss"][0]
    np.testing.assert_allclose(model.predict(x[:4, :4], verbose=0), model(x[:4, :4]).numpy(),
                               rtol=1e-5, atol=1e-6)
