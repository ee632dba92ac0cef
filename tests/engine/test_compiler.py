"""The graph compiler: each pass's rewritten graph (plan nodes and constants) and results
equal to the unoptimized plan's."""
import itertools

import numpy as np
import pytest

import ember as tf
import ember.compat.v1 as v1
from ember.engine import compiler as C

FOLD, SIMPLIFY, CSE, DCE, FUSE, REUSE = (
    C.fold_constants, C.simplify_arithmetic, C.eliminate_common_subexpressions,
    C.eliminate_dead_code, C.fuse_elementwise, C.reuse_buffers)

BIG = 5000          # constants above the graph builder's folding limit stay nodes


def build(fn, *specs):
    """A v1 graph with one placeholder per (shape, dtype) spec and fn's outputs."""
    g = tf.Graph()
    with g.as_default():
        feeds = [v1.placeholder(dtype, shape) for shape, dtype in specs]
        out = fn(*feeds)
    fetches = list(out) if isinstance(out, (list, tuple)) else [out]
    return g, fetches, feeds


def types(plan):
    return [t for t, _ in plan.describe()]


def compiled(g, fetches, feeds, passes):
    return C.compile_plan(g, fetches, feeds, passes=passes)


def assert_same_results(g, fetches, feeds, passes, inputs_list):
    """The plan with ``passes`` gives the unoptimized plan's values, shapes and dtypes,
    and leaves its inputs untouched."""
    ref = compiled(g, fetches, feeds, [])
    opt = compiled(g, fetches, feeds, passes)
    for inputs in inputs_list:
        kept = [np.array(a, copy=True) for a in inputs]
        want = ref.run(list(inputs))
        got = opt.run(list(inputs))
        for a, k in zip(inputs, kept):
            np.testing.assert_array_equal(a, k, err_msg="a feed was overwritten")
        for w, r in zip(want, got):
            w, r = np.asarray(w), np.asarray(r)
            assert r.shape == w.shape and r.dtype == w.dtype
            np.testing.assert_allclose(r, w, rtol=1e-6, atol=1e-6)
    return opt


