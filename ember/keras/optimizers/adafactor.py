"""keras.optimizers.Adafactor: Adam-like steps with factored second moments."""
from __future__ import annotations

import ember
from ember.keras.optimizers.base_optimizer import Optimizer, _cast

__all__ = ["Adafactor"]


def _rms(x):
    return ember.sqrt(ember.reduce_mean(ember.square(x)))


class Adafactor(Optimizer):
    """Adafactor (Shazeer and Stern, 2018), as Keras 3 computes it. For a weight of rank
    >= 2 the squared gradients' moving average is kept as its row means ``r`` and column
    means ``c`` only (memory: rows + columns instead of rows x columns)::

        t = iterations + 1;  beta_2 = 1 - t ** beta_2_decay
        rho = min(learning_rate, 1 / sqrt(t))
        alpha = max(epsilon_2, rms(w)) * rho
        r = beta_2 r + (1 - beta_2) mean(g^2 + epsilon_1, axis=-1)
        c = beta_2 c + (1 - beta_2) mean(g^2 + epsilon_1, axis=-2)
        v = (r / mean(r)) outer c        (v's own moving average for rank < 2)
        u = g / sqrt(v);  w -= alpha * u / max(1, rms(u) / clip_threshold)

    >>> opt = ember.keras.optimizers.Adafactor(learning_rate=0.01)
    """

    def __init__(self, learning_rate=0.001, beta_2_decay=-0.8, epsilon_1=1e-30,
                 epsilon_2=1e-3, clip_threshold=1.0, relative_step=True, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name="adafactor", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, **kwargs)
        self.beta_2_decay = beta_2_decay
        self.epsilon_1 = epsilon_1
        self.epsilon_2 = epsilon_2
        self.clip_threshold = clip_threshold
        self.relative_step = relative_step

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._r, self._c, self._v = [], [], []
        for var in var_list:
            shape = var.shape.as_list()
            if len(shape) >= 2:
                self._r.append(self.add_variable(shape[:-1], dtype=var.dtype,
                                                 name=f"{var.name.split(':')[0]}_r"))
                self._c.append(self.add_variable(shape[:-2] + shape[-1:], dtype=var.dtype,
                                                 name=f"{var.name.split(':')[0]}_c"))
            else:
                self._r.append(None)
                self._c.append(None)
            self._v.append(self.add_variable_from_reference(var, "velocity"))

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        lr = self._lr(learning_rate, dtype)
        gradient = ember.cast(gradient, dtype)
        t = ember.cast(self.iterations + 1, dtype)
        one = _cast(1.0, dtype)
        inv_sqrt_t = one / ember.sqrt(t)
        if not callable(self._learning_rate) and self.relative_step:
            lr = ember.minimum(lr, inv_sqrt_t)
        index = self._get_variable_index(variable)
        r, c, v = self._r[index], self._c[index], self._v[index]
        rho = ember.minimum(lr, inv_sqrt_t)
        alpha = ember.maximum(_cast(self.epsilon_2, dtype), _rms(variable)) * rho
        grad_sq = ember.square(gradient) + _cast(self.epsilon_1, dtype)
        beta_2 = one - ember.pow(t, _cast(self.beta_2_decay, dtype))
        if r is not None:
            self.assign(r, beta_2 * r + (one - beta_2) * ember.reduce_mean(grad_sq, axis=-1))
            self.assign(c, beta_2 * c + (one - beta_2) * ember.reduce_mean(grad_sq, axis=-2))
            row = r / ember.reduce_mean(r, axis=-1, keepdims=True)
            self.assign(v, ember.expand_dims(row, -1) * ember.expand_dims(c, -2))
        else:
            self.assign(v, beta_2 * v + (one - beta_2) * grad_sq)
        u = gradient / ember.sqrt(v)
        u = u / ember.maximum(one, _rms(u) / _cast(self.clip_threshold, dtype))
        self.assign_sub(variable, alpha * u)

    def get_config(self):
        config = super().get_config()
        config.update({"beta_2_decay": self.beta_2_decay, "epsilon_1": self.epsilon_1,
                       "epsilon_2": self.epsilon_2, "clip_threshold": self.clip_threshold,
                       "relative_step": self.relative_step})
        return config
