"""What ``strategy.run`` returns and takes: one value per local replica.

``PerReplica`` holds possibly different values (a loss per replica), ``Mirrored`` the
same value on every replica (a reduced gradient). Variables made under a strategy's scope
are ``MirroredVariable``s (or ``SyncOnReadVariable``s for ``synchronization=ON_READ``):
the ember variable itself, whose ``values`` list it once per local replica, because the
local replicas of one process share its storage (see ``variables.py``).
"""
from __future__ import annotations

from ember.framework import nest

__all__ = ["DistributedValues", "PerReplica", "Mirrored", "regroup", "select_replica",
           "local_results"]


class DistributedValues:
    """Values of a computation spread over replicas: ``values`` has one per local
    replica (in replica order)."""

    @property
    def values(self) -> tuple:
        return self._values

    def _get_on_device_or_primary(self):
        return self.values[0]

    def __repr__(self):
        body = ", ".join(f"{i}: {v!r}" for i, v in enumerate(self.values))
        return f"{type(self).__name__}:{{\n  {body}\n}}"


class _Holder(DistributedValues, nest.CompositeTensor):
    """A distributed value holding its values; ``ember.nest`` (and so ``ember.function``
    arguments) walks them as its components."""


    def __init__(self, values):
        self._values = tuple(values)
        if not self._values:
            raise ValueError(f"{type(self).__name__}: needs at least one value")

    def __len__(self):
        return len(self._values)

    def _ember_components(self):
        return list(self._values)

    def _ember_rebuild(self, components):
        return type(self)(components)


class PerReplica(_Holder):
    """One value per replica, possibly different (``strategy.run``'s results, the
    elements of a distributed dataset)."""


class Mirrored(_Holder):
    """The same value on every replica."""


def _is_leaf(x):
    return isinstance(x, DistributedValues) or not isinstance(x, (list, tuple, dict))


def _flatten(x, out):
    """The leaves of ``x`` (a distributed value is one leaf)."""
    if _is_leaf(x):
        out.append(x)
    elif isinstance(x, dict):
        for k in sorted(x, key=lambda k: (type(k).__name__, str(k))):
            _flatten(x[k], out)
    else:
        for c in x:
            _flatten(c, out)
    return out


def _pack(like, leaves, pos):
    if _is_leaf(like):
        pos[0] += 1
        return leaves[pos[0] - 1]
    if isinstance(like, dict):
        keys = sorted(like, key=lambda k: (type(k).__name__, str(k)))
        built = {k: _pack(like[k], leaves, pos) for k in keys}
        return type(like)((k, built[k]) for k in like)
    items = [_pack(c, leaves, pos) for c in like]
    if isinstance(like, tuple) and hasattr(like, "_fields"):
        return type(like)(*items)
    return type(like)(items)


def flatten(structure) -> list:
    return _flatten(structure, [])


def pack_as(structure, leaves):
    return _pack(structure, list(leaves), [0])


def regroup(per_replica_results, wrap=PerReplica):
    """Turns a list (one per replica) of equal structures into one structure whose leaves
    are ``wrap(values)`` — or the plain values when there is one replica."""
    if len(per_replica_results) == 1:
        return per_replica_results[0]
    first = per_replica_results[0]
    flats = [flatten(r) for r in per_replica_results]
    for i, flat in enumerate(flats[1:], 1):
        if len(flat) != len(flats[0]):
            raise ValueError(f"strategy.run: replica {i} returned a structure different from "
                             f"replica 0's ({len(flat)} values against {len(flats[0])})")
    leaves = [vals[0] if all(v is vals[0] for v in vals) and
              getattr(vals[0], "_is_ember_variable", False) else wrap(vals)
              for vals in zip(*flats)]
    return pack_as(first, leaves)


def select_replica(index: int, structure):
    """``structure`` with each ``DistributedValues`` replaced by its ``index``-th value."""
    def pick(x):
        if isinstance(x, DistributedValues) and not getattr(x, "_is_ember_variable", False):
            return x.values[index]
        return x
    return pack_as(structure, [pick(x) for x in flatten(structure)])


def local_results(value) -> tuple:
    """``experimental_local_results``: the local replicas' values of ``value``
    (``(value,)`` when it is not distributed, as in TensorFlow)."""
    if isinstance(value, DistributedValues):
        return tuple(value.values)
    return (value,)
