"""Every registered fusion against its reference (the fusion contract, ember.engine.fusion).

For each declaration and each of its reference builders: the reference compiled by
``ember.function`` holds the fused kernel (the fusion took place), and computes what the
same function computes eagerly, through the unfused kernels — its outputs (gradients
included, where the pattern sits inside a gradient) and the variables it updates.
"""
import numpy as np
import pytest

import ember as tf
from ember.engine import fusion
from ember.framework.errors import UnimplementedError

CASES = [(f, i) for f in fusion.fusions() for i in range(len(f.references))]


def _arrays(out):
    return [np.asarray(o) for o in (out if isinstance(out, (list, tuple)) else [out])]


def _close(got, want, what):
    assert got.shape == want.shape and got.dtype == want.dtype, what
    scale = max(1.0, float(np.abs(want).max())) if want.size else 1.0
    np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-5 * scale, err_msg=what)


def test_the_table_covers_every_fusion_and_every_plan_only_op():
    from ember.framework.op import _REGISTRY
    assert len(fusion.fusions()) >= 11
    made = {id(op) for f in fusion.fusions() for op in f.makes}
    plan_only = [op for op in _REGISTRY.values() if op.plan_only]
    assert len(plan_only) >= 17, [op.name for op in plan_only]     # the fused kernels today
    for op in plan_only:
        assert id(op) in made, f"{op.name} is plan-only but no registered fusion makes it"
    for f in fusion.fusions():
        assert f.replaces and all(hasattr(op, "kernel") for op in f.replaces), f.name
        assert f.stage in fusion.STAGES


@pytest.mark.parametrize("case", CASES, ids=[f"{f.name}-{i}" for f, i in CASES])
def test_fusion_matches_its_reference(case):
    declared, which = case
    build = declared.references[which]
    fn, args, variables = build()
    want = _arrays(fn(*args))
    want_vars = [v.numpy() for v in variables]

    fn, args, variables = build()           # fresh variables for the compiled run
    compiled = tf.function(fn)
    plan = compiled.get_concrete_function(*args)._compiled()
    assert declared.shows(plan.nodes), (
        f"{declared.name}: the compiled reference holds no fused kernel; plan: "
        f"{[n.op.name for n in plan.nodes]}")
    got = _arrays(compiled(*args))
    assert len(got) == len(want)
    for i, (g, w) in enumerate(zip(got, want)):
        _close(g, w, f"{declared.name}: output {i}, compiled (fused) vs eager")
    for i, (v, w) in enumerate(zip(variables, want_vars)):
        _close(v.numpy(), w, f"{declared.name}: variable {i} after the update")


def _holds_a_variable(value):
    from ember.framework.variables import Variable
    if isinstance(value, Variable):
        return True
    if isinstance(value, (list, tuple)):
        return any(_holds_a_variable(v) for v in value)
    if isinstance(value, dict):
        return any(_holds_a_variable(v) for v in value.values())
    return False


@pytest.mark.parametrize("case", CASES, ids=[f"{f.name}-{i}" for f, i in CASES])
def test_fused_nodes_are_plain_dataflow(case):
    """No fused node holds a variable: variables enter a plan through ReadVariable and
    AssignVariable nodes only, and a fused kernel that updates one (``_MatMulGradUpdate``)
    takes the values those reads give and hands the new values to assignments (the
    plan's order and buffer decisions see every read and write)."""
    from ember.engine.graph import ASSIGN_VARIABLE, READ_VARIABLE
    declared, which = case
    fn, args, variables = declared.references[which]()
    plan = tf.function(fn).get_concrete_function(*args)._compiled()
    made = {id(op) for op in declared.makes}
    fused = [n for n in plan.nodes if id(n.op) in made]
    for n in fused:
        assert not _holds_a_variable(n.attrs), f"{n.op.name} holds a variable in its attrs"
        assert not n.op.stateful, f"{n.op.name} is stateful; a fused kernel is dataflow"
    if declared.name == "momentum_update_into_input_grads":
        assigned = {}
        for i, n in enumerate(plan.nodes):
            if n.op is ASSIGN_VARIABLE:
                assigned[n.inputs[0]] = (i, n.attrs["variable"])
        position = {id(n): i for i, n in enumerate(plan.nodes)}
        producer = {v: n for n in plan.nodes for v in n.outputs}
        assert fused
        for n in fused:
            # its weight and slot come from reads for the update, and its second and
            # third outputs go to the slot's and the weight's assignments
            w_read = producer[n.inputs[1]]
            assert w_read.op is READ_VARIABLE and w_read.attrs.get("for_update")
            (_, slot), (_, weight) = assigned[n.outputs[1]], assigned[n.outputs[2]]
            assert w_read.attrs["variable"] is weight and slot is not weight
            assert any(producer.get(v) is not None and producer[v].op is READ_VARIABLE and
                       producer[v].attrs["variable"] is slot and
                       producer[v].attrs.get("for_update") for v in n.inputs[3:])
            assert all(i > position[id(n)] for i, _ in (assigned[n.outputs[1]],
                                                         assigned[n.outputs[2]]))


@pytest.mark.parametrize("case", CASES, ids=[f"{f.name}-{i}" for f, i in CASES])
def test_without_the_fusion_the_plan_is_unfused(case, monkeypatch):
    """The check above is not vacuous: switched off, the fusion leaves no trace."""
    declared, which = case
    fn, args, _ = declared.references[which]()
    monkeypatch.setattr(declared, "enabled", False)
    plan = tf.function(fn).get_concrete_function(*args)._compiled()
    assert not declared.shows(plan.nodes), declared.name


def test_plan_only_ops_say_they_have_no_gradient():
    from ember.engine.dispatch import execute
    from ember.ops.normalization_ops import FUSED_BATCH_NORM_RELU
    x = tf.constant(np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32))
    scale, offset = tf.ones([3]), tf.zeros([3])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y, _, _ = execute(FUSED_BATCH_NORM_RELU, (x, scale, offset),
                          {"epsilon": 1e-3, "axis": -1})
    with pytest.raises(UnimplementedError, match="_FusedBatchNormRelu is a fused kernel "
                                                 "that only compiled plans contain"):
        tape.gradient(y, x)


def test_registering_a_fused_op_without_a_gradient_or_the_mark_fails():
    from ember.framework.op import Op

    class _Unmarked(Op):
        name = "_TestUnmarkedFusedOp"

    op = _Unmarked()
    try:
        with pytest.raises(ValueError, match="has no gradient and is not marked plan_only"):
            fusion.register_fusion(fusion.Fusion(
                "test_unmarked", stage="layers", replaces=(op,), makes=(op,),
                rewrite=lambda ir: None, reference=lambda: None))
    finally:
        from ember.framework.op import _REGISTRY
        _REGISTRY.pop(op.name, None)
    assert all(f.name != "test_unmarked" for f in fusion.fusions())
