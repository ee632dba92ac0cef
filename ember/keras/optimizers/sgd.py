"""keras.optimizers.SGD: gradient descent with optional (Nesterov) momentum."""
from __future__ import annotations

import numbers

import ember
from ember.keras.optimizers.base_optimizer import Optimizer, _cast

__all__ = ["SGD"]


class SGD(Optimizer):
    """Gradient descent, with momentum when ``momentum > 0``::

        velocity = momentum * velocity - learning_rate * g
        w = w + velocity                                   # nesterov=False
        w = w + momentum * velocity - learning_rate * g    # nesterov=True

    >>> w = ember.Variable([1.0])
    >>> opt = SGD(learning_rate=0.1, momentum=0.9)
    >>> _ = opt.apply_gradients([(ember.constant([1.0]), w)])
    >>> w.numpy()
    array([0.9], dtype=float32)
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name="SGD", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, **kwargs)
        if isinstance(momentum, bool) or not isinstance(momentum, numbers.Real) or \
                momentum < 0 or momentum > 1:
            raise ValueError(f"`momentum` must be a float between [0, 1]. "
                             f"Received: momentum={momentum!r}")
        self.momentum = momentum
        self.nesterov = nesterov

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self.momentums = []
        if self.momentum != 0:
            self.momentums = self.add_optimizer_variables(variables, "momentum")

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        lr = self._lr(learning_rate, dtype)
        gradient = ember.cast(gradient, dtype)
        if self.momentum == 0:
            self.assign_sub(variable, gradient * lr)
            return
        m = self.momentums[self._get_variable_index(variable)]
        momentum = self._per_step("momentum", dtype, lambda: _cast(self.momentum, dtype))
        step = gradient * lr
        self.assign(m, m * momentum - step)
        if self.nesterov:
            self.assign_add(variable, m * momentum - step)
        else:
            self.assign_add(variable, m)

    def _updates_rows(self, variable):
        return self.momentum == 0

    def _sparse_update_step(self, slices, variable, learning_rate):
        lr = self._lr(learning_rate, variable.dtype)
        self._scatter_sub(variable, ember.IndexedSlices(
            ember.cast(slices.values, variable.dtype) * lr, slices.indices))

    def get_config(self):
        config = super().get_config()
        config.update({"momentum": self.momentum, "nesterov": self.nesterov})
        return config
