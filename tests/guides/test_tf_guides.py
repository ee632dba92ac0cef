"""Programs in the style of TensorFlow's guides (basics, autodiff, intro to graphs,
tf.function, modules, basic training loops), written from their documented behaviour
and run offline: each checks what the guide says the code does."""
import numpy as np
import pytest

import ember as tf


# ------------------------------------------------------------------------- basics ---

def test_basics_tensors_variables_gradients_graphs():
    x = tf.constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert x.shape == (2, 3) and x.dtype == tf.float32
    np.testing.assert_allclose(x + x, 2 * x.numpy())
    np.testing.assert_allclose(x @ tf.transpose(x), x.numpy() @ x.numpy().T)
    assert tf.concat([x, x, x], axis=0).shape == (6, 3)
    np.testing.assert_allclose(tf.reduce_sum(tf.nn.softmax(x, axis=-1), axis=-1), [1, 1],
                               rtol=1e-6)
    assert int(tf.reduce_sum([1, 2, 3])) == 6
    if tf.config.list_physical_devices("GPU"):
        pytest.fail("ember reports no GPU")
    var = tf.Variable([0.0, 0.0, 0.0])
    var.assign([1, 2, 3])
    var.assign_add([1, 1, 1])
    np.testing.assert_array_equal(var, [2, 3, 4])

    def f(x):
        return x ** 2 + 2 * x - 5

    x = tf.Variable(1.0)
    with tf.GradientTape() as tape:
        y = f(x)
    assert float(tape.gradient(y, x)) == 4.0


def test_basics_tracing_prints_once_per_signature(capsys):
    @tf.function
    def my_func(x):
        print("Tracing.\n")
        return tf.reduce_sum(x)

    x = tf.constant([1, 2, 3])
    assert int(my_func(x)) == 6
    x = tf.constant([10, 9, 8])
    assert int(my_func(x)) == 27
    x = tf.constant([10.0, 9.1, 8.2], dtype=tf.float32)
    np.testing.assert_allclose(my_func(x), 27.3, rtol=1e-6)
    assert capsys.readouterr().out.count("Tracing.") == 2


def test_basics_module_with_function_method():
    class MyModule(tf.Module):
        def __init__(self, value):
            super().__init__()
            self.weight = tf.Variable(value)

        @tf.function
        def multiply(self, x):
            return x * self.weight

    mod = MyModule(3)
    np.testing.assert_array_equal(mod.multiply(tf.constant([1, 2, 3])), [3, 6, 9])
    assert len(mod.variables) == 1


def test_basics_training_keras_model_on_quadratic():
    tf.random.set_seed(42)
    x = tf.cast(tf.linspace(-2, 2, 201), tf.float32)

    def f(x):
        return x ** 2 + 2 * x - 5

    y = f(x) + tf.random.normal(shape=[201], stddev=0.1)

    class Model(tf.keras.Model):
        def __init__(self, units):
            super().__init__()
            self.dense1 = tf.keras.layers.Dense(units=units, activation=tf.nn.relu,
                                                kernel_initializer=tf.random.normal,
                                                bias_initializer=tf.random.normal)
            self.dense2 = tf.keras.layers.Dense(1)

        def call(self, x, training=True):
            x = x[:, tf.newaxis]
            x = self.dense1(x)
            x = self.dense2(x)
            return tf.squeeze(x, axis=1)

    model = Model(64)
    untrained_predictions = model(x)        # the guide plots these; it also builds the model
    assert untrained_predictions.shape == (201,)
    variables = model.variables
    optimizer = tf.keras.optimizers.SGD(learning_rate=0.01)
    first = None
    for step in range(300):
        with tf.GradientTape() as tape:
            prediction = model(x)
            error = (y - prediction) ** 2
            mean_error = tf.reduce_mean(error)
        gradient = tape.gradient(mean_error, variables)
        optimizer.apply_gradients(zip(gradient, variables))
        first = float(mean_error) if first is None else first
    assert float(mean_error) < 0.3 * first


# ----------------------------------------------------------------------- autodiff ---

