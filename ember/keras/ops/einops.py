"""keras.ops.rearrange: einops-style reshaping and transposing by a pattern."""
from __future__ import annotations

import re

import numpy as np

import ember
from ember.keras.ops._common import tensor

__all__ = ["rearrange"]


def _parse(side, pattern):
    groups, tokens = [], re.findall(r"\(|\)|[A-Za-z_][A-Za-z0-9_]*|\.\.\.|\S", side)
    current = None
    for tok in tokens:
        if tok == "(":
            if current is not None:
                raise ValueError(f"keras.ops.rearrange: nested parentheses in {pattern!r}")
            current = []
        elif tok == ")":
            if current is None:
                raise ValueError(f"keras.ops.rearrange: unbalanced ')' in {pattern!r}")
            groups.append(current)
            current = None
        elif tok == "...":
            raise NotImplementedError("keras.ops.rearrange: '...' in patterns is not "
                                      "supported by ember")
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", tok):
            if current is None:
                groups.append([tok])
            else:
                current.append(tok)
        else:
            raise ValueError(f"keras.ops.rearrange: unexpected {tok!r} in {pattern!r}")
    if current is not None:
        raise ValueError(f"keras.ops.rearrange: unbalanced '(' in {pattern!r}")
    return groups


def rearrange(tensor_, pattern, **axes_lengths):
    """Reshapes and transposes by an einops pattern, e.g. ``"b h w c -> b (h w) c"`` or
    ``"b (h p) c -> b h p c"`` with ``p=2``.

    >>> rearrange(ember.zeros([2, 3, 4]), "a b c -> c (a b)").shape
    TensorShape([4, 6])
    """
    x = tensor(tensor_)
    if "->" not in pattern:
        raise ValueError(f"keras.ops.rearrange: the pattern needs '->'; received {pattern!r}")
    left, right = (s.strip() for s in pattern.split("->"))
    lg, rg = _parse(left, pattern), _parse(right, pattern)
    lnames = [n for g in lg for n in g]
    rnames = [n for g in rg for n in g]
    if sorted(lnames) != sorted(rnames) or len(set(lnames)) != len(lnames):
        raise ValueError(f"keras.ops.rearrange: both sides must name the same axes once; "
                         f"received {pattern!r}")
    if len(lg) != len(x.shape):
        raise ValueError(f"keras.ops.rearrange: the pattern's left side has {len(lg)} axes, "
                         f"the tensor {len(x.shape)} (shape {tuple(x.shape)})")
    sizes = {}
    for group, dim in zip(lg, x.shape):
        unknown = [n for n in group if n not in axes_lengths]
        known = int(np.prod([axes_lengths[n] for n in group if n in axes_lengths]))
        if len(unknown) > 1:
            raise ValueError(f"keras.ops.rearrange: cannot infer the sizes of {unknown} in "
                             f"{pattern!r}; pass them as keyword arguments")
        for n in group:
            if n in axes_lengths:
                sizes[n] = int(axes_lengths[n])
        if unknown:
            if dim is None:
                sizes[unknown[0]] = -1
            else:
                if dim % known:
                    raise ValueError(f"keras.ops.rearrange: axis of size {dim} does not "
                                     f"split into {group} with {axes_lengths}")
                sizes[unknown[0]] = dim // known
        elif dim is not None and known != dim:
            raise ValueError(f"keras.ops.rearrange: {group} gives size {known}, the tensor "
                             f"has {dim}")
    y = ember.reshape(x, [sizes[n] for n in lnames])
    perm = [lnames.index(n) for n in rnames]
    if perm != list(range(len(perm))):
        y = ember.transpose(y, perm)
    out_shape = []
    for group in rg:
        vals = [sizes[n] for n in group]
        out_shape.append(-1 if -1 in vals else int(np.prod(vals)))
    return ember.reshape(y, out_shape)
