"""ember.functions for the ember.lite tests, each with sample inputs; the fixture script
converts them with ember and checks the files in real TensorFlow's Interpreter."""
import numpy as np


def many_ops(ember):
    w = np.linspace(-1, 1, 20, dtype="float32").reshape(4, 5)

    @ember.function(input_signature=[ember.TensorSpec([None, 3, 4], name="a"),
                                     ember.TensorSpec([None, 4, 5], name="b")])
    def f(a, b):
        m = ember.matmul(a, b)                                        # BATCH_MATMUL
        s = ember.squeeze(ember.expand_dims(a, 1), 1)[:, -3:, ::2]    # SQUEEZE, STRIDED_SLICE
        g = ember.gather(a, [3, 0], axis=2)                           # GATHER on axis 2
        c = ember.concat([ember.pad(s, [[0, 0], [0, 0], [1, 1]]), g], axis=-1)
        t = ember.transpose(c, [0, 2, 1])
        e = ember.exp(-ember.abs(t)) / (1.0 + ember.square(t)) - ember.sqrt(ember.abs(t))
        d = ember.matmul(a, w)                                        # FULLY_CONNECTED, 3-D
        r = ember.reduce_sum(ember.nn.leaky_relu(d, 0.1), axis=1) + \
            ember.reduce_max(ember.maximum(d, 0.2), axis=[1])
        return {"m": ember.tanh(m), "e": e, "r": ember.nn.log_softmax(r),
                "k": ember.clip_by_value(ember.reshape(m, [-1, 15]), 0.0, 6.0)}

    inputs = {"a": np.random.RandomState(1).uniform(-1, 1, (2, 3, 4)).astype("float32"),
              "b": np.random.RandomState(2).uniform(0.5, 1.5, (2, 4, 5)).astype("float32")}
    return f, inputs


def einsum_gelu(ember):
    w = np.linspace(-1, 1, 24, dtype="float32").reshape(4, 2, 3)

    @ember.function(input_signature=[ember.TensorSpec([None, 5, 4], name="x"),
                                     ember.TensorSpec([None, 4, 5], name="y")])
    def f(x, y):
        return {"proj": ember.einsum("btd,dhk->bhtk", x, w),          # FC + transpose
                "pair": ember.einsum("bij,bjk->bik", x, y),           # BATCH_MATMUL
                "outer": ember.einsum("bik,bjk->bkij", x, ember.transpose(y, [0, 2, 1])),
                "gelu": ember.nn.gelu(x, approximate=True) + ember.nn.gelu(x)}

    inputs = {"x": np.random.RandomState(4).randn(2, 5, 4).astype("float32"),
              "y": np.random.RandomState(5).randn(2, 4, 5).astype("float32")}
    return f, inputs


def dtypes(ember):
    @ember.function(input_signature=[ember.TensorSpec([None, 6], ember.int32, name="ids"),
                                     ember.TensorSpec([None, 6], name="x")])
    def f(ids, x):
        big = ember.cast(ids, ember.int64) * 3 + 1
        keep = ember.logical_and(ids >= 1, ember.logical_not(ember.equal(ids, 4)))
        return {"big": big * 2, "floordiv": (ids * 3 + 1) // 2, "mod": ids % 4,
                "where": ember.where(ids > 2, x, -x), "keep": keep,
                "argmax": ember.argmax(x, axis=-1), "ratio": ember.cast(ids, ember.float32) / 3.0,
                "less": ember.cast(x < 0.5, ember.int32)}

    inputs = {"ids": np.random.RandomState(0).randint(0, 7, (3, 6)).astype("int32"),
              "x": np.random.RandomState(1).rand(3, 6).astype("float32")}
    return f, inputs


FUNCTIONS = {"many_ops": many_ops, "einsum_gelu": einsum_gelu, "dtypes": dtypes}


