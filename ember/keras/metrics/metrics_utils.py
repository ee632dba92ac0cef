"""Shared helpers for metrics: rank matching, masks, confusion-matrix accumulation,
top-k filtering and thresholds."""
from __future__ import annotations

import enum

import numpy as np

import ember
from ember.keras import backend
from ember.keras.losses import squeeze_or_expand_to_same_rank  # noqa: F401  (one definition)

NEG_INF = -1e10


class ConfusionMatrix(str, enum.Enum):
    TRUE_POSITIVES = "tp"
    FALSE_POSITIVES = "fp"
    TRUE_NEGATIVES = "tn"
    FALSE_NEGATIVES = "fn"


class AUCCurve(str, enum.Enum):
    """Curve of an AUC metric: ROC, PR or PRGAIN."""
    ROC = "ROC"
    PR = "PR"
    PRGAIN = "PRGAIN"

    @staticmethod
    def from_str(key):
        table = {"pr": AUCCurve.PR, "roc": AUCCurve.ROC, "prgain": AUCCurve.PRGAIN}
        if isinstance(key, str) and key.lower() in table:
            return table[key.lower()]
        raise ValueError(f'Invalid AUC curve value: "{key}". '
                         f'Expected values are ["PR", "ROC", "PRGAIN"]')


class AUCSummationMethod(str, enum.Enum):
    """How AUC sums the area: trapezoid-style interpolation, or minoring/majoring
    Riemann sums."""
    INTERPOLATION = "interpolation"
    MAJORING = "majoring"
    MINORING = "minoring"

    @staticmethod
    def from_str(key):
        table = {"interpolation": AUCSummationMethod.INTERPOLATION,
                 "majoring": AUCSummationMethod.MAJORING,
                 "minoring": AUCSummationMethod.MINORING}
        if isinstance(key, str) and key.lower() in table:
            return table[key.lower()]
        raise ValueError(f'Invalid AUC summation method value: "{key}". '
                         f'Expected values are ["interpolation", "majoring", "minoring"]')


# ------------------------------------------------------------------- tensors ---

def to_tensor(x, dtype=None):
    """``x`` as an ember tensor (variables pass through), cast to ``dtype`` if given."""
    if not (ember.is_tensor(x) or isinstance(x, ember.Variable)):
        x = ember.convert_to_tensor(x)
    if dtype is not None and x.dtype != ember.as_dtype(dtype):
        x = ember.cast(x, dtype)
    return x


def rank(x):
    r = x.shape.rank if hasattr(x.shape, "rank") else len(x.shape)
    if r is None:
        raise ValueError(f"Metrics need inputs of known rank; got shape {x.shape}")
    return r


def static_dim(x, axis):
    d = x.shape[axis]
    return d if d is None else int(d)


def dim(x, axis):
    """The size of ``axis``: a Python int when static, else a scalar int32 tensor."""
    d = static_dim(x, axis)
    return d if d is not None else ember.shape(x)[axis]


def get_keras_mask(x):
    return getattr(x, "_keras_mask", None)


def apply_mask(sample_weight, mask, dtype):
    """Folds a Keras mask into ``sample_weight`` (the mask alone if there is no weight)."""
    if mask is None:
        return sample_weight
    mask = ember.cast(mask, dtype)
    if sample_weight is None:
        return mask
    sample_weight = to_tensor(sample_weight, dtype)
    mask, sample_weight = squeeze_or_expand_to_same_rank(mask, sample_weight)
    return sample_weight * mask


def in_top_k(targets, predictions, k):
    """Boolean ``[batch]``: is ``predictions[i, targets[i]]`` among the top ``k``
    (``ember.math.in_top_k``: ties at the boundary count as in; rows with a non-finite
    score and out-of-range targets as out)."""
    return ember.math.in_top_k(ember.cast(to_tensor(targets), "int32"),
                               to_tensor(predictions), k)


def filter_top_k(x, k):
    """Keeps the top ``k`` entries along the last axis and sets the rest to NEG_INF."""
    _, idx = ember.math.top_k(x, k=k)
    keep = ember.reduce_sum(ember.one_hot(idx, dim(x, -1), dtype=x.dtype), axis=-2)
    return x * keep + NEG_INF * (1.0 - keep)


