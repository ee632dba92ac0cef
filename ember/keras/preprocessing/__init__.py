"""keras.preprocessing: the legacy text, sequence and image helpers tutorials use
(``text.Tokenizer``, ``sequence.pad_sequences``, ``image.ImageDataGenerator``)."""
from ember.keras.preprocessing import image, sequence, text  # noqa: F401

__all__ = ["image", "sequence", "text"]
