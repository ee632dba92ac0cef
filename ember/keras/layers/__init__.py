"""keras.layers. The recurrent, attention, preprocessing and foreign-framework layers load
on first use (the table below; docs/architecture.md, "Lazy namespaces")."""
from ember.framework import lazy as _lazy
from ember.keras.layers.adaptive_pooling import *  # noqa: F401,F403
from ember.keras.layers.reversible_embedding import ReversibleEmbedding  # noqa: F401
from ember.keras.layers.wrapper import SpectralNormalization, Wrapper  # noqa: F401
from ember.keras.layers.activations import ELU, LeakyReLU, PReLU, ReLU, Softmax  # noqa: F401
from ember.keras.layers.convolutional import *  # noqa: F401,F403
from ember.keras.layers.core import Activation, Dense, Dropout, Flatten, Identity  # noqa: F401
from ember.keras.layers.embedding import Embedding  # noqa: F401
from ember.keras.layers.masking import Masking  # noqa: F401
from ember.keras.layers.noise import *  # noqa: F401,F403
from ember.keras.layers.normalization import *  # noqa: F401,F403
from ember.keras.layers.pooling import *  # noqa: F401,F403
from ember.keras.layers.reshaping2 import *  # noqa: F401,F403
from ember.keras.layers.input_layer import Input, InputLayer  # noqa: F401
from ember.keras.layers.lambda_layer import Lambda  # noqa: F401
from ember.keras.layers.layer import InputSpec, Layer  # noqa: F401
from ember.keras.layers.merging import (  # noqa: F401
    Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract, add, average,
    concatenate, dot, maximum, minimum, multiply, subtract,
)
from ember.keras.layers.preprocessing_core import Rescaling  # noqa: F401
from ember.keras.layers.regularization import ActivityRegularization  # noqa: F401
from ember.keras.layers.reshaping import Permute, RepeatVector, Reshape  # noqa: F401

_LAZY_SUBMODULES = (
    "attention",
    "foreign",
    "preprocessing",
    "rnn",
)
_LAZY_ATTRIBUTES = {
    **_lazy.names_in("ember.keras.layers.foreign", "FlaxLayer", "JaxLayer", "TFSMLayer",
        "TorchModuleWrapper"),
    **_lazy.names_in("ember.keras.layers.rnn", "Bidirectional", "ConvLSTM1D", "ConvLSTM2D",
        "ConvLSTM3D", "GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "SimpleRNN",
        "SimpleRNNCell", "StackedRNNCells", "TimeDistributed"),
    **_lazy.names_in("ember.keras.layers.attention", "AdditiveAttention", "Attention",
        "EinsumDense", "GroupQueryAttention", "MultiHeadAttention"),
    **_lazy.names_in("ember.keras.layers.preprocessing", "AugMix", "AutoContrast",
        "CategoryEncoding", "CenterCrop", "ContrastLimitedAdaptiveHistogramEqualization",
        "CutMix", "Discretization", "Equalization", "HashedCrossing", "Hashing",
        "IntegerLookup", "MaxNumBoundingBoxes", "MelSpectrogram", "MixUp", "Normalization",
        "Pipeline", "RandAugment", "RandomBrightness", "RandomColorDegeneration",
        "RandomColorJitter", "RandomContrast", "RandomCrop", "RandomElasticTransform",
        "RandomErasing", "RandomFlip", "RandomGaussianBlur", "RandomGrayscale", "RandomHue",
        "RandomInvert", "RandomPerspective", "RandomPosterization", "RandomRotation",
        "RandomSaturation", "RandomSharpness", "RandomShear", "RandomTranslation",
        "RandomZoom", "Resizing", "STFTSpectrogram", "Solarization", "StringLookup",
        "TextVectorization", "adapt", "audio", "hashing", "image_augmix",
        "image_base", "image_bounding_boxes", "image_clahe", "image_color", "image_geometric",
        "image_mixing", "image_resizing", "image_warp", "index_lookup", "lookup", "numeric",
        "text_vectorization"),
}
__getattr__, __dir__ = _lazy.attach(__name__, _LAZY_SUBMODULES, _LAZY_ATTRIBUTES)


def _layer_classes():
    """Every layer class of the namespace (lazy ones loaded)."""
    found = {}
    for name in __dir__():
        value = globals()[name] if name in globals() else __getattr__(name)
        if isinstance(value, type) and issubclass(value, Layer):
            found[name] = value
    return found


def serialize(layer):
    from ember.keras.saving.serialization import serialize_keras_object
    return serialize_keras_object(layer)


def deserialize(config, custom_objects=None):
    """A layer from its serialized config (built-in classes and registered custom ones)."""
    from ember.keras.saving.serialization import deserialize_keras_object
    objects = _layer_classes()
    from ember.keras import models
    objects.update({"Sequential": models.Sequential, "Functional": models.Functional,
                    "Model": models.Model})
    return deserialize_keras_object(config, module_objects=objects,
                                    custom_objects=custom_objects,
                                    printable_module_name="layer")


__all__ = _lazy.star_names(globals(), _LAZY_SUBMODULES, _LAZY_ATTRIBUTES)