def rand_inputs(specs, n=3, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        out.append([rng.standard_normal([d or 4 for d in shape]).astype(
            tf.as_dtype(dtype).np) for shape, dtype in specs])
    return out


F32 = tf.float32


# ------------------------------------------------------------------ constant folding ---

def test_small_constant_subexpressions_fold_while_the_graph_is_built():
    specs = [([None, 3], F32)]
    g, fetches, feeds = build(lambda x: x + tf.constant(2.0) * tf.constant(3.0), *specs)
    plan = compiled(g, fetches, feeds, [])
    assert types(plan) == ["AddV2"]
    assert any(np.array_equal(c, 6.0) and c.dtype == np.float32 for c in plan.consts.values())
    assert_same_results(g, fetches, feeds, None, rand_inputs(specs))


def test_fold_constants_runs_the_op_kernel_on_large_constants():
    a = np.linspace(0, 1, BIG, dtype=np.float32)
    b = np.linspace(1, 2, BIG, dtype=np.float32)
    specs = [([BIG], F32)]
    g, fetches, feeds = build(lambda x: x + tf.exp(tf.constant(a)) * tf.constant(b), *specs)
    assert types(compiled(g, fetches, feeds, [])) == ["Exp", "Mul", "AddV2"]
    plan = compiled(g, fetches, feeds, [FOLD])
    assert types(plan) == ["AddV2"]
    folded = [c for c in plan.consts.values() if c.shape == (BIG,) and
              np.allclose(c, np.exp(a) * b)]
    assert folded and folded[0].dtype == np.float32
    assert_same_results(g, fetches, feeds, [FOLD], rand_inputs(specs))


def test_fold_constants_keeps_stateful_nodes():
    specs = [([3], F32)]
    v = tf.Variable(np.ones(3, np.float32))
    g, fetches, feeds = build(lambda x: x * v + tf.random.uniform([3]) * 0.0, *specs)
    plan = compiled(g, fetches, feeds, [FOLD])
    assert "ReadVariable" in types(plan)
    assert any("Random" in t or "Uniform" in t for t in types(plan))
    x = np.arange(3, dtype=np.float32)
    np.testing.assert_allclose(plan.run([x])[0], x)
    v.assign([2.0, 2.0, 2.0])
    np.testing.assert_allclose(plan.run([x])[0], 2 * x)


# -------------------------------------------------------- arithmetic simplification ---

NEUTRAL = [
    ("mul_one", lambda x: x * 1.0),
    ("one_mul", lambda x: 1.0 * x),
    ("add_zero", lambda x: x + 0.0),
    ("zero_add", lambda x: 0.0 + x),
    ("sub_zero", lambda x: x - 0.0),
    ("div_one", lambda x: x / 1.0),
    ("realdiv_one", lambda x: tf.realdiv(x, 1.0)),
    ("identity", tf.identity),
    ("double_transpose", lambda x: tf.transpose(tf.transpose(x))),
    ("double_transpose_perm", lambda x: tf.transpose(tf.transpose(x, [1, 2, 0]), [2, 0, 1])),
    ("noop_reshape", lambda x: tf.reshape(x, [2, 3, 4])),
    ("chain", lambda x: tf.identity(tf.transpose(tf.transpose(x * 1.0)) + 0.0)),
]


@pytest.mark.parametrize("fn", [c[1] for c in NEUTRAL], ids=[c[0] for c in NEUTRAL])
def test_simplify_removes_neutral_operations(fn):
    specs = [([2, 3, 4], F32)]
    g, fetches, feeds = build(fn, *specs)
    assert types(compiled(g, fetches, feeds, [])) != []
    plan = compiled(g, fetches, feeds, [SIMPLIFY, DCE])
    assert types(plan) == []
    assert_same_results(g, fetches, feeds, [SIMPLIFY, DCE], rand_inputs(specs))


KEPT = [
    # (id, fn, specs, op type that must stay)
    ("mul_two", lambda x: x * 2.0, [([2, 3], F32)], "Mul"),
    ("mul_one_broadcasts", lambda x: x * tf.ones([2, 3]), [([3], F32)], "Mul"),
    ("add_zero_grows_rank", lambda x: x + tf.zeros([1]), [([], F32)], "AddV2"),
    ("zero_sub", lambda x: 0.0 - x, [([2, 3], F32)], "Sub"),
    ("one_div", lambda x: 1.0 / x, [([2, 3], F32)], "TrueDiv"),
    ("transpose_not_inverse", lambda x: tf.transpose(tf.transpose(x, [1, 2, 0]), [1, 2, 0]),
     [([2, 3, 4], F32)], "Transpose"),
    ("real_reshape", lambda x: tf.reshape(x, [6, 4]), [([2, 3, 4], F32)], "Reshape"),
    ("unknown_batch_reshape", lambda x: tf.reshape(x, [-1, 12]), [([None, 3, 4], F32)],
     "Reshape"),
]


@pytest.mark.parametrize("fn,specs,kept", [c[1:] for c in KEPT], ids=[c[0] for c in KEPT])
def test_simplify_keeps_operations_that_change_values_or_shapes(fn, specs, kept):
    g, fetches, feeds = build(fn, *specs)
    plan = compiled(g, fetches, feeds, [SIMPLIFY, DCE])
    assert kept in types(plan)
    assert_same_results(g, fetches, feeds, [SIMPLIFY, DCE], rand_inputs(specs))


def test_simplify_integer_neutral_elements():
    specs = [([4], tf.int32)]
    g, fetches, feeds = build(lambda x: (x * 1) + 0, *specs)
    plan = compiled(g, fetches, feeds, [SIMPLIFY, DCE])
    assert types(plan) == []
    x = np.array([1, -2, 3, 7], np.int32)
    out = plan.run([x])[0]
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, x)


def test_simplify_does_not_drop_broadcasting_neutral_on_unknown_rank():
    specs = [(None, F32)]
    g, fetches, feeds = build(lambda x: x * tf.constant(np.ones((1, 1), np.float32)), *specs)
    plan = compiled(g, fetches, feeds, [SIMPLIFY])
    assert plan.run([np.ones(3, np.float32)])[0].shape == (1, 3)


