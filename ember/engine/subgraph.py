"""Sub-functions: branch and loop bodies traced into their own graphs inside an enclosing
graph, compiled to plans, and differentiated (the gradient graph is built on demand in the
body's own graph, from a tape that recorded the body while it was traced)."""
from __future__ import annotations


from ember.framework import nest
from ember.framework.context import context
from ember.framework.hooks import library
from ember.engine.graph import FuncGraph
from ember.framework.tensor import Tensor, convert_to_tensor

__all__ = ["SubFunction"]


def _effects(graph):
    """The body's operations that must run for their effects (variable updates, prints,
    asserts, nested stateful control flow); random ops run only when something reads them."""
    return [op for op in graph._operations if op.op_def.stateful and
            (op.op_def.name in ("AssignVariable", "StatefulIf", "StatefulWhile") or
             op.op_def.side_effect)]


class SubFunction:
    """``fn(*inputs)`` traced into a FuncGraph nested in ``outer``.

    ``captures`` lists the enclosing graph's tensors the body uses; they are extra inputs
    of the op that runs the body. ``run(inputs, captures)`` executes the compiled body;
    ``grad_run(inputs, captures, upstream)`` returns the gradients with respect to the
    inputs and to the captures.
    """

    def __init__(self, fn, input_specs, outer, name):
        self.name = name
        local = set()
        while True:
            graph = self._trace(fn, input_specs, outer, name, local)
            # A variable the body assigns must be read inside the body, not once before it:
            # trace again reading those inside.
            conflict = graph._lifted_variables & graph._assigned
            if not conflict:
                break
            local |= conflict
        self.graph = graph
        self.captures = [outer_t for outer_t, _ in graph.captures]
        self.capture_placeholders = [ph for _, ph in graph.captures]
        self.stateful = bool(_effects(graph))
        self._plan = None
        self._grad_plan = None

    def _trace(self, fn, input_specs, outer, name, local_variables):
        from ember.engine.tape import GradientTape
        graph = FuncGraph(name, outer=outer)
        graph._local_variables = set(local_variables)
        tape = GradientTape(persistent=True, watch_accessed_variables=False)
        graph._capture_tapes = [tape]
        graph._outer_tapes = list(context.tapes)
        prev_graph, prev_tapes = context.graph, context.tapes
        context.graph = graph
        context.tapes = [tape]
        tape._recording = True
        try:
            self.inputs = [graph.placeholder(d, s, name=f"{name}_in{i}")
                           for i, (s, d) in enumerate(input_specs)]
            tape.watch(self.inputs)
            result = fn(*self.inputs)
            self.structure = result
            flat = []
            for o in nest.flatten(result):
                if o is None:
                    raise ValueError(f"{name}: a branch or loop body returned None; every "
                                     f"output must be a tensor")
                if getattr(o, "_is_ember_variable", False):
                    o = o.value()
                if not isinstance(o, Tensor):
                    o = convert_to_tensor(o)
                flat.append(graph._bring_in(o))
            self.outputs = flat
        finally:
            tape._recording = False
            context.graph = prev_graph
            context.tapes = prev_tapes
        self.tape = tape
        return graph

    def output_specs(self):
        return [(t.shape, t.dtype) for t in self.outputs]

    def _compiled(self):
        if self._plan is None:
            from ember.engine.compiler import compile_plan
            targets = _effects(self.graph)
            self._plan = compile_plan(self.graph, self.outputs,
                                      self.inputs + self.capture_placeholders, targets)
        return self._plan

    def run(self, inputs, captures):
        return self._compiled().run(list(inputs) + list(captures))

    def _grad_compiled(self):
        if self._grad_plan is None:
            from ember.engine.compiler import compile_plan
            from ember.engine.tape import UnconnectedGradients
            graph = self.graph
            prev_graph, prev_tapes = context.graph, context.tapes
            context.graph = graph
            context.tapes = []
            try:
                self.upstream = [graph.placeholder(t.dtype, t.shape, name=f"{self.name}_up{i}")
                                 for i, t in enumerate(self.outputs)]
                sources = self.inputs + self.capture_placeholders
                float_out = [(t, u) for t, u in zip(self.outputs, self.upstream)
                             if t.dtype.is_floating or t.dtype.is_complex]
                self.tape._used = False
                if float_out:
                    grads = self.tape.gradient([t for t, _ in float_out], sources,
                                               output_gradients=[u for _, u in float_out],
                                               unconnected_gradients=UnconnectedGradients.ZERO)
                else:
                    grads = [library.zeros_like(s) for s in sources]
                grads = [graph._bring_in(convert_to_tensor(g)) for g in grads]
            finally:
                context.graph = prev_graph
                context.tapes = prev_tapes
            self._grad_outputs = grads
            self._grad_plan = compile_plan(graph, grads, self.inputs +
                                           self.capture_placeholders + self.upstream)
        return self._grad_plan

    def grad_run(self, inputs, captures, upstream):
        """(gradients for inputs, gradients for captures) as arrays."""
        out = self._grad_compiled().run(list(inputs) + list(captures) + list(upstream))
        n = len(self.inputs)
        return out[:n], out[n:]

