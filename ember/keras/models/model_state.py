"""Keras 3's model-state methods: ``get_state_tree`` / ``set_state_tree`` (every variable
by path, grouped as trainable, non-trainable, optimizer and metrics variables),
``stateless_compute_loss``, and the trainer properties Keras 3 exposes."""
from __future__ import annotations

import numpy as np

import ember

__all__ = ["ModelStateMixin"]

_GROUPS = ("trainable_variables", "non_trainable_variables", "optimizer_variables",
           "metrics_variables")


def _short(variable):
    return variable.name.split(":")[0].split("/")[-1]


def _layer_paths(layer, prefix, out):
    """{id(variable): path parts} for a layer's own variables, then its sub-layers'."""
    for v in list(layer._trainable_weights) + list(layer._non_trainable_weights):
        out.setdefault(id(v), prefix + [(getattr(v, "path", "") or _short(v)).split("/")[-1]])
    for sub in layer._layers:
        _layer_paths(sub, prefix + [sub.name], out)
    return out


def _insert(tree, parts, value):
    for p in parts[:-1]:
        tree = tree.setdefault(p, {})
    tree[parts[-1]] = value


class ModelStateMixin:
    """Mixed into ``Model``."""

    def _state_groups(self):
        paths = _layer_paths(self, [self.name], {})
        groups = {"trainable_variables": [(paths[id(v)], v) for v in self.trainable_variables],
                  "non_trainable_variables": [(paths[id(v)], v)
                                              for v in self.non_trainable_variables]}
        opt = getattr(self, "optimizer", None)
        if opt is not None:
            groups["optimizer_variables"] = [([opt.name, _short(v)], v)
                                             for v in opt.variables]
        metrics = [m for m in getattr(self, "metrics", [])]
        if metrics:
            groups["metrics_variables"] = [([m.name, _short(v)], v)
                                           for m in metrics for v in m.variables]
        return groups

    def get_state_tree(self, value_format="backend_tensor"):
        """{group: nested {model name: {layer name: {variable name: value}}}} of every
        variable (values as tensors, or NumPy arrays with value_format="numpy_array")."""
        if value_format not in ("backend_tensor", "numpy_array"):
            raise ValueError(f"get_state_tree: value_format must be 'backend_tensor' or "
                             f"'numpy_array'; received {value_format!r}")
        tree = {}
        for group, items in self._state_groups().items():
            sub = tree.setdefault(group, {})
            for parts, v in items:
                value = np.asarray(v.numpy()) if value_format == "numpy_array" else \
                    ember.identity(v.value())
                _insert(sub, parts, value)
        return tree

    def set_state_tree(self, state_tree):
        """Assigns the values of a ``get_state_tree`` tree (groups and variables it does
        not hold are left alone; a path it holds that the model lacks raises)."""
        groups = self._state_groups()
        for group, sub in state_tree.items():
            if group not in _GROUPS:
                raise ValueError(f"set_state_tree: unknown group {group!r}; expected one of "
                                 f"{_GROUPS}")
            known = {tuple(parts): v for parts, v in groups.get(group, [])}
            for parts, value in _leaves(sub, []):
                v = known.get(tuple(parts))
                if v is None:
                    raise ValueError(f"set_state_tree: the model has no {group} variable "
                                     f"at {'/'.join(parts)}")
                v.assign(np.asarray(value, dtype=v.dtype.np))

    def stateless_compute_loss(self, trainable_variables, non_trainable_variables,
                               metrics_variables, x=None, y=None, y_pred=None,
                               sample_weight=None, training=True):
        """``compute_loss`` as if the variables held the given values: (loss,
        (non_trainable_variables, metrics_variables)) afterwards; the model's own
        variables are left untouched."""
        own = list(self.trainable_variables) + list(self.non_trainable_variables)
        metric_vars = [v for m in getattr(self, "metrics", []) for v in m.variables]
        given = list(trainable_variables) + list(non_trainable_variables)
        if len(given) != len(own) or len(list(metrics_variables)) != len(metric_vars):
            raise ValueError(f"Model {self.name}.stateless_compute_loss: expected "
                             f"{len(own)} model and {len(metric_vars)} metrics variables")
        everything = own + metric_vars
        saved = [v.numpy() for v in everything]
        try:
            for v, value in zip(everything, given + list(metrics_variables)):
                v.assign(np.asarray(value, dtype=v.dtype.np))
            loss = self.compute_loss(x, y, y_pred, sample_weight, training=training)
            new_nt = [ember.identity(v.value()) for v in self.non_trainable_variables]
            new_metrics = [ember.identity(v.value()) for v in metric_vars]
        finally:
            for v, value in zip(everything, saved):
                v.assign(value)
        return loss, (new_nt, new_metrics)

    @property
    def compiled_loss(self):
        """The compiled loss object (Keras 3 keeps this tf.keras name, deprecated)."""
        return self._compile_loss

    @property
    def compiled_metrics(self):
        return self._compile_metrics

    @property
    def jit_compile(self):
        """What ``compile(jit_compile=...)`` received (ember compiles its own plans)."""
        return getattr(self, "_jit_compile", "auto")

    @property
    def distribute_strategy(self):
        return getattr(ember, "distribute", None) and \
            getattr(ember.distribute, "get_strategy", lambda: None)()

    @property
    def distribute_reduction_method(self):
        return getattr(self, "_distribute_reduction_method", None) or "auto"

    @distribute_reduction_method.setter
    def distribute_reduction_method(self, value):
        self._distribute_reduction_method = value


def _leaves(tree, prefix):
    for k, v in tree.items():
        if isinstance(v, dict):
            yield from _leaves(v, prefix + [k])
        else:
            yield prefix + [k], v
