"""What every keras.applications model builder shares: the argument checks, the input, the
classification head, the model and its weights (``weights="imagenet"`` through
``keras.utils.get_file`` with Keras's URL, file name and hash, or a local file)."""
import os

from ember.keras import backend, layers
from ember.keras.applications import imagenet_utils
from ember.keras.keras_tensor import is_keras_tensor


def check_weights(weights, include_top, classes, imagenet_classes=1000):
    """Keras's checks of ``weights`` and ``classes``."""
    if not (weights in ("imagenet", None) or (isinstance(weights, (str, os.PathLike))
                                               and os.path.exists(weights))):
        raise ValueError("The `weights` argument should be either `None` (random "
                         "initialization), 'imagenet' (pre-training on ImageNet), or the "
                         "path to the weights file to be loaded.  Received: "
                         f"weights={weights}")
    if weights == "imagenet" and include_top and classes != imagenet_classes:
        raise ValueError(f"If using `weights='imagenet'` with `include_top=True`, "
                         f"`classes` should be {imagenet_classes}.  Received "
                         f"classes={classes}")


def check_pooling(pooling):
    if pooling not in (None, "avg", "max"):
        raise ValueError(f"The `pooling` argument should be one of None, 'avg' or 'max'. "
                         f"Received: pooling={pooling!r}")


def input_shape_for(input_shape, include_top, weights, default_size, min_size):
    """The model's input shape from the user's (``imagenet_utils.obtain_input_shape`` in
    the current image data format)."""
    return imagenet_utils.obtain_input_shape(
        input_shape, default_size=default_size, min_size=min_size,
        data_format=backend.image_data_format(), require_flatten=include_top,
        weights=weights)


def checked_input_shape(input_shape, include_top, weights, classes, pooling, default_size,
                        min_size):
    """Keras's argument checks, then the model's input shape (``input_shape_for``)."""
    check_weights(weights, include_top, classes)
    check_pooling(pooling)
    return input_shape_for(input_shape, include_top, weights, default_size, min_size)


def make_input(input_shape, input_tensor):
    """The model's input: a new ``keras.Input`` or the given KerasTensor."""
    if input_tensor is None:
        return layers.Input(shape=input_shape)
    if not is_keras_tensor(input_tensor):
        raise ValueError(f"The `input_tensor` argument must be a KerasTensor (the output "
                         f"of `keras.Input` or of a Keras layer). Received: "
                         f"input_tensor={input_tensor!r} of type "
                         f"{type(input_tensor).__name__}")
    return input_tensor


def model_inputs(img_input, input_tensor):
    """The inputs of the functional model: the source inputs of a given input tensor."""
    if input_tensor is None:
        return img_input
    from ember.keras.utils import get_source_inputs
    return get_source_inputs(input_tensor)


def channel_axis():
    return 1 if backend.image_data_format() == "channels_first" else -1


def classifier(x, include_top, pooling, classes, classifier_activation, weights,
               avg_name=None, max_name=None, dropout=None, top_pool="avg",
               top_pool_name=None):
    """The top: global average pooling (``top_pool="avg"``; None: none) and the
    ``predictions`` Dense with ``include_top``, else the optional global ``pooling``.
    ``*_name`` name the pooling layers where Keras names them."""
    if include_top:
        if top_pool == "avg":
            x = layers.GlobalAveragePooling2D(name=top_pool_name)(x)
        if dropout:
            x = layers.Dropout(dropout, name="top_dropout")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        return layers.Dense(classes, activation=classifier_activation,
                            name="predictions")(x)
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name=avg_name)(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name=max_name)(x)
    return x


def fetch(fname, origin, file_hash, what="pretrained weights"):
    """``keras.utils.get_file`` into ``~/.keras/models``; a failed download becomes an
    error naming the URL and what to do without a network."""
    from ember.keras.utils import get_file
    try:
        return get_file(fname, origin, cache_subdir="models", file_hash=file_hash)
    except ValueError:
        raise
    except Exception as e:
        raise OSError(
            f"Could not download {what} ({fname}) from {origin}: {e}\nWithout network "
            f"access, download that file elsewhere and either place it in the Keras cache "
            f"(~/.keras/models/{fname}) or pass its local path as `weights=`.") from e


def load_weights(model, weights, imagenet_file=None):
    """Loads ``weights`` into ``model``: "imagenet" fetches ``imagenet_file``
    (``(file name, URL, hash)``), a path is loaded as it is, None leaves the model as
    initialized."""
    if weights == "imagenet":
        if imagenet_file is None:
            raise ValueError(f"{model.name}: no ImageNet weights exist for this "
                             f"configuration; pass weights=None or a weights file path.")
        fname, origin, file_hash = imagenet_file
        model.load_weights(fetch(fname, origin, file_hash))
    elif weights is not None:
        model.load_weights(weights)
    return model
