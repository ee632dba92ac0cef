"""keras.optimizers.Adam."""
from __future__ import annotations

import ember
from ember.keras.optimizers.rmsprop import _smallest_normal
from ember.keras.optimizers.base_optimizer import Optimizer, _cast

__all__ = ["Adam"]


class Adam(Optimizer):
    """Adam: adaptive first and second moment estimates with bias correction::

        t = iterations + 1
        alpha = learning_rate * sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
        m += (g - m) * (1 - beta_1)
        v += (g ** 2 - v) * (1 - beta_2)
        v_hat = max(v_hat, v)                 # amsgrad only; then used in place of v
        w -= m * alpha / (sqrt(v) + epsilon)

    >>> opt = Adam(learning_rate=0.001)
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name="adam", **kwargs):
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
        self.amsgrad = amsgrad

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"])
        if self.amsgrad:
            self._velocity_hats = self.add_optimizer_variables(var_list, "velocity_hat")

    def _alpha(self, learning_rate, dtype):
        def compute():
            lr = self._lr(learning_rate, dtype)
            local_step = ember.cast(self.iterations + 1, dtype)
            beta_1_power = ember.pow(_cast(self.beta_1, dtype), local_step)
            beta_2_power = ember.pow(_cast(self.beta_2, dtype), local_step)
            return lr * ember.sqrt(1 - beta_2_power) / (1 - beta_1_power)
        return self._per_step("adam_alpha", dtype, compute)

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        gradient = ember.cast(gradient, dtype)
        alpha = self._alpha(learning_rate, dtype)
        index = self._get_variable_index(variable)
        m = self._momentums[index]
        v = self._velocities[index]
        self.assign_add(m, (gradient - m) * (1 - self.beta_1))
        # v stays at or above the smallest normal float (see RMSprop): no subnormals.
        self.assign(v, ember.maximum(v + (ember.square(gradient) - v) * (1 - self.beta_2),
                                     _smallest_normal(dtype)))
        if self.amsgrad:
            v_hat = self._velocity_hats[index]
            self.assign(v_hat, ember.maximum(v_hat, v))
            v = v_hat
        self.assign_sub(variable, m * alpha / (ember.sqrt(v) + self.epsilon))

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2,
                       "epsilon": self.epsilon, "amsgrad": self.amsgrad})
        return config
