"""``keras.wrappers``: scikit-learn estimators around Keras models (needs scikit-learn)."""
from ember.keras.wrappers.sklearn_wrapper import (SKLearnClassifier, SKLearnRegressor,
                                                  SKLearnTransformer)

__all__ = ["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]
