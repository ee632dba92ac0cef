"""keras.optimizers.RMSprop."""
from __future__ import annotations

import ember
from ember.keras.optimizers.base_optimizer import Optimizer
from ember.ops.indexed_slices import deduplicate

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """Divides the gradient by a running root mean square of recent gradients::

        velocity = rho * velocity + (1 - rho) * g ** 2
        denom = velocity + epsilon            # centered: velocity - avg_g ** 2 + epsilon
        increment = learning_rate * g / sqrt(denom)
        w -= increment                        # momentum > 0: m = momentum * m + increment;
                                              #               w -= m

    >>> opt = RMSprop(learning_rate=0.001, rho=0.9)
    """

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name="rmsprop", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, **kwargs)
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._velocities = self.add_optimizer_variables(var_list, "velocity")
        self._momentums = []
        if self.momentum > 0:
            self._momentums = self.add_optimizer_variables(var_list, "momentum")
        self._average_gradients = []
        if self.centered:
            self._average_gradients = self.add_optimizer_variables(var_list,
                                                                   "average_gradient")

    def update_step(self, gradient, variable, learning_rate):
        increment = self._increment(gradient, variable, learning_rate)
        index = self._get_variable_index(variable)
        if self.momentum > 0:
            momentum = self._momentums[index]
            self.assign(momentum, self.momentum * momentum + increment)
            self.assign_sub(variable, momentum)
        else:
            self.assign_sub(variable, increment)

    def _increment(self, gradient, variable, learning_rate, slices=None):
        """Updates the averages; returns ``lr * g / sqrt(denominator)`` (for ``slices``,
        a dense ``gradient`` of them, the rows they list only)."""
        dtype = variable.dtype
        lr = self._lr(learning_rate, dtype)
        gradient = ember.cast(gradient, dtype)
        index = self._get_variable_index(variable)
        velocity = self._velocities[index]
        rho = self.rho
        # Clamped at the smallest normal float: where gradients stay 0 (dead units) the
        # average would decay into subnormals, which x86 computes many times slower.
        self.assign(velocity, ember.maximum(rho * velocity + (1 - rho) * ember.square(gradient),
                                            _smallest_normal(dtype)))
        if self.centered:
            average_grad = self._average_gradients[index]
            self.assign(average_grad, rho * average_grad + (1 - rho) * gradient)
            denominator = velocity - ember.square(average_grad) + self.epsilon
        else:
            denominator = velocity + self.epsilon
        if slices is None:
            return lr * gradient / ember.sqrt(denominator)
        rows = ember.gather(denominator, slices.indices)
        return ember.IndexedSlices(lr * ember.cast(slices.values, dtype) / ember.sqrt(rows),
                                   slices.indices)

    def _updates_rows(self, variable):
        return not self.momentum > 0

    def _sparse_update_step(self, slices, variable, learning_rate):
        slices = deduplicate(slices)
        increment = self._increment(ember.convert_to_tensor(slices), variable, learning_rate,
                                    slices)
        self._scatter_sub(variable, increment)

    def get_config(self):
        config = super().get_config()
        config.update({"rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                       "centered": self.centered})
        return config


def _smallest_normal(dtype):
    import numpy as np
    return ember.constant(np.finfo(dtype.np).tiny, dtype=dtype)
