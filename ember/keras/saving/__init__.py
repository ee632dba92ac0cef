"""keras.saving: model files (``.keras``, legacy ``.h5``), weight files, and object
registration and serialization."""
from ember.keras.saving.serialization import *  # noqa: F401,F403
from ember.keras.saving.saving_api import load_model, save_model  # noqa: F401
