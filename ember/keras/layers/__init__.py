"""keras.layers."""
from ember.keras.layers.adaptive_pooling import *  # noqa: F401,F403
from ember.keras.layers.foreign import (  # noqa: F401
    FlaxLayer, JaxLayer, TFSMLayer, TorchModuleWrapper,
)
from ember.keras.layers.reversible_embedding import ReversibleEmbedding  # noqa: F401
from ember.keras.layers.wrapper import SpectralNormalization, Wrapper  # noqa: F401
from ember.keras.layers.activations import ELU, LeakyReLU, PReLU, ReLU, Softmax  # noqa: F401
from ember.keras.layers.convolutional import *  # noqa: F401,F403
from ember.keras.layers.core import Activation, Dense, Dropout, Flatten, Identity  # noqa: F401
from ember.keras.layers.embedding import Embedding  # noqa: F401
from ember.keras.layers.masking import Masking  # noqa: F401
from ember.keras.layers.rnn import *  # noqa: F401,F403
from ember.keras.layers.attention import *  # noqa: F401,F403
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
from ember.keras.layers.preprocessing import *  # noqa: F401,F403
from ember.keras.layers.preprocessing_core import Rescaling  # noqa: F401
from ember.keras.layers.regularization import ActivityRegularization  # noqa: F401
from ember.keras.layers.reshaping import Permute, RepeatVector, Reshape  # noqa: F401


def _layer_classes():
    import sys
    mod = sys.modules[__name__]
    return {k: v for k, v in vars(mod).items() if isinstance(v, type) and issubclass(v, Layer)}


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
