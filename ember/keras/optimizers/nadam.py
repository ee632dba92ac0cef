"""keras.optimizers.Nadam."""
from __future__ import annotations

import ember
from ember.keras import backend
from ember.keras.optimizers.base_optimizer import Optimizer, _cast

__all__ = ["Nadam"]


class Nadam(Optimizer):
    """Adam with Nesterov momentum, with Dozat's momentum schedule
    ``u_t = beta_1 * (1 - 0.5 * 0.96 ** t)`` and its running product::

        u_product *= u_t                                   # once per step
        m += (g - m) * (1 - beta_1);  v += (g ** 2 - v) * (1 - beta_2)
        m_hat = u_{t+1} * m / (1 - u_product * u_{t+1}) + (1 - u_t) * g / (1 - u_product)
        v_hat = v / (1 - beta_2 ** t)
        w -= m_hat * learning_rate / (sqrt(v_hat) + epsilon)

    >>> opt = Nadam(learning_rate=0.001)
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name="nadam",
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
        var_list = list(var_list)
        dtype = var_list[0].dtype if var_list else backend.floatx()
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"])
        self._u_product = self.add_variable(shape=(), initializer="ones", dtype=dtype,
                                            name="u_product")

    def _backend_update_step(self, grads, trainable_variables, learning_rate):
        dtype = self._u_product.dtype
        decay = 1.0 - 0.5 * ember.pow(_cast(0.96, dtype),
                                      ember.cast(self.iterations + 1, dtype))
        self.assign(self._u_product, self._u_product * self.beta_1 * decay)
        super()._backend_update_step(grads, trainable_variables, learning_rate)

    def _coefficients(self, learning_rate, dtype):
        def compute():
            local_step = ember.cast(self.iterations + 1, dtype)
            next_step = ember.cast(self.iterations + 2, dtype)
            decay = _cast(0.96, dtype)
            beta_1 = _cast(self.beta_1, dtype)
            beta_2 = _cast(self.beta_2, dtype)
            u_t = beta_1 * (1.0 - 0.5 * ember.pow(decay, local_step))
            u_t_1 = beta_1 * (1.0 - 0.5 * ember.pow(decay, next_step))
            u_product_t = _cast(self._u_product, dtype)
            u_product_t_1 = u_product_t * u_t_1
            return {"u_t_1": u_t_1, "one_minus_u_product_t_1": 1 - u_product_t_1,
                    "one_minus_u_t": 1 - u_t, "one_minus_u_product_t": 1 - u_product_t,
                    "one_minus_beta_1": 1 - beta_1, "one_minus_beta_2": 1 - beta_2,
                    "one_minus_beta_2_power": 1 - ember.pow(beta_2, local_step)}
        return self._per_step("nadam", dtype, compute)

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        lr = self._lr(learning_rate, dtype)
        gradient = ember.cast(gradient, dtype)
        c = self._coefficients(learning_rate, dtype)
        index = self._get_variable_index(variable)
        m = self._momentums[index]
        v = self._velocities[index]
        self.assign_add(m, (gradient - m) * c["one_minus_beta_1"])
        self.assign_add(v, (ember.square(gradient) - v) * c["one_minus_beta_2"])
        m_hat = c["u_t_1"] * m / c["one_minus_u_product_t_1"] + \
            c["one_minus_u_t"] * gradient / c["one_minus_u_product_t"]
        v_hat = v / c["one_minus_beta_2_power"]
        self.assign_sub(variable, m_hat * lr / (ember.sqrt(v_hat) + self.epsilon))

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2,
                       "epsilon": self.epsilon})
        return config