def shapes_and_scans(ember):
    @ember.function(input_signature=[ember.TensorSpec([None, 6], name="x"),
                                     ember.TensorSpec([None], ember.int32, name="i")])
    def f(x, i):
        a, b = ember.split(x, [2, 4], axis=1)
        parts = ember.unstack(ember.reshape(x, [-1, 2, 3]), axis=1)
        return {"a": a * 2.0, "b": ember.sin(b) + ember.cos(b), "u": parts[1],
                "cumsum": ember.cumsum(x, axis=1, exclusive=True, reverse=True),
                "round": ember.round(x * 4.0) + ember.math.ceil(x) + ember.zeros_like(x),
                "bcast": ember.broadcast_to(x[:, :1], ember.shape(x)) + ember.reverse(x, [1]),
                "gnd": ember.gather_nd(x, [[0, 1], [1, 5]]),
                "onehot": ember.one_hot(i, 4, on_value=2.0, off_value=-1.0),
                "mirror": ember.pad(x, [[0, 0], [2, 2]], mode="REFLECT") +
                ember.pad(x, [[0, 0], [1, 3]], mode="SYMMETRIC")}

    inputs = {"x": np.random.RandomState(6).uniform(-1, 1, (3, 6)).astype("float32"),
              "i": np.array([0, 3, 2], np.int32)}
    return f, inputs


FUNCTIONS["shapes_and_scans"] = shapes_and_scans


def axes(ember):
    @ember.function(input_signature=[ember.TensorSpec([None, 3, 4], name="x")])
    def f(x):
        return {"softmax1": ember.nn.softmax(x, axis=1), "logsoftmax0": ember.nn.log_softmax(
                    ember.reshape(x, [-1, 12]), axis=0),
                "mean": ember.reduce_mean(x, axis=[-1, -2], keepdims=True),
                "concat": ember.concat([x, -x], axis=-2),
                "stack": ember.stack([x, 2.0 * x], axis=-1),
                "argmax": ember.argmax(x, axis=-2),
                "squeeze": ember.squeeze(x[:, :1, :], axis=-2)}

    return f, {"x": np.random.RandomState(8).randn(2, 3, 4).astype("float32")}


FUNCTIONS["axes"] = axes


def reductions(ember):
    @ember.function(input_signature=[ember.TensorSpec([None, 5], name="x")])
    def f(x):
        values, indices = ember.math.top_k(x, k=2)
        return {"top": values, "top_index": indices,
                "lse": ember.reduce_logsumexp(x * 30.0, axis=-1),
                "lse_keep": ember.reduce_logsumexp(x, axis=[0, 1], keepdims=True),
                "any": ember.reduce_any(x > 0.9, axis=1), "all": ember.reduce_all(x > -0.9, 1),
                "prod": ember.reduce_prod(x, axis=0)}

    return f, {"x": np.random.RandomState(9).uniform(-1, 1, (3, 5)).astype("float32")}


FUNCTIONS["reductions"] = reductions


class Scaler:
    """A tf.Module-like object with two signatures sharing one variable."""

    def __init__(self, ember):
        self.scale = ember.Variable(np.array([1.5, -2.0, 0.5], np.float32))

        @ember.function(input_signature=[ember.TensorSpec([None, 3], name="x")])
        def encode(x):
            return {"code": ember.tanh(x * self.scale)}

        @ember.function(input_signature=[ember.TensorSpec([None, 3], name="code")])
        def decode(code):
            return {"x": code / self.scale}

        self.encode, self.decode = encode, decode


def two_signatures(ember):
    """(concrete functions, {signature key: inputs})."""
    m = Scaler(ember)
    funcs = [m.encode.get_concrete_function(), m.decode.get_concrete_function()]
    x = np.random.RandomState(10).uniform(-1, 1, (2, 3)).astype("float32")
    return funcs, {funcs[0].name: {"x": x}, funcs[1].name: {"code": x}}


def sorting(ember):
    @ember.function(input_signature=[ember.TensorSpec([None, 5], name="x")])
    def f(x):
        return {"ascending": ember.sort(x), "order": ember.argsort(x, direction="DESCENDING")}

    return f, {"x": np.random.RandomState(11).permutation(15).reshape(3, 5).astype("float32")}


FUNCTIONS["sorting"] = sorting