def confusion_matrix(labels, predictions, num_classes, weights=None, dtype="float32"):
    """``[num_classes, num_classes]`` counts (rows: labels, columns: predictions)."""
    labels = ember.cast(ember.reshape(to_tensor(labels), [-1]), "int32")
    predictions = ember.cast(ember.reshape(to_tensor(predictions), [-1]), "int32")
    if weights is None:
        weights = ember.ones_like(labels, dtype=dtype)
    else:
        weights = ember.reshape(ember.broadcast_to(to_tensor(weights, dtype),
                                                   ember.shape(labels)), [-1])
    valid = ember.logical_and(
        ember.logical_and(ember.greater_equal(labels, 0), ember.less(labels, num_classes)),
        ember.logical_and(ember.greater_equal(predictions, 0),
                          ember.less(predictions, num_classes)))
    ids = ember.where(valid, labels * num_classes + predictions, -ember.ones_like(labels))
    counts = ember.math.unsorted_segment_sum(weights, ids, num_classes * num_classes)
    return ember.reshape(counts, [num_classes, num_classes])


# ---------------------------------------------------------------- thresholds ---

def _to_list(x):
    if isinstance(x, (list, tuple)):
        return list(x)
    if isinstance(x, np.ndarray):
        return x.tolist()
    return [x]


def assert_thresholds_range(thresholds):
    if thresholds is not None:
        bad = [t for t in thresholds if t is None or t < 0 or t > 1]
        if bad:
            raise ValueError(f"Threshold values must be in [0, 1]. Received: {bad}")


def parse_init_thresholds(thresholds, default_threshold=0.5):
    if thresholds is not None:
        assert_thresholds_range(_to_list(thresholds))
    return _to_list(default_threshold if thresholds is None else thresholds)


def is_evenly_distributed_thresholds(thresholds):
    """True for ``i / (n - 1)``, ``i = 0..n-1`` with ``n >= 3`` (within epsilon)."""
    n = len(thresholds)
    if n < 3:
        return False
    even = np.arange(n, dtype=np.float32) / (n - 1)
    return bool(np.allclose(np.asarray(thresholds, dtype=np.float64), even,
                            atol=backend.epsilon()))


# ------------------------------------------------------ confusion-matrix update ---

_VALID_KEYS = {c.value for c in ConfusionMatrix}


def _key(k):
    return k.value if isinstance(k, ConfusionMatrix) else k


def update_confusion_matrix_variables(variables_to_update, y_true, y_pred, thresholds,
                                      top_k=None, class_id=None, sample_weight=None,
                                      multi_label=False, label_weights=None,
                                      thresholds_distributed_evenly=False):
    """Adds the (weighted) true/false positive/negative counts at each threshold to the
    given variables (``{ConfusionMatrix.X: variable}``). A prediction counts as
    positive when it is strictly greater than the threshold.

    Without ``multi_label`` every element is one prediction and each variable has shape
    ``[num_thresholds]``; with it, ``y_pred`` is ``[N, L]`` and variables are ``[T, L]``.
    """
    if multi_label and label_weights is not None:
        raise ValueError("`label_weights` for multilabel data should be handled outside of "
                         "`update_confusion_matrix_variables` when `multi_label` is True.")
    if not variables_to_update:
        return
    updates = {}
    for k, v in variables_to_update.items():
        if _key(k) not in _VALID_KEYS:
            raise ValueError(f"Invalid keys: {[k]}. Please provide only keys from "
                             f"{[c.value for c in ConfusionMatrix]}.")
        updates[_key(k)] = v
    var_dtype = next(iter(updates.values())).dtype
    y_true = to_tensor(y_true, var_dtype)
    y_pred = to_tensor(y_pred, var_dtype)
    thresholds = [float(t) for t in _to_list(thresholds)]
    with_epsilon = thresholds[0] < 0.0 or thresholds[-1] > 1.0
    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    if sample_weight is not None:
        sample_weight = ember.expand_dims(to_tensor(sample_weight, var_dtype), -1)
        _, sample_weight = squeeze_or_expand_to_same_rank(y_true, sample_weight,
                                                          expand_rank_1=False)
    if top_k is not None:
        y_pred = filter_top_k(y_pred, top_k)
    if class_id is not None:
        if rank(y_pred) == 1:
            raise ValueError("When class_id is provided, y_pred must be a 2D array with shape "
                             f"(num_samples, num_classes), found shape: {y_pred.shape}")
        y_true = y_true[..., class_id, None]
        y_pred = y_pred[..., class_id, None]
    if multi_label and rank(y_pred) != 2:
        raise ValueError(f"With multi_label=True, y_pred must have rank 2 [N, L]; got shape "
                         f"{y_pred.shape}")
    if sample_weight is not None:
        sample_weight = ember.broadcast_to(sample_weight, ember.shape(y_pred))
    if label_weights is not None:
        label_weights = ember.broadcast_to(to_tensor(label_weights, var_dtype),
                                           ember.shape(y_pred))
        sample_weight = label_weights if sample_weight is None else sample_weight * label_weights

    if thresholds_distributed_evenly:
        counts = _bucketed_counts(updates, y_true, y_pred, len(thresholds), multi_label,
                                  sample_weight, with_epsilon)
    else:
        counts = _compared_counts(updates, y_true, y_pred, thresholds, multi_label,
                                  sample_weight)
    for key, var in updates.items():
        var.assign_add(ember.cast(counts[key], var.dtype))


