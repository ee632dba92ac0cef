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
from ember import config, errors, image, linalg, math, nn, random, test  # noqa: F401,E402
from ember import autograph  # noqa: F401,E402
from ember.module import Module  # noqa: F401,E402
from ember.ops.logging_ops import print_v2 as print  # noqa: F401,E402,A001
from ember.ops.tensor_array_ops import TensorArray, TensorArraySpec  # noqa: F401,E402
from ember.ops.indexed_slices import IndexedSlices, IndexedSlicesSpec  # noqa: F401,E402
from ember.ops.control_flow_ops import control_dependencies  # noqa: F401,E402
from ember.ops.functional_ops import foldl, foldr, map_fn, scan, vectorized_map  # noqa
from ember.ops.clip_ops import clip_by_global_norm, clip_by_norm, global_norm  # noqa: F401
from ember.ops.script_ops import numpy_function, py_function  # noqa: F401,E402
from ember.ops.check_ops import (  # noqa: F401,E402
    Assert, assert_equal, assert_greater, assert_less, assert_rank, ensure_shape,
)
from ember import debugging, version  # noqa: F401,E402
from ember.framework.type_spec import NoneTensorSpec, OptionalSpec, TypeSpec  # noqa: E402
from ember.ops.array_extra_ops import *  # noqa: F401,F403,E402
from ember.ops.framework_ops import *  # noqa: F401,F403,E402
from ember.ops.init_ops import *  # noqa: F401,F403,E402
from ember.ops.space_batch_ops import (  # noqa: F401,E402
    batch_to_space, required_space_to_batch_paddings, space_to_batch, space_to_batch_nd,
)
from ember.ops.conv_backprop_ops import (  # noqa: F401,E402
    conv, conv2d_backprop_filter_v2, conv2d_backprop_input_v2,
)
from ember.ops.stateless_random_ops import index_shuffle as random_index_shuffle  # noqa
from ember.ops.linalg_extra_ops import eig, eigvals  # noqa: F401,E402
from ember.ops.linalg_extra_ops import sqrtm as matrix_square_root  # noqa: F401,E402
from ember.config.devices import DeviceSpec, device  # noqa: F401,E402

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


_GRAPH_INTEROP = {"import_graph_def": "ember.compat.v1.graph_import",
                  "make_tensor_proto": "ember.compat.v1.tensor_util",
                  "make_ndarray": "ember.compat.v1.tensor_util",
                  "RegisterGradient": "ember.compat.v1.gradient_override",
                  "variable_creator_scope": "ember.compat.v1.variable_creator"}


def __getattr__(name):
    """``ember.compat``, ``ember.keras``, ``ember.data``, ``ember.io``, ``ember.train``,
    ``ember.saved_model``, ``ember.signal``, ``ember.sparse``, ``ember.strings``,
    ``ember.ragged``, ``ember.summary``, ``ember.profiler``, ``ember.lookup``,
    ``ember.serving``, ``ember.distribute`` and ``ember.lite`` load on first use (keeps
    ``import ember`` fast)."""
    import importlib
    if name in ("compat", "keras", "data", "io", "train", "saved_model", "signal", "sparse",
                "strings", "ragged", "summary", "profiler", "lookup", "serving", "distribute",
                "lite"):
        return importlib.import_module(f"{__name__}.{name}")
    if name in ("SparseTensor", "SparseTensorSpec"):
        return getattr(importlib.import_module(f"{__name__}.sparse"), name)
    if name in ("RaggedTensor", "RaggedTensorSpec"):
        return getattr(importlib.import_module(f"{__name__}.ragged"), name)
    if name in ("as_string", "fingerprint"):      # string ops TensorFlow also has at the top
        return getattr(importlib.import_module(f"{__name__}.strings"), name)
    if name == "edit_distance":                  # needs SparseTensor (ember.sparse, lazy)
        return importlib.import_module(f"{__name__}.ops.edit_distance_ops").edit_distance
    if name in _GRAPH_INTEROP:     # GraphDef, TensorProto and graph-building hooks
        return getattr(importlib.import_module(_GRAPH_INTEROP[name]), name)
    if name == "graph_util":
        return importlib.import_module(f"{__name__}.compat.v1.graph_util")
    if name in ("fftnd", "ifftnd", "rfftnd", "irfftnd"):
        return getattr(importlib.import_module(f"{__name__}.signal"), name)
    raise AttributeError(f"module 'ember' has no attribute {name!r}")
