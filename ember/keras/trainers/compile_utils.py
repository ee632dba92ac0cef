"""What compile() sets up: the loss over one or several outputs, and the metrics."""
from __future__ import annotations

import ember

__all__ = ["CompileLoss", "CompileMetrics"]


def _output_list(structure, names, what):
    """A per-output list from a single value, a list, or a dict keyed by output name."""
    n = len(names)
    if isinstance(structure, dict):
        unknown = [k for k in structure if k not in names]
        if unknown:
            raise ValueError(f"Unknown entries in {what} dictionary: {unknown}. Only expected "
                             f"following keys: {names}")
        return [structure.get(k) for k in names]
    if isinstance(structure, (list, tuple)) and n > 1:
        if len(structure) != n:
            raise ValueError(f"When there are {n} outputs, {what} should be a list of {n} "
                             f"entries or a dict; got {len(structure)} entries.")
        return list(structure)
    return [structure] * n


class CompileLoss:
    """Sums each output's loss times its weight (plus nothing else: layer losses are added
    by the model)."""

    def __init__(self, loss, loss_weights=None, output_names=None):
        self._spec = loss
        self._weights_spec = loss_weights
        self.output_names = output_names
        self._built = False

    def build(self, y_true, y_pred, output_names):
        from ember.keras import losses
        flat_pred = ember.nest.flatten(y_pred)
        names = output_names if output_names and len(output_names) == len(flat_pred) else \
            [f"output_{i}" for i in range(len(flat_pred))]
        self.output_names = names
        specs = _output_list(self._spec, names, "loss")
        self.losses = [_resolve_loss(s) for s in specs]
        if self._weights_spec is None:
            self.weights = [1.0] * len(names)
        else:
            self.weights = [1.0 if w is None else float(w)
                            for w in _output_list(self._weights_spec, names, "loss_weights")]
        self._built = True

    def __call__(self, y_true, y_pred, sample_weight=None):
        flat_pred = ember.nest.flatten(y_pred)
        if isinstance(y_true, dict):
            flat_true = [y_true.get(n) for n in self.output_names]
        else:
            flat_true = ember.nest.flatten(y_true) if len(flat_pred) > 1 else [y_true]
        if len(flat_true) != len(flat_pred):
            raise ValueError(f"The model has {len(flat_pred)} outputs but {len(flat_true)} "
                             f"targets were given.")
        if isinstance(sample_weight, dict):
            flat_sw = [sample_weight.get(n) for n in self.output_names]
        elif isinstance(sample_weight, (list, tuple)) and len(flat_pred) > 1:
            flat_sw = list(sample_weight)
        else:
            flat_sw = [sample_weight] * len(flat_pred)
        total = None
        self.per_output = []
        for fn, w, yt, yp, sw in zip(self.losses, self.weights, flat_true, flat_pred, flat_sw):
            if fn is None or yt is None:
                self.per_output.append(None)
                continue
            value = fn(yt, yp, sample_weight=sw)
            self.per_output.append(value)
            value = value * w if w != 1.0 else value
            total = value if total is None else total + value
        if total is None:
            raise ValueError("No loss to compute: compile() was given no loss for any output.")
        return total


def _resolve_loss(identifier):
    """A ``Loss`` object, as Keras's compile makes one: a function (built-in or the user's)
    is wrapped in ``LossFunctionWrapper``, which brings y_true and y_pred to the same rank
    before calling it and weights and reduces its values like every loss."""
    from ember.keras import losses
    if identifier is None:
        return None
    loss = losses.get(identifier)
    if isinstance(loss, losses.Loss):
        return loss
    if not callable(loss):
        raise ValueError(f"Could not interpret loss identifier: {identifier!r}")
    name = identifier if isinstance(identifier, str) else \
        getattr(loss, "__name__", None) or type(loss).__name__
    return losses.LossFunctionWrapper(loss, name=name)


