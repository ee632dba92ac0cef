"""keras.applications.mobilenet_v3: MobileNetV3Small and MobileNetV3Large (Howard et
al., 2019): inverted residuals with squeeze-and-excitation and hard-swish; the
"minimalistic" variants use 3x3 kernels, ReLU and no squeeze-and-excitation. The input
rescaling to [-1, 1] is part of the model (``include_preprocessing=True``)."""
import warnings

from ember.keras import backend, layers
from ember.keras.applications import _common, imagenet_utils
from ember.keras.applications.imagenet_utils import decode_predictions  # noqa: F401
from ember.keras.applications.mobilenet import spatial_size
from ember.keras.applications.mobilenet_v2 import make_divisible as _depth
from ember.keras.keras_tensor import is_keras_tensor
from ember.keras.models.functional import Functional

__all__ = ["MobileNetV3Small", "MobileNetV3Large", "preprocess_input",
           "decode_predictions"]

BASE_WEIGHT_PATH = ("https://storage.googleapis.com/tensorflow/keras-applications/"
                    "mobilenet_v3/")
WEIGHTS_HASHES = {   # (with the top, without it); md5
    "large_224_0.75_float": ("765b44a33ad4005b3ac83185abf1d0eb",
                             "40af19a13ebea4e2ee0c676887f69a2e"),
    "large_224_1.0_float": ("59e551e166be033d707958cf9e29a6a7",
                            "07fb09a5933dd0c8eaafa16978110389"),
    "large_minimalistic_224_1.0_float": ("675e7b876c45c57e9e63e6d90a36599c",
                                         "ec5221f64a2f6d1ef965a614bdae7973"),
    "small_224_0.75_float": ("cb65d4e5be93758266aa0a7f2c6708b7",
                             "ebdb5cc8e0b497cd13a7c275d475c819"),
    "small_224_1.0_float": ("8768d4c2e7dee89b9d02b2d03d65d862",
                            "d3e8ec802a04aa4fc771ee12a9a9b836"),
    "small_minimalistic_224_1.0_float": ("99cd97fb2fcdad2bf028eb838de69e37",
                                         "cde8136e733e811080d9fcd8a252f7e4"),
}

# Blocks: (expansion, filters, kernel ("k": the model's kernel), stride, squeeze-excite,
# activation ("relu" or "act": the model's activation)).
_SMALL = ((1, 16, 3, 2, True, "relu"), (72.0 / 16, 24, 3, 2, False, "relu"),
          (88.0 / 24, 24, 3, 1, False, "relu"), (4, 40, "k", 2, True, "act"),
          (6, 40, "k", 1, True, "act"), (6, 40, "k", 1, True, "act"),
          (3, 48, "k", 1, True, "act"), (3, 48, "k", 1, True, "act"),
          (6, 96, "k", 2, True, "act"), (6, 96, "k", 1, True, "act"),
          (6, 96, "k", 1, True, "act"))
_LARGE = ((1, 16, 3, 1, False, "relu"), (4, 24, 3, 2, False, "relu"),
          (3, 24, 3, 1, False, "relu"), (3, 40, "k", 2, True, "relu"),
          (3, 40, "k", 1, True, "relu"), (3, 40, "k", 1, True, "relu"),
          (6, 80, 3, 2, False, "act"), (2.5, 80, 3, 1, False, "act"),
          (2.3, 80, 3, 1, False, "act"), (2.3, 80, 3, 1, False, "act"),
          (6, 112, 3, 1, True, "act"), (6, 112, 3, 1, True, "act"),
          (6, 160, "k", 2, True, "act"), (6, 160, "k", 1, True, "act"),
          (6, 160, "k", 1, True, "act"))


def _relu(x):
    return layers.ReLU()(x)


def _hard_sigmoid(x):
    return layers.ReLU(6.0)(x + 3.0) * (1.0 / 6.0)


def _hard_swish(x):
    return layers.Activation("hard_swish")(x)


def _bn(x, name):
    return layers.BatchNormalization(axis=_common.channel_axis(), epsilon=1e-3,
                                     momentum=0.999, name=name)(x)


