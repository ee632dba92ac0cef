"""The compiler's fusions (declared in ember/ops/fusions.py): which nodes a compiled plan
holds for conv / bias / batch-norm / ReLU blocks and their gradients, and that the fused
plans compute what the same code computes eagerly."""
import numpy as np
import pytest

import ember as tf

FUSED_CONV = "_FusedConv2DBias"
FUSED_BN_RELU = "_FusedBatchNormRelu"
FUSED_BN_GRAD = "_FusedBatchNormGradEx"


def plan_of(fn, *args):
    """The compiled plan of ember.function(fn) for these arguments."""
    return tf.function(fn).get_concrete_function(*args)._compiled()


def ops(plan):
    return [op for op, _ in plan.describe()]


def nodes(plan, op_name):
    return [n for n in plan.nodes if n.op.name == op_name]


def arrays(out):
    return [np.asarray(o) for o in (out if isinstance(out, (list, tuple)) else [out])]


def assert_traced_equals_eager(fn, args, rtol=1e-5, atol=1e-5):
    """ember.function(fn)(*args) equals fn(*args) run eagerly, output by output."""
    eager = arrays(fn(*args))
    traced = arrays(tf.function(fn)(*args))
    assert len(eager) == len(traced)
    for i, (e, t) in enumerate(zip(eager, traced)):
        assert e.shape == t.shape and e.dtype == t.dtype, i
        scale = max(1.0, float(np.abs(e).max())) if e.size else 1.0
        np.testing.assert_allclose(t, e, rtol=rtol, atol=atol * scale,
                                   err_msg=f"output {i}: traced vs eager")
    return traced


@pytest.fixture
def block_args():
    """x (NHWC), filter, bias, scale, offset, and an output weight for a non-trivial loss."""
    rng = np.random.default_rng(0)
    f32 = np.float32
    return [tf.constant(rng.standard_normal((3, 6, 5, 3)).astype(f32)),
            tf.constant(rng.standard_normal((3, 3, 3, 4)).astype(f32)),
            tf.constant(rng.standard_normal(4).astype(f32)),
            tf.constant(rng.uniform(0.5, 1.5, 4).astype(f32)),
            tf.constant(rng.standard_normal(4).astype(f32)),
            tf.constant(rng.standard_normal((3, 6, 5, 4)).astype(f32))]


def conv_block(x, w, b, scale, offset, wy, add=lambda y, b: y + b):
    """conv2d -> bias -> fused batch norm -> relu, a loss, and its gradients w.r.t. every
    input but the loss weight."""
    with tf.GradientTape() as tape:
        tape.watch([x, w, b, scale, offset])
        y = add(tf.nn.conv2d(x, w, 1, "SAME"), b)
        z, _, _ = tf.nn.fused_batch_norm(y, scale, offset)
        r = tf.nn.relu(z)
        loss = tf.reduce_sum(r * wy)
    return [r, loss] + tape.gradient(loss, [x, w, b, scale, offset])


# ------------------------------------------------------------------ the full block ---

ADDS = {"y+b": lambda y, b: y + b, "b+y": lambda y, b: b + y,
        "bias_add": lambda y, b: tf.nn.bias_add(y, b)}


@pytest.mark.parametrize("add_name", list(ADDS))
def test_conv_block_and_its_gradient_are_fused(block_args, add_name):
    add = ADDS[add_name]

    def fn(*args):
        return conv_block(*args, add=add)

    plan = plan_of(fn, *block_args)
    names = ops(plan)
    assert names.count(FUSED_CONV) == 1
    assert names.count(FUSED_BN_RELU) == 1
    assert names.count(FUSED_BN_GRAD) == 1
    for replaced in ("Conv2D", "AddV2", "BiasAdd", "FusedBatchNormV3", "Relu", "ReluGrad",
                     "FusedBatchNormGradV3", "SumToShape"):
        assert replaced not in names, f"{replaced} left in {names}"
    (grad,) = nodes(plan, FUSED_BN_GRAD)
    assert grad.attrs["relu"] is True
    # the bias gradient (the tape's SumToShape for y + b, BiasAdd's Sum over the leading
    # axes for bias_add) became a fourth output
    assert grad.attrs["with_sum"] is True
    assert len(grad.outputs) == 4                  # dx, dscale, doffset, the bias gradient
    # the fused conv reads x, the filter and the bias
    (conv,) = nodes(plan, FUSED_CONV)
    assert len(conv.inputs) == 3
    traced = assert_traced_equals_eager(fn, block_args)
    # the bias before a training-mode batch norm has no effect: its gradient is ~0
    np.testing.assert_allclose(traced[4], 0.0, atol=1e-4)
    assert np.abs(traced[2]).max() > 1e-2 and np.abs(traced[3]).max() > 1e-2


