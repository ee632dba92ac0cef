"""The fusion contract: fused kernels are declared as data the compiler reads.

A fused kernel is an optimization, never a new meaning. The op library declares each one
as a ``Fusion`` beside the ops it replaces (``ember/ops/fusions.py``) and registers it
here; the compiler runs the registered rewrites at their stage and knows nothing else
about them (the engine never imports the op library). A declaration holds:

- ``replaces``: the op definitions (objects, not names) whose dataflow the rewrite
  matches, and ``makes``: the plan-only ops it may put in their place (``Op.plan_only``;
  one per rank where the pattern exists for 1-D, 2-D and 3-D ops);
- ``rewrite(ir)``: the pass over the compiler's IR (the helpers below read its dataflow:
  producers, consumers, static shapes);
- ``stage``: when it runs (``"layers"`` before elementwise fusion, ``"kernels"`` after
  it, ``"updates"`` after the in-place decisions for variable updates);
- ``reference``: a function that builds the unfused sequence with public ops, small
  example inputs, and the variables it updates: ``reference() -> (fn, args, variables)``
  (or a tuple of such builders: several forms the pattern must catch).
  One table-driven test (tests/engine/test_fusion_table.py) compiles ``fn`` and checks
  that the fused ops appear in the plan and that the plan computes what ``fn`` run
  eagerly (the unfused kernels) computes, outputs and variables; references whose
  pattern appears inside a gradient compute that gradient with a tape, so the backward
  pass is checked too.
- ``enabled``: False leaves the plan unfused (bench/compile_ab.py toggles it).
"""
from __future__ import annotations

import math

from ember.engine.compiler import Node
from ember.framework import hooks as _hooks
from ember.framework.op import Op

__all__ = ["Dataflow", "Fusion", "STAGES", "by_name", "fusions", "register_fusion",
           "run_stage"]

STAGES = ("layers", "kernels", "updates")
_REGISTRY: list = []


class Fusion:
    """One fused kernel's declaration (see the module docstring)."""

    def __init__(self, name, *, stage, replaces, makes, rewrite, reference, doc="",
                 shows=None):
        if stage not in STAGES:
            raise ValueError(f"fusion {name!r}: stage must be one of {STAGES}, got {stage!r}")
        self.name = name
        self.stage = stage
        self.replaces = tuple(replaces)
        self.makes = tuple(makes)
        self.rewrite = rewrite
        # one builder or several (each a pattern the fusion must catch)
        self.references = tuple(reference) if isinstance(reference, (tuple, list)) else \
            (reference,)
        self.doc = doc
        self.enabled = True
        # shows(plan nodes) -> bool: the fusion took place (default: a node of one of the
        # ops in ``makes``); given for rewrites that make no new op
        self._shows = shows

    def shows(self, nodes) -> bool:
        if self._shows is not None:
            return self._shows(nodes)
        made = {id(op) for op in self.makes}
        return any(id(n.op) in made for n in nodes)

    def __repr__(self):
        return f"<Fusion {self.name} ({self.stage})>"


def register_fusion(fusion: Fusion) -> Fusion:
    """Adds a declaration; rewrites of one stage run in registration order."""
    if any(f.name == fusion.name for f in _REGISTRY):
        raise ValueError(f"fusion {fusion.name!r} is registered twice")
    for op in fusion.makes:
        if not op.plan_only and type(op).grad is Op.grad:
            raise ValueError(f"fusion {fusion.name!r} makes {op.name}, which has no gradient "
                             f"and is not marked plan_only (a fused op needs one or the "
                             f"other)")
    _REGISTRY.append(fusion)
    return fusion


def _declared() -> list:
    """The registry, after the op library's declarations are loaded: ``ember.ops``
    provides ``load_fusions`` (importing ember/ops/fusions.py) rather than importing them
    at ``import ember``, so they load with the compiler, on the first compiled plan."""
    load = vars(_hooks.library).get("load_fusions")
    if load is not None:
        load()
    return _REGISTRY


def fusions(stage=None) -> list:
    """The registered declarations (of one stage), in the order they run."""
    return [f for f in _declared() if stage is None or f.stage == stage]


class _ByName:
    """``by_name.conv_backprops``: a registered declaration by its name (for benchmarks:
    ``bench/compile_ab.py ember.engine.fusion:by_name.conv_backprops.enabled True False``)."""

    def __getattr__(self, name):
        for f in _declared():
            if f.name == name:
                return f
        raise AttributeError(f"no fusion named {name!r} is registered; registered: "
                             f"{[f.name for f in _REGISTRY]}")


by_name = _ByName()


def run_stage(ir, stage) -> None:
    for f in fusions(stage):
        if f.enabled:
            f.rewrite(ir)


# ------------------------------------------------------------ reading the dataflow ---

class Dataflow:
    """Producers and consumers of the IR's values, and node positions."""

    def __init__(self, ir):
        self.ir = ir
        self.producer = {}
        self.users = {}
        self.position = {}
        for i, n in enumerate(ir.nodes):
            self.position[id(n)] = i
            for v in n.outputs:
                self.producer[v] = n
            for v in n.inputs:
                self.users.setdefault(v, []).append(n)
        self.fetched = set(ir.fetches)

    def only_user(self, v, node, after=None):
        """True when node is the one consumer of v that reads its values (and v is not
        fetched); ops reading only v's shape (``Op.reads_shape_only``) may read it too if
        they run after the node at position ``after`` (they are then moved to the value
        that replaces v)."""
        if v in self.fetched or node.inputs.count(v) != 1:
            return False
        for u in self.users.get(v, []):
            if u is node:
                continue
            if not u.op.reads_shape_only or (after is not None and
                                             self.position[id(u)] <= after):
                return False
        return True

    def value_users(self, v):
        """The consumers of v that read its values (not only its shape)."""
        return [u for u in self.users.get(v, []) if not u.op.reads_shape_only]

    def move_shape_users(self, v, new):
        for u in self.users.get(v, []):
            if u.op.reads_shape_only:
                u.inputs = [new if w == v else w for w in u.inputs]


def static_shape(ir, v):
    """v's static shape as a list (None entries for unknown dimensions), or None."""
    s = ir.shapes.get(v)
    return s.as_list() if s is not None and s.rank is not None else None


def known_shape(ir, v):
    """v's static shape as a list (a constant's from its value), None if unknown."""
    if v in ir.consts:
        return list(getattr(ir.consts[v], "shape", ()))
    return static_shape(ir, v)


def single(shape):
    """True for a known shape of one element (a scalar, or all ones)."""
    return shape is not None and None not in shape and math.prod(shape) == 1


def last_axis(ir, v, axis):
    s = ir.shapes.get(v)
    return s is not None and s.rank is not None and axis % s.rank == s.rank - 1


def channels_last(fmt):
    return fmt is None or not str(fmt).upper().startswith("NC")


def rebuild(ir, replace, drop):
    """Nodes in order with ``replace`` (id -> new node) and without ``drop`` (ids)."""
    ir.nodes = [replace.get(id(n), n) for n in ir.nodes if id(n) not in drop]


def node(op, inputs, outputs, attrs, name, shapes):
    return Node(op, inputs, outputs, attrs, name, shapes)


def new_values(ir, count):
    """``count`` value ids that no node, constant or shape uses yet."""
    start = max([v for n in ir.nodes for v in n.inputs + n.outputs] + list(ir.shapes) +
                list(ir.consts) + [-1]) + 1
    return list(range(start, start + count))