NEUTRAL_EXTRA = [
    ("stop_gradient", tf.stop_gradient),
    ("noop_broadcast_to", lambda x: tf.broadcast_to(x, [2, 3, 4])),
]


@pytest.mark.parametrize("fn", [c[1] for c in NEUTRAL_EXTRA], ids=[c[0] for c in NEUTRAL_EXTRA])
def test_simplify_removes_other_declared_no_ops(fn):
    specs = [([2, 3, 4], F32)]
    g, fetches, feeds = build(fn, *specs)
    assert types(compiled(g, fetches, feeds, [])) != []
    assert types(compiled(g, fetches, feeds, [SIMPLIFY, DCE])) == []
    assert_same_results(g, fetches, feeds, [SIMPLIFY, DCE], rand_inputs(specs))


def test_every_declared_simplification_is_exercised():
    """The op library declares what the compiler may drop, op by op (matched by the op
    definition, not its name), and each declaration drops its op in a case above."""
    dropped = set()
    for _, fn in NEUTRAL + NEUTRAL_EXTRA:
        g, fetches, feeds = build(fn, ([2, 3, 4], F32))
        dropped.update(n.op for n in compiled(g, fetches, feeds, []).nodes)
    declared = C.simplifications()
    names = sorted(d.op.name for d in declared)
    assert names == sorted(["AddV2", "BroadcastTo", "Identity", "Mul", "RealDiv", "Reshape",
                            "StopGradient", "Sub", "SumToShape", "Transpose", "TrueDiv"])
    for d in declared:
        if d.op.name != "SumToShape":         # only gradients make it (test_tape, fusion)
            assert d.op in dropped, d.op.name


def test_simplify_follows_the_declarations_not_op_names(monkeypatch):
    """An op is dropped because of its declaration: with Mul's removed, x * 1 stays; a new
    op declared to forward its input is dropped, one declared nothing stays."""
    from ember.engine.dispatch import execute
    from ember.framework.op import _REGISTRY, Op
    from ember.ops import math_ops

    class _Passes(Op):
        name = "_TestPassesThrough"

        def infer(self, inputs):
            return inputs[0].shape, inputs[0].dtype

        def kernel(self, xp, a):
            return a.copy()

    op = _Passes()
    try:
        g, fetches, feeds = build(lambda x: execute(op, (x,), {}), ([3], F32))
        assert types(compiled(g, fetches, feeds, [SIMPLIFY, DCE])) == ["_TestPassesThrough"]
        monkeypatch.setitem(C._SIMPLIFICATIONS, id(op),
                            C.Simplification(op, forwards=True))
        assert types(compiled(g, fetches, feeds, [SIMPLIFY, DCE])) == []
    finally:
        _REGISTRY.pop(op.name, None)
    monkeypatch.delitem(C._SIMPLIFICATIONS, id(math_ops.MUL))
    g, fetches, feeds = build(lambda x: x * 1.0, ([3], F32))
    assert types(compiled(g, fetches, feeds, [SIMPLIFY, DCE])) == ["Mul"]


def test_a_simplification_declaration_is_checked():
    from ember.ops import math_ops
    with pytest.raises(ValueError, match="exactly one of"):
        C.Simplification(math_ops.MUL, neutral=1.0, forwards=True)
    with pytest.raises(ValueError, match="sides must be"):
        C.Simplification(math_ops.MUL, neutral=1.0, sides=("up",))
    with pytest.raises(TypeError, match="expected an op definition"):
        C.Simplification("Mul", forwards=True)


# -------------------------------------------------------------------- CSE and DCE ---

def test_cse_merges_identical_expressions():
    specs = [([3, 4], F32)]
    g, fetches, feeds = build(lambda x: tf.exp(x) + tf.exp(x), *specs)
    assert types(compiled(g, fetches, feeds, [])) == ["Exp", "Exp", "AddV2"]
    plan = compiled(g, fetches, feeds, [CSE])
    assert types(plan) == ["Exp", "AddV2"]
    add = plan.nodes[1]
    assert add.inputs[0] == add.inputs[1] == plan.nodes[0].outputs[0]
    assert_same_results(g, fetches, feeds, [CSE], rand_inputs(specs))


