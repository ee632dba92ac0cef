"""keras.callbacks: hooks into training."""
from ember.keras.callbacks.callback import Callback  # noqa: F401
from ember.keras.callbacks.callback_list import CallbackList  # noqa: F401
from ember.keras.callbacks.history import History  # noqa: F401
from ember.keras.callbacks.lambda_callback import LambdaCallback  # noqa: F401
from ember.keras.callbacks.progbar_logger import ProgbarLogger  # noqa: F401
