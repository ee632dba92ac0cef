"""keras.applications.mobilenet_v2: MobileNetV2 (Sandler et al., 2018): inverted residual
blocks with linear bottlenecks, with the width multiplier ``alpha``."""
from ember.keras import layers
from ember.keras.applications import _common, imagenet_utils
from ember.keras.applications.imagenet_utils import decode_predictions  # noqa: F401
from ember.keras.applications.mobilenet import (
    default_size_for, imagenet_rows, spatial_size,
)
from ember.keras.keras_tensor import is_keras_tensor
from ember.keras.models.functional import Functional

__all__ = ["MobileNetV2", "preprocess_input", "decode_predictions"]

BASE_WEIGHT_PATH = ("https://storage.googleapis.com/tensorflow/keras-applications/"
                    "mobilenet_v2/")
_SIZES = (96, 128, 160, 192, 224)
_ALPHAS = (0.35, 0.5, 0.75, 1.0, 1.3, 1.4)
# (filters, stride, expansion) of the 17 inverted residual blocks
_BLOCKS = ((16, 1, 1), (24, 2, 6), (24, 1, 6), (32, 2, 6), (32, 1, 6), (32, 1, 6),
           (64, 2, 6), (64, 1, 6), (64, 1, 6), (64, 1, 6), (96, 1, 6), (96, 1, 6),
           (96, 1, 6), (160, 2, 6), (160, 1, 6), (160, 1, 6), (320, 1, 6))


def make_divisible(value, divisor=8, min_value=None):
    """``value`` rounded to the nearest multiple of ``divisor`` (at least ``min_value``),
    never more than 10% below ``value``."""
    min_value = min_value or divisor
    rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


def _bn(x, name):
    return layers.BatchNormalization(axis=_common.channel_axis(), epsilon=1e-3,
                                     momentum=0.999, name=name)(x)


def _inverted_residual(inputs, expansion, stride, alpha, filters, block_id):
    in_channels = inputs.shape[_common.channel_axis()]
    out_channels = make_divisible(int(filters * alpha), 8)
    x = inputs
    if block_id:
        prefix = f"block_{block_id}_"
        x = layers.Conv2D(expansion * in_channels, kernel_size=1, padding="same",
                          use_bias=False, activation=None, name=prefix + "expand")(x)
        x = _bn(x, prefix + "expand_BN")
        x = layers.ReLU(6.0, name=prefix + "expand_relu")(x)
    else:
        prefix = "expanded_conv_"
    if stride == 2:
        x = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(x, 3),
                                 name=prefix + "pad")(x)
    x = layers.DepthwiseConv2D(kernel_size=3, strides=stride, activation=None,
                               use_bias=False, padding="same" if stride == 1 else "valid",
                               name=prefix + "depthwise")(x)
    x = _bn(x, prefix + "depthwise_BN")
    x = layers.ReLU(6.0, name=prefix + "depthwise_relu")(x)
    x = layers.Conv2D(out_channels, kernel_size=1, padding="same", use_bias=False,
                      activation=None, name=prefix + "project")(x)
    x = _bn(x, prefix + "project_BN")
    if in_channels == out_channels and stride == 1:
        return layers.Add(name=prefix + "add")([inputs, x])
    return x


def MobileNetV2(input_shape=None, alpha=1.0, include_top=True,  # noqa: N802
                weights="imagenet", input_tensor=None, pooling=None, classes=1000,
                classifier_activation="softmax", name=None):
    """MobileNetV2. ``alpha`` scales the blocks' filters (ImageNet weights: 0.35, 0.5,
    0.75, 1.0, 1.3, 1.4, at 96, 128, 160, 192 or 224 pixels). Inputs are preprocessed
    with ``mobilenet_v2.preprocess_input`` (to [-1, 1])."""
    _common.check_weights(weights, include_top, classes)
    _common.check_pooling(pooling)
    if input_shape is None and input_tensor is not None and is_keras_tensor(input_tensor):
        default_size = default_size_for(tuple(input_tensor.shape[1:]), _SIZES)
    else:
        default_size = default_size_for(input_shape, _SIZES)
    input_shape = _common.input_shape_for(input_shape, include_top, weights,
                                          default_size, 32)
    rows, cols = spatial_size(input_shape)
    if weights == "imagenet":
        if alpha not in _ALPHAS:
            raise ValueError(f"If imagenet weights are being loaded, alpha must be one of "
                             f"`0.35`, `0.50`, `0.75`, `1.0`, `1.3` or `1.4` only; "
                             f"Received `alpha={alpha}`")
        rows = imagenet_rows(rows, cols, _SIZES)
    img_input = _common.make_input(input_shape, input_tensor)
    x = layers.Conv2D(make_divisible(32 * alpha, 8), kernel_size=3, strides=(2, 2),
                      padding="same", use_bias=False, name="Conv1")(img_input)
    x = _bn(x, "bn_Conv1")
    x = layers.ReLU(6.0, name="Conv1_relu")(x)
    for block_id, (filters, stride, expansion) in enumerate(_BLOCKS):
        x = _inverted_residual(x, expansion, stride, alpha, filters, block_id)
    # the last convolution is widened with alpha > 1 only
    last_filters = make_divisible(1280 * alpha, 8) if alpha > 1.0 else 1280
    x = layers.Conv2D(last_filters, kernel_size=1, use_bias=False, name="Conv_1")(x)
    x = _bn(x, "Conv_1_bn")
    x = layers.ReLU(6.0, name="out_relu")(x)
    x = _common.classifier(x, include_top, pooling, classes, classifier_activation,
                           weights)
    if name is None:
        name = f"mobilenetv2_{alpha:0.2f}_{rows}"
    model = Functional(_common.model_inputs(img_input, input_tensor), x, name=name)
    imagenet_file = None
    if weights == "imagenet":
        fname = (f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{float(alpha)}_{rows}"
                 f"{'' if include_top else '_no_top'}.h5")
        imagenet_file = (fname, BASE_WEIGHT_PATH + fname, None)
    return _common.load_weights(model, weights, imagenet_file)


def preprocess_input(x, data_format=None):
    """MobileNetV2 preprocessing: scales pixels to [-1, 1] ("tf" mode)."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")
