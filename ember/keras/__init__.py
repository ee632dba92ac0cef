"""ember.keras: the Keras 3 API on ember's ops."""
from ember.keras import backend, saving  # noqa: F401
