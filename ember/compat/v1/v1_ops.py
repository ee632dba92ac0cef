"""compat.v1's top-level names that TensorFlow 2 moved or renamed: ``tf.arg_max``,
``tf.matrix_inverse``, ``tf.sparse_tensor_to_dense``, ``tf.py_func``, ``tf.Print``,
``tf.scatter_update`` and the like, each the TF2 function it became (``ALIASES``, looked
up when first used) or a small function where TF1's signature differs."""
from __future__ import annotations

import contextlib

import numpy as np

import ember as _ember

# v1 name -> where TensorFlow 2 has it ("module.name" under ember)
ALIASES = {
    "matrix_band_part": "linalg.band_part", "matrix_determinant": "linalg.det",
    "matrix_diag": "linalg.diag", "matrix_diag_part": "linalg.diag_part",
    "matrix_inverse": "linalg.inv", "matrix_set_diag": "linalg.set_diag",
    "matrix_solve": "linalg.solve", "matrix_solve_ls": "linalg.lstsq",
    "matrix_square_root": "linalg.sqrtm", "matrix_triangular_solve": "linalg.triangular_solve",
    "self_adjoint_eig": "linalg.eigh", "self_adjoint_eigvals": "linalg.eigvalsh",
    "cholesky": "linalg.cholesky", "cholesky_solve": "linalg.cholesky_solve",
    "diag": "linalg.tensor_diag", "diag_part": "linalg.tensor_diag_part",
    "matrix_transpose": "linalg.matrix_transpose", "qr": "linalg.qr", "svd": "linalg.svd",
    "trace": "linalg.trace", "cross": "linalg.cross",
    "multinomial": "random.categorical", "random_shuffle": "random.shuffle",
    "random_gamma": "random.gamma", "get_seed": "random.get_seed",
    "reverse_v2": "reverse", "lin_space": "linspace",
    "segment_max": "math.segment_max", "segment_min": "math.segment_min",
    "segment_prod": "math.segment_prod", "segment_sum": "math.segment_sum",
    "segment_mean": "math.segment_mean",
    "unsorted_segment_max": "math.unsorted_segment_max",
    "unsorted_segment_min": "math.unsorted_segment_min",
    "unsorted_segment_prod": "math.unsorted_segment_prod",
    "unsorted_segment_mean": "math.unsorted_segment_mean",
    "unsorted_segment_sqrt_n": "math.unsorted_segment_sqrt_n",
    "igamma": "math.igamma", "igammac": "math.igammac", "lbeta": "math.lbeta",
    "zeta": "math.zeta", "betainc": "math.betainc", "angle": "math.angle",
    "div_no_nan": "math.divide_no_nan", "confusion_matrix": "math.confusion_matrix",
    "is_non_decreasing": "math.is_non_decreasing",
    "is_strictly_increasing": "math.is_strictly_increasing",
    "sparse_add": "sparse.add", "sparse_reorder": "sparse.reorder",
    "sparse_reshape": "sparse.reshape", "sparse_retain": "sparse.retain",
    "sparse_slice": "sparse.slice", "sparse_softmax": "sparse.softmax",
    "sparse_tensor_dense_matmul": "sparse.sparse_dense_matmul",
    "sparse_tensor_to_dense": "sparse.to_dense", "sparse_maximum": "sparse.maximum",
    "sparse_minimum": "sparse.minimum", "sparse_fill_empty_rows": "sparse.fill_empty_rows",
    "sparse_transpose": "sparse.transpose", "sparse_to_indicator": "sparse.to_indicator",
    "sparse_reset_shape": "sparse.reset_shape", "sparse_mask": "sparse.mask",
    "sparse_segment_sum": "sparse.segment_sum", "sparse_segment_mean": "sparse.segment_mean",
    "sparse_segment_sqrt_n": "sparse.segment_sqrt_n", "sparse_reduce_max": "sparse.reduce_max",
    "sparse_reduce_sum": "sparse.reduce_sum",
    "tensor_scatter_add": "tensor_scatter_nd_add", "tensor_scatter_sub": "tensor_scatter_nd_sub",
    "tensor_scatter_update": "tensor_scatter_nd_update",
    "fft": "signal.fft", "fft2d": "signal.fft2d", "fft3d": "signal.fft3d",
    "ifft": "signal.ifft", "ifft2d": "signal.ifft2d", "ifft3d": "signal.ifft3d",
    "depth_to_space": "nn.depth_to_space", "space_to_depth": "nn.space_to_depth",
    "random_crop": "image.random_crop", "read_file": "io.read_file",
    "write_file": "io.write_file", "decode_raw": "io.decode_raw", "decode_csv": "io.decode_csv",
    "decode_base64": "io.decode_base64", "encode_base64": "io.encode_base64",
    "decode_compressed": "io.decode_compressed", "serialize_tensor": "io.serialize_tensor",
    "parse_tensor": "io.parse_tensor", "parse_example": "io.parse_example",
    "parse_single_example": "io.parse_single_example",
    "parse_single_sequence_example": "io.parse_single_sequence_example",
    "FixedLenFeature": "io.FixedLenFeature", "VarLenFeature": "io.VarLenFeature",
    "FixedLenSequenceFeature": "io.FixedLenSequenceFeature",
    "SparseFeature": "io.SparseFeature", "gfile": "io.gfile",
    "check_numerics": "debugging.check_numerics",
    "verify_tensor_all_finite": "debugging.check_numerics",
    "is_numeric_tensor": "debugging.is_numeric_tensor",
    "extract_volume_patches": "extract_volume_patches",
    "VERSION": "version.VERSION", "GIT_VERSION": "version.GIT_VERSION",
    "COMPILER_VERSION": "version.COMPILER_VERSION",
    "GRAPH_DEF_VERSION": "version.GRAPH_DEF_VERSION",
    "GRAPH_DEF_VERSION_MIN_CONSUMER": "version.GRAPH_DEF_VERSION_MIN_CONSUMER",
    "GRAPH_DEF_VERSION_MIN_PRODUCER": "version.GRAPH_DEF_VERSION_MIN_PRODUCER",
    "OpError": "errors.OpError", "sets": "sets", "bitwise": "bitwise", "lookup": "lookup",
    "profiler": "profiler", "saved_model": "saved_model", "data": "data", "io": "io",
    "signal": "signal", "sparse": "sparse", "distribute": "distribute", "types": "types",
}
for _name in ("assert_greater_equal", "assert_integer", "assert_less_equal", "assert_near",
              "assert_negative", "assert_non_negative", "assert_non_positive",
              "assert_none_equal", "assert_positive", "assert_proper_iterable",
              "assert_rank_at_least", "assert_rank_in", "assert_same_float_dtype",
              "assert_scalar", "assert_type"):
    ALIASES[_name] = f"debugging.{_name}"