def test_cse_merges_whole_chains_and_keeps_different_attrs():
    specs = [([3, 4], F32)]

    def fn(x):
        two = tf.constant(2.0)
        a = tf.reduce_sum(tf.tanh(x) * two, axis=0)
        b = tf.reduce_sum(tf.tanh(x) * two, axis=0)
        c = tf.reduce_sum(tf.tanh(x) * two, axis=1)
        return a + b, c
    g, fetches, feeds = build(fn, *specs)
    plan = compiled(g, fetches, feeds, [CSE])
    t = types(plan)
    assert t.count("Tanh") == 1 and t.count("Mul") == 1 and t.count("Sum") == 2
    assert_same_results(g, fetches, feeds, [CSE], rand_inputs(specs))


def test_cse_merges_expressions_with_equal_literal_constants():
    specs = [([3, 4], F32)]
    g, fetches, feeds = build(lambda x: tf.exp(x * 2.0) + tf.exp(x * 2.0), *specs)
    plan = compiled(g, fetches, feeds, [CSE])
    assert types(plan) == ["Mul", "Exp", "AddV2"]


def test_cse_keeps_stateful_nodes_apart():
    specs = [([3], F32)]
    g, fetches, feeds = build(
        lambda x: x + tf.random.uniform([3]) - tf.random.uniform([3]), *specs)
    plan = compiled(g, fetches, feeds, [CSE])
    random_nodes = [t for t in types(plan) if t not in ("AddV2", "Sub")]
    assert len(random_nodes) == 2
    assert np.any(plan.run([np.zeros(3, np.float32)])[0] != 0)


def test_dce_removes_what_the_rewrites_left_unused():
    specs = [([2, 3], F32)]
    g, fetches, feeds = build(lambda x: tf.transpose(tf.transpose(x)) * 3.0, *specs)
    assert types(compiled(g, fetches, feeds, [SIMPLIFY])) == ["Transpose", "Mul"]
    assert types(compiled(g, fetches, feeds, [SIMPLIFY, DCE])) == ["Mul"]
    assert_same_results(g, fetches, feeds, [SIMPLIFY, DCE], rand_inputs(specs))


def test_dce_drops_a_branch_no_fetch_needs_but_keeps_stateful_ops():
    specs = [([3], F32)]
    v = tf.Variable(np.zeros(3, np.float32))

    def fn(x):
        return tf.exp(x) * 2.0, tf.sin(x) + tf.cos(x), v.assign_add(x)
    g, (used, unused, assign), feeds = build(fn, *specs)
    ir = C.lower(g, [used, unused], feeds, [assign.op])
    assert {"Sin", "Cos", "AssignVariable"} <= {n.op.name for n in ir.nodes}
    ir.fetches = ir.fetches[:1]
    C.eliminate_dead_code(ir)
    assert [n.op.name for n in ir.nodes] == ["Exp", "Mul", "AssignVariable"]
    plan = C.Plan(ir)
    x = np.array([0.0, 1.0, -1.0], np.float32)
    np.testing.assert_allclose(plan.run([x])[0], np.exp(x) * 2, rtol=1e-6)
    np.testing.assert_allclose(v.numpy(), x)


def test_lowering_only_takes_what_fetches_need():
    specs = [([3], F32)]
    g, fetches, feeds = build(lambda x: (tf.exp(x), tf.sin(x)), *specs)
    assert types(compiled(g, fetches[:1], feeds, [])) == ["Exp"]


# ------------------------------------------------------------------------- fusion ---

def _chain(x):
    return tf.tanh(tf.exp(x * 0.5) * 2.0 + 1.0) - 3.0


def test_fusion_turns_an_elementwise_chain_into_one_node():
    specs = [([4, 5], F32)]
    g, fetches, feeds = build(_chain, *specs)
    assert types(compiled(g, fetches, feeds, [])) == ["Mul", "Exp", "Mul", "AddV2", "Tanh",
                                                       "Sub"]
    plan = compiled(g, fetches, feeds, [FUSE])
    assert types(plan) == ["FusedElementwise"]
    steps = plan.nodes[0].attrs["steps"]
    assert len(steps) == 6
    assert all(inplace is not None for _, _, inplace in steps[1:])
    assert_same_results(g, fetches, feeds, [FUSE], rand_inputs(specs))