def _squeeze_excite(inputs, filters, se_ratio, prefix):
    x = layers.GlobalAveragePooling2D(keepdims=True,
                                      name=prefix + "squeeze_excite_avg_pool")(inputs)
    x = layers.Conv2D(_depth(filters * se_ratio), kernel_size=1, padding="same",
                      name=prefix + "squeeze_excite_conv")(x)
    x = layers.ReLU(name=prefix + "squeeze_excite_relu")(x)
    x = layers.Conv2D(filters, kernel_size=1, padding="same",
                      name=prefix + "squeeze_excite_conv_1")(x)
    x = _hard_sigmoid(x)
    return layers.Multiply(name=prefix + "squeeze_excite_mul")([inputs, x])


def _inverted_residual(x, expansion, filters, kernel_size, stride, se_ratio, activation,
                       block_id):
    shortcut = x
    in_filters = x.shape[_common.channel_axis()]
    prefix = f"expanded_conv_{block_id}_" if block_id else "expanded_conv_"
    if block_id:
        x = layers.Conv2D(_depth(in_filters * expansion), kernel_size=1, padding="same",
                          use_bias=False, name=prefix + "expand")(x)
        x = _bn(x, prefix + "expand_bn")
        x = activation(x)
    if stride == 2:
        x = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(x, kernel_size),
                                 name=prefix + "depthwise_pad")(x)
    x = layers.DepthwiseConv2D(kernel_size, strides=stride,
                               padding="same" if stride == 1 else "valid", use_bias=False,
                               name=prefix + "depthwise")(x)
    x = _bn(x, prefix + "depthwise_bn")
    x = activation(x)
    if se_ratio:
        x = _squeeze_excite(x, _depth(in_filters * expansion), se_ratio, prefix)
    x = layers.Conv2D(filters, kernel_size=1, padding="same", use_bias=False,
                      name=prefix + "project")(x)
    x = _bn(x, prefix + "project_bn")
    if stride == 1 and in_filters == filters:
        x = layers.Add(name=prefix + "add")([shortcut, x])
    return x


def _input_shape(input_shape, input_tensor):
    if input_shape is not None and input_tensor is not None:
        if not is_keras_tensor(input_tensor):
            raise ValueError(f"input_tensor specified: {input_tensor!r} is not a keras "
                             f"tensor")
        axis = 1 if backend.image_data_format() == "channels_first" else 2
        if input_tensor.shape[axis] != input_shape[1]:
            raise ValueError(f"input_shape[1] must equal input_tensor.shape[{axis}].  "
                             f"Received input_shape={input_shape}, "
                             f"input_tensor.shape={input_tensor.shape}")
    if input_shape is None and input_tensor is not None and is_keras_tensor(input_tensor):
        if backend.image_data_format() == "channels_first":
            input_shape = (3, input_tensor.shape[3], input_tensor.shape[2])
        else:
            input_shape = (input_tensor.shape[2], input_tensor.shape[1], 3)
    if input_shape is None:
        input_shape = ((None, None, 3) if backend.image_data_format() == "channels_last"
                       else (3, None, None))
    return tuple(input_shape)