def resolve(name):
    """The object a v1 alias names, or None when ember does not have it."""
    path = ALIASES.get(name)
    if path is None:
        return None
    obj = _ember
    for part in path.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            return None
    return obj


# -- TF1 signatures ---------------------------------------------------------------------
def arg_max(input, dimension=None, name=None, output_type="int64"):  # noqa: A002
    return _ember.math.argmax(input, 0 if dimension is None else dimension,
                              output_type=output_type, name=name)


def arg_min(input, dimension=None, name=None, output_type="int64"):  # noqa: A002
    return _ember.math.argmin(input, 0 if dimension is None else dimension,
                              output_type=output_type, name=name)


def random_poisson(lam, shape, dtype="float32", seed=None, name=None):
    return _ember.random.poisson(shape, lam, dtype=dtype, seed=seed, name=name)


def to_double(x, name="ToDouble"):
    return _ember.cast(x, "float64", name=name)


def to_bfloat16(x, name="ToBFloat16"):
    return _ember.cast(x, "bfloat16", name=name)


def to_complex64(x, name="ToComplex64"):
    return _ember.cast(x, "complex64", name=name)


def to_complex128(x, name="ToComplex128"):
    return _ember.cast(x, "complex128", name=name)


def py_func(func, inp, Tout, stateful=True, name=None):  # noqa: N803
    """TF1's name of ``numpy_function``."""
    return _ember.numpy_function(func, inp, Tout, stateful=stateful, name=name)


def Print(input_, data, message=None, first_n=None, summarize=None, name=None):  # noqa: N802
    """Returns ``input_`` and prints ``message`` followed by ``data`` each time it is
    computed (a graph op: it prints when the returned tensor is evaluated)."""
    count = {"n": 0}
    summarize = 3 if summarize is None else summarize

    def show(*values):
        count["n"] += 1
        if first_n is None or first_n < 0 or count["n"] <= first_n:
            parts = [np.array2string(np.asarray(v).ravel()[:summarize] if summarize >= 0 and
                                     np.asarray(v).size > summarize else np.asarray(v))
                     for v in values[1:]]
            print((message or "") + "".join(parts))
        return values[0]

    x = _ember.convert_to_tensor(input_)
    out = _ember.numpy_function(show, [x] + list(data), x.dtype, name=name)
    if hasattr(out, "set_shape"):
        out.set_shape(x.shape)
    return out


def dimension_value(dimension):
    """A dimension's size as an int, or None when unknown."""
    if dimension is None or isinstance(dimension, int):
        return dimension
    return getattr(dimension, "value", int(dimension))


