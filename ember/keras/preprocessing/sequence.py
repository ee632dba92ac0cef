"""keras.preprocessing.sequence: ``pad_sequences`` (also ``keras.utils.pad_sequences``)."""
from ember.keras.utils.sequence_utils import pad_sequences  # noqa: F401

__all__ = ["pad_sequences"]
