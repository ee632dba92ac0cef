"""EinsumDense: a dense layer whose product is an einsum equation."""
from __future__ import annotations

import re

import ember
from ember.keras import activations, constraints, initializers, regularizers
from ember.keras.layers.layer import Layer
from ember.keras.layers.lora import LoRAMixin, lora_weight

__all__ = ["EinsumDense"]


def analyze_einsum(layer, equation, bias_axes, input_shape, output_shape):
    """(kernel shape, bias shape or None, full output shape) for ``equation`` on
    ``input_shape``, as Keras works them out (``...`` on the left of input and output, or
    on the right of both)."""
    input_shape = list(input_shape)
    out = [output_shape] if isinstance(output_shape, int) else list(output_shape)
    m = re.fullmatch(r"([a-zA-Z]*(?:\.\.\.)?[a-zA-Z]*),([a-zA-Z]+)->([a-zA-Z]*(?:\.\.\.)?"
                     r"[a-zA-Z]*)", equation.replace(" ", ""))
    if m is None:
        raise ValueError(f"Layer {layer}: invalid einsum equation {equation!r}; expected "
                         f"'ab,bc->ac' with optional '...'")
    in_spec, w_spec, out_spec = m.groups()
    left = in_spec.startswith("...")
    elided_eq = "..." in in_spec
    in_spec, out_spec = in_spec.replace("...", ""), out_spec.replace("...", "")
    elided = len(input_shape) - len(in_spec)
    if elided and not elided_eq:
        raise ValueError(f"Layer {layer}: equation {equation!r} expects inputs of rank "
                         f"{len(in_spec)}, got shape {tuple(input_shape)}")
    out.insert(0, input_shape[0])
    if elided > 0 and left:
        for i in range(1, elided):
            out.insert(1, input_shape[i])
    elif elided > 0:
        out.extend(input_shape[len(input_shape) - elided:])
    if left:
        in_map = {d: i + elided - len(input_shape) for i, d in enumerate(in_spec)}
        out_map = {d: i + elided for i, d in enumerate(out_spec)}
    else:
        in_map = {d: i for i, d in enumerate(in_spec)}
        out_map = {d: i for i, d in enumerate(out_spec)}
    for d in in_spec:
        if d in out_map:
            o, i = out[out_map[d]], input_shape[in_map[d]]
            if o is not None and i is not None and o != i:
                raise ValueError(f"Layer {layer}: input dimension {d!r} is {i} but "
                                 f"output_shape gives {o} for it")
    for d in out_spec:
        if d not in in_spec and d not in w_spec:
            raise ValueError(f"Layer {layer}: output dimension {d!r} appears in neither the "
                             f"input nor the weight of {equation!r}")
    kernel = []
    for d in w_spec:
        if d in in_map:
            kernel.append(input_shape[in_map[d]])
        elif d in out_map:
            kernel.append(out[out_map[d]])
        else:
            raise ValueError(f"Layer {layer}: weight dimension {d!r} appears in neither the "
                             f"input nor the output of {equation!r}")
    bias = None
    if bias_axes is not None:
        for c in bias_axes:
            if c not in out_spec:
                raise ValueError(f"Layer {layer}: bias axis {c!r} is not an output axis of "
                                 f"{equation!r}")
        first = min(out_spec.find(c) for c in bias_axes)
        bias = [out[out_map[c]] if c in bias_axes else 1 for c in out_spec[first:]]
        if not left:
            bias.extend([1] * max(elided, 0))
    return kernel, bias, out


class EinsumDense(LoRAMixin, Layer):
    """``activation(einsum(equation, inputs, kernel) + bias)``; the kernel's shape follows
    from the equation, the input shape and ``output_shape`` (without the batch axis;
    ``None`` for an axis copied from the input); ``bias_axes`` names the output axes the bias
    covers. ``lora_rank`` / ``enable_lora(rank)`` as for Dense.

    >>> layer = keras.layers.EinsumDense("abc,cd->abd", output_shape=(None, 8), bias_axes="d")
    >>> layer(ember.ones([2, 3, 4])).shape
    TensorShape([2, 3, 8])
    """

    def __init__(self, equation, output_shape, activation=None, bias_axes=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, lora_rank=None, lora_alpha=None, **kwargs):
        super().__init__(**kwargs)
        self._init_lora(lora_rank, lora_alpha)
        self.equation = equation
        self.partial_output_shape = tuple(output_shape) if isinstance(
            output_shape, (list, tuple)) else (output_shape,)
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.supports_masking = True

    def build(self, input_shape):
        kernel, bias, full = analyze_einsum(self.name, self.equation, self.bias_axes,
                                            tuple(input_shape), self.partial_output_shape)
        self.full_output_shape = tuple(full)
        self.kernel = self.add_weight(shape=kernel, name="kernel",
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = None if bias is None else self.add_weight(
            shape=bias, name="bias", initializer=self.bias_initializer,
            regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        self.built = True
        self._lora_after_build()

    kernel = lora_weight("kernel")
    _lora_alpha_at_build = True

    def call(self, inputs):
        x = ember.einsum(self.equation, inputs, self.kernel)
        if self.bias is not None:
            x = x + self.bias
        if self.activation is not activations.linear:
            x = self.activation(x)
        return x

    def compute_output_shape(self, input_shape):
        return tuple(analyze_einsum(self.name, self.equation, self.bias_axes,
                                    tuple(input_shape), self.partial_output_shape)[2])

    def get_config(self):
        config = super().get_config()
        config.update({
            "equation": self.equation,
            "output_shape": self.partial_output_shape if len(self.partial_output_shape) > 1
            else self.partial_output_shape[0],
            "activation": activations.serialize(self.activation),
            "bias_axes": self.bias_axes,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        })
        return self._lora_config(config)
