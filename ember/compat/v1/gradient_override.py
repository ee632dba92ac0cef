"""``tf.RegisterGradient``, ``tf.no_gradient``/``NotDifferentiable`` and, with
``Graph.gradient_override_map``, gradients replaced for chosen operations:

    @tf.RegisterGradient("ClipGrad")
    def _clip_grad(op, grad):
        return tf.clip_by_value(grad, -1.0, 1.0)

    with tf.get_default_graph().gradient_override_map({"Square": "ClipGrad"}):
        y = tf.square(x)              # tf.gradients(y, x) is the clipped gradient

The function receives the operation (``op.inputs``, ``op.outputs``, ``op.get_attr``,
``op.type``, ``op.name``) and one gradient per output, and returns one gradient (or None)
per input.
"""
from __future__ import annotations

from ember.engine.tape import GRADIENT_REGISTRY
from ember.framework.op import _REGISTRY as _OPS

__all__ = ["RegisterGradient", "NotDifferentiable", "no_gradient", "get_gradient_function"]


def _check_new(name, what):
    if not isinstance(name, str):
        raise TypeError(f"{what} expects a string, got {type(name).__name__}")
    if name in GRADIENT_REGISTRY:
        raise KeyError(f"Registering two gradient with name '{name}'! (Previous "
                       f"registration was in {getattr(GRADIENT_REGISTRY[name], '__module__', '?')})")
    op = _OPS.get(name)
    if op is not None and op.differentiable:
        raise KeyError(f"Registering two gradient with name '{name}'! ember's {name} op "
                       f"already has a gradient: register the new one under another name "
                       f"and select it with Graph.gradient_override_map({{'{name}': ...}})")


class RegisterGradient:
    """Decorator: registers ``fn(op, *grads)`` as the gradient named ``op_type``."""

    def __init__(self, op_type):
        _check_new(op_type, "RegisterGradient")
        self._op_type = op_type

    def __call__(self, fn):
        if not callable(fn):
            raise TypeError(f"RegisterGradient({self._op_type!r}) decorates a function, got "
                            f"{type(fn).__name__}")
        GRADIENT_REGISTRY[self._op_type] = fn
        return fn


def no_gradient(op_type):
    """Declares ``op_type`` not differentiable: ops of that type, and ops mapped to that
    name by ``gradient_override_map``, pass no gradient."""
    if callable(GRADIENT_REGISTRY.get(op_type)):
        raise KeyError(f"Registering two gradient with name '{op_type}'!")
    from ember.ops.framework_ops import no_gradient as _no_gradient
    _no_gradient(op_type)


NotDifferentiable = no_gradient


def get_gradient_function(op):
    """The gradient function an operation uses: its override's, else None for ember's
    built-in gradients (which are methods of the op type, not registered functions)."""
    name = getattr(op, "_gradient_override", None)
    return GRADIENT_REGISTRY.get(name) if name is not None else None
