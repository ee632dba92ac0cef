"""keras.applications.resnet: ResNet50, ResNet101 and ResNet152 (He et al., 2015), and
the residual stacks ``resnet_v2`` shares."""
from ember.keras import layers
from ember.keras.applications import _common, imagenet_utils
from ember.keras.applications.imagenet_utils import decode_predictions  # noqa: F401
from ember.keras.models.functional import Functional

__all__ = ["ResNet50", "ResNet101", "ResNet152", "preprocess_input", "decode_predictions"]

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/resnet/"
WEIGHTS_HASHES = {   # weights name -> (with the top, without it); md5
    "resnet50": ("2cb95161c43110f7111970584f804107", "4d473c1dd8becc155b73f8504c6f6626"),
    "resnet101": ("f1aeb4b969a6efcfb50fad2f0c20cfc5", "88cf7a10940856eca736dc7b7e228a21"),
    "resnet152": ("100835be76be38e30d865e96f2aaae62", "ee4c566cf9a93f14d82f913c2dc6dd0c"),
    "resnet50v2": ("3ef43a0b657b3be2300d5770ece849e0", "fac2f116257151a9d068a22e544a4917"),
    "resnet101v2": ("6343647c601c52e1368623803854d971", "c0ed64b8031c3730f411d2eb4eea35b5"),
    "resnet152v2": ("a49b44d1979771252814e80f8ec446f9", "ed17cf2e0169df9d443503ef94b23b33"),
}
_EPS = 1.001e-5


def _bn(x, name):
    return layers.BatchNormalization(axis=_common.channel_axis(), epsilon=_EPS,
                                     name=name)(x)


def ResNet(stack_fn, preact, use_bias, model_name="resnet", include_top=True,  # noqa: N802
           weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
           classes=1000, classifier_activation="softmax", weights_name=None):
    """A ResNet: the 7x7 stem, ``stack_fn(x)``'s residual stacks and the top.
    ``preact`` makes it a pre-activation (v2) network; ``weights_name`` picks the
    ImageNet weights file."""
    input_shape = _common.checked_input_shape(
        input_shape, include_top, weights, classes, pooling, default_size=224,
        min_size=32)
    img_input = _common.make_input(input_shape, input_tensor)
    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(img_input)
    x = layers.Conv2D(64, 7, strides=2, use_bias=use_bias, name="conv1_conv")(x)
    if not preact:
        x = _bn(x, "conv1_bn")
        x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    x = stack_fn(x)
    if preact:
        x = _bn(x, "post_bn")
        x = layers.Activation("relu", name="post_relu")(x)
    x = _common.classifier(x, include_top, pooling, classes, classifier_activation,
                           weights, avg_name="avg_pool", max_name="max_pool",
                           top_pool_name="avg_pool")
    model = Functional(_common.model_inputs(img_input, input_tensor), x, name=model_name)
    imagenet_file = None
    if weights_name in WEIGHTS_HASHES:
        suffix = "" if include_top else "_notop"
        fname = f"{weights_name}_weights_tf_dim_ordering_tf_kernels{suffix}.h5"
        imagenet_file = (fname, BASE_WEIGHTS_PATH + fname,
                         WEIGHTS_HASHES[weights_name][0 if include_top else 1])
    return _common.load_weights(model, weights, imagenet_file)


def residual_block_v1(x, filters, kernel_size=3, stride=1, conv_shortcut=True, name=None):
    """A bottleneck block (1x1, kxk, 1x1 with 4x filters), added to the shortcut."""
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=name + "_0_conv")(x)
        shortcut = _bn(shortcut, name + "_0_bn")
    else:
        shortcut = x
    x = layers.Conv2D(filters, 1, strides=stride, name=name + "_1_conv")(x)
    x = _bn(x, name + "_1_bn")
    x = layers.Activation("relu", name=name + "_1_relu")(x)
    x = layers.Conv2D(filters, kernel_size, padding="same", name=name + "_2_conv")(x)
    x = _bn(x, name + "_2_bn")
    x = layers.Activation("relu", name=name + "_2_relu")(x)
    x = layers.Conv2D(4 * filters, 1, name=name + "_3_conv")(x)
    x = _bn(x, name + "_3_bn")
    x = layers.Add(name=name + "_add")([shortcut, x])
    return layers.Activation("relu", name=name + "_out")(x)


