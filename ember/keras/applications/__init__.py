"""keras.applications: the Keras pretrained-model architectures on ember's layers.

Each model is a functional ``keras.Model`` with Keras's layer names, layer order and
weight shapes, so weight files written by Keras (``.h5`` / ``.weights.h5`` / ``.keras``)
load into it. ``weights="imagenet"`` downloads Keras's published file into
``~/.keras/models`` through ``keras.utils.get_file`` (or uses the copy already there).

    >>> from ember.keras.applications import MobileNetV2
    >>> base = MobileNetV2(include_top=False, weights=None, input_shape=(96, 96, 3))

The families live in submodules, as in Keras (``keras.applications.resnet50``, ...), each
with its ``preprocess_input`` and ``decode_predictions``; they load on first use.
"""
import importlib

# model name -> the submodule that defines it
_MODELS = {
    "VGG16": "vgg16", "VGG19": "vgg19",
    "ResNet50": "resnet", "ResNet101": "resnet", "ResNet152": "resnet",
    "ResNet50V2": "resnet_v2", "ResNet101V2": "resnet_v2", "ResNet152V2": "resnet_v2",
    "MobileNet": "mobilenet", "MobileNetV2": "mobilenet_v2",
    "MobileNetV3Small": "mobilenet_v3", "MobileNetV3Large": "mobilenet_v3",
    "DenseNet121": "densenet", "DenseNet169": "densenet", "DenseNet201": "densenet",
    "InceptionV3": "inception_v3", "Xception": "xception",
    "InceptionResNetV2": "inception_resnet_v2",
    "NASNetMobile": "nasnet", "NASNetLarge": "nasnet",
    **{f"EfficientNetB{i}": "efficientnet" for i in range(8)},
    **{f"EfficientNetV2{v}": "efficientnet_v2"
       for v in ("B0", "B1", "B2", "B3", "S", "M", "L")},
    **{f"ConvNeXt{v}": "convnext" for v in ("Tiny", "Small", "Base", "Large", "XLarge")},
}
_SUBMODULES = ("imagenet_utils", "vgg16", "vgg19", "resnet", "resnet50", "resnet_v2",
               "mobilenet", "mobilenet_v2", "mobilenet_v3", "densenet", "inception_v3",
               "xception", "inception_resnet_v2", "nasnet", "efficientnet",
               "efficientnet_v2", "convnext")

__all__ = sorted(_MODELS) + list(_SUBMODULES)


def __getattr__(name):
    if name in _MODELS:
        value = getattr(importlib.import_module(f"{__name__}.{_MODELS[name]}"), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module 'keras.applications' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
