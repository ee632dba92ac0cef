"""keras.applications.resnet_v2: ResNet50V2, ResNet101V2 and ResNet152V2 (pre-activation
ResNets, He et al., 2016)."""
from ember.keras.applications import imagenet_utils
from ember.keras.applications.imagenet_utils import decode_predictions  # noqa: F401
from ember.keras.applications.resnet import ResNet, stack_residual_blocks_v2

__all__ = ["ResNet50V2", "ResNet101V2", "ResNet152V2", "preprocess_input",
           "decode_predictions"]


def _v2_stacks(depths):
    def stack_fn(x):
        x = stack_residual_blocks_v2(x, 64, depths[0], name="conv2")
        x = stack_residual_blocks_v2(x, 128, depths[1], name="conv3")
        x = stack_residual_blocks_v2(x, 256, depths[2], name="conv4")
        return stack_residual_blocks_v2(x, 512, depths[3], stride1=1, name="conv5")
    return stack_fn


def _resnet_v2(depths, name, weights_name, *args):
    include_top, weights, input_tensor, input_shape, pooling, classes, activation = args
    return ResNet(_v2_stacks(depths), True, True, name, include_top, weights, input_tensor,
                  input_shape, pooling, classes, activation, weights_name=weights_name)


def ResNet50V2(include_top=True, weights="imagenet", input_tensor=None,  # noqa: N802
               input_shape=None, pooling=None, classes=1000,
               classifier_activation="softmax", name="resnet50v2"):
    """ResNet50V2 (stacks of 3, 4, 6, 3 pre-activation blocks); inputs preprocessed with
    ``keras.applications.resnet_v2.preprocess_input`` (to [-1, 1])."""
    return _resnet_v2((3, 4, 6, 3), name, "resnet50v2", include_top, weights, input_tensor,
                      input_shape, pooling, classes, classifier_activation)


def ResNet101V2(include_top=True, weights="imagenet", input_tensor=None,  # noqa: N802
                input_shape=None, pooling=None, classes=1000,
                classifier_activation="softmax", name="resnet101v2"):
    """ResNet101V2 (stacks of 3, 4, 23, 3 pre-activation blocks)."""
    return _resnet_v2((3, 4, 23, 3), name, "resnet101v2", include_top, weights,
                      input_tensor, input_shape, pooling, classes, classifier_activation)


def ResNet152V2(include_top=True, weights="imagenet", input_tensor=None,  # noqa: N802
                input_shape=None, pooling=None, classes=1000,
                classifier_activation="softmax", name="resnet152v2"):
    """ResNet152V2 (stacks of 3, 8, 36, 3 pre-activation blocks)."""
    return _resnet_v2((3, 8, 36, 3), name, "resnet152v2", include_top, weights,
                      input_tensor, input_shape, pooling, classes, classifier_activation)


def preprocess_input(x, data_format=None):
    """ResNet v2 preprocessing: scales pixels to [-1, 1] ("tf" mode)."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")