def MobileNetV3(blocks, last_point_ch, input_shape=None, alpha=1.0,  # noqa: N802
                model_type="large", minimalistic=False, include_top=True,
                weights="imagenet", input_tensor=None, classes=1000, pooling=None,
                dropout_rate=0.2, classifier_activation="softmax",
                include_preprocessing=True, name=None):
    """The MobileNetV3 network of the block table ``blocks``."""
    _common.check_weights(weights, include_top, classes)
    _common.check_pooling(pooling)
    input_shape = _input_shape(input_shape, input_tensor)
    rows, cols = spatial_size(input_shape)
    if rows and cols and (rows < 32 or cols < 32):
        raise ValueError(f"Input size must be at least 32x32; Received "
                         f"`input_shape={input_shape}`")
    if weights == "imagenet":
        if (not minimalistic and alpha not in (0.75, 1.0)) or (minimalistic
                                                                 and alpha != 1.0):
            raise ValueError("If imagenet weights are being loaded, alpha can be one of "
                             "`0.75`, `1.0` for non minimalistic or `1.0` for "
                             "minimalistic only.")
        if rows != cols or rows != 224:
            warnings.warn("`input_shape` is undefined or non-square, or `rows` is not "
                          "224. Weights for input shape (224, 224) will be loaded as the "
                          "default.", stacklevel=3)
    img_input = _common.make_input(input_shape, input_tensor)
    if minimalistic:
        kernel, activation, se_ratio = 3, _relu, None
    else:
        kernel, activation, se_ratio = 5, _hard_swish, 0.25
    x = img_input
    if include_preprocessing:
        x = layers.Rescaling(scale=1.0 / 127.5, offset=-1.0)(x)
    x = layers.Conv2D(16, kernel_size=3, strides=(2, 2), padding="same", use_bias=False,
                      name="conv")(x)
    x = _bn(x, "conv_bn")
    x = activation(x)
    for block_id, (expansion, filters, k, stride, se, act) in enumerate(blocks):
        x = _inverted_residual(x, expansion, _depth(filters * alpha),
                               kernel if k == "k" else k, stride,
                               se_ratio if se else None,
                               _relu if act == "relu" else activation, block_id)
    last_conv_ch = _depth(x.shape[_common.channel_axis()] * 6)
    if alpha > 1.0:
        last_point_ch = _depth(last_point_ch * alpha)
    x = layers.Conv2D(last_conv_ch, kernel_size=1, padding="same", use_bias=False,
                      name="conv_1")(x)
    x = _bn(x, "conv_1_bn")
    x = activation(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Conv2D(last_point_ch, kernel_size=1, padding="same", use_bias=True,
                          name="conv_2")(x)
        x = activation(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate)(x)
        x = layers.Conv2D(classes, kernel_size=1, padding="same", name="logits")(x)
        x = layers.Flatten()(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Activation(activation=classifier_activation, name="predictions")(x)
    else:
        x = _common.classifier(x, False, pooling, classes, None, weights,
                               avg_name="avg_pool", max_name="max_pool")
    model = Functional(_common.model_inputs(img_input, input_tensor), x, name=name)
    imagenet_file = None
    if weights == "imagenet":
        key = f"{model_type}{'_minimalistic' if minimalistic else ''}_224_{alpha}_float"
        fname = f"weights_mobilenet_v3_{key}{'' if include_top else '_no_top_v2'}.h5"
        imagenet_file = (fname, BASE_WEIGHT_PATH + fname,
                         WEIGHTS_HASHES[key][0 if include_top else 1])
    return _common.load_weights(model, weights, imagenet_file)


def MobileNetV3Small(input_shape=None, alpha=1.0, minimalistic=False,  # noqa: N802
                     include_top=True, weights="imagenet", input_tensor=None,
                     classes=1000, pooling=None, dropout_rate=0.2,
                     classifier_activation="softmax", include_preprocessing=True,
                     name="MobileNetV3Small"):
    """MobileNetV3Small (ImageNet weights: alpha 0.75 or 1.0; minimalistic: 1.0)."""
    return MobileNetV3(_SMALL, 1024, input_shape, alpha, "small", minimalistic,
                       include_top, weights, input_tensor, classes, pooling, dropout_rate,
                       classifier_activation, include_preprocessing, name=name)


def MobileNetV3Large(input_shape=None, alpha=1.0, minimalistic=False,  # noqa: N802
                     include_top=True, weights="imagenet", input_tensor=None,
                     classes=1000, pooling=None, dropout_rate=0.2,
                     classifier_activation="softmax", include_preprocessing=True,
                     name="MobileNetV3Large"):
    """MobileNetV3Large (ImageNet weights: alpha 0.75 or 1.0; minimalistic: 1.0)."""
    return MobileNetV3(_LARGE, 1280, input_shape, alpha, "large", minimalistic,
                       include_top, weights, input_tensor, classes, pooling, dropout_rate,
                       classifier_activation, include_preprocessing, name=name)


def preprocess_input(x, data_format=None):
    """Returns ``x`` unchanged: MobileNetV3 models rescale their input themselves
    (``include_preprocessing=True``), so images go in with values in [0, 255]."""
    return x
