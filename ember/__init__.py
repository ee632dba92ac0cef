"""ember: TensorFlow 2 and Keras on NumPy.

    import ember as tf
    x = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = x ** 2
    tape.gradient(y, x)      # 6.0

This module only re-exports; the code lives in ember.framework and ember.ops.
"""
from ember.runtime import memory as _memory

_memory.tune_from_environment()      # opt-in only (EMBER_MALLOC=tuned)
from ember.framework import dtypes as dtypes  # noqa: F401,E402
from ember.framework.dtypes import (  # noqa: F401
    DType, as_dtype, bfloat16, bool, complex64, complex128, double, float16, float32, float64,
    half, int8, int16, int32, int64, string, uint8, uint16, uint32, uint64,
)
from ember.framework.tensor_shape import TensorShape  # noqa: F401
from ember.framework.tensor import (  # noqa: F401
    Tensor, constant, convert_to_tensor, is_tensor, register_tensor_conversion_function,
)
from ember.framework.variables import (  # noqa: F401
    Variable, VariableAggregation, VariableSynchronization,
)
from ember.engine.tape import (GradientTape, UnconnectedGradients, custom_gradient,  # noqa
                               recompute_grad)
from ember.framework.context import executing_eagerly  # noqa: F401
from ember.framework import nest  # noqa: F401
from ember.engine.function import TensorSpec, function  # noqa: F401
from ember.engine.graph import Graph, Operation, init_scope, name_scope  # noqa: F401
from ember import ops as _ops  # noqa: F401  (installs the Tensor operators)
from ember.ops.math_ops import *  # noqa: F401,F403
from ember.ops.array_ops import *  # noqa: F401,F403
from ember.ops.creation_ops import *  # noqa: F401,F403
from ember.ops.reduce_ops import *  # noqa: F401,F403
from ember.ops.linalg_ops import einsum, matmul, norm, tensordot  # noqa: F401
from ember.ops.control_flow_ops import case, cond, group, no_op, switch_case, while_loop  # noqa
from ember import config, errors, math, nn, random  # noqa: F401,E402
from ember import autograph  # noqa: F401,E402  (installs AutoGraph into ember.function)
from ember.ops.indexed_slices import IndexedSlices, IndexedSlicesSpec  # noqa: F401,E402
from ember.ops.control_flow_ops import control_dependencies  # noqa: F401,E402
from ember import version  # noqa: F401,E402
from ember.framework.type_spec import NoneTensorSpec, OptionalSpec, TypeSpec  # noqa: E402
from ember.framework import lazy as _lazy  # noqa: E402
from ember.framework import op as _op  # noqa: E402

