"""keras.saving: object registration and serialization (model files come later)."""
from ember.keras.saving.serialization import *  # noqa: F401,F403
