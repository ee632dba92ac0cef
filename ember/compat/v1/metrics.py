"""``tf.compat.v1.metrics``: TF1's streaming metrics.

Each returns ``(value, update_op)``: ``update_op`` adds a batch to running totals kept in
local variables (collection ``LOCAL_VARIABLES``; run ``local_variables_initializer()`` to
reset them), ``value`` reads the metric from the totals. They exist only in graphs: eagerly
they raise, as in TensorFlow (use ``keras.metrics``).

    acc, acc_update = tf.metrics.accuracy(labels, predictions)
    sess.run(tf.local_variables_initializer())
    for batch in batches: sess.run(acc_update, feed_dict=batch)
    print(sess.run(acc))
"""
from __future__ import annotations

import ember as _tf

__all__ = ["accuracy", "mean", "mean_absolute_error", "mean_squared_error",
           "root_mean_squared_error", "true_positives", "false_positives", "true_negatives",
           "false_negatives", "precision", "recall", "auc", "mean_tensor"]

def _graph(what):
    if _tf.executing_eagerly():
        raise RuntimeError(f"tf.metrics.{what} is not supported when eager execution is "
                           f"enabled; use keras.metrics instead")
    import ember.compat.v1 as v1
    return v1, v1.get_default_graph()


def _scope(name, base):
    if name:
        return name
    from ember.compat.v1.layers import _unique
    return _unique(base)


def _local(graph, v1, scope, name, shape=(), dtype="float32"):
    """A local, non-trainable variable of zeros named ``scope/name``."""
    with graph.control_dependencies(None):
        var = _tf.Variable(_tf.zeros(shape, dtype), trainable=False, name=f"{scope}/{name}")
    variables = graph.get_collection_ref("variables")
    if var in variables:
        variables.remove(var)
    graph.add_to_collection("local_variables", var)
    graph.add_to_collection("metric_variables", var)
    return var


def _collect(v1, value, update, metrics_collections, updates_collections):
    for name in metrics_collections or ():
        v1.add_to_collection(name, value)
    for name in updates_collections or ():
        v1.add_to_collection(name, update)
    return value, update


def _weights(values, weights):
    if weights is None:
        return _tf.ones_like(values)
    return _tf.cast(weights, values.dtype) * _tf.ones_like(values)


def mean(values, weights=None, metrics_collections=None, updates_collections=None, name=None):
    """The weighted mean of every value seen."""
    v1, graph = _graph("mean")
    scope = _scope(name, "mean")
    values = _tf.cast(values, "float32")
    w = _weights(values, weights)
    total = _local(graph, v1, scope, "total")
    count = _local(graph, v1, scope, "count")
    update_total = total.assign_add(_tf.reduce_sum(values * w))
    update_count = count.assign_add(_tf.reduce_sum(w))
    with graph.control_dependencies([update_total, update_count]):
        update = _tf.math.divide_no_nan(_tf.identity(update_total), _tf.identity(update_count))
    value = _tf.math.divide_no_nan(total.value(), count.value())
    return _collect(v1, value, update, metrics_collections, updates_collections)


def mean_tensor(values, weights=None, metrics_collections=None, updates_collections=None,
                name=None):
    """The elementwise weighted mean of the tensors seen."""
    v1, graph = _graph("mean_tensor")
    scope = _scope(name, "mean")
    values = _tf.cast(values, "float32")
    w = _weights(values, weights)
    shape = values.shape.as_list()
    total = _local(graph, v1, scope, "total_tensor", shape)
    count = _local(graph, v1, scope, "count_tensor", shape)
    update_total = total.assign_add(values * w)
    update_count = count.assign_add(w)
    with graph.control_dependencies([update_total, update_count]):
        update = _tf.math.divide_no_nan(_tf.identity(update_total), _tf.identity(update_count))
    value = _tf.math.divide_no_nan(total.value(), count.value())
    return _collect(v1, value, update, metrics_collections, updates_collections)


def accuracy(labels, predictions, weights=None, metrics_collections=None,
             updates_collections=None, name=None):
    """How often ``predictions`` equals ``labels``."""
    predictions = _tf.convert_to_tensor(predictions)
    labels = _tf.cast(labels, predictions.dtype)
    correct = _tf.cast(_tf.equal(predictions, labels), "float32")
    return mean(correct, weights, metrics_collections, updates_collections,
                name or _scope(None, "accuracy"))


def mean_absolute_error(labels, predictions, weights=None, metrics_collections=None,
                        updates_collections=None, name=None):
    predictions = _tf.cast(predictions, "float32")
    return mean(_tf.abs(predictions - _tf.cast(labels, "float32")), weights,
                metrics_collections, updates_collections,
                name or _scope(None, "mean_absolute_error"))


def mean_squared_error(labels, predictions, weights=None, metrics_collections=None,
                       updates_collections=None, name=None):
    predictions = _tf.cast(predictions, "float32")
    return mean(_tf.square(predictions - _tf.cast(labels, "float32")), weights,
                metrics_collections, updates_collections,
                name or _scope(None, "mean_squared_error"))


def root_mean_squared_error(labels, predictions, weights=None, metrics_collections=None,
                            updates_collections=None, name=None):
    v1, _ = _graph("root_mean_squared_error")
    mse, update = mean_squared_error(labels, predictions, weights, None, None,
                                     name or _scope(None, "root_mean_squared_error"))
    return _collect(v1, _tf.sqrt(mse), _tf.sqrt(update), metrics_collections,
                    updates_collections)


