"""The deterministic weight values the applications fixtures use (shared by the fixture
script, which runs under real Keras, and the tests, which run under ember).

Every weight array of a model, taken in ``model.weights`` order (index ``k``), is filled
from ``sin(arange(n) * 0.37 + k)`` shaped by what the weight is, so activations stay of
order one through deep networks and no weight file has to be committed."""
import numpy as np


def weight_value(k, name, shape, depthwise=False):
    """The value of the ``k``-th weight, called ``name`` (its last path part), of ``shape``;
    ``depthwise`` tells a depthwise kernel (fan-in: its spatial size only)."""
    shape = tuple(int(d) for d in shape)
    n = int(np.prod(shape)) if shape else 1
    s = np.sin(np.arange(n, dtype=np.float64) * 0.37 + k)
    if name in ("moving_variance", "variance"):
        v = 1.0 + 0.5 * np.abs(s)
    elif name == "count":
        return np.zeros(shape, np.int64)
    elif name == "gamma" and len(shape) == 1:
        v = 1.0 + 0.1 * s
    elif len(shape) >= 2:
        if depthwise:
            fan_in = int(np.prod(shape[:-2]))
        else:
            fan_in = int(np.prod(shape[:-1]))
        v = s * np.sqrt(2.0 / max(fan_in, 1))
    else:
        v = 0.1 * s
    return v.reshape(shape).astype(np.float32)


def fill_model(model, set_weights):
    """Sets every weight of ``model`` (layer by layer, each layer's weights in order) to
    ``weight_value``; ``set_weights(variable, array)`` assigns one."""
    k = 0
    for layer in model.layers:
        depthwise = type(layer).__name__ == "DepthwiseConv2D"
        for w in layer.weights:
            name = w.path.split("/")[-1] if getattr(w, "path", None) else w.name
            value = weight_value(k, name, tuple(w.shape),
                                 depthwise=depthwise or name == "depthwise_kernel")
            set_weights(w, value)
            k += 1
    return k
