"""keras.preprocessing: the legacy text, sequence and image helpers tutorials use
(``text.Tokenizer``, ``sequence.pad_sequences``, ``image.ImageDataGenerator``)."""
from ember.keras.preprocessing import image, sequence, text  # noqa: F401

__all__ = ["image", "sequence", "text", "image_dataset_from_directory",
           "text_dataset_from_directory", "timeseries_dataset_from_array"]


def __getattr__(name):
    """Keras's aliases of the dataset loaders in keras.utils (loaded on first use)."""
    if name in ("image_dataset_from_directory", "text_dataset_from_directory",
                "timeseries_dataset_from_array"):
        from ember.keras import utils
        return getattr(utils, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
