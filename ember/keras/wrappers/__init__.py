"""keras.wrappers: scikit-learn estimators around Keras models (SKLearnClassifier,
SKLearnRegressor, SKLearnTransformer). scikit-learn is imported when this module loads
(``keras.wrappers`` is loaded on first use)."""
from ember.keras.wrappers.sklearn_wrapper import (  # noqa: F401
    SKLearnClassifier, SKLearnRegressor, SKLearnTransformer,
)

__all__ = ["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]
