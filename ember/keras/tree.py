"""keras.tree: utilities over nested structures (lists, tuples, namedtuples, dicts).

Dicts are walked in sorted key order; None is a leaf. Built on ``ember.nest``.
"""
from __future__ import annotations


import ember

__all__ = ["MAP_TO_NONE", "assert_same_paths", "assert_same_structure", "flatten",
           "flatten_with_path", "is_nested", "lists_to_tuples", "map_shape_structure",
           "map_structure", "map_structure_up_to", "pack_sequence_as", "traverse"]


class _MapToNone:
    """Returned by a traverse function: the visited node becomes None."""

    def __repr__(self):
        return "keras.tree.MAP_TO_NONE"


MAP_TO_NONE = _MapToNone()


def is_nested(structure) -> bool:
    """True for a list, tuple (named too) or dict."""
    return ember.nest.is_nested(structure)


def flatten(structure):
    """The leaves of structure, in order."""
    return ember.nest.flatten(structure)


def pack_sequence_as(structure, flat_sequence, sequence_fn=None):
    """flat_sequence's items placed back into the shape of structure."""
    return ember.nest.pack_sequence_as(structure, list(flat_sequence))


def map_structure(func, *structures, none_is_leaf=True):
    """func applied leaf by leaf to structures of the same shape."""
    if not structures:
        raise ValueError("keras.tree.map_structure: pass at least one structure")
    return ember.nest.map_structure(func, *structures)


def assert_same_structure(a, b, check_types=None):
    """Raises ValueError if a and b are not nested in the same way."""
    ember.nest.assert_same_structure(a, b, check_types=bool(check_types))


def _children(node):
    if isinstance(node, dict):
        return [(k, node[k]) for k in sorted(node)]
    if isinstance(node, (list, tuple)):
        return list(enumerate(node))
    return None


def _rebuild(node, values):
    if isinstance(node, dict):
        out = dict(zip(sorted(node), values))
        return type(node)((k, out[k]) for k in node) if type(node) is not dict else \
            {k: out[k] for k in node}
    if isinstance(node, tuple) and hasattr(node, "_fields"):
        return type(node)(*values)
    return type(node)(values)


def flatten_with_path(structure):
    """[(path, leaf), ...]; a path is the tuple of keys and indices leading to the leaf."""
    out = []

    def walk(node, path):
        kids = _children(node)
        if kids is None:
            out.append((path, node))
            return
        for key, child in kids:
            walk(child, path + (key,))
    walk(structure, ())
    return out


def assert_same_paths(a, b):
    """Raises ValueError if a and b do not have the same leaf paths."""
    pa = {p for p, _ in flatten_with_path(a)}
    pb = {p for p, _ in flatten_with_path(b)}
    if pa != pb:
        raise ValueError(f"keras.tree.assert_same_paths: the structures differ; paths only "
                         f"in the first: {sorted(pa - pb, key=str)}, only in the second: "
                         f"{sorted(pb - pa, key=str)}")


def map_structure_up_to(shallow_structure, func, *structures):
    """func applied to the sub-structures of structures found at shallow_structure's
    leaves."""
    def walk(shallow, *nodes):
        kids = _children(shallow)
        if kids is None:
            return func(*nodes)
        values = []
        for key, sub in kids:
            values.append(walk(sub, *(n[key] for n in nodes)))
        return _rebuild(shallow, values)
    return walk(shallow_structure, *structures)


def traverse(func, structure, top_down=True):
    """Applies func to every node (sub-structures too).

    Top-down: a non-None result replaces the node (its children are not visited),
    MAP_TO_NONE makes it None, None descends into its children. Bottom-up: children
    first, then func on the rebuilt node; None keeps the rebuilt node.
    """
    def down(node):
        res = func(node)
        if res is MAP_TO_NONE:
            return None
        if res is not None:
            return res
        kids = _children(node)
        return node if kids is None else _rebuild(node, [down(c) for _, c in kids])

    def up(node):
        kids = _children(node)
        if kids is not None:
            node = _rebuild(node, [up(c) for _, c in kids])
        res = func(node)
        if res is MAP_TO_NONE:
            return None
        return node if res is None else res

    return down(structure) if top_down else up(structure)


def lists_to_tuples(structure):
    """structure with every list turned into a tuple."""
    def fix(node):
        kids = _children(node)
        if kids is None:
            return node
        values = [fix(c) for _, c in kids]
        if isinstance(node, list):
            return tuple(values)
        return _rebuild(node, values)
    return fix(structure)


def _is_shape(x):
    return isinstance(x, (tuple, list)) and all(isinstance(d, int) or d is None for d in x) \
        or isinstance(x, ember.TensorShape)


def map_shape_structure(func, structure):
    """func applied to each shape (a tuple or list of ints/None) of a nested structure."""
    if _is_shape(structure):
        return func(structure)
    kids = _children(structure)
    if kids is None:
        return func(structure)
    return _rebuild(structure, [map_shape_structure(func, c) for _, c in kids])


