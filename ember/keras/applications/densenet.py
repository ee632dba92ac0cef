"""keras.applications.densenet: DenseNet121, DenseNet169 and DenseNet201 (Huang et al.,
2017): dense blocks of concatenated 1x1-3x3 convolutions joined by transition layers."""
from ember.keras import backend, layers
from ember.keras.applications import _common, imagenet_utils
from ember.keras.applications.imagenet_utils import decode_predictions  # noqa: F401
from ember.keras.models.functional import Functional

__all__ = ["DenseNet121", "DenseNet169", "DenseNet201", "preprocess_input",
           "decode_predictions"]

BASE_WEIGHTS_PATH = ("https://storage.googleapis.com/tensorflow/keras-applications/"
                     "densenet/")
WEIGHTS_HASHES = {   # blocks -> (weights name, hash with the top, hash without it); md5
    (6, 12, 24, 16): ("densenet121", "9d60b8095a5708f2dcce2bca79d332c7",
                      "30ee3e1110167f948a6b9946edeeb738"),
    (6, 12, 32, 32): ("densenet169", "d699b8f76981ab1b30698df4c175e90b",
                      "b8c4d4c20dd625c148057b9ff1c1176b"),
    (6, 12, 48, 32): ("densenet201", "1ceb130c1ea1b78c3bf6114dbdfd8807",
                      "c13680b51ded0fb44dff2d8f86ac8bb1"),
}
_EPS = 1.001e-5


def _bn_relu(x, name):
    axis = 3 if backend.image_data_format() == "channels_last" else 1
    x = layers.BatchNormalization(axis=axis, epsilon=_EPS, name=name + "_bn")(x)
    return layers.Activation("relu", name=name + "_relu")(x)


def conv_block(x, growth_rate, name):
    """One dense layer: BN-ReLU-1x1 (4 x growth) and BN-ReLU-3x3 (growth), concatenated
    to its input."""
    axis = 3 if backend.image_data_format() == "channels_last" else 1
    y = _bn_relu(x, name + "_0")
    y = layers.Conv2D(4 * growth_rate, 1, use_bias=False, name=name + "_1_conv")(y)
    y = _bn_relu(y, name + "_1")
    y = layers.Conv2D(growth_rate, 3, padding="same", use_bias=False,
                      name=name + "_2_conv")(y)
    return layers.Concatenate(axis=axis, name=name + "_concat")([x, y])


def dense_block(x, blocks, name):
    for i in range(1, blocks + 1):
        x = conv_block(x, 32, name=f"{name}_block{i}")
    return x


def transition_block(x, reduction, name):
    """BN-ReLU, a 1x1 convolution to ``reduction`` of the channels, 2x2 average pooling."""
    axis = 3 if backend.image_data_format() == "channels_last" else 1
    x = _bn_relu(x, name)
    x = layers.Conv2D(int(x.shape[axis] * reduction), 1, use_bias=False,
                      name=name + "_conv")(x)
    return layers.AveragePooling2D(2, strides=2, name=name + "_pool")(x)


def DenseNet(blocks, include_top=True, weights="imagenet", input_tensor=None,  # noqa: N802
             input_shape=None, pooling=None, classes=1000,
             classifier_activation="softmax", name="densenet"):
    """A DenseNet with ``blocks`` dense layers in its four dense blocks."""
    input_shape = _common.checked_input_shape(
        input_shape, include_top, weights, classes, pooling, default_size=224,
        min_size=32)
    img_input = _common.make_input(input_shape, input_tensor)
    axis = 3 if backend.image_data_format() == "channels_last" else 1
    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)))(img_input)
    x = layers.Conv2D(64, 7, strides=2, use_bias=False, name="conv1_conv")(x)
    x = layers.BatchNormalization(axis=axis, epsilon=_EPS, name="conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)))(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    for i, count in enumerate(blocks):
        x = dense_block(x, count, name=f"conv{i + 2}")
        if i < 3:
            x = transition_block(x, 0.5, name=f"pool{i + 2}")
    x = layers.BatchNormalization(axis=axis, epsilon=_EPS, name="bn")(x)
    x = layers.Activation("relu", name="relu")(x)
    x = _common.classifier(x, include_top, pooling, classes, classifier_activation,
                           weights, avg_name="avg_pool", max_name="max_pool",
                           top_pool_name="avg_pool")
    model = Functional(_common.model_inputs(img_input, input_tensor), x, name=name)
    imagenet_file = None
    known = WEIGHTS_HASHES.get(tuple(blocks))
    if weights == "imagenet" and known is None:
        raise ValueError("weights_path undefined")
    if known is not None:
        wname, top_hash, notop_hash = known
        fname = (f"{wname}_weights_tf_dim_ordering_tf_kernels"
                 f"{'' if include_top else '_notop'}.h5")
        imagenet_file = (fname, BASE_WEIGHTS_PATH + fname,
                         top_hash if include_top else notop_hash)
    return _common.load_weights(model, weights, imagenet_file)


def DenseNet121(include_top=True, weights="imagenet", input_tensor=None,  # noqa: N802
                input_shape=None, pooling=None, classes=1000,
                classifier_activation="softmax", name="densenet121"):
    """DenseNet121 (dense blocks of 6, 12, 24, 16 layers); inputs preprocessed with
    ``densenet.preprocess_input`` ("torch" mode)."""
    return DenseNet([6, 12, 24, 16], include_top, weights, input_tensor, input_shape,
                    pooling, classes, classifier_activation, name=name)


def DenseNet169(include_top=True, weights="imagenet", input_tensor=None,  # noqa: N802
                input_shape=None, pooling=None, classes=1000,
                classifier_activation="softmax", name="densenet169"):
    """DenseNet169 (dense blocks of 6, 12, 32, 32 layers)."""
    return DenseNet([6, 12, 32, 32], include_top, weights, input_tensor, input_shape,
                    pooling, classes, classifier_activation, name=name)


def DenseNet201(include_top=True, weights="imagenet", input_tensor=None,  # noqa: N802
                input_shape=None, pooling=None, classes=1000,
                classifier_activation="softmax", name="densenet201"):
    """DenseNet201 (dense blocks of 6, 12, 48, 32 layers)."""
    return DenseNet([6, 12, 48, 32], include_top, weights, input_tensor, input_shape,
                    pooling, classes, classifier_activation, name=name)


def preprocess_input(x, data_format=None):
    """DenseNet preprocessing: scaled to [0, 1] and normalized with the ImageNet mean and
    standard deviation ("torch" mode)."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="torch")
