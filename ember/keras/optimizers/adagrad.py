"""keras.optimizers.Adagrad."""
from __future__ import annotations

import ember
from ember.keras.optimizers.base_optimizer import Optimizer
from ember.ops.indexed_slices import deduplicate

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Per-parameter learning rates from the sum of squared gradients::

        accumulator += g ** 2
        w -= learning_rate * g / sqrt(accumulator + epsilon)

    >>> opt = Adagrad(learning_rate=0.001, initial_accumulator_value=0.1)
    """

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name="adagrad",
                 **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, **kwargs)
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._accumulators = self.add_optimizer_variables(
            var_list, "accumulator", initializer=float(self.initial_accumulator_value))

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        lr = self._lr(learning_rate, dtype)
        gradient = ember.cast(gradient, dtype)
        accumulator = self._accumulators[self._get_variable_index(variable)]
        self.assign_add(accumulator, ember.square(gradient))
        self.assign_sub(variable, lr * gradient / ember.sqrt(accumulator + self.epsilon))

    def _updates_rows(self, variable):
        return True

    def _sparse_update_step(self, slices, variable, learning_rate):
        slices = deduplicate(slices)
        dtype = variable.dtype
        lr = self._lr(learning_rate, dtype)
        g = ember.cast(slices.values, dtype)
        accumulator = self._accumulators[self._get_variable_index(variable)]
        self._scatter_add(accumulator, ember.IndexedSlices(ember.square(g), slices.indices))
        rows = ember.gather(accumulator, slices.indices)
        self._scatter_sub(variable, ember.IndexedSlices(lr * g / ember.sqrt(rows + self.epsilon),
                                                       slices.indices))

    def get_config(self):
        config = super().get_config()
        config.update({"initial_accumulator_value": self.initial_accumulator_value,
                       "epsilon": self.epsilon})
        return config