def test_fusion_stops_at_shared_or_fetched_intermediates_and_non_elementwise_ops():
    specs = [([4, 5], F32)]

    def fn(x):
        a = tf.exp(x) * 2.0            # a is used twice: its chain ends there
        b = tf.sin(a) + a
        c = tf.reduce_sum(b, axis=1)   # not elementwise
        return c * 3.0 + 1.0, b
    g, fetches, feeds = build(fn, *specs)
    plan = compiled(g, fetches, feeds, [FUSE])
    t = types(plan)
    # a's two uses are both inside the tree b = sin(a) + a: exp*2+sin+add | sum | c*3+1
    assert t == ["FusedElementwise", "Sum", "FusedElementwise"]
    assert [len(n.attrs["steps"]) for n in plan.nodes if n.op.name != "Sum"] == [4, 2]
    assert_same_results(g, fetches, feeds, [FUSE], rand_inputs(specs))


def test_fusion_with_broadcasting_and_dtype_changes():
    specs = [([4, 1], F32), ([5], F32)]

    def fn(x, y):
        z = tf.exp(x) + y              # broadcasts to (4, 5): no in-place into exp(x)
        return tf.logical_not(tf.greater(z * z, 2.0))
    g, fetches, feeds = build(fn, *specs)
    plan = compiled(g, fetches, feeds, [FUSE, REUSE])
    # z's two uses (z * z) are inside one tree: the whole expression is one node
    assert types(plan) == ["FusedElementwise"]
    assert len(plan.nodes[0].attrs["steps"]) == 5
    out = assert_same_results(g, fetches, feeds, [FUSE, REUSE], rand_inputs(specs, n=4))
    assert out.run(rand_inputs(specs)[0])[0].dtype == np.bool_


# ------------------------------------------------------------------- buffer reuse ---

def test_reuse_buffers_computes_in_place_into_fresh_intermediates():
    specs = [([8, 8], F32), ([8, 8], F32)]

    def fn(a, b):
        m = tf.matmul(a, b)                  # fresh output
        return tf.exp(m) + a                 # may overwrite m's buffer
    g, fetches, feeds = build(fn, *specs)
    plan = compiled(g, fetches, feeds, [REUSE])
    assert any(n.inplace is not None for n in plan.nodes)
    exp_node = [n for n in plan.nodes if n.op.name == "Exp"][0]
    assert exp_node.inplace == 0
    inputs = rand_inputs(specs, n=4)
    assert_same_results(g, fetches, feeds, [REUSE], inputs)
    # repeated runs give the same answers (no constant or feed was overwritten)
    first = plan.run(list(inputs[0]))[0].copy()
    plan.run(list(inputs[1]))
    np.testing.assert_array_equal(plan.run(list(inputs[0]))[0], first)


def test_reuse_buffers_never_overwrites_feeds_constants_or_shared_values():
    specs = [([6], F32)]
    c = np.linspace(-1, 1, 6).astype(np.float32)

    def fn(x):
        k = tf.constant(c)
        y = tf.exp(x)                # y has two consumers: no in-place into y
        return tf.sin(x) + k, y * 2.0, y + 1.0, tf.exp(k)
    g, fetches, feeds = build(fn, *specs)
    plan = compiled(g, fetches, feeds, [REUSE])
    exp_out = [n for n in plan.nodes if n.op.name == "Exp"][0].outputs[0]
    for n in plan.nodes:
        if n.inplace is not None:
            donor = n.inputs[n.inplace]
            assert donor not in plan.consts and donor != exp_out
    add = [n for n in plan.nodes if n.op.name == "AddV2" and "Sin" in
           [m.op.name for m in plan.nodes if n.inputs[0] in m.outputs]][0]
    assert add.inplace == 0          # sin(x)'s buffer is fresh and used once
    for _ in range(3):
        assert_same_results(g, fetches, feeds, [REUSE], rand_inputs(specs))
    np.testing.assert_array_equal(plan.consts[[k for k, v in plan.consts.items()
                                               if v.shape == (6,)][0]], c)


