"""keras.optimizers.Ftrl: Follow The Regularized Leader."""
from __future__ import annotations

import ember
from ember.keras.optimizers.base_optimizer import Optimizer

__all__ = ["Ftrl"]


class Ftrl(Optimizer):
    """FTRL-Proximal (McMahan et al., 2013) with online L1/L2 and shrinkage L2::

        g_s = g + 2 * l2_shrinkage * w
        n_new = n + g ** 2
        z += g_s - (n_new ** -lr_power - n ** -lr_power) / learning_rate * w
        quadratic = n_new ** -lr_power / learning_rate + 2 * (l2 + beta / (2 * lr))
        w = (clip(z, -l1, l1) - z) / quadratic
        n = n_new

    >>> opt = Ftrl(learning_rate=0.001, l1_regularization_strength=0.01)
    """

    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5,
                 initial_accumulator_value=0.1, l1_regularization_strength=0.0,
                 l2_regularization_strength=0.0, l2_shrinkage_regularization_strength=0.0,
                 beta=0.0, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name="ftrl", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, **kwargs)
        checks = [("initial_accumulator_value", initial_accumulator_value, "positive or zero"),
                  ("l1_regularization_strength", l1_regularization_strength,
                   "positive or zero"),
                  ("l2_regularization_strength", l2_regularization_strength,
                   "positive or zero"),
                  ("l2_shrinkage_regularization_strength",
                   l2_shrinkage_regularization_strength, "positive or zero")]
        if learning_rate_power > 0.0:
            raise ValueError("`learning_rate_power` needs to be negative or zero. Received: "
                             f"learning_rate_power={learning_rate_power}.")
        for arg, value, what in checks:
            if value < 0.0:
                raise ValueError(f"`{arg}` needs to be {what}. Received: {arg}={value}.")
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._accumulators, self._linears = self.add_optimizer_variables(
            var_list, ["accumulator", "linear"],
            initializer=[float(self.initial_accumulator_value), "zeros"])

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        lr = self._lr(learning_rate, dtype)
        gradient = ember.cast(gradient, dtype)
        index = self._get_variable_index(variable)
        accum = self._accumulators[index]
        linear = self._linears[index]
        power = -self.learning_rate_power
        two_l2 = self._per_step(
            "ftrl_l2", dtype,
            lambda: 2 * (self.l2_regularization_strength + self.beta / (2.0 * lr)))
        grad_to_use = gradient
        if self.l2_shrinkage_regularization_strength:
            grad_to_use = gradient + 2 * self.l2_shrinkage_regularization_strength * variable
        new_accum = accum + ember.square(gradient)
        new_accum_pow = ember.pow(new_accum, power)
        self.assign_add(linear, grad_to_use -
                          (new_accum_pow - ember.pow(accum, power)) / lr * variable)
        quadratic = new_accum_pow / lr + two_l2
        l1 = self.l1_regularization_strength
        self.assign(variable, (ember.clip_by_value(linear, -l1, l1) - linear) / quadratic)
        self.assign(accum, new_accum)

    def get_config(self):
        config = super().get_config()
        config.update({
            "learning_rate_power": self.learning_rate_power,
            "initial_accumulator_value": self.initial_accumulator_value,
            "l1_regularization_strength": self.l1_regularization_strength,
            "l2_regularization_strength": self.l2_regularization_strength,
            "l2_shrinkage_regularization_strength":
                self.l2_shrinkage_regularization_strength,
            "beta": self.beta,
        })
        return config
