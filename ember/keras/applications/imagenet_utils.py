"""keras.applications.imagenet_utils: ImageNet input preprocessing (the "caffe", "tf" and
"torch" modes), ``decode_predictions`` and the argument checks the applications share.

    >>> x = imagenet_utils.preprocess_input(images, mode="tf")   # to [-1, 1]
    >>> imagenet_utils.decode_predictions(probs, top=3)           # doctest: +SKIP
"""
import json
import warnings

import numpy as np

from ember.keras import activations, backend

__all__ = ["preprocess_input", "decode_predictions", "obtain_input_shape",
           "validate_activation", "PREPROCESS_INPUT_DOC", "PREPROCESS_INPUT_RET_DOC_TF",
           "PREPROCESS_INPUT_RET_DOC_TORCH", "PREPROCESS_INPUT_RET_DOC_CAFFE"]

CLASS_INDEX_PATH = ("https://storage.googleapis.com/download.tensorflow.org/"
                    "data/imagenet_class_index.json")
CLASS_INDEX_HASH = "c2c37ea517e94d9795004a39431a14cb"
_CLASS_INDEX = None

_CAFFE_MEAN = (103.939, 116.779, 123.68)        # B, G, R
_TORCH_MEAN = (0.485, 0.456, 0.406)
_TORCH_STD = (0.229, 0.224, 0.225)
_MODES = ("caffe", "tf", "torch")

PREPROCESS_INPUT_DOC = """Preprocesses a tensor or NumPy array encoding a batch of images.

    Args:
        x: a floating point NumPy array or tensor of images with 3 color channels and
            values in [0, 255]; a NumPy array of floats is preprocessed in place.
        data_format: "channels_last" or "channels_first" (default: the Keras image data
            format).
        mode: {mode}

    Returns:
        The preprocessed images, {ret}
"""
PREPROCESS_INPUT_MODE_DOC = """"caffe" (RGB to BGR, then subtract the ImageNet mean of each
            channel, no scaling), "tf" (scale to [-1, 1]) or "torch" (scale to [0, 1], then
            subtract the ImageNet mean and divide by its standard deviation per channel)."""
PREPROCESS_INPUT_RET_DOC_TF = "scaled to [-1, 1] sample-wise."
PREPROCESS_INPUT_RET_DOC_TORCH = ("scaled to [0, 1], then normalized with the ImageNet mean "
                                  "and standard deviation per channel.")
PREPROCESS_INPUT_RET_DOC_CAFFE = ("converted from RGB to BGR, then zero-centered per channel "
                                  "with the ImageNet mean, without scaling.")
PREPROCESS_INPUT_DEFAULT_ERROR_DOC = ""


def _check_format(data_format):
    if data_format is None:
        data_format = backend.image_data_format()
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError(f"preprocess_input: expected data_format to be 'channels_first' "
                         f"or 'channels_last'; received data_format={data_format!r}")
    return data_format


def preprocess_input(x, data_format=None, mode="caffe"):
    """Preprocesses ImageNet images for a model trained with ``mode`` ("caffe", "tf" or
    "torch"); see ``PREPROCESS_INPUT_DOC``. A NumPy array of floats is changed in place
    (pass ``np.copy(x)`` to keep it), as in Keras."""
    if mode not in _MODES:
        raise ValueError(f"Expected mode to be one of `caffe`, `tf` or `torch`. "
                         f"Received: mode={mode}")
    data_format = _check_format(data_format)
    if isinstance(x, np.ndarray):
        return _preprocess_numpy(x, data_format, mode)
    return _preprocess_tensor(x, data_format, mode)


def _channel_shape(ndim, data_format):
    """The broadcast shape of a per-channel vector for an image batch of rank ``ndim``."""
    return (3,) if data_format == "channels_last" else (3, 1, 1)


def _preprocess_numpy(x, data_format, mode):
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(backend.floatx(), copy=False)
    if mode == "tf":
        x /= 127.5
        x -= 1.0
        return x
    if mode == "torch":
        x /= 255.0
        mean, std = _TORCH_MEAN, _TORCH_STD
    else:
        # RGB -> BGR as a view of the input, which the subtraction below then changes
        # in place (the input ends up preprocessed, its channels in the original order)
        x = _flip_channels_numpy(x, data_format)
        mean, std = _CAFFE_MEAN, None
    shape = _channel_shape(x.ndim, data_format)
    x -= np.asarray(mean, x.dtype).reshape(shape)
    if std is not None:
        x /= np.asarray(std, x.dtype).reshape(shape)
    return x


def _flip_channels_numpy(x, data_format):
    if data_format == "channels_last":
        return x[..., ::-1]
    if x.ndim == 3:
        return x[::-1, ...]
    return x[:, ::-1, ...]


