"""Nested structures (lists, tuples, namedtuples, dicts) of tensors: ``ember.nest``."""
from __future__ import annotations

__all__ = ["flatten", "pack_sequence_as", "map_structure", "is_nested", "assert_same_structure",
           "CompositeTensor"]


class CompositeTensor:
    """Base of values made of tensors (TensorArray): nest walks their components, so they
    can be loop variables, branch outputs and function results."""

    def _ember_components(self) -> list:
        raise NotImplementedError

    def _ember_rebuild(self, components):
        """The same kind of value with new components."""
        raise NotImplementedError


_NESTED = (list, tuple, dict, CompositeTensor)


def is_nested(x) -> bool:
    return isinstance(x, _NESTED)


def _children(x):
    if isinstance(x, dict):
        return [x[k] for k in sorted(x, key=_sort_key)]
    if isinstance(x, CompositeTensor):
        return list(x._ember_components())
    return list(x)


def _sort_key(k):
    return (type(k).__name__, k) if not isinstance(k, str) else ("str", k)


def flatten(structure, expand_composites=False):
    """The leaves of ``structure`` in a fixed order (dicts by sorted key); None is a leaf."""
    if not is_nested(structure):
        return [structure]
    out = []
    _flatten_into(structure, out)
    return out


def _flatten_into(x, out):
    for c in (x.values() if type(x) is dict and _sorted_keys(x) else
              [x[k] for k in sorted(x, key=_sort_key)] if isinstance(x, dict) else
              x._ember_components() if isinstance(x, CompositeTensor) else x):
        if isinstance(c, _NESTED):
            _flatten_into(c, out)
        else:
            out.append(c)


def _sorted_keys(d):
    """True when a dict's insertion order is already nest's (sorted) order."""
    keys = list(d)
    try:
        return keys == sorted(keys)
    except TypeError:
        return False


def _rebuild(like, items):
    if isinstance(like, CompositeTensor):
        return like._ember_rebuild(list(items))
    if isinstance(like, dict):
        keys = sorted(like, key=_sort_key)
        d = dict(zip(keys, items))
        return type(like)((k, d[k]) for k in like) if type(like) is not dict else \
            {k: d[k] for k in like}
    if isinstance(like, tuple) and hasattr(like, "_fields"):
        return type(like)(*items)
    return type(like)(items)


def pack_sequence_as(structure, flat_sequence, expand_composites=False):
    """Rebuilds ``structure`` with its leaves replaced by ``flat_sequence``."""
    flat = list(flat_sequence)
    if not is_nested(structure):
        if len(flat) != 1:
            raise ValueError(f"Structure is a scalar but flat_sequence has {len(flat)} items")
        return flat[0]
    pos = [0]

    def build(x):
        if is_nested(x):
            return _rebuild(x, [build(c) for c in _children(x)])
        i = pos[0]
        pos[0] += 1
        return flat[i]

    n = len(flatten(structure))
    if n != len(flat):
        raise ValueError(f"Could not pack sequence: structure has {n} leaves, flat sequence "
                         f"has {len(flat)}")
    return build(structure)


def map_structure(func, *structures, **kwargs):
    """Applies ``func`` leaf by leaf to structures of the same shape."""
    if not structures:
        raise ValueError("map_structure needs at least one structure")
    for s in structures[1:]:
        assert_same_structure(structures[0], s)
    flats = [flatten(s) for s in structures]
    return pack_sequence_as(structures[0], [func(*xs) for xs in zip(*flats)])


def assert_same_structure(a, b, check_types=True, expand_composites=False):
    if is_nested(a) != is_nested(b):
        raise ValueError(f"The two structures don't have the same nested structure: {a!r} "
                         f"and {b!r}")
    if is_nested(a):
        if isinstance(a, CompositeTensor) != isinstance(b, CompositeTensor):
            raise ValueError(f"The two structures don't have the same nested structure: "
                             f"{a!r} and {b!r}")
        ca, cb = _children(a), _children(b)
        if len(ca) != len(cb) or (isinstance(a, dict) and sorted(a, key=_sort_key) !=
                                  sorted(b, key=_sort_key)):
            raise ValueError(f"The two structures don't have the same number of elements: "
                             f"{a!r} and {b!r}")
        for x, y in zip(ca, cb):
            assert_same_structure(x, y, check_types)
