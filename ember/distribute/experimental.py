"""``tf.distribute.experimental``."""
from ember.distribute.multi_worker import (  # noqa: F401
    CollectiveCommunication, CommunicationImplementation, CommunicationOptions,
    MultiWorkerMirroredStrategy,
)
from ember.distribute.unsupported import (  # noqa: F401
    CentralStorageStrategy, ParameterServerStrategy, TPUStrategy,
)
from ember.distribute.input_options import ValueContext  # noqa: F401

__all__ = ["CollectiveCommunication", "CommunicationImplementation", "CommunicationOptions",
           "MultiWorkerMirroredStrategy", "ParameterServerStrategy", "TPUStrategy",
           "CentralStorageStrategy", "ValueContext"]