def _preprocess_tensor(x, data_format, mode):
    from ember.keras import ops
    x = ops.convert_to_tensor(x)
    if not x.dtype.is_floating:
        x = ops.cast(x, backend.floatx())
    if mode == "tf":
        return x / 127.5 - 1.0
    if mode == "torch":
        x = x / 255.0
        mean, std = _TORCH_MEAN, _TORCH_STD
    else:
        axis = -1 if data_format == "channels_last" else (0 if len(x.shape) == 3 else 1)
        x = ops.flip(x, axis=axis)
        mean, std = _CAFFE_MEAN, None
    shape = _channel_shape(len(x.shape), data_format)
    x = x - ops.reshape(ops.convert_to_tensor(np.asarray(mean), dtype=x.dtype), shape)
    if std is not None:
        x = x / ops.reshape(ops.convert_to_tensor(np.asarray(std), dtype=x.dtype), shape)
    return x


def _class_index():
    global _CLASS_INDEX
    if _CLASS_INDEX is None:
        from ember.keras.applications._common import fetch
        path = fetch("imagenet_class_index.json", CLASS_INDEX_PATH, CLASS_INDEX_HASH,
                     what="the ImageNet class index for decode_predictions")
        with open(path) as f:
            _CLASS_INDEX = json.load(f)
    return _CLASS_INDEX


def decode_predictions(preds, top=5):
    """Decodes ImageNet predictions ``(samples, 1000)`` into, for each sample, a list of
    ``top`` tuples ``(class_name, class_description, score)`` by decreasing score.

    The class index is the Keras file ``imagenet_class_index.json`` (downloaded into
    ``~/.keras/models`` on first use)."""
    from ember.keras import ops
    preds = ops.convert_to_numpy(preds)
    if preds.ndim != 2 or preds.shape[1] != 1000:
        raise ValueError("`decode_predictions` expects a batch of predictions (i.e. a 2D "
                         "array of shape (samples, 1000)). Received array with shape: "
                         f"{preds.shape}")
    index = _class_index()
    results = []
    for pred in preds:
        order = np.argsort(pred)[-top:][::-1]
        result = [tuple(index[str(i)]) + (pred[i],) for i in order]
        results.append(result)
    return results


def obtain_input_shape(input_shape, default_size, min_size, data_format, require_flatten,
                       weights=None):
    """The input shape of an application model: checks a user's ``input_shape`` against
    the model's minimum size and the pretrained weights' needs, or builds the default
    ``(default_size, default_size, 3)`` (channels_first: channels first)."""
    last = data_format != "channels_first"
    if weights != "imagenet" and input_shape and len(input_shape) == 3:
        channels = input_shape[-1] if last else input_shape[0]
        if channels not in (1, 3):
            warnings.warn(f"This model usually expects 1 or 3 input channels. However, it "
                          f"was passed an input_shape with {channels} input channels.",
                          stacklevel=3)
        default_shape = ((default_size, default_size, channels) if last
                         else (channels, default_size, default_size))
    else:
        default_shape = ((default_size, default_size, 3) if last
                         else (3, default_size, default_size))
    if weights == "imagenet" and require_flatten:
        if input_shape is not None and tuple(input_shape) != default_shape:
            raise ValueError(f"When setting `include_top=True` and loading `imagenet` "
                             f"weights, `input_shape` should be {default_shape}.  "
                             f"Received: input_shape={input_shape}")
        return default_shape
    if input_shape:
        if len(input_shape) != 3:
            raise ValueError(f"`input_shape` must be a tuple of three integers. "
                             f"Received: input_shape={input_shape}")
        channels = input_shape[-1] if last else input_shape[0]
        spatial = input_shape[:2] if last else input_shape[1:]
        if channels != 3 and weights == "imagenet":
            raise ValueError(f"The input must have 3 channels; Received "
                             f"`input_shape={input_shape}`")
        if any(s is not None and s < min_size for s in spatial):
            raise ValueError(f"Input size must be at least {min_size}x{min_size}; "
                             f"Received: input_shape={input_shape}")
    elif require_flatten:
        input_shape = default_shape
    else:
        input_shape = (None, None, 3) if last else (3, None, None)
    if require_flatten and None in tuple(input_shape):
        raise ValueError(f"If `include_top` is True, you should specify a static "
                         f"`input_shape`. Received: input_shape={input_shape}")
    return tuple(input_shape)


def validate_activation(classifier_activation, weights):
    """With pretrained weights, the classifier's activation may only be None or softmax."""
    if weights is None:
        return
    act = activations.get(classifier_activation)
    if act not in (activations.get("softmax"), activations.get(None)):
        raise ValueError(f"Only `None` and `softmax` activations are allowed for the "
                         f"`classifier_activation` argument when using pretrained "
                         f"weights, with `include_top=True`; Received: "
                         f"classifier_activation={classifier_activation}")


def correct_pad(inputs, kernel_size):
    """The ((top, bottom), (left, right)) zero padding that makes a stride-2 'valid'
    convolution of ``kernel_size`` over ``inputs`` behave like TensorFlow's 'same'."""
    axis = 2 if backend.image_data_format() == "channels_first" else 1
    size = inputs.shape[axis:axis + 2]
    if isinstance(kernel_size, int):
        kernel_size = (kernel_size, kernel_size)
    adjust = (1, 1) if size[0] is None else (1 - size[0] % 2, 1 - size[1] % 2)
    half = (kernel_size[0] // 2, kernel_size[1] // 2)
    return ((half[0] - adjust[0], half[0]), (half[1] - adjust[1], half[1]))

