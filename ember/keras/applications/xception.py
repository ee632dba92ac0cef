"""keras.applications.xception: Xception (Chollet, 2017): depthwise separable
convolutions with residual connections."""
from ember.keras import backend, layers
from ember.keras.applications import _common, imagenet_utils
from ember.keras.applications.imagenet_utils import decode_predictions  # noqa: F401
from ember.keras.models.functional import Functional

__all__ = ["Xception", "preprocess_input", "decode_predictions"]

_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/xception/"
WEIGHTS_PATH = _BASE + "xception_weights_tf_dim_ordering_tf_kernels.h5"
WEIGHTS_PATH_NO_TOP = _BASE + "xception_weights_tf_dim_ordering_tf_kernels_notop.h5"
_HASHES = ("0a58e3b7378bc2990ea3b43d5981f1f6", "b0042744bf5b25fce3cb969f33bebb97")


def _axis():
    return 1 if backend.image_data_format() == "channels_first" else -1


def _sep_bn(x, filters, name):
    x = layers.SeparableConv2D(filters, (3, 3), padding="same", use_bias=False,
                               name=name)(x)
    return layers.BatchNormalization(axis=_axis(), name=name + "_bn")(x)


def _projection(x, filters):
    r = layers.Conv2D(filters, (1, 1), strides=(2, 2), padding="same", use_bias=False)(x)
    return layers.BatchNormalization(axis=_axis())(r)


def _entry_block(x, filters, block, first_activation=True):
    """Two separable convolutions and a strided max pooling, plus a 1x1 projection."""
    residual = _projection(x, filters)
    if first_activation:
        x = layers.Activation("relu", name=f"block{block}_sepconv1_act")(x)
    x = _sep_bn(x, filters, f"block{block}_sepconv1")
    x = layers.Activation("relu", name=f"block{block}_sepconv2_act")(x)
    x = _sep_bn(x, filters, f"block{block}_sepconv2")
    x = layers.MaxPooling2D((3, 3), strides=(2, 2), padding="same",
                            name=f"block{block}_pool")(x)
    return layers.add([x, residual])


def Xception(include_top=True, weights="imagenet", input_tensor=None,  # noqa: N802
             input_shape=None, pooling=None, classes=1000,
             classifier_activation="softmax", name="xception"):
    """Xception (default input 299x299, at least 71x71); inputs preprocessed with
    ``xception.preprocess_input`` (to [-1, 1])."""
    input_shape = _common.checked_input_shape(
        input_shape, include_top, weights, classes, pooling, default_size=299,
        min_size=71)
    img_input = _common.make_input(input_shape, input_tensor)
    x = layers.Conv2D(32, (3, 3), strides=(2, 2), use_bias=False,
                      name="block1_conv1")(img_input)
    x = layers.BatchNormalization(axis=_axis(), name="block1_conv1_bn")(x)
    x = layers.Activation("relu", name="block1_conv1_act")(x)
    x = layers.Conv2D(64, (3, 3), use_bias=False, name="block1_conv2")(x)
    x = layers.BatchNormalization(axis=_axis(), name="block1_conv2_bn")(x)
    x = layers.Activation("relu", name="block1_conv2_act")(x)
    x = _entry_block(x, 128, 2, first_activation=False)
    x = _entry_block(x, 256, 3)
    x = _entry_block(x, 728, 4)
    for block in range(5, 13):
        residual = x
        for i in range(1, 4):
            x = layers.Activation("relu", name=f"block{block}_sepconv{i}_act")(x)
            x = _sep_bn(x, 728, f"block{block}_sepconv{i}")
        x = layers.add([x, residual])
    residual = _projection(x, 1024)
    x = layers.Activation("relu", name="block13_sepconv1_act")(x)
    x = _sep_bn(x, 728, "block13_sepconv1")
    x = layers.Activation("relu", name="block13_sepconv2_act")(x)
    x = _sep_bn(x, 1024, "block13_sepconv2")
    x = layers.MaxPooling2D((3, 3), strides=(2, 2), padding="same", name="block13_pool")(x)
    x = layers.add([x, residual])
    for i, filters in ((1, 1536), (2, 2048)):
        x = _sep_bn(x, filters, f"block14_sepconv{i}")
        x = layers.Activation("relu", name=f"block14_sepconv{i}_act")(x)
    x = _common.classifier(x, include_top, pooling, classes, classifier_activation,
                           weights, top_pool_name="avg_pool")
    model = Functional(_common.model_inputs(img_input, input_tensor), x, name=name)
    url = WEIGHTS_PATH if include_top else WEIGHTS_PATH_NO_TOP
    imagenet_file = (url.rsplit("/", 1)[1], url, _HASHES[0 if include_top else 1])
    return _common.load_weights(model, weights, imagenet_file)


def preprocess_input(x, data_format=None):
    """Xception preprocessing: scales pixels to [-1, 1] ("tf" mode)."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")
