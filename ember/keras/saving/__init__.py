"""keras.saving: model files (``.keras``, legacy ``.h5``), weight files, and object
registration and serialization."""
from ember.keras.saving.serialization import *  # noqa: F401,F403
from ember.keras.saving.saving_api import (  # noqa: F401
    load_model, load_weights, save_model, save_weights,
)
