"""scikit-learn estimators around Keras models, as ``keras.wrappers`` defines them.

``model`` is a compiled ``keras.Model`` (cloned, with fresh weights, at each ``fit`` unless
``warm_start``) or a callable ``model(X=..., y=..., **model_kwargs)`` returning one.
Classifiers one-hot encode their targets for the model and decode its outputs by argmax.

    clf = SKLearnClassifier(model=make_model, model_kwargs={"units": 16},
                            fit_kwargs={"epochs": 20, "verbose": 0})
    Pipeline([("scale", StandardScaler()), ("clf", clf)]).fit(X, y)
"""
from __future__ import annotations

import copy

import numpy as np

try:
    import sklearn
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin
except ImportError:       # the classes exist; constructing one says what is missing
    sklearn = None

    class BaseEstimator:   # noqa: D101
        pass

    class ClassifierMixin:   # noqa: D101
        pass

    class RegressorMixin:   # noqa: D101
        pass

    class TransformerMixin:   # noqa: D101
        pass

__all__ = ["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]


def _require_sklearn(name):
    if sklearn is None:
        raise ImportError(f"{name} requires scikit-learn: pip install scikit-learn")


_NO_Y = object()


def _validate(estimator, X, y=_NO_Y, reset=True):
    """scikit-learn's input validation (numeric arrays, feature counts); X comes back as
    floats (integer or object data is converted, as Keras's dtype rules would)."""
    from sklearn.utils import validation
    validate = getattr(validation, "validate_data", None)     # scikit-learn >= 1.6
    if validate is None:
        def validate(est, *args, **kwargs):
            return est._validate_data(*args, **kwargs)
    if y is _NO_Y:
        X = validate(estimator, X, reset=reset)
    else:
        X, y = validate(estimator, X, y, multi_output=True, reset=reset)
    if X.dtype.kind != "f":
        X = X.astype(np.float32)
    return X if y is _NO_Y else (X, y)


def _check_model(model):
    if not getattr(model, "compiled", False) or not model.loss or model.optimizer is None:
        raise RuntimeError("Given model needs to be compiled, and have a loss and an "
                           "optimizer.")


def _clone_compiled(model):
    """A clone of ``model`` with fresh weights, compiled as ``model`` was (with a new
    optimizer of the same configuration)."""
    from ember.keras import optimizers
    from ember.keras.models.cloning import clone_model
    clone = clone_model(model)
    if getattr(model, "compiled", False):
        args = dict(getattr(model, "_compile_args", {}))
        clone.compile(optimizer=optimizers.deserialize(optimizers.serialize(model.optimizer)),
                      **args)
    return clone


class _History:
    """What a pickled estimator keeps of ``Model.fit``'s History."""

    def __init__(self, history, epoch, params):
        self.history, self.epoch, self.params = history, epoch, params


class _ModelBytes:
    """A model saved as .keras archive bytes (the form a pickled wrapper holds)."""

    def __init__(self, model):
        import os
        import tempfile
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "model.keras")
            model.save(path)
            with open(path, "rb") as f:
                self.data = f.read()

    def load(self):
        import os
        import tempfile
        from ember.keras.saving import load_model
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "model.keras")
            with open(path, "wb") as f:
                f.write(self.data)
            return load_model(path)


class _Reshaper:
    """1-D targets as a column and back."""

    def fit(self, y):
        self.ndim_ = y.ndim
        return self

    def transform(self, y):
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def inverse_transform(self, y):
        return np.squeeze(y, axis=1) if self.ndim_ == 1 and y.ndim == 2 else y


