"""keras.optimizers.Muon: momentum orthogonalized by Newton-Schulz iterations."""
from __future__ import annotations

import math
import re

import ember
from ember.keras.optimizers.base_optimizer import Optimizer, _cast

__all__ = ["Muon"]


def _swap_last(x):
    rank = x.shape.rank
    return ember.transpose(x, list(range(rank - 2)) + [rank - 1, rank - 2])


class Muon(Optimizer):
    """Muon (Jordan et al., 2024; Liu et al., 2025), as Keras 3 computes it. 2-D weights
    take the Muon step: momentum ``m += g + (momentum - 1) m``, Nesterov's ``g +
    momentum * m`` (or ``m``) orthogonalized by ``ns_steps`` quintic Newton-Schulz
    iterations (coefficients ``muon_a``, ``muon_b``, ``muon_c``), scaled by
    ``sqrt(max(rows, cols)) * rms_rate``. Other weights — not 2-D, embeddings (when
    ``exclude_embeddings``) and paths matching ``exclude_layers`` — take AdamW's step
    with ``learning_rate * adam_lr_ratio`` and ``adam_weight_decay``.

    >>> opt = ember.keras.optimizers.Muon(learning_rate=0.01, exclude_layers=["output"])
    """

    def __init__(self, learning_rate=0.001, adam_beta_1=0.9, adam_beta_2=0.999,
                 adam_weight_decay=0.004, epsilon=1e-7, weight_decay=0.004, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name="muon", exclude_layers=None,
                 exclude_embeddings=True, muon_a=3.4445, muon_b=-4.7750, muon_c=2.0315,
                 adam_lr_ratio=1, momentum=0.95, ns_steps=5, nesterov=True, rms_rate=0.2,
                 **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, **kwargs)
        self.adam_beta_1 = adam_beta_1
        self.adam_beta_2 = adam_beta_2
        self.epsilon = epsilon
        self.muon_a, self.muon_b, self.muon_c = muon_a, muon_b, muon_c
        self.adam_lr_ratio = adam_lr_ratio
        self.momentum = momentum
        self.ns_steps = ns_steps
        self.nesterov = nesterov
        self.exclude_embeddings = exclude_embeddings
        self.exclude_layers = list(exclude_layers or [])
        self.adam_weight_decay = adam_weight_decay
        self.rms_rate = rms_rate

    def _should_use_adamw(self, variable):
        if variable.shape.rank != 2:
            return True
        path = getattr(variable, "path", None) or variable.name
        if self.exclude_embeddings and "embedding" in path.lower():
            return True
        return any(re.search(keyword, path) for keyword in self.exclude_layers)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self.momentums = [self.add_variable_from_reference(v, "momentum") for v in var_list]
        self.adam_velocities = [self.add_variable_from_reference(v, "velocity")
                                if self._should_use_adamw(v) else None for v in var_list]

    def update_step(self, gradient, variable, learning_rate):
        index = self._get_variable_index(variable)
        m, v = self.momentums[index], self.adam_velocities[index]
        if v is not None:
            self._adamw_step(gradient, variable, learning_rate * self.adam_lr_ratio, m, v)
        else:
            self._muon_step(gradient, variable, learning_rate, m)

    def _muon_step(self, gradient, variable, learning_rate, m):
        dtype = variable.dtype
        gradient = ember.cast(gradient, dtype)
        mom = _cast(self.momentum, dtype)
        self.assign_add(m, gradient + m * (mom - 1.0))
        g = gradient + mom * m if self.nesterov else m.value()
        update = ember.cast(learning_rate, dtype) * self.newton_schulz(g, self.ns_steps)
        if self.rms_rate is not None:
            rows, cols = update.shape.as_list()
            update = update * _cast(math.sqrt(max(rows, cols)) * self.rms_rate, dtype)
        self.assign_sub(variable, update)

    def _adamw_step(self, gradient, variable, learning_rate, m, v):
        dtype = variable.dtype
        lr = ember.cast(learning_rate, dtype)
        gradient = ember.cast(gradient, dtype)
        t = ember.cast(self.iterations + 1, dtype)
        b1, b2 = _cast(self.adam_beta_1, dtype), _cast(self.adam_beta_2, dtype)
        alpha = lr * ember.sqrt(1.0 - ember.pow(b2, t)) / (1.0 - ember.pow(b1, t))
        self.assign_add(m, (gradient - m) * (1.0 - b1))
        self.assign_add(v, (ember.square(gradient) - v) * (1.0 - b2))
        self.assign_sub(variable, m * alpha / (ember.sqrt(v) + _cast(self.epsilon, dtype)))

    def newton_schulz(self, x, steps):
        """x's orthogonal factor, approximately (U S' V^T with S' near 1), by ``steps``
        quintic Newton-Schulz iterations on x / ||x||."""
        if x.shape.rank is None or x.shape.rank < 2:
            raise ValueError(f"Muon: expected a gradient or momentum of at least 2 "
                             f"dimensions; received shape {x.shape}")
        a, b, c = self.muon_a, self.muon_b, self.muon_c
        tall = x.shape[-2] > x.shape[-1]
        if tall:
            x = _swap_last(x)
        x = x / (ember.norm(x, axis=[-2, -1], keepdims=True) + 1e-7)
        for _ in range(steps):
            xxt = ember.matmul(x, _swap_last(x))
            x = a * x + ember.matmul(b * xxt + c * ember.matmul(xxt, xxt), x)
        return _swap_last(x) if tall else x

    def _apply_weight_decay(self, variables, learning_rate=None):
        lr_value = self.learning_rate if learning_rate is None else learning_rate
        for variable in variables:
            if not self._use_weight_decay(variable):
                continue
            wd = self.adam_weight_decay if self._should_use_adamw(variable) else \
                self.weight_decay
            if wd is None:
                continue
            lr = ember.cast(lr_value, variable.dtype)
            self.assign(variable, variable - variable * _cast(wd, variable.dtype) * lr)

    def get_config(self):
        config = super().get_config()
        config.update({"adam_beta_1": self.adam_beta_1, "adam_beta_2": self.adam_beta_2,
                       "epsilon": self.epsilon, "exclude_layers": self.exclude_layers,
                       "muon_a": self.muon_a, "muon_b": self.muon_b, "muon_c": self.muon_c,
                       "adam_lr_ratio": self.adam_lr_ratio, "momentum": self.momentum,
                       "ns_steps": self.ns_steps, "nesterov": self.nesterov,
                       "exclude_embeddings": self.exclude_embeddings,
                       "adam_weight_decay": self.adam_weight_decay,
                       "rms_rate": self.rms_rate})
        return config
