"""keras.models: Model, Sequential and the functional API."""
from ember.keras.models.functional import Functional  # noqa: F401
from ember.keras.models.model import Model  # noqa: F401
from ember.keras.models.sequential import Sequential  # noqa: F401
from ember.keras.models.cloning import (  # noqa: F401
    clone_model, model_from_config, model_from_json,
)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):  # noqa: A002
    """A model saved by ``model.save`` (``.keras`` or legacy ``.h5``)."""
    from ember.keras.saving.saving_api import load_model as _load
    return _load(filepath, custom_objects=custom_objects, compile=compile,
                 safe_mode=safe_mode)


def save_model(model, filepath, overwrite=True, **kwargs):
    """``model.save(filepath)``: a ``.keras`` zip or a legacy ``.h5`` file."""
    from ember.keras.saving.saving_api import save_model as _save
    return _save(model, filepath, overwrite=overwrite, **kwargs)