def _resolve_metric(identifier, y_true, y_pred, loss_fn):
    """A metric object; "accuracy"/"crossentropy" pick the variant that fits the targets."""
    from ember.keras import metrics
    if isinstance(identifier, str) and identifier in ("accuracy", "acc", "crossentropy",
                                                       "ce"):
        kind = _target_kind(y_true, y_pred, loss_fn)
        accuracy = identifier in ("accuracy", "acc")
        if kind == "binary":
            return metrics.BinaryAccuracy(name=identifier) if accuracy else \
                metrics.BinaryCrossentropy(name=identifier)
        if kind == "sparse":
            return metrics.SparseCategoricalAccuracy(name=identifier) if accuracy else \
                metrics.SparseCategoricalCrossentropy(name=identifier)
        return metrics.CategoricalAccuracy(name=identifier) if accuracy else \
            metrics.CategoricalCrossentropy(name=identifier)
    m = metrics.get(identifier)
    if not isinstance(m, metrics.Metric):
        if not callable(m):
            raise ValueError(f"Could not interpret metric identifier: {identifier!r}")
        m = metrics.MeanMetricWrapper(m, name=getattr(m, "__name__", "metric"))
    if isinstance(identifier, str):
        m.name = identifier     # logs use the name as written in compile ("mae")
    return m


def _target_kind(y_true, y_pred, loss_fn):
    name = ""
    if loss_fn is not None:
        name = getattr(loss_fn, "name", None) or getattr(loss_fn, "__name__", "") or ""
        inner = getattr(loss_fn, "fn", None)
        if inner is not None:
            name += " " + getattr(inner, "__name__", "")
    name = name.lower()
    if "sparse_categorical" in name:
        return "sparse"
    if "binary" in name:
        return "binary"
    if "categorical" in name:
        return "categorical"
    yp, yt = y_pred.shape, y_true.shape
    if yp.rank is not None and yp[-1] == 1:
        return "binary"
    if yt.rank is not None and yp.rank is not None and (
            yt.rank < yp.rank or (yt[-1] == 1 and (yp[-1] or 2) > 1)):
        return "sparse"
    return "categorical"


class CompileMetrics:
    """The metrics of compile(), per output; built on the first batch."""

    def __init__(self, metrics, weighted_metrics=None, output_names=None):
        self._spec = metrics
        self._weighted_spec = weighted_metrics
        self.output_names = output_names
        self.built = False
        self.flat = []

    def build(self, y_true, y_pred, loss_fns, output_names):
        flat_pred = ember.nest.flatten(y_pred)
        flat_true = ember.nest.flatten(y_true) if len(flat_pred) > 1 else [y_true]
        names = output_names
        multi = len(flat_pred) > 1
        self.entries = []
        for spec, weighted in ((self._spec, False), (self._weighted_spec, True)):
            if spec is None:
                continue
            if isinstance(spec, dict):
                per_output = [spec.get(n) for n in names]
            elif multi and isinstance(spec, (list, tuple)) and len(spec) == len(flat_pred) \
                    and all(isinstance(s, (list, tuple)) or s is None for s in spec):
                per_output = list(spec)
            else:
                per_output = [spec] * len(flat_pred)
            for i, items in enumerate(per_output):
                if items is None:
                    continue
                items = items if isinstance(items, (list, tuple)) else [items]
                for item in items:
                    m = _resolve_metric(item, flat_true[i], flat_pred[i], loss_fns[i]
                                        if i < len(loss_fns) else None)
                    if multi:
                        m.name = f"{names[i]}_{m.name}"
                    self.entries.append((i, m, weighted))
        self.flat = [m for _, m, _ in self.entries]
        self.built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        flat_pred = ember.nest.flatten(y_pred)
        if isinstance(y_true, dict):
            flat_true = [y_true.get(n) for n in self.output_names]
        else:
            flat_true = ember.nest.flatten(y_true) if len(flat_pred) > 1 else [y_true]
        for i, m, weighted in self.entries:
            if flat_true[i] is None:
                continue
            sw = sample_weight if weighted else None
            if isinstance(sw, (list, tuple, dict)):
                sw = ember.nest.flatten(sw)[i]
            m.update_state(flat_true[i], flat_pred[i], sample_weight=sw)
