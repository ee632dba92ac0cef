"""Merging layers: combine a list of inputs into one tensor.

Element-wise merges (Add, Subtract, Multiply, Average, Maximum, Minimum) broadcast their
inputs; inputs of lower rank get size-1 axes inserted after the batch axis, as in Keras.
Concatenate joins along an axis and Dot takes per-sample dot products.
"""
from __future__ import annotations

import numbers

import ember
from ember.keras.layers.layer import Layer

__all__ = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate",
           "Dot", "add", "subtract", "multiply", "average", "maximum", "minimum",
           "concatenate", "dot"]


def _is_shape_list(input_shape):
    return isinstance(input_shape, (list, tuple)) and len(input_shape) > 0 and all(
        isinstance(s, (list, tuple)) or s is None for s in input_shape)


def _as_tuple(shape):
    return None if shape is None else tuple(shape)


def _broadcast_sample_shapes(shape1, shape2):
    """Output shape of an element-wise op on per-sample shapes, aligned at the end."""
    if shape1 is None or shape2 is None:
        return None
    if len(shape1) < len(shape2):
        shape1, shape2 = shape2, shape1
    if not shape2:
        return tuple(shape1)
    out = list(shape1[:-len(shape2)])
    for i, j in zip(shape1[-len(shape2):], shape2):
        if i is None or j is None:
            out.append(None)
        elif i == 1:
            out.append(j)
        elif j == 1 or i == j:
            out.append(i)
        else:
            raise ValueError(f"Inputs have incompatible shapes. Received shapes "
                             f"{tuple(shape1)} and {tuple(shape2)}")
    return tuple(out)


class Merge(Layer):
    """Base of the element-wise merge layers; subclasses define ``_merge_function``."""

    _min_inputs = 1

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self._reshape_required = False

    def _check_shapes(self, input_shape):
        if not _is_shape_list(input_shape):
            raise ValueError(f"A merge layer should be called on a list of inputs. Received: "
                             f"input_shape={input_shape} (not a list of shapes)")
        if len(input_shape) < self._min_inputs:
            raise ValueError(f"A merge layer should be called on a list of at least "
                             f"{self._min_inputs} input{'s' if self._min_inputs > 1 else ''}. "
                             f"Got {len(input_shape)} inputs. Full input_shape received: "
                             f"{[_as_tuple(s) for s in input_shape]}")
        shapes = [_as_tuple(s) for s in input_shape]
        batch_sizes = {s[0] for s in shapes if s} - {None}
        if len(batch_sizes) > 1:
            raise ValueError(f"Cannot merge tensors with different batch sizes. Received "
                             f"tensors with shapes {shapes}")
        out = shapes[0][1:] if shapes[0] is not None else None
        for s in shapes[1:]:
            out = _broadcast_sample_shapes(out, s[1:] if s is not None else None)
        return shapes, out

    def build(self, input_shape):
        shapes, _ = self._check_shapes(input_shape)
        self._reshape_required = None in shapes or len({len(s) for s in shapes}) > 1
        self.built = True

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"A merge layer should be called on a list of inputs. Received: "
                             f"inputs={inputs} (not a list of tensors)")
        inputs = list(inputs)
        ranks = [x.shape.rank for x in inputs]
        if None not in ranks and len(set(ranks)) > 1:
            top = max(ranks)
            for i, x in enumerate(inputs):
                for _ in range(top - ranks[i]):
                    x = ember.expand_dims(x, 1)
                inputs[i] = x
        return self._merge_function(inputs)

    def _merge_function(self, inputs):
        raise NotImplementedError

    def compute_output_shape(self, input_shape):
        shapes, out = self._check_shapes(input_shape)
        if out is None:
            return None
        batch = {s[0] for s in shapes if s} - {None}
        return (batch.pop() if batch else None,) + tuple(out)

    def compute_mask(self, inputs, mask=None):
        if mask is None or all(m is None for m in mask):
            return None
        masks = [ember.expand_dims(m, 0) for m in mask if m is not None]
        return ember.reduce_all(ember.concat(masks, 0), axis=0)