class SKLBase(BaseEstimator):
    """What the three wrappers share: building, fitting and predicting."""

    def __init__(self, model, warm_start=False, model_kwargs=None, fit_kwargs=None):
        _require_sklearn(type(self).__name__)
        self.model = model
        self.warm_start = warm_start
        self.model_kwargs = model_kwargs
        self.fit_kwargs = fit_kwargs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = True
        return tags

    def _more_tags(self):        # scikit-learn < 1.6
        return {"non_deterministic": True}

    def __sklearn_clone__(self):
        """A fresh estimator with the same parameters (a Model is deep-copied, so the
        clone does not share weights)."""
        model = self.model if callable(self.model) and not _is_model(self.model) else \
            _clone_compiled(self.model)
        return type(self)(model=model, warm_start=self.warm_start,
                          model_kwargs=self.model_kwargs, fit_kwargs=self.fit_kwargs)

    def __getstate__(self):
        """Picklable: models travel as .keras archive bytes."""
        state = dict(self.__dict__)
        for key in ("model", "model_"):
            if _is_model(state.get(key)):
                state[key] = _ModelBytes(state[key])
        history = state.get("history_")
        if history is not None:
            state["history_"] = _History(history.history, history.epoch,
                                         getattr(history, "params", {}))
        return state

    def __setstate__(self, state):
        for key in ("model", "model_"):
            if isinstance(state.get(key), _ModelBytes):
                state[key] = state[key].load()
        self.__dict__.update(state)

    @property
    def epoch_(self):
        """The number of epochs of the last fit."""
        history = getattr(self, "history_", None)
        return len(history.epoch) if history is not None else 0

    def _get_model(self, X, y):
        if self.warm_start and hasattr(self, "model_"):
            return self.model_
        if _is_model(self.model):
            return _clone_compiled(self.model)
        return self.model(X=X, y=y, **(self.model_kwargs or {}))

    def fit(self, X, y, **kwargs):
        """Fits a new (or, with ``warm_start``, the last) model on X and y; keyword
        arguments go to ``Model.fit`` (over ``fit_kwargs``)."""
        X, y = _validate(self, X, y, reset=True)
        y = self._process_target(y, reset=True)
        model = self._get_model(X, y)
        _check_model(model)
        fit_kwargs = dict(self.fit_kwargs or {})
        fit_kwargs.update(kwargs)
        fit_kwargs.setdefault("verbose", 0)
        self.history_ = model.fit(X, y, **fit_kwargs)
        self.model_ = model
        return self

    def predict(self, X):
        from sklearn.utils.validation import check_is_fitted
        check_is_fitted(self)
        X = _validate(self, X, reset=False)
        return self._reverse_process_target(self.model_.predict(X, verbose=0))

    def _process_target(self, y, reset=False):
        if y.dtype == object:
            try:
                y = y.astype(np.float64)
            except (TypeError, ValueError):
                raise ValueError(f"Unknown label type: the target of "
                                 f"{type(self).__name__} must be numeric") from None
        if reset:
            self._target_encoder = _Reshaper().fit(y)
        return self._target_encoder.transform(y)

    def _reverse_process_target(self, y):
        return self._target_encoder.inverse_transform(y)


def _is_model(obj):
    from ember.keras.models.model import Model
    return isinstance(obj, Model)


class SKLearnClassifier(ClassifierMixin, SKLBase):
    """A scikit-learn classifier: binary or multiclass targets are one-hot encoded for the
    model (so it ends in ``n_classes`` outputs, e.g. a softmax), predictions decoded by
    argmax into the original labels (``classes_``)."""

    def decision_function(self, X):
        """The model's raw outputs (class probabilities when it ends in a softmax)."""
        from sklearn.utils.validation import check_is_fitted
        check_is_fitted(self)
        return self.model_.predict(_validate(self, X, reset=False), verbose=0)

    def _process_target(self, y, reset=False):
        from sklearn.preprocessing import OneHotEncoder
        from sklearn.utils.multiclass import type_of_target
        kind = type_of_target(y)
        if kind == "unknown":
            raise ValueError(f"Unknown label type: {y!r:.200}")
        if kind not in ("binary", "multiclass"):
            raise ValueError(f"Only binary and multiclass target types are supported. "
                             f"Target type: {kind}")
        if reset:
            reshaper = _Reshaper().fit(y)
            encoder = OneHotEncoder(sparse_output=False).fit(reshaper.transform(y))
            self._target_encoder = (reshaper, encoder)
            self.classes_ = np.unique(y)
            if len(self.classes_) == 1:
                raise ValueError("Classifier can't train when only one class is present.")
        reshaper, encoder = self._target_encoder
        return encoder.transform(reshaper.transform(y))

    def _reverse_process_target(self, y):
        reshaper, encoder = self._target_encoder
        return reshaper.inverse_transform(encoder.inverse_transform(y))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True
        return tags

    def _more_tags(self):
        return {"non_deterministic": True, "poor_score": True}


class SKLearnRegressor(RegressorMixin, SKLBase):
    """A scikit-learn regressor: the model's outputs are the predictions (a 1-D target
    gives 1-D predictions; a 2-D one, one column per model output)."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True
        tags.target_tags.multi_output = True
        return tags

    def _more_tags(self):
        return {"non_deterministic": True, "poor_score": True, "multioutput": True}

    def predict(self, X):
        """The model's outputs, as float64 (scikit-learn's convention for regressors)."""
        return np.asarray(super().predict(X), dtype=np.float64)


class SKLearnTransformer(TransformerMixin, SKLBase):
    """A scikit-learn transformer: ``transform`` returns the model's outputs (e.g. an
    encoder's features), after ``fit`` trained it on X and y."""

    def transform(self, X):
        from sklearn.utils.validation import check_is_fitted
        check_is_fitted(self)
        return self.model_.predict(_validate(self, X, reset=False), verbose=0)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []
        return tags

    def _more_tags(self):
        return {"non_deterministic": True, "preserves_dtype": []}