def test_conv_block_values_against_numpy(block_args):
    """The fused plan's forward values against a float64 NumPy reference."""
    x, w, b, scale, offset, wy = [np.asarray(a, np.float64) for a in block_args]
    xp = np.pad(x, [(0, 0), (1, 1), (1, 1), (0, 0)])
    y = np.zeros(x.shape[:3] + (w.shape[-1],))
    for i, j in np.ndindex(3, 3):
        y += xp[:, i:i + x.shape[1], j:j + x.shape[2]] @ w[i, j]
    y += b
    mean, var = y.mean((0, 1, 2)), y.var((0, 1, 2))
    r = np.maximum((y - mean) / np.sqrt(var + 0.001) * scale + offset, 0)
    out = tf.function(conv_block)(*block_args)
    np.testing.assert_allclose(out[0], r, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(out[1], (r * wy).sum(), rtol=1e-5)


def test_forward_only_block_is_fused(block_args):
    def fn(x, w, b, scale, offset):
        z, mean, var = tf.nn.fused_batch_norm(tf.nn.conv2d(x, w, 1, "SAME") + b, scale, offset)
        return tf.nn.relu(z), mean, var

    args = block_args[:5]
    names = ops(plan_of(fn, *args))
    assert FUSED_CONV in names and FUSED_BN_RELU in names
    assert "Relu" not in names and "Conv2D" not in names
    assert_traced_equals_eager(fn, args)


@pytest.mark.parametrize("rank", [1, 3])
def test_conv1d_and_conv3d_with_bias_are_fused(rank):
    rng = np.random.default_rng(rank)
    xs = (2, 7, 3) if rank == 1 else (2, 4, 5, 3, 2)
    ws = (3, 3, 4) if rank == 1 else (2, 2, 2, 2, 4)
    x = tf.constant(rng.standard_normal(xs).astype(np.float32))
    w = tf.constant(rng.standard_normal(ws).astype(np.float32))
    b = tf.constant(rng.standard_normal(4).astype(np.float32))
    conv = tf.nn.conv1d if rank == 1 else tf.nn.conv3d

    def fn(x, w, b):
        with tf.GradientTape() as tape:
            tape.watch([x, w, b])
            y = conv(x, w, 1, "SAME") + b
            loss = tf.reduce_sum(y * y)
        return [y] + tape.gradient(loss, [x, w, b])

    names = ops(plan_of(fn, x, w, b))
    assert f"_FusedConv{rank}DBias" in names and f"Conv{rank}D" not in names
    assert_traced_equals_eager(fn, [x, w, b])


def test_conv_block_with_an_unknown_batch_size(block_args):
    """Traced with a None batch dimension (as Keras's relaxed traces are), the block's plan
    computes what eager code does, for every batch size."""
    specs = [tf.TensorSpec([None] + a.shape.as_list()[1:], tf.float32) if a.shape.rank == 4
             else tf.TensorSpec(a.shape, tf.float32) for a in block_args]
    f = tf.function(conv_block, input_signature=specs)
    names = ops(f.get_concrete_function()._compiled())
    # the shape-only reads of the fused values (Shape nodes) do not block the fusions
    for fused in (FUSED_CONV, FUSED_BN_RELU, FUSED_BN_GRAD, "_FusedConv2DBackprop"):
        assert fused in names, names
    for n in (3, 1, 2):
        args = [a[:n] if a.shape.rank == 4 else a for a in block_args]
        eager = arrays(conv_block(*args))
        traced = arrays(f(*args))
        for i, (e, t) in enumerate(zip(eager, traced)):
            assert e.shape == t.shape
            np.testing.assert_allclose(t, e, rtol=1e-5, atol=1e-5 * max(1, np.abs(e).max()),
                                       err_msg=f"batch {n}, output {i}")


# ---------------------------------------------------------------- negative cases ---

def block_reading_conv_output(fetch, extra):
    """The block with its conv output also fetched (``fetch``) or also read by the loss
    (``extra``): fn(x, w, b, scale, offset, wy)."""
    def fn(x, w, b, scale, offset, wy):
        with tf.GradientTape() as tape:
            tape.watch([x, w, b, scale, offset])
            c = tf.nn.conv2d(x, w, 1, "SAME")
            z, _, _ = tf.nn.fused_batch_norm(c + b, scale, offset)
            loss = tf.reduce_sum(tf.nn.relu(z) * wy)
            if extra:
                loss = loss + 0.1 * tf.reduce_sum(c * c)
        return ([c] if fetch else []) + [loss] + tape.gradient(loss, [x, w, b, scale, offset])
    return fn


def test_fetched_conv_output_is_not_fused(block_args):
    fn = block_reading_conv_output(fetch=True, extra=False)

    names = ops(plan_of(fn, *block_args))
    assert FUSED_CONV not in names
    assert "Conv2D" in names
    assert FUSED_BN_RELU in names                   # the rest of the block still is
    assert_traced_equals_eager(fn, block_args)


def test_conv_output_used_elsewhere_is_not_fused(block_args):
    fn = block_reading_conv_output(fetch=False, extra=True)

    names = ops(plan_of(fn, *block_args))
    assert FUSED_CONV not in names and "Conv2D" in names
    assert_traced_equals_eager(fn, block_args)


def test_conv_plus_non_bias_is_not_fused(block_args):
    x, w, _, _, _, wy = block_args

    def fn(x, w, wy):
        return tf.nn.conv2d(x, w, 1, "SAME") + wy        # a full-shape addend, not a bias

    names = ops(plan_of(fn, x, w, wy))
    assert FUSED_CONV not in names and "Conv2D" in names
    assert_traced_equals_eager(fn, [x, w, wy])


@pytest.mark.parametrize("use", ["fetched", "square", "sigmoid"])
def test_batch_norm_output_used_otherwise_is_not_fused(block_args, use):
    def fn(x, w, b, scale, offset, wy):
        with tf.GradientTape() as tape:
            tape.watch([x, w, b, scale, offset])
            z, _, _ = tf.nn.fused_batch_norm(tf.nn.conv2d(x, w, 1, "SAME") + b, scale, offset)
            r = tf.nn.relu(z)
            loss = tf.reduce_sum(r * wy)
            if use == "square":
                loss = loss + 0.1 * tf.reduce_sum(z * z)
            elif use == "sigmoid":
                loss = loss + tf.reduce_sum(tf.sigmoid(z) * x[..., :1])
        extra = [z] if use == "fetched" else []
        return extra + [r, loss] + tape.gradient(loss, [x, w, b, scale, offset])

    plan = plan_of(fn, *block_args)
    names = ops(plan)
    assert FUSED_BN_RELU not in names
    assert "FusedBatchNormV3" in names and "Relu" in names
    # the batch-norm gradient is still a (possibly ReLU-fused) _FusedBatchNormGradEx
    assert "FusedBatchNormGradV3" not in names
    assert_traced_equals_eager(fn, block_args)


def test_channels_first_conv_bias_is_not_fused_but_correct(block_args):
    x, w, b, scale, offset, wy = block_args
    xcf = tf.transpose(x, [0, 3, 1, 2])
    wycf = tf.transpose(wy, [0, 3, 1, 2])

    def fn(x, w, b, scale, offset, wy):
        with tf.GradientTape() as tape:
            tape.watch([x, w, b, scale, offset])
            y = tf.nn.bias_add(tf.nn.conv2d(x, w, 1, "SAME", data_format="NCHW"), b,
                               data_format="NCHW")
            z, _, _ = tf.nn.fused_batch_norm(y, scale, offset, data_format="NCHW")
            r = tf.nn.relu(z)
            loss = tf.reduce_sum(r * wy)
        return [r, loss] + tape.gradient(loss, [x, w, b, scale, offset])

    def fn_reshaped_bias(x, w, b, scale, offset, wy):
        with tf.GradientTape() as tape:
            tape.watch([x, w, b, scale, offset])
            y = tf.nn.conv2d(x, w, 1, "SAME", data_format="NCHW") + tf.reshape(b, [1, -1, 1, 1])
            z, _, _ = tf.nn.fused_batch_norm(y, scale, offset, data_format="NCHW")
            loss = tf.reduce_sum(tf.nn.relu(z) * wy)
        return [loss] + tape.gradient(loss, [x, w, b, scale, offset])

    args = [xcf, w, b, scale, offset, wycf]
    for f in (fn, fn_reshaped_bias):
        names = ops(plan_of(f, *args))
        assert FUSED_CONV not in names and "Conv2D" in names
        assert_traced_equals_eager(f, args)
    # and the channels-first results are the channels-last block's
    cl = tf.function(conv_block)(*block_args)
    cf = tf.function(fn)(*args)
    np.testing.assert_allclose(np.transpose(cf[0], [0, 2, 3, 1]), cl[0], rtol=1e-5,
                               atol=1e-5)
    np.testing.assert_allclose(cf[1], cl[1], rtol=1e-5)
    np.testing.assert_allclose(np.transpose(cf[2], [0, 2, 3, 1]), cl[2], rtol=1e-4,
                               atol=1e-4)
    for i in (3, 5, 6):
        np.testing.assert_allclose(cf[i], cl[i], rtol=1e-4, atol=1e-4)


def test_relu_grad_not_feeding_a_batch_norm_gradient_is_kept():
    rng = np.random.default_rng(1)
    x = tf.constant(rng.standard_normal((4, 5)).astype(np.float32))

    def fn(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(tf.nn.relu(x * 2.0) ** 2)
        return loss, tape.gradient(loss, x)

    names = ops(plan_of(fn, x))
    assert "Relu" in names and "ReluGrad" in names
    assert not {FUSED_BN_RELU, FUSED_BN_GRAD} & set(names)
    out = assert_traced_equals_eager(fn, [x])
    np.testing.assert_allclose(out[1], 8 * np.maximum(np.asarray(x), 0), rtol=1e-6)


def test_batch_norm_gradient_without_relu_or_bias():
    rng = np.random.default_rng(2)
    x = tf.constant(rng.standard_normal((7, 3, 5)).astype(np.float32))
    s = tf.constant(rng.uniform(0.5, 1.5, 5).astype(np.float32))
    o = tf.constant(rng.standard_normal(5).astype(np.float32))
    wy = tf.constant(rng.standard_normal((7, 3, 5)).astype(np.float32))

    def fn(x, s, o, wy):
        with tf.GradientTape() as tape:
            tape.watch([x, s, o])
            z, _, _ = tf.nn.fused_batch_norm(x, s, o, data_format="NWC")
            loss = tf.reduce_sum(tf.tanh(z) * wy)
        return [loss] + tape.gradient(loss, [x, s, o])

    plan = plan_of(fn, x, s, o, wy)
    (grad,) = nodes(plan, FUSED_BN_GRAD)
    assert grad.attrs["relu"] is False and grad.attrs["with_sum"] is False
    assert len(grad.outputs) == 3
    assert_traced_equals_eager(fn, [x, s, o, wy])


# --------------------------------------------------------------------------- Keras ---

def _keras_model(run_eagerly):
    from ember import keras
    keras.utils.set_random_seed(7)
    model = keras.Sequential([
        keras.Input((6, 6, 3)),
        keras.layers.Conv2D(4, 3, padding="same"),
        keras.layers.BatchNormalization(),
        keras.layers.Activation("relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        keras.layers.Dense(2),
    ])
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse", run_eagerly=run_eagerly)
    return model


def _train(run_eagerly):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((12, 6, 6, 3)).astype(np.float32)
    y = rng.standard_normal((12, 2)).astype(np.float32)
    model = _keras_model(run_eagerly)
    initial = [np.array(v) for v in model.get_weights()]
    history = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    return model, initial, [np.array(v) for v in model.get_weights()], history.history["loss"]


def test_keras_conv_block_trains_like_eager():
    eager_model, eager_init, eager_w, eager_loss = _train(True)
    model, init, weights, loss = _train(False)
    for a, b in zip(init, eager_init):
        np.testing.assert_array_equal(a, b)                 # the same starting point
    assert len(weights) == len(eager_w) == 8   # conv k, b; bn gamma, beta, mean, var; dense
    for i, (w, e, w0) in enumerate(zip(weights, eager_w, init)):
        assert not np.array_equal(e, w0), f"weight {i} did not change in training"
        np.testing.assert_allclose(w, e, rtol=1e-4, atol=1e-4, err_msg=f"weight {i}")
    np.testing.assert_allclose(loss, eager_loss, rtol=1e-4)
    # the compiled training step really used the fused kernels
    fn = model.train_function
    concretes = list(fn._cache.values()) + [c for cs in fn._relaxed.values() for c in cs]
    assert concretes
    names = set()
    for c in concretes:
        names.update(ops(c._compiled()))
    assert {FUSED_CONV, FUSED_BN_RELU, FUSED_BN_GRAD} <= names, sorted(names)


# ------------------------------------------------------------ masks, BLAS holding ---

def test_multiplying_by_a_cast_mask_reads_the_mask():
    """x * cast(mask, float) (dropout's keep mask) multiplies by the bool mask itself: the
    Cast leaves the plan and the values do not change."""
    def fn(x, noise):
        keep = tf.cast(tf.greater_equal(noise, 0.25), tf.float32)
        return x * 4.0 / 3.0 * keep, tf.reduce_sum(x * keep)

    rng = np.random.default_rng(5)
    x = tf.constant(rng.standard_normal((64, 9, 9, 8)).astype(np.float32))
    noise = tf.constant(rng.random((64, 9, 9, 8)).astype(np.float32))
    names = ops(plan_of(fn, x, noise))
    assert "Cast" not in names, names
    traced = arrays(tf.function(fn)(x, noise))
    keep = (noise.numpy() >= 0.25).astype(np.float32)
    np.testing.assert_array_equal(traced[0], x.numpy() * np.float32(4) / np.float32(3) * keep)
    np.testing.assert_allclose(traced[1], (x.numpy() * keep).sum(), rtol=1e-5)


def test_a_cast_used_otherwise_stays():
    def fn(x, noise):
        keep = tf.cast(tf.greater_equal(noise, 0.5), tf.float32)
        return x * keep, keep + 1.0

    rng = np.random.default_rng(6)
    x = tf.constant(rng.standard_normal((8, 8)).astype(np.float32))
    noise = tf.constant(rng.random((8, 8)).astype(np.float32))
    assert "Cast" in ops(plan_of(fn, x, noise))
    assert_traced_equals_eager(fn, [x, noise])


def test_plans_with_threaded_kernels_hold_blas_to_one_thread():
    from ember.runtime import parallel

    def conv(x, w):
        return tf.nn.conv2d(x, w, 1, "SAME")

    def dense(x, w):
        return tf.nn.relu(tf.matmul(x, w))

    x = tf.constant(np.ones((2, 5, 5, 3), np.float32))
    w = tf.constant(np.ones((3, 3, 3, 4), np.float32))
    assert plan_of(conv, x, w)._hold_blas
    a = tf.constant(np.ones((4, 6), np.float32))
    b = tf.constant(np.ones((6, 3), np.float32))
    assert not plan_of(dense, a, b)._hold_blas
    assert not parallel.blas_held()          # outside any plan nothing is held


def test_relu_mask_moves_before_the_max_pool_gradient():
    """conv -> batch norm -> ReLU -> 2x2 max pool: the ReLU's gradient mask is taken on
    the pooled gradient (y > 0) before routing, the batch-norm gradient takes no mask, and
    values and gradients (ties at zero included) equal eager ones."""
    def fn(x, w, b, scale, offset, wy):
        with tf.GradientTape() as tape:
            tape.watch([x, w, b, scale, offset])
            z, _, _ = tf.nn.fused_batch_norm(tf.nn.conv2d(x, w, 1, "SAME") + b, scale, offset)
            p = tf.nn.max_pool2d(tf.nn.relu(z), 2, 2, "VALID")
            loss = tf.reduce_sum(p * wy)
        return [loss] + tape.gradient(loss, [x, w, b, scale, offset])

    rng = np.random.default_rng(8)
    args = [tf.constant(rng.standard_normal(s).astype(np.float32)) for s in
            [(4, 8, 8, 3), (3, 3, 3, 6), (6,), (6,), (6,), (4, 4, 4, 6)]]
    plan = plan_of(fn, *args)
    (grad,) = nodes(plan, FUSED_BN_GRAD)
    assert grad.attrs["relu"] is False and len(grad.inputs) == 5
    assert any("relu_mask" in name for _, name in plan.describe())
    assert "ReluGrad" not in ops(plan)
    assert_traced_equals_eager(fn, args)


@pytest.mark.parametrize("fetch_dy", [False, True])
def test_elementwise_dy_of_a_max_pool_gradient_is_made_inside_it(fetch_dy):
    """ReLU -> 2x2 max pool -> dropout-like mask: the pooled gradient's elementwise tree
    (mask, scale) runs inside the pooling's gradient (``_MaxPoolGradEx``), block by block,
    with eager's values; a tree whose result is also fetched stays a node of its own."""
    def fn(x, keep, wy):
        with tf.GradientTape() as tape:
            tape.watch(x)
            p = tf.nn.max_pool2d(tf.nn.relu(x), 2, 2, "VALID")
            d = p * tf.cast(keep, tf.float32) * 1.25
            loss = tf.reduce_sum(d * wy)
        if fetch_dy:                    # dL/dp: the pooling gradient's dy, fetched too
            return [loss] + tape.gradient(loss, [x, p])
        return [loss, tape.gradient(loss, x)]

    rng = np.random.default_rng(12)
    x = tf.constant(np.round(rng.standard_normal((40, 8, 6, 5)), 1).astype(np.float32))
    keep = tf.constant(rng.random((40, 4, 3, 5)) < 0.75)
    wy = tf.constant(rng.standard_normal((40, 4, 3, 5)).astype(np.float32))
    args = [x, keep, wy]
    plan = plan_of(fn, *args)
    names = ops(plan)
    assert ("_MaxPoolGradEx" in names) == (not fetch_dy), names
    assert ("MaxPoolGrad" in names) == fetch_dy, names
    assert_traced_equals_eager(fn, args)


@pytest.mark.parametrize("read_first", [False, True])
def test_elementwise_tree_on_a_max_pools_output_runs_inside_it(read_first):
    """max pool -> dropout-like mask and scale: the tree runs inside the pooling
    (``_MaxPoolEx``, outputs y and the tree's result) with eager's values and gradients;
    when something reads y before the tree, they stay apart."""
    def fn(x, keep, wy):
        with tf.GradientTape() as tape:
            tape.watch(x)
            p = tf.nn.max_pool2d(x, 2, 2, "VALID")
            first = tf.reduce_sum(p) if read_first else 0.0
            d = p * tf.cast(keep, tf.float32) * 1.25
            loss = tf.reduce_sum(d * wy) + first
        return [loss, d, tape.gradient(loss, x)]

    rng = np.random.default_rng(13)
    args = [tf.constant(rng.standard_normal((40, 8, 6, 5)).astype(np.float32)),
            tf.constant(rng.random((40, 4, 3, 5)) < 0.75),
            tf.constant(rng.standard_normal((40, 4, 3, 5)).astype(np.float32))]
    names = ops(plan_of(fn, *args))
    assert ("_MaxPoolEx" in names) == (not read_first), names
    assert ("MaxPool" in names) == read_first, names
    assert_traced_equals_eager(fn, args)


def test_dropout_mask_after_a_max_pool_is_drawn_inside_it(monkeypatch):
    """max pool -> dropout (seeded): the keep mask's uniforms are drawn and compared
    inside the pooling (a third output, read again by the gradient), block by block on
    two threads, giving exactly what the plan without that fold gives, call after call."""
    from ember.runtime import parallel
    from ember.engine import fusion

    def fn(x, wy):
        with tf.GradientTape() as tape:
            tape.watch(x)
            p = tf.nn.max_pool2d(tf.nn.relu(x), 2, 2, "VALID")
            d = tf.nn.dropout(p, 0.25, seed=11)
            loss = tf.reduce_sum(d * wy)
        return [loss, d, tape.gradient(loss, x)]

    rng = np.random.default_rng(15)
    args = [tf.constant(rng.standard_normal((40, 8, 6, 5)).astype(np.float32)),
            tf.constant(rng.standard_normal((40, 4, 3, 5)).astype(np.float32))]
    monkeypatch.setattr(parallel, "_requested", 2)
    from ember.runtime import tuning
    monkeypatch.setattr(tuning, "MIN_ELEMENTS", 1)
    monkeypatch.setattr(tuning, "MAX_POOL_BYTES", 2000)          # blocks of 2 images
    tf.random.set_seed(3)
    fused = tf.function(fn)
    plan = fused.get_concrete_function(*args)._compiled()
    (pool,) = nodes(plan, "_MaxPoolEx")
    assert len(pool.outputs) == 3 and pool.attrs["mask_at"] is not None
    assert "RandomUniform" not in ops(plan) and "GreaterEqual" not in ops(plan)
    got = [[np.asarray(o) for o in fused(*args)] for _ in range(2)]
    (fold,) = [f for f in fusion.fusions() if f.name == "dropout_masks_into_max_pools"]
    monkeypatch.setattr(fold, "enabled", False)
    tf.random.set_seed(3)
    plain = tf.function(fn)
    assert "RandomUniform" in ops(plain.get_concrete_function(*args)._compiled())
    want = [[np.asarray(o) for o in plain(*args)] for _ in range(2)]
    monkeypatch.setattr(fold, "enabled", True)
    for g_call, w_call in zip(got, want):
        for g, w in zip(g_call, w_call):
            np.testing.assert_array_equal(g, w)
    assert not np.array_equal(got[0][1], got[1][1])        # each call draws anew


@pytest.mark.parametrize("shared", [False, True])
def test_elementwise_tree_on_a_product_runs_inside_it(shared):
    """A momentum-like update of a weight from its gradient x^T @ dy: the tree runs on
    the product's blocks (``_MatMulEx``) with eager's values; a product also fetched
    stays a node of its own."""
    def fn(x, dy, v):
        grad = tf.matmul(x, dy, transpose_a=True)
        new_v = v * 0.9 - grad * 0.01
        return [new_v, grad] if shared else [new_v]

    rng = np.random.default_rng(14)
    args = [tf.constant(rng.standard_normal(s).astype(np.float32))
            for s in [(32, 300), (32, 200), (300, 200)]]
    names = ops(plan_of(fn, *args))
    assert ("_MatMulEx" in names) == (not shared), names
    assert ("BatchMatMulV2" in names) == shared, names
    assert_traced_equals_eager(fn, args)


@pytest.mark.parametrize("rank,strides,padding", [(2, 1, "SAME"), (2, 2, "SAME"),
                                                  (1, 1, "VALID"), (3, 1, "SAME")])
def test_a_convolutions_two_gradients_run_as_one_node(rank, strides, padding):
    """The input and filter gradients of one convolution become one node making both
    from one pass over dy (the flipped-filter form for stride 1, the two separate kernels
    otherwise), with the values of the separate ops."""
    conv = {1: tf.nn.conv1d, 2: tf.nn.conv2d, 3: tf.nn.conv3d}[rank]

    def fn(x, w, wy):
        with tf.GradientTape() as tape:
            tape.watch([x, w])
            loss = tf.reduce_sum(conv(x, w, strides, padding) * wy)
        return [loss] + tape.gradient(loss, [x, w])

    rng = np.random.default_rng(9)
    spatial = {1: (9,), 2: (7, 6), 3: (5, 5, 4)}[rank]
    x = tf.constant(rng.standard_normal((3,) + spatial + (4,)).astype(np.float32))
    w = tf.constant(rng.standard_normal((3,) * rank + (4, 5)).astype(np.float32))
    y = conv(x, w, strides, padding)
    wy = tf.constant(rng.standard_normal(y.shape.as_list()).astype(np.float32))
    names = ops(plan_of(fn, x, w, wy))
    assert f"_FusedConv{rank}DBackprop" in names, names
    assert not any("BackpropInput" in n or "BackpropFilter" in n for n in names), names
    assert_traced_equals_eager(fn, [x, w, wy])


def test_gradients_write_over_dead_fresh_buffers(block_args):
    """In a two-conv block's gradient, the batch-norm gradient writes dx over dy and the
    convolution gradient writes dx over its dy when no one else reads them (``into``);
    dy fed from outside, or read twice, is never written over; the values are eager's."""
    x, w, b, scale, offset, _ = block_args
    rng = np.random.default_rng(4)
    w2 = tf.constant(rng.standard_normal((3, 3, 4, 4)).astype(np.float32))
    wy = tf.constant(rng.standard_normal((3, 6, 5, 4)).astype(np.float32))

    def fn(x, w, b, scale, offset, w2, wy):
        with tf.GradientTape() as tape:
            tape.watch([x, w, b, scale, offset, w2])
            y = tf.nn.conv2d(x, w, 1, "SAME") + b
            z, _, _ = tf.nn.fused_batch_norm(y, scale, offset)
            h = tf.nn.conv2d(tf.nn.relu(z), w2, 1, "SAME")
            loss = tf.reduce_sum(tf.nn.relu(h) * wy)
        return [loss] + tape.gradient(loss, [x, w, b, scale, offset, w2])

    args = [x, w, b, scale, offset, w2, wy]
    plan = plan_of(fn, *args)
    (bn_grad,) = nodes(plan, FUSED_BN_GRAD)
    first, second = sorted(nodes(plan, "_FusedConv2DBackprop"),
                           key=lambda n: plan.nodes.index(n), reverse=True)
    assert bn_grad.attrs.get("into") == 0
    assert second.attrs.get("into") == 2          # dx (3, 6, 5, 4) over dy (3, 6, 5, 4)
    assert "into" not in first.attrs              # dx (3, 6, 5, 3): not dy's shape
    assert_traced_equals_eager(fn, args)

    def fed(g, x, scale, offset):          # dy is a feed: never written over
        with tf.GradientTape() as tape:
            tape.watch(x)
            z, _, _ = tf.nn.fused_batch_norm(x, scale, offset)
        return tape.gradient(z, x, output_gradients=g)

    g = tf.constant(rng.standard_normal((3, 6, 5, 4)).astype(np.float32))
    xb = tf.constant(rng.standard_normal((3, 6, 5, 4)).astype(np.float32))
    before = g.numpy().copy()
    plan = plan_of(fed, g, xb, scale, offset)
    assert any("BatchNormGrad" in n.op.name for n in plan.nodes)
    assert all("into" not in n.attrs for n in plan.nodes)
    assert_traced_equals_eager(fed, [g, xb, scale, offset])
    np.testing.assert_array_equal(g.numpy(), before)


# ------------------------------------------------- a dense layer's momentum update ---

def _dense_model(momentum=0.9, nesterov=False):
    tf.keras.utils.set_random_seed(5)
    model = tf.keras.Sequential([
        tf.keras.layers.Input((40,)), tf.keras.layers.Dense(48, activation="tanh"),
        tf.keras.layers.Dense(32), tf.keras.layers.Dense(24), tf.keras.layers.Dense(6)])
    model.compile(optimizer=tf.keras.optimizers.SGD(0.05, momentum=momentum,
                                                    nesterov=nesterov),
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def _train_dense(run_eagerly, epochs=3, **opt):
    model = _dense_model(**opt)
    model.run_eagerly = run_eagerly
    rng = np.random.default_rng(21)
    x = rng.standard_normal((96, 40)).astype(np.float32)
    y = rng.integers(0, 6, 96)
    hist = model.fit(x, y, batch_size=32, epochs=epochs, verbose=0, shuffle=False)
    return model, [w.numpy() for w in model.weights], hist.history["loss"]


def _train_plans(model):
    fn = model.train_function
    return list(fn._cache.values()) + [c for cs in fn._relaxed.values() for c in cs]


@pytest.mark.parametrize("blocks", [True, False])
def test_dense_momentum_update_joins_the_input_gradient(monkeypatch, blocks):
    """SGD with momentum on Dense layers: a layer whose input gradient is a product of its
    own makes it and its weight's update in one node (``_MatMulGradUpdate``; not the
    first layer, which has no input gradient, nor the second, whose input gradient is
    made inside the tanh's gradient); the weights after three epochs are eager
    training's, through the blocked kernel and through the one that runs the replaced
    steps in turn."""
    from ember.runtime import matmul_kernels
    if not blocks:      # the kernel runs the replaced steps one after another
        monkeypatch.setattr(matmul_kernels, "blocks_apply", lambda *args: False)
    _, eager_w, eager_loss = _train_dense(True)
    model, weights, loss = _train_dense(False)
    plans = _train_plans(model)
    assert plans
    for c in plans:
        names = [n.op.name for n in c._compiled().nodes]
        assert names.count("_MatMulGradUpdate") == 2, names
    assert "AssignVariable" in names                           # the other variables' updates
    for i, (w, e) in enumerate(zip(weights, eager_w)):
        np.testing.assert_allclose(w, e, rtol=1e-5, atol=1e-6, err_msg=f"weight {i}")
    np.testing.assert_allclose(loss, eager_loss, rtol=1e-5)


def test_dense_update_blocks_match_the_replaced_steps(monkeypatch):
    """The blocked kernel computes what the replaced nodes compute (within float32's last
    digits: its blocks' products are BLAS products of other shapes), and really runs (on
    more threads than one, and on one)."""
    from ember.runtime import matmul_kernels, parallel
    calls = []
    blocked = matmul_kernels._blocked

    def counting(*args):
        calls.append(args[1].shape)
        return blocked(*args)

    monkeypatch.setattr(matmul_kernels, "_blocked", counting)
    with monkeypatch.context() as mp:       # the replaced steps one after another
        mp.setattr(matmul_kernels, "blocks_apply", lambda *args: False)
        _, plain, _ = _train_dense(False)
    assert not calls
    for threads in (2, 1):
        monkeypatch.setattr(parallel, "num_threads", lambda t=threads: t)
        _, fused, _ = _train_dense(False)
        assert sorted(set(calls)) == [(24, 6), (32, 24)], calls
        for a, b in zip(fused, plain):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
        calls.clear()


def test_dense_update_keeps_an_earlier_eager_read(monkeypatch):
    """A weight's array handed out by an eager read is not written over: the plan reads
    a copy of it for the update (``for_update``), the update runs in blocks all the
    same, and the eager read keeps its values."""
    from ember.runtime import matmul_kernels
    model, _, _ = _train_dense(False, epochs=1)
    kernel = model.layers[2].kernel
    held = kernel.value()                 # an eager tensor on the variable's buffer
    before = held.numpy().copy()
    seen = []
    apply = matmul_kernels.blocks_apply

    def watching(g, w, *args):
        seen.append((apply(g, w, *args), np.shares_memory(w, before) or
                     np.shares_memory(w, held.numpy())))
        return seen[-1][0]

    monkeypatch.setattr(matmul_kernels, "blocks_apply", watching)
    rng = np.random.default_rng(3)
    model.fit(rng.standard_normal((32, 40)).astype(np.float32), rng.integers(0, 6, 32),
              batch_size=32, epochs=1, verbose=0)
    np.testing.assert_array_equal(held.numpy(), before)
    assert not np.array_equal(kernel.numpy(), before)
    assert seen and all(ok and not shared for ok, shared in seen), seen


@pytest.mark.parametrize("nesterov,momentum", [(True, 0.9), (False, 0.0)])
def test_other_sgd_updates_are_not_joined(nesterov, momentum):
    """Nesterov momentum (the weight adds more than the slot) and plain SGD (no slot)
    keep their own nodes, and train as eagerly."""
    _, eager_w, _ = _train_dense(True, epochs=2, momentum=momentum, nesterov=nesterov)
    model, weights, _ = _train_dense(False, epochs=2, momentum=momentum, nesterov=nesterov)
    names = [n.op.name for c in _train_plans(model) for n in c._compiled().nodes]
    assert "_MatMulGradUpdate" not in names
    for w, e in zip(weights, eager_w):
        np.testing.assert_allclose(w, e, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("same_read", [False, True])
def test_a_weight_read_between_gradient_and_update_blocks_the_join(same_read):
    """A function that reads the weight after its input gradient and before its update
    (through a read of its own, or through the value the product read) keeps the update
    where it was, so the read sees the weight before the update; without that read the
    update joins the product."""
    v = tf.Variable(np.random.default_rng(2).standard_normal((30, 20)).astype(np.float32))
    opt = tf.keras.optimizers.SGD(0.1, momentum=0.9)
    x = tf.constant(np.random.default_rng(3).standard_normal((8, 30)).astype(np.float32))
    dy = tf.constant(np.random.default_rng(4).standard_normal((8, 20)).astype(np.float32))

    def step(x, dy, snap=True):
        with tf.GradientTape() as tape:
            tape.watch(x)
            w = v.value()
            loss = tf.reduce_sum(tf.matmul(x, w) * dy)
        gx, gv = tape.gradient(loss, [x, v])
        snapshot = tf.reduce_sum((w if same_read else v) * gx[0, :20]) if snap else gx[0, 0]
        opt.apply_gradients([(gv, v)])
        return gx, snapshot

    fn = tf.function(step)
    start = v.numpy().copy()
    gx, snap = fn(x, dy)
    expect_gx = dy.numpy() @ start.T
    np.testing.assert_allclose(gx.numpy(), expect_gx, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(snap.numpy(), np.sum(start * expect_gx[0, :20]), rtol=1e-4)
    assert "_MatMulGradUpdate" not in ops(fn.get_concrete_function(x, dy)._compiled())
    joined = tf.function(lambda x, dy: step(x, dy, snap=False))
    assert "_MatMulGradUpdate" in ops(joined.get_concrete_function(x, dy)._compiled())


def test_two_training_steps_in_one_function_both_join():
    """Two steps of a dense layer's training in one function: each step's update joins
    its input gradient (the second step's reads come after the first update, as they
    did), and the numbers are those of the steps run eagerly."""
    rng = np.random.default_rng(8)
    start = rng.standard_normal((30, 20)).astype(np.float32)
    x = tf.constant(rng.standard_normal((8, 30)).astype(np.float32))
    dy = tf.constant(rng.standard_normal((8, 20)).astype(np.float32))

    def run(compiled):
        v = tf.Variable(start)
        opt = tf.keras.optimizers.SGD(0.1, momentum=0.9)

        def one(x, dy):
            with tf.GradientTape() as tape:
                tape.watch(x)
                loss = tf.reduce_sum(tf.matmul(x, v) * dy)
            gx, gv = tape.gradient(loss, [x, v])
            opt.apply_gradients([(gv, v)])
            return gx

        def two(x, dy):
            return [one(x, dy), one(x * 0.5, dy)]

        fn = tf.function(two) if compiled else two
        out = [t.numpy() for t in fn(x, dy)]
        names = ops(fn.get_concrete_function(x, dy)._compiled()) if compiled else []
        return out, v.numpy(), names

    (e1, e2), ev, _ = run(False)
    (c1, c2), cv, names = run(True)
    assert names.count("_MatMulGradUpdate") == 2, names
    for c, e in ((c1, e1), (c2, e2), (cv, ev)):
        np.testing.assert_allclose(c, e, rtol=1e-5, atol=1e-5)
    assert not np.allclose(e1 * 0.5, e2)            # the second step saw the new weight


OPTIMIZERS = {
    # optimizer -> the fused product kernel its weight gradients run in (docs/architecture.md)
    "sgd": (lambda: tf.keras.optimizers.SGD(0.05), "_MatMulEx"),
    "nesterov": (lambda: tf.keras.optimizers.SGD(0.05, momentum=0.9, nesterov=True),
                 "_MatMulEx"),
    "adam": (lambda: tf.keras.optimizers.Adam(0.01), "_MatMulTreesEx"),
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_other_optimizers_updates_run_inside_the_gradient_product(name):
    """Not only SGD with momentum: plain SGD's step (one op on the gradient), Nesterov's
    (the scaled gradient read twice) and Adam's two moments (the gradient read by two
    trees) run on the weight gradient's blocks; training matches eager training."""
    make, kernel = OPTIMIZERS[name]

    def train(run_eagerly):
        tf.keras.utils.set_random_seed(5)
        model = tf.keras.Sequential([
            tf.keras.layers.Input((40,)), tf.keras.layers.Dense(32, activation="tanh"),
            tf.keras.layers.Dense(24), tf.keras.layers.Dense(6)])
        model.compile(optimizer=make(), run_eagerly=run_eagerly,
                      loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        rng = np.random.default_rng(21)
        x = rng.standard_normal((64, 40)).astype(np.float32)
        y = rng.integers(0, 6, 64)
        model.fit(x, y, batch_size=32, epochs=2, verbose=0, shuffle=False)
        return model, [w.numpy() for w in model.weights]

    _, eager = train(True)
    model, compiled = train(False)
    plans = _train_plans(model)
    assert plans
    for c in plans:
        nodes = c._compiled().nodes
        grads = [n for n in nodes if n.op.name == kernel and n.attrs.get("transpose_a")]
        assert len(grads) == 3, [n.op.name for n in nodes]   # each kernel's x^T @ dy
    for i, (w, e) in enumerate(zip(compiled, eager)):
        np.testing.assert_allclose(w, e, rtol=2e-5, atol=2e-6, err_msg=f"weight {i}")
