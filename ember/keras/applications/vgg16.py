"""keras.applications.vgg16: the VGG16 model (Simonyan & Zisserman, 2015)."""
from ember.keras.applications import _vgg
from ember.keras.applications.imagenet_utils import decode_predictions  # noqa: F401
from ember.keras.applications._vgg import preprocess_input  # noqa: F401

__all__ = ["VGG16", "preprocess_input", "decode_predictions"]


def VGG16(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,  # noqa: N802
          pooling=None, classes=1000, classifier_activation="softmax", name="vgg16"):
    """VGG16: 13 3x3 convolutions in 5 blocks, and with ``include_top`` two 4096-unit
    fully connected layers and the classifier. Inputs are preprocessed with
    ``keras.applications.vgg16.preprocess_input`` (caffe mode)."""
    return _vgg.build_vgg((2, 2, 3, 3, 3), name, include_top, weights, input_tensor,
                          input_shape, pooling, classes, classifier_activation)
