"""keras.applications.efficientnet_v2: EfficientNetV2 B0-B3, S, M and L (Tan & Le, 2021):
fused and regular MBConv blocks. The input preprocessing is part of the model
(``include_preprocessing=True``), so images go in with values in [0, 255]."""
import math

from ember.keras import backend, initializers, layers
from ember.keras.applications import _common, imagenet_utils
from ember.keras.applications.efficientnet import (
    CONV_KERNEL_INITIALIZER, DENSE_KERNEL_INITIALIZER,
)
from ember.keras.applications.imagenet_utils import decode_predictions  # noqa: F401
from ember.keras.models.functional import Functional

__all__ = ["EfficientNetV2B0", "EfficientNetV2B1", "EfficientNetV2B2", "EfficientNetV2B3",
           "EfficientNetV2S", "EfficientNetV2M", "EfficientNetV2L", "preprocess_input",
           "decode_predictions"]

BASE_WEIGHTS_PATH = ("https://storage.googleapis.com/tensorflow/keras-applications/"
                     "efficientnet_v2/")
WEIGHTS_HASHES = {   # (with the top, without it); md5
    "b0": ("21ecbf6da12460d5c40bb2f29ceb2188", "893217f2bb855e2983157299931e43ff"),
    "b1": ("069f0534ff22adf035c89e2d9547a9dc", "0e80663031ca32d657f9caa404b6ec37"),
    "b2": ("424e49f28180edbde1e94797771950a7", "1dfe2e7a5d45b6632553a8961ea609eb"),
    "b3": ("1f1fc43bd98a6e4fd8fdfd551e02c7a0", "f6abf7b5849ac99a89b50dd3fd532856"),
    "-s": ("e1d88a8495beba45748fedd0cecbe016", "af0682fb74e8c54910f2d4393339c070"),
    "-m": ("a3bf6aa3276309f4fc6a34aa114c95cd", "1b8dc055df72dde80d614482840fe342"),
    "-l": ("27e6d408b53c7ebc868fefa357689935", "b0b66b5c863aef5b46e8608fe1711615"),
}

# Stages: (kernel, repeats, input filters, output filters, expand ratio, se ratio,
# strides, fused)
_B = ((3, 1, 32, 16, 1, 0, 1, True), (3, 2, 16, 32, 4, 0, 2, True),
      (3, 2, 32, 48, 4, 0, 2, True), (3, 3, 48, 96, 4, 0.25, 2, False),
      (3, 5, 96, 112, 6, 0.25, 1, False), (3, 8, 112, 192, 6, 0.25, 2, False))
BLOCKS = {
    "s": ((3, 2, 24, 24, 1, 0, 1, True), (3, 4, 24, 48, 4, 0, 2, True),
          (3, 4, 48, 64, 4, 0, 2, True), (3, 6, 64, 128, 4, 0.25, 2, False),
          (3, 9, 128, 160, 6, 0.25, 1, False), (3, 15, 160, 256, 6, 0.25, 2, False)),
    "m": ((3, 3, 24, 24, 1, 0, 1, True), (3, 5, 24, 48, 4, 0, 2, True),
          (3, 5, 48, 80, 4, 0, 2, True), (3, 7, 80, 160, 4, 0.25, 2, False),
          (3, 14, 160, 176, 6, 0.25, 1, False), (3, 18, 176, 304, 6, 0.25, 2, False),
          (3, 5, 304, 512, 6, 0.25, 1, False)),
    "l": ((3, 4, 32, 32, 1, 0, 1, True), (3, 7, 32, 64, 4, 0, 2, True),
          (3, 7, 64, 96, 4, 0, 2, True), (3, 10, 96, 192, 4, 0.25, 2, False),
          (3, 19, 192, 224, 6, 0.25, 1, False), (3, 25, 224, 384, 6, 0.25, 2, False),
          (3, 7, 384, 640, 6, 0.25, 1, False)),
    "b0": _B, "b1": _B, "b2": _B, "b3": _B,
}
# variant -> (width coefficient, depth coefficient, default size, weights key)
_SCALING = {"b0": (1.0, 1.0, 224, "b0"), "b1": (1.0, 1.1, 240, "b1"),
            "b2": (1.1, 1.2, 260, "b2"), "b3": (1.2, 1.4, 300, "b3"),
            "s": (1.0, 1.0, 384, "-s"), "m": (1.0, 1.0, 480, "-m"),
            "l": (1.0, 1.0, 480, "-l")}