def test_autodiff_guide():
    x = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = x ** 2
    assert float(tape.gradient(y, x)) == 6.0

    w = tf.Variable(tf.random.normal((3, 2)), name="w")
    b = tf.Variable(tf.zeros(2, dtype=tf.float32), name="b")
    x = [[1.0, 2.0, 3.0]]
    with tf.GradientTape(persistent=True) as tape:
        y = x @ w + b
        loss = tf.reduce_mean(y ** 2)
    [dl_dw, dl_db] = tape.gradient(loss, [w, b])
    assert dl_dw.shape == w.shape
    my_vars = {"w": w, "b": b}
    grad = tape.gradient(loss, my_vars)
    np.testing.assert_allclose(grad["b"], dl_db)

    layer = tf.keras.layers.Dense(2, activation="relu")
    x = tf.constant([[1.0, 2.0, 3.0]])
    with tf.GradientTape() as tape:
        y = layer(x)
        loss = tf.reduce_mean(y ** 2)
    grad = tape.gradient(loss, layer.trainable_variables)
    assert [g.shape for g in grad] == [(3, 2), (2,)]

    x0 = tf.Variable(3.0, name="x0")
    x1 = tf.Variable(3.0, name="x1", trainable=False)
    x2 = tf.Variable(2.0, name="x2") + 1.0
    x3 = tf.constant(3.0, name="x3")
    with tf.GradientTape() as tape:
        y = (x0 ** 2) + (x1 ** 2) + (x2 ** 2)
    grad = tape.gradient(y, [x0, x1, x2, x3])
    assert float(grad[0]) == 6.0 and grad[1] is None and grad[2] is None and grad[3] is None
    assert [v.name for v in tape.watched_variables()] == ["x0:0"]

    x = tf.constant(3.0)
    with tf.GradientTape() as g:
        g.watch(x)
        y = x * x
    assert float(g.gradient(y, x)) == 6.0

    x0, x1 = tf.Variable(0.0), tf.Variable(10.0)
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(x1)
        y0 = tf.math.sin(x0)
        y1 = tf.nn.softplus(x1)
        ys = tf.reduce_sum(y0 + y1)
    grad = tape.gradient(ys, {"x0": x0, "x1": x1})
    assert grad["x0"] is None
    np.testing.assert_allclose(grad["x1"], 1 / (1 + np.exp(-10.0)), rtol=1e-6)

    x = tf.constant(3.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
        z = y * y
    assert float(tape.gradient(z, y)) == 18.0

    x = tf.constant([1, 3.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
        z = y * y
    np.testing.assert_array_equal(tape.gradient(z, x), 4 * np.array([1, 3.0]) ** 3)
    np.testing.assert_array_equal(tape.gradient(y, x), [2.0, 6.0])
    del tape

    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y0 = x ** 2
        y1 = 1 / x
    assert float(tape.gradient({"y0": y0, "y1": y1}, x)) == pytest.approx(3.75)

    x = tf.linspace(-10.0, 10.0, 200 + 1)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.nn.sigmoid(x)
    dy_dx = tape.gradient(y, x)
    np.testing.assert_allclose(dy_dx, y * (1 - y), rtol=1e-5, atol=1e-7)


def test_autodiff_control_flow_and_none_gradients():
    x = tf.constant(1.0)
    v0, v1 = tf.Variable(2.0), tf.Variable(2.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        if x > 0.0:
            result = v0
        else:
            result = v1 ** 2
    dv0, dv1 = tape.gradient(result, [v0, v1])
    assert float(dv0) == 1.0 and dv1 is None
    assert tape.gradient(result, x) is None

    x = tf.Variable(2.0)
    grads = []
    for epoch in range(2):
        with tf.GradientTape() as tape:
            y = x + 1
        grads.append(tape.gradient(y, x))
        x = x + 1          # now a tensor: the next gradient is None, as the guide shows
    assert float(grads[0]) == 1.0 and grads[1] is None

    x = tf.Variable([[1.0, 2.0], [3.0, 4.0]], dtype=tf.float32)
    with tf.GradientTape() as tape:
        x2 = x ** 2
        y = np.mean(x2, axis=0)          # leaves ember: no gradient
        y = tf.reduce_mean(y, axis=0)
    assert tape.gradient(y, x) is None

    x = tf.constant(10)
    with tf.GradientTape() as g:
        g.watch(x)
        y = x * x
    assert g.gradient(y, x) is None

    x0, x1 = tf.Variable(3.0), tf.Variable(0.0)
    with tf.GradientTape() as tape:
        x1.assign_add(x0)
        y = x1 ** 2
    assert tape.gradient(y, x0) is None

    x = tf.Variable([2.0, 2.0])
    y = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        z = y ** 2
    np.testing.assert_array_equal(
        tape.gradient(z, x, unconnected_gradients=tf.UnconnectedGradients.ZERO), [0, 0])


# --------------------------------------------------------------- intro to graphs ---

def test_intro_to_graphs():
    def a_regular_function(x, y, b):
        x = tf.matmul(x, y)
        return x + b

    a_function_that_uses_a_graph = tf.function(a_regular_function)
    x1 = tf.constant([[1.0, 2.0]])
    y1 = tf.constant([[2.0], [3.0]])
    b1 = tf.constant(4.0)
    orig = a_regular_function(x1, y1, b1).numpy()
    np.testing.assert_array_equal(a_function_that_uses_a_graph(x1, y1, b1), orig)

    def inner_function(x, y, b):
        return tf.matmul(x, y) + b

    @tf.function
    def outer_function(x):
        y = tf.constant([[2.0], [3.0]])
        b = tf.constant(4.0)
        return inner_function(x, y, b)

    np.testing.assert_array_equal(outer_function(tf.constant([[1.0, 2.0]])), [[12.0]])

    def simple_relu(x):
        if tf.greater(x, 0):
            return x
        else:
            return 0

    tf_simple_relu = tf.function(simple_relu)
    assert int(tf_simple_relu(tf.constant(1))) == 1
    assert int(tf_simple_relu(tf.constant(-1))) == 0
    assert "ag__.if_stmt" in tf.autograph.to_code(simple_relu)
    concrete = tf_simple_relu.get_concrete_function(tf.constant(1))
    assert any(op.type in ("If", "StatefulIf") for op in concrete.graph.get_operations())

    @tf.function
    def my_relu(x):
        return tf.maximum(0.0, x)

    assert float(my_relu(tf.constant(5.5))) == 5.5
    np.testing.assert_array_equal(my_relu([1, -1]), [1.0, 0.0])
    np.testing.assert_array_equal(my_relu(tf.constant([3.0, -3.0])), [3.0, 0.0])
    assert my_relu.experimental_get_tracing_count() == 3
    my_relu(tf.constant(-2.5))
    my_relu(tf.constant([-1.0, 1.0]))
    assert my_relu.experimental_get_tracing_count() == 3


def test_intro_to_graphs_eager_debugging_and_pruning(capsys):
    y_true = tf.random.uniform([5], maxval=10, dtype=tf.int32)
    y_pred = tf.random.uniform([5], maxval=10, dtype=tf.int32)

    @tf.function
    def get_MSE(y_true, y_pred):  # noqa: N802
        print("Calculating MSE!")
        sq_diff = tf.pow(y_true - y_pred, 2)
        return tf.reduce_mean(sq_diff)

    for _ in range(3):
        get_MSE(y_true, y_pred)
    assert capsys.readouterr().out.count("Calculating MSE!") == 1
    tf.config.run_functions_eagerly(True)
    try:
        for _ in range(3):
            get_MSE(y_true, y_pred)
    finally:
        tf.config.run_functions_eagerly(False)
    assert capsys.readouterr().out.count("Calculating MSE!") == 3

    def unused_return_eager(x):
        tf.gather(x, [1])          # an error eagerly (index out of range)
        return x

    with pytest.raises(tf.errors.InvalidArgumentError):
        unused_return_eager(tf.constant([0.0]))

    @tf.function
    def unused_return_graph(x):
        tf.gather(x, [1])          # pruned: nothing reads it
        return x

    np.testing.assert_array_equal(unused_return_graph(tf.constant([0.0])), [0.0])

    @tf.function
    def power(x, y):
        result = tf.eye(10, dtype=tf.dtypes.int32)
        for _ in range(y):
            result = tf.matmul(x, result)
        return result

    x = tf.random.uniform(shape=[10, 10], minval=-1, maxval=2, dtype=tf.dtypes.int32)
    np.testing.assert_array_equal(power(x, 3), np.linalg.matrix_power(x.numpy(), 3))


# ------------------------------------------------------------------- tf.function ---

def test_tf_function_rules_of_tracing():
    @tf.function
    def add(a, b):
        return a + b

    np.testing.assert_array_equal(add(tf.ones([2, 2]), tf.ones([2, 2])), 2 * np.ones((2, 2)))
    v = tf.Variable(1.0)
    with tf.GradientTape() as tape:
        result = add(v, 1.0)
    assert float(tape.gradient(result, v)) == 1.0

    @tf.function
    def double(a):
        return a + a

    assert int(double(tf.constant(1))) == 2
    assert float(double(tf.constant(1.1))) == pytest.approx(2.2)
    assert double(tf.constant("a")).numpy() == b"aa"
    double_strings = double.get_concrete_function(tf.constant("a"))
    assert double_strings(tf.constant("b")).numpy() == b"bb"
    with pytest.raises((TypeError, tf.errors.InvalidArgumentError)):
        double_strings(tf.constant(1))

    @tf.function(input_signature=(tf.TensorSpec(shape=[None], dtype=tf.int32),))
    def next_collatz(x):
        return tf.where(x % 2 == 0, x // 2, 3 * x + 1)

    np.testing.assert_array_equal(next_collatz(tf.constant([1, 2])), [4, 1])
    with pytest.raises(ValueError):
        next_collatz(tf.constant([[1, 2], [3, 4]]))

    @tf.function(reduce_retracing=True)
    def g(x):
        return x

    for n in range(1, 5):
        g(tf.ones([n]))
    assert g.experimental_get_tracing_count() <= 3


def test_tf_function_autograph_loops_and_fizzbuzz(capsys):
    @tf.function
    def f(x):
        while tf.reduce_sum(x) > 1:
            tf.print(x, output_stream=__import__("sys").stdout)
            x = tf.tanh(x)
        return x

    out = f(tf.constant([1.0, 0.5]))
    assert float(tf.reduce_sum(out)) <= 1.0
    printed = capsys.readouterr().out.strip().splitlines()
    assert printed[0] == "[1 0.5]" and len(printed) >= 1

    @tf.function
    def fizzbuzz(n):
        for i in tf.range(1, n + 1):
            print("Tracing for loop")
            if i % 15 == 0:
                print("Tracing fizzbuzz branch")
                tf.print("fizzbuzz", output_stream=__import__("sys").stdout)
            elif i % 3 == 0:
                print("Tracing fizz branch")
                tf.print("fizz", output_stream=__import__("sys").stdout)
            elif i % 5 == 0:
                print("Tracing buzz branch")
                tf.print("buzz", output_stream=__import__("sys").stdout)
            else:
                print("Tracing default branch")
                tf.print(i, output_stream=__import__("sys").stdout)

    fizzbuzz(tf.constant(5))
    fizzbuzz(tf.constant(20))
    lines = capsys.readouterr().out.splitlines()
    tracing = [ln for ln in lines if ln.startswith("Tracing")]
    assert tracing == ["Tracing for loop", "Tracing fizzbuzz branch", "Tracing fizz branch",
                       "Tracing buzz branch", "Tracing default branch"]
    ran = [ln for ln in lines if not ln.startswith("Tracing")]
    want = []
    for n in (5, 20):
        for i in range(1, n + 1):
            want.append("fizzbuzz" if i % 15 == 0 else "fizz" if i % 3 == 0 else
                        "buzz" if i % 5 == 0 else str(i))
    assert ran == want


def test_tf_function_accumulating_with_tensor_array():
    batch_size, seq_len, feature_size = 2, 3, 4

    def rnn_step(inp, state):
        return inp + state

    @tf.function
    def dynamic_rnn(rnn_step, input_data, initial_state):
        input_data = tf.transpose(input_data, [1, 0, 2])
        max_seq_len = input_data.shape[0]
        states = tf.TensorArray(tf.float32, size=max_seq_len)
        state = initial_state
        for i in tf.range(max_seq_len):
            state = rnn_step(input_data[i], state)
            states = states.write(i, state)
        return tf.transpose(states.stack(), [1, 0, 2])

    data = tf.random.uniform([batch_size, seq_len, feature_size])
    out = dynamic_rnn(rnn_step, data, tf.zeros([batch_size, feature_size]))
    np.testing.assert_allclose(out, np.cumsum(data.numpy(), axis=1), rtol=1e-6)


def test_tf_function_side_effects_and_variables(capsys):
    @tf.function
    def f(x):
        print("Traced with", x)
        tf.print("Executed with", x, output_stream=__import__("sys").stdout)

    f(1)
    f(1)
    f(2)
    assert capsys.readouterr().out.splitlines() == [
        "Traced with 1", "Executed with 1", "Executed with 1", "Traced with 2",
        "Executed with 2"]

    class Count(tf.Module):
        def __init__(self):
            super().__init__()
            self.count = None

        @tf.function
        def __call__(self):
            if self.count is None:
                self.count = tf.Variable(0)
            return self.count.assign_add(1)

    c = Count()
    assert int(c()) == 1
    assert int(c()) == 2

    external_var = tf.Variable(3)

    @tf.function
    def buggy_add():
        return 1 + foo      # noqa: F821 - the guide's global, bound below

    globals()["foo"] = 1
    try:
        assert int(buggy_add()) == 2
        globals()["foo"] = 100
        assert int(buggy_add()) == 2       # a trace keeps the Python value it saw
    finally:
        del globals()["foo"]

    @tf.function
    def variable_add():
        return 1 + external_var

    assert int(variable_add()) == 4
    external_var.assign(100)
    assert int(variable_add()) == 101


# ------------------------------------------------------------------------ modules ---

def test_modules_guide():
    class SimpleModule(tf.Module):
        def __init__(self, name=None):
            super().__init__(name=name)
            self.a_variable = tf.Variable(5.0, name="train_me")
            self.non_trainable_variable = tf.Variable(5.0, trainable=False,
                                                      name="do_not_train_me")

        def __call__(self, x):
            return self.a_variable * x + self.non_trainable_variable

    simple_module = SimpleModule(name="simple")
    assert float(simple_module(tf.constant(5.0))) == 30.0
    assert [v.name for v in simple_module.trainable_variables] == ["train_me:0"]
    assert len(simple_module.variables) == 2

    class Dense(tf.Module):
        def __init__(self, in_features, out_features, name=None):
            super().__init__(name=name)
            self.w = tf.Variable(tf.random.normal([in_features, out_features]), name="w")
            self.b = tf.Variable(tf.zeros([out_features]), name="b")

        def __call__(self, x):
            y = tf.matmul(x, self.w) + self.b
            return tf.nn.relu(y)

    class SequentialModule(tf.Module):
        def __init__(self, name=None):
            super().__init__(name=name)
            self.dense_1 = Dense(in_features=3, out_features=3)
            self.dense_2 = Dense(in_features=3, out_features=2)

        def __call__(self, x):
            x = self.dense_1(x)
            return self.dense_2(x)

    my_model = SequentialModule(name="the_model")
    assert my_model(tf.constant([[2.0, 2.0, 2.0]])).shape == (1, 2)
    assert my_model.submodules == (my_model.dense_1, my_model.dense_2)
    assert len(my_model.variables) == 4

    class FlexibleDenseModule(tf.Module):
        def __init__(self, out_features, name=None):
            super().__init__(name=name)
            self.is_built = False
            self.out_features = out_features

        def __call__(self, x):
            if not self.is_built:
                self.w = tf.Variable(tf.random.normal([x.shape[-1], self.out_features]),
                                     name="w")
                self.b = tf.Variable(tf.zeros([self.out_features]), name="b")
                self.is_built = True
            y = tf.matmul(x, self.w) + self.b
            return tf.nn.relu(y)

    flexible = FlexibleDenseModule(out_features=2)
    assert flexible(tf.constant([[2.0, 2.0, 2.0, 2.0]])).shape == (1, 2)
    assert [v.shape for v in flexible.variables] == [(2,), (4, 2)]

    class MySequentialModule(tf.Module):
        def __init__(self, name=None):
            super().__init__(name=name)
            self.dense_1 = Dense(in_features=3, out_features=3)
            self.dense_2 = Dense(in_features=3, out_features=2)

        @tf.function
        def __call__(self, x):
            x = self.dense_1(x)
            return self.dense_2(x)

    m = MySequentialModule(name="the_model")
    np.testing.assert_allclose(m([[2.0, 2.0, 2.0]]), SequentialModule.__call__(m, tf.constant(
        [[2.0, 2.0, 2.0]])), rtol=1e-6)
    assert m([[[2.0, 2.0, 2.0], [2.0, 2.0, 2.0]]]).shape == (1, 2, 2)


def test_modules_guide_keras_layers_and_models():
    class MyDense(tf.keras.layers.Layer):
        def __init__(self, out_features, **kwargs):
            super().__init__(**kwargs)
            self.out_features = out_features

        def build(self, input_shape):
            self.w = tf.Variable(tf.random.normal([input_shape[-1], self.out_features]),
                                 name="w")
            self.b = tf.Variable(tf.zeros([self.out_features]), name="b")

        def call(self, inputs):
            return tf.nn.relu(tf.matmul(inputs, self.w) + self.b)

    class MySequentialModel(tf.keras.Model):
        def __init__(self, name=None, **kwargs):
            super().__init__(**kwargs)
            self.dense_1 = MyDense(3)
            self.dense_2 = MyDense(2)

        def call(self, x):
            x = self.dense_1(x)
            return self.dense_2(x)

    model = MySequentialModel(name="the_model")
    assert model(tf.constant([[2.0, 2.0, 2.0]])).shape == (1, 2)
    assert len(model.variables) == 4
    inputs = tf.keras.Input(shape=[3])
    x = MyDense(3)(inputs)
    functional = tf.keras.Model(inputs=inputs, outputs=MyDense(2)(x))
    assert functional(tf.constant([[2.0, 2.0, 2.0]])).shape == (1, 2)


# ----------------------------------------------------------- basic training loops ---

def test_basic_training_loops():
    tf.random.set_seed(1)
    TRUE_W, TRUE_B, NUM_EXAMPLES = 3.0, 2.0, 201  # noqa: N806
    x = tf.cast(tf.linspace(-2, 2, NUM_EXAMPLES), tf.float32)

    def f(x):
        return x * TRUE_W + TRUE_B

    y = f(x) + tf.random.normal(shape=[NUM_EXAMPLES])

    class MyModel(tf.Module):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.w = tf.Variable(5.0)
            self.b = tf.Variable(0.0)

        def __call__(self, x):
            return self.w * x + self.b

    model = MyModel()
    assert len(model.variables) == 2
    assert model(3.0).numpy() == 15.0

    def loss(target_y, predicted_y):
        return tf.reduce_mean(tf.square(target_y - predicted_y))

    def train(model, x, y, learning_rate):
        with tf.GradientTape() as t:
            current_loss = loss(y, model(x))
        dw, db = t.gradient(current_loss, [model.w, model.b])
        model.w.assign_sub(learning_rate * dw)
        model.b.assign_sub(learning_rate * db)

    losses = []
    for _ in range(10):
        train(model, x, y, learning_rate=0.1)
        losses.append(float(loss(y, model(x))))
    assert losses[-1] < losses[0] and abs(float(model.w) - TRUE_W) < 0.6

    class MyModelKeras(tf.keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.w = tf.Variable(5.0)
            self.b = tf.Variable(0.0)

        def call(self, x):
            return self.w * x + self.b

    keras_model = MyModelKeras()
    for _ in range(10):
        train(keras_model, x, y, learning_rate=0.1)
    keras_model = MyModelKeras()
    keras_model.compile(run_eagerly=False,
                        optimizer=tf.keras.optimizers.SGD(learning_rate=0.1),
                        loss=tf.keras.losses.mean_squared_error)
    history = keras_model.fit(x, y, epochs=10, batch_size=1000, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
