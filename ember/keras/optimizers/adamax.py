"""keras.optimizers.Adamax."""
from __future__ import annotations

import ember
from ember.keras.optimizers.base_optimizer import Optimizer, _cast

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Adam with the infinity norm in place of the second moment::

        t = iterations + 1
        m += (g - m) * (1 - beta_1)
        u = max(beta_2 * u, |g|)
        w -= learning_rate * m / ((1 - beta_1 ** t) * (u + epsilon))

    >>> opt = Adamax(learning_rate=0.001)
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name="adamax",
                 **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._m, self._u = self.add_optimizer_variables(var_list, ["momentum", "norm"])

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        lr = self._lr(learning_rate, dtype)
        gradient = ember.cast(gradient, dtype)
        one_minus_beta_1_power = self._per_step(
            "adamax_bias", dtype,
            lambda: 1 - ember.pow(_cast(self.beta_1, dtype),
                                  ember.cast(self.iterations + 1, dtype)))
        index = self._get_variable_index(variable)
        m = self._m[index]
        u = self._u[index]
        self.assign_add(m, (gradient - m) * (1 - self.beta_1))
        self.assign(u, ember.maximum(self.beta_2 * u, ember.abs(gradient)))
        self.assign_sub(variable, lr * m / (one_minus_beta_1_power * (u + self.epsilon)))

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2,
                       "epsilon": self.epsilon})
        return config
