"""keras.Variable: Keras 3's variable constructor on ember.Variable."""
from __future__ import annotations

import ember
import ember.framework.variables
from ember.keras.dtype_policies import autocast_dtype as _autocast_dtype

__all__ = ["Variable", "AutocastVariable", "StatelessScope"]


class AutocastVariable(ember.Variable):
    """A variable that, inside a mixed-precision layer's call (an autocast scope, see
    ``keras.dtype_policies``), reads cast to the layer's compute dtype when it is a float
    variable and ``autocast`` is on. Its stored value, ``dtype`` and updates stay in the
    variable dtype (float32); the cast is an op, so gradients reach the float32 value."""

    autocast = True

    def value(self):
        t = ember.Variable.value(self)
        dtype = _autocast_dtype()
        if dtype is not None and self.autocast and t.dtype.name != dtype and \
                t.dtype.is_floating:
            return ember.cast(t, dtype)
        return t


class Variable(AutocastVariable):
    """A variable made Keras 3's way: from a value, or from an initializer and a shape.

    >>> v = Variable("ones", shape=(2,), name="v"); v.numpy()
    array([1., 1.], dtype=float32)
    """

    def __init__(self, initializer, shape=None, dtype=None, trainable=True, autocast=True,
                 aggregation="none", synchronization="auto", name=None, **kwargs):
        from ember.keras import initializers
        from ember.keras.ops._dtypes import standardize_dtype
        if isinstance(initializer, str) or (callable(initializer) and
                                            not ember.is_tensor(initializer)):
            if shape is None:
                raise ValueError(f"keras.Variable: an initializer ({initializer!r}) needs a "
                                 f"`shape`")
            dt = standardize_dtype(dtype)
            value = initializers.get(initializer)(tuple(shape), dtype=dt)
        else:
            value = initializer
            dt = None if dtype is None else standardize_dtype(dtype)
        super().__init__(value, trainable=trainable, name=name, dtype=dt)
        if shape is not None and tuple(self.shape) != tuple(shape):
            raise ValueError(f"keras.Variable {name!r}: the initial value's shape "
                             f"{tuple(self.shape)} differs from shape={tuple(shape)}")
        self.autocast = autocast


class StatelessScope(ember.framework.variables.StatelessScope):
    """Keras 3's ``StatelessScope``: inside it, the variables of ``state_mapping`` (a list
    of ``(variable, value)`` pairs) read as the given values and assignments are collected
    by the scope instead of changing variables (``get_current_value``); with
    ``collect_losses``, the losses layers add go to ``scope.losses``.

    >>> with keras.StatelessScope([(layer.kernel, new_kernel)]) as scope:
    ...     y = layer(x)
    """

    def __init__(self, state_mapping=None, collect_losses=False, initialize_variables=True):
        super().__init__(state_mapping)
        self.collect_losses = collect_losses
        self.initialize_variables = initialize_variables
        self.losses = []

    def add_loss(self, loss):
        self.losses.append(loss)
