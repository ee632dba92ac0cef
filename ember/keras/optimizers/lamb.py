"""keras.optimizers.Lamb: Adam steps scaled per layer by a trust ratio."""
from __future__ import annotations

import ember
from ember.keras.optimizers.base_optimizer import Optimizer, _cast

__all__ = ["Lamb"]


class Lamb(Optimizer):
    """LAMB (You et al., 2019)::

        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g ** 2
        update = (m / (1 - beta_1 ** t)) / (sqrt(v / (1 - beta_2 ** t)) + epsilon)
        ratio = ||w|| / ||update|| (1 where either norm is 0)
        w -= learning_rate * ratio * update

    >>> opt = Lamb(learning_rate=0.001)
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name="lamb",
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
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"])

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        lr = self._lr(learning_rate, dtype)
        gradient = ember.cast(gradient, dtype)
        t = ember.cast(self.iterations + 1, dtype)
        b1, b2 = _cast(self.beta_1, dtype), _cast(self.beta_2, dtype)
        index = self._get_variable_index(variable)
        m, v = self._momentums[index], self._velocities[index]
        self.assign(m, m * b1 + gradient * (1.0 - b1))
        self.assign(v, v * b2 + ember.square(gradient) * (1.0 - b2))
        m_hat = m / (1.0 - ember.pow(b1, t))
        v_hat = v / (1.0 - ember.pow(b2, t))
        update = m_hat / (ember.sqrt(v_hat) + self.epsilon)
        w_norm = ember.sqrt(ember.reduce_sum(ember.square(variable)))
        u_norm = ember.sqrt(ember.reduce_sum(ember.square(update)))
        both = ember.logical_and(w_norm > 0, u_norm > 0)
        ratio = ember.where(both, w_norm / ember.where(both, u_norm, ember.ones_like(u_norm)),
                            ember.ones_like(w_norm))
        self.assign_sub(variable, lr * ratio * update)

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2,
                       "epsilon": self.epsilon})
        return config
