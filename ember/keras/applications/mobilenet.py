"""keras.applications.mobilenet: MobileNet (Howard et al., 2017): depthwise separable
convolutions, with the width multiplier ``alpha`` and the ``depth_multiplier``."""
import warnings

from ember.keras import backend, layers
from ember.keras.applications import _common, imagenet_utils
from ember.keras.applications.imagenet_utils import decode_predictions  # noqa: F401
from ember.keras.models.functional import Functional

__all__ = ["MobileNet", "preprocess_input", "decode_predictions"]

BASE_WEIGHT_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet/"
_SIZES = (128, 160, 192, 224)
_ALPHA_TEXT = {1.0: "1_0", 0.75: "7_5", 0.5: "5_0", 0.25: "2_5"}
# (pointwise filters, stride) of the 13 depthwise separable blocks
_BLOCKS = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1),
           (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1))


def spatial_size(input_shape):
    """(rows, cols) of an image shape in the current data format."""
    if backend.image_data_format() == "channels_first":
        return input_shape[1], input_shape[2]
    return input_shape[0], input_shape[1]


def default_size_for(input_shape, sizes):
    """The size the pretrained weights are picked for: a square ``input_shape`` of one
    of ``sizes``, else 224."""
    if input_shape is None:
        return 224
    rows, cols = spatial_size(input_shape)
    return rows if rows == cols and rows in sizes else 224


def imagenet_rows(rows, cols, sizes):
    """The input size whose ImageNet weights are loaded (224 with a warning when the
    model's size has none)."""
    if rows != cols or rows not in sizes:
        warnings.warn(f"`input_shape` is undefined or non-square, or `rows` is not in "
                      f"[{', '.join(str(s) for s in sizes)}]. Weights for input shape "
                      f"(224, 224) will be loaded as the default.", stacklevel=3)
        return 224
    return rows


def _conv_block(x, filters, alpha, strides):
    axis = _common.channel_axis()
    x = layers.Conv2D(int(filters * alpha), (3, 3), padding="same", use_bias=False,
                      strides=strides, name="conv1")(x)
    x = layers.BatchNormalization(axis=axis, name="conv1_bn")(x)
    return layers.ReLU(6.0, name="conv1_relu")(x)


def _separable_block(x, filters, alpha, depth_multiplier, strides, block_id):
    axis = _common.channel_axis()
    if strides != 1:
        x = layers.ZeroPadding2D(((0, 1), (0, 1)), name=f"conv_pad_{block_id}")(x)
    x = layers.DepthwiseConv2D((3, 3), padding="same" if strides == 1 else "valid",
                               depth_multiplier=depth_multiplier, strides=strides,
                               use_bias=False, name=f"conv_dw_{block_id}")(x)
    x = layers.BatchNormalization(axis=axis, name=f"conv_dw_{block_id}_bn")(x)
    x = layers.ReLU(6.0, name=f"conv_dw_{block_id}_relu")(x)
    x = layers.Conv2D(int(filters * alpha), (1, 1), padding="same", use_bias=False,
                      strides=(1, 1), name=f"conv_pw_{block_id}")(x)
    x = layers.BatchNormalization(axis=axis, name=f"conv_pw_{block_id}_bn")(x)
    return layers.ReLU(6.0, name=f"conv_pw_{block_id}_relu")(x)


def MobileNet(input_shape=None, alpha=1.0, depth_multiplier=1, dropout=1e-3,  # noqa: N802
              include_top=True, weights="imagenet", input_tensor=None, pooling=None,
              classes=1000, classifier_activation="softmax", name=None):
    """MobileNet. ``alpha`` scales every layer's filters (ImageNet weights: 0.25, 0.5,
    0.75, 1.0), ``depth_multiplier`` the depthwise convolutions' channels (1 for ImageNet
    weights). Inputs are preprocessed with ``mobilenet.preprocess_input`` (to [-1, 1])."""
    input_shape = _common.checked_input_shape(
        input_shape, include_top, weights, classes, pooling,
        default_size=default_size_for(input_shape, _SIZES), min_size=32)
    rows, cols = spatial_size(input_shape)
    if weights == "imagenet":
        if depth_multiplier != 1:
            raise ValueError(f"If imagenet weights are being loaded, depth multiplier must "
                             f"be 1.  Received depth_multiplier={depth_multiplier}")
        if alpha not in _ALPHA_TEXT:
            raise ValueError(f"If imagenet weights are being loaded, alpha can be one of "
                             f"`0.25`, `0.50`, `0.75` or `1.0` only.  Received "
                             f"alpha={alpha}")
        rows = imagenet_rows(rows, cols, _SIZES)
    img_input = _common.make_input(input_shape, input_tensor)
    x = _conv_block(img_input, 32, alpha, strides=(2, 2))
    for block_id, (filters, stride) in enumerate(_BLOCKS, start=1):
        x = _separable_block(x, filters, alpha, depth_multiplier, stride, block_id)
    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Dropout(dropout, name="dropout")(x)
        x = layers.Conv2D(classes, (1, 1), padding="same", name="conv_preds")(x)
        x = layers.Reshape((classes,), name="reshape_2")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Activation(classifier_activation, name="predictions")(x)
    else:
        x = _common.classifier(x, False, pooling, classes, None, weights)
    if name is None:
        name = f"mobilenet_{alpha:0.2f}_{rows}"
    model = Functional(_common.model_inputs(img_input, input_tensor), x, name=name)
    imagenet_file = None
    if weights == "imagenet":
        fname = f"mobilenet_{_ALPHA_TEXT[alpha]}_{rows}_tf{'' if include_top else '_no_top'}.h5"
        imagenet_file = (fname, BASE_WEIGHT_PATH + fname, None)
    return _common.load_weights(model, weights, imagenet_file)


def preprocess_input(x, data_format=None):
    """MobileNet preprocessing: scales pixels to [-1, 1] ("tf" mode)."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")