# Loaded on first use (ember/framework/lazy.py; docs/architecture.md, "Lazy namespaces"):
# one entry per line, so additions merge cleanly.
_LAZY_SUBMODULES = (
    "compat",
    "data",
    "debugging",
    "distribute",
    "image",
    "io",
    "keras",
    "linalg",
    "lite",
    "lookup",
    "module",
    "profiler",
    "ragged",
    "saved_model",
    "serving",
    "signal",
    "sparse",
    "strings",
    "summary",
    "test",
    "train",
)
_LAZY_ATTRIBUTES = {
    **_lazy.names_in("ember.ops.linalg_extra_ops", "eig", "eigvals"),
    **_lazy.names_in("ember.ops.conv_backprop_ops", "conv", "conv2d_backprop_filter_v2",
        "conv2d_backprop_input_v2"),
    **_lazy.names_in("ember.ops.space_batch_ops", "batch_to_space",
        "required_space_to_batch_paddings", "space_to_batch", "space_to_batch_nd"),
    **_lazy.names_in("ember.ops.array_extra_ops", "approx_top_k", "bitcast",
        "broadcast_dynamic_shape", "broadcast_static_shape", "dynamic_partition",
        "dynamic_stitch", "extract_volume_patches", "guarantee_const", "histogram_fixed_width",
        "histogram_fixed_width_bins", "identity_n", "parallel_stack", "reverse_sequence",
        "searchsorted", "sequence_mask", "shape_n", "tensor_scatter_nd_max",
        "tensor_scatter_nd_min", "unique_with_counts", "unravel_index"),
    **_lazy.names_in("ember.ops.framework_ops", "AggregationMethod", "CriticalSection",
        "get_current_name_scope", "get_logger", "get_static_value", "grad_pass_through",
        "gradients", "hessians", "inside_function", "is_symbolic_tensor", "no_gradient",
        "nondifferentiable_batch_function", "timestamp", "tuple", "type_spec_from_value"),
    **_lazy.names_in("ember.ops.init_ops", "constant_initializer", "ones_initializer",
        "random_normal_initializer", "random_uniform_initializer", "zeros_initializer"),
    **_lazy.names_in("ember.ops.check_ops", "Assert", "assert_equal", "assert_greater",
        "assert_less", "assert_rank", "ensure_shape"),
    **_lazy.names_in("ember.ops.script_ops", "numpy_function", "py_function"),
    **_lazy.names_in("ember.ops.functional_ops", "foldl", "foldr", "map_fn", "scan",
        "vectorized_map"),
    **_lazy.names_in("ember.ops.tensor_array_ops", "TensorArray", "TensorArraySpec"),
    **_lazy.names_in("ember.ops.clip_ops", "clip_by_global_norm", "clip_by_norm",
        "global_norm"),
    **_lazy.names_in("ember.config.devices", "DeviceSpec", "device"),
    "SparseTensor": "ember.sparse",
    "SparseTensorSpec": "ember.sparse",
    "RaggedTensor": "ember.ragged",
    "RaggedTensorSpec": "ember.ragged",
    "as_string": "ember.strings",           # string ops TensorFlow also has at the top
    "fingerprint": "ember.strings",
    "edit_distance": "ember.ops.edit_distance_ops",
    # GraphDef, TensorProto and graph-building hooks
    "import_graph_def": "ember.compat.v1.graph_import",
    "make_tensor_proto": "ember.compat.v1.tensor_util",
    "make_ndarray": "ember.compat.v1.tensor_util",
    "RegisterGradient": "ember.compat.v1.gradient_override",
    "variable_creator_scope": "ember.compat.v1.variable_creator",
    "graph_util": "ember.compat.v1.graph_util:",      # the module itself
    "fftnd": "ember.signal",
    "ifftnd": "ember.signal",
    "rfftnd": "ember.signal",
    "irfftnd": "ember.signal",
    "print": "ember.ops.logging_ops:print_v2",
    "random_index_shuffle": "ember.ops.stateless_random_ops:index_shuffle",
    "matrix_square_root": "ember.ops.linalg_extra_ops:sqrtm",
    "Module": "ember.module",
}
__getattr__, __dir__ = _lazy.attach(__name__, _LAZY_SUBMODULES, _LAZY_ATTRIBUTES)
# Ops of modules not loaded yet are found by name when a graph file or SavedModel needs them.
# (tests/test_import_laziness.py names any module that defines ops and is missing here.)
_op.register_op_modules(
    "ember.ops.*",
    "ember.data.graph_iteration",
    "ember.io.parsing",
    "ember.compat.v1.queues",
)

__version__ = "0.1.0"
newaxis = None


def install_as_tensorflow() -> None:
    """Makes ``import tensorflow`` (and ``tensorflow.keras``, ``keras``) give ember, so an
    unchanged TensorFlow script runs on ember: ``tensorflow.X`` is ``ember.X`` and
    ``keras.X`` is ``ember.keras.X``, module objects included."""
    import importlib
    import importlib.abc
    import importlib.util
    import sys

    aliases = {"tensorflow": __name__, "keras": f"{__name__}.keras",
               "tensorflow.keras": f"{__name__}.keras"}

    class _AliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
        def find_spec(self, fullname, path=None, target=None):
            for prefix in sorted(aliases, key=len, reverse=True):
                if fullname == prefix or fullname.startswith(prefix + "."):
                    real = aliases[prefix] + fullname[len(prefix):]
                    return importlib.util.spec_from_loader(fullname, self,
                                                           origin=real)
            return None

        def create_module(self, spec):
            module = importlib.import_module(spec.origin)
            sys.modules[spec.name] = module
            return module

        def exec_module(self, module):
            pass

    if not any(getattr(f, "_ember_alias", False) for f in sys.meta_path):
        finder = _AliasFinder()
        finder._ember_alias = True
        sys.meta_path.insert(0, finder)
    for alias, real in aliases.items():
        for name in [n for n in list(sys.modules) if n == alias or n.startswith(alias + ".")]:
            if not sys.modules[name].__name__.startswith(__name__):
                del sys.modules[name]


def _starred():
    """``from ember import *``: every name but the optional packages (keras, compat, data,
    sparse, ...) and the names they define, which a star import never loaded."""
    star_modules = ("debugging", "image", "linalg", "module", "test")
    skip = [f"{__name__}.{m}" for m in _LAZY_SUBMODULES if m not in star_modules]

    def optional(target):
        module = target.partition(":")[0]
        return any(module == p or module.startswith(p + ".") for p in skip)

    return _lazy.star_names(globals(), star_modules,
                            [n for n, t in _LAZY_ATTRIBUTES.items() if not optional(t)])


__all__ = _starred()
