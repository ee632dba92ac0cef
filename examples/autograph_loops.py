"""AutoGraph: Python control flow on tensors inside ember.function.

    PYTHONPATH=. python examples/autograph_loops.py

A tiny recurrent network written with plain Python loops and ifs: ember.function turns the
loop over a tensor into one graph while_loop (the sequence length may change without
retracing), collects the states in a TensorArray, and trains it with GradientTape.
"""
import numpy as np

import ember as tf

tf.random.set_seed(0)
rng = np.random.default_rng(0)


class TinyRNN(tf.Module):
    def __init__(self, units=8):
        super().__init__()
        self.w_in = tf.Variable(tf.random.normal([1, units], stddev=0.5), name="w_in")
        self.w_h = tf.Variable(tf.random.normal([units, units], stddev=0.3), name="w_h")
        self.w_out = tf.Variable(tf.random.normal([units, 1], stddev=0.3), name="w_out")

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.float32)])
    def __call__(self, x):
        h = tf.zeros([tf.shape(x)[0], self.w_h.shape[0]])
        outputs = tf.TensorArray(tf.float32, size=tf.shape(x)[1])
        for t in tf.range(tf.shape(x)[1]):                 # a graph while_loop
            h = tf.tanh(x[:, t:t + 1] @ self.w_in + h @ self.w_h)
            outputs = outputs.write(t, tf.squeeze(h @ self.w_out, 1))
        return tf.transpose(outputs.stack())


def running_sum_target(x):
    return np.cumsum(x, axis=1) / 4.0


model = TinyRNN()
optimizer = tf.keras.optimizers.Adam(0.05)
print(tf.autograph.to_code(TinyRNN.__call__.python_function).splitlines()[0], "...")
for step in range(151):
    length = int(rng.integers(3, 9))                      # varying length, one trace
    x = rng.uniform(-1, 1, (16, length)).astype(np.float32)
    y = running_sum_target(x)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean((model(tf.constant(x)) - y) ** 2)
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    if step % 50 == 0:
        tf.print("step", step, "length", length, "loss", loss)
print("traces:", model.__call__.experimental_get_tracing_count())
