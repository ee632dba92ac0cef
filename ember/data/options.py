"""``tf.data.Options``: settings attached to a pipeline with ``with_options``."""
from __future__ import annotations

import threading

__all__ = ["Options", "ThreadingOptions", "OptimizationOptions", "AutoShardPolicy",
           "ExternalStatePolicy", "AutotuneOptions", "DistributeOptions", "in_effect",
           "applying", "outer_options", "deterministic"]


class _OptionGroup:
    _fields: tuple = ()

    def __init__(self):
        for f in self._fields:
            object.__setattr__(self, f, None)

    def __setattr__(self, name, value):
        if name not in self._fields:
            raise AttributeError(f"{type(self).__name__} has no option {name!r}; the options "
                                 f"are {list(self._fields)}.")
        object.__setattr__(self, name, value)

    def _merge(self, other):
        out = type(self)()
        for f in self._fields:
            mine, theirs = getattr(self, f), getattr(other, f)
            if isinstance(mine, _OptionGroup):
                object.__setattr__(out, f, mine._merge(theirs))
            else:
                object.__setattr__(out, f, theirs if theirs is not None else mine)
        return out

    def __eq__(self, other):
        return type(self) is type(other) and all(getattr(self, f) == getattr(other, f)
                                                 for f in self._fields)

    def __repr__(self):
        return f"{type(self).__name__}(" + ", ".join(
            f"{f}={getattr(self, f)!r}" for f in self._fields) + ")"


class ThreadingOptions(_OptionGroup):
    _fields = ("max_intra_op_parallelism", "private_threadpool_size")


class AutotuneOptions(_OptionGroup):
    _fields = ("enabled", "cpu_budget", "ram_budget", "autotune_algorithm",
               "initial_parallelism", "min_parallelism")


class OptimizationOptions(_OptionGroup):
    _fields = ("apply_default_optimizations", "filter_fusion", "filter_parallelization",
               "inject_prefetch", "map_and_batch_fusion", "map_and_filter_fusion",
               "map_fusion", "map_parallelization", "noop_elimination",
               "parallel_batch", "shuffle_and_repeat_fusion", "seq_interleave_prefetch",
               "warm_start")


class AutoShardPolicy:
    OFF, AUTO, FILE, DATA, HINT = -1, 0, 1, 2, 3


class ExternalStatePolicy:
    WARN, IGNORE, FAIL = 0, 1, 2


class DistributeOptions(_OptionGroup):
    _fields = ("auto_shard_policy", "num_devices")


class Options(_OptionGroup):
    """Pipeline options. ``deterministic`` (default True) keeps the order of parallel
    ``map``; ``threading.private_threadpool_size`` caps ``AUTOTUNE`` parallelism. The
    optimization and autotune settings are accepted and have no effect in ember.

    >>> opts = ember.data.Options()
    >>> opts.deterministic = False
    >>> ds = ember.data.Dataset.range(3).with_options(opts)
    """

    _fields = ("deterministic", "threading", "autotune", "experimental_optimization",
               "experimental_distribute", "experimental_deterministic",
               "experimental_external_state_policy", "experimental_slack",
               "experimental_symbolic_checkpoint", "experimental_warm_start", "framework_type",
               "dataset_name")

    def __init__(self):
        super().__init__()
        object.__setattr__(self, "threading", ThreadingOptions())
        object.__setattr__(self, "autotune", AutotuneOptions())
        object.__setattr__(self, "experimental_optimization", OptimizationOptions())
        object.__setattr__(self, "experimental_distribute", DistributeOptions())

    def __setattr__(self, name, value):
        if name == "experimental_deterministic":
            name = "deterministic"
        super().__setattr__(name, value)

    def merge(self, options):
        return self._merge(options)


# -- options of the pipeline being iterated -----------------------------------------------
# Options apply to a whole pipeline, also to stages before the ``with_options`` that set
# them: while a ``with_options`` stage pulls from its input, its merged options are this
# thread's "outer" options, which ``in_effect`` adds to a stage's own.
_outer = threading.local()


def outer_options():
    """The options a downstream ``with_options`` stage set for this thread, or None."""
    return getattr(_outer, "options", None)


class applying:
    """While active in this thread, ``options`` apply to every stage ``in_effect`` asks
    about (a prefetch thread takes its creator's)."""

    def __init__(self, options):
        self._options = options

    def __enter__(self):
        self._prev = getattr(_outer, "options", None)
        _outer.options = self._options

    def __exit__(self, *exc):
        _outer.options = self._prev


def in_effect(dataset):
    """The options that apply to ``dataset``'s stage while it is iterated: its own merged
    along its inputs, with those of the pipeline that reads it."""
    own = dataset.options()
    outer = outer_options()
    return own if outer is None else own.merge(outer)


def deterministic(asked, options) -> bool:
    """A stage's ``deterministic`` argument, or the pipeline's option when it is None."""
    return options.deterministic is not False if asked is None else bool(asked)