def test_fusion_of_a_tree_computes_in_place_with_the_same_results():
    specs = [([60, 60], F32), ([60, 60], F32)]

    def fn(v, grad):    # an RMSprop-like update: a tree, not a chain
        new_v = tf.maximum(v * 0.9 + tf.square(grad) * 0.1, 1e-30)
        return grad * 0.01 / tf.sqrt(new_v + 1e-7)
    g, fetches, feeds = build(fn, *specs)
    plan = compiled(g, fetches, feeds, [FUSE])
    assert types(plan) == ["FusedElementwise"]
    steps = plan.nodes[0].attrs["steps"]
    # only the three leaves reading inputs allocate; every other step reuses a buffer
    assert sum(inplace is None for _, _, inplace in steps) == 3
    for args in rand_inputs(specs, n=3):
        args = [np.abs(a) for a in args]
        np.testing.assert_allclose(plan.run(list(args))[0],
                                   compiled(g, fetches, feeds, []).run(list(args))[0],
                                   rtol=1e-6)


def test_reuse_buffers_inside_fused_chains_after_a_fresh_producer():
    specs = [([5, 5], F32), ([5, 5], F32)]
    g, fetches, feeds = build(lambda a, b: _chain(tf.matmul(a, b)), *specs)
    plan = compiled(g, fetches, feeds, [FUSE, REUSE])
    fused = [n for n in plan.nodes if n.op.name == "FusedElementwise"]
    assert len(fused) == 1
    assert fused[0].attrs["steps"][0][2] is not None
    assert_same_results(g, fetches, feeds, [FUSE, REUSE], rand_inputs(specs, n=4))


def test_chunked_fused_tree_writes_its_result_into_a_fresh_input(monkeypatch):
    """A momentum-like update whose gradient is a matmul's fresh output, large enough to
    run chunk by chunk: the result goes into the gradient's buffer (``out_input``); a
    feed (the velocity) is never the donor, and the values match the unoptimized plan's."""
    from ember.runtime import fastpath
    specs = [([600, 500], F32), ([600, 8], F32), ([8, 500], F32)]

    def fn(v, a, b):
        return v * 0.9 - tf.matmul(a, b) * 0.01
    g, fetches, feeds = build(fn, *specs)
    plan = compiled(g, fetches, feeds, [FUSE, REUSE])
    fused = [n for n in plan.nodes if n.op.name == "FusedElementwise"][0]
    mm = [n for n in plan.nodes if n.op.name == "BatchMatMulV2"][0]
    assert fused.inputs[fused.attrs["out_input"]] == mm.outputs[0]
    seen = []
    real = fastpath.run_in_chunks

    def spy(arrays, steps, into=None):
        out = real(arrays, steps, into)
        seen.append(out is not None and into is not None and np.shares_memory(out, into))
        return out
    monkeypatch.setattr(C, "run_in_chunks", spy)
    inputs = rand_inputs(specs, n=2)
    for args in inputs:
        v = args[0].copy()
        np.testing.assert_allclose(plan.run(list(args))[0],
                                   compiled(g, fetches, feeds, []).run(list(args))[0],
                                   rtol=1e-6, atol=1e-6)
        np.testing.assert_array_equal(args[0], v)          # the feed is untouched
    assert seen and all(seen)


def test_run_in_chunks_into_an_input_or_a_new_array():
    from ember.runtime import fastpath
    rng = np.random.default_rng(5)
    v, gr = (rng.standard_normal((700, 401)).astype(np.float32) for _ in range(2))
    steps = ((np.multiply, (0, 1), None), (np.multiply, (2, 3), None),
             (np.subtract, (4, 5), 0))
    want = v * np.float32(0.9) - gr * np.float32(0.01)
    donor = gr.copy()
    out = fastpath.run_in_chunks((v, np.float32(0.9), donor, np.float32(0.01)), steps,
                                 into=donor)
    np.testing.assert_array_equal(out, want)
    assert np.shares_memory(out, donor)
    wrong = gr.astype(np.float64)      # a dtype the result does not have: a new array
    out = fastpath.run_in_chunks((v, np.float32(0.9), gr, np.float32(0.01)), steps,
                                 into=wrong)
    np.testing.assert_array_equal(out, want)
    assert not np.shares_memory(out, wrong) and out.dtype == np.float32