def _compared_counts(updates, y_true, y_pred, thresholds, multi_label, sample_weight):
    """Counts by comparing every prediction with every threshold: ``[T, N(, L)]``."""
    dtype = y_pred.dtype
    if not multi_label:
        y_true = ember.reshape(y_true, [-1])
        y_pred = ember.reshape(y_pred, [-1])
        if sample_weight is not None:
            sample_weight = ember.reshape(sample_weight, [-1])
    t = ember.constant(np.asarray(thresholds, dtype=dtype.as_numpy_dtype))
    t = ember.reshape(t, [-1] + [1] * rank(y_pred))
    pred_pos = ember.greater(ember.expand_dims(y_pred, 0), t)
    label_pos = ember.expand_dims(ember.cast(y_true, "bool"), 0)
    w = None if sample_weight is None else ember.expand_dims(sample_weight, 0)

    def count(label, pred):
        hit = ember.cast(ember.logical_and(label, pred), dtype)
        if w is not None:
            hit = hit * w
        return ember.reduce_sum(hit, axis=1)

    out = {}
    if "tp" in updates:
        out["tp"] = count(label_pos, pred_pos)
    if "fn" in updates or "tn" in updates:
        pred_neg = ember.logical_not(pred_pos)
    if "fp" in updates or "tn" in updates:
        label_neg = ember.logical_not(label_pos)
    if "fn" in updates:
        out["fn"] = count(label_pos, pred_neg)
    if "fp" in updates:
        out["fp"] = count(label_neg, pred_pos)
    if "tn" in updates:
        out["tn"] = count(label_neg, pred_neg)
    return out


def _bucketed_counts(updates, y_true, y_pred, num_thresholds, multi_label, sample_weight,
                     with_epsilon):
    """Counts for evenly spaced thresholds in O(N).

    A prediction p is above thresholds ``0..b`` exactly, with ``b = ceil(p (T-1)) - 1``
    (``-1``: above none; with the epsilon endpoints every p in [0, 1] is above the first).
    Weights summed per slot ``s = b + 1`` give, for threshold i, the weight above it as
    ``sum(S[s > i])`` and the weight at or below it as ``sum(S[s <= i])``: both are sums
    of non-negative terms, so counts never come out slightly negative.
    """
    dtype = y_pred.dtype
    y_pred = ember.clip_by_value(y_pred, ember.constant(0.0, dtype), ember.constant(1.0, dtype))
    y_true = ember.cast(ember.cast(y_true, "bool"), dtype)
    if not multi_label:
        y_true = ember.reshape(y_true, [-1])
        y_pred = ember.reshape(y_pred, [-1])
        if sample_weight is not None:
            sample_weight = ember.reshape(sample_weight, [-1])
    if sample_weight is None:
        true_w = y_true
        false_w = 1.0 - y_true
    else:
        true_w = y_true * sample_weight
        false_w = (1.0 - y_true) * sample_weight
    slot = ember.math.ceil(y_pred * float(num_thresholds - 1))
    if with_epsilon:
        slot = ember.maximum(slot, ember.constant(1.0, dtype))
    slot = ember.cast(slot, "int32")
    if multi_label:
        num_labels = dim(y_pred, 1)
        label_idx = ember.expand_dims(ember.range(num_labels, dtype="int32"), 0)
        ids = label_idx * num_thresholds + slot
        segments = num_thresholds * num_labels
        shape = [num_labels, num_thresholds]
    else:
        ids = slot
        segments = num_thresholds
        shape = [num_thresholds]

    def per_slot(weights):
        return ember.reshape(ember.math.unsorted_segment_sum(weights, ids, segments), shape)

    def finish(x):
        return ember.transpose(x) if multi_label else x

    out = {}
    if "tp" in updates or "fn" in updates:
        s_true = per_slot(true_w)
        if "tp" in updates:
            out["tp"] = finish(ember.cumsum(s_true, axis=-1, exclusive=True, reverse=True))
        if "fn" in updates:
            out["fn"] = finish(ember.cumsum(s_true, axis=-1))
    if "fp" in updates or "tn" in updates:
        s_false = per_slot(false_w)
        if "fp" in updates:
            out["fp"] = finish(ember.cumsum(s_false, axis=-1, exclusive=True, reverse=True))
        if "tn" in updates:
            out["tn"] = finish(ember.cumsum(s_false, axis=-1))
    return out
