"""What the compiler may drop about an op (``Simplification``), declared by the op library
next to the op with ``register_simplification``.

Kept apart from the compiler so the op library declares its simplifications without
loading the compiler at ``import ember``: the compiler (and the fused kernels of
``ember/ops/fusions.py``) load on the first compiled plan.
"""
from __future__ import annotations

from ember.framework.op import Op

__all__ = ["Simplification", "register_simplification", "simplifications"]


class Simplification:
    """What the compiler may drop about one op, declared by the op library next to the op
    (``register_simplification``) and matched by the op object, never by its name:

    - ``forwards``: the output is the first input unchanged (Identity, StopGradient in a
      plan: gradients are built before the compiler runs);
    - ``neutral``: a scalar constant that leaves the other operand of this binary op
      unchanged, on the ``sides`` given (``"right"``: x op c; ``"left"``: c op x), when
      the result has that operand's shape and dtype (x * 1, x + 0, x - 0, x / 1);
    - ``same_shape``: the op only changes shapes, so it does nothing when its input's
      static shape is its output's (Reshape, BroadcastTo, SumToShape);
    - ``permutation``: the attr holding a permutation; two nodes of this op in a row whose
      permutations compose to the identity give back the first one's input (Transpose).
    """

    __slots__ = ("op", "forwards", "neutral", "sides", "same_shape", "permutation")

    def __init__(self, op, *, forwards=False, neutral=None, sides=("right", "left"),
                 same_shape=False, permutation=None):
        if not isinstance(op, Op):
            raise TypeError(f"register_simplification: expected an op definition, got "
                            f"{op!r}")
        if any(side not in ("left", "right") for side in sides):
            raise ValueError(f"register_simplification({op.name}): sides must be 'left' "
                             f"and/or 'right', got {sides!r}")
        if sum([bool(forwards), neutral is not None, bool(same_shape),
                permutation is not None]) != 1:
            raise ValueError(f"register_simplification({op.name}): give exactly one of "
                             f"forwards, neutral, same_shape, permutation")
        self.op = op
        self.forwards = bool(forwards)
        self.neutral = neutral
        self.sides = tuple(sides)
        self.same_shape = bool(same_shape)
        self.permutation = permutation

    def __repr__(self):
        return f"<Simplification of {self.op.name}>"


_SIMPLIFICATIONS: dict = {}       # id(op) -> Simplification


def register_simplification(op, **rule) -> Simplification:
    """Declares what ``simplify_arithmetic`` may drop about ``op`` (see Simplification)."""
    declared = Simplification(op, **rule)
    _SIMPLIFICATIONS[id(op)] = declared
    return declared


def simplifications() -> list:
    """The registered declarations."""
    return list(_SIMPLIFICATIONS.values())