def dimension_at_index(shape, index):
    shape = _ember.TensorShape(shape)
    if shape.rank is None:
        return None
    return shape[index]


def colocate_with(op, ignore_existing=False):
    """Device colocation: ember runs on the CPU, so a no-op scope."""
    return contextlib.nullcontext()


def container(container_name):
    """Resource containers have no meaning in ember: a no-op scope."""
    return contextlib.nullcontext()


def _scatter(method):
    def scatter(ref, indices, updates, use_locking=True, name=None):
        if not getattr(ref, "_is_ember_variable", False):
            raise TypeError(f"{method}: ref must be a variable, got {type(ref).__name__}")
        updates = _ember.convert_to_tensor(updates, ref.dtype)
        return getattr(ref, method)(_ember.IndexedSlices(updates,
                                                        _ember.convert_to_tensor(indices)))
    scatter.__name__ = method
    scatter.__doc__ = f"``ref.{method}`` of the rows ``indices`` (TF1's function form)."
    return scatter


scatter_update = _scatter("scatter_update")
scatter_add = _scatter("scatter_add")
scatter_sub = _scatter("scatter_sub")
scatter_mul = _scatter("scatter_mul")
scatter_div = _scatter("scatter_div")
scatter_max = _scatter("scatter_max")
scatter_min = _scatter("scatter_min")


def _scatter_nd(method):
    def scatter_nd(ref, indices, updates, use_locking=True, name=None):
        return getattr(ref, method)(indices, updates)
    scatter_nd.__name__ = method
    return scatter_nd


scatter_nd_update = _scatter_nd("scatter_nd_update")
scatter_nd_add = _scatter_nd("scatter_nd_add")
scatter_nd_sub = _scatter_nd("scatter_nd_sub")


def sparse_to_dense(sparse_indices, output_shape, sparse_values, default_value=0,
                    validate_indices=True, name=None):
    """A dense tensor of ``output_shape`` with ``sparse_values`` at ``sparse_indices``."""
    indices = _ember.convert_to_tensor(sparse_indices)
    if len(indices.shape) < 2:
        indices = _ember.reshape(indices, [-1, 1])
    values = _ember.convert_to_tensor(sparse_values)
    if len(values.shape) == 0:
        values = _ember.fill(_ember.shape(indices)[:1], values)
    st = _ember.SparseTensor(_ember.cast(indices, "int64"), values,
                             _ember.cast(output_shape, "int64"))
    return _ember.sparse.to_dense(_ember.sparse.reorder(st), default_value=default_value)


def sparse_concat(axis, sp_inputs, name=None, expand_nonconcat_dim=False,
                  concat_dim=None, expand_nonconcat_dims=False):
    return _ember.sparse.concat(axis if concat_dim is None else concat_dim, sp_inputs,
                                expand_nonconcat_dims=expand_nonconcat_dim or
                                expand_nonconcat_dims)


def sparse_split(keyword_required=None, sp_input=None, num_split=None, axis=None, name=None,
                 split_dim=None):
    return _ember.sparse.split(sp_input=sp_input, num_split=num_split,
                               axis=axis if split_dim is None else split_dim)


def string_split(source, sep=None, skip_empty=True, delimiter=None, result_type="SparseTensor",
                 name=None):
    """Splits each string on any character of ``delimiter`` (a space by default) into a
    SparseTensor (or RaggedTensor) of tokens, dropping empty ones with ``skip_empty``."""
    delimiter = sep if sep is not None else (" " if delimiter is None else delimiter)
    rows = [s.decode() if isinstance(s, bytes) else str(s)
            for s in np.asarray(_ember.convert_to_tensor(source).numpy()).reshape(-1)]
    tokens = []
    for row in rows:
        pieces, current = [], ""
        for ch in row:
            if delimiter and ch in delimiter:
                pieces.append(current)
                current = ""
            else:
                current += ch
        pieces.append(current)
        if not delimiter:
            pieces = list(row)
        tokens.append([p for p in pieces if p or not skip_empty])
    if result_type == "RaggedTensor":
        return _ember.ragged.constant([[t.encode() for t in r] for r in tokens],
                                      dtype=_ember.string)
    indices = [(i, j) for i, row in enumerate(tokens) for j in range(len(row))]
    values = np.array([t.encode() for row in tokens for t in row], dtype=object)
    width = max((len(row) for row in tokens), default=0)
    return _ember.SparseTensor(np.array(indices, np.int64).reshape(-1, 2),
                               _ember.constant(values, dtype=_ember.string),
                               np.array([len(tokens), width], np.int64))