def round_filters(filters, width_coefficient, min_depth, depth_divisor):
    """``filters`` scaled by the width coefficient, rounded to a multiple of the divisor."""
    filters *= width_coefficient
    return int(max(min_depth or depth_divisor,
                   int(filters + depth_divisor / 2) // depth_divisor * depth_divisor))


def _bn(x, momentum, name):
    axis = 3 if backend.image_data_format() == "channels_last" else 1
    return layers.BatchNormalization(axis=axis, momentum=momentum, name=name)(x)


def _conv(filters, kernel_size, strides, name):
    return layers.Conv2D(filters, kernel_size=kernel_size, strides=strides,
                         kernel_initializer=CONV_KERNEL_INITIALIZER, padding="same",
                         use_bias=False, name=name)


def _squeeze_excite(x, input_filters, filters, se_ratio, activation, name):
    axis = 3 if backend.image_data_format() == "channels_last" else 1
    se = layers.GlobalAveragePooling2D(name=name + "se_squeeze")(x)
    se = layers.Reshape((filters, 1, 1) if axis == 1 else (1, 1, filters),
                        name=name + "se_reshape")(se)
    se = layers.Conv2D(max(1, int(input_filters * se_ratio)), 1, padding="same",
                       activation=activation, kernel_initializer=CONV_KERNEL_INITIALIZER,
                       name=name + "se_reduce")(se)
    se = layers.Conv2D(filters, 1, padding="same", activation="sigmoid",
                       kernel_initializer=CONV_KERNEL_INITIALIZER,
                       name=name + "se_expand")(se)
    return layers.multiply([x, se], name=name + "se_excite")


def _residual(x, inputs, strides, input_filters, output_filters, drop_rate, name):
    if strides == 1 and input_filters == output_filters:
        if drop_rate:
            x = layers.Dropout(drop_rate, noise_shape=(None, 1, 1, 1),
                               name=name + "drop")(x)
        x = layers.add([x, inputs], name=name + "add")
    return x


def mbconv_block(inputs, input_filters, output_filters, expand_ratio=1, kernel_size=3,
                 strides=1, se_ratio=0.0, bn_momentum=0.9, activation="swish",
                 drop_rate=0.8, name=""):
    """MBConv: 1x1 expansion, depthwise convolution, squeeze-and-excitation, 1x1
    projection and the residual (stochastic depth ``drop_rate``)."""
    filters = input_filters * expand_ratio
    x = inputs
    if expand_ratio != 1:
        x = _conv(filters, 1, 1, name + "expand_conv")(x)
        x = _bn(x, bn_momentum, name + "expand_bn")
        x = layers.Activation(activation, name=name + "expand_activation")(x)
    x = layers.DepthwiseConv2D(kernel_size=kernel_size, strides=strides,
                               depthwise_initializer=CONV_KERNEL_INITIALIZER,
                               padding="same", use_bias=False, name=name + "dwconv2")(x)
    x = _bn(x, bn_momentum, name + "bn")
    x = layers.Activation(activation, name=name + "activation")(x)
    if 0 < se_ratio <= 1:
        x = _squeeze_excite(x, input_filters, filters, se_ratio, activation, name)
    x = _conv(output_filters, 1, 1, name + "project_conv")(x)
    x = _bn(x, bn_momentum, name + "project_bn")
    return _residual(x, inputs, strides, input_filters, output_filters, drop_rate, name)


def fused_mbconv_block(inputs, input_filters, output_filters, expand_ratio=1,
                       kernel_size=3, strides=1, se_ratio=0.0, bn_momentum=0.9,
                       activation="swish", drop_rate=0.8, name=""):
    """Fused MBConv: the expansion and depthwise convolutions fused into one kxk
    convolution (or, without expansion, the projection is that convolution)."""
    filters = input_filters * expand_ratio
    x = inputs
    if expand_ratio != 1:
        x = _conv(filters, kernel_size, strides, name + "expand_conv")(x)
        x = _bn(x, bn_momentum, name + "expand_bn")
        x = layers.Activation(activation, name=name + "expand_activation")(x)
    if 0 < se_ratio <= 1:
        x = _squeeze_excite(x, input_filters, filters, se_ratio, activation, name)
    expanded = expand_ratio != 1
    x = _conv(output_filters, 1 if expanded else kernel_size, 1 if expanded else strides,
              name + "project_conv")(x)
    x = _bn(x, bn_momentum, name + "project_bn")
    if not expanded:
        x = layers.Activation(activation, name=name + "project_activation")(x)
    return _residual(x, inputs, strides, input_filters, output_filters, drop_rate, name)


def EfficientNetV2(width_coefficient, depth_coefficient, default_size,  # noqa: N802
                   dropout_rate=0.2, drop_connect_rate=0.2, depth_divisor=8, min_depth=8,
                   bn_momentum=0.9, activation="swish", blocks_args="default",
                   name="efficientnetv2", include_top=True, weights="imagenet",
                   input_tensor=None, input_shape=None, pooling=None, classes=1000,
                   classifier_activation="softmax", include_preprocessing=True,
                   weights_name=None, variant=None):
    """An EfficientNetV2 of the stage table ``blocks_args`` and the given scaling."""
    if blocks_args == "default":
        blocks_args = BLOCKS[variant]
    input_shape = _common.checked_input_shape(
        input_shape, include_top, weights, classes, pooling, default_size=default_size,
        min_size=32)
    img_input = _common.make_input(input_shape, input_tensor)
    axis = 3 if backend.image_data_format() == "channels_last" else 1

    def filters_of(n):
        return round_filters(n, width_coefficient, min_depth, depth_divisor)

    x = img_input
    if include_preprocessing:
        if str(variant).startswith("b") and input_shape[axis - 1] == 3:
            # the B variants were trained with EfficientNet (v1) preprocessing
            x = layers.Rescaling(scale=1.0 / 255)(x)
            x = layers.Normalization(mean=[0.485, 0.456, 0.406],
                                     variance=[0.229 ** 2, 0.224 ** 2, 0.225 ** 2],
                                     axis=axis)(x)
        else:
            x = layers.Rescaling(scale=1.0 / 128.0, offset=-1)(x)
    x = _conv(filters_of(blocks_args[0][2]), 3, 2, "stem_conv")(x)
    x = _bn(x, bn_momentum, "stem_bn")
    x = layers.Activation(activation, name="stem_activation")(x)
    total = float(sum(stage[1] for stage in blocks_args))
    b = 0
    for i, (kernel, repeats, f_in, f_out, expand, se, strides, fused) in \
            enumerate(blocks_args):
        if repeats <= 0:
            raise ValueError(f"The number of repeats in `EfficientNetV2` must be > 0. "
                             f"Received: num_repeat={repeats}")
        f_in, f_out = filters_of(f_in), filters_of(f_out)
        block_fn = fused_mbconv_block if fused else mbconv_block
        for j in range(int(math.ceil(depth_coefficient * repeats))):
            if j > 0:
                strides, f_in = 1, f_out
            x = block_fn(x, f_in, f_out, expand_ratio=expand, kernel_size=kernel,
                         strides=strides, se_ratio=se, bn_momentum=bn_momentum,
                         activation=activation, drop_rate=drop_connect_rate * b / total,
                         name=f"block{i + 1}{chr(j + 97)}_")
            b += 1
    x = _conv(filters_of(1280), 1, 1, "top_conv")(x)
    x = _bn(x, bn_momentum, "top_bn")
    x = layers.Activation(activation=activation, name="top_activation")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate, name="top_dropout")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation,
                         kernel_initializer=DENSE_KERNEL_INITIALIZER,
                         bias_initializer=initializers.Constant(0.0),
                         name="predictions")(x)
    else:
        x = _common.classifier(x, False, pooling, classes, None, weights,
                               avg_name="avg_pool", max_name="max_pool")
    model = Functional(_common.model_inputs(img_input, input_tensor), x, name=name)
    imagenet_file = None
    if weights_name in WEIGHTS_HASHES:
        fname = f"efficientnetv2{weights_name if weights_name.startswith('-') else '-' + weights_name}"
        fname += ".h5" if include_top else "_notop.h5"
        imagenet_file = (fname, BASE_WEIGHTS_PATH + fname,
                         WEIGHTS_HASHES[weights_name][0 if include_top else 1])
    return _common.load_weights(model, weights, imagenet_file)