class Add(Merge):
    """Element-wise sum of a list of inputs.

    >>> Add()([ember.ones([2, 3]), ember.ones([2, 3])]).numpy()[0]
    array([2., 2., 2.], dtype=float32)
    """

    def _merge_function(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = ember.add(out, x)
        return out


class Subtract(Merge):
    """``inputs[0] - inputs[1]`` (exactly two inputs).

    >>> Subtract()([ember.ones([2, 3]), ember.ones([2, 3])]).numpy()[0]
    array([0., 0., 0.], dtype=float32)
    """

    def _check_shapes(self, input_shape):
        if _is_shape_list(input_shape) and len(input_shape) != 2:
            raise ValueError(f"A `Subtract` layer should be called on exactly 2 inputs. "
                             f"Received: input_shape={[_as_tuple(s) for s in input_shape]}")
        return super()._check_shapes(input_shape)

    def _merge_function(self, inputs):
        if len(inputs) != 2:
            raise ValueError(f"A `Subtract` layer should be called on exactly 2 inputs. "
                             f"Received: {len(inputs)} inputs")
        return ember.subtract(inputs[0], inputs[1])


class Multiply(Merge):
    """Element-wise product of a list of inputs.

    >>> Multiply()([ember.fill([1, 2], 3.0), ember.fill([1, 2], 2.0)]).numpy()
    array([[6., 6.]], dtype=float32)
    """

    def _merge_function(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = ember.multiply(out, x)
        return out


class Average(Merge):
    """Element-wise mean of a list of inputs.

    >>> Average()([ember.zeros([1, 2]), ember.ones([1, 2])]).numpy()
    array([[0.5, 0.5]], dtype=float32)
    """

    def _merge_function(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = ember.add(out, x)
        if out.dtype.is_floating or out.dtype.is_complex:
            return out / ember.constant(len(inputs), dtype=out.dtype)
        return ember.math.truediv(out, ember.constant(len(inputs), dtype=out.dtype))


class Maximum(Merge):
    """Element-wise maximum of a list of inputs.

    >>> Maximum()([ember.constant([[1.0, 5.0]]), ember.constant([[3.0, 2.0]])]).numpy()
    array([[3., 5.]], dtype=float32)
    """

    def _merge_function(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = ember.maximum(out, x)
        return out


class Minimum(Merge):
    """Element-wise minimum of a list of inputs.

    >>> Minimum()([ember.constant([[1.0, 5.0]]), ember.constant([[3.0, 2.0]])]).numpy()
    array([[1., 2.]], dtype=float32)
    """

    def _merge_function(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = ember.minimum(out, x)
        return out


class Concatenate(Layer):
    """Concatenates a list of inputs along ``axis`` (all other axes must match).

    >>> Concatenate()([ember.ones([2, 3]), ember.zeros([2, 1])]).shape
    TensorShape([2, 4])
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
            raise TypeError(f"Concatenate: `axis` must be an integer. Received: axis={axis!r}")
        self.axis = int(axis)
        self.supports_masking = True

    def _check_shapes(self, input_shape):
        if not _is_shape_list(input_shape):
            raise ValueError(f"A `Concatenate` layer should be called on a list of at least 1 "
                             f"input. Received: input_shape={input_shape}")
        shapes = [_as_tuple(s) for s in input_shape]
        if any(s is None for s in shapes):
            return shapes, None
        error = (f"A `Concatenate` layer requires inputs with matching shapes except for the "
                 f"concatenation axis. Received: input_shape={shapes}")
        ranks = {len(s) for s in shapes}
        if len(ranks) != 1:
            raise ValueError(error)
        rank = ranks.pop()
        if not -rank <= self.axis < rank:
            raise ValueError(f"Concatenate: axis {self.axis} is out of range for inputs of "
                             f"rank {rank}. Received: input_shape={shapes}")
        axis = self.axis % rank
        out = []
        for i in range(rank):
            dims = [s[i] for s in shapes]
            if i == axis:
                out.append(None if None in dims else sum(dims))
                continue
            known = {d for d in dims if d is not None}
            if len(known) > 1:
                raise ValueError(error)
            out.append(known.pop() if known else None)
        return shapes, tuple(out)

    def build(self, input_shape):
        self._check_shapes(input_shape)
        self.built = True

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"A `Concatenate` layer should be called on a list of inputs. "
                             f"Received: inputs={inputs}")
        return ember.concat(list(inputs), axis=self.axis)

    def compute_output_shape(self, input_shape):
        return self._check_shapes(input_shape)[1]

    def compute_mask(self, inputs, mask=None):
        if mask is None or all(m is None for m in mask):
            return None
        masks = [ember.ones_like(x, dtype="bool") if m is None else
                 ember.broadcast_to(ember.expand_dims(m, -1) if m.shape.rank < x.shape.rank
                                    else m, ember.shape(x))
                 for x, m in zip(inputs, mask)]
        return ember.reduce_all(ember.concat(masks, axis=self.axis), axis=-1)

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config


def _check_dot_axes(axes):
    if isinstance(axes, numbers.Integral) and not isinstance(axes, bool):
        return int(axes)
    if not isinstance(axes, (list, tuple)):
        raise TypeError(f"Invalid type for argument `axes`: it should be a list or an int. "
                        f"Received: axes={axes}")
    if len(axes) != 2:
        raise ValueError(f"Invalid format for argument `axes`: it should contain two "
                         f"elements. Received: axes={axes}")
    if not all(isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in axes):
        raise ValueError(f"Invalid format for argument `axes`: list elements should be "
                         f"integers. Received: axes={axes}")
    return (int(axes[0]), int(axes[1]))


class Dot(Layer):
    """Per-sample dot product of two inputs along ``axes`` (an int, or one axis per input);
    with ``normalize=True`` the inputs are L2-normalized first (cosine similarity).

    Inputs of shapes ``(batch, n)`` give ``(batch, 1)``; in general the output keeps the
    remaining axes of the first input, then those of the second.

    >>> Dot(axes=1)([ember.ones([2, 3]), ember.ones([2, 3])]).numpy()
    array([[3.],
           [3.]], dtype=float32)
    """

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        self.axes = _check_dot_axes(axes)
        self.normalize = bool(normalize)
        self.supports_masking = True

    def _resolve_axes(self, rank1, rank2):
        if isinstance(self.axes, int):
            axes = [self.axes % rank1, self.axes % rank2] if self.axes < 0 else \
                [self.axes, self.axes]
        else:
            axes = [a % r if a < 0 else a for a, r in zip(self.axes, (rank1, rank2))]
        for a, r in zip(axes, (rank1, rank2)):
            if a == 0:
                raise ValueError(f"Dot: cannot take the dot product over axis 0 (the batch "
                                 f"axis). Received: axes={self.axes}")
            if a >= r:
                raise ValueError(f"Dot: axis {a} is out of range for an input of rank {r}. "
                                 f"Received: axes={self.axes}")
        return axes

    def _check_shapes(self, input_shape):
        if not _is_shape_list(input_shape) or len(input_shape) != 2:
            raise ValueError(f"A `Dot` layer should be called on a list of 2 inputs. "
                             f"Received: input_shape={input_shape}")
        shape1, shape2 = (_as_tuple(s) for s in input_shape)
        if shape1 is None or shape2 is None:
            return shape1, shape2, None
        for s in (shape1, shape2):
            if len(s) < 2:
                raise ValueError(f"A `Dot` layer needs inputs of rank >= 2 (a batch axis and "
                                 f"at least one more). Received: input_shape="
                                 f"{[shape1, shape2]}")
        axes = self._resolve_axes(len(shape1), len(shape2))
        d1, d2 = shape1[axes[0]], shape2[axes[1]]
        if d1 is not None and d2 is not None and d1 != d2:
            raise ValueError(f"Incompatible input shapes: axis values {d1} (at axis "
                             f"{axes[0]}) != {d2} (at axis {axes[1]}). Full input shapes: "
                             f"{shape1}, {shape2}")
        return shape1, shape2, axes

    def build(self, input_shape):
        self._check_shapes(input_shape)
        self.built = True

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError(f"A `Dot` layer should be called on exactly 2 inputs. "
                             f"Received: inputs={inputs}")
        x1, x2 = inputs
        r1, r2 = x1.shape.rank, x2.shape.rank
        axes = self._resolve_axes(r1, r2)
        if self.normalize:
            x1 = ember.nn.l2_normalize(x1, axis=axes[0])
            x2 = ember.nn.l2_normalize(x2, axis=axes[1])
        letters = iter("bcdefghijklmnopqrstuvwxy")
        sub1 = ["a"] + [next(letters) for _ in range(r1 - 1)]
        sub2 = ["a"] + [next(letters) for _ in range(r2 - 1)]
        sub1[axes[0]] = "z"
        sub2[axes[1]] = "z"
        out_sub = ["a"] + [c for c in sub1[1:] if c != "z"] + [c for c in sub2[1:] if c != "z"]
        out = ember.einsum(f"{''.join(sub1)},{''.join(sub2)}->{''.join(out_sub)}", x1, x2)
        if len(out_sub) == 1:
            out = ember.expand_dims(out, 1)
        return out

    def compute_output_shape(self, input_shape):
        shape1, shape2, axes = self._check_shapes(input_shape)
        if axes is None:
            return None
        s1, s2 = list(shape1), list(shape2)
        s1.pop(axes[0])
        s2.pop(axes[1])
        s2.pop(0)
        out = s1 + s2
        if len(out) == 1:
            out.append(1)
        return tuple(out)

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        config = super().get_config()
        config["axes"] = list(self.axes) if isinstance(self.axes, tuple) else self.axes
        config["normalize"] = self.normalize
        return config


def add(inputs, **kwargs):
    """Functional form of ``Add``: ``add([x1, x2])``."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """Functional form of ``Subtract``: ``subtract([x1, x2])``."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """Functional form of ``Multiply``: ``multiply([x1, x2])``."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """Functional form of ``Average``: ``average([x1, x2])``."""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """Functional form of ``Maximum``: ``maximum([x1, x2])``."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """Functional form of ``Minimum``: ``minimum([x1, x2])``."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """Functional form of ``Concatenate``: ``concatenate([x1, x2], axis=-1)``."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, normalize=False, **kwargs):
    """Functional form of ``Dot``: ``dot([x1, x2], axes=1)``."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
