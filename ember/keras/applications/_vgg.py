"""The VGG16/VGG19 builder shared by ``vgg16`` and ``vgg19``."""
from ember.keras import layers
from ember.keras.applications import _common, imagenet_utils
from ember.keras.models.functional import Functional

_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/"
_HASHES = {
    "vgg16": ("64373286793e3c8b2b4e3219cbf3544b", "6d6bbae143d832006294945121d1f1fc"),
    "vgg19": ("cbe5617147190e668d6c5d5026f83318", "253f8cb515780f3b799900260a226db6"),
}


def preprocess_input(x, data_format=None):
    """VGG preprocessing: RGB to BGR and the ImageNet channel means subtracted ("caffe")."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


def build_vgg(convs_per_block, name, include_top, weights, input_tensor, input_shape,
              pooling, classes, classifier_activation):
    input_shape = _common.checked_input_shape(
        input_shape, include_top, weights, classes, pooling, default_size=224,
        min_size=32)
    img_input = _common.make_input(input_shape, input_tensor)
    x = img_input
    for block, (count, filters) in enumerate(zip(convs_per_block, (64, 128, 256, 512, 512)),
                                             start=1):
        for i in range(1, count + 1):
            x = layers.Conv2D(filters, (3, 3), activation="relu", padding="same",
                              name=f"block{block}_conv{i}")(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
    x = _common.classifier(x, include_top, pooling, classes, classifier_activation,
                           weights, top_pool=None)
    model = Functional(_common.model_inputs(img_input, input_tensor), x, name=name)
    suffix = "" if include_top else "_notop"
    fname = f"{name}_weights_tf_dim_ordering_tf_kernels{suffix}.h5"
    file_hash = _HASHES.get(name, (None, None))[0 if include_top else 1]
    imagenet_file = (fname, f"{_BASE}{name}/{fname}", file_hash) if name in _HASHES else None
    return _common.load_weights(model, weights, imagenet_file)
