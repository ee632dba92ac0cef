"""Small Keras models for the ember.lite tests, with weights set by a formula, written so
the same code builds them on ember (``keras`` = ``ember.keras``) and on real Keras (the
fixture script ``tests/fixtures/lite/make_fixtures.py``)."""
import numpy as np

INPUTS = {"mlp": ((12,), "float32"), "cnn": ((8, 8, 3), "float32"),
          "text": ((7,), "int32"), "misc": ((6, 6, 2), "float32"),
          "quant": ((6, 6, 4), "float32"), "transformer": ((5, 8), "float32"),
          "float16": ((8, 8, 3), "float32"), "vision": ((8, 8, 3), "float32"),
          "recurrent": ((6,), "int32"), "sequence": ((8, 4), "float32")}
# TensorFlow 2.21 cannot convert Keras 3's recurrent layers without SELECT_TF_OPS (its
# TensorList ops); ember unrolls them, so these are checked only on ember's files.
EMBER_ONLY = ["recurrent"]


def configure(tf_like, converter, name):
    """The converter settings of a fixture: int8 weights for "quant", float16 weights for
    "float16" (the "cnn" model)."""
    if name in ("quant", "float16"):
        converter.optimizations = [tf_like.lite.Optimize.DEFAULT]
    if name == "float16":
        converter.target_spec.supported_types = [tf_like.float16]


def build(keras, name):
    L = keras.layers
    shape, dtype = INPUTS[name]
    inp = keras.Input(shape, dtype=dtype, name="x")
    if name == "mlp":
        h = L.Dense(16, activation="relu")(inp)
        h = L.Dense(8, activation="tanh")(h)
        out = L.Dense(4, activation="softmax")(h)
    elif name in ("cnn", "float16"):
        h = L.Conv2D(6, 3, padding="same")(inp)
        h = L.BatchNormalization()(h)
        h = L.ReLU()(h)
        h = L.MaxPooling2D()(h)
        h = L.DepthwiseConv2D(3, padding="same", activation="relu6")(h)
        h = L.Conv2D(5, 2, strides=2, activation="sigmoid")(h)
        h = L.AveragePooling2D(2)(h)
        h = L.Flatten()(h)
        out = L.Dense(3, activation="softmax")(h)
    elif name == "text":
        h = L.Embedding(20, 8)(inp)
        h = L.Conv1D(6, 3, padding="same", activation="relu")(h)
        h = L.GlobalAveragePooling1D()(h)
        out = L.Dense(2, activation="sigmoid")(h)
    elif name == "misc":
        a = L.Conv2DTranspose(3, 3, strides=2, padding="same")(inp)
        a = L.ZeroPadding2D(1)(a)
        a = L.AveragePooling2D(2)(a)
        b = L.Conv2DTranspose(2, 2, strides=2)(inp)
        b = L.Conv2D(3, 3, padding="same", activation="tanh")(b)
        b = L.MaxPooling2D(2)(L.ZeroPadding2D(1)(b))
        c = L.Concatenate()([a, b])
        c = L.BatchNormalization()(c)
        d = L.Subtract()([L.GlobalAveragePooling2D()(c), L.GlobalMaxPooling2D()(c)])
        e = L.Reshape((3, 2))(d)
        e = L.Permute((2, 1))(e)
        e = L.Multiply()([L.Flatten()(e), L.Dense(6, activation="sigmoid")(d)])
        out = L.Dense(3)(L.LeakyReLU(0.2)(e))
    elif name == "quant":
        h = L.Conv2D(32, 3, activation="relu")(inp)
        h = L.GlobalAveragePooling2D()(h)
        h = L.Dense(64, activation="relu")(h)
        out = L.Dense(5)(h)
    elif name == "transformer":
        h = L.MultiHeadAttention(2, 4)(inp, inp)
        h = L.LayerNormalization()(L.Add()([h, inp]))
        h = L.Dense(16, activation="gelu")(h)
        h = L.EinsumDense("abc,cd->abd", output_shape=(None, 6), bias_axes="d")(h)
        out = L.Activation("softplus")(h)
    elif name == "vision":
        h = L.Rescaling(1 / 127.5, offset=-1)(inp)
        h = L.Conv2D(8, 3, strides=2, padding="same", use_bias=False)(h)
        h = L.BatchNormalization()(h)
        h = L.ReLU(6.0)(h)
        r = L.DepthwiseConv2D(3, padding="same", use_bias=False)(h)
        r = L.BatchNormalization()(r)
        r = L.Conv2D(8, 1)(L.ReLU(6.0)(r))
        h = L.Add()([h, r])
        h = L.SeparableConv2D(6, 3, padding="same", dilation_rate=2, activation="swish")(h)
        a = L.UpSampling2D(2)(h)
        b = L.Resizing(8, 8)(h)
        h = L.Concatenate()([a, b, L.Resizing(8, 8, interpolation="nearest")(h)])
        h = L.Conv2D(6, 3, groups=2, padding="same", activation="relu")(h)   # grouped
        h = L.Conv2D(4, 3, activation="hard_sigmoid")(h)
        h = L.Dropout(0.3)(L.GlobalAveragePooling2D()(h))
        out = L.Dense(3, activation="softmax")(h)
    elif name == "sequence":
        h = L.Masking(0.0)(inp)
        h = L.Conv1D(5, 3, padding="causal", activation="relu")(h)
        h = L.Conv1DTranspose(3, 3, strides=2, padding="same")(h)
        a = L.GlobalAveragePooling1D()(L.Masking(0.0)(inp))
        out = L.Concatenate()([L.Flatten()(h), a])
    elif name == "recurrent":
        h = L.Embedding(20, 5)(inp)
        h = L.LSTM(4, return_sequences=True)(h)
        h = L.Bidirectional(L.GRU(3, return_sequences=True))(h)
        h = L.SimpleRNN(3, go_backwards=True)(h)
        out = L.Dense(2, activation="softmax")(h)
    model = keras.Model(inp, out, name=name)
    set_weights(model)
    return model


def set_weights(model):
    values = []
    for k, w in enumerate(model.weights):
        shape = tuple(w.shape)
        n = int(np.prod(shape)) if shape else 1
        v = np.sin(np.arange(n) * 0.7 + 3.0 * k).reshape(shape) * 0.5
        path = getattr(w, "path", w.name)
        if "moving_variance" in path:
            v = 1.0 + v ** 2
        values.append(v.astype("float32"))
    model.set_weights(values)


def sample(name, batch=3):
    shape, dtype = INPUTS[name]
    rng = np.random.RandomState(7)
    if dtype == "int32":
        return rng.randint(0, 20, size=(batch,) + shape).astype("int32")
    x = rng.uniform(-1, 1, size=(batch,) + shape).astype("float32")
    if name == "sequence":
        x[:, -3:] = 0.0                       # masked steps
    return x