def _make(variant):
    width, depth, size, key = _SCALING[variant]
    public = f"EfficientNetV2{variant.upper()}"

    def constructor(include_top=True, weights="imagenet", input_tensor=None,
                    input_shape=None, pooling=None, classes=1000,
                    classifier_activation="softmax", include_preprocessing=True,
                    name=f"efficientnetv2-{variant}"):
        return EfficientNetV2(width, depth, size, name=name, include_top=include_top,
                              weights=weights, input_tensor=input_tensor,
                              input_shape=input_shape, pooling=pooling, classes=classes,
                              classifier_activation=classifier_activation,
                              include_preprocessing=include_preprocessing,
                              weights_name=key, variant=variant)
    constructor.__name__ = constructor.__qualname__ = public
    constructor.__doc__ = (f"{public} (default input {size}x{size}). Inputs are images with "
                           f"values in [0, 255]; the model preprocesses them itself unless "
                           f"include_preprocessing=False.")
    return constructor


EfficientNetV2B0 = _make("b0")
EfficientNetV2B1 = _make("b1")
EfficientNetV2B2 = _make("b2")
EfficientNetV2B3 = _make("b3")
EfficientNetV2S = _make("s")
EfficientNetV2M = _make("m")
EfficientNetV2L = _make("l")


def preprocess_input(x, data_format=None):
    """Returns ``x`` unchanged: EfficientNetV2 models preprocess their input themselves
    (``include_preprocessing=True``)."""
    return x
