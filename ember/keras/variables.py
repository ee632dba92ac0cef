"""keras.Variable: Keras 3's variable constructor on ember.Variable."""
from __future__ import annotations

import ember

__all__ = ["Variable"]


class Variable(ember.Variable):
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
