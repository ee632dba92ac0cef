"""keras.optimizers.LossScaleOptimizer: dynamic loss scaling around another optimizer."""
from __future__ import annotations

import ember
from ember.keras.optimizers.base_optimizer import Optimizer, _map_values

__all__ = ["LossScaleOptimizer"]


class LossScaleOptimizer(Optimizer):
    """Scales the loss up before differentiation and the gradients back down, so small
    float16 gradients do not underflow; the scale adapts:

    - gradients all finite: the inner optimizer steps; after ``dynamic_growth_steps``
      such steps in a row the scale doubles;
    - any gradient inf or NaN: the step is skipped and the scale halves.

    >>> opt = LossScaleOptimizer(ember.keras.optimizers.SGD(0.1), initial_scale=1024.0)
    """

    def __init__(self, inner_optimizer, initial_scale=2.0 ** 15, dynamic_growth_steps=2000,
                 name=None, **kwargs):
        if not isinstance(inner_optimizer, Optimizer):
            raise ValueError(f"LossScaleOptimizer: `inner_optimizer` must be a Keras "
                             f"Optimizer; received {inner_optimizer!r}")
        if kwargs.pop("loss_scale_factor", None) is not None:
            raise ValueError("LossScaleOptimizer does not take `loss_scale_factor`: it keeps "
                             "its own dynamic scale")
        super().__init__(learning_rate=0.0, name=name or "loss_scale_optimizer", **kwargs)
        self.inner_optimizer = inner_optimizer
        self.initial_scale = float(initial_scale)
        self.dynamic_growth_steps = int(dynamic_growth_steps)
        self.dynamic_scale = ember.Variable(self.initial_scale, trainable=False,
                                            name="dynamic_scale", dtype="float32")
        self.step_counter = ember.Variable(0, trainable=False, name="step_counter",
                                           dtype="int64")

    # the inner optimizer's learning rate and step count are this optimizer's
    @property
    def learning_rate(self):
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        if hasattr(self, "inner_optimizer"):
            self.inner_optimizer.learning_rate = value

    @property
    def iterations(self):
        return self.inner_optimizer.iterations

    @property
    def variables(self):
        return [self.dynamic_scale, self.step_counter] + list(self.inner_optimizer.variables)

    def build(self, var_list):
        self.inner_optimizer.build(var_list)
        self.built = True

    def scale_loss(self, loss):
        """loss times the current scale."""
        return loss * ember.cast(self.dynamic_scale, loss.dtype)

    def apply(self, grads, trainable_variables=None):
        """Unscales grads; steps the inner optimizer only if all are finite."""
        grads = [g if g is None or isinstance(g, ember.IndexedSlices) else
                 ember.convert_to_tensor(g) for g in grads]
        present = [g for g in grads if g is not None]
        if not present:
            return
        inv = 1.0 / self.dynamic_scale
        unscaled = [None if g is None else _map_values(g, lambda x: x * ember.cast(inv, x.dtype))
                    for g in grads]
        finite = ember.reduce_all(ember.stack(
            [ember.reduce_all(ember.math.is_finite(g.values if isinstance(
                g, ember.IndexedSlices) else g)) for g in present]))
        if trainable_variables is not None and not self.inner_optimizer.built:
            self.inner_optimizer.build([v for g, v in zip(grads, trainable_variables)
                                        if g is not None])

        def step():
            self.inner_optimizer.apply(unscaled, trainable_variables)
            grown = self.step_counter + 1 >= self.dynamic_growth_steps
            self.dynamic_scale.assign(ember.where(grown, self.dynamic_scale * 2.0,
                                                  self.dynamic_scale))
            self.step_counter.assign(ember.where(grown, ember.constant(0, "int64"),
                                                 self.step_counter + 1))
            return ember.constant(True)

        def skip():
            self.dynamic_scale.assign(self.dynamic_scale / 2.0)
            self.step_counter.assign(0)
            return ember.constant(False)

        ember.cond(finite, step, skip)

    def apply_gradients(self, grads_and_vars):
        pairs = list(grads_and_vars)
        if pairs:
            grads, variables = zip(*pairs)
            self.apply(list(grads), list(variables))
        return self.iterations

    def get_config(self):
        from ember.keras.optimizers import serialize
        return {"name": self.name, "inner_optimizer": serialize(self.inner_optimizer),
                "initial_scale": self.initial_scale,
                "dynamic_growth_steps": self.dynamic_growth_steps}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from ember.keras.optimizers import deserialize
        config = dict(config)
        config["inner_optimizer"] = deserialize(config["inner_optimizer"],
                                                custom_objects=custom_objects)
        return cls(**config)
