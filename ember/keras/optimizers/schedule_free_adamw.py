"""keras.optimizers.ScheduleFreeAdamW: AdamW without a learning-rate schedule."""
from __future__ import annotations

import ember
from ember.keras.optimizers.base_optimizer import Optimizer, _cast

__all__ = ["ScheduleFreeAdamW"]


class ScheduleFreeAdamW(Optimizer):
    """Schedule-free AdamW (Defazio et al., 2024), as Keras 3 computes it. A slot ``z``
    (``momentum``, starting at the weights) takes Adam-scaled gradient steps; the weights
    ``y`` interpolate between ``z`` and the running average ``x`` of the ``z``s::

        t = iterations + 1;  lr = learning_rate * min(t / warmup_steps, 1)
        v = beta_2 v + (1 - beta_2) g^2
        z_new = z - lr * g / (sqrt(v / (1 - beta_2^t)) + epsilon)
        x = (y - (1 - beta_1) z_new) / beta_1         (Keras 3 uses the new z here)
        x_new = (1 - 1/t) x + z_new / t
        y = (1 - beta_1) z_new + beta_1 x_new

    >>> opt = ember.keras.optimizers.ScheduleFreeAdamW(learning_rate=0.0025)
    """

    def __init__(self, learning_rate=0.0025, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                 warmup_steps=0, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name="schedule_free_adamw", **kwargs):
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
        self.warmup_steps = warmup_steps

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"])
        for z, var in zip(self._momentums, var_list):
            z.assign(var.value())

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        lr = self._lr(learning_rate, dtype)
        gradient = ember.cast(gradient, dtype)
        t = ember.cast(self.iterations + 1, dtype)
        b1, b2 = _cast(self.beta_1, dtype), _cast(self.beta_2, dtype)
        if self.warmup_steps > 0:
            lr = lr * ember.minimum(t / _cast(self.warmup_steps, dtype), _cast(1.0, dtype))
        index = self._get_variable_index(variable)
        z, v = self._momentums[index], self._velocities[index]
        self.assign_add(v, (ember.square(gradient) - v) * (1.0 - b2))
        denom = ember.sqrt(v / (1.0 - ember.pow(b2, t))) + _cast(self.epsilon, dtype)
        self.assign_sub(z, lr * gradient / denom)
        weight = 1.0 / t
        # Keras reads z for x after z's update (its TensorFlow backend's ``momentum.value``
        # is the variable itself, not a snapshot); ember follows to give Keras's numbers
        x_old = (variable - (1.0 - b1) * z) / b1
        x_new = (1.0 - weight) * x_old + weight * z
        self.assign(variable, (1.0 - b1) * z + b1 * x_new)

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2,
                       "epsilon": self.epsilon, "warmup_steps": self.warmup_steps})
        return config