def stack_residual_blocks_v1(x, filters, blocks, stride1=2, name=None):
    """``blocks`` v1 blocks; the first has the projection shortcut and the stride."""
    x = residual_block_v1(x, filters, stride=stride1, name=name + "_block1")
    for i in range(2, blocks + 1):
        x = residual_block_v1(x, filters, conv_shortcut=False, name=f"{name}_block{i}")
    return x


def residual_block_v2(x, filters, kernel_size=3, stride=1, conv_shortcut=False, name=None):
    """A pre-activation bottleneck block; the stride is on its 3x3 convolution."""
    preact = _bn(x, name + "_preact_bn")
    preact = layers.Activation("relu", name=name + "_preact_relu")(preact)
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride,
                                 name=name + "_0_conv")(preact)
    else:
        shortcut = layers.MaxPooling2D(1, strides=stride)(x) if stride > 1 else x
    x = layers.Conv2D(filters, 1, strides=1, use_bias=False, name=name + "_1_conv")(preact)
    x = _bn(x, name + "_1_bn")
    x = layers.Activation("relu", name=name + "_1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name=name + "_2_pad")(x)
    x = layers.Conv2D(filters, kernel_size, strides=stride, use_bias=False,
                      name=name + "_2_conv")(x)
    x = _bn(x, name + "_2_bn")
    x = layers.Activation("relu", name=name + "_2_relu")(x)
    x = layers.Conv2D(4 * filters, 1, name=name + "_3_conv")(x)
    return layers.Add(name=name + "_out")([shortcut, x])


def stack_residual_blocks_v2(x, filters, blocks, stride1=2, name=None):
    """``blocks`` v2 blocks; the first projects the shortcut, the last has the stride."""
    x = residual_block_v2(x, filters, conv_shortcut=True, name=name + "_block1")
    for i in range(2, blocks):
        x = residual_block_v2(x, filters, name=f"{name}_block{i}")
    return residual_block_v2(x, filters, stride=stride1, name=f"{name}_block{blocks}")


def _v1_stacks(depths):
    def stack_fn(x):
        x = stack_residual_blocks_v1(x, 64, depths[0], stride1=1, name="conv2")
        for filters, blocks, i in zip((128, 256, 512), depths[1:], (3, 4, 5)):
            x = stack_residual_blocks_v1(x, filters, blocks, name=f"conv{i}")
        return x
    return stack_fn


def _resnet_v1(depths, name, include_top, weights, input_tensor, input_shape, pooling,
               classes, classifier_activation, weights_name):
    return ResNet(_v1_stacks(depths), False, True, name, include_top, weights,
                  input_tensor, input_shape, pooling, classes, classifier_activation,
                  weights_name=weights_name)


def ResNet50(include_top=True, weights="imagenet", input_tensor=None,  # noqa: N802
             input_shape=None, pooling=None, classes=1000,
             classifier_activation="softmax", name="resnet50"):
    """ResNet50 (stacks of 3, 4, 6, 3 bottleneck blocks); inputs preprocessed with
    ``keras.applications.resnet.preprocess_input``."""
    return _resnet_v1((3, 4, 6, 3), name, include_top, weights, input_tensor, input_shape,
                      pooling, classes, classifier_activation, "resnet50")


def ResNet101(include_top=True, weights="imagenet", input_tensor=None,  # noqa: N802
              input_shape=None, pooling=None, classes=1000,
              classifier_activation="softmax", name="resnet101"):
    """ResNet101 (stacks of 3, 4, 23, 3 bottleneck blocks)."""
    return _resnet_v1((3, 4, 23, 3), name, include_top, weights, input_tensor, input_shape,
                      pooling, classes, classifier_activation, "resnet101")


def ResNet152(include_top=True, weights="imagenet", input_tensor=None,  # noqa: N802
              input_shape=None, pooling=None, classes=1000,
              classifier_activation="softmax", name="resnet152"):
    """ResNet152 (stacks of 3, 8, 36, 3 bottleneck blocks)."""
    return _resnet_v1((3, 8, 36, 3), name, include_top, weights, input_tensor, input_shape,
                      pooling, classes, classifier_activation, "resnet152")


def preprocess_input(x, data_format=None):
    """ResNet (v1) preprocessing: RGB to BGR and the ImageNet means subtracted ("caffe")."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")