# ------------------------------------------------------------- all passes together ---

def _mlp(x, w1, w2):
    h = tf.nn.relu(tf.matmul(x, w1) * 1.0 + 0.0)
    h2 = tf.nn.relu(tf.matmul(x, w1))
    logits = tf.matmul(h + h2, w2)
    p = tf.nn.softmax(logits)
    return (tf.reduce_mean(-tf.reduce_sum(tf.math.log(p + 1e-6), axis=1)),
            tf.transpose(tf.transpose(p)) * 2.0 - 1.0,
            tf.sigmoid(tf.exp(logits * 0.1) + 1.0))


MLP_SPECS = [([None, 4], F32), ([4, 6], F32), ([6, 3], F32)]
SUBSETS = [list(s) for r in range(len(C.PASSES) + 1)
           for s in itertools.combinations(C.PASSES, r)]


@pytest.mark.parametrize("passes", SUBSETS,
                         ids=["+".join(p.__name__ for p in s) or "none" for s in SUBSETS])
def test_every_subset_of_passes_gives_the_same_results(passes):
    g, fetches, feeds = build(_mlp, *MLP_SPECS)
    assert_same_results(g, fetches, feeds, passes, rand_inputs(MLP_SPECS, n=2))


def test_all_passes_shrink_the_plan():
    g, fetches, feeds = build(_mlp, *MLP_SPECS)
    before = types(compiled(g, fetches, feeds, []))
    after = types(compiled(g, fetches, feeds, None))
    assert len(after) < len(before)
    assert after.count("BatchMatMulV2") == 2 and "Transpose" not in after
    assert "FusedElementwise" in after


def test_passes_on_a_traced_function_graph():
    @tf.function
    def f(x):
        a = tf.exp(x) + tf.exp(x)
        return tf.tanh(a * 1.0 + 2.0) * 0.5

    c = f.get_concrete_function(tf.TensorSpec([3, 3], tf.float32))
    ref = C.compile_plan(c.graph, c.outputs, c.inputs, passes=[])
    opt = C.compile_plan(c.graph, c.outputs, c.inputs)
    assert types(opt) == ["Exp", "FusedElementwise"] or len(types(opt)) < len(types(ref))
    x = np.random.default_rng(5).standard_normal((3, 3)).astype(np.float32)
    np.testing.assert_allclose(opt.run([x])[0], ref.run([x])[0], rtol=1e-6)
    np.testing.assert_allclose(f(tf.constant(x)).numpy(), np.tanh(2 * np.exp(x) + 2) * 0.5,
                               rtol=1e-6)


def test_plan_run_reports_the_failing_node():
    specs = [([None], tf.int32), ([None], tf.int32)]
    g, fetches, feeds = build(lambda a, b: tf.gather(a, b), *specs)
    plan = compiled(g, fetches, feeds, None)
    np.testing.assert_array_equal(plan.run([np.array([5, 6], np.int32),
                                            np.array([1, 0], np.int32)])[0], [6, 5])
    with pytest.raises(tf.errors.InvalidArgumentError):
        plan.run([np.array([5, 6], np.int32), np.array([7], np.int32)])


from ember.framework.op import Op  # noqa: E402
from ember.framework.errors import InvalidArgumentError  # noqa: E402


class _FailsOnNegative(Op):
    """Test op: identity whose kernel raises a bare ValueError on negative input."""

    name = "FailsOnNegative"

    def infer(self, inputs):
        return inputs[0].shape, inputs[0].dtype

    def kernel(self, xp, a):
        if (a < 0).any():
            raise ValueError("negative input")
        return a


def test_plan_error_names_the_failing_node():
    from ember.engine.dispatch import execute as run_op
    op = _FailsOnNegative()

    @tf.function
    def f(x):
        y = x * 2.0
        z = run_op(op, (y + 1.0,), {}, "checker")
        return z - 1.0

    np.testing.assert_allclose(f(tf.constant([1.0, 2.0])).numpy(), [2.0, 4.0])
    with pytest.raises(InvalidArgumentError, match=r"negative input \(while running node "
                                                   r"'checker', op FailsOnNegative\)"):
        f(tf.constant([1.0, -2.0]))
