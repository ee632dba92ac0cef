"""scikit-learn estimators around a Keras model: ``SKLearnClassifier``, ``SKLearnRegressor``
and ``SKLearnTransformer`` (Keras 3's ``keras.wrappers``), usable in a scikit-learn
``Pipeline``, ``GridSearchCV`` or ``cross_val_score``.

``model`` is a compiled ``Model`` (cloned with ``clone_model`` and compiled the same way
before each fit, unless ``warm_start`` reuses the model of the previous fit) or a callable
``model(X=..., y=..., **model_kwargs)`` that returns a compiled one; it is built from the
data seen by ``fit``, so it can size its input and output layers from ``X`` and ``y``.
Targets are prepared as Keras wants them: a classifier's labels (any hashable values) are
one-hot encoded for the model and mapped back by ``predict``; a regressor's or transformer's
1-D target becomes a column. scikit-learn is an optional dependency, imported here.
"""
from __future__ import annotations

import numpy as np

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin
    from sklearn.utils.validation import check_is_fitted
    from sklearn.utils.multiclass import type_of_target
except ImportError:        # pragma: no cover - the message is the behaviour
    raise ImportError("keras.wrappers needs scikit-learn: pip install scikit-learn") from None

__all__ = ["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]


def _validate(estimator, X, y=None, reset=True, y_numeric=False):
    """X (and y) as checked NumPy arrays, with ``n_features_in_`` set on ``reset`` and
    checked against it otherwise (scikit-learn's own validation helpers)."""
    from sklearn.utils.validation import check_array, check_X_y
    if y is None:
        X = check_array(X, dtype="numeric")
    else:
        X, y = check_X_y(X, y, dtype="numeric", y_numeric=y_numeric, multi_output=False)
    name = type(estimator).__name__
    if reset:
        estimator.n_features_in_ = X.shape[1]
    elif X.shape[1] != estimator.n_features_in_:
        raise ValueError(f"X has {X.shape[1]} features, but {name} is expecting "
                         f"{estimator.n_features_in_} features as input.")
    return X, y


def _require_y(estimator, y):
    if y is None:
        raise ValueError(f"{type(estimator).__name__} requires y to be passed, but the "
                         f"target y is None.")


class _KerasEstimator(BaseEstimator):
    """What the three wrappers share: building or cloning the model, and fitting it."""

    def __init__(self, model, warm_start=False, model_kwargs=None, fit_kwargs=None):
        self.model = model
        self.warm_start = warm_start
        self.model_kwargs = model_kwargs
        self.fit_kwargs = fit_kwargs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = True
        return tags

    def _build_model(self, X, y):
        """The model to fit: the previous fit's with ``warm_start``, else a fresh one."""
        from ember.keras.models.cloning import clone_model
        from ember.keras.models.model import Model
        if self.warm_start and hasattr(self, "model_"):
            return self.model_
        if isinstance(self.model, Model):
            config = self.model.get_compile_config()
            if not config:
                raise ValueError(f"{type(self).__name__}: the model must be compiled before "
                                 f"it is wrapped (call model.compile(...) first)")
            model = clone_model(self.model)
            model.compile_from_config(config)
            return model
        if callable(self.model):
            model = self.model(X=X, y=y, **(self.model_kwargs or {}))
            if not isinstance(model, Model):
                raise TypeError(f"{type(self).__name__}: the model function must return a "
                                f"keras Model, got {type(model).__name__}")
            return model
        raise TypeError(f"{type(self).__name__}: model must be a compiled keras Model or a "
                        f"callable returning one, got {type(self.model).__name__}")

    def _fit_model(self, X, y, fit_kwargs):
        self.model_ = self._build_model(X, y)
        kwargs = {**(self.fit_kwargs or {}), **fit_kwargs}
        self.history_ = self.model_.fit(X, y, **kwargs)
        return self

    def _predict_raw(self, X):
        check_is_fitted(self)
        X, _ = _validate(self, X, reset=False)
        return np.asarray(self.model_.predict(X, verbose=0))


class SKLearnClassifier(ClassifierMixin, _KerasEstimator):
    """A scikit-learn classifier around a Keras model whose output is one probability per
    class (softmax, or one sigmoid unit... per class column of the one-hot target).

    Attributes after ``fit``: ``model_`` (the fitted Model), ``history_`` (what
    ``Model.fit`` returned), ``classes_`` (the class labels, sorted), ``n_features_in_``.

    >>> def build(X, y, hidden=16):
    ...     inputs = keras.Input((X.shape[1],))
    ...     h = keras.layers.Dense(hidden, activation="relu")(inputs)
    ...     outputs = keras.layers.Dense(y.shape[1], activation="softmax")(h)
    ...     model = keras.Model(inputs, outputs)
    ...     model.compile(optimizer="adam", loss="categorical_crossentropy")
    ...     return model
    >>> clf = SKLearnClassifier(build, model_kwargs={"hidden": 32},
    ...                         fit_kwargs={"epochs": 20, "verbose": 0})
    >>> clf.fit(X, labels).predict(X[:3])
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True
        tags.classifier_tags.multi_label = False
        return tags

    def fit(self, X, y, **kwargs):
        """Fits the model on X and the one-hot encoding of the labels y; ``kwargs`` go to
        ``Model.fit`` (over ``fit_kwargs``). Returns self."""
        _require_y(self, y)
        X, y = _validate(self, X, y)
        kind = type_of_target(y, input_name="y", raise_unknown=True)
        if kind not in ("binary", "multiclass"):
            raise ValueError(f"{type(self).__name__} supports binary and multiclass targets, "
                             f"got a {kind!r} target")
        self.classes_, codes = np.unique(y, return_inverse=True)
        encoded = np.eye(len(self.classes_), dtype="float64")[codes.reshape(-1)]
        return self._fit_model(X, encoded, kwargs)

    def decision_function(self, X):
        """The model's raw output for X (one score per class)."""
        return self._predict_raw(X)

    def predict(self, X):
        """The class of highest score for each sample, as a label from ``classes_``."""
        scores = self._predict_raw(X)
        n = len(self.classes_)
        if scores.ndim == 2 and scores.shape[1] == n:
            index = np.argmax(scores, axis=-1)
        elif n == 2 and scores.size == len(scores):      # one sigmoid unit for two classes
            index = (scores.reshape(len(scores)) > 0.5).astype(int)
        else:
            raise ValueError(f"{type(self).__name__}: the model outputs shape "
                             f"{scores.shape[1:]} per sample, but there are {n} classes: "
                             f"its output layer needs {n} units (one per class)")
        return self.classes_[index]


class SKLearnRegressor(RegressorMixin, _KerasEstimator):
    """A scikit-learn regressor around a Keras model with one output unit; the model is
    fitted on y as a column, and ``predict`` returns a 1-D array.

    Attributes after ``fit``: ``model_``, ``history_``, ``n_features_in_``."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True
        return tags

    def fit(self, X, y, **kwargs):
        """Fits the model on X and y (a column); ``kwargs`` go to ``Model.fit``."""
        _require_y(self, y)
        X, y = _validate(self, X, y, y_numeric=True)
        return self._fit_model(X, y.reshape(-1, 1), kwargs)

    def predict(self, X):
        """The model's predictions for X, one number per sample."""
        out = self._predict_raw(X)
        return out.reshape(len(out)) if out.ndim > 1 and out.shape[-1] == 1 else out


class SKLearnTransformer(TransformerMixin, _KerasEstimator):
    """A scikit-learn transformer whose ``transform`` is the fitted model's prediction (a
    feature extractor such as an embedding model, not an attention Transformer).

    Attributes after ``fit``: ``model_``, ``history_``, ``n_features_in_``."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []     # the model decides its output dtype
        tags.target_tags.required = False
        return tags

    def fit(self, X, y, **kwargs):
        """Fits the model on X and y; ``kwargs`` go to ``Model.fit``."""
        _require_y(self, y)
        X, y = _validate(self, X, y, y_numeric=True)
        return self._fit_model(X, y.reshape(len(y), -1), kwargs)

    def transform(self, X):
        """The model's output for X."""
        return self._predict_raw(X)
