"""TF1's session configuration messages: ``ConfigProto``, ``GPUOptions``, ``GraphOptions``,
``OptimizerOptions``, ``RunOptions`` and ``RunMetadata``, as plain records.

TF1 programs build them for ``Session(config=...)`` and ``sess.run(options=...,
run_metadata=...)``; ember runs on the CPU with its own thread settings
(``ember.config.threading``), so the values are kept and readable but change nothing, except
that ``intra_op_parallelism_threads`` is reported by ``Session`` as its thread count.
"""
from __future__ import annotations


class _Message:
    """Fields with defaults; nested messages made on first access, like protobuf's."""

    _fields = {}
    _messages = {}

    def __init__(self, **kwargs):
        for key, value in kwargs.items():
            setattr(self, key, value)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self._messages:
            value = self._messages[name]()
            object.__setattr__(self, name, value)
            return value
        if name in self._fields:
            return self._fields[name]() if callable(self._fields[name]) else self._fields[name]
        raise AttributeError(f"{type(self).__name__} has no field {name!r}")

    def __setattr__(self, name, value):
        if name not in self._fields and name not in self._messages:
            raise AttributeError(f"{type(self).__name__} has no field {name!r}")
        object.__setattr__(self, name, value)

    def CopyFrom(self, other):  # noqa: N802 - protobuf's name
        self.__dict__.update(other.__dict__)

    def SerializeToString(self):  # noqa: N802
        import json
        return json.dumps({k: v if not isinstance(v, _Message) else v.__dict__
                           for k, v in self.__dict__.items()}, default=str).encode()

    def __repr__(self):
        fields = ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items())
        return f"{type(self).__name__}({fields})"


class GPUOptions(_Message):
    _fields = {"allow_growth": False, "per_process_gpu_memory_fraction": 0.0,
               "visible_device_list": "", "allocator_type": "", "force_gpu_compatible": False}


class OptimizerOptions(_Message):
    _fields = {"do_common_subexpression_elimination": True, "do_constant_folding": True,
               "do_function_inlining": True, "opt_level": 0, "global_jit_level": 0}
    L1, L0 = 0, -1
    DEFAULT, OFF, ON_1, ON_2 = 0, -1, 1, 2


class GraphOptions(_Message):
    _fields = {"enable_recv_scheduling": False, "build_cost_model": 0,
               "infer_shapes": False, "place_pruned_graph": False,
               "enable_bfloat16_sendrecv": False}
    _messages = {"optimizer_options": OptimizerOptions}


class ConfigProto(_Message):
    """``tf.ConfigProto(allow_soft_placement=True, ...)``; ``config.gpu_options.allow_growth
    = True`` works as in TensorFlow."""
    _fields = {"device_count": dict, "intra_op_parallelism_threads": 0,
               "inter_op_parallelism_threads": 0, "use_per_session_threads": False,
               "allow_soft_placement": False, "log_device_placement": False,
               "operation_timeout_in_ms": 0, "isolate_session_state": False}
    _messages = {"gpu_options": GPUOptions, "graph_options": GraphOptions}


class RunOptions(_Message):
    _fields = {"trace_level": 0, "timeout_in_ms": 0, "inter_op_thread_pool": 0,
               "output_partition_graphs": False, "report_tensor_allocations_upon_oom": False}
    NO_TRACE, SOFTWARE_TRACE, HARDWARE_TRACE, FULL_TRACE = 0, 1, 2, 3


class RunMetadata(_Message):
    # step_stats: with RunOptions(trace_level=FULL_TRACE), one (node name, op type,
    # start in microseconds, duration in microseconds) per step the run executed
    _fields = {"partition_graphs": list, "function_graphs": list, "step_stats": list}