def _count(kind, labels, predictions, weights, metrics_collections, updates_collections,
           name):
    v1, graph = _graph(kind)
    scope = _scope(name, kind)
    labels = _tf.cast(labels, _tf.bool)
    predictions = _tf.cast(predictions, _tf.bool)
    hit = {"true_positives": _tf.logical_and(labels, predictions),
           "false_positives": _tf.logical_and(_tf.logical_not(labels), predictions),
           "true_negatives": _tf.logical_and(_tf.logical_not(labels),
                                             _tf.logical_not(predictions)),
           "false_negatives": _tf.logical_and(labels, _tf.logical_not(predictions))}[kind]
    hit = _tf.cast(hit, "float32")
    total = _local(graph, v1, scope, "count")
    update = total.assign_add(_tf.reduce_sum(hit * _weights(hit, weights)))
    return _collect(v1, total.value(), update, metrics_collections, updates_collections)


def true_positives(labels, predictions, weights=None, metrics_collections=None,
                   updates_collections=None, name=None):
    return _count("true_positives", labels, predictions, weights, metrics_collections,
                  updates_collections, name)


def false_positives(labels, predictions, weights=None, metrics_collections=None,
                    updates_collections=None, name=None):
    return _count("false_positives", labels, predictions, weights, metrics_collections,
                  updates_collections, name)


def true_negatives(labels, predictions, weights=None, metrics_collections=None,
                   updates_collections=None, name=None):
    return _count("true_negatives", labels, predictions, weights, metrics_collections,
                  updates_collections, name)


def false_negatives(labels, predictions, weights=None, metrics_collections=None,
                    updates_collections=None, name=None):
    return _count("false_negatives", labels, predictions, weights, metrics_collections,
                  updates_collections, name)


def _ratio(kind, other, labels, predictions, weights, metrics_collections,
           updates_collections, name):
    v1, graph = _graph(kind)
    scope = _scope(name, kind)
    tp, tp_update = _count("true_positives", labels, predictions, weights, None, None,
                           f"{scope}/true_positives")
    xx, xx_update = _count(other, labels, predictions, weights, None, None,
                           f"{scope}/{other}")
    value = _tf.math.divide_no_nan(tp, tp + xx)
    update = _tf.math.divide_no_nan(tp_update, tp_update + xx_update)
    return _collect(v1, value, update, metrics_collections, updates_collections)


def precision(labels, predictions, weights=None, metrics_collections=None,
              updates_collections=None, name=None):
    """true positives / (true positives + false positives)."""
    return _ratio("precision", "false_positives", labels, predictions, weights,
                  metrics_collections, updates_collections, name)


def recall(labels, predictions, weights=None, metrics_collections=None,
           updates_collections=None, name=None):
    """true positives / (true positives + false negatives)."""
    return _ratio("recall", "false_negatives", labels, predictions, weights,
                  metrics_collections, updates_collections, name)


def auc(labels, predictions, weights=None, num_thresholds=200, metrics_collections=None,
        updates_collections=None, curve="ROC", name=None, summation_method="trapezoidal",
        thresholds=None):
    """The area under the ROC (or PR) curve from confusion counts at ``num_thresholds``
    thresholds spread over [0, 1], summed with the trapezoidal rule."""
    if summation_method not in ("trapezoidal", "careful_interpolation", "minoring",
                                "majoring"):
        raise ValueError(f"auc: unknown summation_method {summation_method!r}")
    if curve not in ("ROC", "PR"):
        raise ValueError(f"auc: curve must be 'ROC' or 'PR', got {curve!r}")
    v1, graph = _graph("auc")
    scope = _scope(name, "auc")
    if thresholds is None:
        eps = 1e-7
        inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        thresholds = [0.0 - eps] + inner + [1.0 + eps]
    n = len(thresholds)
    preds = _tf.reshape(_tf.cast(predictions, "float32"), [1, -1])
    labels = _tf.reshape(_tf.cast(labels, _tf.bool), [1, -1])
    above = _tf.greater(preds, _tf.reshape(_tf.constant(thresholds, "float32"), [n, 1]))
    w = _tf.reshape(_weights(_tf.cast(predictions, "float32"), weights), [1, -1])
    counts = {}
    updates = []
    for key, mask in (("tp", _tf.logical_and(above, labels)),
                      ("fp", _tf.logical_and(above, _tf.logical_not(labels))),
                      ("tn", _tf.logical_and(_tf.logical_not(above), _tf.logical_not(labels))),
                      ("fn", _tf.logical_and(_tf.logical_not(above), labels))):
        var = _local(graph, v1, scope, {"tp": "true_positives", "fp": "false_positives",
                                        "tn": "true_negatives", "fn": "false_negatives"}[key],
                     (n,))
        counts[key] = var
        updates.append(var.assign_add(_tf.reduce_sum(_tf.cast(mask, "float32") * w, axis=1)))

    def area(tp, fp, tn, fn):
        epsilon = 1e-7
        if curve == "ROC":
            x = fp / (fp + tn + epsilon)
            y = tp / (tp + fn + epsilon)
        else:
            x = tp / (tp + fn + epsilon)
            y = tp / (tp + fp + epsilon)
        return _tf.reduce_sum((x[:n - 1] - x[1:]) * (y[:n - 1] + y[1:]) / 2.0)

    value = area(*(counts[k].value() for k in ("tp", "fp", "tn", "fn")))
    update = area(*updates)
    return _collect(v1, value, update, metrics_collections, updates_collections)
