"""Keras 3's functional-state methods of layers: ``stateless_call`` (run a layer with given
variable values, returning the updated non-trainable ones) and ``save_own_variables`` /
``load_own_variables``; and the methods Keras 3 has but ember does not support
(``quantize``) or that are deprecated (``add_metric``), which raise clearly."""
from __future__ import annotations

import numpy as np

import ember

__all__ = ["LayerStateMixin"]


def _values(variables, what, expected, owner):
    variables = list(variables)
    if len(variables) != len(expected):
        raise ValueError(f"{owner}: expected {len(expected)} {what} (one per variable in "
                         f"`{what}`), received {len(variables)}")
    return variables


class LayerStateMixin:
    """Mixed into ``Layer``."""

    @property
    def path(self):
        """The layer's name (its place among nested layers is not recorded by ember)."""
        return self.name

    @property
    def quantization_mode(self):
        return None

    def quantize(self, mode=None, type_check=True, config=None, **kwargs):
        raise NotImplementedError(f"Layer {self.name}: quantization (mode={mode!r}) is not "
                                  f"supported by ember")

    def quantized_build(self, *args, **kwargs):
        raise NotImplementedError("quantized layers are not supported by ember")

    def quantized_call(self, *args, **kwargs):
        raise NotImplementedError("quantized layers are not supported by ember")

    def rematerialized_call(self, layer_call, *args, **kwargs):
        """``layer_call`` itself: ember does not rematerialize activations."""
        return layer_call

    def add_metric(self, *args, **kwargs):
        raise NotImplementedError(
            "Layer `add_metric()` method is deprecated. Add your metric in "
            "`Model.compile(metrics=[...])`, or create metric trackers in init() or build() "
            "when subclassing the layer or model, then call `metric.update_state()` "
            "whenever necessary.")

    def add_variable(self, shape, initializer, dtype=None, trainable=True, autocast=True,
                     regularizer=None, constraint=None, name=None):
        """Keras 3's other name of ``add_weight``."""
        return self.add_weight(shape=shape, initializer=initializer, dtype=dtype,
                               trainable=trainable, autocast=autocast,
                               regularizer=regularizer, constraint=constraint, name=name)

    @property
    def metrics(self):
        """The Metric objects this layer and its sub-layers hold as attributes."""
        from ember.keras.metrics import Metric
        out, seen = [], set()
        for layer in self._flatten_layers():
            for value in vars(layer).values():
                items = value if isinstance(value, (list, tuple)) else [value]
                for m in items:
                    if isinstance(m, Metric) and id(m) not in seen:
                        seen.add(id(m))
                        out.append(m)
        return out

    @property
    def metrics_variables(self):
        return [v for m in self.metrics for v in m.variables]

    def save_own_variables(self, store):
        """Writes this layer's own variables' values to ``store`` under "0", "1", ..."""
        from ember.keras.saving.object_paths import own_variables
        for i, v in enumerate(own_variables(self)):
            store[str(i)] = np.asarray(v.numpy())

    def load_own_variables(self, store):
        """Reads this layer's own variables back from a ``save_own_variables`` store."""
        from ember.keras.saving.object_paths import own_variables
        variables = own_variables(self)
        if len(store) != len(variables):
            raise ValueError(f"Layer '{self.name}' expected {len(variables)} variables, but "
                             f"received {len(store)} variables during loading.")
        for i, v in enumerate(variables):
            v.assign(np.asarray(store[str(i)], dtype=v.dtype.np))

    def stateless_call(self, trainable_variables, non_trainable_variables, *args,
                       return_losses=False, **kwargs):
        """Calls the layer as if its variables held the given values, leaving them
        untouched: ``(outputs, new non_trainable_variables)`` (and the losses the call
        added, with ``return_losses``), in ``trainable_variables`` /
        ``non_trainable_variables`` order."""
        owner = f"Layer {self.name}.stateless_call"
        trainable = self.trainable_variables
        non_trainable = self.non_trainable_variables
        values_t = _values(trainable_variables, "trainable_variables", trainable, owner)
        values_n = _values(non_trainable_variables, "non_trainable_variables",
                           non_trainable, owner)
        saved = [v.numpy() for v in trainable + non_trainable]
        try:
            for v, value in zip(trainable + non_trainable, values_t + values_n):
                v.assign(ember.cast(value, v.dtype) if ember.is_tensor(value) else
                         np.asarray(value, dtype=v.dtype.np))
            outputs = self(*args, **kwargs)
            new_non_trainable = [ember.identity(v.value()) for v in non_trainable]
            losses = list(self.losses) if return_losses else None
        finally:
            for v, value in zip(trainable + non_trainable, saved):
                v.assign(value)
        if return_losses:
            return outputs, new_non_trainable, losses
        return outputs, new_non_trainable

    def symbolic_call(self, *args, **kwargs):
        """The layer called on KerasTensors (shape and dtype inference)."""
        return self(*args, **kwargs)
