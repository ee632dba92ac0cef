"""keras.mixed_precision: the dtype-policy API under its Keras 2 names.

    keras.mixed_precision.set_global_policy("mixed_float16")

makes new layers compute in float16 and keep float32 variables; ``compile`` then wraps the
optimizer in a ``LossScaleOptimizer`` (dynamic loss scaling), as Keras 3 does.
"""
from ember.keras.dtype_policies import (  # noqa: F401
    DTypePolicy, Policy, dtype_policy, set_dtype_policy,
)
from ember.keras.optimizers.loss_scale_optimizer import LossScaleOptimizer  # noqa: F401

__all__ = ["DTypePolicy", "Policy", "LossScaleOptimizer", "dtype_policy", "global_policy",
           "set_dtype_policy", "set_global_policy"]

global_policy = dtype_policy
set_global_policy = set_dtype_policy
