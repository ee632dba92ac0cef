"""keras.optimizers.Lion: sign-based updates with momentum."""
from __future__ import annotations

import ember
from ember.keras.optimizers.base_optimizer import Optimizer, _cast

__all__ = ["Lion"]


class Lion(Optimizer):
    """Lion (Chen et al., 2023)::

        w -= learning_rate * sign(beta_1 * m + (1 - beta_1) * g)
        m = beta_2 * m + (1 - beta_2) * g

    >>> opt = Lion(learning_rate=0.0001)
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name="lion", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        if beta_1 <= 0 or beta_1 > 1:
            raise ValueError("Argument `beta_1` must be in the [0, 1] range. Otherwise, the "
                             f"optimizer degenerates to SignSGD. Received: beta_1={beta_1}.")

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums = self.add_optimizer_variables(var_list, "momentum")

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        lr = self._lr(learning_rate, dtype)
        gradient = ember.cast(gradient, dtype)
        betas = self._per_step("lion", dtype, lambda: (
            _cast(self.beta_1, dtype), 1.0 - _cast(self.beta_1, dtype),
            _cast(self.beta_2, dtype), 1.0 - _cast(self.beta_2, dtype)))
        b1, one_minus_b1, b2, one_minus_b2 = betas
        m = self._momentums[self._get_variable_index(variable)]
        self.assign_sub(variable, lr * ember.sign(m * b1 + gradient * one_minus_b1))
        self.assign(m, m * b2 + gradient * one_minus_b2)

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2})
        return config
