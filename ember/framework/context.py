"""Execution state shared by the dispatcher: active graph, active tapes, seeds.

One module-level object keeps the hot path to a single attribute read per check.
"""
from __future__ import annotations


class _Context:
    __slots__ = ("graph", "tapes", "check_infer", "global_seed", "seed_counter",
                 "rng_cache", "eager_default", "name_counts", "run_functions_eagerly",
                 "eager_scope")

    def __init__(self):
        self.graph = None          # the Graph being built, or None when executing eagerly
        self.tapes = []            # GradientTapes that are currently recording
        self.check_infer = False   # tests turn this on: every eager op checks its own infer
        self.global_seed = None
        self.seed_counter = 0
        self.rng_cache = {}
        self.eager_default = True  # compat.v1.disable_eager_execution turns this off
        self.name_counts = {}
        self.run_functions_eagerly = False   # ember.config.run_functions_eagerly
        self.eager_scope = []      # name scopes entered eagerly (prefix eager variable names)


context = _Context()


def executing_eagerly() -> bool:
    """True unless a graph is being built (inside ``ember.function`` or a v1 Graph)."""
    return context.graph is None and context.eager_default
